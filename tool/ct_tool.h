/* ct_tool.h — what every file of the crosstag Valgrind tool shares.
 *
 * The tool has no libc: only VG_(...) functions from the Valgrind core and
 * raw syscalls (ct_sys_*).  Fixed-width types come from Valgrind's basics.
 */
#ifndef CT_TOOL_H
#define CT_TOOL_H

#include "pub_tool_basics.h"
#include "pub_tool_tooliface.h"
#include "pub_tool_libcassert.h"
#include "pub_tool_libcbase.h"
#include "pub_tool_libcprint.h"
#include "pub_tool_mallocfree.h"

/* ct_wire.h is written for <stdint.h>; give it Valgrind's types. */
#define CT_IN_TOOL 1
typedef UChar  uint8_t;
typedef UInt   uint32_t;
typedef Int    int32_t;
typedef ULong  uint64_t;
typedef Long   int64_t;
#include "../common/ct_wire.h"

/* ---- options (ct_main.c) ---- */
struct ct_options {
    const HChar *socket_path;   /* --ct-socket: the agent's */
    ULong run;                  /* --ct-run: crosstag run's id for this run */
    const HChar *host;          /* --ct-host: the host name to record under */
    Bool addr_taint;            /* --ct-addr-taint (default yes) */
    Bool debug_addr;            /* --ct-debug-addr: report address propagation */
    UInt policy;                /* --ct-policy: enum ct_action when the agent cannot answer; 0 off */
    UChar policy_mask;          /* --ct-policy-mask */
    Bool elastic;               /* --ct-elastic (default yes): see ct_tracking */
    Bool warm_fork;             /* --ct-warm-fork (default yes): see ct_warm.c */
    Bool debug_warm;            /* --ct-debug-warm: say what a parent translated for its children */
};
extern struct ct_options ct_opt;

/* ---- elastic instrumentation (ct_main.c) ----
 * Until a process holds its first label no shadow can be anything but
 * clean, so its blocks run as Valgrind's `none` tool runs them: not
 * instrumented, translated three times cheaper.  The first label (a source
 * read, a labelled mapping) discards every translation; from then on blocks
 * are translated with label propagation.  A forked child keeps its
 * parent's state; an exec'd program starts clean again.  Callers label
 * right after ct_need_tracking(), inside a syscall's hook: no translated
 * code is running. */
extern Bool ct_tracking;
void ct_tracking_begin(void);
static inline void ct_need_tracking(void)
{
    if (__builtin_expect(!ct_tracking, 0)) ct_tracking_begin();
}

/* ---- raw syscalls (ct_sys.c): the core exports VG_(do_syscall) ---- */
SysRes ct_syscall(UWord nr, UWord a1, UWord a2, UWord a3, UWord a4, UWord a5, UWord a6);
/* fd moved into Valgrind's reserved range (close-on-exec), or -1 (and
 * closed) when that range is full */
Int ct_safe_fd(Int fd);
ULong  ct_now_ns(void);            /* CLOCK_REALTIME in ns */
/* n bytes from s to d, first byte first (right for any d not inside
 * (s, s+n)): `rep movsb`, fast on every CPU with ERMS, where VG_(memcpy)
 * moves a word at a time and VG_(memmove) a byte. */
static inline void ct_copy_fwd(void *d, const void *s, SizeT n)
{
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}
/* Grows the array v of *n elements of size elem (zero-filled, doubling
 * from 64) until index `need` fits; returns it. */
void  *ct_grow(void *v, Int *n, Int need, SizeT elem, const HChar *cc);

#endif
