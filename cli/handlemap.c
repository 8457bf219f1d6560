/* handlemap.c — see handlemap.h. */
#include <stdlib.h>

#include "handlemap.h"

static size_t slot(uint32_t key, size_t mask)
{
    return ((uint64_t)key * 0x9e3779b97f4a7c15ULL >> 20) & mask;
}

static int grow(struct handlemap *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    uint32_t *k = calloc(ncap, sizeof *k);
    int64_t *v = malloc(ncap * sizeof *v);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = slot(m->keys[i], ncap - 1);
        while (k[j])
            j = (j + 1) & (ncap - 1);
        k[j] = m->keys[i];
        v[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = k;
    m->vals = v;
    m->cap = ncap;
    return 0;
}

int hm_put(struct handlemap *m, uint32_t key, int64_t val)
{
    if ((m->n + 1) * 2 > m->cap && grow(m) != 0)
        return -1;
    size_t mask = m->cap - 1, i = slot(key, mask);
    for (; m->keys[i]; i = (i + 1) & mask)
        if (m->keys[i] == key)
            return 1;
    m->keys[i] = key;
    m->vals[i] = val;
    m->n++;
    return 0;
}

int hm_get(const struct handlemap *m, uint32_t key, int64_t *val)
{
    if (!m->cap || !key)
        return 0;
    size_t mask = m->cap - 1;
    for (size_t i = slot(key, mask); m->keys[i]; i = (i + 1) & mask)
        if (m->keys[i] == key) {
            *val = m->vals[i];
            return 1;
        }
    return 0;
}

void hm_free(struct handlemap *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->cap = m->n = 0;
}
