/* qrows.h — flat query results: "bytes [start,end) of the queried object
 * relate to bytes [ostart,oend) of object obj" (backward: came from them;
 * forward: went to them), and the sorting/merging both outputs share. */
#ifndef CT_QROWS_H
#define CT_QROWS_H

#include <stddef.h>
#include <stdint.h>

struct qrow {
    uint64_t start, end;        /* in the queried (near) object */
    int64_t obj;                /* the far object */
    uint64_t ostart, oend;      /* in the far object */
    uint32_t mode;              /* CT_MODE_ALIGNED / CT_MODE_ALL */
};

/* A growable array of rows. */
struct qrows {
    struct qrow *v;
    size_t n, cap;
};

int qrows_push(struct qrows *r, const struct qrow *row);   /* 0, -1 out of memory */
void qrows_free(struct qrows *r);

/* Sorts, merges aligned rows of the same far object whose mappings
 * continue or overlap each other (same offset shift, touching or
 * overlapping ranges), and drops exact duplicates.  Rows are then ordered
 * by obj, mode, then position. */
void qrows_normalize(struct qrows *r);

#endif
