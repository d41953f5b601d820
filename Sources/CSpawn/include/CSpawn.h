#ifndef JCRUN_CSPAWN_H
#define JCRUN_CSPAWN_H
// System calls Swift cannot make safely between fork and exec: the runner's
// child setup (new session, parent-death signal, descriptors, exec).
int jc_placeholder(void);
#endif
