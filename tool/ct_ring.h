/* ct_ring.h — the tracker's end of the shared record ring (ct_wire.h,
 * CT_MSG_RING): stream bytes go into shared memory the agent reads,
 * without a syscall per record (ct_ring.c). */
#ifndef CT_RING_H
#define CT_RING_H
#include "ct_tool.h"

Bool ring_on(void);
/* Makes a ring and sends the RING message msg (len bytes, already in the
 * stream) on sock with the ring's fd; False (no ring) on any failure. */
Bool ring_open(Int sock, const void *msg, SizeT len);
/* Copies what fits of p[0, n); returns how many bytes it took. */
SizeT ring_put(const UChar *p, SizeT n);
Bool ring_empty(void);
/* One byte on the socket: the agent reads the ring now. */
void ring_bell(Int sock);
Bool ring_bell_due(void);          /* the last bell is 10 ms old */
/* Unmaps and closes it (a lost connection; a forked child drops its
 * parent's ring, which stays the parent's). */
void ring_close(void);

#endif
