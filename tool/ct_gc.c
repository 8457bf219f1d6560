/* ct_gc.c — garbage collection of label sets and vectors.
 *
 * Computations on labelled data make new sets all the time (a compressor's
 * bit buffer is a new union after every symbol) while few stay referenced.
 * When the tables pass a threshold, at the next syscall or timeslice we mark the ids held
 * by shadow memory and by every live thread's shadow registers, compact the
 * tables and rewrite those ids.  The next threshold is twice what survived,
 * so the cost is amortised over the work that made the garbage.
 */
#include "ct_gc.h"
#include "ct_labels.h"
#include "ct_shadow.h"
#include "pub_tool_machine.h"
#include "pub_tool_threadstate.h"
#include "libvex_guest_amd64.h"

static Bool *live_tid;

void gc_thread_created(ThreadId tid)
{
    if (!live_tid) live_tid = VG_(calloc)("ct.tids", VG_N_THREADS + 1, sizeof(Bool));
    if (tid <= VG_N_THREADS) live_tid[tid] = True;
}

void gc_thread_exited(ThreadId tid)
{
    if (live_tid && tid <= VG_N_THREADS) live_tid[tid] = False;
}

#define NWORDS (sizeof(VexGuestAMD64State) / 8)

static void mark_sec(UInt *ids, SizeT n, void *ctx)
{
    (void)ctx;
    for (SizeT i = 0; i < n; i++)
        if (lab_is_set(ids[i])) lab_gc_mark(ids[i]);
}

static void remap_sec(UInt *ids, SizeT n, void *ctx)
{
    (void)ctx;
    for (SizeT i = 0; i < n; i++)
        if (lab_is_set(ids[i])) ids[i] = lab_gc_remap(ids[i]);
}

static void mark_word(SW w)
{
    if (w == 0) return;
    if (SW_KIND(w) == SW_UNI) lab_gc_mark(SW_ID(w));
    else if (SW_KIND(w) == SW_VEC) vec_gc_mark(SW_ID(w));
}

static SW remap_word(SW w)
{
    if (w == 0) return 0;
    if (SW_KIND(w) == SW_UNI && lab_is_set(SW_ID(w)))
        return (w & ~0xffffffffULL) | lab_gc_remap(SW_ID(w));
    if (SW_KIND(w) == SW_VEC) return (w & ~0xffffffffULL) | vec_gc_remap(SW_ID(w));
    return w;
}

static ULong regs[NWORDS];

/* Intern the young words thread t's shadow registers hold. */
void gc_escape_regs(ThreadId t)
{
    Bool changed = False;
    VG_(get_shadow_regs_area)(t, (UChar *)regs, 1, 0, sizeof regs);
    for (UInt i = 0; i < NWORDS; i++)
        if (SW_KIND(regs[i]) == SW_LOC) { regs[i] = sw_escape(regs[i]); changed = True; }
    if (changed) VG_(set_shadow_regs_area)(t, 1, 0, sizeof regs, (const UChar *)regs);
}

void gc_maybe(void)
{
    if (young_any() && live_tid) {
        for (ThreadId t = 1; t <= VG_N_THREADS; t++) if (live_tid[t]) gc_escape_regs(t);
        young_reset();
    }
    if (!lab_gc_wanted() || !live_tid) return;
    lab_gc_begin();
    sh_foreach_sec(mark_sec, NULL);
    for (ThreadId t = 1; t <= VG_N_THREADS; t++) {
        if (!live_tid[t]) continue;
        VG_(get_shadow_regs_area)(t, (UChar *)regs, 1, 0, sizeof regs);
        for (UInt i = 0; i < NWORDS; i++) mark_word(regs[i]);
    }
    lab_gc_compact();
    sh_foreach_sec(remap_sec, NULL);
    for (ThreadId t = 1; t <= VG_N_THREADS; t++) {
        if (!live_tid[t]) continue;
        VG_(get_shadow_regs_area)(t, (UChar *)regs, 1, 0, sizeof regs);
        for (UInt i = 0; i < NWORDS; i++) regs[i] = remap_word(regs[i]);
        VG_(set_shadow_regs_area)(t, 1, 0, sizeof regs, (const UChar *)regs);
    }
    lab_gc_end();
}

