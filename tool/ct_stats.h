/* ct_stats.h — profiling counters for the engine's helpers (how often each
 * slow path runs, how many sets and vectors are made).  Off by default:
 * define CT_STATS here to get the counts at exit (ct_main.c's fini calls
 * ct_stats_print()).  Costs nothing when off. */
#ifndef CT_STATS_H
#define CT_STATS_H
#include "ct_tool.h"
enum { ST_LOAD, ST_LOAD_NOSEC, ST_LOAD_CLEAN, ST_LOAD_LIN, ST_STORE, ST_STORE_NOSEC, ST_STORE_CLEANSEC,
       ST_UNION2, ST_BYTEWISE, ST_SUB, ST_CAT, ST_PIECE, ST_WIDEN, ST_SHIFT, ST_ADDR,
       ST_LU, ST_LU_MEMO, ST_SETNEW, ST_VEC, ST_VECNEW, ST_LOADC, ST_STOREC, ST_EVAL, ST_EVSITE, ST_EVOPS, ST_EVHIT, ST_N };
#ifdef CT_STATS
extern ULong ct_stats[ST_N];
#define STAT(i) (ct_stats[i]++)
#else
#define STAT(i) ((void)0)
#endif
void ct_stats_print(void);
#endif
