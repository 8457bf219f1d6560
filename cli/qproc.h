/* qproc.h — `crosstag query backward|forward pid:N[@START]`: everything a
 * process wrote (backward: where its outputs came from) or read (forward:
 * where its inputs went), over all its images (execs). */
#ifndef CT_QPROC_H
#define CT_QPROC_H

#include "query.h"
#include "store.h"
#include "target.h"

/* Runs the query and prints it; returns the exit code (0 done, 1 no such
 * process or a store error, 2 ambiguous pid: the candidates are listed). */
int query_process(struct store *st, enum qdir dir, int json, const struct target *t);

#endif
