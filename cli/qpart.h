/* qpart.h — splits a set of byte ranges, each with a key (a time), into
 * maximal pieces labelled with the largest (or smallest) key covering them.
 * The query engine uses it for "the newest write wins" (backward) and "the
 * first later overwrite ends the data's life" (forward). */
#ifndef CT_QPART_H
#define CT_QPART_H

#include <stddef.h>
#include <stdint.h>

struct qiv { uint64_t start, end, key; };     /* half-open, start < end */

/* Sorted, disjoint, maximal: neighbours that touch have different keys. */
struct qpart { uint64_t start, end, key; };

/* Builds the partition of iv[0..n) (iv is reordered).  want_max picks the
 * largest key, else the smallest.  0 with *out (malloc'd, free it) and
 * *nout, -1 out of memory. */
int qpart_build(struct qiv *iv, size_t n, int want_max, struct qpart **out, size_t *nout);

/* Walks [p, q) over a partition piece by piece. */
struct qpart_it {
    const struct qpart *pt;
    size_t n, i;
    uint64_t pos, end;
};
void qpart_it_init(struct qpart_it *it, const struct qpart *pt, size_t n, uint64_t p, uint64_t q);
/* The next piece [*a, *b) of [p, q): *has 1 with *key when a part covers
 * it, 0 for a gap.  Returns 0 when [p, q) is done. */
int qpart_it_next(struct qpart_it *it, uint64_t *a, uint64_t *b, int *has, uint64_t *key);

#endif
