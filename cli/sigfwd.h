/* sigfwd.h — crosstag run's signals.  SIGINT/SIGTERM/SIGHUP sent to
 * crosstag (by kill, not by the terminal, which signals the child's whole
 * process group itself) are forwarded to the child; crosstag keeps
 * collecting.  Every signal, and SIGCHLD, wakes the poll loop through a
 * self-pipe. */
#ifndef CT_SIGFWD_H
#define CT_SIGFWD_H

#include <sys/types.h>

int sigfwd_setup(void);        /* before fork: handlers installed, signals blocked */
void sigfwd_child(void);       /* in the forked child: defaults, unblocked */
void sigfwd_start(pid_t child);/* in the parent after fork: forward to child, unblock */
int sigfwd_wake_fd(void);      /* readable after any signal; drain with sigfwd_drain */
void sigfwd_drain(void);
unsigned sigfwd_count(void);   /* SIGINT/SIGTERM/SIGHUP received so far */

#endif
