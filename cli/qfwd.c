/* qfwd.c — expanding a node forward: which reads carried its bytes on. */
#include <stdlib.h>

#include "ct_wire.h"
#include "query_int.h"

/* Node (obj, [start,end), t): the data was written there at t.  A read
 * counts for a byte when it came at or after t and before the first later
 * overwrite of that byte (a flow never counts as overwriting what it read
 * itself).  Each counted run of bytes is a hop to the sink range written,
 * at its write time.  Bytes nobody read in time are final sinks, or dead
 * when overwritten first.  The target itself (top) has no overwrites: all
 * its reads count. */

struct fwd {
    struct qnode *n;
    size_t hcap;
    struct qiv *live;       /* the bytes read in time, for the final sinks */
    size_t nlive, lcap;
};

/* Bytes [a,b) of the node, read by f in time: a hop to what f wrote. */
static int hop(struct query *q, struct fwd *w, const struct qflow *fl, uint64_t a, uint64_t b)
{
    const struct store_flow *f = &fl->f;
    uint64_t s = f->sink_start, e = f->sink_end;
    if (f->mode == CT_MODE_ALIGNED) {
        s = f->sink_start + (a - f->src_start);
        e = f->sink_start + (b - f->src_start);
    }
    struct qnode *c;
    if (q_visit(q, f->sink_obj, s, e, f->time_ns, fl, &c) != 0 ||
        q_add_hop(q, w->n, f, a, b, f->sink_obj, s, e, c, &w->hcap) != 0)
        return -1;
    if (q_grow((void **)&w->live, &w->lcap, w->nlive + 1, sizeof *w->live) != 0)
        return q_oom(q);
    w->live[w->nlive++] = (struct qiv){ a, b, 0 };
    return 0;
}

/* One read: its runs of bytes read before their first overwrite (kp). */
static int one_read(struct query *q, struct fwd *w, const struct qpart *kp, size_t nkp,
                    const struct qflow *fl)
{
    const struct store_flow *f = &fl->f;
    struct qpart_it it;
    uint64_t a, b, key, run_a = 0, run_b = 0;
    int has;
    qpart_it_init(&it, kp, nkp, q_max(f->src_start, w->n->start), q_min(f->src_end, w->n->end));
    while (qpart_it_next(&it, &a, &b, &has, &key)) {
        if (has && f->src_time_ns >= key)
            continue;                       /* overwritten first: ends the run */
        if (run_b > run_a && run_b == a) {
            run_b = b;
            continue;
        }
        if (run_b > run_a && hop(q, w, fl, run_a, run_b) != 0)
            return -1;
        run_a = a, run_b = b;
    }
    if (run_b > run_a && hop(q, w, fl, run_a, run_b) != 0)
        return -1;
    return 0;
}

/* The overwrites' partition (earliest per byte), leaving out flow `skip`. */
static int kill_parts(const struct fetch *kf, const struct qnode *n, int64_t skip,
                      struct qpart **pt, size_t *npt)
{
    struct qiv *iv = q_clip(kf, n, 1);
    if (!iv)
        return -1;
    size_t m = 0;
    for (size_t i = 0; i < kf->n; i++)
        if (kf->v[i].id != skip)
            iv[m++] = iv[i];
    int r = qpart_build(iv, m, 0, pt, npt);
    free(iv);
    return r;
}

/* Whether read fl is also one of the overwrites (it reads and writes the
 * node's object): then its own write must not end its own read. */
static int is_kill(const struct fetch *kf, const struct qflow *fl)
{
    for (size_t i = 0; i < kf->n; i++)
        if (kf->v[i].id == fl->id)
            return 1;
    return 0;
}

/* The bytes nobody read in time: final sinks, or dead if overwritten. */
static int ends(struct query *q, struct fwd *w, const struct qpart *kp, size_t nkp)
{
    struct qnode *n = w->n;
    struct qpart *lp = NULL;
    size_t nlp = 0, tcap = 0, dcap = 0;
    if (qpart_build(w->live, w->nlive, 1, &lp, &nlp) != 0)
        return q_oom(q);
    struct qpart_it it, kt;
    uint64_t a, b, key, ka, kb, kkey;
    int has, khas, r = 0;
    qpart_it_init(&it, lp, nlp, n->start, n->end);
    while (r == 0 && qpart_it_next(&it, &a, &b, &has, &key)) {
        if (has)
            continue;
        qpart_it_init(&kt, kp, nkp, a, b);
        while (r == 0 && qpart_it_next(&kt, &ka, &kb, &khas, &kkey))
            r = khas ? q_add_seg(q, &n->dead, &n->ndead, &dcap, ka, kb)
                     : q_add_seg(q, &n->term, &n->nterm, &tcap, ka, kb);
    }
    free(lp);
    return r;
}

int q_expand_forward(struct query *q, struct qnode *n)
{
    struct fetch kf = { 0 }, rf = { 0 };
    struct qpart *kp = NULL, *own = NULL;
    size_t nkp = 0, nown = 0;
    struct fwd w = { .n = n };
    int r = -1;

    if (!n->top && q_fetch(q, &kf, 1, n, F_WRITTEN_AFTER) != 0)
        return -1;
    if (q_fetch(q, &rf, 0, n, n->top ? F_ANY : F_READ_FROM) != 0)
        goto out;
    if (rf.n == 0 && kf.n == 0) {
        n->all_term = 1;
        r = 0;
        goto out;
    }
    if (kill_parts(&kf, n, 0, &kp, &nkp) != 0) {
        q_oom(q);
        goto out;
    }
    for (size_t i = 0; i < rf.n; i++) {
        const struct qflow *fl = &rf.v[i];
        if (fl->f.sink_obj == n->obj && is_kill(&kf, fl)) {
            free(own);
            own = NULL;
            if (kill_parts(&kf, n, fl->id, &own, &nown) != 0) {
                q_oom(q);
                goto out;
            }
            if (one_read(q, &w, own, nown, fl) != 0)
                goto out;
        } else if (one_read(q, &w, kp, nkp, fl) != 0) {
            goto out;
        }
    }
    if (ends(q, &w, kp, nkp) != 0)
        goto out;
    q_sort_hops(n);
    r = 0;
out:
    free(kf.v);
    free(rf.v);
    free(kp);
    free(own);
    free(w.live);
    return r;
}
