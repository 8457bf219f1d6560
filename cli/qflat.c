/* qflat.c — flattens a query tree into result rows (query_rows). */
#include <stdio.h>

#include "ct_wire.h"
#include "query_int.h"

static int node_rows(struct query *q, struct qnode *n, int with_term, struct qrows *out);

/* The rows of a child, computed once and freed after its last parent took
 * them: a long chain does not keep every level's rows. */
static int child_rows(struct query *q, struct qnode *c)
{
    if (c->rows_state == 1)
        return 0;
    if (c->rows_state == 2) {               /* cannot happen: refs counts every use */
        snprintf(q->err, sizeof q->err, "internal error: rows used twice");
        return -1;
    }
    if (node_rows(q, c, 1, &c->rows) != 0)
        return -1;
    c->rows_state = 1;
    return 0;
}

static void child_done(struct qnode *c)
{
    if (++c->used >= c->refs) {
        qrows_free(&c->rows);
        c->rows_state = 2;
    }
}

/* The node's terminal bytes relate to themselves. */
static int identity(struct qrows *out, const struct qnode *n, uint64_t a, uint64_t b)
{
    struct qrow row = { a, b, n->obj, a, b, CT_MODE_ALIGNED };
    return qrows_push(out, &row);
}

static int node_rows(struct query *q, struct qnode *n, int with_term, struct qrows *out)
{
    if (with_term) {
        if (n->all_term && identity(out, n, n->start, n->end) != 0)
            return q_oom(q);
        for (size_t i = 0; i < n->nterm; i++)
            if (identity(out, n, n->term[i].start, n->term[i].end) != 0)
                return q_oom(q);
    }
    for (size_t i = 0; i < n->nhops; i++) {
        const struct qhop *h = &n->hops[i];
        struct qnode *c = h->child;
        /* a plain leaf: its whole range relates to itself */
        struct qrow leaf = { h->cstart, h->cend, h->cobj, h->cstart, h->cend, CT_MODE_ALIGNED };
        const struct qrow *rows = &leaf;
        size_t nrows = 1;
        if (c) {
            if (child_rows(q, c) != 0)
                return -1;
            rows = c->rows.v;
            nrows = c->rows.n;
        }
        for (size_t k = 0; k < nrows; k++) {
            struct qrow row = rows[k];
            if (h->mode == CT_MODE_ALIGNED) {
                /* the child's range maps one to one onto [h->start, h->end) */
                row.start = h->start + (row.start - h->cstart);
                row.end = h->start + (row.end - h->cstart);
            } else {
                /* every byte of the piece depends on every byte there */
                row.start = h->start;
                row.end = h->end;
                row.mode = CT_MODE_ALL;
            }
            if (qrows_push(out, &row) != 0)
                return q_oom(q);
        }
        if (c)
            child_done(c);
    }
    qrows_normalize(out);
    return 0;
}

int query_rows(struct query *q, struct qnode *root, struct qrows *out)
{
    *out = (struct qrows){ 0 };
    if (node_rows(q, root, 0, out) != 0) {
        qrows_free(out);
        return -1;
    }
    return 0;
}
