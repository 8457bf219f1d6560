/* query.h — the query engine: follows flows backward (where did these bytes
 * come from) or forward (where did they go) through the store, building a
 * tree of hops that render.c prints and query_rows() flattens.
 *
 * Backward, node = (object, range, t): the writes to that range at or before
 * time t count; for each byte the newest write wins (every flow of that one
 * write: a byte may come from several sources).  Each winning flow is a hop
 * to a child node: the source range it read (clipped to the piece, for
 * aligned flows; whole, for `all`) at its read time.  Bytes no counted write
 * covers are original: the node's object is their source.
 *
 * Forward, node = (object, range, t): the reads of that range at or after t
 * (the time the data was written there) and before the first later
 * overwrite of each byte count; each is a hop to the sink range it wrote
 * (clipped or whole), at its write time.  Bytes nobody read afterwards are
 * final sinks; bytes overwritten before anyone read them are dead.
 *
 * Cycles: a node whose (object, t) is already on the path (flows at one
 * instant feeding each other) is looked at strictly before t (backward) or
 * after it (forward) instead.  Chains deeper than Q_MAX_DEPTH and queries
 * past Q_MAX_WORK are cut: the node stays a leaf, all of it terminal.
 */
#ifndef CT_QUERY_H
#define CT_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "qrows.h"
#include "store.h"

#define Q_MAX_DEPTH  256                /* hops along one path */
#define Q_MAX_WORK   40000000u          /* nodes + rows read, per query */

enum qdir { Q_BACKWARD, Q_FORWARD };
enum qcut { Q_CUT_NONE, Q_CUT_CYCLE, Q_CUT_DEPTH, Q_CUT_BUDGET };

struct qseg { uint64_t start, end; };

struct qnode;

/* One flow seen from a node: bytes [start,end) of the node's object relate
 * to bytes [cstart,cend) of object cobj (backward: the source read;
 * forward: the sink written). */
struct qhop {
    uint64_t start, end;
    int64_t proc;
    uint64_t time_ns, src_time_ns;
    uint32_t mode;              /* the flow's mode */
    int64_t cobj;
    uint64_t cstart, cend;
    struct qnode *child;        /* that range's node; NULL for a plain leaf (all
                                   terminal, nothing cut): most are, and they
                                   need no node */
};

struct qnode {
    int64_t obj;
    uint64_t start, end;
    uint64_t t;
    int64_t excl;               /* the flow that led here when it reads and
                                   writes this object: it never sees its own
                                   write (0: none) */
    unsigned char top;          /* the queried target */
    unsigned char cut;          /* enum qcut: not followed, all terminal */
    unsigned char all_term;     /* the whole range is terminal (no arrays) */
    unsigned char busy;         /* being expanded (on the path) */
    unsigned char rows_state;   /* 0 none, 1 cached in rows, 2 handed out and freed */
    unsigned char shown;        /* render.c: already printed with its hops */
    uint32_t refs, used;        /* hops pointing here; of those, flattened */
    struct qhop *hops;   size_t nhops;    /* by start */
    struct qseg *term;   size_t nterm;    /* original sources / final sinks */
    struct qseg *dead;   size_t ndead;    /* forward: overwritten unread */
    struct qrows rows;
};

struct query {
    struct store *st;
    enum qdir dir;
    char err[512];
    int hit_depth, hit_budget;
    size_t work;
    struct qnode **memo;  size_t memo_cap, memo_n;    /* every expanded node */
    struct qnode **extra; size_t extra_n, extra_cap;  /* cut nodes (context-bound) */
    struct qnode *stack[Q_MAX_DEPTH + 1];
    size_t depth;
    /* A process target: the target node sees only the flows of these
     * process images (sorted ids); the nodes below it see every flow. */
    const int64_t *only_procs;
    size_t n_only_procs;
};

void query_init(struct query *q, struct store *st, enum qdir dir);
void query_free(struct query *q);
/* Tells stderr when the walk was cut (depth, size): the answer is partial. */
void query_warn_cuts(const struct query *q);

/* Builds the tree for bytes [start, end) of obj.  NULL on error (q->err). */
struct qnode *query_run(struct query *q, int64_t obj, uint64_t start, uint64_t end);

/* The result rows of the tree (normalized, see qrows.h): near = the
 * target's bytes, far = an original source (backward) or a final sink
 * (forward).  Call once per tree.  0, or -1 (q->err). */
int query_rows(struct query *q, struct qnode *root, struct qrows *out);

#endif
