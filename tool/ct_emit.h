/* ct_emit.h — the tracker's side of the record stream (common/ct_wire.h):
 * a Unix socket to the collector, buffered, flushed before every sink
 * syscall returns so a crash of the program loses nothing it already did. */
#ifndef CT_EMIT_H
#define CT_EMIT_H
#include "ct_tool.h"

void em_start(void);                 /* connect and say HELLO */
void em_child_after_fork(void);      /* new connection for the child */
void em_object(const void *obj);     /* const struct ct_obj * */
void em_flow(UInt sink, ULong sink_off, ULong sink_len, UInt src, ULong src_off,
             ULong src_len, UInt mode, ULong src_time_ns, UInt sysno);
void em_note(UInt level, const HChar *fmt, ...) PRINTF_CHECK(2, 3);
void em_flush(void);
/* Time stamped on the flows of the current sink call: taken before the
 * syscall, so a reader that got the bytes always read after it. */
void em_set_sink_time(ULong t_ns);
void em_exit(Int status);
void em_objstate(UInt handle, Long mtime_ns, ULong size, ULong time_ns);
ULong em_lost(void);
/* Leak prevention: asks the agent about a call's source runs (CLASSQ) and
 * waits for its answer; False when none came (fail closed).  sink/sink_off:
 * the stream (handle, 0 none) and the offset the call's bytes go to.  *trusted (may be NULL): the agent
 * says the destination stays trusted (CT_CLASSR_TRUSTED). */
Bool em_classq(UInt dest_kind, const void *dest, UInt dest_len, const struct ct_classq_run *runs,
               UInt nruns, UInt sysno, ULong total, UInt sink, ULong sink_off,
               const struct ct_classr_piece **pieces, UInt *npieces, Bool *trusted);
/* A TCP connection's ids (bpf/tcpid.h) read by the agent, for a process
 * that may not use bpf() itself: False when the agent has none. */
Bool em_tcpid(ULong cookie, UInt *iss, UInt *irs, UInt *active);

#endif
