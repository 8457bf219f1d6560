/* ring.c — the agent's end of a tracker's shared record ring: the
 * tracker appends stream bytes and publishes `tail`; we copy [head, tail)
 * into the connection's buffer and publish `head` (ct_wire.h). */
#include "ring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/ct_wire.h"

struct ring {
    struct ct_ring_hdr *hdr;
    unsigned char *data;
    uint32_t size;
};

struct ring *ring_attach(int fd, uint32_t data_size, char *why, size_t wn)
{
    struct stat st;
    size_t len = (size_t)CT_RING_HDR + data_size;
    struct ring *r = NULL;
    if (data_size < 65536 || data_size > (64u << 20) || (data_size & (data_size - 1))) {
        snprintf(why, wn, "RING of %u bytes (not a power of two from 64 KB to 64 MB)", data_size);
        goto fail;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < len) {
        snprintf(why, wn, "RING's memory is not a file of %zu bytes", len);
        goto fail;
    }
    /* A tracker that could shrink the file under our mapping could make
     * us fault (SIGBUS): only a memfd sealed against shrinking will do. */
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0 || !(seals & F_SEAL_SHRINK)) {
        snprintf(why, wn, "RING's memory is not sealed against shrinking");
        goto fail;
    }
    r = calloc(1, sizeof *r);
    void *m = r ? mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
    if (m == MAP_FAILED) {
        snprintf(why, wn, "cannot map the RING's memory");
        goto fail;
    }
    close(fd);                 /* the mapping is enough: one fd per tracker, not two */
    r->hdr = m;
    r->data = (unsigned char *)m + CT_RING_HDR;
    r->size = data_size;
    return r;
fail:
    free(r);
    close(fd);
    return NULL;
}

int ring_waiting(const struct ring *r)
{
    return __atomic_load_n(&r->hdr->tail, __ATOMIC_ACQUIRE) != r->hdr->head;
}

size_t ring_take(struct ring *r, unsigned char *dst, size_t cap)
{
    uint64_t head = r->hdr->head, tail = __atomic_load_n(&r->hdr->tail, __ATOMIC_ACQUIRE);
    /* A tail that runs ahead by more than the ring is a broken tracker:
     * take what the ring holds, no more. */
    size_t n = tail - head > r->size ? r->size : (size_t)(tail - head);
    if (n > cap)
        n = cap;
    size_t at = (size_t)(head & (r->size - 1)), first = r->size - at < n ? r->size - at : n;
    memcpy(dst, r->data + at, first);
    memcpy(dst + first, r->data, n - first);
    __atomic_store_n(&r->hdr->head, head + n, __ATOMIC_RELEASE);
    return n;
}

void ring_free(struct ring *r)
{
    if (!r)
        return;
    munmap(r->hdr, (size_t)CT_RING_HDR + r->size);
    free(r);
}
