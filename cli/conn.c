/* conn.c — see conn.h.  Everything from the socket is untrusted: every
 * length is checked before use, and a malformed stream drops the
 * connection with a warning, never the collector. */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "ring.h"
#include "tcpid.h"
#include "ct_wire.h"
#include "store.h"

#define CONN_BUFSZ (2 * CT_WIRE_MAXMSG)   /* a full message always fits */

uint64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void say(struct conn_env *env, const struct conn *c, int level, const char *fmt, ...)
{
    char text[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    env->say(env->say_ctx, c, level, text);
}

static void store_warn(struct conn *c, struct conn_env *env)
{
    /* Say it once per connection: a failing store usually keeps failing
     * (disk full). */
    env->unstored++;
    if (c->unstored++ == 0)
        say(env, c, 2, "cannot store records: %s", store_errmsg(env->store));
}

void env_batch(struct conn_env *env)
{
    if (env->in_batch)
        return;
    if (store_begin(env->store) != 0) {
        if (env->unstored++ == 0)
            fprintf(stderr, "crosstag: cannot open a transaction: %s\n", store_errmsg(env->store));
        return;                 /* writes still go through, unbatched */
    }
    env->in_batch = 1;
    env->batch_start_ms = mono_ms();
}

struct conn *conn_new(int fd, pid_t peer_pid, uid_t peer_uid)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->buf = malloc(CONN_BUFSZ);
    if (!c->buf) {
        free(c);
        return NULL;
    }
    c->cap = CONN_BUFSZ;
    c->fd = fd;
    c->peer_pid = peer_pid;
    c->peer_uid = peer_uid;
    c->host = -1;
    c->pending_fd = -1;
    return c;
}

void conn_free(struct conn *c)
{
    if (!c)
        return;
    close(c->fd);
    if (c->pending_fd >= 0)
        close(c->pending_fd);
    ring_free(c->ring);
    hm_free(&c->handles);
    free(c->buf);
    free(c);
}

static int bad(struct conn *c, char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    (void)c;
    return -1;
}

static int on_hello(struct conn *c, struct conn_env *env, const unsigned char *m, uint32_t len,
                    char *why, size_t wn)
{
    struct ct_msg_hello h;
    if (c->hello)
        return bad(c, why, wn, "second HELLO");
    if (len < sizeof h)
        return bad(c, why, wn, "HELLO too short");
    memcpy(&h, m, sizeof h);
    if (h.magic != CT_WIRE_MAGIC)
        return bad(c, why, wn, "bad magic 0x%08x (not a crosstag tracker)", h.magic);
    if (h.version != CT_WIRE_VERSION)
        return bad(c, why, wn, "wire version %u, this crosstag speaks %u", h.version, CT_WIRE_VERSION);
    /* Records in the name of another process (or user) are refused: the
     * agent's socket may be shared by every user allowed to track. */
    if (h.pid != c->peer_pid)
        return bad(c, why, wn, "HELLO for pid %d from pid %d", (int)h.pid, (int)c->peer_pid);
    if (c->peer_uid != 0 && h.uid != c->peer_uid)
        return bad(c, why, wn, "HELLO for uid %u from uid %u", h.uid, (unsigned)c->peer_uid);
    if ((uint64_t)h.exe_len + h.argv_len > len - sizeof h)
        return bad(c, why, wn, "HELLO strings overrun the message");
    c->hello = 1;
    c->pid = h.pid;
    if (c->host < 0)
        c->host = env->host;
    struct store_proc p = {
        .host = c->host, .resume = (c->run_flags & CT_RUNF_RESUME) != 0, .pid = h.pid, .ppid = h.ppid, .uid = h.uid, .exec_seq = h.exec_seq,
        .start_ticks = h.start_ticks, .start_ns = h.time_ns,
        .exe = m + sizeof h, .exe_len = h.exe_len,
        .argv = m + sizeof h + h.exe_len, .argv_len = h.argv_len,
    };
    env_batch(env);
    c->proc = store_proc_begin(env->store, &p);
    if (c->proc < 0)
        store_warn(c, env);
    return 0;
}

static int on_object(struct conn *c, struct conn_env *env, const unsigned char *m, uint32_t len,
                     char *why, size_t wn)
{
    struct ct_msg_object o;
    if (len < sizeof o)
        return bad(c, why, wn, "OBJECT too short");
    memcpy(&o, m, sizeof o);
    if (o.name_len > len - sizeof o)
        return bad(c, why, wn, "OBJECT name overruns the message");
    if (o.handle == 0)
        return bad(c, why, wn, "object handle 0");
    /* A handle declared again rebinds it: a tracker that reconnects to a
     * restarted agent declares its objects anew, and resends records the
     * dead agent never acknowledged, declarations among them. */
    struct store_obj so = {
        .host = c->host, .kind = o.kind, .dev = o.dev, .ino = o.ino,
        .mtime_ns = o.mtime_ns, .size = o.size, .time_ns = o.time_ns,
        .new_version = (o.flags & CT_OBJF_NEWVER) != 0,
        .name = m + sizeof o, .name_len = o.name_len,
    };
    env_batch(env);
    int64_t id = store_object(env->store, &so);
    if (id < 0)
        store_warn(c, env);
    if (hm_put(&c->handles, o.handle, id) < 0)
        return bad(c, why, wn, "out of memory");
    return 0;
}

static int range_ok(uint64_t off, uint64_t len)
{
    /* SQLite holds signed 64-bit integers */
    return off <= (uint64_t)INT64_MAX && len <= (uint64_t)INT64_MAX - off;
}

/* Length from the first repetition's start to the last one's end, or 0
 * when that overflows. */
static uint64_t extent_len(uint64_t len, uint64_t step, uint64_t reps)
{
    if (reps > 1 && step > (UINT64_MAX - len) / (reps - 1))
        return 0;
    return (reps - 1) * step + len;
}

/* Checks a record's ranges and period; NULL when fine, else why not. */
static const char *flow_shape_err(const struct ct_msg_flow *f)
{
    if (f->mode != CT_MODE_ALIGNED && f->mode != CT_MODE_ALL)
        return "bad FLOW mode";
    if (f->mode == CT_MODE_ALIGNED && f->sink_len != f->src_len)
        return "aligned FLOW with sink length != source length";
    if (f->reps > 1 && f->sink_step < f->sink_len)
        return "periodic FLOW whose repetitions overlap in the sink";
    uint64_t sink_ext = extent_len(f->sink_len, f->sink_step, f->reps);
    uint64_t src_ext = extent_len(f->src_len, f->src_step, f->reps);
    if ((f->sink_len && !sink_ext) || (f->src_len && !src_ext) ||
        !range_ok(f->sink_off, sink_ext) || !range_ok(f->src_off, src_ext))
        return "FLOW range out of bounds";
    return NULL;
}

/* Trackers from before periodic flows send FLOW without reps and steps. */
#define FLOW_MIN_LEN offsetof(struct ct_msg_flow, reps)

static int on_flow(struct conn *c, struct conn_env *env, const unsigned char *m, uint32_t len,
                   char *why, size_t wn)
{
    struct ct_msg_flow f;
    int64_t sink, src;
    if (len < FLOW_MIN_LEN)
        return bad(c, why, wn, "FLOW too short");
    memset(&f, 0, sizeof f);
    memcpy(&f, m, len < sizeof f ? len : sizeof f);
    if (!hm_get(&c->handles, f.sink, &sink) || !hm_get(&c->handles, f.src, &src))
        return bad(c, why, wn, "FLOW uses undeclared handle %u", hm_get(&c->handles, f.sink, &sink) ? f.src : f.sink);
    if (f.reps <= 1) {
        f.reps = 1;             /* 0: an old tracker, or a plain flow */
        f.sink_step = f.src_step = 0;
    }
    const char *err = flow_shape_err(&f);
    if (err)
        return bad(c, why, wn, "%s: mode %u, sink %llu+%llu, source %llu+%llu, reps %llu, steps %llu/%llu",
                   err, f.mode, (unsigned long long)f.sink_off, (unsigned long long)f.sink_len,
                   (unsigned long long)f.src_off, (unsigned long long)f.src_len,
                   (unsigned long long)f.reps, (unsigned long long)f.sink_step,
                   (unsigned long long)f.src_step);
    if (f.sink_len == 0 || f.src_len == 0)
        return 0;               /* moves no bytes */
    if (c->proc < 0 || sink < 0 || src < 0) {
        env->unstored++;        /* already reported when the store refused */
        c->unstored++;
        return 0;
    }
    struct store_flow sf = {
        .proc = c->proc, .time_ns = f.time_ns, .src_time_ns = f.src_time_ns,
        .sysno = f.sysno, .mode = f.mode,
        .sink_obj = sink, .sink_start = f.sink_off, .sink_end = f.sink_off + f.sink_len,
        .src_obj = src, .src_start = f.src_off, .src_end = f.src_off + f.src_len,
        .reps = f.reps, .sink_step = f.sink_step, .src_step = f.src_step,
    };
    env_batch(env);
    if (store_flow(env->store, &sf) != 0)
        store_warn(c, env);
    return 0;
}

static int on_exit_msg(struct conn *c, struct conn_env *env, const unsigned char *m, uint32_t len,
                       char *why, size_t wn)
{
    struct ct_msg_exit e;
    if (len < sizeof e)
        return bad(c, why, wn, "EXIT too short");
    memcpy(&e, m, sizeof e);
    c->exited = 1;
    if (e.lost) {
        c->lost += e.lost;
        say(env, c, 1, "pid %d: the tracker lost %llu flow records",
            (int)c->pid, (unsigned long long)e.lost);
    }
    if (c->proc < 0)
        return 0;
    env_batch(env);
    if (store_proc_end(env->store, c->proc, e.time_ns, e.status, e.lost) != 0)
        store_warn(c, env);
    return 0;
}

static int on_note(struct conn *c, struct conn_env *env, const unsigned char *m, uint32_t len,
                   char *why, size_t wn)
{
    struct ct_msg_note n;
    if (len < sizeof n)
        return bad(c, why, wn, "NOTE too short");
    memcpy(&n, m, sizeof n);
    if (n.note_len > len - sizeof n)
        return bad(c, why, wn, "NOTE text overruns the message");
    char text[1024];
    size_t tl = n.note_len < sizeof text - 1 ? n.note_len : sizeof text - 1;
    memcpy(text, m + sizeof n, tl);
    text[tl] = '\0';           /* a NUL inside just ends the text early */
    env->say(env->say_ctx, c, n.level > 2 ? 2 : (int)n.level, text);
    return 0;
}

static int on_run(struct conn *c, struct conn_env *env, const unsigned char *m, uint32_t len,
                  char *why, size_t wn)
{
    struct ct_msg_run r;
    if (c->hello || c->run)
        return bad(c, why, wn, "RUN after HELLO or a second RUN");
    if (len < sizeof r)
        return bad(c, why, wn, "RUN too short");
    memcpy(&r, m, sizeof r);
    if (r.host_len == 0 || r.host_len > 255 || r.host_len > len - sizeof r)
        return bad(c, why, wn, "RUN host name of bad length %u", r.host_len);
    char host[256];
    memcpy(host, m + sizeof r, r.host_len);
    host[r.host_len] = '\0';
    if (strlen(host) != r.host_len)
        return bad(c, why, wn, "RUN host name holds a NUL byte");
    c->run = r.run;
    c->run_flags = r.flags;
    env_batch(env);
    c->host = store_host(env->store, host);
    if (c->host < 0) {
        store_warn(c, env);
        c->host = env->host;
    }
    return 0;
}

static int on_control(struct conn *c, const unsigned char *m, uint32_t len, char *why, size_t wn)
{
    struct ct_msg_control k;
    if (len < sizeof k)
        return bad(c, why, wn, "CONTROL too short");
    memcpy(&k, m, sizeof k);
    if (k.magic != CT_WIRE_MAGIC || k.version != CT_WIRE_VERSION)
        return bad(c, why, wn, "CONTROL with bad magic or version");
    c->control = 1;
    c->run = k.run;
    return 0;
}

static int on_request(struct conn *c, struct conn_env *env, uint32_t type, const unsigned char *m,
                      uint32_t len, char *why, size_t wn)
{
    struct ct_msg_sync q = { .run = 0 };
    if (type == CT_MSG_SYNC) {
        if (len < sizeof q)
            return bad(c, why, wn, "SYNC too short");
        memcpy(&q, m, sizeof q);
    }
    env->request(env->say_ctx, c, type, q.run);
    return 0;
}

static int on_objstate(struct conn *c, struct conn_env *env, const unsigned char *m, uint32_t len,
                       char *why, size_t wn)
{
    struct ct_msg_objstate o;
    int64_t id;
    if (len < sizeof o)
        return bad(c, why, wn, "OBJSTATE too short");
    memcpy(&o, m, sizeof o);
    if (!hm_get(&c->handles, o.handle, &id))
        return bad(c, why, wn, "OBJSTATE uses undeclared handle %u", o.handle);
    if (id < 0)
        return 0;               /* the store refused the object: already reported */
    env_batch(env);
    if (store_obj_state(env->store, id, o.mtime_ns, o.size, o.time_ns) != 0)
        store_warn(c, env);
    return 0;
}

static int on_classq(struct conn *c, struct conn_env *env, const unsigned char *m, uint32_t len,
                     char *why, size_t wn)
{
    struct ct_msg_classq q;
    if (len < sizeof q)
        return bad(c, why, wn, "CLASSQ too short");
    memcpy(&q, m, sizeof q);
    size_t dl = CT_MSG_ALIGN((size_t)q.dest_len);
    if (q.dest_len > 4096 || sizeof q + dl + (size_t)q.nruns * sizeof(struct ct_classq_run) > len)
        return bad(c, why, wn, "CLASSQ destination or runs overrun the message");
    if (!env->classq)
        return 0;
    /* Copies: the runs must be aligned, and reading other connections
     * while answering may move this buffer. */
    unsigned char *dest = malloc(q.dest_len + 1);
    struct ct_classq_run *runs = malloc((q.nruns ? q.nruns : 1) * sizeof *runs);
    if (!dest || !runs) {
        free(dest);
        free(runs);
        return bad(c, why, wn, "out of memory");
    }
    memcpy(dest, m + sizeof q, q.dest_len);
    dest[q.dest_len] = '\0';
    memcpy(runs, m + sizeof q + dl, (size_t)q.nruns * sizeof *runs);
    env->classq(env->say_ctx, c, &q, dest, runs);
    free(dest);
    free(runs);
    return 0;
}

static int on_policy(struct conn *c, struct conn_env *env, const unsigned char *m, uint32_t len,
                     char *why, size_t wn)
{
    struct ct_msg_policy p;
    if (len < sizeof p)
        return bad(c, why, wn, "POLICY too short");
    memcpy(&p, m, sizeof p);
    if (p.path_len == 0 || p.path_len >= 4096 || p.path_len > len - sizeof p)
        return bad(c, why, wn, "POLICY path of bad length %u", p.path_len);
    char path[4096];
    memcpy(path, m + sizeof p, p.path_len);
    path[p.path_len] = '\0';
    if (env->policy)
        env->policy(env->say_ctx, c, path, p.flags);
    return 0;
}

/* RING: the rest of the stream comes through shared memory. */
static int on_ring(struct conn *c, const unsigned char *m, uint32_t len, char *why, size_t wn)
{
    struct ct_msg_ring r;
    if (len < sizeof r)
        return bad(c, why, wn, "short RING");
    if (c->ring || c->pending_fd < 0)
        return bad(c, why, wn, c->ring ? "a second RING" : "RING without its memory");
    memcpy(&r, m, sizeof r);
    int fd = c->pending_fd;
    c->pending_fd = -1;
    c->ring = ring_attach(fd, r.data_size, why, wn);
    return c->ring ? 0 : -1;
}

/* Handles every complete message in the buffer; keeps a partial tail. */
static int drain(struct conn *c, struct conn_env *env, char *why, size_t wn)
{
    size_t off = 0;
    int r = 0;
    while (r == 0 && c->len - off >= sizeof(struct ct_msg_hdr)) {
        struct ct_msg_hdr h;
        memcpy(&h, c->buf + off, sizeof h);
        if (h.len < sizeof h || h.len % 8 != 0 || h.len > CT_WIRE_MAXMSG) {
            r = bad(c, why, wn, "bad message length %u (type %u)", h.len, h.type);
            break;
        }
        if (c->len - off < h.len)
            break;
        const unsigned char *m = c->buf + off;
        if (c->control) {
            if (h.type == CT_MSG_SYNC || h.type == CT_MSG_STOP)
                r = on_request(c, env, h.type, m, h.len, why, wn);
            else if (h.type == CT_MSG_POLICY)
                r = on_policy(c, env, m, h.len, why, wn);
            /* other types: a newer client's requests, skipped */
        } else if (h.type == CT_MSG_CONTROL && !c->hello && !c->run)
            r = on_control(c, m, h.len, why, wn);
        else if (h.type == CT_MSG_RUN)
            r = on_run(c, env, m, h.len, why, wn);
        else if (!c->hello && h.type != CT_MSG_HELLO)
            r = bad(c, why, wn, "message type %u before HELLO", h.type);
        else if (h.type == CT_MSG_HELLO)
            r = on_hello(c, env, m, h.len, why, wn);
        else if (h.type == CT_MSG_OBJECT)
            r = on_object(c, env, m, h.len, why, wn);
        else if (h.type == CT_MSG_FLOW)
            r = on_flow(c, env, m, h.len, why, wn);
        else if (h.type == CT_MSG_EXIT)
            r = on_exit_msg(c, env, m, h.len, why, wn);
        else if (h.type == CT_MSG_NOTE)
            r = on_note(c, env, m, h.len, why, wn);
        else if (h.type == CT_MSG_OBJSTATE)
            r = on_objstate(c, env, m, h.len, why, wn);
        else if (h.type == CT_MSG_TCPIDQ && h.len >= sizeof(struct ct_msg_tcpidq)) {
            struct ct_msg_tcpidq q;
            struct tcpid_val v = { 0 };
            memcpy(&q, m, sizeof q);
            struct ct_msg_tcpidr a = { .h = { CT_MSG_TCPIDR, sizeof a }, .id = q.id };
            a.found = (uint32_t)tcpid_lookup(q.cookie, &v);
            a.iss = v.iss;
            a.irs = v.irs;
            a.active = v.active;
            conn_send(c, &a, sizeof a);
        }
        else if (h.type == CT_MSG_RING && !c->ring) {
            r = on_ring(c, m, h.len, why, wn);
            if (r == 0)
                c->done += h.len;
            off = c->len;   /* what followed on the socket are doorbells */
            continue;
        }
        else if (h.type == CT_MSG_CLASSQ) {
            /* Counted as handled first: the answer commits, and the
             * ACK that follows must cover this request. */
            c->done += h.len;
            r = on_classq(c, env, m, h.len, why, wn);
            if (r != 0)
                c->done -= h.len;
            off += h.len;
            continue;
        }
        /* other types: newer trackers' additions, skipped */
        off += h.len;
        if (r == 0)
            c->done += h.len;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
    return r;
}

static void warn_conn(struct conn_env *env, const struct conn *c, const char *what)
{
    if (c->hello)
        say(env, c, 1, "pid %d: %s", (int)c->pid, what);
    else
        say(env, c, 1, "connection from pid %d: %s", (int)c->peer_pid, what);
}

void conn_ack(struct conn *c)
{
    if (c->control || c->done == c->acked)
        return;
    struct ct_msg_ack a = { .h = { CT_MSG_ACK, sizeof a }, .bytes = c->done };
    if (send(c->fd, &a, sizeof a, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)sizeof a)
        c->acked = c->done;
}

int conn_send(struct conn *c, const void *msg, size_t len)
{
    /* Control messages are few and small: a short blocking wait is fine. */
    const char *p = msg;
    while (len) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pf = { .fd = c->fd, .events = POLLOUT };
            if (poll(&pf, 1, 1000) == 1)
                continue;
        }
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* recv, keeping an fd that comes along (SCM_RIGHTS: a RING's memory). */
static ssize_t recv_fd(struct conn *c, void *dst, size_t cap)
{
    struct iovec iov = { dst, cap };
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } cm;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &cm, .msg_controllen = sizeof cm };
    ssize_t n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    for (struct cmsghdr *h = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; h; h = CMSG_NXTHDR(&mh, h)) {
        if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
            continue;
        int fd;
        memcpy(&fd, CMSG_DATA(h), sizeof fd);
        if (c->pending_fd >= 0)
            close(c->pending_fd);   /* only the last one can be a RING's */
        c->pending_fd = fd;
    }
    return n;
}

static int malformed(struct conn *c, struct conn_env *env, const char *why)
{
    char msg[260];
    snprintf(msg, sizeof msg, "malformed record stream (%s); dropping the connection", why);
    warn_conn(env, c, msg);
    return -1;
}

int conn_pull(struct conn *c, struct conn_env *env)
{
    char why[200];
    while (c->ring && c->len < c->cap) {
        size_t n = ring_take(c->ring, c->buf + c->len, c->cap - c->len);
        if (n == 0)
            break;
        c->len += n;
        if (drain(c, env, why, sizeof why) != 0)
            return malformed(c, env, why);
    }
    return 1;
}

/* The end of a stream: what is left is a message cut short. */
static int ended(struct conn *c, struct conn_env *env)
{
    if (c->len) {
        char why[200];
        snprintf(why, sizeof why, "stream ended inside a message (%zu bytes dropped)", c->len);
        warn_conn(env, c, why);
    }
    return 0;
}

int conn_read(struct conn *c, struct conn_env *env)
{
    char why[200];
    ssize_t n;
    if (c->ring) {
        /* doorbells on the socket; the stream is in the ring, where the
         * tracker put everything before its socket could end */
        unsigned char bells[256];
        n = recv(c->fd, bells, sizeof bells, MSG_DONTWAIT);
        if (conn_pull(c, env) < 0)
            return -1;
        if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)))
            return 1;
        if (n < 0 && errno != ECONNRESET) {
            snprintf(why, sizeof why, "read failed: %s", strerror(errno));
            warn_conn(env, c, why);
            return -1;
        }
        return ended(c, env);
    }
    n = recv_fd(c, c->buf + c->len, c->cap - c->len);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 1;
        if (errno != ECONNRESET) {
            snprintf(why, sizeof why, "read failed: %s", strerror(errno));
            warn_conn(env, c, why);
            return -1;
        }
        n = 0;                  /* a reset is an end like EOF */
    }
    if (n == 0)
        return ended(c, env);
    c->len += (size_t)n;
    if (drain(c, env, why, sizeof why) != 0)
        return malformed(c, env, why);
    return conn_pull(c, env);   /* a RING just came: what is already there */
}
