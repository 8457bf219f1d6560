/* collector.h — crosstag run's receiving side: accepts tracker connections
 * on the listening socket and writes their records to the store in batches
 * (committed at least every 100 ms and at the end). */
#ifndef CT_COLLECTOR_H
#define CT_COLLECTOR_H

#include <stdint.h>
#include <sys/types.h>

struct store;

struct collector_cfg {
    struct store *store;
    int64_t host;
    int listen_fd;             /* non-blocking, listening */
    int quiet;
    pid_t child;               /* the forked valgrind */
};

/* Runs until the child has exited, no other descendant (crosstag is their
 * subreaper) is left and every connection has closed; or, once the child
 * has exited, until one more SIGINT/SIGTERM/SIGHUP arrives.  Returns the
 * child's wait status. */
int collector_run(const struct collector_cfg *cfg);

#endif
