/* ct_sockets.c — names and offsets for socket data (see ct_sockets.h).
 *
 * Names.  Each direction of a connection is one object, named alike by both
 * ends, sender first:
 *  - TCP: tcp:SRC>DST#ID, addresses from getsockname/getpeername (IPv4
 *    dotted, IPv6 in brackets, IPv4-mapped IPv6 shown as IPv4), ID the
 *    initial sequence number of that direction (the sender's ISS is the
 *    receiver's IRS), looked up by socket cookie in the map that the eBPF
 *    program bpf/tcpid.bpf.c fills; 0 when the map is missing.
 *  - UDP: udp:SRC>DST per datagram (sendto/recvfrom addresses or the
 *    connected peer); a wildcard local address is replaced by the source
 *    address the kernel's route lookup picks for the peer.
 *  - Unix: unix:S>R by socket inodes (the peer's from sock_diag,
 *    UNIX_DIAG_PEER).  Datagram receivers that are not connected cannot tell
 *    which socket sent a datagram, so such datagrams are named unix:0>R on
 *    both ends (the sender names itself only when the receiver is connected
 *    to it).
 *
 * Offsets.
 *  - TCP, exact from the kernel even when several processes share the
 *    socket after fork: bytes consumed so far = tcpi_bytes_received -
 *    SIOCINQ (less one once a FIN arrived: the FIN counts in
 *    bytes_received but not in SIOCINQ), bytes written so far =
 *    tcpi_bytes_acked + SIOCOUTQ (less one on the connecting end: its SYN
 *    counts as acked).  The pair is not read atomically, so it is read
 *    until TCP_INFO is the same before and after SIOCINQ/SIOCOUTQ.  Taken
 *    right after the call: start = count - n (MSG_PEEK: count).
 *  - UDP: datagram k of a direction occupies [k<<32, (k<<32) + len), so a
 *    lost datagram never shifts later ones.  Between tracked hosts k is the
 *    sequence number the sender's tc program tagged the datagram with
 *    (ct_udptag.c: the receiver reads the tag, the sender keeps its count
 *    in step with the program's); otherwise both ends count datagrams per
 *    direction.
 *  - Unix: a byte counter per direction in each process (exact while one
 *    process at a time uses a direction; Unix sockets are reliable and
 *    ordered, datagrams included).
 */
#include "ct_sockets.h"
#include "ct_emit.h"
#include "pub_tool_libcfile.h"
#include "pub_tool_vki.h"
#include "pub_tool_vkiscnums.h"
#include "../bpf/tcpid.h"
#include "../bpf/udptag.h"
#include "ct_udptag.h"


#define X_SOL_SOCKET   1
#define X_SO_TYPE      3
#define X_SO_DOMAIN    39
#define X_SO_COOKIE    57
#define X_IPPROTO_TCP  6
#define X_TCP_INFO     11
#define X_SIOCINQ      0x541B
#define X_SIOCOUTQ     0x5411
#define X_AF_UNIX      1
#define X_AF_INET      2
#define X_AF_INET6     10
#define X_AF_NETLINK   16
#define X_SOCK_STREAM  1
#define X_SOCK_DGRAM   2
#define X_SOCK_SEQPACKET 5
#define X_NETLINK_SOCK_DIAG 4
#define X_SOCK_CLOEXEC 02000000
#define X_BPF_MAP_LOOKUP_ELEM 1
#define X_BPF_OBJ_GET  7
#ifndef __NR_bpf
#define __NR_bpf 321
#endif

/* Per socket (by inode): what we learnt once. */
struct sk {
    ULong ino;
    Int family, type;           /* 0: not asked yet */
    Int role;                   /* 0 unknown, 1 connected (active), 2 accepted */
    ULong peer;                 /* Unix: the peer's inode, once known (it reads 0
                                   from sock_diag after the peer closed) */
    struct ct_obj *out, *in;    /* connection-oriented: the two directions */
};
static struct sk *sks;               /* open addressing by inode, never shrinks */
static UInt capsks, nsks;

static struct sk *sk_get(ULong ino)
{
    if (2 * (nsks + 1) > capsks) {
        struct sk *old = sks;
        UInt ocap = capsks;
        capsks = capsks ? 2 * capsks : 64;
        sks = VG_(calloc)("ct.sks", capsks, sizeof *sks);
        for (UInt i = 0; i < ocap; i++) {
            if (!old[i].ino) continue;
            UInt j = (UInt)(old[i].ino * 2654435761u) & (capsks - 1);
            while (sks[j].ino) j = (j + 1) & (capsks - 1);
            sks[j] = old[i];
        }
        if (old) VG_(free)(old);
    }
    UInt j = (UInt)(ino * 2654435761u) & (capsks - 1);
    while (sks[j].ino && sks[j].ino != ino) j = (j + 1) & (capsks - 1);
    if (!sks[j].ino) {
        sks[j].ino = ino;
        nsks++;
    }
    return &sks[j];
}

static Long sys(UWord nr, UWord a1, UWord a2, UWord a3, UWord a4, UWord a5)
{
    SysRes r = ct_syscall(nr, a1, a2, a3, a4, a5, 0);
    return sr_isError(r) ? -(Long)sr_Err(r) : (Long)sr_Res(r);
}

static Int sockopt_int(Int fd, Int level, Int opt)
{
    Int v = 0;
    UInt len = sizeof v;
    return sys(__NR_getsockopt, fd, level, opt, (UWord)&v, (UWord)&len) < 0 ? -1 : v;
}

/* ---------------- addresses ---------------- */

struct addr { UChar b[128]; UInt len; };

static UInt family_of(const struct addr *a) { return a->len >= 2 ? a->b[0] | (a->b[1] << 8) : 0; }

static Bool is_v4mapped(const UChar *a6)
{
    for (Int i = 0; i < 10; i++) if (a6[i]) return False;
    return a6[10] == 0xff && a6[11] == 0xff;
}

static Bool is_wildcard(const struct addr *a)
{
    UInt f = family_of(a);
    if (f == X_AF_INET) return a->len >= 8 && !(a->b[4] | a->b[5] | a->b[6] | a->b[7]);
    if (f == X_AF_INET6) {
        if (a->len < 24) return True;
        for (Int i = 8; i < 24; i++) if (a->b[i]) return False;
        return True;
    }
    return False;
}

/* "IP:PORT" (IPv6 "[IP]:PORT", RFC 5952 zero compression). */
static void fmt_inet(HChar *out, const struct addr *a)
{
    UInt f = family_of(a);
    UInt port = (a->b[2] << 8) | a->b[3];
    const UChar *v4 = NULL;
    if (f == X_AF_INET) v4 = a->b + 4;
    else if (f == X_AF_INET6 && is_v4mapped(a->b + 8)) v4 = a->b + 20;
    if (v4) {
        VG_(sprintf)(out, "%u.%u.%u.%u:%u", v4[0], v4[1], v4[2], v4[3], port);
        return;
    }
    UInt g[8];
    for (Int i = 0; i < 8; i++) g[i] = (a->b[8 + 2 * i] << 8) | a->b[9 + 2 * i];
    Int best = -1, bestlen = 1;
    for (Int i = 0; i < 8;) {
        Int j = i;
        while (j < 8 && g[j] == 0) j++;
        if (j - i > bestlen) { best = i; bestlen = j - i; }
        i = j > i ? j : i + 1;
    }
    HChar *p = out;
    *p++ = '[';
    for (Int i = 0; i < 8; i++) {
        if (i == best) {
            p += VG_(sprintf)(p, "::");
            i += bestlen - 1;
            continue;
        }
        if (i > 0 && i != best + bestlen) *p++ = ':';
        p += VG_(sprintf)(p, "%x", g[i]);
    }
    VG_(sprintf)(p, "]:%u", port);
}

static Bool sockname(Int fd, struct addr *a, Bool peer)
{
    a->len = sizeof a->b;
    Long r = sys(peer ? __NR_getpeername : __NR_getsockname, fd, (UWord)a->b, (UWord)&a->len, 0, 0);
    if (r < 0 || a->len > sizeof a->b) return False;
    return True;
}

/* The source address the kernel would pick to reach `peer` (a connected
 * scratch UDP socket: a route lookup, no packet), keeping local's port. */
static void route_source(struct addr *local, const struct addr *peer)
{
    Long s = sys(__NR_socket, family_of(local), X_SOCK_DGRAM | X_SOCK_CLOEXEC, 0, 0, 0);
    if (s < 0) return;
    struct addr tmp;
    struct addr p = *peer;
    if (family_of(&p) != family_of(local)) { sys(__NR_close, s, 0, 0, 0, 0); return; }
    if (sys(__NR_connect, s, (UWord)p.b, p.len, 0, 0) == 0 && sockname((Int)s, &tmp, False)
        && tmp.len == local->len) {
        UChar port[2] = { local->b[2], local->b[3] };
        *local = tmp;
        local->b[2] = port[0];
        local->b[3] = port[1];
    }
    sys(__NR_close, s, 0, 0, 0, 0);
}

/* ---------------- TCP connection ids (the eBPF map) ---------------- */

static Int map_fd = -2;          /* -2: not tried yet, -1: unavailable */

static void note_no_ids(const HChar *why)
{
    static Bool noted;
    if (noted) return;
    noted = True;
    em_note(1, "TCP connection ids unavailable (%s): streams are named with id 0, so two "
               "connections that reuse the same addresses and ports one after the other may mix; "
               "run 'crosstag bpf attach' as root", why);
}

/* The agent reads the map for a process the kernel refuses bpf() (not
 * root any more: kernel.unprivileged_bpf_disabled); EPERM once means
 * every later call would get it too. */
static Bool ids_by_agent;

static Bool agent_ids(ULong cookie, UInt *iss, UInt *irs, Int *active)
{
    UInt a = 0;
    if (!em_tcpid(cookie, iss, irs, &a)) {
        note_no_ids("neither this process (bpf() needs root) nor its agent could read the BPF map "
                    "at " TCPID_PIN);
        return False;
    }
    *active = a ? 1 : 2;
    return True;
}

static Bool tcp_ids(Int fd, UInt *iss, UInt *irs, Int *active)
{
    ULong cookie = 0;
    UInt len = sizeof cookie;
    if (sys(__NR_getsockopt, fd, X_SOL_SOCKET, X_SO_COOKIE, (UWord)&cookie, (UWord)&len) < 0) {
        note_no_ids("no socket cookie");
        return False;
    }
    if (ids_by_agent) return agent_ids(cookie, iss, irs, active);
    if (map_fd == -2) {
        struct { ULong pathname; UInt bpf_fd, file_flags; ULong pad[16]; } attr;
        VG_(memset)(&attr, 0, sizeof attr);
        attr.pathname = (ULong)(Addr)TCPID_PIN;
        Long r = sys(__NR_bpf, X_BPF_OBJ_GET, (UWord)&attr, sizeof attr, 0, 0);
        if (r < 0) {                       /* EPERM, EACCES (the pin's folder)... */
            ids_by_agent = True;
            return agent_ids(cookie, iss, irs, active);
        }
        /* Valgrind's reserved fd range: the program can neither see nor close it. */
        map_fd = ct_safe_fd((Int)r);
        if (map_fd < 0) {                  /* Valgrind's reserved fds are used up */
            ids_by_agent = True;
            return agent_ids(cookie, iss, irs, active);
        }
    }
    struct tcpid_val v;
    struct { UInt map_fd, pad; ULong key, value, flags; ULong pad2[14]; } attr;
    VG_(memset)(&attr, 0, sizeof attr);
    attr.map_fd = (UInt)map_fd;
    attr.key = (ULong)(Addr)&cookie;
    attr.value = (ULong)(Addr)&v;
    Long r = sys(__NR_bpf, X_BPF_MAP_LOOKUP_ELEM, (UWord)&attr, sizeof attr, 0, 0);
    if (r == -VKI_EPERM) {                 /* it dropped root since it opened the map */
        ids_by_agent = True;
        return agent_ids(cookie, iss, irs, active);
    }
    if (r < 0) {
        note_no_ids("a connection made before the BPF program was attached");
        return False;
    }
    *iss = v.iss;
    *irs = v.irs;
    *active = v.active ? 1 : 2;
    return True;
}

/* Bytes written so far (out) and consumed so far (in), exact (see top). */
static Bool tcp_counts(Int fd, Int role, ULong *sent, ULong *consumed)
{
    UChar i1[232], i2[232];
    for (Int tries = 0; tries < 16; tries++) {
        UInt l1 = sizeof i1, l2 = sizeof i2;
        Int inq = 0, outq = 0;
        if (sys(__NR_getsockopt, fd, X_IPPROTO_TCP, X_TCP_INFO, (UWord)i1, (UWord)&l1) < 0 || l1 < 136)
            return False;
        if (sys(__NR_ioctl, fd, X_SIOCINQ, (UWord)&inq, 0, 0) < 0) inq = 0;
        if (sys(__NR_ioctl, fd, X_SIOCOUTQ, (UWord)&outq, 0, 0) < 0) outq = 0;
        if (sys(__NR_getsockopt, fd, X_IPPROTO_TCP, X_TCP_INFO, (UWord)i2, (UWord)&l2) < 0)
            return False;
        ULong acked1 = *(ULong *)(i1 + 120), rcvd1 = *(ULong *)(i1 + 128);
        ULong acked2 = *(ULong *)(i2 + 120), rcvd2 = *(ULong *)(i2 + 128);
        if (acked1 != acked2 || rcvd1 != rcvd2 || i1[0] != i2[0]) continue;
        UChar state = i1[0];
        /* CLOSE_WAIT, LAST_ACK, CLOSING, TIME_WAIT, CLOSE: the peer's FIN arrived
         * (CLOSE after a reset is taken as a FIN too: its data is gone anyway). */
        Bool fin = state == 8 || state == 9 || state == 11 || state == 6 || (state == 7 && rcvd1 > 0);
        *consumed = rcvd1 - (ULong)inq - (fin && rcvd1 > (ULong)inq ? 1 : 0);
        *sent = acked1 + (ULong)outq - (role == 1 && acked1 > 0 ? 1 : 0);
        return True;
    }
    return False;
}

/* ---------------- Unix sockets: peers by sock_diag ---------------- */

/* The inode of the peer of Unix socket `ino` (0: none), by a
 * SOCK_DIAG_BY_FAMILY request for that one socket. */
static ULong unix_peer(ULong ino)
{
    Long s = sys(__NR_socket, X_AF_NETLINK, X_SOCK_DGRAM | X_SOCK_CLOEXEC, X_NETLINK_SOCK_DIAG, 0, 0);
    if (s < 0) return 0;
    struct {
        UInt len; UShort type, flags; UInt seq, pid;                 /* nlmsghdr */
        UChar family, protocol; UShort pad; UInt states, ino, show;  /* unix_diag_req */
        UInt cookie[2];
    } req;
    VG_(memset)(&req, 0, sizeof req);
    req.len = sizeof req;
    req.type = 20;               /* SOCK_DIAG_BY_FAMILY */
    req.flags = 1;               /* NLM_F_REQUEST: one socket, by inode */
    req.seq = 1;
    req.family = X_AF_UNIX;
    req.states = ~0u;
    req.ino = (UInt)ino;
    req.show = 4;                /* UDIAG_SHOW_PEER */
    req.cookie[0] = req.cookie[1] = ~0u;
    UChar nlsa[12] = { X_AF_NETLINK, 0 };
    ULong peer = 0;
    if (sys(__NR_sendto, s, (UWord)&req, sizeof req, 0, (UWord)nlsa) == (Long)sizeof req) {
        UInt buf[1024];
        Long n = sys(__NR_recvfrom, s, (UWord)buf, sizeof buf, 0, 0);
        const UChar *p = (const UChar *)buf;
        /* nlmsghdr (16), unix_diag_msg (16), then rtattrs {u16 len, u16 type} */
        if (n >= 32 && *(const UShort *)(p + 4) == 20) {
            Long off = 32, end = *(const UInt *)p < (UInt)n ? *(const UInt *)p : n;
            while (off + 4 <= end) {
                UShort alen = *(const UShort *)(p + off), atype = *(const UShort *)(p + off + 2);
                if (alen < 4) break;
                if (atype == 2 /* UNIX_DIAG_PEER */ && alen >= 8) peer = *(const UInt *)(p + off + 4);
                off += (alen + 3) & ~3;
            }
        }
    }
    sys(__NR_close, s, 0, 0, 0, 0);
    return peer;
}

/* The inode of the Unix socket bound at `a` (a path or an abstract name),
 * by dumping every Unix socket with its name.  Cached: the last one. */
static ULong unix_bound(const struct addr *a)
{
    static struct addr last;
    static ULong last_ino;
    if (last_ino && last.len == a->len && VG_(memcmp)(last.b, a->b, a->len) == 0) return last_ino;
    UInt nlen = a->len > 2 ? a->len - 2 : 0;
    const UChar *name = a->b + 2;
    if (nlen && name[0] != 0) nlen = (UInt)VG_(strlen)((const HChar *)name) < nlen
                                   ? (UInt)VG_(strlen)((const HChar *)name) : nlen;
    if (nlen == 0) return 0;
    /* A path may be given relative or through symlinks: compare the
     * bound file's (dev, ino) when it has one. */
    struct vg_stat st;
    Bool by_vfs = False;
    if (name[0] != 0) {
        HChar path[112];
        VG_(memcpy)(path, name, nlen);
        path[nlen] = 0;
        by_vfs = !sr_isError(VG_(stat)(path, &st));
    }
    Long s = sys(__NR_socket, X_AF_NETLINK, X_SOCK_DGRAM | X_SOCK_CLOEXEC, X_NETLINK_SOCK_DIAG, 0, 0);
    if (s < 0) return 0;
    struct {
        UInt len; UShort type, flags; UInt seq, pid;
        UChar family, protocol; UShort pad; UInt states, ino, show;
        UInt cookie[2];
    } req;
    VG_(memset)(&req, 0, sizeof req);
    req.len = sizeof req;
    req.type = 20;
    req.flags = 1 | 0x300;       /* NLM_F_REQUEST | NLM_F_DUMP */
    req.seq = 2;
    req.family = X_AF_UNIX;
    req.states = ~0u;
    req.show = 1 | 2;            /* UDIAG_SHOW_NAME | UDIAG_SHOW_VFS */
    req.cookie[0] = req.cookie[1] = ~0u;
    UChar nlsa[12] = { X_AF_NETLINK, 0 };
    ULong found = 0;
    if (sys(__NR_sendto, s, (UWord)&req, sizeof req, 0, (UWord)nlsa) == (Long)sizeof req) {
        static UInt buf[8192];
        Bool done = False;
        while (!done) {
            Long n = sys(__NR_recvfrom, s, (UWord)buf, sizeof buf, 0, 0);
            if (n <= 0) break;
            const UChar *p = (const UChar *)buf;
            for (Long m = 0; m + 16 <= n;) {
                UInt mlen = *(const UInt *)(p + m);
                UShort mtype = *(const UShort *)(p + m + 4);
                if (mlen < 16 || m + (Long)mlen > n || mtype == 3 /* NLMSG_DONE */ || mtype == 2) {
                    done = True;
                    break;
                }
                ULong ino = *(const UInt *)(p + m + 20);
                for (Long off = m + 32; off + 4 <= m + (Long)mlen;) {
                    UShort alen = *(const UShort *)(p + off), atype = *(const UShort *)(p + off + 2);
                    if (alen < 4) break;
                    const UChar *v = p + off + 4;
                    UInt vlen = alen - 4;
                    if (atype == 0 /* UNIX_DIAG_NAME */ && !by_vfs && vlen == nlen
                        && VG_(memcmp)(v, name, nlen) == 0 && !found) found = ino;
                    if (atype == 1 /* UNIX_DIAG_VFS: u32 ino, u32 dev */ && by_vfs && vlen >= 8
                        && *(const UInt *)v == (UInt)st.ino && !found) {
                        UInt dev = *(const UInt *)(v + 4);
                        /* the kernel's own dev_t (major << 20 | minor); stat
                         * reports the user encoding */
                        ULong sdev = st.dev;
                        UInt major = (UInt)((sdev >> 8) & 0xfff);
                        UInt minor = (UInt)((sdev & 0xff) | ((sdev >> 12) & 0xfff00));
                        if (dev == ((major << 20) | minor)) found = ino;
                    }
                    off += (alen + 3) & ~3;
                }
                m += (mlen + 3) & ~3;
            }
        }
    }
    sys(__NR_close, s, 0, 0, 0, 0);
    if (found) { last = *a; last_ino = found; }
    return found;
}

/* ---------------- naming ---------------- */

static struct ct_obj *named(const HChar *fmt, const HChar *a, const HChar *b, ULong id, Bool with_id)
{
    HChar name[200];
    if (with_id) VG_(sprintf)(name, fmt, a, b, id);
    else VG_(sprintf)(name, fmt, a, b);
    return obj_named(CT_OBJ_SOCKET, name);
}

static void kind_of(Int fd, struct sk *s)
{
    if (s->family) return;
    s->family = sockopt_int(fd, X_SOL_SOCKET, X_SO_DOMAIN);
    s->type = sockopt_int(fd, X_SOL_SOCKET, X_SO_TYPE);
}

/* TCP: both directions, once the connection is up. */
static Bool tcp_resolve(Int fd, struct sk *s)
{
    struct addr l, p;
    if (!sockname(fd, &l, False) || !sockname(fd, &p, True)) return False;   /* not connected yet */
    HChar ls[64], ps[64];
    fmt_inet(ls, &l);
    fmt_inet(ps, &p);
    UInt iss = 0, irs = 0;
    Int active = 0;
    if (tcp_ids(fd, &iss, &irs, &active)) s->role = active;
    if (!s->role) {
        /* No map and no connect/accept seen (an inherited socket): the end
         * with the higher (ephemeral) port is taken as the connecting one. */
        UInt lport = (l.b[2] << 8) | l.b[3], pport = (p.b[2] << 8) | p.b[3];
        s->role = lport > pport ? 1 : 2;
    }
    s->out = named("tcp:%s>%s#%llu", ls, ps, iss, True);
    s->in = named("tcp:%s>%s#%llu", ps, ls, irs, True);
    return True;
}

static ULong peer_of(struct sk *s)
{
    if (!s->peer) s->peer = unix_peer(s->ino);
    return s->peer;
}

/* Unix connection-oriented sockets, and connected datagram ones. */
static Bool unix_resolve(struct sk *s)
{
    ULong peer = peer_of(s);
    if (!peer) return False;
    HChar me[24], other[24];
    VG_(sprintf)(me, "%llu", s->ino);
    VG_(sprintf)(other, "%llu", peer);
    s->out = named("unix:%s>%s", me, other, 0, False);
    s->in = named("unix:%s>%s", other, me, 0, False);
    return True;
}

/* Unix datagram objects (see top: unix:0>R unless R is connected to S). */
static struct ct_obj *unix_dgram(Int fd, struct sk *s, Bool reading, Addr addr, UInt addrlen)
{
    HChar a[24], b[24];
    if (reading) {
        ULong peer = peer_of(s);
        VG_(sprintf)(a, "%llu", peer);
        VG_(sprintf)(b, "%llu", s->ino);
        return named("unix:%s>%s", a, b, 0, False);
    }
    ULong recv = 0;
    struct addr d;
    if (addr && addrlen > 2 && addrlen <= sizeof d.b) {
        VG_(memcpy)(d.b, (const void *)addr, addrlen);
        d.len = addrlen;
        recv = unix_bound(&d);
    } else {
        recv = peer_of(s);
    }
    if (!recv) return NULL;
    ULong me = unix_peer(recv) == s->ino ? s->ino : 0;
    VG_(sprintf)(a, "%llu", me);
    VG_(sprintf)(b, "%llu", recv);
    return named("unix:%s>%s", a, b, 0, False);
}

/* 16 address bytes (IPv4 mapped into IPv6) and the port, as the udptag
 * BPF programs key a direction. */
static void flow_addr(const struct addr *a, UChar out[16], UShort *port)
{
    VG_(memset)(out, 0, 16);
    if (family_of(a) == X_AF_INET) {
        out[10] = out[11] = 0xff;
        VG_(memcpy)(out + 12, a->b + 4, 4);
    } else if (a->len >= 24) {
        VG_(memcpy)(out, a->b + 8, 16);
    }
    VG_(memcpy)(port, a->b + 2, 2);
}

/* UDP: per datagram, from the address the call named or the connected peer.
 * key (may be NULL): the direction as the udptag programs key it. */
static struct ct_obj *udp_obj_key(Int fd, Bool reading, Addr addr, UInt addrlen, struct udptag_flow *key)
{
    struct addr l, p;
    if (addr && addrlen >= 8 && addrlen <= sizeof p.b) {
        VG_(memcpy)(p.b, (const void *)addr, addrlen);
        p.len = addrlen;
    } else if (!sockname(fd, &p, True)) {
        return NULL;
    }
    if (!sockname(fd, &l, False)) return NULL;
    if (is_wildcard(&l)) route_source(&l, &p);
    HChar ls[64], ps[64];
    fmt_inet(ls, &l);
    fmt_inet(ps, &p);
    if (key) {
        flow_addr(reading ? &p : &l, key->src, &key->sport);
        flow_addr(reading ? &l : &p, key->dst, &key->dport);
    }
    return reading ? named("udp:%s>%s", ps, ls, 0, False) : named("udp:%s>%s", ls, ps, 0, False);
}

static struct ct_obj *udp_obj(Int fd, Bool reading, Addr addr, UInt addrlen)
{
    return udp_obj_key(fd, reading, addr, addrlen, NULL);
}

Bool sock_is_udp(Int fd, struct ct_obj *so)
{
    struct sk *s = sk_get(so->ino);
    kind_of(fd, s);
    return (s->family == X_AF_INET || s->family == X_AF_INET6) && s->type == X_SOCK_DGRAM;
}

struct ct_obj *sock_udp_out(Int fd, Addr addr, UInt addrlen, struct udptag_flow *key)
{
    return udp_obj_key(fd, False, addr, addrlen, key);
}

void sock_set_role(Int fd, Bool active, Bool connected)
{
    struct ct_obj *so = obj_for_fd(fd);
    if (!so || so->kind != CT_OBJ_SOCKET) return;
    struct sk *s = sk_get(so->ino);
    s->role = active ? 1 : 2;
    kind_of(fd, s);
    /* A Unix peer is named now, while it surely exists. */
    if (connected && s->family == X_AF_UNIX) {
        s->peer = 0;
        s->out = s->in = NULL;
        if (s->type != X_SOCK_DGRAM) unix_resolve(s);
        else peer_of(s);
    }
}

void sock_pair(Int fd0, Int fd1)
{
    struct ct_obj *a = obj_for_fd(fd0), *b = obj_for_fd(fd1);
    if (!a || !b || a->kind != CT_OBJ_SOCKET || b->kind != CT_OBJ_SOCKET) return;
    struct sk *sa = sk_get(a->ino), *sb = sk_get(b->ino);
    kind_of(fd0, sa);
    kind_of(fd1, sb);
    sa->peer = b->ino;
    sb->peer = a->ino;
    if (sa->type != X_SOCK_DGRAM) unix_resolve(sa);
    if (sb->type != X_SOCK_DGRAM) unix_resolve(sb);
}

struct ct_obj *sock_io(Int fd, struct ct_obj *so, Bool reading, Bool consume, ULong n,
                       Addr addr, UInt addrlen, ULong *off)
{
    struct sk *s = sk_get(so->ino);
    kind_of(fd, s);
    struct ct_obj *o = NULL;
    Bool inet = s->family == X_AF_INET || s->family == X_AF_INET6;
    if (inet && s->type == X_SOCK_STREAM) {
        if (s->out || tcp_resolve(fd, s)) {
            o = reading ? s->in : s->out;
            ULong sent, consumed;
            if (tcp_counts(fd, s->role, &sent, &consumed)) {
                ULong c = reading ? consumed : sent;
                *off = reading && !consume ? c : (c >= n ? c - n : 0);
                return o;
            }
        }
    } else if (inet && s->type == X_SOCK_DGRAM) {
        o = udp_obj(fd, reading, addr, addrlen);
        UInt tag;
        if (o && reading && udptag_rx_next(&tag)) {   /* the sender's k, from its tag */
            *off = (ULong)tag << 32;
            return o;
        }
        if (o) {
            ULong *k = reading ? &o->rd_off : &o->wr_off;
            *off = *k << 32;
            if (!reading || consume) (*k)++;
            return o;
        }
    } else if (s->family == X_AF_UNIX) {
        if (s->type == X_SOCK_DGRAM) o = unix_dgram(fd, s, reading, addr, addrlen);
        else if (s->out || unix_resolve(s)) o = reading ? s->in : s->out;
    }
    if (!o) o = so;                      /* unnamed: per-process counters on socket:INO */
    ULong *k = reading ? &o->rd_off : &o->wr_off;
    *off = *k;
    if (!reading || consume) *k += n;
    return o;
}

void sock_sent_clean(Int fd, struct ct_obj *so, ULong n, Addr addr, UInt addrlen)
{
    struct sk *s = sk_get(so->ino);
    kind_of(fd, s);
    /* TCP offsets come from the kernel's counts: nothing to keep. */
    if ((s->family == X_AF_INET || s->family == X_AF_INET6) && s->type == X_SOCK_STREAM) return;
    ULong off;
    sock_io(fd, so, False, True, n, addr, addrlen, &off);
}
