/* ct_helpers.h — run-time helpers called from instrumented code
 * (ct_translate.c emits the calls).  Like memcheck's mc_main.c helpers they
 * are kept apart from the instrumenter; each starts with its fast path.
 * Sizes are in bytes.  SW is a shadow word (ct_labels.h). */
#ifndef CT_HELPERS_H
#define CT_HELPERS_H
#include "ct_labels.h"

SW   ct_h_load(Addr a, UWord size);
void ct_h_store(Addr a, UWord size, SW w);
void ct_h_store_collapsed(Addr a, UWord size, SW w, UWord wsize);
SW   ct_h_load_collapsed(Addr a, UWord size);
SW   ct_h_union2(SW a, UWord asize, SW b, UWord bsize);
SW   ct_h_bytewise(SW a, SW b, UWord size);
SW   ct_h_sub(SW w, UWord from, UWord n);
SW   ct_h_cat(SW hi, SW lo, UWord losize, UWord hisize);
SW   ct_h_piece(SW old, SW w, UWord from, UWord pos, UWord n);
SW   ct_h_widen(SW w, UWord fromsize);
SW   ct_h_shift(SW w, UWord size, UWord amount, UWord kind);
SW   ct_h_addr_load(SW data, UWord t0, SW s0, UWord t1, SW s1);
/* an address term below this is an index (ct_h_addr_load) */
#define ADDR_INDEX_MAX (1UL << 16)

#endif
