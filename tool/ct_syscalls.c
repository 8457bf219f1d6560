/* ct_syscalls.c — sources and sinks: where labels enter and leave.
 *
 * Sources label the bytes a syscall put into memory with fresh direct
 * labels (object, offset).  Sinks read the labels of the bytes a syscall
 * took from memory and emit flow records.  Kernel-side copies (sendfile,
 * splice, tee, copy_file_range) never pass through memory: they become one
 * aligned flow from the source offsets to the sink offsets.
 *
 * Offsets: for seekable files the kernel's file position after the call
 * (lseek(fd, 0, SEEK_CUR) - bytes) — exact for lseek, O_APPEND and dup'd
 * descriptors sharing one open file description; for pipes and terminals
 * a byte counter per object and direction; sockets are named and counted
 * per direction of each connection in ct_sockets.c (io_obj).
 *
 * The core clears the shadow of every byte a syscall writes (post_mem_write
 * in ct_main.c) before these post handlers run, so a read from a non-source
 * leaves clean bytes without any work here.
 */
#include "ct_syscalls.h"
#include "ct_objects.h"
#include "ct_sockets.h"
#include "ct_emit.h"
#include "ct_labels.h"
#include "ct_shadow.h"
#include "ct_objstate.h"
#include "ct_shm.h"
#include "ct_policy.h"
#include "pub_tool_libcfile.h"
#include "pub_tool_threadstate.h"
#include "pub_tool_vki.h"
#include "pub_tool_vkiscnums.h"

#define CT_MSG_PEEK 0x2          /* not in Valgrind 3.19's vki headers */
#ifndef __NR_openat2
#define __NR_openat2 437
#endif

/* What a handler needs to remember from before the call, per thread
 * (blocking syscalls of several threads can be in flight at once). */
struct pre_state {
    ULong t_pre;                      /* when a sink call started */
    ULong off_in, off_out;
    Bool has_off_in, has_off_out;
    Bool existed;
    Bool pre_sunk;                    /* a pipe write's flows went out before the call */
};
static struct pre_state *pre_states;

void sc_init(void)
{
    pre_states = VG_(calloc)("ct.pre", VG_N_THREADS + 1, sizeof *pre_states);
}

/* ---------------- sources ---------------- */

/* The deferred clear of a read's buffer (ct_syscalls.h). */
static struct {
    Bool active, taken;
    ThreadId tid;
    Addr buf, a, la;
    SizeT cap, len, ln;
} dfr;

void sc_defer_begin(ThreadId tid, UInt sysno, const UWord *args)
{
    dfr.active = sysno == __NR_read || sysno == __NR_pread64 || sysno == __NR_recvfrom;
    dfr.taken = False;
    dfr.ln = 0;
    dfr.tid = tid;
    dfr.buf = args[1];
    dfr.cap = args[2];
}

Bool sc_defer_take(ThreadId tid, Addr a, SizeT len)
{
    if (!dfr.active || dfr.taken || tid != dfr.tid || a < dfr.buf || len > dfr.cap ||
        a - dfr.buf > dfr.cap - len)
        return False;
    dfr.taken = True;
    dfr.a = a;
    dfr.len = len;
    return True;
}

void sc_defer_end(void)
{
    if (dfr.active && dfr.taken) {
        /* clear what the source left: all of it, or what lies around the
         * labelled piece (a UDP tag's trailer, a read from no source) */
        Addr e = dfr.a + dfr.len;
        if (dfr.ln == 0) sh_fill(dfr.a, dfr.len, 0);
        else {
            if (dfr.la > dfr.a) sh_fill(dfr.a, dfr.la - dfr.a, 0);
            if (dfr.la + dfr.ln < e) sh_fill(dfr.la + dfr.ln, e - (dfr.la + dfr.ln), 0);
        }
    }
    dfr.active = dfr.taken = False;
}

static void label_bytes(struct ct_obj *o, Addr buf, ULong n, ULong off)
{
    if (!o->is_source || n == 0) return;
    ct_need_tracking();
    Bool coarse;
    UInt base = lab_alloc(o->handle, off, n, ct_now_ns(), &coarse);
    static Bool warned;
    if (coarse && !warned) {
        warned = True;
        em_note(1, "label space exhausted: later reads are labelled per read, not per byte");
    }
    if (base == 0) return;
    if (coarse) sh_fill(buf, n, base);
    else sh_linear(buf, n, base);
    if (dfr.taken && buf >= dfr.a && buf + n <= dfr.a + dfr.len && dfr.ln == 0) {
        dfr.la = buf;                 /* these bytes need no clear */
        dfr.ln = n;
    }
}

/* Start offset of n bytes just moved through fd. */
static ULong stream_start(Int fd, struct ct_obj *o, ULong n, Bool reading, Bool advance)
{
    if (o->seekable) {
        Off64T pos = VG_(lseek)(fd, 0, VKI_SEEK_CUR);
        if (pos >= 0 && (ULong)pos >= n) return (ULong)pos - n;
    }
    ULong *ctr = reading ? &o->rd_off : &o->wr_off;
    ULong s = *ctr;
    if (advance) *ctr += n;
    return s;
}

/* The object n bytes just moved through fd belong to, and the offset of
 * the first (*off).  Sockets: the direction of the connection (ct_sockets.c;
 * addr/addrlen the peer address a datagram call named, or 0). */
static struct ct_obj *io_obj(Int fd, ULong n, Bool reading, Bool advance, Addr addr, UInt addrlen,
                             ULong *off)
{
    struct ct_obj *o = obj_for_fd(fd);
    if (!o) return NULL;
    if (o->kind == CT_OBJ_SOCKET && !o->seekable)
        return sock_io(fd, o, reading, advance, n, addr, addrlen, off);
    *off = stream_start(fd, o, n, reading, advance);
    return o;
}

/* The address length a call left at ptr (a socklen_t *), 0 without one. */
static UInt addrlen_at(UWord ptr)
{
    return ptr ? *(const UInt *)ptr : 0;
}

/* A read-like call put n bytes from fd at buf (consume: the stream moved). */
static void source_read(Int fd, Addr buf, ULong n, Bool consume, Addr addr, UInt addrlen)
{
    if (n == 0) return;
    ULong off;
    struct ct_obj *o = io_obj(fd, n, True, consume, addr, addrlen, &off);
    if (o) label_bytes(o, buf, n, off);
}

static void label_iov(struct ct_obj *o, const struct vki_iovec *iov, ULong cnt, ULong n, ULong off)
{
    for (ULong k = 0; k < cnt && n; k++) {
        ULong take = iov[k].iov_len < n ? iov[k].iov_len : n;
        label_bytes(o, (Addr)iov[k].iov_base, take, off);
        off += take;
        n -= take;
    }
}

/* ---------------- sinks ---------------- */

/* Run finders over ids in place (4 at a time: a sink walks every byte a
 * program writes out).  Each returns the first j in (i, k) where the run
 * that starts at i ends, or k. */
typedef UInt v4u __attribute__((vector_size(16), aligned(4)));
typedef char v16c __attribute__((vector_size(16)));

static inline UInt v4_all_equal(v4u a, v4u b)
{
    return (UInt)__builtin_ia32_pmovmskb128((v16c)(a == b)) == 0xffff;
}

/* ids[i], ids[i]+1, ids[i]+2, ... */
static ULong run_linear(const UInt *ids, ULong i, ULong k)
{
    UInt id = ids[i];
    ULong j = i + 1;
    if (j + 4 <= k) {
        v4u want = { id + 1, id + 2, id + 3, id + 4 }, four = { 4, 4, 4, 4 };
        for (; j + 4 <= k && v4_all_equal(*(const v4u *)(ids + j), want); j += 4) want += four;
    }
    while (j < k && ids[j] == id + (UInt)(j - i)) j++;
    return j;
}

/* ids[i] repeated */
static ULong run_same(const UInt *ids, ULong i, ULong k)
{
    UInt id = ids[i];
    ULong j = i + 1;
    if (j + 4 <= k) {
        v4u want = { id, id, id, id };
        while (j + 4 <= k && v4_all_equal(*(const v4u *)(ids + j), want)) j += 4;
    }
    while (j < k && ids[j] == id) j++;
    return j;
}

/* len bytes at rel whose labels are the direct labels id, id+1, ... of
 * chunk c (one id, for a coarse chunk standing for its whole read). */
static void direct_run(const struct lab_chunk *c, UInt id, ULong rel, ULong len, UInt skip_handle,
                       sink_fn fn, void *ctx)
{
    if (c->handle == skip_handle) return;
    if (c->coarse)
        fn(ctx, rel, len, c->handle, c->off, c->coarse_len, CT_MODE_ALL, shm_read_time(c));
    else
        fn(ctx, rel, len, c->handle, c->off + (id - c->base), len, CT_MODE_ALIGNED, shm_read_time(c));
}

/* The source runs of one stretch of ids (bytes rel.. of the buffer). */
static void walk_ids(const UInt *ids, ULong k, ULong rel, UInt skip_handle, sink_fn fn, void *ctx)
{
    ULong i = 0;
    while (i < k) {
        UInt id = ids[i];
        if (id == 0) {
            i = run_same(ids, i, k);
            continue;
        }
        ULong j;
        if (!lab_is_set(id)) {
            const struct lab_chunk *c = lab_chunk_of(id);
            if (!c) { i++; continue; }
            if (c->coarse) {
                j = run_same(ids, i, k);
            } else {
                /* a run never leaves its chunk (the next ids may be another read's) */
                ULong lim = k, left = c->base + c->len - id;
                if (lim - i > left) lim = i + left;
                j = run_linear(ids, i, lim);
            }
            direct_run(c, id, rel + i, j - i, skip_handle, fn, ctx);
        } else {
            j = run_same(ids, i, k);
            UInt nr, tmp[2];
            const UInt *r = lab_ranges(id, &nr, tmp);
            for (UInt q = 0; q < nr; q++) {
                UInt l = r[2 * q];
                while (l < r[2 * q + 1]) {
                    const struct lab_chunk *c = lab_chunk_of(l);
                    if (!c) { l++; continue; }
                    UInt cend = c->base + c->len, hi = r[2 * q + 1] < cend ? r[2 * q + 1] : cend;
                    if (c->handle != skip_handle) {
                        if (c->coarse)
                            fn(ctx, rel + i, j - i, c->handle, c->off, c->coarse_len, CT_MODE_ALL,
                               shm_read_time(c));
                        else
                            fn(ctx, rel + i, j - i, c->handle, c->off + (l - c->base), hi - l,
                               CT_MODE_ALL, shm_read_time(c));
                    }
                    l = hi;
                }
            }
        }
        i = j;
    }
}

/* The runs of k bytes whose ids are first, first+1, ...: one aligned run
 * per chunk (read) they fall in. */
static void walk_linear(UInt first, ULong k, ULong rel, UInt skip_handle, sink_fn fn, void *ctx)
{
    ULong i = 0;
    while (i < k) {
        UInt id = first + (UInt)i;
        const struct lab_chunk *c = lab_chunk_of(id);
        if (!c) { i++; continue; }
        ULong len = c->base + c->len - id;
        if (len > k - i) len = k - i;
        if (c->coarse)                      /* one id standing for a whole read: a run of one */
            len = 1;
        direct_run(c, id, rel + i, len, skip_handle, fn, ctx);
        i += len;
    }
}

/* Runs cut where a linear page meets ids (ct_shadow.h) joined again: the
 * same runs the ids alone would give. */
struct merge {
    sink_fn fn;
    void *ctx;
    Bool have;
    ULong rel, len, src_off, src_len, time;
    UInt src, mode;
};

static void merge_flush(struct merge *m)
{
    if (m->have) m->fn(m->ctx, m->rel, m->len, m->src, m->src_off, m->src_len, m->mode, m->time);
    m->have = False;
}

static void merge_run(void *vm, ULong rel, ULong len, UInt src, ULong src_off, ULong src_len, UInt mode,
                      ULong time)
{
    struct merge *m = vm;
    if (m->have && mode == CT_MODE_ALIGNED && m->mode == CT_MODE_ALIGNED && src == m->src &&
        time == m->time && m->rel + m->len == rel && m->src_off + m->src_len == src_off) {
        m->len += len;
        m->src_len += src_len;
        return;
    }
    merge_flush(m);
    m->have = True;
    m->rel = rel; m->len = len; m->src = src; m->src_off = src_off; m->src_len = src_len;
    m->mode = mode; m->time = time;
}

/* Bytes [off, off+k) of an array secondary: ids read in place, linear
 * pages (a run each, consecutive ones together) computed. */
static void walk_sec(const UInt *sec, UWord off, ULong k, ULong rel, UInt skip_handle, sink_fn fn, void *ctx)
{
    const UChar *pg = sh_pages(sec);
    UWord q0 = off >> SH_PAGE_BITS, q1 = (off + k - 1) >> SH_PAGE_BITS, q;
    Bool any = False;
    for (q = q0; q <= q1; q++) any |= pg[q] == SH_PG_LINEAR;
    if (!any) { walk_ids(sec + off, k, rel, skip_handle, fn, ctx); return; }
    struct merge m = { fn, ctx, False, 0, 0, 0, 0, 0, 0, 0 };
    ULong i = 0;
    while (i < k) {
        UWord o = off + i;
        q = o >> SH_PAGE_BITS;
        /* the longest piece of one kind: linear pages whose runs continue
         * each other, or pages of ids */
        Bool lin = pg[q] == SH_PG_LINEAR;
        UInt first = lin ? sh_lin(sec)[q] + (UInt)(o & (SH_PAGE - 1)) : 0;
        ULong j = i + (SH_PAGE - (o & (SH_PAGE - 1)));
        while (j < k) {
            UWord p = (off + j) >> SH_PAGE_BITS;
            if ((pg[p] == SH_PG_LINEAR) != lin) break;
            if (lin && sh_lin(sec)[p] != first + (UInt)(j - i)) break;
            j += SH_PAGE;
        }
        if (j > k) j = k;
        if (lin) walk_linear(first, j - i, rel + i, skip_handle, merge_run, &m);
        else walk_ids(sec + o, j - i, rel + i, skip_handle, merge_run, &m);
        i = j;
    }
    merge_flush(&m);
}

/* The source runs of n bytes at buf: runs of consecutive direct labels
 * are aligned runs; a byte carrying a set gives "all" runs from each range
 * of the set.  fn gets each with its offset in the buffer.  skip_handle (a
 * shared mapping's own file) drops bytes that merely came from where they
 * go.  Flows (sink_bytes_skip) and policy questions (ct_policy.c) both
 * walk the bytes this way, reading the shadow in place, one secondary at a
 * time (a run split where a secondary ends is joined again by the record
 * stream, which merges adjacent aligned flows). */
void sink_walk(Addr buf, ULong n, UInt skip_handle, sink_fn fn, void *ctx)
{
    ULong done = 0;
    while (done < n) {
        Addr a = buf + done;
        ULong room = SH_SEC_SIZE - (a & SH_SEC_MASK), k = n - done < room ? n - done : room;
        UWord r = sh_sec_raw(a), off = a & SH_SEC_MASK;
        if (SH_LINEAR(r)) walk_linear(SH_LINEAR_FIRST(r) + (UInt)off, k, done, skip_handle, fn, ctx);
        else if (SH_HOLEY(r)) {
            /* the runs between cleared bytes */
            const struct sh_holey *h = SH_HOLEY_OF(r);
            ULong i = 0;
            while (i < k) {
                if (sh_hole(h, off + i)) { i++; continue; }
                ULong j = i + 1;
                while (j < k && !sh_hole(h, off + j)) j++;
                walk_linear(h->first + (UInt)(off + i), j - i, done + i, skip_handle, fn, ctx);
                i = j;
            }
        }
        else if (r) walk_sec((const UInt *)r, off, k, done, skip_handle, fn, ctx);
        done += k;
    }
}

struct flow_ctx { struct ct_obj *o; ULong off; UInt sysno; };

static void flow_run(void *vc, ULong rel, ULong len, UInt src, ULong src_off, ULong src_len, UInt mode,
                     ULong src_time)
{
    struct flow_ctx *fc = vc;
    em_flow(fc->o->handle, fc->off + rel, len, src, src_off, src_len, mode, src_time, fc->sysno);
}

/* Flows for n bytes at buf written to object `o` at offset off. */
void sink_bytes_skip(struct ct_obj *o, ULong off, Addr buf, ULong n, UInt sysno, UInt skip_handle)
{
    struct flow_ctx fc = { o, off, sysno };
    sink_walk(buf, n, skip_handle, flow_run, &fc);
}

static void sink_bytes(struct ct_obj *o, ULong off, Addr buf, ULong n, UInt sysno)
{
    sink_bytes_skip(o, off, buf, n, sysno, 0);
}

/* A write-like call moved n bytes from memory to fd (addr: a datagram's
 * destination, or 0). */
static void sink_fd(Int fd, Addr buf, ULong n, UInt sysno, Addr addr, UInt addrlen)
{
    struct ct_obj *o = obj_for_fd(fd);
    if (!o || n == 0) return;
    if (!sh_any(buf, n)) {               /* fast path: nothing labelled */
        if (o->kind == CT_OBJ_SOCKET) sock_sent_clean(fd, o, n, addr, addrlen);
        else if (!o->seekable) o->wr_off += n;
        return;
    }
    ULong off;
    o = io_obj(fd, n, False, True, addr, addrlen, &off);
    if (o) sink_bytes(o, off, buf, n, sysno);
}

static void sink_iov(Int fd, const struct vki_iovec *iov, ULong cnt, ULong n, UInt sysno, Bool has_off, ULong off,
                     Addr addr, UInt addrlen)
{
    struct ct_obj *o = obj_for_fd(fd);
    if (!o || n == 0) return;
    if (!has_off) o = io_obj(fd, n, False, True, addr, addrlen, &off);
    if (!o) return;
    for (ULong k = 0; k < cnt && n; k++) {
        ULong take = iov[k].iov_len < n ? iov[k].iov_len : n;
        if (sh_any((Addr)iov[k].iov_base, take)) sink_bytes(o, off, (Addr)iov[k].iov_base, take, sysno);
        off += take;
        n -= take;
    }
}

/* The kernel copied n bytes from in to out without user memory. */
static void kernel_copy(Int in_fd, Bool has_in, ULong in_off, Bool consume_in,
                        Int out_fd, Bool has_out, ULong out_off, ULong n, UInt sysno)
{
    struct ct_obj *in = obj_for_fd(in_fd), *out = obj_for_fd(out_fd);
    if (!in || !out || n == 0) return;
    if (!has_in) in = io_obj(in_fd, n, True, consume_in, 0, 0, &in_off);
    if (!has_out) out = io_obj(out_fd, n, False, True, 0, 0, &out_off);
    if (!in || !out) return;
    if (ct_opt.policy && out->kind == CT_OBJ_FILE) pol_post_copy(out_fd, out_off, n);
    if (!in->is_source) return;
    em_flow(out->handle, out_off, n, in->handle, in_off, n, CT_MODE_ALIGNED, ct_now_ns(), sysno);
    em_flush();
}

/* Bytes of shared writable mappings in [a, a+len) go to their files. */
static void sink_shmaps(Addr a, ULong len, Bool unmap)
{
    shm_flush(a, len, unmap, __NR_msync);
    em_flush();
}

void sc_flush_all_mappings(void)
{
    sink_shmaps(0, ~0ULL, False);
}

/* ---------------- the handlers ---------------- */

#define A(i) (args[i])

static Bool read_u64(UWord ptr, ULong *out)
{
    if (!ptr) return False;
    *out = *(const ULong *)ptr;
    return True;
}

/* With a policy, a write into a pipe sends its flows before the call:
 * a tracked reader may read (and ask the agent about) the bytes while the
 * write still blocks on a full pipe, and the agent must know where they
 * came from by then.  The pipe offsets are the requested ones; a short
 * write's tail is claimed again by the next write (newest write wins). */
static Bool pipe_write_early(struct pre_state *p, UInt sysno, UWord *args)
{
    struct ct_obj *o = obj_for_fd((Int)args[0]);
    if (!o || o->kind != CT_OBJ_PIPE || o->seekable) return False;
    em_set_sink_time(p->t_pre);
    if (sysno == __NR_write) {
        if (args[2] && sh_any(args[1], args[2])) sink_bytes(o, o->wr_off, args[1], args[2], sysno);
    } else {
        const struct vki_iovec *iov = (const struct vki_iovec *)args[1];
        ULong off = o->wr_off;
        for (ULong k = 0; iov && k < args[2]; k++) {
            if (iov[k].iov_len && sh_any((Addr)iov[k].iov_base, iov[k].iov_len))
                sink_bytes(o, off, (Addr)iov[k].iov_base, iov[k].iov_len, sysno);
            off += iov[k].iov_len;
        }
    }
    em_flush();
    return True;
}

void sc_pre(ThreadId tid, UInt sysno, UWord *args, UInt nargs)
{
    (void)nargs;
    struct pre_state *p = &pre_states[tid];
    os_pre(sysno, args);
    shm_pre(sysno, args);
    pol_pre(tid, sysno, args);     /* leak prevention: before the bytes leave */
    switch (sysno) {
    case __NR_write: case __NR_pwrite64: case __NR_writev: case __NR_pwritev: case __NR_pwritev2:
    case __NR_sendto: case __NR_sendmsg: case __NR_sendmmsg: case __NR_tee: case __NR_msync:
        p->t_pre = ct_now_ns();
        break;
    default:
        break;
    }
    p->pre_sunk = False;
    if (ct_opt.policy && (sysno == __NR_write || sysno == __NR_writev))
        p->pre_sunk = pipe_write_early(p, sysno, args);
    switch (sysno) {
    case __NR_sendfile:
        p->t_pre = ct_now_ns();
        p->has_off_in = read_u64(A(2), &p->off_in);
        break;
    case __NR_splice:
    case __NR_copy_file_range:
        p->t_pre = ct_now_ns();
        p->has_off_in = read_u64(A(1), &p->off_in);
        p->has_off_out = read_u64(A(3), &p->off_out);
        break;
    case __NR_open: case __NR_openat: {
        UWord path = sysno == __NR_open ? A(0) : A(1);
        Int dirfd = sysno == __NR_open ? VKI_AT_FDCWD : (Int)A(0);
        UWord flags = sysno == __NR_open ? A(1) : A(2);
        p->existed = True;
        if (flags & VKI_O_CREAT) {
            struct vki_stat st;
            SysRes r = ct_syscall(__NR_newfstatat, (UWord)dirfd, path, (UWord)&st, 0, 0, 0);
            p->existed = !sr_isError(r);
        }
        break;
    }
    case __NR_close:
        fd_forget((Int)A(0));
        break;
    case __NR_chroot:
        obj_chroot_pre((const HChar *)A(0));
        break;
    case __NR_connect:                   /* before: a non-blocking connect "fails" EINPROGRESS */
        sock_set_role((Int)A(0), True, False);
        break;
    case __NR_munmap:
        sink_shmaps(A(0), A(1), True);
        break;
    case __NR_execve: case __NR_execveat: case __NR_exit_group:
        sc_flush_all_mappings();
        em_flush();
        break;
    default:
        break;
    }
}

void sc_post(ThreadId tid, UInt sysno, UWord *args, UInt nargs, SysRes res)
{
    (void)nargs;
    if (sr_isError(res)) return;
    struct pre_state *p = &pre_states[tid];
    ULong r = sr_Res(res);
    Int fd = (Int)A(0);
    struct ct_obj *o;
    ULong off;
    em_set_sink_time(p->t_pre);
    os_post(sysno, args, r);

    switch (sysno) {
    /* ---- sources ---- */
    case __NR_read:
        source_read(fd, A(1), r, True, 0, 0);
        break;
    case __NR_pread64:
        if ((o = obj_for_fd(fd))) label_bytes(o, A(1), r, A(3));
        break;
    case __NR_readv:
        if (r && (o = io_obj(fd, r, True, True, 0, 0, &off)))
            label_iov(o, (const struct vki_iovec *)A(1), A(2), r, off);
        break;
    case __NR_preadv:
        if ((o = obj_for_fd(fd))) label_iov(o, (const struct vki_iovec *)A(1), A(2), r, A(3));
        break;
    case __NR_preadv2:
        if (!r) break;
        if ((Long)A(3) == -1) o = io_obj(fd, r, True, True, 0, 0, &off);   /* the current position */
        else o = obj_for_fd(fd), off = A(3);
        if (o) label_iov(o, (const struct vki_iovec *)A(1), A(2), r, off);
        break;
    case __NR_recvfrom:
        source_read(fd, A(1), r, !(A(3) & CT_MSG_PEEK), A(4), A(4) ? addrlen_at(A(5)) : 0);
        break;
    case __NR_recvmsg:
        if (r) {
            const struct vki_msghdr *m = (const struct vki_msghdr *)A(1);
            o = io_obj(fd, r, True, !(A(2) & CT_MSG_PEEK), (Addr)m->msg_name,
                       m->msg_name ? m->msg_namelen : 0, &off);
            if (o) label_iov(o, m->msg_iov, m->msg_iovlen, r, off);
        }
        break;
    case __NR_recvmmsg:
        {
            const struct vki_mmsghdr *mv = (const struct vki_mmsghdr *)A(1);
            for (ULong k = 0; k < r; k++) {
                const struct vki_msghdr *m = &mv[k].msg_hdr;
                ULong n = mv[k].msg_len;
                o = io_obj(fd, n, True, !(A(3) & CT_MSG_PEEK), (Addr)m->msg_name,
                           m->msg_name ? m->msg_namelen : 0, &off);
                if (o) label_iov(o, m->msg_iov, m->msg_iovlen, n, off);
            }
        }
        break;
    case __NR_mmap: {
        if (A(3) & VKI_MAP_ANONYMOUS || (Int)A(4) < 0) break;
        o = obj_for_fd((Int)A(4));
        if (!o || o->kind != CT_OBJ_FILE) break;
        struct vg_stat st;
        if (VG_(fstat)((Int)A(4), &st) != 0) break;
        ULong off = A(5), size = (ULong)st.size;
        ULong n = off >= size ? 0 : (size - off < A(1) ? size - off : A(1));
        if (A(3) & VKI_MAP_SHARED) shm_map(o, r, A(1), off, n, A(2));
        else label_bytes(o, r, n, off);
        break;
    }

    /* ---- sinks ---- */
    case __NR_write:
        if (p->pre_sunk) { if ((o = obj_for_fd(fd))) o->wr_off += r; break; }
        sink_fd(fd, A(1), r, sysno, 0, 0);
        em_flush();
        break;
    case __NR_pwrite64:
        if ((o = obj_for_fd(fd)) && sh_any(A(1), r)) sink_bytes(o, A(3), A(1), r, sysno);
        em_flush();
        break;
    case __NR_writev:
        if (p->pre_sunk) { if ((o = obj_for_fd(fd))) o->wr_off += r; break; }
        sink_iov(fd, (const struct vki_iovec *)A(1), A(2), r, sysno, False, 0, 0, 0);
        em_flush();
        break;
    case __NR_pwritev:
        sink_iov(fd, (const struct vki_iovec *)A(1), A(2), r, sysno, True, A(3), 0, 0);
        em_flush();
        break;
    case __NR_pwritev2:
        sink_iov(fd, (const struct vki_iovec *)A(1), A(2), r, sysno, (Long)A(3) != -1, A(3), 0, 0);
        em_flush();
        break;
    case __NR_sendto:
        sink_fd(fd, A(1), r, sysno, A(4), A(4) ? (UInt)A(5) : 0);
        em_flush();
        break;
    case __NR_sendmsg: {
        const struct vki_msghdr *m = (const struct vki_msghdr *)A(1);
        sink_iov(fd, m->msg_iov, m->msg_iovlen, r, sysno, False, 0, (Addr)m->msg_name,
                 m->msg_name ? m->msg_namelen : 0);
        em_flush();
        break;
    }
    case __NR_sendmmsg: {
        const struct vki_mmsghdr *mv = (const struct vki_mmsghdr *)A(1);
        for (ULong k = 0; k < r; k++) {
            const struct vki_msghdr *m = &mv[k].msg_hdr;
            sink_iov(fd, m->msg_iov, m->msg_iovlen, mv[k].msg_len, sysno, False, 0, (Addr)m->msg_name,
                     m->msg_name ? m->msg_namelen : 0);
        }
        em_flush();
        break;
    }
    case __NR_sendfile:
        kernel_copy((Int)A(1), p->has_off_in, p->off_in, True, (Int)A(0), False, 0, r, sysno);
        break;
    case __NR_splice:
    case __NR_copy_file_range:
        kernel_copy(fd, p->has_off_in, p->off_in, True, (Int)A(2), p->has_off_out, p->off_out, r, sysno);
        break;
    case __NR_tee:
        kernel_copy(fd, False, 0, False, (Int)A(1), False, 0, r, sysno);
        break;
    case __NR_msync:
        sink_shmaps(A(0), A(1), False);
        break;

    /* ---- descriptors and versions ---- */
    case __NR_open: case __NR_openat: {
        UWord flags = sysno == __NR_open ? A(1) : A(2);
        fd_forget((Int)r);
        Bool writes = (flags & VKI_O_ACCMODE) != VKI_O_RDONLY;
        if ((writes && (flags & VKI_O_TRUNC)) || !p->existed || (flags & 020000000 /* O_TMPFILE */))
            obj_new_version((Int)r);
        break;
    }
    case __NR_chroot:
        obj_chroot_post();
        break;
    case __NR_creat:
        fd_forget((Int)r);
        obj_new_version((Int)r);
        break;
    case __NR_ftruncate:
        if (A(1) == 0) obj_new_version(fd);
        break;
    case __NR_dup2: case __NR_dup3:
        fd_forget((Int)A(1));
        break;
    case __NR_close_range:
        fd_forget_from((Int)A(0), (Int)(A(1) > 0x7fffffff ? 0x7fffffff : A(1)));
        break;
    case __NR_pipe: case __NR_pipe2: case __NR_socketpair: {
        const Int *fds = (const Int *)(sysno == __NR_socketpair ? A(3) : A(0));
        fd_forget(fds[0]);
        fd_forget(fds[1]);
        if (sysno == __NR_socketpair) sock_pair(fds[0], fds[1]);
        break;
    }
    case __NR_connect:
        sock_set_role(fd, True, True);
        break;
    case __NR_dup: case __NR_fcntl: case __NR_socket: case __NR_accept: case __NR_accept4:
    case __NR_eventfd2: case __NR_memfd_create: case __NR_epoll_create1: case __NR_signalfd4:
    case __NR_timerfd_create: case __NR_inotify_init1: case __NR_openat2:
        if (sysno != __NR_fcntl || A(1) == VKI_F_DUPFD || A(1) == VKI_F_DUPFD_CLOEXEC)
            fd_forget((Int)r);
        if (sysno == __NR_accept || sysno == __NR_accept4) sock_set_role((Int)r, False, True);
        break;
    default:
        break;
    }
}
