/* collector.c — see collector.h.  One thread, one poll() loop over the
 * signal self-pipe, the listening socket and every connection. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collector.h"
#include "conn.h"
#include "sigfwd.h"
#include "store.h"

#define BATCH_MS 100
#define GAP_MS 2      /* write pause after a commit: another writer's turn */

struct coll {
    const struct collector_cfg *cfg;
    struct conn_env env;
    struct conn **conns;
    size_t nconns, capconns;
    struct pollfd *pfd;
    int listen_paused;         /* out of fds: wait for a connection to close */
    int child_done, child_status, no_children;
    uint64_t pause_until_ms;   /* no reading (so no writing) before this */
    unsigned sigs_at_child_done;
};

static void commit(struct coll *co)
{
    if (!co->env.in_batch)
        return;
    if (store_commit(co->env.store) != 0) {
        fprintf(stderr, "crosstag: cannot commit records: %s\n", store_errmsg(co->env.store));
        /* a busy commit stays open and is retried; a failed one is gone */
        return;
    }
    co->env.in_batch = 0;
    co->pause_until_ms = mono_ms() + GAP_MS;
}

/* The peer must run as our user (or root): the socket dir is private,
 * but a later per-host daemon will listen on a shared path. */
static int peer_ok(int fd, pid_t *pid)
{
    struct ucred cr;
    socklen_t len = sizeof cr;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0)
        return 0;
    *pid = cr.pid;
    return cr.uid == getuid() || cr.uid == 0;
}

static int add_conn(struct coll *co, int fd, pid_t pid)
{
    if (co->nconns == co->capconns) {
        size_t ncap = co->capconns ? co->capconns * 2 : 16;
        struct conn **nc = realloc(co->conns, ncap * sizeof *nc);
        struct pollfd *np = realloc(co->pfd, (ncap + 2) * sizeof *np);
        if (nc)
            co->conns = nc;
        if (np)
            co->pfd = np;
        if (!nc || !np)
            return -1;
        co->capconns = ncap;
    }
    struct conn *c = conn_new(fd, pid);
    if (!c)
        return -1;
    co->conns[co->nconns++] = c;
    return 0;
}

/* Accepts every pending connection; returns how many. */
static int accept_all(struct coll *co)
{
    int n = 0;
    for (;;) {
        int fd = accept4(co->cfg->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                if (!co->listen_paused)
                    fprintf(stderr, "crosstag: out of file descriptors; new tracked processes "
                                    "wait until others exit\n");
                co->listen_paused = 1;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                fprintf(stderr, "crosstag: accept: %s\n", strerror(errno));
            }
            return n;
        }
        pid_t pid = 0;
        if (!peer_ok(fd, &pid)) {
            fprintf(stderr, "crosstag: refused a connection from pid %d of another user\n", (int)pid);
            close(fd);
            continue;
        }
        if (add_conn(co, fd, pid) != 0) {
            fprintf(stderr, "crosstag: out of memory; dropping the connection from pid %d\n", (int)pid);
            close(fd);
            continue;
        }
        n++;
    }
}

/* Drops the newest connection. */
static void drop_last(struct coll *co)
{
    conn_free(co->conns[--co->nconns]);
    co->listen_paused = 0;      /* an fd is free again */
}

static void reap(struct coll *co)
{
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p > 0) {
            if (p == co->cfg->child && !co->child_done) {
                co->child_done = 1;
                co->child_status = st;
                co->sigs_at_child_done = sigfwd_count();
            }
            continue;
        }
        if (p < 0 && errno == EINTR)
            continue;
        co->no_children = (p < 0 && errno == ECHILD);
        return;
    }
}

/* Reads each connection once, oldest first: a parent's HELLO must be
 * stored before its child's so the child finds it.  One read each keeps a
 * busy process from starving the others. */
static void read_conns(struct coll *co, size_t npfd_conns)
{
    /* pfd[2 + i] belongs to conns[i] for i < npfd_conns */
    size_t keep = 0;
    for (size_t i = 0; i < co->nconns; i++) {
        struct conn *c = co->conns[i];
        if (i < npfd_conns && (co->pfd[2 + i].revents & (POLLIN | POLLHUP | POLLERR)) &&
            conn_read(c, &co->env) <= 0) {
            conn_free(c);
            co->listen_paused = 0;      /* an fd is free again */
            continue;
        }
        co->conns[keep++] = c;
    }
    co->nconns = keep;
}

/* Forced end: take what is already buffered in the sockets (bounded: a
 * process still running may keep writing), then stop. */
static void final_drain(struct coll *co)
{
    for (size_t i = 0; i < co->nconns; i++) {
        struct conn *c = co->conns[i];
        for (int k = 0; k < 64; k++) {
            struct pollfd p = { .fd = c->fd, .events = POLLIN };
            if (poll(&p, 1, 0) != 1 || conn_read(c, &co->env) != 1)
                break;
        }
    }
    while (co->nconns)
        drop_last(co);
}

static void cleanup(struct coll *co)
{
    while (co->nconns)
        drop_last(co);
    free(co->conns);
    free(co->pfd);
}

int collector_run(const struct collector_cfg *cfg)
{
    struct coll co = { .cfg = cfg };
    co.env.store = cfg->store;
    co.env.host = cfg->host;
    co.env.quiet = cfg->quiet;
    co.pfd = malloc(2 * sizeof *co.pfd);
    if (!co.pfd) {
        fprintf(stderr, "crosstag: out of memory\n");
        return -1;
    }
    for (;;) {
        co.pfd[0] = (struct pollfd){ .fd = sigfwd_wake_fd(), .events = POLLIN };
        co.pfd[1] = (struct pollfd){ .fd = co.listen_paused ? -1 : cfg->listen_fd, .events = POLLIN };
        uint64_t now = mono_ms();
        int paused = now < co.pause_until_ms;
        for (size_t i = 0; i < co.nconns; i++)
            co.pfd[2 + i] = (struct pollfd){ .fd = paused ? -1 : co.conns[i]->fd, .events = POLLIN };
        size_t npfd_conns = co.nconns;

        int timeout = -1;
        if (paused) {
            timeout = (int)(co.pause_until_ms - now);
        } else if (co.env.in_batch) {
            uint64_t age = now - co.env.batch_start_ms;
            timeout = age >= BATCH_MS ? 0 : (int)(BATCH_MS - age);
        }
        int n = poll(co.pfd, 2 + npfd_conns, timeout);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "crosstag: poll: %s\n", strerror(errno));
            break;
        }
        if (n > 0 && co.pfd[0].revents)
            sigfwd_drain();
        reap(&co);
        if (n > 0) {
            read_conns(&co, npfd_conns);
            if (co.pfd[1].revents & POLLIN)
                accept_all(&co);
        }
        if (co.env.in_batch && mono_ms() - co.env.batch_start_ms >= BATCH_MS)
            commit(&co);

        if (co.child_done && sigfwd_count() > co.sigs_at_child_done) {
            if (co.nconns)
                fprintf(stderr, "crosstag: interrupted; not waiting for %zu remaining "
                                "tracked process%s\n", co.nconns, co.nconns == 1 ? "" : "es");
            final_drain(&co);
            break;
        }
        /* Nobody left who could still connect: a last sweep of the
         * backlog, then done. */
        if (co.child_done && co.no_children && co.nconns == 0 && accept_all(&co) == 0)
            break;
    }
    commit(&co);
    cleanup(&co);
    if (co.env.unstored)
        fprintf(stderr, "crosstag: %llu records could not be stored\n",
                (unsigned long long)co.env.unstored);
    if (!co.child_done) {       /* poll failed: still report the child */
        int st;
        if (waitpid(cfg->child, &st, 0) == cfg->child)
            return st;
        return -1;
    }
    return co.child_status;
}
