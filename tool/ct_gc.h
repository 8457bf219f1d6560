/* ct_gc.h — collection of label sets and vectors no longer referenced. */
#ifndef CT_GC_H
#define CT_GC_H
#include "ct_tool.h"

void gc_thread_created(ThreadId tid);
void gc_thread_exited(ThreadId tid);
/* Run at a syscall: no IR temporary is live there, so every set or vector
 * still in use is held by shadow memory or a shadow register. */
void gc_maybe(void);
/* The same, called from translated code at the start of a block (where no
 * IR temporary is live either) when lab_gc_flag is set: computations that
 * run long between syscalls (sort, a hash) keep their tables small. */
void ct_h_gc(void);

#endif
