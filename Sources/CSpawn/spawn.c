#include "CSpawn.h"
int jc_placeholder(void) { return 0; }
