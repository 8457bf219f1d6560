/* ct_syscalls.h — syscall wrappers: sources and sinks (ct_syscalls.c). */
#ifndef CT_SYSCALLS_H
#define CT_SYSCALLS_H
#include "ct_tool.h"

void sc_init(void);
void sc_pre(ThreadId tid, UInt sysno, UWord *args, UInt nargs);
void sc_post(ThreadId tid, UInt sysno, UWord *args, UInt nargs, SysRes res);
void sc_flush_all_mappings(void);   /* at exit: shared mappings reach their files */

#endif
