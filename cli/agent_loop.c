/* agent_loop.c — agent_serve(): the agent's one thread, one poll() loop
 * over the signal pipe, the listening socket and every connection.
 * Records are written in batches (committed at least every 100 ms); after
 * each commit every tracker learns how much of its stream is stored. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "conn.h"
#include "ring.h"
#include "alert_json.h"
#include "ct_peer.h"
#include "ct_wire.h"
#include "peer_link.h"
#include "peer_msg.h"
#include "policy.h"
#include "policy_agent.h"
#include "store.h"
#include "tcpid.h"

#define BATCH_MS 100

/* What a run's ended tracker connections add up to, for SYNCED. */
struct runsum {
    uint64_t run, conns, lost, unstored;
};

struct agent {
    const struct agent_cfg *cfg;
    struct conn_env env;
    int lfd;                   /* -1 once draining */
    struct conn **conns;
    size_t nconns, cap;
    struct pollfd *pfd;
    struct runsum *runs;
    size_t nruns;
    int stop;                  /* finish what is connected, then exit */
    int listen_paused;         /* out of fds */
    uint64_t idle_since_ms;
    uint64_t ring_busy_ms;     /* when a ring last had bytes */
    struct policy pol;         /* leak prevention: loaded when have_pol */
    int have_pol;
    int in_classq;             /* answering one: a nested CLASSQ does not drain */
    struct peer_srv peers;     /* other hosts' agents pushing labels (policy loaded) */
    struct peer_cli pcli;      /* our pushes to them */
    uint64_t push_id;
    char carry_note[600];      /* why the last carry failed (alerts point here) */
    dev_t db_dev;              /* the database file we have open */
    ino_t db_ino;
};

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t got_stop;

static void on_signal(int sig)
{
    (void)sig;
    got_stop = 1;
    int e = errno;
    ssize_t r = write(sig_pipe[1], "x", 1);
    (void)r;
    errno = e;
}

static void logf_(const char *fmt, ...)
{
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", localtime_r(&t, &tm));
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s crosstagd[%d]: ", when, (int)getpid());
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct runsum *runsum(struct agent *a, uint64_t run)
{
    for (size_t i = 0; i < a->nruns; i++)
        if (a->runs[i].run == run)
            return &a->runs[i];
    struct runsum *n = realloc(a->runs, (a->nruns + 1) * sizeof *n);
    if (!n)
        return NULL;
    a->runs = n;
    a->runs[a->nruns] = (struct runsum){ .run = run };
    return &a->runs[a->nruns++];
}

/* Warnings go to the crosstag run that started the process, so the user
 * sees them where they ran the program; else to the agent's log. */
static void say(void *ctx, const struct conn *c, int level, const char *text)
{
    struct agent *a = ctx;
    size_t tl = strlen(text);
    int sent = 0;
    if (c->run) {
        unsigned char msg[sizeof(struct ct_msg_note) + 1024];
        if (tl > 1000)
            tl = 1000;
        struct ct_msg_note n = { .h = { CT_MSG_NOTE, (uint32_t)CT_MSG_ALIGN(sizeof n + tl) },
                                 .level = (uint32_t)level, .note_len = (uint32_t)tl };
        memset(msg, 0, sizeof msg);
        memcpy(msg, &n, sizeof n);
        memcpy(msg + sizeof n, text, tl);
        for (size_t i = 0; i < a->nconns; i++) {
            struct conn *k = a->conns[i];
            if (k->control && k->run == c->run && conn_send(k, msg, n.h.len) == 0)
                sent = 1;
        }
    }
    if (!sent)
        logf_("%s", text);
}

static void commit(struct agent *a)
{
    if (a->env.in_batch) {
        if (store_commit(a->env.store) != 0) {
            logf_("cannot commit records: %s", store_errmsg(a->env.store));
            return;            /* a busy commit stays open and is retried */
        }
        a->env.in_batch = 0;
    }
    for (size_t i = 0; i < a->nconns; i++)
        conn_ack(a->conns[i]);
}

static void request(void *ctx, struct conn *c, uint32_t type, uint64_t run)
{
    struct agent *a = ctx;
    if (type == CT_MSG_STOP) {
        logf_("stop requested by pid %d", (int)c->peer_pid);
        a->stop = 1;
    }
    c->sync_pending = 1;
    c->sync_run = type == CT_MSG_STOP ? 0 : run;
}

/* ---- leak prevention ---- */

/* POLICY from crosstag run: load the file unless the same one is loaded.
 * A different one replaces it (the agent enforces one policy: the last
 * run's); the answer is a NOTE, level 2 when the file is refused. */
/* With a policy, other hosts' agents may push labels to this one. */
static void peer_update(struct agent *a)
{
    if (!a->have_pol || (a->peers.lfd >= 0 && a->peers.port == a->pol.agent_port))
        return;
    peer_srv_stop(&a->peers);
    char err[300];
    if (peer_srv_start(&a->peers, a->pol.agent_port, err, sizeof err) != 0)
        logf_("labels from other hosts' agents: %s (protected data those hosts send here "
              "cannot reach this host)", err);
    else
        logf_("taking labels from trusted hosts' agents on port %u", a->pol.agent_port);
}

static void policy_req(void *ctx, struct conn *c, const char *path, uint32_t flags)
{
    struct agent *a = ctx;
    char err[700], text[800];
    /* (paths longer than 700 bytes are cut in the answer only) */
    struct policy np;
    int level = 0;
    if (policy_load(path, &np, err, sizeof err) != 0) {
        snprintf(text, sizeof text, "%s", err);
        level = 2;
    } else if (a->have_pol && strcmp(a->pol.path, np.path) != 0 && !(flags & CT_POLICYF_REPLACE)) {
        /* The host's policy binds every run: one run cannot swap it for its own. */
        snprintf(text, sizeof text, "the agent enforces policy %.300s; a run cannot replace it "
                 "with %.300s (crosstag agent start --policy FILE does)", a->pol.path, np.path);
        logf_("refused policy %s from pid %d: %s is loaded", np.path, (int)c->peer_pid, a->pol.path);
        policy_free(&np);
        level = 2;
    } else {
        if (a->have_pol && strcmp(a->pol.path, np.path) != 0)
            logf_("policy %s replaces %s", np.path, a->pol.path);
        else if (!a->have_pol)
            logf_("policy %s loaded", np.path);
        if (a->have_pol)
            policy_free(&a->pol);
        a->pol = np;
        a->have_pol = 1;
        peer_update(a);
        snprintf(text, sizeof text, "policy %.700s loaded", np.path);
    }
    size_t tl = strlen(text);
    unsigned char msg[sizeof(struct ct_msg_note) + 808];
    struct ct_msg_note n = { .h = { CT_MSG_NOTE, (uint32_t)CT_MSG_ALIGN(sizeof n + tl) },
                             .level = (uint32_t)level, .note_len = (uint32_t)tl };
    memset(msg, 0, sizeof msg);
    memcpy(msg, &n, sizeof n);
    memcpy(msg + sizeof n, text, tl);
    conn_send(c, msg, n.h.len);
}

/* Everything the other connections have sent so far gets stored: the
 * records of the processes that wrote what this one read.  Ended
 * connections are left for read_conns to close. */
static int accept_all(struct agent *a);

static void drain_others(struct agent *a, struct conn *self)
{
    accept_all(a);             /* a writer that just started may wait in the backlog */
    for (size_t i = 0; i < a->nconns; i++) {
        struct conn *c = a->conns[i];
        if (c != self && !c->ended && c->ring && conn_pull(c, &a->env) < 0)
            c->ended = 1;      /* the records waiting in its ring first */
        for (int round = 0; c != self && !c->ended && !c->control && round < 64; round++) {
            struct pollfd pf = { .fd = c->fd, .events = POLLIN };
            if (poll(&pf, 1, 0) != 1)
                break;
            size_t before = c->done + c->len;
            if (conn_read(c, &a->env) <= 0) {
                c->ended = 1;
                break;
            }
            if (c->done + c->len == before)
                break;
        }
    }
}

static void log_alert(struct agent *a, struct conn *c, const struct pa_decision *d,
                      const struct pa_alert *al, uint64_t now)
{
    struct store_procinfo pi = { 0 };
    int have_pi = c->proc > 0 && store_proc_info(a->env.store, c->proc, &pi) == 0;
    struct store_objinfo oi = { 0 };
    char *oname = NULL;
    if (al->src_obj > 0 && store_object_info(a->env.store, al->src_obj, &oi) == 0) {
        oname = strndup((const char *)oi.name, oi.name_len);
        free(oi.name);
    }
    struct store_alertinfo ai = {
        .time_ns = now, .pid = c->pid, .host = have_pi ? pi.host_name : NULL,
        .argv0 = have_pi && pi.argv ? (const char *)pi.argv : NULL, .dest = d->dest,
        .cls = al->cls->name, .action = policy_action_name(al->action),
        .src_host = oname ? oi.host_name : NULL, .src_obj = oname,
        .src_start = al->src_start, .src_end = al->src_end, .bytes = al->bytes, .note = al->note,
    };
    char *j = alert_json(&ai);
    if (j) {
        fprintf(stderr, "%s\n", j);
        fflush(stderr);
        free(j);
    }
    free(oname);
    if (have_pi)
        free(pi.argv);
}

/* The peer of a Unix socket is a tracked process: one of our live tracker
 * connections is that pid (its own sends are checked where they leave). */
static int unix_peer_tracked(const struct agent *a, const unsigned char *dest, uint32_t len)
{
    int32_t pid = 0;
    if (len >= 4)
        memcpy(&pid, dest, 4);
    for (size_t i = 0; pid > 0 && i < a->nconns; i++) {
        const struct conn *k = a->conns[i];
        if (!k->control && k->hello && !k->exited && k->pid == pid)
            return 1;
    }
    return 0;
}

/* Protected bytes about to go to a trusted host elsewhere: its agent gets
 * their labels first (common/ct_peer.h).  If it does not take them, the
 * bytes cannot stay protected there: they get their class's action. */
static void carry(struct agent *a, struct conn *c, const struct ct_msg_classq *q,
                  const unsigned char *dest, struct pa_decision *d)
{
    char err[400];
    unsigned char *msg = NULL;
    size_t len = 0;
    uint64_t bytes = 0;
    for (size_t i = 0; i < d->ncarry; i++)
        bytes += d->carry[i].len;
    uint64_t id = ++a->push_id;
    int r = d->stream > 0 ? 0 : -1;
    if (r != 0)
        snprintf(err, sizeof err, "the stream has no name both ends share%s",
                 q->dest_kind == CT_DEST_UDP ? " (UDP without the sequence tag: crosstag net udptag "
                                               "attach)" : "");
    if (r == 0)
        r = peer_msg_build(a->env.store, c->proc, d->stream, q->sink_off, wall_ns(), id, d->carry,
                           d->ncarry, &msg, &len, err, sizeof err);
    if (r == 0)
        r = peer_push(&a->pcli, &a->peers, (const struct sockaddr *)dest, q->dest_len,
                      a->pol.agent_port, msg, len, id, 8000, err, sizeof err);
    free(msg);
    if (r == 0) {
        logf_("pid %d: labels of %llu protected bytes to %s went to its agent (port %u)",
              (int)c->pid, (unsigned long long)bytes, d->dest, a->pol.agent_port);
        d->ncarry = 0;
        if (!d->npieces)
            d->trusted = 1;
        return;
    }
    snprintf(a->carry_note, sizeof a->carry_note,
             "trusted destination, but the labels could not go with the bytes (agent port %u: "
             "%s): they would not stay protected there",
             a->pol.agent_port, err);
    logf_("pid %d: %llu protected bytes to %s: %s", (int)c->pid, (unsigned long long)bytes, d->dest,
          a->carry_note);
    if (pa_carry_failed(d, a->carry_note) != 0)
        d->npieces = CT_CLASSR_MAXPIECES + 1;     /* out of memory: undecided, fail closed */
}

/* Another host's agent: only from a trusted network (or this host). */
static int peer_accept(void *ctx, const struct sockaddr *sa, socklen_t len)
{
    struct agent *a = ctx;
    if (a->have_pol && (policy_trusted_host(&a->pol, sa, len) || peer_is_local(sa, len)))
        return 1;
    char ip[INET6_ADDRSTRLEN] = "?";
    const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(a6))
        inet_ntop(AF_INET, a6->s6_addr + 12, ip, sizeof ip);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, a6, ip, sizeof ip);
    else if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof ip);
    logf_("refused labels from %s: not in a trusted network of the policy", ip);
    return 0;
}

static int peer_push_in(void *ctx, const struct sockaddr *sa, socklen_t len,
                        const unsigned char *msg, size_t mlen, char *text, size_t textlen)
{
    struct agent *a = ctx;
    (void)sa;
    (void)len;
    uint64_t rows = 0;
    env_batch(&a->env);
    if (peer_msg_store(a->env.store, msg, mlen, &rows, text, textlen) != 0) {
        logf_("refused a push of labels: %s", text);
        return -1;
    }
    commit(a);                 /* stored before the sender goes on */
    if (a->env.in_batch) {
        snprintf(text, textlen, "the store is busy");
        return -1;
    }
    struct ct_peer_push h;
    memcpy(&h, msg, sizeof h);
    logf_("took labels of %llu protected byte ranges from %.*s's agent",
          (unsigned long long)rows, (int)h.host_len, (const char *)msg + sizeof h);
    return 0;
}

static void classq(void *ctx, struct conn *c, const struct ct_msg_classq *q,
                   const unsigned char *dest, const struct ct_classq_run *runs)
{
    struct agent *a = ctx;
    struct pa_decision d = { 0 };
    struct ct_msg_classr r = { .h = { CT_MSG_CLASSR, sizeof r }, .id = q->id };
    int ok = a->have_pol;
    for (int tries = 0; ok; tries++) {
        if (!a->in_classq) {
            a->in_classq = 1;
            drain_others(a, c);
            a->in_classq = 0;
        }
        commit(a);             /* the query reads what is stored */
        if (pa_decide(a->env.store, &a->pol, &c->handles, q, dest, runs,
                      q->dest_kind == CT_DEST_UNIX && unix_peer_tracked(a, dest, q->dest_len), &d) != 0) {
            ok = 0;
            break;
        }
        /* A pipe's writer may not have sent its records yet (it sends
         * them when its write returns, which may be after our read). */
        if (!d.pending || tries >= 30 || a->in_classq)
            break;
        pa_free(&d);
        usleep(10 * 1000);
    }
    if (ok && d.ncarry)
        carry(a, c, q, dest, &d);
    if (!a->have_pol)
        logf_("pid %d asked about a send, but no policy is loaded: it fails closed", (int)c->pid);
    if (!ok || d.npieces > CT_CLASSR_MAXPIECES) {
        r.flags = CT_CLASSR_UNDECIDED;
        d.npieces = 0;
    }
    uint64_t now = wall_ns();
    for (size_t i = 0; ok && i < d.nalerts; i++) {
        const struct pa_alert *al = &d.alerts[i];
        struct store_alert sa = {
            .time_ns = now, .proc = c->proc, .dest = d.dest, .cls = al->cls->name,
            .action = policy_action_name(al->action), .src_obj = al->src_obj,
            .src_start = al->src_start, .src_end = al->src_end, .bytes = al->bytes, .note = al->note,
        };
        env_batch(&a->env);
        if (store_alert(a->env.store, &sa) != 0)
            logf_("cannot store an alert: %s", store_errmsg(a->env.store));
        log_alert(a, c, &d, al, now);
    }
    /* A trusted file or a trusted peer on this host stays trusted: the
     * tracker stops asking about it (labels to other hosts must travel,
     * so those are asked about every time). */
    if (ok && d.trusted && !d.remote && d.npieces == 0 && q->dest_kind != CT_DEST_UDP)
        r.flags |= CT_CLASSR_TRUSTED;
    r.npieces = (uint32_t)d.npieces;
    r.h.len = (uint32_t)(sizeof r + d.npieces * sizeof *d.pieces);
    unsigned char *msg = malloc(r.h.len);
    if (msg) {
        memcpy(msg, &r, sizeof r);
        if (d.npieces)
            memcpy(msg + sizeof r, d.pieces, d.npieces * sizeof *d.pieces);
        commit(a);             /* alerts are stored before the send goes on */
        conn_send(c, msg, r.h.len);
        free(msg);
    }
    pa_free(&d);
}

static int add_conn(struct agent *a, int fd, pid_t pid, uid_t uid)
{
    if (a->nconns == a->cap) {
        size_t ncap = a->cap ? a->cap * 2 : 16;
        struct conn **nc = realloc(a->conns, ncap * sizeof *nc);
        if (nc)
            a->conns = nc;
        struct pollfd *np = realloc(a->pfd, (ncap + 3 + PEER_MAXIN) * sizeof *np);
        if (np)
            a->pfd = np;
        if (!nc || !np)
            return -1;
        a->cap = ncap;
    }
    struct conn *c = conn_new(fd, pid, uid);
    if (!c)
        return -1;
    a->conns[a->nconns++] = c;
    return 0;
}

/* Accepts every pending connection; returns how many. */
static int accept_all(struct agent *a)
{
    int n = 0;
    while (a->lfd >= 0) {
        int fd = accept4(a->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                if (!a->listen_paused)
                    logf_("out of file descriptors; new tracked processes wait");
                a->listen_paused = 1;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                logf_("accept: %s", strerror(errno));
            }
            return n;
        }
        struct ucred cr;
        socklen_t len = sizeof cr;
        /* Only the agent's owner and root may track through it. */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
            (cr.uid != getuid() && cr.uid != 0)) {
            logf_("refused a connection from pid %d of uid %u", (int)cr.pid, (unsigned)cr.uid);
            close(fd);
            continue;
        }
        if (add_conn(a, fd, cr.pid, cr.uid) != 0) {
            logf_("out of memory; dropping the connection from pid %d", (int)cr.pid);
            close(fd);
            continue;
        }
        n++;
    }
    return n;
}

static void conn_done(struct agent *a, struct conn *c)
{
    if (!c->control && (c->hello || c->run)) {
        struct runsum *r = runsum(a, c->run);
        if (r) {
            r->conns++;
            r->lost += c->lost;
            r->unstored += c->unstored;
        }
    }
    conn_free(c);
    a->listen_paused = 0;
}

/* Reads each connection once, oldest first: a parent's HELLO must be
 * stored before its child's so the child finds it.  Ended connections are
 * removed after the pass: answering a CLASSQ reads the others (and may
 * accept new ones) in the middle of it. */
static void read_conns(struct agent *a, size_t npfd)
{
    /* Rings first, oldest first: a parent's records written before its
     * fork are stored before its child's. */
    for (size_t i = 0; i < a->nconns; i++) {
        struct conn *c = a->conns[i];
        if (!c->ended && c->ring && ring_waiting(c->ring)) {
            a->ring_busy_ms = mono_ms();
            if (conn_pull(c, &a->env) < 0)
                c->ended = 1;
        }
    }
    for (size_t i = 0; i < a->nconns; i++) {
        struct conn *c = a->conns[i];
        if (!c->ended && i < npfd && (a->pfd[2 + i].revents & (POLLIN | POLLHUP | POLLERR)) &&
            conn_read(c, &a->env) <= 0)
            c->ended = 1;
    }
    size_t keep = 0;
    for (size_t i = 0; i < a->nconns; i++) {
        struct conn *c = a->conns[i];
        if (c->ended)
            conn_done(a, c);
        else
            a->conns[keep++] = c;
    }
    a->nconns = keep;
}

/* A run is stored once none of its trackers is connected and no
 * connection is still anonymous (it may be one of the run's). */
static int run_settled(struct agent *a, uint64_t run)
{
    for (size_t i = 0; i < a->nconns; i++) {
        const struct conn *c = a->conns[i];
        if (c->control)
            continue;
        if (!c->hello && !c->run)
            return 0;
        if (run == 0 || c->run == run)
            return 0;
    }
    return 1;
}

static void answer_syncs(struct agent *a)
{
    int any = 0;
    for (size_t i = 0; i < a->nconns; i++)
        any |= a->conns[i]->sync_pending;
    if (!any)
        return;
    /* Whatever waits in the backlog or the sockets may be the run's. */
    accept_all(a);
    for (size_t i = 0; i < a->nconns; i++) {
        struct conn *c = a->conns[i];
        if (!c->sync_pending || !run_settled(a, c->sync_run))
            continue;
        commit(a);
        if (a->env.in_batch)
            continue;           /* the store is busy: next round */
        struct runsum *r = c->sync_run ? runsum(a, c->sync_run) : NULL;
        struct ct_msg_synced s = { .h = { CT_MSG_SYNCED, sizeof s }, .run = c->sync_run,
                                   .agent_pid = getpid() };
        if (r) {
            s.conns = r->conns;
            s.lost = r->lost;
            s.unstored = r->unstored;
        }
        c->sync_pending = 0;
        conn_send(c, &s, sizeof s);
        if (a->stop && c->sync_run == 0)
            c->stop_answered = 1;   /* closed below: nothing else to wait for */
    }
    size_t keep = 0;
    for (size_t i = 0; i < a->nconns; i++) {
        if (a->conns[i]->stop_answered)
            conn_done(a, a->conns[i]);
        else
            a->conns[keep++] = a->conns[i];
    }
    a->nconns = keep;
}

/* CONTROL is answered at once (SYNCED for run 0): the client then knows
 * this agent is alive and listening, not on its way out. */
static void greet_controls(struct agent *a)
{
    for (size_t i = 0; i < a->nconns; i++) {
        struct conn *c = a->conns[i];
        if (c->control && !c->greeted) {
            c->greeted = 1;
            struct ct_msg_synced s = { .h = { CT_MSG_SYNCED, sizeof s }, .agent_pid = getpid() };
            if (a->have_pol) {
                unsigned char mask;
                s.pol_action = (uint32_t)policy_strictest(&a->pol, &mask);
                s.pol_mask = mask;
            }
            conn_send(c, &s, sizeof s);
        }
    }
}

static int listen_on(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    unlink(path);               /* a dead agent's; we hold the lock */
    mode_t old = umask(077);
    int r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (r != 0 || listen(fd, SOMAXCONN) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* The lock makes one agent per database: a second one waits a little (the
 * first may be on its way out), then gives up. */
static int take_lock(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    for (int i = 0; i < 100; i++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return fd;
        if (errno != EWOULDBLOCK)
            break;
        usleep(50 * 1000);
    }
    close(fd);
    errno = EWOULDBLOCK;
    return -1;
}

static uint64_t now_ms(void) { return mono_ms(); }

static void note_db_file(struct agent *a)
{
    struct stat st;
    if (stat(a->cfg->paths->db, &st) == 0) {
        a->db_dev = st.st_dev;
        a->db_ino = st.st_ino;
    }
}

/* Someone deleted or replaced the database under us (a user starting
 * afresh): records must go to the file that is there now.  Trackers are
 * disconnected so they reconnect and declare their process and objects in
 * the new file, resending what was not committed. */
static void check_db(struct agent *a)
{
    struct stat st;
    if (a->env.in_batch)
        return;
    if (stat(a->cfg->paths->db, &st) == 0 && st.st_dev == a->db_dev && st.st_ino == a->db_ino)
        return;
    char err[600];
    logf_("%s was deleted or replaced; reopening it", a->cfg->paths->db);
    store_close(a->env.store);
    a->env.store = store_open(a->cfg->paths->db, STORE_WRITE, err, sizeof err);
    if (!a->env.store || (a->env.host = store_host(a->env.store, a->cfg->host)) < 0) {
        logf_("cannot reopen %s: %s; exiting", a->cfg->paths->db,
              a->env.store ? store_errmsg(a->env.store) : err);
        exit(1);
    }
    note_db_file(a);
    size_t keep = 0;
    for (size_t i = 0; i < a->nconns; i++) {
        if (a->conns[i]->control)
            a->conns[keep++] = a->conns[i];
        else
            conn_free(a->conns[i]);
    }
    a->nconns = keep;
}

int agent_serve(const struct agent_cfg *cfg)
{
    struct agent a = { .cfg = cfg, .lfd = -1 };
    a.peers = (struct peer_srv){ .lfd = -1, .accept_ok = peer_accept, .on_push = peer_push_in,
                                 .ctx = &a };
    char err[600];
    int rc = 1, lockfd = take_lock(cfg->paths->lock);
    if (lockfd < 0) {
        if (errno == EWOULDBLOCK)
            logf_("another agent serves %s", cfg->paths->db);
        else
            logf_("cannot lock %s: %s", cfg->paths->lock, strerror(errno));
        return errno == EWOULDBLOCK ? 3 : 1;
    }
    a.env.store = store_open(cfg->paths->db, STORE_WRITE, err, sizeof err);
    if (!a.env.store) {
        logf_("cannot open database %s: %s", cfg->paths->db, err);
        goto out;
    }
    a.env.host = store_host(a.env.store, cfg->host);
    if (a.env.host < 0) {
        logf_("cannot write database %s: %s", cfg->paths->db, store_errmsg(a.env.store));
        goto out;
    }
    note_db_file(&a);
    a.env.say = say;
    a.env.request = request;
    a.env.classq = classq;
    a.env.policy = policy_req;
    a.env.say_ctx = &a;
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        goto out;
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    if ((a.lfd = listen_on(cfg->paths->sock)) < 0) {
        logf_("cannot listen on %s: %s", cfg->paths->sock, strerror(errno));
        goto out;
    }
    if (!(a.pfd = malloc((3 + PEER_MAXIN) * sizeof *a.pfd)))
        goto out;
    if (cfg->policy) {
        if (policy_load(cfg->policy, &a.pol, err, sizeof err) != 0) {
            logf_("%s", err);
            goto out;
        }
        a.have_pol = 1;
    }
    peer_update(&a);
    logf_("serving %s on %s (host %s)%s%s", cfg->paths->db, cfg->paths->sock, cfg->host,
          a.have_pol ? ", policy " : "", a.have_pol ? a.pol.path : "");
    /* TCP streams are named by their initial sequence numbers, which only
     * the eBPF program can see; without it (not root) they get id 0 and
     * reused 4-tuples may mix (the trackers warn). */
    if (geteuid() == 0) {
        char berr[300];
        if (tcpid_attach(berr, sizeof berr) != 0)
            logf_("cannot attach the TCP id program: %s", berr);
    }
    a.idle_since_ms = now_ms();
    rc = 0;

    for (;;) {
        a.pfd[0] = (struct pollfd){ .fd = sig_pipe[0], .events = POLLIN };
        a.pfd[1] = (struct pollfd){ .fd = a.listen_paused ? -1 : a.lfd, .events = POLLIN };
        for (size_t i = 0; i < a.nconns; i++)
            a.pfd[2 + i] = (struct pollfd){ .fd = a.conns[i]->fd, .events = POLLIN };
        size_t npfd = a.nconns;
        size_t npeer = peer_srv_fds(&a.peers, a.pfd + 2 + npfd);
        int timeout = 1000;
        if (a.env.in_batch) {
            uint64_t age = now_ms() - a.env.batch_start_ms;
            timeout = age >= BATCH_MS ? 0 : (int)(BATCH_MS - age);
        }
        /* Rings are read, not signalled: every 5 ms while one fills (the
         * tracker rings when it starts filling an empty one). */
        if (now_ms() - a.ring_busy_ms < 200 && timeout > 5)
            timeout = 5;
        int n = poll(a.pfd, 2 + npfd + npeer, timeout);
        if (n < 0 && errno != EINTR) {
            logf_("poll: %s", strerror(errno));
            rc = 1;
            break;
        }
        if (n > 0 && (a.pfd[0].revents & POLLIN)) {
            char b[64];
            while (read(sig_pipe[0], b, sizeof b) > 0)
                ;
        }
        check_db(&a);           /* before a batch opens: a stat per round */
        if (n > 0) {
            peer_srv_handle(&a.peers, a.pfd + 2 + npfd, npeer);
            read_conns(&a, npfd);
            if (a.pfd[1].revents & POLLIN)
                accept_all(&a);
        }
        greet_controls(&a);
        if (a.env.in_batch && now_ms() - a.env.batch_start_ms >= BATCH_MS)
            commit(&a);
        answer_syncs(&a);

        if (a.nconns || a.peers.nin)
            a.idle_since_ms = now_ms();
        int idle = cfg->idle_exit_s > 0 && a.nconns == 0 &&
                   now_ms() - a.idle_since_ms >= (uint64_t)cfg->idle_exit_s * 1000u;
        if ((got_stop || a.stop || idle) && a.lfd >= 0) {
            /* Draining: nobody new can connect; whoever is in the backlog
             * is served to the end. */
            logf_("%s; finishing", got_stop ? "signalled" : a.stop ? "stopping" : "idle");
            unlink(cfg->paths->sock);
            accept_all(&a);
            close(a.lfd);
            a.lfd = -1;
            a.stop = 1;
        }
        if (a.stop && a.nconns == 0)
            break;
        if (got_stop > 0 && a.stop && a.nconns) {
            /* A second signal would be needed to abandon live trackers:
             * keep serving them (they will end), but stop waiting for
             * control connections that only idle. */
            size_t keep = 0;
            for (size_t i = 0; i < a.nconns; i++) {
                struct conn *c = a.conns[i];
                if (c->control && !c->sync_pending)
                    conn_done(&a, c);
                else
                    a.conns[keep++] = c;
            }
            a.nconns = keep;
        }
    }
    commit(&a);
    logf_("exiting");
out:
    peer_srv_stop(&a.peers);
    peer_cli_close(&a.pcli);
    while (a.nconns)
        conn_done(&a, a.conns[--a.nconns]);
    free(a.conns);
    free(a.pfd);
    free(a.runs);
    if (a.lfd >= 0) {
        close(a.lfd);
        unlink(cfg->paths->sock);
    }
    if (a.env.store)
        store_close(a.env.store);
    close(lockfd);
    return rc;
}
