/* conn.h — one tracker connection: buffers its byte stream, validates each
 * ct_wire.h message and writes it to the store.  The collector (collector.c)
 * owns the poll loop and the batching; a connection only asks for a batch
 * to be open before it writes. */
#ifndef CT_CONN_H
#define CT_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "handlemap.h"

struct store;

/* What every connection shares: where records go. */
struct conn_env {
    struct store *store;
    int64_t host;
    int quiet;
    int in_batch;              /* a store transaction is open */
    uint64_t batch_start_ms;   /* when it was opened (monotonic ms) */
    uint64_t unstored;         /* messages the store refused */
    uint64_t lost;             /* flow records trackers reported lost */
};

struct conn {
    int fd;
    pid_t peer_pid;            /* from SO_PEERCRED, for messages */
    unsigned char *buf;
    size_t len, cap;
    int hello;                 /* HELLO seen */
    int exited;                /* EXIT seen */
    int32_t pid;               /* from HELLO */
    int64_t proc;              /* store id, -1 when the store refused it */
    struct handlemap handles;  /* handle -> object id (-1: store refused) */
};

struct conn *conn_new(int fd, pid_t peer_pid);
void conn_free(struct conn *c);    /* closes the fd */

/* Reads what is available and stores every complete message.  Returns 1
 * while the connection stays open, 0 at its end (EOF; warns about a
 * truncated last message), -1 when it must be dropped (a warning has been
 * printed). */
int conn_read(struct conn *c, struct conn_env *env);

uint64_t mono_ms(void);
void env_batch(struct conn_env *env);   /* opens a batch if none is open */

#endif
