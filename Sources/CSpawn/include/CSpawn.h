#ifndef JCRUN_CSPAWN_H
#define JCRUN_CSPAWN_H
// System calls Swift cannot make safely between fork and exec: the runner's
// child setup (new session, parent-death signal, descriptors, exec).

#include <stddef.h>
#include <sys/types.h>

/// Where starting a child failed (`jc_spawned.stage`).
enum jc_spawn_stage {
    JC_STAGE_NONE = 0,
    JC_STAGE_PIPE = 1,    // creating the pipes or opening /dev/null (parent)
    JC_STAGE_FORK = 2,    // vfork itself (parent)
    JC_STAGE_SETUP = 3,   // setsid, prctl or dup2 in the child
    JC_STAGE_CHDIR = 4,   // entering the workdir
    JC_STAGE_EXEC = 5     // execve
};

/// A started child, or why it could not start.
typedef struct jc_spawned {
    pid_t pid;        // > 0 when started; the child's session and process group id too
    int stdout_fd;    // read ends, close-on-exec (blocking: read them when poll says so)
    int stderr_fd;
    int directive_fd; // the child's descriptor 3
    // The parent's copies of the three write ends, close-on-exec. While the
    // parent holds them, the read ends never report end of file, so a job
    // ending wakes its reader once (for the exit), not once per closed pipe;
    // close them once the child has exited, then read the rest.
    int write_fds[3];
    int pidfd;        // readable once the child exits; -1 when the kernel has no pidfd_open
    int stage;        // enum jc_spawn_stage; JC_STAGE_NONE when started
    int error;        // errno of the failed step
} jc_spawned;

/// Starts `path` with `argv` and `envp` (NULL-terminated) in `workdir`: a new
/// session, SIGKILL when the calling thread dies, default signal handling and
/// an empty signal mask, stdin from /dev/null, stdout, stderr and descriptor 3
/// to pipes, every other descriptor closed. Returns 0 when started, -1 with
/// `out->stage` and `out->error` set otherwise (the failed child is reaped).
///
/// Default signal handling: the child resets SIGHUP, SIGINT, SIGQUIT, SIGPIPE,
/// SIGTERM and every signal that was caught or ignored when the first child
/// started. A program that catches or ignores another signal after that
/// calls `jc_spawn_reread_signals` (jcrun itself never does).
int jc_spawn(const char *path, char *const argv[], char *const envp[], const char *workdir,
             jc_spawned *out);

/// Raises the soft limit of open files to the hard limit (at most 2^20) and
/// returns the soft limit now in force (-1 when it cannot be read). Jobs
/// started after the first call get the soft limit jcrun was started with.
long jc_raise_nofile_limit(void);

/// Reads the signal dispositions again for the next `jc_spawn`.
void jc_spawn_reread_signals(void);

/// The signal's abbreviation without `SIG` (`KILL`), or NULL when unknown.
const char *jc_signal_abbrev(int sig);

/// Sends `sig` to every process of the group `pgid`; 0 or errno.
int jc_kill_group(pid_t pgid, int sig);

/// An eventfd the run loop polls to be woken from another thread (-1 on error).
int jc_wake_open(void);
/// Wakes the poller of `fd`.
void jc_wake_signal(int fd);
/// Empties `fd` after a wake-up.
void jc_wake_drain(int fd);

/// Lets glibc keep up to `bytes` of freed memory at the top of each heap
/// instead of handing it back at once (`mallopt(M_TRIM_THRESHOLD)`, which
/// Swift's Glibc module does not export). 1 on success, 0 otherwise.
int jc_keep_freed_heap(int bytes);

/// Makes this process the reaper of its descendants' orphans
/// (`prctl(PR_SET_CHILD_SUBREAPER)`, variadic in C); 0 or errno.
int jc_become_subreaper(void);

/// glibc's memmem, which Swift's Glibc module does not export.
const void *jc_memmem(const void *haystack, size_t haystack_len, const void *needle, size_t needle_len);

#endif
