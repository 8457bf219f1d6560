/* sigfwd.c — see sigfwd.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sigfwd.h"

static const int fwd_sigs[] = { SIGINT, SIGTERM, SIGHUP };
#define NFWD (int)(sizeof fwd_sigs / sizeof fwd_sigs[0])

static volatile sig_atomic_t child_pid;
static volatile sig_atomic_t nsignals;
static int wake[2] = { -1, -1 };

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int saved = errno;
    if (sig != SIGCHLD) {
        nsignals++;
        /* si_code <= 0: sent by a process (kill, sigqueue).  Terminal
         * signals (SI_KERNEL) already reached the child's process group. */
        if (child_pid > 0 && si->si_code <= 0)
            kill((pid_t)child_pid, sig);
    }
    if (wake[1] >= 0) {
        ssize_t r = write(wake[1], "", 1);   /* full pipe: already awake */
        (void)r;
    }
    errno = saved;
}

static sigset_t fwd_set(void)
{
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < NFWD; i++)
        sigaddset(&set, fwd_sigs[i]);
    return set;
}

int sigfwd_setup(void)
{
    if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0)
        return -1;
    sigset_t set = fwd_set();
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < NFWD; i++)
        sigaction(fwd_sigs[i], &sa, NULL);
    sa.sa_flags |= SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);   /* a vanished peer is an EOF, not a death */
    return 0;
}

void sigfwd_child(void)
{
    for (int i = 0; i < NFWD; i++)
        signal(fwd_sigs[i], SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);   /* ignored dispositions survive exec */
    sigset_t set = fwd_set();
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

void sigfwd_start(pid_t child)
{
    child_pid = child;
    sigset_t set = fwd_set();
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int sigfwd_wake_fd(void)
{
    return wake[0];
}

void sigfwd_drain(void)
{
    char buf[64];
    while (read(wake[0], buf, sizeof buf) > 0)
        ;
}

unsigned sigfwd_count(void)
{
    return (unsigned)nsignals;
}
