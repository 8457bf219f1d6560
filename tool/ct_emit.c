/* ct_emit.c — the record stream to the collector (see ct_emit.h). */
#include "ct_emit.h"
#include "ct_objects.h"
#include "ct_ring.h"
#include "pub_tool_libcfile.h"
#include "pub_tool_libcproc.h"
#include "pub_tool_clientstate.h"
#include "pub_tool_xarray.h"
#include "pub_tool_vki.h"
#include "pub_tool_vkiscnums.h"


/* The connection to the agent.  Records stay in buf until the agent
 * acknowledges them as committed (CT_MSG_ACK): if it dies, the tracker
 * reconnects to its successor and sends them again, so killing the agent
 * loses nothing that still fits here.  buf: [0, head) acknowledged (room
 * to reclaim), [head, sentp) sent, not yet acknowledged, [sentp, used) not
 * sent.  conn_base is the stream offset of buf[0] on this connection. */
#define BUFSZ (4u * 1024 * 1024)
static Int sock = -1;
static Bool broken;                   /* no agent: keep records, retry now and then */
static ULong last_try_ns;
static Bool said_hello;               /* some agent has our HELLO: reconnects resume */
static ULong lost;
static UChar buf[BUFSZ];
static SizeT head, sentp, used;
static ULong conn_base;
/* What the agent sends back: ACKs, and CLASSR answers to CLASSQ. */
static UChar ackbuf[CT_WIRE_MAXMSG];
static SizeT ackfill;
static ULong classq_id;               /* the question waiting for its answer */
static Bool classr_got;
static ULong tcpid_qid;              /* the TCPIDQ waiting for its answer */
static struct ct_msg_tcpidr tcpid_ans;
static Bool tcpid_got;
static UChar classr_buf[CT_WIRE_MAXMSG];

/* The flow not yet written, so a run of adjacent flows becomes one record. */
static struct ct_msg_flow pend;
static Bool have_pend;
static ULong sink_time;

void em_set_sink_time(ULong t_ns) { sink_time = t_ns; }

ULong em_lost(void) { return lost; }

static void reconnect(void);

static void read_acks(Int wait_ms);

static void lose_connection(void)
{
    /* Acks the agent sent before it died are still in our socket: take
     * them, or committed records would be sent twice. */
    if (sock >= 0 && !broken) {
        broken = True;
        read_acks(0);
    }
    if (sock >= 0)
        VG_(umsg)("crosstag: lost the connection to the agent; keeping records until "
                  "one is back\n");
    broken = True;
    ring_close();
    if (sock >= 0) VG_(close)(sock);
    sock = -1;
}

/* One message from the agent. */
static void on_agent_msg(const UChar *m, UInt len)
{
    struct ct_msg_hdr h;
    VG_(memcpy)(&h, m, sizeof h);
    if (h.type == CT_MSG_ACK && len >= sizeof(struct ct_msg_ack)) {
        struct ct_msg_ack a;
        VG_(memcpy)(&a, m, sizeof a);
        if (a.bytes > conn_base + head && a.bytes <= conn_base + sentp)
            head = (SizeT)(a.bytes - conn_base);
    } else if (h.type == CT_MSG_TCPIDR && len >= sizeof(struct ct_msg_tcpidr)) {
        struct ct_msg_tcpidr r;
        VG_(memcpy)(&r, m, sizeof r);
        if (r.id == tcpid_qid && !tcpid_got) {
            tcpid_ans = r;
            tcpid_got = True;
        }
    } else if (h.type == CT_MSG_CLASSR && len >= sizeof(struct ct_msg_classr)) {
        struct ct_msg_classr r;
        VG_(memcpy)(&r, m, sizeof r);
        if (r.id == classq_id && !classr_got) {
            VG_(memcpy)(classr_buf, m, len);
            classr_got = True;
        }
    }
}

/* Takes what the agent sent (acknowledgements, answers); waits up to
 * wait_ms for the first bytes when asked to. */
static void read_acks(Int wait_ms)
{
    while (sock >= 0) {
        if (wait_ms > 0) {
            struct vki_pollfd pf = { sock, VKI_POLLIN, 0 };
            SysRes pr = ct_syscall(__NR_poll, (UWord)&pf, 1, wait_ms, 0, 0, 0);
            if (sr_isError(pr) || sr_Res(pr) == 0) return;
            wait_ms = 0;
        }
        SysRes r = ct_syscall(__NR_recvfrom, sock, (UWord)(ackbuf + ackfill),
                              sizeof ackbuf - ackfill, 0x40 /* MSG_DONTWAIT */, 0, 0);
        if (sr_isError(r)) {
            if (sr_Err(r) == VKI_EINTR) continue;
            if (sr_Err(r) != VKI_EAGAIN && !broken) lose_connection();
            return;
        }
        if (sr_Res(r) == 0) { if (!broken) lose_connection(); return; }
        ackfill += sr_Res(r);
        SizeT off = 0;
        while (ackfill - off >= sizeof(struct ct_msg_hdr)) {
            struct ct_msg_hdr h;
            VG_(memcpy)(&h, ackbuf + off, sizeof h);
            if (h.len < sizeof h || h.len > CT_WIRE_MAXMSG) {   /* not our agent: start anew */
                ackfill = 0;
                if (!broken) lose_connection();
                return;
            }
            if (ackfill - off < h.len) break;
            on_agent_msg(ackbuf + off, h.len);
            off += h.len;
        }
        VG_(memmove)(ackbuf, ackbuf + off, ackfill - off);
        ackfill -= off;
    }
}

/* Into the ring (ct_ring.c); when it is full, ring and wait for the agent
 * (its acks tell, and an ended socket says it is gone). */
static void put_pending(void)
{
    Bool was_empty = ring_empty();
    while (sentp < used && sock >= 0 && ring_on()) {
        sentp += ring_put(buf + sentp, used - sentp);
        if (sentp < used) {
            ring_bell(sock);
            read_acks(1);
        }
    }
    if (was_empty && sock >= 0 && ring_on() && ring_bell_due()) ring_bell(sock);
}

static void send_pending(void)
{
    if (ring_on()) { put_pending(); return; }
    while (sentp < used && sock >= 0) {
        /* MSG_NOSIGNAL: a vanished agent must not kill the program. */
        SysRes r = ct_syscall(__NR_sendto, sock, (UWord)(buf + sentp), used - sentp,
                              VKI_MSG_NOSIGNAL, 0, 0);
        if (sr_isError(r)) {
            if (sr_Err(r) == VKI_EINTR || sr_Err(r) == VKI_EAGAIN) continue;
            lose_connection();
            return;
        }
        sentp += sr_Res(r);
    }
}

static UInt flushes;

static void flush_buf(void)
{
    if (broken && ct_opt.socket_path) {
        ULong now = ct_now_ns();
        if (now - last_try_ns < 200000000ULL) return;   /* retry at most 5 times a second */
        last_try_ns = now;
        reconnect();
        if (broken) return;
    }
    send_pending();
    /* Acknowledgements only give buffer room back (make_room reads them
     * when it needs room) and answers have their own waits: reading them
     * at every flush would cost an extra syscall per write of the program,
     * so every 16th flush or once half the buffer waits for them.  The
     * agent never blocks on them (it sends them MSG_DONTWAIT). */
    if ((++flushes & 15) == 0 || sentp - head > BUFSZ / 2)
        read_acks(0);
}

/* Room for len more bytes: reclaim acknowledged bytes; wait for the agent
 * to catch up; with no agent, drop the oldest records (counted). */
static void make_room(SizeT len)
{
    for (Int round = 0; used + len > BUFSZ; round++) {
        if (head > 0) {
            VG_(memmove)(buf, buf + head, used - head);
            conn_base += head;
            sentp -= head;
            used -= head;
            head = 0;
            continue;
        }
        if (round < 40 && !broken) {
            send_pending();
            read_acks(50);
            continue;
        }
        /* Give up the oldest whole messages. */
        SizeT off = 0;
        while (off < used && used - off + len > BUFSZ / 2) {
            struct ct_msg_hdr h;
            VG_(memcpy)(&h, buf + off, sizeof h);
            if (h.type == CT_MSG_FLOW) lost++;
            off += h.len;
        }
        VG_(memmove)(buf, buf + off, used - off);
        used -= off;
        sentp = sentp > off ? sentp - off : 0;
        conn_base += off;
        if (!broken) lose_connection();  /* the stream lost a piece: start anew */
    }
}

static void *msg_alloc(UInt type, SizeT fixed, SizeT extra)
{
    SizeT len = CT_MSG_ALIGN(fixed + extra);
    if (used + len > BUFSZ) make_room(len);
    struct ct_msg_hdr *h = (struct ct_msg_hdr *)(buf + used);
    VG_(memset)(h, 0, len);
    h->type = type;
    h->len = (UInt)len;
    used += len;
    return h;
}

static void write_flow(const struct ct_msg_flow *f)
{
    if (!ct_opt.socket_path) { lost++; return; }
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
static struct ct_msg_flow pats[NPAT];  /* a circle: the oldest at pats[pat0] */
static UInt npats, pat0;
#define PAT(i) pats[(pat0 + (i)) % NPAT]        /* the i-th oldest */

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

/* The oldest goes in O(1) (every new flow of a full window evicts it); one
 * in the middle moves the younger ones down. */
static void pat_remove(UInt i)
{
    if (i == 0) pat0 = (pat0 + 1) % NPAT;
    else for (UInt k = i; k + 1 < npats; k++) PAT(k) = PAT(k + 1);
    npats--;
}

static void pattern_add(const struct ct_msg_flow *f)
{
    for (UInt i = npats; i > 0; i--)
        if (continues(&PAT(i - 1), f)) { PAT(i - 1).reps++; return; }
    /* Two single flows a and b with b - a == f - b start a pattern. */
    for (UInt j = npats; j > 0; j--) {
        struct ct_msg_flow *b = &PAT(j - 1);
        if (b->reps != 1 || !same_shape(b, f)) continue;
        if (f->sink_off < b->sink_off + b->sink_len || f->src_off < b->src_off) continue;
        ULong ss = f->sink_off - b->sink_off, rs = f->src_off - b->src_off;
        for (UInt i = j - 1; i > 0; i--) {
            struct ct_msg_flow *a = &PAT(i - 1);
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
        write_flow(&PAT(0));
        pat_remove(0);
    }
    struct ct_msg_flow *n = &PAT(npats);
    *n = *f;
    n->reps = 1;
    n->sink_step = n->src_step = 0;
    npats++;
}

static void patterns_flush(void)
{
    for (UInt i = 0; i < npats; i++) write_flow(&PAT(i));
    npats = pat0 = 0;
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

static void object_msg(const struct ct_obj *o, UInt flags)
{
    struct ct_msg_object *m = msg_alloc(CT_MSG_OBJECT, sizeof *m, o->name_len);
    m->handle = o->handle;
    m->kind = o->kind;
    m->dev = o->dev;
    m->ino = o->ino;
    m->mtime_ns = o->mtime_ns;
    m->size = o->size;
    m->time_ns = o->time_ns;
    m->flags = flags;
    m->name_len = o->name_len;
    VG_(memcpy)(m + 1, o->name, o->name_len);
}

void em_object(const void *vo)
{
    const struct ct_obj *o = vo;
    drain();
    object_msg(o, o->flags);
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

/* RUN first: which crosstag run and host this process belongs to. */
static void run_msg(void)
{
    if (!ct_opt.host) return;
    SizeT n = VG_(strlen)(ct_opt.host);
    if (n > 255) n = 255;
    struct ct_msg_run *m = msg_alloc(CT_MSG_RUN, sizeof *m, n);
    m->run = ct_opt.run;
    m->flags = said_hello ? CT_RUNF_RESUME : 0;
    m->host_len = (UInt)n;
    VG_(memcpy)(m + 1, ct_opt.host, n);
}

static void hello(void)
{
    run_msg();
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
    said_hello = True;
}

/* After a connection's RUN and HELLO went out on its socket: the rest of
 * the stream goes into a ring (ct_ring.c), when one can be made. */
static void start_ring(void)
{
    send_pending();
    if (sock < 0 || broken || sentp != used) return;
    struct ct_msg_ring *m = msg_alloc(CT_MSG_RING, sizeof *m, 0);
    m->data_size = 1u << 20;
    if (ring_open(sock, m, sizeof *m)) sentp = used;
    else used -= sizeof *m;              /* no ring: the socket goes on */
}

static Int dial(void)
{
    struct vki_sockaddr_un sa;
    VG_(memset)(&sa, 0, sizeof sa);
    sa.sun_family = VKI_AF_UNIX;
    if (VG_(strlen)(ct_opt.socket_path) >= sizeof sa.sun_path) return -1;
    VG_(strcpy)(sa.sun_path, ct_opt.socket_path);
    SysRes r = ct_syscall(__NR_socket, VKI_AF_UNIX, VKI_SOCK_STREAM | 02000000 /* SOCK_CLOEXEC */, 0, 0, 0, 0);
    if (sr_isError(r)) return -1;
    Int fd = (Int)sr_Res(r);
    r = ct_syscall(__NR_connect, fd, (UWord)&sa, sizeof sa, 0, 0, 0);
    if (sr_isError(r)) {
        VG_(close)(fd);
        return -1;
    }
    /* Move it to Valgrind's reserved fd range: the program cannot close or
     * reuse it, and it is close-on-exec. */
    return ct_safe_fd(fd);
}

/* A new connection starts with RUN, HELLO and every object this process
 * declared, then whatever the last agent did not acknowledge (minus its
 * RUN and HELLO): the new agent stores it all, in order. */
static void reconnect(void)
{
    Int fd = dial();
    if (fd < 0) return;
    SizeT n = used - head;
    UChar *old = n ? VG_(malloc)("ct.resend", n) : NULL;
    if (n) VG_(memcpy)(old, buf + head, n);
    sock = fd;
    broken = False;
    ackfill = 0;
    head = sentp = used = 0;
    conn_base = 0;
    hello();
    start_ring();
    /* Objects declared in the records being resent are declared there (a
     * new version must start where it started); the others again here. */
    UInt nh = 0;
    while (obj_by_handle(nh + 1)) nh++;
    Bool *later = VG_(calloc)("ct.later", nh + 1, sizeof *later);
    for (SizeT off = 0; off < n;) {
        struct ct_msg_object m;
        VG_(memcpy)(&m, old + off, sizeof m.h);
        if (m.h.type == CT_MSG_OBJECT) {
            VG_(memcpy)(&m, old + off, sizeof m);
            if (m.handle <= nh) later[m.handle] = True;
        }
        off += m.h.len;
    }
    for (UInt h = 1; h <= nh; h++) {
        const struct ct_obj *o = obj_by_handle(h);
        if (o->declared && !later[h]) object_msg(o, o->flags & ~CT_OBJF_NEWVER);
    }
    VG_(free)(later);
    for (SizeT off = 0; off < n;) {
        struct ct_msg_hdr h;
        VG_(memcpy)(&h, old + off, sizeof h);
        if (h.type != CT_MSG_HELLO && h.type != CT_MSG_RUN && h.type != CT_MSG_RING) {
            if (used + h.len > BUFSZ) make_room(h.len);
            VG_(memcpy)(buf + used, old + off, h.len);
            used += h.len;
        }
        off += h.len;
    }
    if (old) VG_(free)(old);
    VG_(umsg)("crosstag: reconnected to the agent\n");
}

void em_start(void)
{
    if (!ct_opt.socket_path) return;
    sock = dial();
    if (sock < 0) {
        VG_(umsg)("crosstag: cannot connect to the agent at %s; keeping records until "
                  "one is there\n", ct_opt.socket_path);
        broken = True;
        last_try_ns = ct_now_ns();
    }
    hello();
    start_ring();
    flush_buf();
}

void em_child_after_fork(void)
{
    /* The parent's connection, ring and unacknowledged records stay the
     * parent's; the child is a new process with its own HELLO. */
    ring_close();
    if (sock >= 0) VG_(close)(sock);
    sock = -1;
    head = sentp = used = 0;
    conn_base = 0;
    ackfill = 0;
    have_pend = False;
    npats = pat0 = 0;
    said_hello = False;
    broken = False;
    if (ct_opt.socket_path) {
        sock = dial();
        if (sock < 0) { broken = True; last_try_ns = ct_now_ns(); }
    }
    hello();
    start_ring();
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
    /* A dead agent: one last try, so the tail of a run survives a restart. */
    if (broken) {
        last_try_ns = 0;
        flush_buf();
    }
}

/* OBJSTATE (issue 3, untracked writers): the state this process leaves a
 * file it wrote in.  The object must be declared on this connection. */
void em_objstate(UInt handle, Long mtime_ns, ULong size, ULong time_ns)
{
    drain();
    struct ct_msg_objstate *m = msg_alloc(CT_MSG_OBJSTATE, sizeof *m, 0);
    m->handle = handle;
    m->mtime_ns = mtime_ns;
    m->size = size;
    m->time_ns = time_ns;
}

/* CLASSQ (leak prevention): asks the agent which of a call's bytes are
 * protected, and waits for its answer (up to 10 s).  Everything recorded
 * so far goes first: the agent traces the runs through those records.
 * True with the answer's pieces in *pieces (valid until the next call),
 * False when there is no answer (the caller fails closed). */
/* Sends the question just queued and reads the agent's messages until
 * on_agent_msg sets *got, the connection breaks or timeout_ns pass. */
static void await_answer(const Bool *got, ULong timeout_ns)
{
    flush_buf();
    if (ring_on() && sock >= 0) ring_bell(sock);   /* the question is in the ring */
    ULong t0 = ct_now_ns();
    while (!*got && !broken && sock >= 0 && ct_now_ns() - t0 < timeout_ns) {
        send_pending();
        read_acks(100);
    }
}

Bool em_classq(UInt dest_kind, const void *dest, UInt dest_len, const struct ct_classq_run *runs,
               UInt nruns, UInt sysno, ULong total, UInt sink, ULong sink_off,
               const struct ct_classr_piece **pieces, UInt *npieces, Bool *trusted)
{
    if (trusted) *trusted = False;
    static ULong next_id;
    if (!ct_opt.socket_path) return False;
    for (UInt i = 0; i < nruns; i++) obj_declare(obj_by_handle(runs[i].src));
    drain();
    SizeT dl = CT_MSG_ALIGN(dest_len);
    struct ct_msg_classq *m = msg_alloc(CT_MSG_CLASSQ, sizeof *m, dl + nruns * sizeof *runs);
    m->id = ++next_id;
    m->dest_kind = dest_kind;
    m->dest_len = dest_len;
    m->nruns = nruns;
    m->sysno = sysno;
    m->total = total;
    m->sink = sink;
    m->sink_off = sink_off;
    VG_(memcpy)(m + 1, dest, dest_len);
    VG_(memcpy)((UChar *)(m + 1) + dl, runs, nruns * sizeof *runs);
    classq_id = next_id;
    classr_got = False;
    await_answer(&classr_got, 10000000000ULL);
    classq_id = 0;
    if (!classr_got) return False;
    struct ct_msg_classr r;
    VG_(memcpy)(&r, classr_buf, sizeof r);
    if ((r.flags & CT_CLASSR_UNDECIDED)
        || sizeof r + (ULong)r.npieces * sizeof(struct ct_classr_piece) > r.h.len)
        return False;
    *pieces = (const struct ct_classr_piece *)(classr_buf + sizeof r);
    *npieces = r.npieces;
    if (trusted) *trusted = (r.flags & CT_CLASSR_TRUSTED) != 0;
    return True;
}

Bool em_tcpid(ULong cookie, UInt *iss, UInt *irs, UInt *active)
{
    static ULong next_id;
    if (!ct_opt.socket_path || broken || sock < 0) return False;
    struct ct_msg_tcpidq *m = msg_alloc(CT_MSG_TCPIDQ, sizeof *m, 0);
    m->id = tcpid_qid = ++next_id;
    m->cookie = cookie;
    tcpid_got = False;
    await_answer(&tcpid_got, 2000000000ULL);
    tcpid_qid = 0;
    if (!tcpid_got || !tcpid_ans.found) return False;
    *iss = tcpid_ans.iss;
    *irs = tcpid_ans.irs;
    *active = tcpid_ans.active;
    return True;
}
