/* ct_clreq_tool.h — the tool's handler of client requests (ct_clreq.c). */
#ifndef CT_CLREQ_TOOL_H
#define CT_CLREQ_TOOL_H
#include "ct_tool.h"
Bool ct_client_request(ThreadId tid, UWord *arg, UWord *ret);
#endif
