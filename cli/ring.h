/* ring.h — the agent's end of a tracker's shared record ring (ct_wire.h,
 * CT_MSG_RING; the tracker's end is tool/ct_ring.c). */
#ifndef CT_RING_H
#define CT_RING_H

#include <stddef.h>
#include <stdint.h>

struct ring;

/* Maps the memfd a RING message brought (fd is taken: closed once
 * mapped, or on failure); NULL with a reason in why when it is not a ring of
 * data_size bytes. */
struct ring *ring_attach(int fd, uint32_t data_size, char *why, size_t wn);
/* Copies up to cap waiting bytes to dst and frees their room; returns
 * how many. */
size_t ring_take(struct ring *r, unsigned char *dst, size_t cap);
int ring_waiting(const struct ring *r);    /* some bytes wait */
void ring_free(struct ring *r);

#endif
