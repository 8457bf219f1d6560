/* ct_sockets.h — sockets as stream objects both ends name alike
 * (ct_sockets.c).  Each direction of a connection is one object:
 *   tcp:SRCIP:SRCPORT>DSTIP:DSTPORT#ISS   udp:SRC>DST   unix:SENDER_INO>RECEIVER_INO
 * with offsets both ends agree on. */
#ifndef CT_SOCKETS_H
#define CT_SOCKETS_H
#include "ct_objects.h"

/* n bytes just moved through socket fd (whose fd object is `so`, named
 * socket:INO): the direction object they belong to and, in *off, the offset
 * of the first byte.  reading: received (consume: the stream moved, not
 * MSG_PEEK); else sent.  addr/addrlen: the peer address a datagram call
 * named (sendto destination, recvfrom source as the kernel filled it), or 0.
 * Falls back to `so` with per-process counters when the socket has no
 * stream name (not connected, other families). */
struct ct_obj *sock_io(Int fd, struct ct_obj *so, Bool reading, Bool consume, ULong n,
                       Addr addr, UInt addrlen, ULong *off);

/* n unlabelled bytes were sent: keep the counts (datagram numbers, Unix
 * byte counters) without computing an offset nobody needs. */
void sock_sent_clean(Int fd, struct ct_obj *so, ULong n, Addr addr, UInt addrlen);

/* connect/accept: which end opened the connection (TCP offsets depend on
 * it when the BPF map is missing); connected: the call succeeded (a Unix
 * peer is looked up at once, while it exists). */
void sock_set_role(Int fd, Bool active, Bool connected);
/* socketpair: each end's peer is the other. */
void sock_pair(Int fd0, Int fd1);

/* An IPv4/IPv6 datagram socket (its fd object is `so`)? */
Bool sock_is_udp(Int fd, struct ct_obj *so);
/* The object a datagram sent on UDP socket fd to addr (0: the connected
 * peer) goes to, and its direction as the udptag programs key it. */
struct udptag_flow;
struct ct_obj *sock_udp_out(Int fd, Addr addr, UInt addrlen, struct udptag_flow *key);

#endif
