/* ct_udptag.h — the tracker's side of the UDP sequence tag (bpf/udptag.h):
 * registers UDP sockets as tracked, takes the 4-byte trailer off what they
 * receive (the guest sees exactly the payload) and keeps the sender's
 * datagram counts in step with the tc program's.  ct_udptag.c. */
#ifndef CT_UDPTAG_TOOL_H
#define CT_UDPTAG_TOOL_H
#include "ct_tool.h"

/* Before a syscall: sends on UDP sockets resync their datagram count. */
void udptag_pre(ThreadId tid, UInt sysno, UWord *args);
/* After a syscall, before the sources and sinks (sc_post) see it: new UDP
 * sockets are registered; receives on registered ones lose their trailer
 * (the result, recvmmsg's msg_len, become 4 smaller) and queue their tags.
 * Returns the result sc_post must see. */
SysRes udptag_post(ThreadId tid, UInt sysno, UWord *args, SysRes res);
/* The tag of the next datagram of the current receive, in order: True with
 * *k when the datagram carried a sequence number. */
Bool udptag_rx_next(UInt *k);
/* The tag is on in this network namespace (its maps pinned and open):
 * datagram numbers are the wire's, the same at both ends. */
Bool udptag_on(void);

#endif
