/* qback.c — expanding a node backward: which writes produced its bytes. */
#include <stdlib.h>

#include "ct_wire.h"
#include "query_int.h"

/* Node (obj, [start,end), t): the writes at or before t count (not the
 * flow that led here, if it wrote this object: it read before it wrote).
 * Per byte the newest write wins, with every flow of that write (equal
 * time): one byte may come from several sources.  Each winning piece is a
 * hop to the source range read, at its read time; bytes no write covers
 * are original. */
int q_expand_backward(struct query *q, struct qnode *n)
{
    struct fetch fe;
    if (q_fetch(q, &fe, 1, n, F_WRITTEN_BY) != 0)
        return -1;
    if (fe.n == 0) {
        n->all_term = 1;
        free(fe.v);
        return 0;
    }
    struct qpart *pt = NULL;
    size_t npt = 0, hcap = 0, tcap = 0;
    struct qiv *iv = q_clip(&fe, n, 1);
    int r = -1;
    if (!iv || qpart_build(iv, fe.n, 1, &pt, &npt) != 0) {
        q_oom(q);
        goto out;
    }
    for (size_t i = 0; i < fe.n; i++) {
        const struct store_flow *f = &fe.v[i].f;
        struct qpart_it it;
        uint64_t a, b, key;
        int has;
        qpart_it_init(&it, pt, npt, q_max(f->sink_start, n->start), q_min(f->sink_end, n->end));
        while (qpart_it_next(&it, &a, &b, &has, &key)) {
            if (!has || key != f->time_ns)
                continue;                   /* a newer write owns these bytes */
            uint64_t s = f->src_start, e = f->src_end;
            if (f->mode == CT_MODE_ALIGNED) {
                s = f->src_start + (a - f->sink_start);
                e = f->src_start + (b - f->sink_start);
            }
            struct qnode *c;
            if (q_visit(q, f->src_obj, s, e, f->src_time_ns, &fe.v[i], &c) != 0 ||
                q_add_hop(q, n, f, a, b, f->src_obj, s, e, c, &hcap) != 0)
                goto out;
        }
    }
    /* bytes no counted write covers: this object is their source */
    struct qpart_it it;
    uint64_t a, b, key;
    int has;
    qpart_it_init(&it, pt, npt, n->start, n->end);
    while (qpart_it_next(&it, &a, &b, &has, &key))
        if (!has && q_add_seg(q, &n->term, &n->nterm, &tcap, a, b) != 0)
            goto out;
    q_sort_hops(n);
    r = 0;
out:
    free(iv);
    free(pt);
    free(fe.v);
    return r;
}
