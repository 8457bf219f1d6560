/* ct_clreq.h — client requests from crosstag's preload library (code that
 * runs inside the tracked program) to the engine.  Shared by preload/ and
 * tool/. */
#ifndef CT_CLREQ_H
#define CT_CLREQ_H
#include "valgrind.h"

enum {
    /* memmove(dst, src, n) done by the engine: the bytes and their labels
     * in one bulk step.  Answers 1 when done, 0 when the program must copy
     * (a range the engine may not touch: the copy then faults, or not, as
     * it would have). */
    CT_REQ_MEMMOVE = VG_USERREQ_TOOL_BASE('X', 'T'),
    /* memset(dst, *cp, n): cp points at the fill byte in the program's
     * memory, so the engine finds its labels there (a fill value computed
     * from input labels every byte it writes).  Answers as above. */
    CT_REQ_MEMSET,
};

/* Below this many bytes a copy stays in the program: a request costs a
 * trip through Valgrind's scheduler, more than a short copy's shadow work. */
#define CT_REQ_MEMMOVE_MIN 128
#define CT_REQ_MEMSET_MIN  256

#endif
