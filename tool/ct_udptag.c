/* ct_udptag.c — the tracker's side of the UDP sequence tag (see
 * bpf/udptag.h for the tc programs).
 *
 * When this network namespace has the udptag maps pinned:
 *  - every IPv4/IPv6 datagram socket the process makes is registered as
 *    tracked at once (its rx socket storage set, by fd), before it has a
 *    port, so no datagram can reach it untrailed; a socket the process got
 *    some other way is registered at its first receive;
 *  - each receive on a registered socket (read, readv, recv, recvfrom,
 *    recvmsg, recvmmsg; MSG_PEEK alike) returns 4 bytes less: the last 4
 *    bytes are the trailer.  Its k (big-endian) names the datagram's bytes
 *    [k<<32, +len); UDPTAG_NONE (an untracked sender) or a trailer cut off
 *    by a short buffer leaves the count per direction (ct_sockets.c);
 *  - before each send on a UDP socket the direction's datagram count is
 *    raised to the program's counter for that 4-tuple (the k the next
 *    datagram will get), so a reused 4-tuple, or a socket another process
 *    used before, keeps counting where the wire is.  The count is not
 *    taken after the send: the first datagram to a neighbour not yet
 *    resolved reaches tc later.
 * Limits: a receive whose buffer is smaller than payload + 4 loses the tag
 * (recv/recvfrom/read cannot even tell: the datagram is taken as ending
 * there); datagrams an untracked process queued on a socket before it was
 * registered are misread; a registered socket read some other way (io_uring,
 * splice) shows the trailer.  Without root the pins cannot be opened: no
 * socket is registered, the receiving host cuts every tag, and both ends
 * count. */
#include "ct_udptag.h"
#include "ct_objects.h"
#include "ct_sockets.h"
#include "pub_tool_libcfile.h"
#include "pub_tool_threadstate.h"
#include "pub_tool_vki.h"
#include "pub_tool_vkiscnums.h"
#include "pub_tool_machine.h"
#include "libvex_guest_offsets.h"
#include "../bpf/udptag.h"

/* exported by the core, not in pub_tool headers */
extern SysRes VG_(mk_SysRes_Success)(UWord val);

#ifndef __NR_bpf
#define __NR_bpf 321
#endif
#define X_BPF_MAP_LOOKUP_ELEM 1
#define X_BPF_MAP_UPDATE_ELEM 2
#define X_BPF_OBJ_GET  7
#define X_MSG_TRUNC    0x20
#define X_AF_INET      2
#define X_AF_INET6     10
#define X_SOCK_DGRAM   2
#define X_IPPROTO_UDP  17

static Int rx_map = -2, seq_map = -2;    /* -2 not tried, -1 none here */

static Long sys(UWord nr, UWord a1, UWord a2, UWord a3)
{
    SysRes r = ct_syscall(nr, a1, a2, a3, 0, 0, 0);
    return sr_isError(r) ? -(Long)sr_Err(r) : (Long)sr_Res(r);
}

static Int obj_get(const HChar *path)
{
    struct { ULong pathname; UInt bpf_fd, file_flags; ULong pad[16]; } attr;
    VG_(memset)(&attr, 0, sizeof attr);
    attr.pathname = (ULong)(Addr)path;
    Long r = sys(__NR_bpf, X_BPF_OBJ_GET, (UWord)&attr, sizeof attr);
    return r < 0 ? -1 : ct_safe_fd((Int)r);   /* out of the program's sight */
}

/* This namespace's maps (the pin folder is named by its inode). */
static Bool maps(void)
{
    if (rx_map == -2) {
        struct vg_stat st;
        HChar dir[128], path[160];
        rx_map = seq_map = -1;
        if (sr_isError(VG_(stat)("/proc/self/ns/net", &st))) return False;
        VG_(sprintf)(dir, UDPTAG_FMT, (ULong)st.ino);
        VG_(sprintf)(path, "%s/rx", dir);
        rx_map = obj_get(path);
        VG_(sprintf)(path, "%s/seq", dir);
        seq_map = obj_get(path);
    }
    return rx_map >= 0;
}

Bool udptag_on(void) { return maps(); }

static Bool map_op(Int map, UInt cmd, const void *key, void *value, ULong flags)
{
    struct { UInt map_fd, pad; ULong key, value, flags; ULong pad2[14]; } attr;
    VG_(memset)(&attr, 0, sizeof attr);
    attr.map_fd = (UInt)map;
    attr.key = (ULong)(Addr)key;
    attr.value = (ULong)(Addr)value;
    attr.flags = flags;
    return sys(__NR_bpf, cmd, (UWord)&attr, sizeof attr) == 0;
}

static Bool register_fd(Int fd)
{
    UInt one = 1;
    return map_op(rx_map, X_BPF_MAP_UPDATE_ELEM, &fd, &one, 0 /* BPF_ANY */);
}

/* Sockets known registered (by inode; open addressing, never shrinks). */
static ULong *regs;
static UInt capregs, nregs;

static Bool reg_known(ULong ino)
{
    if (!capregs) return False;
    for (UInt j = (UInt)(ino * 2654435761u) & (capregs - 1); regs[j]; j = (j + 1) & (capregs - 1))
        if (regs[j] == ino) return True;
    return False;
}

static void reg_add(ULong ino)
{
    if (2 * (nregs + 1) > capregs) {
        ULong *old = regs;
        UInt ocap = capregs;
        capregs = capregs ? 2 * capregs : 64;
        regs = VG_(calloc)("ct.udpregs", capregs, sizeof *regs);
        for (UInt i = 0; i < ocap; i++) {
            if (!old[i]) continue;
            UInt j = (UInt)(old[i] * 2654435761u) & (capregs - 1);
            while (regs[j]) j = (j + 1) & (capregs - 1);
            regs[j] = old[i];
        }
        if (old) VG_(free)(old);
    }
    UInt j = (UInt)(ino * 2654435761u) & (capregs - 1);
    while (regs[j]) j = (j + 1) & (capregs - 1);
    regs[j] = ino;
    nregs++;
}

/* fd is a registered UDP socket (registering one met for the first time). */
static Bool registered(Int fd)
{
    struct ct_obj *o = obj_for_fd(fd);
    if (!o || o->kind != CT_OBJ_SOCKET || o->seekable) return False;
    if (reg_known(o->ino)) return True;
    if (!maps() || !sock_is_udp(fd, o)) return False;
    UInt v;
    /* a socket we could not register gets no trailers: nothing to take off */
    if (!map_op(rx_map, X_BPF_MAP_LOOKUP_ELEM, &fd, &v, 0) && !register_fd(fd)) return False;
    reg_add(o->ino);
    return True;
}

/* ---------------- receiving ---------------- */

#define RX_MAX 1024                      /* recvmmsg's limit (UIO_MAXIOV) */
static UInt rx_tags[RX_MAX];
static UInt rx_n, rx_i;

Bool udptag_rx_next(UInt *k)
{
    if (rx_i >= rx_n) return False;
    UInt t = rx_tags[rx_i++];
    if (t == UDPTAG_NONE) return False;
    *k = t;
    return True;
}

static void rx_push(UInt k)
{
    if (rx_n < RX_MAX) rx_tags[rx_n++] = k;
}

/* n bytes arrived in iov[0..cnt) (room = their total size); the call asked
 * for the full length (trunc_flag) / the kernel cut it (cut).  Takes the
 * trailer off: returns the payload's length and queues the tag. */
static ULong strip(const struct vki_iovec *iov, ULong cnt, ULong n, Bool trunc_flag, Bool cut)
{
    ULong room = 0;
    for (ULong i = 0; i < cnt; i++) room += iov[i].iov_len;
    if (cut && !trunc_flag) {            /* the trailer fell off the buffer */
        rx_push(UDPTAG_NONE);
        return n;
    }
    if (n < 4) {                         /* a buffer of < 4 bytes */
        rx_push(UDPTAG_NONE);
        return trunc_flag ? 0 : n;
    }
    if (n > room) {                      /* MSG_TRUNC asked: longer than the buffer */
        rx_push(UDPTAG_NONE);
        return n - 4;
    }
    UChar t[4];
    ULong pos = n - 4, at = 0;
    for (ULong i = 0, got = 0; i < cnt && got < 4; i++) {
        ULong len = iov[i].iov_len;
        while (got < 4 && pos >= at && pos < at + len) {
            UChar *p = (UChar *)iov[i].iov_base + (pos - at);
            t[got++] = *p;
            *p = 0;                      /* the guest never sees the trailer */
            pos++;
        }
        at += len;
    }
    rx_push(((UInt)t[0] << 24) | ((UInt)t[1] << 16) | ((UInt)t[2] << 8) | t[3]);
    return n - 4;
}

static SysRes set_result(ThreadId tid, ULong r)
{
    VG_(set_shadow_regs_area)(tid, 0, OFFSET_amd64_RAX, 8, (const UChar *)&r);
    return VG_(mk_SysRes_Success)(r);
}

SysRes udptag_post(ThreadId tid, UInt sysno, UWord *args, SysRes res)
{
    rx_n = rx_i = 0;
    if (sr_isError(res)) return res;
    ULong r = sr_Res(res);
    Int fd = (Int)args[0];
    struct vki_iovec one;
    switch (sysno) {
    case __NR_socket:
        /* registered before it has a port: nothing arrives untrailed */
        if ((args[0] == X_AF_INET || args[0] == X_AF_INET6) && (args[1] & 0xf) == X_SOCK_DGRAM &&
            (args[2] == 0 || args[2] == X_IPPROTO_UDP) && maps())
            register_fd((Int)r);
        return res;
    case __NR_read: case __NR_recvfrom: {
        if (!registered(fd)) return res;
        Bool tf = sysno == __NR_recvfrom && (args[3] & X_MSG_TRUNC);
        one.iov_base = (void *)args[1];
        one.iov_len = args[2];
        return set_result(tid, strip(&one, 1, r, tf, False));
    }
    case __NR_readv:
        if (!registered(fd)) return res;
        return set_result(tid, strip((const struct vki_iovec *)args[1], args[2], r, False, False));
    case __NR_recvmsg: {
        if (!registered(fd)) return res;
        const struct vki_msghdr *m = (const struct vki_msghdr *)args[1];
        return set_result(tid, strip(m->msg_iov, m->msg_iovlen, r, (args[2] & X_MSG_TRUNC) != 0,
                                     (m->msg_flags & X_MSG_TRUNC) != 0));
    }
    case __NR_recvmmsg: {
        if (!registered(fd)) return res;
        struct vki_mmsghdr *mv = (struct vki_mmsghdr *)args[1];
        for (ULong k = 0; k < r; k++) {
            struct vki_msghdr *m = &mv[k].msg_hdr;
            mv[k].msg_len = (UInt)strip(m->msg_iov, m->msg_iovlen, mv[k].msg_len,
                                        (args[3] & X_MSG_TRUNC) != 0, (m->msg_flags & X_MSG_TRUNC) != 0);
        }
        return res;
    }
    default:
        return res;
    }
}

/* ---------------- sending ---------------- */

/* The next datagram to addr on fd gets the program's counter as k. */
static void resync(Int fd, Addr addr, UInt addrlen)
{
    struct ct_obj *so = obj_for_fd(fd);
    if (!so || so->kind != CT_OBJ_SOCKET || so->seekable || !sock_is_udp(fd, so)) return;
    struct udptag_flow key;
    VG_(memset)(&key, 0, sizeof key);
    struct ct_obj *o = sock_udp_out(fd, addr, addrlen, &key);
    if (!o || key.sport == 0) return;    /* no port yet: the kernel picks one in the send */
    UInt next;
    if (map_op(seq_map, X_BPF_MAP_LOOKUP_ELEM, &key, &next, 0) && next > o->wr_off) o->wr_off = next;
}

void udptag_pre(ThreadId tid, UInt sysno, UWord *args)
{
    (void)tid;
    switch (sysno) {
    case __NR_write: case __NR_writev: case __NR_sendto: case __NR_sendmsg: case __NR_sendmmsg:
        break;
    default:
        return;
    }
    if (!maps() || seq_map < 0) return;
    Int fd = (Int)args[0];
    if (sysno == __NR_sendto) {
        resync(fd, args[4], args[4] ? (UInt)args[5] : 0);
    } else if (sysno == __NR_sendmsg) {
        const struct vki_msghdr *m = (const struct vki_msghdr *)args[1];
        resync(fd, (Addr)m->msg_name, m->msg_name ? m->msg_namelen : 0);
    } else if (sysno == __NR_sendmmsg) {
        const struct vki_mmsghdr *mv = (const struct vki_mmsghdr *)args[1];
        for (ULong k = 0; k < args[2] && k < RX_MAX; k++) {
            const struct vki_msghdr *m = &mv[k].msg_hdr;
            resync(fd, (Addr)m->msg_name, m->msg_name ? m->msg_namelen : 0);
        }
    } else {
        resync(fd, 0, 0);
    }
}
