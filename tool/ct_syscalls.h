/* ct_syscalls.h — syscall wrappers: sources and sinks (ct_syscalls.c). */
#ifndef CT_SYSCALLS_H
#define CT_SYSCALLS_H
#include "ct_tool.h"

void sc_init(void);
void sc_pre(ThreadId tid, UInt sysno, UWord *args, UInt nargs);
void sc_post(ThreadId tid, UInt sysno, UWord *args, UInt nargs, SysRes res);
void sc_flush_all_mappings(void);
/* A read into one buffer: the core's "bytes written" clear of that buffer
 * is deferred (sc_defer_take says so) and, at the end of the syscall's
 * hooks, done only for the bytes the source did not label (sc_defer_end).
 * A received stream's buffer is then written once, not cleared and then
 * labelled (4 bytes of ids per byte each time). */
void sc_defer_begin(ThreadId tid, UInt sysno, const UWord *args);
Bool sc_defer_take(ThreadId tid, Addr a, SizeT len);
void sc_defer_end(void);   /* at exit: shared mappings reach their files */
/* Flows for n bytes at buf written to object o at offset off (labels of
 * object skip_handle dropped: they merely came from where they go). */
struct ct_obj;
/* Walks the labels of n bytes at buf: fn gets each source run (offset in
 * the buffer, length, source handle and range, mode, read time). */
typedef void (*sink_fn)(void *ctx, ULong rel, ULong len, UInt src, ULong src_off, ULong src_len,
                        UInt mode, ULong src_time);
void sink_walk(Addr buf, ULong n, UInt skip_handle, sink_fn fn, void *ctx);
void sink_bytes_skip(struct ct_obj *o, ULong off, Addr buf, ULong n, UInt sysno, UInt skip_handle);

#endif
