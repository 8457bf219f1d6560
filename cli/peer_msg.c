/* peer_msg.c — see peer_msg.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_peer.h"
#include "peer_msg.h"
#include "store.h"

#define A8(n) CT_MSG_ALIGN(n)

/* A growable message buffer. */
struct mbuf {
    unsigned char *p;
    size_t len, cap;
    int oom;
};

static void *put(struct mbuf *b, const void *src, size_t n, size_t padded)
{
    if (b->oom)
        return NULL;
    if (b->len + padded > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->len + padded)
            nc *= 2;
        unsigned char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return NULL;
        }
        b->p = np;
        b->cap = nc;
    }
    unsigned char *at = b->p + b->len;
    memset(at, 0, padded);
    if (src)
        memcpy(at, src, n);
    b->len += padded;
    return at;
}

int peer_msg_build(struct store *st, int64_t proc, int64_t stream, uint64_t sink_off,
                   uint64_t time_ns, uint64_t id, const struct peer_piece *v, size_t n,
                   unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
    struct store_procinfo pi = { 0 };
    struct store_objinfo so = { 0 };
    struct mbuf b = { 0 };
    int rc = -1;
    if (store_proc_info(st, proc, &pi) != 0 || store_object_info(st, stream, &so) != 0) {
        snprintf(err, errlen, "the sending process or its stream is not in the store");
        goto out;
    }
    struct ct_peer_push h = {
        .h = { CT_PEER_PUSH, 0 }, .magic = CT_PEER_MAGIC, .version = CT_PEER_VERSION, .id = id,
        .time_ns = time_ns, .pid = pi.pid, .exec_seq = pi.exec_seq, .start_ticks = pi.start_ticks,
        .stream_kind = so.kind, .npieces = (uint32_t)n, .host_len = (uint32_t)strlen(pi.host_name),
        .stream_len = (uint32_t)so.name_len, .argv_len = (uint32_t)pi.argv_len,
    };
    put(&b, &h, sizeof h, sizeof h);
    put(&b, pi.host_name, h.host_len, A8(h.host_len));
    put(&b, so.name, so.name_len, A8(so.name_len));
    put(&b, pi.argv, pi.argv_len, A8(pi.argv_len));
    for (size_t i = 0; i < n && !b.oom; i++) {
        struct store_objinfo o = { 0 };
        if (store_object_info(st, v[i].src_obj, &o) != 0) {
            snprintf(err, errlen, "an original source is not in the store");
            goto out;
        }
        size_t hl = strlen(o.host_name);
        struct ct_peer_piece p = {
            .sink_start = sink_off + v[i].rel, .sink_end = sink_off + v[i].rel + v[i].len,
            .src_start = v[i].src_start, .src_end = v[i].src_end, .src_dev = o.dev,
            .src_ino = o.ino, .src_kind = o.kind, .mode = v[i].mode,
            .host_len = (uint32_t)hl, .name_len = (uint32_t)o.name_len,
        };
        put(&b, &p, sizeof p, sizeof p);
        unsigned char *s = put(&b, NULL, 0, A8(hl + o.name_len));
        if (s) {
            memcpy(s, o.host_name, hl);
            memcpy(s + hl, o.name, o.name_len);
        }
        free(o.name);
    }
    if (b.oom || b.len > CT_PEER_MAXMSG) {
        snprintf(err, errlen, b.oom ? "out of memory" : "too many protected pieces for one message");
        goto out;
    }
    ((struct ct_peer_push *)b.p)->h.len = (uint32_t)b.len;
    *out = b.p;
    *outlen = b.len;
    b.p = NULL;
    rc = 0;
out:
    free(b.p);
    free(pi.argv);
    free(so.name);
    return rc;
}

/* A reader over the message that never goes past its end. */
struct rd {
    const unsigned char *p;
    size_t left;
};

static const void *take(struct rd *r, size_t n)
{
    size_t padded = A8(n);
    if (padded < n || padded > r->left)
        return NULL;
    const void *at = r->p;
    r->p += padded;
    r->left -= padded;
    return at;
}

/* A host name from the wire, NUL-terminated, within store limits. */
static int host_name(const unsigned char *s, size_t n, char out[256])
{
    if (n == 0 || n >= 256 || memchr(s, '\0', n))
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

int peer_msg_store(struct store *st, const unsigned char *m, size_t len, uint64_t *rows,
                   char *err, size_t errlen)
{
    struct rd r = { m, len };
    struct ct_peer_push h;
    const void *hp = take(&r, sizeof h);
    *rows = 0;
    if (!hp) {
        snprintf(err, errlen, "PUSH too short");
        return -1;
    }
    memcpy(&h, hp, sizeof h);
    if (h.magic != CT_PEER_MAGIC || h.version != CT_PEER_VERSION) {
        snprintf(err, errlen, "not a crosstag agent of this version (magic %08x, version %u)",
                 (unsigned)h.magic, (unsigned)h.version);
        return -1;
    }
    char host[256];
    const unsigned char *hs = take(&r, h.host_len), *sn = take(&r, h.stream_len),
                        *av = take(&r, h.argv_len);
    if (!hs || !sn || !av || host_name(hs, h.host_len, host) != 0 || h.stream_len == 0) {
        snprintf(err, errlen, "PUSH with a bad host, stream or argv");
        return -1;
    }
    int64_t hid = store_host(st, host);
    if (hid < 0)
        goto store_err;
    struct store_proc sp = {
        .host = hid, .resume = 1, .pid = h.pid, .exec_seq = h.exec_seq, .start_ticks = h.start_ticks,
        .start_ns = h.time_ns, .exe = av, .exe_len = h.argv_len ? strnlen((const char *)av, h.argv_len) : 0,
        .argv = av, .argv_len = h.argv_len,
    };
    int64_t proc = store_proc_begin(st, &sp);
    struct store_obj so = { .host = hid, .kind = h.stream_kind, .time_ns = h.time_ns,
                            .name = sn, .name_len = h.stream_len };
    int64_t stream = proc < 0 ? -1 : store_object(st, &so);
    if (stream < 0)
        goto store_err;
    for (uint32_t i = 0; i < h.npieces; i++) {
        struct ct_peer_piece p;
        const void *pp = take(&r, sizeof p);
        if (!pp) {
            snprintf(err, errlen, "PUSH shorter than its %u pieces", (unsigned)h.npieces);
            return -1;
        }
        memcpy(&p, pp, sizeof p);
        const unsigned char *s = (size_t)p.host_len + p.name_len < p.host_len ? NULL
                                 : take(&r, (size_t)p.host_len + p.name_len);
        char shost[256];
        if (!s || host_name(s, p.host_len, shost) != 0 || p.name_len == 0 ||
            p.sink_start >= p.sink_end || p.src_start >= p.src_end ||
            (p.mode != CT_MODE_ALIGNED && p.mode != CT_MODE_ALL) ||
            (p.mode == CT_MODE_ALIGNED && p.sink_end - p.sink_start != p.src_end - p.src_start)) {
            snprintf(err, errlen, "PUSH piece %u is malformed", (unsigned)i);
            return -1;
        }
        int64_t sh = store_host(st, shost);
        struct store_obj o = { .host = sh, .kind = p.src_kind, .dev = p.src_dev, .ino = p.src_ino,
                               .time_ns = h.time_ns, .name = s + p.host_len, .name_len = p.name_len };
        int64_t src = sh < 0 ? -1 : store_object(st, &o);
        struct store_flow f = {
            .proc = proc, .time_ns = h.time_ns, .src_time_ns = h.time_ns, .mode = p.mode,
            .sink_obj = stream, .sink_start = p.sink_start, .sink_end = p.sink_end,
            .src_obj = src, .src_start = p.src_start, .src_end = p.src_end, .reps = 1,
        };
        if (src < 0 || store_flow(st, &f) != 0)
            goto store_err;
        (*rows)++;
    }
    if (r.left) {
        snprintf(err, errlen, "PUSH has %zu bytes after its pieces", r.left);
        return -1;
    }
    return 0;
store_err:
    snprintf(err, errlen, "cannot store: %s", store_errmsg(st));
    return -1;
}
