/* query.c — the query engine's core (see query.h for the semantics):
 * reading flows, the node memo, the walk with its cycle and size guards. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_wire.h"
#include "query_int.h"

int q_oom(struct query *q)
{
    snprintf(q->err, sizeof q->err, "out of memory");
    return -1;
}

int q_grow(void **v, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 2;     /* most nodes have one or two hops */
    while (ncap < need)
        ncap *= 2;
    void *n = realloc(*v, ncap * elem);
    if (!n)
        return -1;
    *v = n;
    *cap = ncap;
    return 0;
}

/* ---- reading flows ---- */

struct fetch_ctx {
    struct query *q;
    const struct qnode *n;
    enum fetch_filter filter;
    struct fetch *fe;
    size_t cap;
    int failed;
};

/* Whether proc is one of the sorted ids. */
static int proc_in(const int64_t *v, size_t n, int64_t proc)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] == proc)
            return 1;
        if (v[mid] < proc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static int fetch_one(void *ctx, int64_t id, const struct store_flow *f)
{
    struct fetch_ctx *c = ctx;
    uint64_t t = c->n->t;
    c->q->work++;
    if (c->n->top && c->q->n_only_procs && !proc_in(c->q->only_procs, c->q->n_only_procs, f->proc))
        return 0;
    /* damaged rows cannot be placed: skip them */
    if (f->sink_start >= f->sink_end || f->src_start >= f->src_end)
        return 0;
    switch (c->filter) {
    case F_WRITTEN_BY:    if (f->time_ns > t || id == c->n->excl) return 0; break;
    case F_WRITTEN_AFTER: if (f->time_ns <= t) return 0; break;
    case F_READ_FROM:     if (f->src_time_ns < t || id == c->n->excl) return 0; break;
    case F_ANY:           break;
    }
    struct fetch *fe = c->fe;
    if (q_grow((void **)&fe->v, &c->cap, fe->n + 1, sizeof *fe->v) != 0) {
        c->failed = 1;
        return 1;
    }
    struct qflow *g = &fe->v[fe->n++];
    g->id = id;
    g->f = *f;
    /* an aligned row whose sides differ in length cannot map bytes one to
     * one: over-approximate it as `all` */
    if (f->mode != CT_MODE_ALIGNED || f->sink_end - f->sink_start != f->src_end - f->src_start)
        g->f.mode = CT_MODE_ALL;
    return 0;
}

int q_fetch(struct query *q, struct fetch *fe, int by_sink, const struct qnode *n,
            enum fetch_filter filter)
{
    struct fetch_ctx c = { q, n, filter, fe, 0, 0 };
    *fe = (struct fetch){ 0 };
    if (store_flows_overlapping(q->st, by_sink, n->obj, n->start, n->end, fetch_one, &c) != 0) {
        snprintf(q->err, sizeof q->err, "%s", store_errmsg(q->st));
        free(fe->v);
        fe->v = NULL;
        return -1;
    }
    if (c.failed) {
        free(fe->v);
        fe->v = NULL;
        return q_oom(q);
    }
    return 0;
}

struct qiv *q_clip(const struct fetch *fe, const struct qnode *n, int sink_side)
{
    struct qiv *iv = malloc((fe->n ? fe->n : 1) * sizeof *iv);
    if (!iv)
        return NULL;
    for (size_t i = 0; i < fe->n; i++) {
        const struct store_flow *f = &fe->v[i].f;
        uint64_t s = sink_side ? f->sink_start : f->src_start;
        uint64_t e = sink_side ? f->sink_end : f->src_end;
        iv[i] = (struct qiv){ q_max(s, n->start), q_min(e, n->end), f->time_ns };
    }
    return iv;
}

/* ---- hops and ranges ---- */

int q_add_hop(struct query *q, struct qnode *n, const struct store_flow *f, uint64_t a, uint64_t b,
              int64_t cobj, uint64_t cstart, uint64_t cend, struct qnode *child, size_t *cap)
{
    if (q_grow((void **)&n->hops, cap, n->nhops + 1, sizeof *n->hops) != 0)
        return q_oom(q);
    n->hops[n->nhops++] = (struct qhop){ a, b, f->proc, f->time_ns, f->src_time_ns, f->mode,
                                         cobj, cstart, cend, child };
    if (child)
        child->refs++;
    return 0;
}

int q_add_seg(struct query *q, struct qseg **v, size_t *n, size_t *cap, uint64_t a, uint64_t b)
{
    if (*n && (*v)[*n - 1].end == a) {
        (*v)[*n - 1].end = b;
        return 0;
    }
    if (q_grow((void **)v, cap, *n + 1, sizeof **v) != 0)
        return q_oom(q);
    (*v)[(*n)++] = (struct qseg){ a, b };
    return 0;
}

static int cmp_hop(const void *pa, const void *pb)
{
    const struct qhop *a = pa, *b = pb;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    return (a->time_ns > b->time_ns) - (a->time_ns < b->time_ns);
}

void q_sort_hops(struct qnode *n)
{
    qsort(n->hops, n->nhops, sizeof *n->hops, cmp_hop);
}

/* ---- nodes: memo table ---- */

struct key { int64_t obj; uint64_t start, end, t; int64_t excl; int top; };

static uint64_t key_hash(const struct key *k)
{
    uint64_t v[6] = { (uint64_t)k->obj, k->start, k->end, k->t, (uint64_t)k->excl, (uint64_t)k->top };
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int i = 0; i < 6; i++) {
        h ^= v[i] + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
    }
    return h;
}

static int key_is(const struct qnode *n, const struct key *k)
{
    return n->obj == k->obj && n->start == k->start && n->end == k->end && n->t == k->t &&
           n->excl == k->excl && n->top == k->top;
}

static struct qnode **memo_slot(struct query *q, const struct key *k)
{
    size_t mask = q->memo_cap - 1;
    for (size_t i = key_hash(k) & mask;; i = (i + 1) & mask)
        if (!q->memo[i] || key_is(q->memo[i], k))
            return &q->memo[i];
}

static struct key key_of(const struct qnode *n)
{
    return (struct key){ n->obj, n->start, n->end, n->t, n->excl, n->top };
}

static int memo_add(struct query *q, struct qnode *n)
{
    if (q->memo_n + 1 > q->memo_cap / 2) {
        size_t ncap = q->memo_cap ? q->memo_cap * 2 : 1024;
        struct qnode **old = q->memo, **nw = calloc(ncap, sizeof *nw);
        size_t ocap = q->memo_cap;
        if (!nw)
            return -1;
        q->memo = nw;
        q->memo_cap = ncap;
        for (size_t i = 0; i < ocap; i++) {
            if (old[i]) {
                struct key k = key_of(old[i]);
                *memo_slot(q, &k) = old[i];
            }
        }
        free(old);
    }
    struct key k = key_of(n);
    *memo_slot(q, &k) = n;
    q->memo_n++;
    return 0;
}

/* A finished node for k, or NULL. */
static struct qnode *memo_get(struct query *q, const struct key *k)
{
    if (!q->memo_cap)
        return NULL;
    struct qnode *m = *memo_slot(q, k);
    return m && !m->busy ? m : NULL;
}

static struct qnode *new_node(const struct key *k)
{
    struct qnode *n = calloc(1, sizeof *n);
    if (n) {
        n->obj = k->obj;
        n->start = k->start;
        n->end = k->end;
        n->t = k->t;
        n->excl = k->excl;
        n->top = (unsigned char)k->top;
    }
    return n;
}

/* A leaf standing for a path we do not follow; it belongs to this spot of
 * the tree only, so it is not memoized. */
static struct qnode *cut_node(struct query *q, const struct key *k, enum qcut why)
{
    if (q_grow((void **)&q->extra, &q->extra_cap, q->extra_n + 1, sizeof *q->extra) != 0)
        return NULL;
    struct qnode *n = new_node(k);
    if (!n)
        return NULL;
    n->cut = (unsigned char)why;
    n->all_term = 1;
    q->extra[q->extra_n++] = n;
    return n;
}

static void node_free(struct qnode *n)
{
    free(n->hops);
    free(n->term);
    free(n->dead);
    qrows_free(&n->rows);
    free(n);
}

/* ---- the walk ---- */

/* The same object at the same time already on the path: following it again
 * would go round forever (times never move backward along a path). */
static int on_path(const struct query *q, int64_t obj, uint64_t t)
{
    for (size_t i = 0; i < q->depth; i++)
        if (q->stack[i]->obj == obj && q->stack[i]->t == t)
            return 1;
    return 0;
}

/* 0 with *out (NULL: a plain leaf), -1 on error. */
static int visit(struct query *q, struct key k, struct qnode **out)
{
    struct qnode *n = memo_get(q, &k);
    *out = n;
    if (n)
        return 0;
    /* A cycle: flows at one instant feeding each other (processes reading
     * and writing files within one clock tick).  Those same-instant flows
     * bring nothing new, so look strictly before (backward) or after
     * (forward) that instant instead; t moves one way, so this ends. */
    while (on_path(q, k.obj, k.t) && (q->dir == Q_BACKWARD ? k.t > 0 : k.t < UINT64_MAX)) {
        k.t = q->dir == Q_BACKWARD ? k.t - 1 : k.t + 1;
        if ((*out = memo_get(q, &k)) != NULL)
            return 0;
    }
    enum qcut why = Q_CUT_NONE;
    if (on_path(q, k.obj, k.t))
        why = Q_CUT_CYCLE;
    else if (q->depth >= Q_MAX_DEPTH)
        why = Q_CUT_DEPTH, q->hit_depth = 1;
    else if (q->work >= Q_MAX_WORK)
        why = Q_CUT_BUDGET, q->hit_budget = 1;
    if (why != Q_CUT_NONE)
        return (*out = cut_node(q, &k, why)) ? 0 : q_oom(q);

    if (!(n = new_node(&k)))
        return q_oom(q);
    q->work++;
    n->busy = 1;
    q->stack[q->depth++] = n;
    int r = q->dir == Q_BACKWARD ? q_expand_backward(q, n) : q_expand_forward(q, n);
    q->depth--;
    n->busy = 0;
    /* Memoized only once done: meanwhile the path check guards it.  Plain
     * leaves are dropped: the hop keeps their range, and finding out again
     * is one cheap lookup. */
    if (r == 0 && n->all_term && !n->top) {
        node_free(n);
        return 0;
    }
    if (r != 0 || memo_add(q, n) != 0) {
        node_free(n);
        return r != 0 ? -1 : q_oom(q);
    }
    *out = n;
    return 0;
}

int q_visit(struct query *q, int64_t obj, uint64_t start, uint64_t end, uint64_t t,
            const struct qflow *via, struct qnode **out)
{
    /* only a flow reading and writing one object can meet itself there */
    int64_t excl = via->f.src_obj == via->f.sink_obj ? via->id : 0;
    return visit(q, (struct key){ obj, start, end, t, excl, 0 }, out);
}

/* ---- lifetime ---- */

void query_init(struct query *q, struct store *st, enum qdir dir)
{
    memset(q, 0, sizeof *q);
    q->st = st;
    q->dir = dir;
}

struct qnode *query_run(struct query *q, int64_t obj, uint64_t start, uint64_t end)
{
    /* backward: every write so far counts; forward: every read */
    uint64_t t = q->dir == Q_BACKWARD ? UINT64_MAX : 0;
    struct qnode *n = NULL;
    return visit(q, (struct key){ obj, start, end, t, 0, 1 }, &n) == 0 ? n : NULL;
}

void query_free(struct query *q)
{
    for (size_t i = 0; i < q->memo_cap; i++)
        if (q->memo[i])
            node_free(q->memo[i]);
    for (size_t i = 0; i < q->extra_n; i++)
        node_free(q->extra[i]);
    free(q->memo);
    free(q->extra);
    q->memo = q->extra = NULL;
    q->memo_cap = q->memo_n = q->extra_n = q->extra_cap = 0;
}

void query_warn_cuts(const struct query *q)
{
    if (q->hit_depth)
        fprintf(stderr, "crosstag: warning: chains longer than %d hops were cut there\n", Q_MAX_DEPTH);
    if (q->hit_budget)
        fprintf(stderr, "crosstag: warning: the query grew too large; some paths were not followed\n");
}
