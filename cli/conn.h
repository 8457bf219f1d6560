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
struct ct_msg_classq;
struct ct_classq_run;

struct conn;
struct ring;

/* What every connection shares: where records go, where warnings go. */
struct conn_env {
    struct store *store;
    int64_t host;              /* the agent's own host: for trackers without RUN */
    int in_batch;              /* a store transaction is open */
    uint64_t batch_start_ms;   /* when it was opened (monotonic ms) */
    uint64_t unstored;         /* messages the store refused */
    /* A warning about connection c (level 0 info, 1 warning, 2 error):
     * the agent sends it to the run's crosstag run, or logs it. */
    void (*say)(void *ctx, const struct conn *c, int level, const char *text);
    void *say_ctx;
    /* A control connection asked for SYNC of `run` (or STOP: stop set). */
    void (*request)(void *ctx, struct conn *c, uint32_t type, uint64_t run);
    /* Leak prevention (may be NULL): a tracker's CLASSQ, checked (runs and
     * destination inside the message), to be answered with CLASSR; a
     * control connection's POLICY (path NUL-terminated). */
    void (*classq)(void *ctx, struct conn *c, const struct ct_msg_classq *q,
                   const unsigned char *dest, const struct ct_classq_run *runs);
    void (*policy)(void *ctx, struct conn *c, const char *path, uint32_t flags);
};

struct conn {
    int fd;
    pid_t peer_pid;            /* from SO_PEERCRED */
    uid_t peer_uid;
    unsigned char *buf;
    size_t len, cap;
    int hello;                 /* HELLO seen */
    int control;               /* a control connection (CONTROL seen) */
    int exited;                /* EXIT seen */
    int ended;                 /* read to its end while answering a CLASSQ: to be closed */
    uint64_t run;              /* from RUN or CONTROL; 0 none */
    uint32_t run_flags;        /* CT_RUNF_* */
    int64_t host;              /* store host id of this tracker */
    uint64_t done;             /* stream bytes handled (whole messages) */
    uint64_t acked;            /* stream bytes acknowledged as committed */
    uint64_t lost, unstored;   /* flow records lost by the tracker / refused */
    int greeted;               /* control: CONTROL answered */
    int sync_pending;          /* control: a SYNC/STOP waits for its answer */
    int stop_answered;         /* control: STOP answered, to be closed */
    uint64_t sync_run;
    int32_t pid;               /* from HELLO */
    int64_t proc;              /* store id, -1 when the store refused it */
    struct handlemap handles;  /* handle -> object id (-1: store refused) */
    int pending_fd;            /* an fd that came with the socket's bytes (for RING) */
    struct ring *ring;         /* after RING: the stream goes on there (ring.h) */
};

struct conn *conn_new(int fd, pid_t peer_pid, uid_t peer_uid);
void conn_free(struct conn *c);    /* closes the fd */

/* Reads what is available and stores every complete message.  Returns 1
 * while the connection stays open, 0 at its end (EOF; warns about a
 * truncated last message), -1 when it must be dropped (a warning has been
 * printed). */
int conn_read(struct conn *c, struct conn_env *env);

/* Takes what waits in the connection's ring (after RING) and stores
 * every complete message; 1 fine (also without a ring), -1 as conn_read. */
int conn_pull(struct conn *c, struct conn_env *env);

/* After a commit: tells the tracker how much of its stream is stored
 * (non-blocking; a full socket just delays it to the next commit). */
void conn_ack(struct conn *c);

/* Sends a message (header included) on a control connection; -1 on error. */
int conn_send(struct conn *c, const void *msg, size_t len);

uint64_t mono_ms(void);
void env_batch(struct conn_env *env);   /* opens a batch if none is open */

#endif
