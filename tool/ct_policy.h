/* ct_policy.h — leak prevention in the tracker (ct_policy.c). */
#ifndef CT_POLICY_H
#define CT_POLICY_H
#include "ct_tool.h"

/* Before a sink syscall: with a policy on (--ct-policy), labelled bytes
 * bound for an egress are checked with the agent, then masked in place or
 * the socket shut down. */
void pol_pre(ThreadId tid, UInt sysno, UWord *args);
/* After any syscall: a blocked send fails with EACCES; io_uring_setup is
 * refused (ENOSYS).  Returns the result the program sees. */
SysRes pol_post(ThreadId tid, UInt sysno, UWord *args, SysRes res);
/* After a kernel-side copy of n bytes into out_fd at out_off: protected
 * pieces the agent named before the call are overwritten with the mask. */
void pol_post_copy(Int out_fd, ULong out_off, ULong n);
/* Bytes [a, a+n) of a shared writable mapping of file object o are about
 * to be recorded as written to it: protected ones bound for an untrusted
 * file are masked in the mapping (const struct ct_obj *). */
struct ct_obj;
void pol_check_mapped(const struct ct_obj *o, Addr a, ULong n, UInt sysno);

#endif
