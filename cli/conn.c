/* conn.c — see conn.h.  Everything from the socket is untrusted: every
 * length is checked before use, and a malformed stream drops the
 * connection with a warning, never the collector. */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "ct_wire.h"
#include "store.h"

#define CONN_BUFSZ (2 * CT_WIRE_MAXMSG)   /* a full message always fits */

uint64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void store_warn(struct conn_env *env)
{
    /* Say it once: a failing store usually keeps failing (disk full). */
    if (env->unstored++ == 0)
        fprintf(stderr, "crosstag: cannot store records: %s\n", store_errmsg(env->store));
}

void env_batch(struct conn_env *env)
{
    if (env->in_batch)
        return;
    if (store_begin(env->store) != 0) {
        store_warn(env);
        return;                 /* writes still go through, unbatched */
    }
    env->in_batch = 1;
    env->batch_start_ms = mono_ms();
}

struct conn *conn_new(int fd, pid_t peer_pid)
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
    return c;
}

void conn_free(struct conn *c)
{
    if (!c)
        return;
    close(c->fd);
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

/* Prints a tracker NOTE with control bytes escaped: it is shown on the
 * user's terminal and must not be able to drive it. */
static void print_note(const unsigned char *t, size_t n)
{
    while (n && (t[n - 1] == '\n' || t[n - 1] == '\0'))
        n--;
    fputs("crosstag: ", stderr);
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '\t' || (t[i] >= 0x20 && t[i] != 0x7f))
            fputc(t[i], stderr);
        else if (t[i] == '\n')
            fputs("\n          ", stderr);
        else
            fprintf(stderr, "\\x%02x", t[i]);
    }
    fputc('\n', stderr);
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
    if ((uint64_t)h.exe_len + h.argv_len > len - sizeof h)
        return bad(c, why, wn, "HELLO strings overrun the message");
    c->hello = 1;
    c->pid = h.pid;
    struct store_proc p = {
        .host = env->host, .pid = h.pid, .ppid = h.ppid, .uid = h.uid, .exec_seq = h.exec_seq,
        .start_ticks = h.start_ticks, .start_ns = h.time_ns,
        .exe = m + sizeof h, .exe_len = h.exe_len,
        .argv = m + sizeof h + h.exe_len, .argv_len = h.argv_len,
    };
    env_batch(env);
    c->proc = store_proc_begin(env->store, &p);
    if (c->proc < 0)
        store_warn(env);
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
    int64_t dummy;
    if (hm_get(&c->handles, o.handle, &dummy))
        return bad(c, why, wn, "object handle %u declared twice", o.handle);
    struct store_obj so = {
        .host = env->host, .kind = o.kind, .dev = o.dev, .ino = o.ino,
        .mtime_ns = o.mtime_ns, .size = o.size, .time_ns = o.time_ns,
        .new_version = (o.flags & CT_OBJF_NEWVER) != 0,
        .name = m + sizeof o, .name_len = o.name_len,
    };
    env_batch(env);
    int64_t id = store_object(env->store, &so);
    if (id < 0)
        store_warn(env);
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
        store_warn(env);
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
        env->lost += e.lost;
        if (!env->quiet)
            fprintf(stderr, "crosstag: pid %d: the tracker lost %llu flow records\n",
                    (int)c->pid, (unsigned long long)e.lost);
    }
    if (c->proc < 0)
        return 0;
    env_batch(env);
    if (store_proc_end(env->store, c->proc, e.time_ns, e.status, e.lost) != 0)
        store_warn(env);
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
    if (!env->quiet || n.level >= 2)
        print_note(m + sizeof n, n.note_len);
    return 0;
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
        if (!c->hello && h.type != CT_MSG_HELLO)
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
        /* other types: newer trackers' additions, skipped */
        off += h.len;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
    return r;
}

static void warn_conn(const struct conn *c, const char *what)
{
    if (c->hello)
        fprintf(stderr, "crosstag: pid %d: %s\n", (int)c->pid, what);
    else
        fprintf(stderr, "crosstag: connection from pid %d: %s\n", (int)c->peer_pid, what);
}

int conn_read(struct conn *c, struct conn_env *env)
{
    char why[200];
    ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 1;
        if (errno != ECONNRESET) {
            snprintf(why, sizeof why, "read failed: %s", strerror(errno));
            warn_conn(c, why);
            return -1;
        }
        n = 0;                  /* a reset is an end like EOF */
    }
    if (n == 0) {
        if (c->len && !env->quiet) {
            snprintf(why, sizeof why, "stream ended inside a message (%zu bytes dropped)", c->len);
            warn_conn(c, why);
        }
        return 0;
    }
    c->len += (size_t)n;
    if (drain(c, env, why, sizeof why) != 0) {
        char msg[260];
        snprintf(msg, sizeof msg, "malformed record stream (%s); dropping the connection", why);
        warn_conn(c, msg);
        return -1;
    }
    return 1;
}
