/* render.h — query output: JSON lines (--json) or a readable tree. */
#ifndef CT_RENDER_H
#define CT_RENDER_H

#include <stdio.h>

#include "qinfo.h"
#include "qrows.h"
#include "query.h"

/* One JSON object per line, sorted by sink object, sink start, source
 * object, source start; rows naming the same objects merged (qrows.h).
 * rows is reordered.  0, or -1 (qi->err). */
int render_json(FILE *out, struct qinfo *qi, enum qdir dir, int64_t target, struct qrows *rows);

/* The tree from the target down to original sources (backward) or final
 * sinks (forward).  whole: the target is a whole object (no range shown).
 * 0, or -1 (qi->err). */
int render_tree(FILE *out, struct qinfo *qi, enum qdir dir, struct qnode *root, int whole);

/* One object of a process target (pid:N): like render_tree for the
 * whole object, without the bytes the process did not write (backward) or
 * read (forward). */
int render_tree_proc(FILE *out, struct qinfo *qi, enum qdir dir, struct qnode *root);

/* JSON lines for several targets at once (a process target: one per
 * object it wrote or read), sorted together as render_json sorts.  rows[i]
 * belong to targets[i] and are reordered.  0, or -1 (qi->err). */
int render_json_multi(FILE *out, struct qinfo *qi, enum qdir dir, const int64_t *targets,
                      struct qrows *rows, size_t n);

#endif
