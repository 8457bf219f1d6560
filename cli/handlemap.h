/* handlemap.h — a connection's object handles (uint32, >= 1) -> store ids.
 * Open addressing: the tracker picks the handle values, so no array
 * indexed by them (a bogus 4e9 handle must not allocate 32 GB). */
#ifndef CT_HANDLEMAP_H
#define CT_HANDLEMAP_H

#include <stddef.h>
#include <stdint.h>

struct handlemap {
    uint32_t *keys;    /* 0 = empty slot */
    int64_t *vals;
    size_t cap, n;
};

/* 0 added, 1 already present (unchanged), -1 out of memory. */
int hm_put(struct handlemap *m, uint32_t key, int64_t val);
/* 1 and *val when present, 0 when not. */
int hm_get(const struct handlemap *m, uint32_t key, int64_t *val);
void hm_free(struct handlemap *m);

#endif
