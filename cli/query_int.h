/* query_int.h — shared by the query engine's files: query.c (nodes, memo,
 * reading flows), qback.c / qfwd.c (expanding a node backward / forward)
 * and qflat.c (flattening the tree into rows). */
#ifndef CT_QUERY_INT_H
#define CT_QUERY_INT_H

#include "qpart.h"
#include "query.h"

struct qflow { int64_t id; struct store_flow f; };

/* Flows of a node's object overlapping its range, filtered. */
enum fetch_filter {
    F_WRITTEN_BY,       /* time_ns <= t, not n->excl: writes that happened by t */
    F_WRITTEN_AFTER,    /* time_ns > t: later overwrites */
    F_READ_FROM,        /* src_time_ns >= t, not n->excl: reads at or after t */
    F_ANY,
};
struct fetch { struct qflow *v; size_t n; };
/* by_sink: the node's object is the flows' sink, else their source.
 * Aligned rows with unequal sides come back as `all`.  0, -1 (q->err). */
int q_fetch(struct query *q, struct fetch *fe, int by_sink, const struct qnode *n,
            enum fetch_filter filter);

/* The node for these bytes (memoized) in *out, NULL for a plain leaf.  via:
 * the flow that leads there, whose own write the node must not see.
 * 0, or -1 (q->err). */
int q_visit(struct query *q, int64_t obj, uint64_t start, uint64_t end, uint64_t t,
            const struct qflow *via, struct qnode **out);

int q_expand_backward(struct query *q, struct qnode *n);
int q_expand_forward(struct query *q, struct qnode *n);

/* Hop and range lists of a node; *cap is the caller's capacity counter. */
int q_add_hop(struct query *q, struct qnode *n, const struct store_flow *f, uint64_t a, uint64_t b,
              int64_t cobj, uint64_t cstart, uint64_t cend, struct qnode *child, size_t *cap);
int q_add_seg(struct query *q, struct qseg **v, size_t *n, size_t *cap, uint64_t a, uint64_t b);
void q_sort_hops(struct qnode *n);

/* The flows' ranges on one side clipped to the node's, keyed by write
 * time; NULL out of memory. */
struct qiv *q_clip(const struct fetch *fe, const struct qnode *n, int sink_side);

int q_grow(void **v, size_t *cap, size_t need, size_t elem);
int q_oom(struct query *q);

static inline uint64_t q_max(uint64_t a, uint64_t b) { return a > b ? a : b; }
static inline uint64_t q_min(uint64_t a, uint64_t b) { return a < b ? a : b; }

#endif
