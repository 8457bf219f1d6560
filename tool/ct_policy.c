/* ct_policy.c — leak prevention at the sinks, before the syscall runs.
 *
 * A call that is about to move labelled bytes to an egress — a TCP or UDP
 * socket (IPv4, IPv6), a regular file — asks the agent (CLASSQ, see
 * ct_wire.h) with the source runs of those bytes.  The agent decides from
 * its store (original sources, protected classes, trusted destinations)
 * and answers with an action per byte range:
 *   alert  nothing changes here (the agent recorded it);
 *   mask   the bytes are overwritten in the program's buffer with the mask
 *          byte and lose their labels (lengths kept);
 *   block  a socket is shut down (shutdown(SHUT_RDWR)) so the send fails
 *          (EPIPE) and the peer sees the connection end: a tool cannot make
 *          a syscall fail with EACCES without running it.  A file cannot be
 *          shut down: its bytes are masked instead.
 * Without an answer (no agent, undecided) every labelled byte gets the
 * strictest action of the policy (--ct-policy) and a NOTE says so.
 * Unix sockets are egress unless the peer process is tracked (the agent
 * checks its pid).
 * Bytes that cannot be written (read-only memory) are blocked instead of
 * masked.  Pipes, terminals and devices are not egress here.
 */
#include "ct_policy.h"
#include "ct_emit.h"
#include "ct_objects.h"
#include "ct_shadow.h"
#include "ct_sockets.h"
#include "ct_udptag.h"
#include "ct_syscalls.h"
#include "pub_tool_aspacemgr.h"
#include "pub_tool_libcfile.h"
#include "pub_tool_machine.h"
#include "pub_tool_libcprint.h"
#include "libvex_guest_offsets.h"
#include "pub_tool_vki.h"
#include "pub_tool_vkiscnums.h"

/* exported by the core, not in the pub_tool headers */
extern SysRes VG_(mk_SysRes_Error)(UWord err);

#define NSEG 1024                     /* iovecs per call (IOV_MAX) */

/* The call being checked. */
struct pcall {
    Int fd;
    UInt sysno;
    UInt dest_kind;
    UChar dest[128];                  /* sockaddr, or the file's name (cut) */
    UInt dest_len;
    struct ct_obj *obj;               /* the destination's object (NULL: none) */
    Bool cacheable;                   /* a trusted answer may be kept on obj */
    UInt sink;                        /* TCP/UDP: the stream's handle, 0 unknown */
    ULong sink_off;                   /* the call's first byte in it */
    Bool is_socket, blocked;
    Addr seg_a[NSEG];
    ULong seg_n[NSEG];
    UInt nseg;
    ULong total;
    struct ct_classq_run runs[CT_CLASSQ_MAXRUNS];
    UInt nruns;
};
static struct pcall pc;

/* A Unix socket: egress unless its peer is a tracked process, which the
 * agent knows by the peer's pid (SO_PEERCRED, for connected sockets; a
 * datagram sent to an address has no known peer: 0).  pc.dest holds the
 * peer's address (len bytes); the pid goes first. */
static Bool unix_dest(Int fd, Bool to_addr, UInt len)
{
    struct { Int pid; UInt uid, gid; } cred = { 0, 0, 0 };
    UInt cl = sizeof cred;
    if (!to_addr) {
        SysRes r = ct_syscall(__NR_getsockopt, fd, VKI_SOL_SOCKET, 17 /* SO_PEERCRED */,
                              (UWord)&cred, (UWord)&cl, 0);
        if (sr_isError(r)) cred.pid = 0;
    }
    if (len > sizeof pc.dest - 4) len = sizeof pc.dest - 4;
    VG_(memmove)(pc.dest + 4, pc.dest, len);
    VG_(memcpy)(pc.dest, &cred.pid, 4);
    pc.dest_kind = CT_DEST_UNIX;
    pc.dest_len = 4 + len;
    pc.is_socket = True;
    return True;
}

/* A destination that is not a socket stream: no stream name, nothing to
 * keep a trusted answer on (kind and name set by the caller). */
static void plain_dest(const void *name, UInt len)
{
    pc.dest_kind = CT_DEST_FILE;
    pc.dest_len = len < sizeof pc.dest ? len : sizeof pc.dest;
    VG_(memcpy)(pc.dest, name, pc.dest_len);
    pc.is_socket = False;
    pc.obj = NULL;
    pc.cacheable = False;
    pc.sink = 0;
    pc.sink_off = 0;
}

/* The destination of fd (addr: the address a datagram call names, or 0).
 * False when it is not an egress. */
static Bool dest_of(Int fd, Addr addr, UInt alen)
{
    struct ct_obj *o = obj_for_fd(fd);
    if (!o || o->pol_trusted) return False;    /* trusted: the agent said so before */
    plain_dest(o->name, o->name_len);  /* a file; a socket overwrites it below */
    pc.obj = o;
    pc.cacheable = addr == 0;          /* a datagram's own address may differ next time */
    if (o->kind == CT_OBJ_FILE) return True;
    if (o->kind != CT_OBJ_SOCKET) return False;
    UInt len = sizeof pc.dest;
    if (addr && alen >= 2) {
        len = alen < sizeof pc.dest ? alen : sizeof pc.dest;
        VG_(memcpy)(pc.dest, (const void *)addr, len);
    } else {
        SysRes r = ct_syscall(__NR_getpeername, fd, (UWord)pc.dest, (UWord)&len, 0, 0, 0);
        if (sr_isError(r)) return False;        /* not connected: the send fails anyway */
    }
    UShort fam;
    VG_(memcpy)(&fam, pc.dest, sizeof fam);
    if (fam == VKI_AF_UNIX) return unix_dest(fd, addr != 0, len);
    if (fam != VKI_AF_INET && fam != VKI_AF_INET6) return False;
    Int type = 0;
    UInt tl = sizeof type;
    SysRes r = ct_syscall(__NR_getsockopt, fd, VKI_SOL_SOCKET, VKI_SO_TYPE, (UWord)&type, (UWord)&tl, 0);
    if (sr_isError(r)) return False;
    pc.dest_kind = type == VKI_SOCK_STREAM ? CT_DEST_TCP : CT_DEST_UDP;
    pc.dest_len = len;
    pc.is_socket = True;
    /* Where the bytes will be in the stream (not consumed: the call may
     * still fail), for the agent to pass on to a trusted receiver's agent. */
    ULong off = 0;
    struct ct_obj *so = sock_io(fd, o, False, False, 0, addr, alen, &off);
    /* Without the UDP tag each end counts datagrams itself: a lost one
     * shifts every later number, so a datagram cannot be named as the
     * receiver will name it (the agent then fails closed). */
    if (so && so != o && (pc.dest_kind == CT_DEST_TCP || udptag_on())) {
        obj_declare(so);
        pc.sink = so->handle;
        pc.sink_off = off;
    }
    return True;
}

/* Byte rel of the call: its address and how many bytes follow in its segment. */
static Addr byte_at(ULong rel, ULong *room)
{
    for (UInt i = 0; i < pc.nseg; i++) {
        if (rel < pc.seg_n[i]) {
            *room = pc.seg_n[i] - rel;
            return pc.seg_a[i] + rel;
        }
        rel -= pc.seg_n[i];
    }
    *room = 0;
    return 0;
}

/* The call blocked last, so its post hook can make it fail with EACCES. */
static struct { Bool on; ThreadId tid; UInt sysno; } blocked_call;
static ThreadId cur_tid;

static void block(void)
{
    if (pc.blocked) return;
    pc.blocked = True;
    ct_syscall(__NR_shutdown, pc.fd, 2 /* SHUT_RDWR */, 0, 0, 0, 0);
    blocked_call.on = True;
    blocked_call.tid = cur_tid;
    blocked_call.sysno = pc.sysno;
}

/* Masks [rel, rel+len) of the call, or blocks when the memory is read-only. */
static void mask(ULong rel, ULong len, UChar byte)
{
    while (len) {
        ULong room;
        Addr a = byte_at(rel, &room);
        if (!a) return;
        ULong n = room < len ? room : len;
        if (!VG_(am_is_valid_for_client)(a, n, VKI_PROT_WRITE)) {
            if (pc.is_socket) block();
            return;
        }
        VG_(memset)((void *)a, byte, n);
        sh_fill(a, n, 0);               /* constants now: no flow, no label */
        rel += n;
        len -= n;
    }
}

static void apply(UInt action, ULong rel, ULong len, UChar byte)
{
    if (action == CT_ACT_BLOCK && pc.is_socket) block();
    else if (action >= CT_ACT_MASK) mask(rel, len, byte);
}

static const HChar *action_name(UInt a)
{
    return a == CT_ACT_BLOCK ? "block" : a == CT_ACT_MASK ? "mask" : "alert";
}

/* Asks about the runs collected so far and acts on the answer. */
static void ask(void)
{
    if (pc.nruns == 0) return;
    const struct ct_classr_piece *pieces;
    UInt np;
    Bool trusted;
    if (em_classq(pc.dest_kind, pc.dest, pc.dest_len, pc.runs, pc.nruns, pc.sysno, pc.total,
                  pc.sink, pc.sink_off, &pieces, &np, &trusted)) {
        if (trusted && pc.cacheable && pc.obj) pc.obj->pol_trusted = True;
        for (UInt i = 0; i < np; i++)
            if (pieces[i].sink_rel < pc.total)
                apply(pieces[i].action, pieces[i].sink_rel,
                      pieces[i].len < pc.total - pieces[i].sink_rel ? pieces[i].len
                                                                    : pc.total - pieces[i].sink_rel,
                      (UChar)pieces[i].mask);
    } else {
        ULong n = 0;
        for (UInt i = 0; i < pc.nruns; i++) {
            apply(ct_opt.policy, pc.runs[i].sink_rel, pc.runs[i].len, ct_opt.policy_mask);
            n += pc.runs[i].len;
        }
        em_note(1, "policy: the agent gave no answer about %llu labelled bytes (fd %d, syscall %u); "
                "failing closed: %s", n, pc.fd, pc.sysno, action_name(ct_opt.policy));
    }
    pc.nruns = 0;
}

static void add_run(void *ctx, ULong rel, ULong len, UInt src, ULong src_off, ULong src_len, UInt mode,
                    ULong src_time)
{
    (void)src_time;
    ULong base = *(ULong *)ctx;
    if (pc.nruns == CT_CLASSQ_MAXRUNS) ask();
    struct ct_classq_run *r = &pc.runs[pc.nruns++];
    r->sink_rel = base + rel;
    r->len = len;
    r->src = src;
    r->src_off = src_off;
    r->src_len = src_len;
    r->mode = mode;
}

static void add_seg(Addr a, ULong n)
{
    if (pc.nseg == NSEG || n == 0) return;
    pc.seg_a[pc.nseg] = a;
    pc.seg_n[pc.nseg++] = n;
    pc.total += n;
}

static void add_iov(const struct vki_iovec *iov, ULong cnt)
{
    for (ULong k = 0; k < cnt; k++) add_seg((Addr)iov[k].iov_base, iov[k].iov_len);
}

/* The segments are set: walk their labels, ask, act. */
static void check(void)
{
    Bool any = False;
    for (UInt i = 0; i < pc.nseg && !any; i++) any = sh_any(pc.seg_a[i], pc.seg_n[i]);
    if (!any) return;
    ULong base = 0;
    for (UInt i = 0; i < pc.nseg; i++) {
        if (sh_any(pc.seg_a[i], pc.seg_n[i])) sink_walk(pc.seg_a[i], pc.seg_n[i], 0, add_run, &base);
        base += pc.seg_n[i];
    }
    ask();
}

/* A kernel-side copy into a file cannot be masked before it runs (no
 * buffer; the tool cannot change the call's arguments): its protected
 * pieces are overwritten in the file right after the call, before it
 * returns to the program (pol_post_copy). */
#define NCOPY 64
static struct {
    Bool active;
    Int fd;
    UInt n;
    ULong rel[NCOPY], len[NCOPY];
    UChar mask[NCOPY];
} cpy;

static void copy_mask(ULong rel, ULong len, UChar byte)
{
    if (cpy.n == NCOPY) {               /* too many pieces: all of the copy */
        cpy.n = 1;
        cpy.rel[0] = 0;
        cpy.len[0] = ~0ULL;
        return;
    }
    cpy.rel[cpy.n] = rel;
    cpy.len[cpy.n] = len;
    cpy.mask[cpy.n++] = byte;
    cpy.active = True;
    cpy.fd = pc.fd;
}

void pol_post_copy(Int out_fd, ULong out_off, ULong n)
{
    static UChar fill[4096];
    if (!cpy.active || out_fd != cpy.fd) return;
    cpy.active = False;
    for (UInt i = 0; i < cpy.n; i++) {
        if (cpy.rel[i] >= n) continue;
        ULong len = cpy.len[i] < n - cpy.rel[i] ? cpy.len[i] : n - cpy.rel[i];
        VG_(memset)(fill, cpy.mask[i], sizeof fill);
        for (ULong done = 0; done < len;) {
            ULong k = len - done < sizeof fill ? len - done : sizeof fill;
            SysRes r = ct_syscall(__NR_pwrite64, out_fd, (UWord)fill, k, out_off + cpy.rel[i] + done, 0, 0);
            if (sr_isError(r) || sr_Res(r) == 0) break;
            done += sr_Res(r);
        }
    }
}

/* A kernel-side copy from in_fd (sendfile, splice, copy_file_range):
 * protected bytes to a socket block it (mask too: there is no buffer);
 * to a file they are masked in the file after the call. */
static void check_copy(Int in_fd, Bool has_off, ULong off, ULong n)
{
    struct ct_obj *in = obj_for_fd(in_fd);
    if (!in || !in->is_source || n == 0) return;
    if (!has_off) {
        if (in->seekable) {
            Off64T pos = VG_(lseek)(in_fd, 0, VKI_SEEK_CUR);
            if (pos < 0) return;
            off = (ULong)pos;
        } else {
            off = in->rd_off;
        }
    }
    pc.total = n;
    pc.runs[0] = (struct ct_classq_run){ .sink_rel = 0, .len = n, .src = in->handle, .src_off = off,
                                         .src_len = n, .mode = CT_MODE_ALIGNED };
    pc.nruns = 1;
    const struct ct_classr_piece *pieces;
    UInt np;
    UInt worst = ct_opt.policy;
    cpy.active = False;
    cpy.n = 0;
    Bool trusted;
    if (em_classq(pc.dest_kind, pc.dest, pc.dest_len, pc.runs, 1, pc.sysno, n, pc.sink, pc.sink_off,
                  &pieces, &np, &trusted)) {
        if (trusted && pc.cacheable && pc.obj) pc.obj->pol_trusted = True;
        worst = CT_ACT_NONE;
        for (UInt i = 0; i < np; i++) {
            if (pieces[i].action > worst) worst = pieces[i].action;
            if (pieces[i].action >= CT_ACT_MASK && !pc.is_socket)
                copy_mask(pieces[i].sink_rel, pieces[i].len, (UChar)pieces[i].mask);
        }
    } else {
        em_note(1, "policy: the agent gave no answer about a copy of %llu bytes (fd %d); failing "
                "closed: %s", n, pc.fd, action_name(ct_opt.policy));
        if (ct_opt.policy >= CT_ACT_MASK && !pc.is_socket) copy_mask(0, n, ct_opt.policy_mask);
    }
    if (worst >= CT_ACT_MASK && pc.is_socket) block();
    pc.nruns = 0;
}

/* Bytes a process stored into a shared mapping of a file reach the file
 * (page cache) with the store itself: no syscall comes first.  The
 * earliest point the tool has is the next flush of that mapping (any
 * syscall that can tell another process, msync, munmap, exit): there the
 * protected bytes of a file outside the trusted paths are masked in the
 * mapping, so the file keeps '*' — but until then the page cache held
 * them (docs/design.md says so). */
void pol_check_mapped(const struct ct_obj *o, Addr a, ULong n, UInt sysno)
{
    if (!ct_opt.policy || o->kind != CT_OBJ_FILE || n == 0) return;
    pc.sysno = sysno;
    pc.fd = -1;
    pc.nseg = 0;
    pc.total = 0;
    pc.nruns = 0;
    pc.blocked = False;
    plain_dest(o->name, o->name_len);  /* a mapping: asked about at each flush */
    add_seg(a, n);
    check();
}

/* Syscalls that carry the program's bytes somewhere the engine does not
 * follow (another process's memory, message queues, extended attributes,
 * a pipe by page gifting): their destination is unknown, so protected
 * bytes get their class's action as at any untrusted egress — fail closed.
 * The destination is named for the alert ("msgq:ID"...). */
static Bool other_dest(const HChar *fmt, UWord v)
{
    HChar name[64];
    VG_(snprintf)(name, sizeof name, fmt, v);
    plain_dest(name, VG_(strlen)(name));  /* not "file:": never a trusted path */
    return True;
}

#define A(i) (args[i])

void pol_pre(ThreadId tid, UInt sysno, UWord *args)
{
    if (!ct_opt.policy) return;
    cur_tid = tid;
    blocked_call.on = False;
    pc.sysno = sysno;
    pc.nseg = 0;
    pc.total = 0;
    pc.nruns = 0;
    pc.blocked = False;
    pc.fd = (Int)A(0);
    switch (sysno) {
    case __NR_write: case __NR_pwrite64:
        if (!A(2) || !dest_of(pc.fd, 0, 0)) return;
        add_seg(A(1), A(2));
        break;
    case __NR_sendto:
        if (!A(2) || !dest_of(pc.fd, A(4), A(4) ? (UInt)A(5) : 0)) return;
        add_seg(A(1), A(2));
        break;
    case __NR_writev: case __NR_pwritev: case __NR_pwritev2:
        if (!dest_of(pc.fd, 0, 0)) return;
        add_iov((const struct vki_iovec *)A(1), A(2));
        break;
    case __NR_sendmsg: {
        const struct vki_msghdr *m = (const struct vki_msghdr *)A(1);
        if (!m || !dest_of(pc.fd, (Addr)m->msg_name, m->msg_name ? m->msg_namelen : 0)) return;
        add_iov(m->msg_iov, m->msg_iovlen);
        break;
    }
    case __NR_sendmmsg: {
        const struct vki_mmsghdr *mv = (const struct vki_mmsghdr *)A(1);
        ULong before = 0;                 /* bytes of the earlier messages (TCP) */
        for (ULong k = 0; mv && k < A(2); k++) {
            const struct vki_msghdr *m = &mv[k].msg_hdr;
            pc.nseg = 0;
            pc.total = 0;
            if (!dest_of(pc.fd, (Addr)m->msg_name, m->msg_name ? m->msg_namelen : 0)) continue;
            /* message k goes after the first k: datagram k, or their bytes */
            pc.sink_off += pc.dest_kind == CT_DEST_UDP ? k << 32 : before;
            add_iov(m->msg_iov, m->msg_iovlen);
            before += pc.total;
            check();
        }
        return;
    }
    case __NR_sendfile:
        if (dest_of(pc.fd, 0, 0))
            check_copy((Int)A(1), A(2) != 0, A(2) ? *(const ULong *)A(2) : 0, A(3));
        return;
    case __NR_splice: case __NR_copy_file_range:
        pc.fd = (Int)A(2);
        if (dest_of(pc.fd, 0, 0))
            check_copy((Int)A(0), A(1) != 0, A(1) ? *(const ULong *)A(1) : 0, A(4));
        return;
    /* ---- not modelled as flows: fail closed (other_dest) ---- */
    case __NR_msgsnd:                  /* struct msgbuf { long mtype; char mtext[]; } */
        if (!A(1) || !A(2)) return;
        other_dest("msgq:%lu", A(0));
        add_seg(A(1) + sizeof(Long), A(2));
        break;
    case __NR_mq_timedsend:
        if (!A(2)) return;
        other_dest("mqueue:fd %lu", A(0));
        add_seg(A(1), A(2));
        break;
    case __NR_vmsplice:
        other_dest("vmsplice:fd %lu", A(0));
        add_iov((const struct vki_iovec *)A(1), A(2));
        break;
    case __NR_process_vm_writev:
        other_dest("process_vm_writev:pid %lu", A(0));
        add_iov((const struct vki_iovec *)A(1), A(2));
        break;
    case __NR_setxattr: case __NR_lsetxattr: case __NR_fsetxattr:
        if (!A(3)) return;
        other_dest(sysno == __NR_fsetxattr ? "xattr:fd %lu" : "xattr:%lu", A(0));
        add_seg(A(2), A(3));
        break;
    default:
        return;
    }
    check();
}

/* io_uring moves bytes by shared rings the engine does not read: refused
 * under a policy (fail closed).  The program sees ENOSYS, as on a kernel
 * without io_uring, and falls back to plain syscalls, which are checked.
 * A blocked send fails with EACCES (its socket is shut down as well). */
SysRes pol_post(ThreadId tid, UInt sysno, UWord *args, SysRes res)
{
    (void)args;
    if (!ct_opt.policy) return res;
    if (sysno == __NR_io_uring_setup && !sr_isError(res)) {
        ct_syscall(__NR_close, sr_Res(res), 0, 0, 0, 0, 0);
        static Bool said;
        if (!said) {
            said = True;
            em_note(1, "policy: io_uring is not tracked, so it is refused (ENOSYS) while a "
                       "policy is on; the program falls back to plain syscalls");
        }
        ULong r = (ULong)-(Long)VKI_ENOSYS;
        VG_(set_shadow_regs_area)(tid, 0, OFFSET_amd64_RAX, 8, (const UChar *)&r);
        return VG_(mk_SysRes_Error)(VKI_ENOSYS);
    }
    if (blocked_call.on && blocked_call.tid == tid && blocked_call.sysno == sysno) {
        blocked_call.on = False;
        ULong r = (ULong)-(Long)VKI_EACCES;
        VG_(set_shadow_regs_area)(tid, 0, OFFSET_amd64_RAX, 8, (const UChar *)&r);
        return VG_(mk_SysRes_Error)(VKI_EACCES);
    }
    return res;
}
