/* ct_emit.c — the record stream to the collector (see ct_emit.h). */
#include "ct_emit.h"
#include "ct_objects.h"
#include "pub_tool_libcfile.h"
#include "pub_tool_libcproc.h"
#include "pub_tool_clientstate.h"
#include "pub_tool_xarray.h"
#include "pub_tool_vki.h"
#include "pub_tool_vkiscnums.h"

extern Int VG_(safe_fd)(Int oldfd);   /* exported by the core, not in pub_tool headers */

static Int sock = -1;
static Bool broken;                   /* the collector went away: count, don't retry */
static ULong lost;
static UChar buf[256 * 1024];
static SizeT used;

/* The flow not yet written, so a run of adjacent flows becomes one record. */
static struct ct_msg_flow pend;
static Bool have_pend;
static ULong sink_time;

void em_set_sink_time(ULong t_ns) { sink_time = t_ns; }

ULong em_lost(void) { return lost; }

static void send_all(const UChar *p, SizeT n)
{
    while (n && sock >= 0 && !broken) {
        /* MSG_NOSIGNAL: a vanished collector must not kill the program. */
        SysRes r = ct_syscall(__NR_sendto, sock, (UWord)p, n, VKI_MSG_NOSIGNAL, 0, 0);
        if (sr_isError(r)) {
            if (sr_Err(r) == VKI_EINTR || sr_Err(r) == VKI_EAGAIN) continue;
            broken = True;
            VG_(umsg)("crosstag: lost the connection to the collector; records are counted as lost\n");
            return;
        }
        p += sr_Res(r);
        n -= sr_Res(r);
    }
}

static void flush_buf(void)
{
    if (used == 0) return;
    if (sock < 0 || broken) {
        used = 0;
        return;
    }
    send_all(buf, used);
    used = 0;
}

static void *msg_alloc(UInt type, SizeT fixed, SizeT extra)
{
    SizeT len = CT_MSG_ALIGN(fixed + extra);
    if (used + len > sizeof buf) flush_buf();
    struct ct_msg_hdr *h = (struct ct_msg_hdr *)(buf + used);
    VG_(memset)(h, 0, len);
    h->type = type;
    h->len = (UInt)len;
    used += len;
    return h;
}

static void write_flow(const struct ct_msg_flow *f)
{
    if (sock < 0 || broken) { lost++; return; }
    struct ct_msg_flow *m = msg_alloc(CT_MSG_FLOW, sizeof *m, 0);
    struct ct_msg_hdr h = m->h;
    *m = *f;
    m->h = h;
}

/* Stage 2: periodic folding.  Finished flows that repeat with fixed
 * strides (an encoder's output groups) fold into one record with reps > 1.
 * A window keeps the flows seen last, since encoders interleave several
 * patterns (base64 makes three per 4-byte group).  A stride counts only
 * once three flows confirm it, so two neighbours of different patterns
 * never pair up by accident. */
#define NPAT 12
static struct ct_msg_flow pats[NPAT];
static UInt npats;

static Bool same_shape(const struct ct_msg_flow *p, const struct ct_msg_flow *f)
{
    return p->sink == f->sink && p->src == f->src && p->mode == f->mode && p->sysno == f->sysno
        && p->sink_len == f->sink_len && p->src_len == f->src_len
        && p->src_time_ns == f->src_time_ns && p->time_ns == f->time_ns;
}

/* f comes exactly one stride after the last repetition of p. */
static Bool continues(const struct ct_msg_flow *p, const struct ct_msg_flow *f)
{
    return p->reps > 1 && same_shape(p, f)
        && f->sink_off == p->sink_off + p->reps * p->sink_step
        && f->src_off == p->src_off + p->reps * p->src_step;
}

static void pat_remove(UInt i)
{
    VG_(memmove)(pats + i, pats + i + 1, (npats - i - 1) * sizeof *pats);
    npats--;
}

static void pattern_add(const struct ct_msg_flow *f)
{
    for (UInt i = npats; i > 0; i--)
        if (continues(&pats[i - 1], f)) { pats[i - 1].reps++; return; }
    /* Two single flows a and b with b - a == f - b start a pattern. */
    for (UInt j = npats; j > 0; j--) {
        struct ct_msg_flow *b = &pats[j - 1];
        if (b->reps != 1 || !same_shape(b, f)) continue;
        if (f->sink_off < b->sink_off + b->sink_len || f->src_off < b->src_off) continue;
        ULong ss = f->sink_off - b->sink_off, rs = f->src_off - b->src_off;
        for (UInt i = j - 1; i > 0; i--) {
            struct ct_msg_flow *a = &pats[i - 1];
            if (a->reps == 1 && same_shape(a, f) && a->sink_off + ss == b->sink_off
                && a->src_off + rs == b->src_off) {
                a->reps = 3;
                a->sink_step = ss;
                a->src_step = rs;
                pat_remove(j - 1);
                return;
            }
        }
    }
    if (npats == NPAT) {                  /* evict the oldest */
        write_flow(&pats[0]);
        pat_remove(0);
    }
    pats[npats] = *f;
    pats[npats].reps = 1;
    pats[npats].sink_step = pats[npats].src_step = 0;
    npats++;
}

static void patterns_flush(void)
{
    for (UInt i = 0; i < npats; i++) write_flow(&pats[i]);
    npats = 0;
}

/* Stage 1 hands its finished flow to stage 2. */
static void write_pend(void)
{
    if (!have_pend) return;
    have_pend = False;
    pattern_add(&pend);
}

/* Everything pending goes out, in the order it was made where it matters
 * (objects before the flows that name them are written at once). */
static void drain(void)
{
    write_pend();
    patterns_flush();
}

void em_flow(UInt sink, ULong sink_off, ULong sink_len, UInt src, ULong src_off,
             ULong src_len, UInt mode, ULong src_time_ns, UInt sysno)
{
    if (sink_len == 0) return;
    obj_declare(obj_by_handle(sink));
    obj_declare(obj_by_handle(src));
    if (have_pend && pend.sink == sink && pend.src == src && pend.mode == mode
        && pend.sysno == sysno && pend.sink_off + pend.sink_len == sink_off) {
        if (mode == CT_MODE_ALIGNED && pend.src_off + pend.src_len == src_off
            && pend.src_time_ns == src_time_ns) {
            pend.sink_len += sink_len;
            pend.src_len += src_len;
            return;
        }
        if (mode == CT_MODE_ALL && pend.src_off == src_off && pend.src_len == src_len) {
            pend.sink_len += sink_len;       /* more bytes from the same source range */
            return;
        }
    }
    write_pend();
    VG_(memset)(&pend, 0, sizeof pend);
    pend.sink = sink;
    pend.src = src;
    pend.sink_off = sink_off;
    pend.sink_len = sink_len;
    pend.src_off = src_off;
    pend.src_len = src_len;
    pend.mode = mode;
    pend.time_ns = sink_time ? sink_time : ct_now_ns();
    pend.src_time_ns = src_time_ns;
    pend.sysno = sysno;
    pend.reps = 1;
    have_pend = True;
}

void em_flush(void)
{
    drain();
    flush_buf();
}

void em_object(const void *vo)
{
    const struct ct_obj *o = vo;
    drain();
    struct ct_msg_object *m = msg_alloc(CT_MSG_OBJECT, sizeof *m, o->name_len);
    m->handle = o->handle;
    m->kind = o->kind;
    m->dev = o->dev;
    m->ino = o->ino;
    m->mtime_ns = o->mtime_ns;
    m->size = o->size;
    m->time_ns = o->time_ns;
    m->flags = o->flags;
    m->name_len = o->name_len;
    VG_(memcpy)(m + 1, o->name, o->name_len);
}

void em_note(UInt level, const HChar *fmt, ...)
{
    HChar text[1024];
    va_list vargs;
    va_start(vargs, fmt);
    UInt n = VG_(vsnprintf)(text, sizeof text, fmt, vargs);
    va_end(vargs);
    if (n >= sizeof text) n = sizeof text - 1;
    drain();
    struct ct_msg_note *m = msg_alloc(CT_MSG_NOTE, sizeof *m, n);
    m->level = level;
    m->note_len = n;
    VG_(memcpy)(m + 1, text, n);
    flush_buf();
}

/* Field 22 of /proc/self/stat: the start time in clock ticks since boot,
 * which with the pid names a process uniquely for the whole boot. */
static ULong start_ticks(void)
{
    HChar st[1024];
    Int fd = VG_(fd_open)("/proc/self/stat", VKI_O_RDONLY, 0);
    if (fd < 0) return 0;
    Int n = VG_(read)(fd, st, sizeof st - 1);
    VG_(close)(fd);
    if (n <= 0) return 0;
    st[n] = 0;
    HChar *p = VG_(strrchr)(st, ')');     /* the command name may hold spaces */
    if (!p) return 0;
    Int field = 2;
    for (; *p && field < 22; p++)
        if (*p == ' ') field++;
    return VG_(strtoull10)(p, NULL);
}

static void hello(void)
{
    const HChar *exe = VG_(args_the_exename) ? VG_(args_the_exename) : "";
    SizeT exe_len = VG_(strlen)(exe), argv_len = exe_len + 1;
    Word nargs = VG_(args_for_client) ? VG_(sizeXA)(VG_(args_for_client)) : 0;
    for (Word i = 0; i < nargs; i++)
        argv_len += VG_(strlen)(*(HChar **)VG_(indexXA)(VG_(args_for_client), i)) + 1;
    if (sizeof(struct ct_msg_hello) + exe_len + argv_len > CT_WIRE_MAXMSG - 8)
        argv_len = 0;                    /* a huge command line is not worth failing for */
    struct ct_msg_hello *m = msg_alloc(CT_MSG_HELLO, sizeof *m, exe_len + argv_len);
    m->magic = CT_WIRE_MAGIC;
    m->version = CT_WIRE_VERSION;
    m->pid = VG_(getpid)();
    m->ppid = VG_(getppid)();
    m->uid = (UInt)VG_(geteuid)();
    m->exec_seq = 0;
    m->start_ticks = start_ticks();
    m->time_ns = ct_now_ns();
    m->exe_len = (UInt)exe_len;
    UChar *p = (UChar *)(m + 1);
    VG_(memcpy)(p, exe, exe_len);
    p += exe_len;
    if (argv_len) {
        m->argv_len = (UInt)argv_len;
        VG_(memcpy)(p, exe, exe_len + 1);      /* argv[0] */
        p += exe_len + 1;
        for (Word i = 0; i < nargs; i++) {
            const HChar *a = *(HChar **)VG_(indexXA)(VG_(args_for_client), i);
            SizeT l = VG_(strlen)(a) + 1;
            VG_(memcpy)(p, a, l);
            p += l;
        }
    }
}

static void connect(void)
{
    sock = -1;
    broken = False;
    if (!ct_opt.socket_path) return;
    struct vki_sockaddr_un sa;
    VG_(memset)(&sa, 0, sizeof sa);
    sa.sun_family = VKI_AF_UNIX;
    if (VG_(strlen)(ct_opt.socket_path) >= sizeof sa.sun_path) {
        VG_(umsg)("crosstag: socket path too long: %s\n", ct_opt.socket_path);
        return;
    }
    VG_(strcpy)(sa.sun_path, ct_opt.socket_path);
    SysRes r = ct_syscall(__NR_socket, VKI_AF_UNIX, VKI_SOCK_STREAM | 02000000 /* SOCK_CLOEXEC */, 0, 0, 0, 0);
    if (sr_isError(r)) {
        VG_(umsg)("crosstag: cannot create a socket (error %lu)\n", sr_Err(r));
        return;
    }
    Int fd = (Int)sr_Res(r);
    r = ct_syscall(__NR_connect, fd, (UWord)&sa, sizeof sa, 0, 0, 0);
    if (sr_isError(r)) {
        VG_(umsg)("crosstag: cannot connect to the collector at %s (error %lu): "
                  "records of this process are lost\n", ct_opt.socket_path, sr_Err(r));
        VG_(close)(fd);
        return;
    }
    /* Move it to Valgrind's reserved fd range: the program cannot close or
     * reuse it, and it is close-on-exec. */
    sock = VG_(safe_fd)(fd);
}

void em_start(void)
{
    connect();
    hello();
    flush_buf();
}

void em_child_after_fork(void)
{
    if (sock >= 0) VG_(close)(sock);   /* the parent's connection stays the parent's */
    used = 0;
    have_pend = False;
    npats = 0;
    connect();
    hello();
    obj_redeclare_all();
    flush_buf();
}

void em_exit(Int status)
{
    drain();
    struct ct_msg_exit *m = msg_alloc(CT_MSG_EXIT, sizeof *m, 0);
    m->status = status;
    m->time_ns = ct_now_ns();
    m->lost = lost;
    flush_buf();
}
