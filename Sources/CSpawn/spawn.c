// The runner's child setup. vfork is used so that starting a job costs no
// copy of jcrun's page tables; the child therefore touches only its own stack
// frame and makes only system calls until execve or _exit.
#define _GNU_SOURCE
#include "CSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Moves `*fd` to a number >= 4 so that dup2 onto 0..3 in the child never
// overwrites another source descriptor (jcrun may run with 0..2 closed).
static int raise_fd(int *fd) {
    if (*fd >= 4) return 0;
    int moved = fcntl(*fd, F_DUPFD_CLOEXEC, 4);
    if (moved < 0) return -1;
    close(*fd);
    *fd = moved;
    return 0;
}

static void close_all(int *fds, int count) {
    for (int i = 0; i < count; i++) {
        if (fds[i] >= 0) close(fds[i]);
        fds[i] = -1;
    }
}

// Closes every descriptor from 4 up, in the child: close_range when the
// kernel has it, a loop up to the descriptor limit otherwise.
static void close_from_4(void) {
    if (syscall(SYS_close_range, 4U, ~0U, 0) == 0) return;
    struct rlimit limit;
    long max = 65536;
    if (syscall(SYS_getrlimit, RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < (rlim_t)max)
        max = (long)limit.rlim_cur;
    for (long fd = 4; fd < max; fd++) syscall(SYS_close, (int)fd);
}

// The open-file limit jcrun was started with, given back to each job (Go
// does the same): jcrun raises its own soft limit so that `-j N` fits, but
// a job sees the limit its user set. Written once, before any job starts.
static struct rlimit child_nofile;
static int child_nofile_set = 0;

long jc_raise_nofile_limit(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    if (!child_nofile_set) {
        child_nofile = limit;
        child_nofile_set = 1;
    }
    rlim_t wanted = limit.rlim_max;
    if (wanted == RLIM_INFINITY || wanted > (rlim_t)(1 << 20)) wanted = (rlim_t)(1 << 20);
    if (wanted > limit.rlim_cur) {
        struct rlimit raised = {wanted, limit.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit.rlim_cur = wanted;
    }
    return limit.rlim_cur == RLIM_INFINITY ? (long)(1 << 20) : (long)limit.rlim_cur;
}

// The signals whose disposition the child sets back to the default: those
// jcrun's commands change (handlers for SIGHUP, SIGINT, SIGTERM and SIGPIPE;
// SIGPIPE ignored by `jcrun web`; SIGXFSZ ignored by jcrun, so that a store
// write past `ulimit -f` fails with EFBIG; SIGQUIT for good measure) and every other
// one found caught or ignored when the first job starts (dispositions
// inherited from jcrun's parent, such as SIGINT ignored in a background job).
// Resetting only these costs a handful of system calls in the child instead
// of 62, while the parent waits for it.
// Guarded by reset_lock; each spawn copies it before vfork.
static sigset_t reset_set;
static int reset_read = 0;
static pthread_mutex_t reset_lock = PTHREAD_MUTEX_INITIALIZER;

static void find_reset_set(void) {
    sigset_t found;
    sigemptyset(&found);
    int always[] = {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM, SIGXFSZ};
    for (size_t i = 0; i < sizeof always / sizeof always[0]; i++) sigaddset(&found, always[i]);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        struct sigaction current;
        if (sigaction(sig, NULL, &current) != 0) continue;  // glibc's own signals
        if ((current.sa_flags & SA_SIGINFO) || current.sa_handler != SIG_DFL) {
            sigaddset(&found, sig);
        }
    }
    reset_set = found;
    reset_read = 1;
}

// The signals a child resets, read at the first call.
static void copy_reset_set(sigset_t *into) {
    pthread_mutex_lock(&reset_lock);
    if (!reset_read) find_reset_set();
    *into = reset_set;
    pthread_mutex_unlock(&reset_lock);
}

void jc_spawn_reread_signals(void) {
    pthread_mutex_lock(&reset_lock);
    find_reset_set();
    pthread_mutex_unlock(&reset_lock);
}

// /dev/null for the children's standard input, opened once (close-on-exec,
// above descriptor 3) instead of once per job.
static int dev_null = -1;
static int dev_null_error = 0;
static pthread_once_t dev_null_once = PTHREAD_ONCE_INIT;

static void open_dev_null(void) {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || raise_fd(&fd) != 0) {
        dev_null_error = errno;
        if (fd >= 0) close(fd);
        return;
    }
    dev_null = fd;
}

int jc_spawn(const char *path, char *const argv[], char *const envp[], const char *workdir,
             jc_spawned *out) {
    // fds: stdout read/write, stderr read/write, fd 3 read/write, /dev/null.
    int fds[7] = {-1, -1, -1, -1, -1, -1, -1};
    out->pid = -1;
    out->stdout_fd = out->stderr_fd = out->directive_fd = out->pidfd = -1;
    out->write_fds[0] = out->write_fds[1] = out->write_fds[2] = -1;
    out->stage = JC_STAGE_NONE;
    out->error = 0;

    sigset_t reset;
    copy_reset_set(&reset);
    pthread_once(&dev_null_once, open_dev_null);
    if (dev_null < 0) {
        out->error = dev_null_error;
        out->stage = JC_STAGE_PIPE;
        return -1;
    }

    // Pipes, all close-on-exec and above descriptor 3.
    for (int i = 0; i < 3; i++) {
        if (pipe2(&fds[2 * i], O_CLOEXEC) != 0) goto pipe_failed;
    }
    for (int i = 0; i < 6; i++) {
        if (raise_fd(&fds[i]) != 0) goto pipe_failed;
    }
    fds[6] = dev_null;

    // Block every signal so that no handler of jcrun's runs in the child
    // while it shares jcrun's memory; the child resets them before exec.
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    pid_t parent = getpid();
    // The child writes these before _exit; vfork resumes the parent only
    // after the child's execve or _exit, so they are read after the write.
    volatile int child_stage = JC_STAGE_NONE;
    volatile int child_error = 0;

    pid_t pid = vfork();
    if (pid == 0) {
        // Default dispositions for every signal jcrun caught or ignored.
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; sig++) {
            if (sigismember(&reset, sig) == 1) sigaction(sig, &dfl, NULL);
        }

        // A session of its own; killed with the thread that started it.
        if (setsid() < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
            child_error = errno;
            child_stage = JC_STAGE_SETUP;
            _exit(126);
        }
        if (getppid() != parent) _exit(126);  // jcrun died before prctl took effect

        // 0 from /dev/null, 1, 2 and 3 to the pipes, nothing else open.
        if (dup2(fds[6], 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[3], 2) < 0 ||
            dup2(fds[5], 3) < 0) {
            child_error = errno;
            child_stage = JC_STAGE_SETUP;
            _exit(126);
        }
        close_from_4();
        if (child_nofile_set) setrlimit(RLIMIT_NOFILE, &child_nofile);

        if (chdir(workdir) != 0) {
            child_error = errno;
            child_stage = JC_STAGE_CHDIR;
            _exit(126);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(path, argv, envp);
        child_error = errno;
        child_stage = JC_STAGE_EXEC;
        _exit(127);
    }
    int fork_error = errno;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);

    // The parent keeps the read ends and, until the child exits, its own
    // copies of the write ends (`jc_spawned.write_fds`).
    int writes[3] = {fds[1], fds[3], fds[5]};
    int reads[3] = {fds[0], fds[2], fds[4]};
    if (pid < 0) {
        close_all(reads, 3);
        close_all(writes, 3);
        out->stage = JC_STAGE_FORK;
        out->error = fork_error;
        return -1;
    }
    if (child_stage != JC_STAGE_NONE) {
        close_all(reads, 3);
        close_all(writes, 3);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        out->stage = child_stage;
        out->error = child_error;
        return -1;
    }
    out->pid = pid;
    out->stdout_fd = reads[0];
    out->stderr_fd = reads[1];
    out->directive_fd = reads[2];
    for (int i = 0; i < 3; i++) out->write_fds[i] = writes[i];
    out->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    return 0;

pipe_failed:
    out->error = errno;
    out->stage = JC_STAGE_PIPE;
    close_all(fds, 6);
    return -1;
}

const char *jc_signal_abbrev(int sig) { return sigabbrev_np(sig); }

int jc_kill_group(pid_t pgid, int sig) { return kill(-pgid, sig) == 0 ? 0 : errno; }

int jc_wake_open(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

void jc_wake_signal(int fd) { (void)eventfd_write(fd, 1); }

void jc_wake_drain(int fd) {
    eventfd_t value;
    (void)eventfd_read(fd, &value);
}

int jc_keep_freed_heap(int bytes) {
    return mallopt(M_TRIM_THRESHOLD, bytes);
}

const void *jc_memmem(const void *haystack, size_t haystack_len, const void *needle, size_t needle_len) {
    return memmem(haystack, haystack_len, needle, needle_len);
}

int jc_become_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : errno;
}
