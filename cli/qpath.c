/* qpath.c — see qpath.h.  Walking backward from TO already visits exactly
 * the paths that end in TO; of its original sources only FROM's bytes are
 * kept.  A FROM byte reaching TO is such a source (it travelled all the
 * way), and every such source is on a path from FROM: the two trees'
 * intersection, without a second walk. */
#include <stdio.h>

#include "ct_wire.h"
#include "qpath.h"

int query_path(struct query *q, int64_t from, uint64_t fstart, uint64_t fend,
               int64_t to, uint64_t tstart, uint64_t tend, struct qrows *out)
{
    struct qrows all = { 0 };
    struct qnode *root = query_run(q, to, tstart, tend);
    if (!root || query_rows(q, root, &all) != 0) {
        qrows_free(&all);
        return -1;
    }
    for (size_t i = 0; i < all.n; i++) {
        struct qrow r = all.v[i];
        if (r.obj != from || r.oend <= fstart || r.ostart >= fend)
            continue;
        uint64_t a = r.ostart < fstart ? fstart : r.ostart;
        uint64_t b = r.oend > fend ? fend : r.oend;
        if (r.mode == CT_MODE_ALIGNED) {
            /* byte k of the source is byte k of the sink, shifted */
            r.start += a - r.ostart;
            r.end -= r.oend - b;
        }
        r.ostart = a;
        r.oend = b;
        if (qrows_push(out, &r) != 0) {
            qrows_free(&all);
            snprintf(q->err, sizeof q->err, "out of memory");
            return -1;
        }
    }
    qrows_free(&all);
    qrows_normalize(out);
    return 0;
}
