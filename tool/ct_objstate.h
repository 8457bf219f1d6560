/* ct_objstate.h — the state this process leaves the files it wrote in
 * (CT_MSG_OBJSTATE): mtime and size at close, exit and exec, so the store
 * can tell when an untracked writer changed a file between two tracked
 * processes. */
#ifndef CT_OBJSTATE_H
#define CT_OBJSTATE_H
#include "ct_tool.h"

void os_pre(UInt sysno, UWord *args);            /* close, dup2, exec, exit */
void os_post(UInt sysno, UWord *args, ULong res);  /* a successful write-like call */
void os_exit(void);                              /* the image ends (fini) */

#endif
