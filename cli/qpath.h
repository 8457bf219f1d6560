/* qpath.h — point-to-point queries (`crosstag query path FROM TO`, after
 * RTAG): the bytes of TO that came from bytes of FROM, i.e. the
 * intersection of FROM's forward tree and TO's backward tree, reduced to
 * its two ends.  Each row: TO bytes [start,end) <- FROM bytes [ostart,oend). */
#ifndef CT_QPATH_H
#define CT_QPATH_H

#include "query.h"

/* Backward from TO, keeping the original sources that lie in FROM's range
 * (clipped: aligned rows keep the byte-to-byte mapping, `all` rows keep
 * every TO byte and only the FROM bytes in range).  0, or -1 (q->err). */
int query_path(struct query *q, int64_t from, uint64_t fstart, uint64_t fend,
               int64_t to, uint64_t tstart, uint64_t tend, struct qrows *out);

#endif
