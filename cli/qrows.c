/* qrows.c — see qrows.h. */
#include <stdlib.h>

#include "ct_wire.h"
#include "qrows.h"

int qrows_push(struct qrows *r, const struct qrow *row)
{
    if (r->n == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 4;
        struct qrow *v = realloc(r->v, ncap * sizeof *v);
        if (!v)
            return -1;
        r->v = v;
        r->cap = ncap;
    }
    r->v[r->n++] = *row;
    return 0;
}

void qrows_free(struct qrows *r)
{
    free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
}

#define CMP(a, b) do { if ((a) != (b)) return (a) < (b) ? -1 : 1; } while (0)

/* Aligned rows group by their shift (ostart - start, modulo 2^64): rows
 * with the same shift that touch are one mapping. */
static int cmp_norm(const void *pa, const void *pb)
{
    const struct qrow *a = pa, *b = pb;
    CMP(a->obj, b->obj);
    CMP(a->mode, b->mode);
    if (a->mode == CT_MODE_ALIGNED) {
        CMP(a->ostart - a->start, b->ostart - b->start);
    } else {
        CMP(a->ostart, b->ostart);
        CMP(a->oend, b->oend);
    }
    CMP(a->start, b->start);
    CMP(a->end, b->end);
    return 0;
}

void qrows_normalize(struct qrows *r)
{
    if (r->n < 2)
        return;
    qsort(r->v, r->n, sizeof *r->v, cmp_norm);
    size_t k = 0;
    for (size_t i = 1; i < r->n; i++) {
        struct qrow *cur = &r->v[k], *nx = &r->v[i];
        int same = cur->obj == nx->obj && cur->mode == nx->mode;
        if (same && cur->mode == CT_MODE_ALIGNED &&
            cur->ostart - cur->start == nx->ostart - nx->start && nx->start <= cur->end) {
            if (nx->end > cur->end) {
                cur->end = nx->end;
                cur->oend = cur->ostart + (cur->end - cur->start);
            }
            continue;
        }
        if (same && cur->mode != CT_MODE_ALIGNED && cur->ostart == nx->ostart &&
            cur->oend == nx->oend && cur->start == nx->start && cur->end == nx->end)
            continue;
        r->v[++k] = *nx;
    }
    r->n = k + 1;
}
