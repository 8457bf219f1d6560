/* ct_warm.h — translations handed up from forked children to the process
 * that forks them, so its next children start with them (ct_warm.c). */
#ifndef CT_WARM_H
#define CT_WARM_H
#include "ct_tool.h"

/* A block was just translated with label propagation (called from the
 * instrument callback); a child remembers its address for the parent. */
void warm_translated(Addr nraddr);
/* Before a fork (VG_(atfork)): the first fork makes the pipe; the parent
 * translates what its children reported; a child sends what it holds. */
void warm_before_fork(ThreadId tid);
void warm_child_after_fork(void);
/* At every syscall and at exit: a child sends what it holds. */
void warm_flush(void);
void warm_fini(void);

#endif
