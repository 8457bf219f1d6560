/* ct_gc.h — collection of label sets and vectors no longer referenced,
 * and the emptying of the young-vector pool. */
#ifndef CT_GC_H
#define CT_GC_H
#include "ct_tool.h"

void gc_thread_created(ThreadId tid);
void gc_thread_exited(ThreadId tid);
/* Run at a syscall and whenever the scheduler resumes a thread (at least
 * once a timeslice, so computations that run long between syscalls keep
 * their tables small): no IR temporary is live there, so every set or
 * vector still in use is held by shadow memory or a shadow register. */
void gc_maybe(void);
/* Intern the young vectors (ct_labels.h) thread tid's shadow registers
 * hold: before the core saves them in a signal frame, where a later reset
 * of the pool could not reach them. */
void gc_escape_regs(ThreadId tid);

#endif
