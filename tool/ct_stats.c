/* ct_stats.c — see ct_stats.h. */
#include "ct_stats.h"
#include "ct_labels.h"
#include "ct_shadow.h"

#ifdef CT_STATS
ULong ct_stats[ST_N];
static const HChar *names[ST_N] = {
    "load", "load_nosec", "load_clean", "load_lin", "store", "store_nosec", "store_cleansec",
    "union2", "bytewise", "sub", "cat", "piece", "widen", "shift", "addr",
    "lab_union", "lu_memo", "set_new", "vec", "vec_new", "loadc", "storec", "eval", "eval_sites", "eval_ops", "eval_hits" };
void ev_prof_print(void);
void ct_stats_print(void)
{
    ev_prof_print();
    for (Int i = 0; i < ST_N; i++) VG_(umsg)("stat %-14s %llu\n", names[i], ct_stats[i]);
    VG_(umsg)("stat shadow MB     %llu\n", sh_bytes_allocated() >> 20);
    VG_(umsg)("stat sets now      %llu\n", lab_nsets());
    VG_(umsg)("stat vecs now      %llu\n", vec_count());
}
#else
void ct_stats_print(void) {}
#endif
