/* qpart.c — see qpart.h.  A sweep over the range boundaries with a heap of
 * the ranges open at each point: O(n log n) however the ranges overlap. */
#include <stdlib.h>

#include "qpart.h"

static int cmp_start(const void *a, const void *b)
{
    const struct qiv *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* A binary heap of open ranges; the top has the winning key.  Ranges that
 * ended stay until they surface (lazy deletion). */
struct heap {
    const struct qiv **v;
    size_t n;
    int want_max;
};

static int better(const struct heap *h, const struct qiv *a, const struct qiv *b)
{
    return h->want_max ? a->key > b->key : a->key < b->key;
}

static void heap_push(struct heap *h, const struct qiv *x)
{
    size_t i = h->n++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!better(h, x, h->v[up]))
            break;
        h->v[i] = h->v[up];
        i = up;
    }
    h->v[i] = x;
}

static void heap_pop(struct heap *h)
{
    const struct qiv *x = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && better(h, h->v[c + 1], h->v[c]))
            c++;
        if (!better(h, h->v[c], x))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = x;
}

int qpart_build(struct qiv *iv, size_t n, int want_max, struct qpart **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (n == 0)
        return 0;
    uint64_t *pts = malloc(2 * n * sizeof *pts);
    struct heap h = { malloc(n * sizeof *h.v), 0, want_max };
    struct qpart *pt = malloc(n * 2 * sizeof *pt);   /* at most 2n-1 pieces */
    if (!pts || !h.v || !pt) {
        free(pts), free(h.v), free(pt);
        return -1;
    }
    qsort(iv, n, sizeof *iv, cmp_start);
    for (size_t i = 0; i < n; i++) {
        pts[2 * i] = iv[i].start;
        pts[2 * i + 1] = iv[i].end;
    }
    qsort(pts, 2 * n, sizeof *pts, cmp_u64);
    size_t m = 0, np = 0, j = 0;
    for (size_t i = 0; i < 2 * n; i++)
        if (m == 0 || pts[m - 1] != pts[i])
            pts[m++] = pts[i];

    for (size_t k = 0; k + 1 < m; k++) {
        uint64_t a = pts[k], b = pts[k + 1];
        while (j < n && iv[j].start <= a)
            heap_push(&h, &iv[j++]);
        while (h.n && h.v[0]->end <= a)
            heap_pop(&h);
        if (!h.n)
            continue;
        uint64_t key = h.v[0]->key;
        if (np && pt[np - 1].end == a && pt[np - 1].key == key)
            pt[np - 1].end = b;
        else
            pt[np++] = (struct qpart){ a, b, key };
    }
    free(pts);
    free(h.v);
    *out = pt;
    *nout = np;
    return 0;
}

void qpart_it_init(struct qpart_it *it, const struct qpart *pt, size_t n, uint64_t p, uint64_t q)
{
    /* first part ending after p */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pt[mid].end <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    *it = (struct qpart_it){ pt, n, lo, p, q };
}

int qpart_it_next(struct qpart_it *it, uint64_t *a, uint64_t *b, int *has, uint64_t *key)
{
    if (it->pos >= it->end)
        return 0;
    *a = it->pos;
    if (it->i < it->n && it->pt[it->i].start <= it->pos) {
        const struct qpart *p = &it->pt[it->i];
        *b = p->end < it->end ? p->end : it->end;
        *has = 1;
        *key = p->key;
        if (p->end <= *b)
            it->i++;
    } else {
        uint64_t next = it->i < it->n ? it->pt[it->i].start : it->end;
        *b = next < it->end ? next : it->end;
        *has = 0;
        *key = 0;
    }
    it->pos = *b;
    return 1;
}
