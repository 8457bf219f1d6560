/* runwait.h — crosstag run after the start: waits for the tracked program
 * and every process it left behind, shows the warnings the agent relays,
 * restarts the agent if it dies, and at the end waits until the agent has
 * stored every record of the run. */
#ifndef CT_RUNWAIT_H
#define CT_RUNWAIT_H

#include <stdint.h>
#include <sys/types.h>

struct agent_paths;

struct runwait_cfg {
    const struct agent_paths *paths;
    const char *host;
    uint64_t run;
    int ctl;                   /* control connection (taken over, closed) */
    int quiet;
    pid_t child;               /* the forked valgrind */
    const char *policy;        /* --policy, absolute: loaded again into a new agent */
};

/* Returns the child's wait status, or -1. */
int run_wait(const struct runwait_cfg *cfg);

#endif
