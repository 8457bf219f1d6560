/* ct_main.c — the crosstag Valgrind tool: registration, options and the
 * core events that keep shadow state honest.  Instrumentation lives in
 * ct_translate.c, run-time helpers in ct_helpers.c, sources and sinks in
 * ct_syscalls.c. */
#include "ct_tool.h"
#include "ct_labels.h"
#include "ct_shadow.h"
#include "ct_helpers.h"
#include "ct_objects.h"
#include "ct_syscalls.h"
#include "ct_emit.h"
#include "ct_policy.h"
#include "ct_gc.h"
#include "ct_stats.h"
#include "ct_objstate.h"
#include "ct_shm.h"
#include "ct_udptag.h"
#include "ct_clreq_tool.h"
#include "ct_warm.h"
#include "pub_tool_options.h"
#include "pub_tool_machine.h"
#include "pub_tool_libcproc.h"
#include "pub_tool_transtab.h"

struct ct_options ct_opt = { .addr_taint = True, .policy_mask = '*', .elastic = True, .warm_fork = True };
Bool ct_tracking;

extern IRSB *(*ct_instrument_fn)(VgCallbackClosure *, IRSB *, const VexGuestLayout *,
                                 const VexGuestExtents *, const VexArchInfo *, IRType, IRType);

static IRSB *instrument(VgCallbackClosure *c, IRSB *sb, const VexGuestLayout *l,
                        const VexGuestExtents *v, const VexArchInfo *a, IRType g, IRType h)
{
    if (!ct_tracking) return sb;          /* nothing labelled yet (ct_tool.h) */
    warm_translated(c->nraddr);           /* a forked child tells its parent (ct_warm.c) */
    return ct_instrument_fn(c, sb, l, v, a, g, h);
}

/* The core's guard for discarding translations (m_transtab.c): it lets
 * tools discard only inside client requests, where no translation is
 * running.  A syscall's hook is such a place too: the core itself discards
 * there (munmap, mprotect).  Exported by libcoregrind, not declared in the
 * pub_tool headers. */
extern Bool VG_(ok_to_discard_translations);

void ct_tracking_begin(void)
{
    ct_tracking = True;
    /* every block translated so far lacks label propagation: as callgrind
     * does when it switches instrumentation on, drop them all */
    Bool was = VG_(ok_to_discard_translations);
    VG_(ok_to_discard_translations) = True;
    VG_(discard_translations_safely)((Addr)0x1000, ~(SizeT)0xfff, "crosstag");
    VG_(ok_to_discard_translations) = was;
}

static Bool process_opt(const HChar *arg)
{
    const HChar *s;
    if VG_STR_CLO(arg, "--ct-socket", ct_opt.socket_path) {}
    else if VG_STR_CLO(arg, "--ct-host", ct_opt.host) {}
    else if VG_STR_CLO(arg, "--ct-run", s) ct_opt.run = VG_(strtoull10)(s, NULL);
    else if VG_STR_CLO(arg, "--ct-source", s) obj_add_source_rule(s, True);
    else if VG_STR_CLO(arg, "--ct-no-source", s) obj_add_source_rule(s, False);
    else if VG_BOOL_CLO(arg, "--ct-addr-taint", ct_opt.addr_taint) {}
    else if VG_BOOL_CLO(arg, "--ct-debug-addr", ct_opt.debug_addr) {}
    else if VG_BOOL_CLO(arg, "--ct-elastic", ct_opt.elastic) {}
    else if VG_BOOL_CLO(arg, "--ct-warm-fork", ct_opt.warm_fork) {}
    else if VG_BOOL_CLO(arg, "--ct-debug-warm", ct_opt.debug_warm) {}
    else if VG_STR_CLO(arg, "--ct-policy", s) {
        ct_opt.policy = !VG_(strcmp)(s, "alert") ? CT_ACT_ALERT : !VG_(strcmp)(s, "mask") ? CT_ACT_MASK
                      : !VG_(strcmp)(s, "block") ? CT_ACT_BLOCK : CT_ACT_NONE;
        if (ct_opt.policy == CT_ACT_NONE) VG_(fmsg_bad_option)(arg, "expected alert, mask or block\n");
    }
    else if VG_STR_CLO(arg, "--ct-policy-mask", s) ct_opt.policy_mask = (UChar)VG_(strtoull10)(s, NULL);
    else return False;
    return True;
}

static void print_usage(void)
{
    VG_(printf)(
"    --ct-socket=PATH          the agent's socket (crosstag run sets it)\n"
"    --ct-run=N --ct-host=NAME the run and host to record under (crosstag run)\n"
"    --ct-source=GLOB          treat matching files as sources [repeatable]\n"
"    --ct-no-source=GLOB       never treat matching files as sources [repeatable]\n"
"    --ct-policy=alert|mask|block  a policy is on: ask the agent before labelled\n"
"                              bytes leave; the action when it cannot answer\n"
"    --ct-policy-mask=N        the mask byte for that case (crosstag run sets both)\n"
"    --ct-addr-taint=yes|no    loads through labelled addresses get the\n"
"                              address's labels (table lookups) [yes]\n");
}

static void print_debug_usage(void)
{
    VG_(printf)("    --ct-debug-addr=yes|no    report each load given its address's labels [no]\n"
                "    --ct-elastic=yes|no       run uninstrumented until the first label [yes]\n"
                "    --ct-warm-fork=yes|no     a parent translates what its forked children ran [yes]\n"
                "    --ct-debug-warm=yes|no    at exit, say how many blocks that was [no]\n");
}

/* ---- events that make memory or registers hold new, clean values ---- */

/* Every byte a syscall or the core writes is clean; a source's post
 * handler labels it afterwards (the core calls this first). */
static void mem_written(CorePart part, ThreadId tid, Addr a, SizeT len)
{
    (void)part;
    if (part == Vg_CoreSysCall && sc_defer_take(tid, a, len)) return;   /* a source labels it next */
    sh_fill(a, len, 0);
}

static void mem_fresh(Addr a, SizeT len, Bool rr, Bool ww, Bool xx, ULong di)
{
    (void)rr; (void)ww; (void)xx; (void)di;
    sh_fill(a, len, 0);
}

static void mem_gone(Addr a, SizeT len) { sh_fill(a, len, 0); }
static void mem_brk(Addr a, SizeT len, ThreadId tid) { (void)tid; sh_fill(a, len, 0); }
static void mem_remap(Addr from, Addr to, SizeT len) { sh_copy(from, to, len); }

/* Syscall results and registers the core sets are constants. */
static void reg_written(CorePart part, ThreadId tid, PtrdiffT off, SizeT size)
{
    (void)part;
    for (PtrdiffT w = off & ~7; w < off + (PtrdiffT)size; w += 8) {
        SW word;
        VG_(get_shadow_regs_area)(tid, (UChar *)&word, 1, w, 8);
        if (word == 0) continue;
        PtrdiffT lo = off > w ? off : w, hi = off + (PtrdiffT)size < w + 8 ? off + (PtrdiffT)size : w + 8;
        word = (lo == w && hi == w + 8) ? 0 : ct_h_piece(word, 0, 0, lo - w, hi - lo);
        VG_(set_shadow_regs_area)(tid, 1, w, 8, (const UChar *)&word);
    }
}

static void thread_created(ThreadId parent, ThreadId child) { (void)parent; gc_thread_created(child); }

/* The core saves the interrupted registers, shadows too, in the signal
 * frame on the client's stack, out of the young pool's reach. */
static void signal_delivered(ThreadId tid, Int sigNo, Bool alt_stack)
{
    (void)sigNo; (void)alt_stack;
    gc_escape_regs(tid);
}

/* Collection points: every syscall, and every time the scheduler resumes a
 * thread (at least every timeslice of ~100000 blocks, so a loop that never
 * makes a syscall is collected too).  There every shadow lives in the
 * guest state or in memory; no block needs a check of its own. */
static void resume_client(ThreadId tid, ULong blocks) { (void)tid; (void)blocks; gc_maybe(); }

static void pre_syscall(ThreadId tid, UInt sysno, UWord *args, UInt nargs)
{
    gc_maybe();
    warm_flush();
    sc_defer_begin(tid, sysno, args);
    udptag_pre(tid, sysno, args);
    sc_pre(tid, sysno, args, nargs);
}

static void post_syscall(ThreadId tid, UInt sysno, UWord *args, UInt nargs, SysRes res)
{
    res = udptag_post(tid, sysno, args, res);   /* UDP trailers off first */
    res = pol_post(tid, sysno, args, res);      /* what a policy makes of the result */
    sc_post(tid, sysno, args, nargs, res);
    sc_defer_end();
    shm_post(sysno, args, res);
}

/* Before fork: everything said so far must reach the collector from the
 * parent (a new file version announced by a shell before it forks the
 * command that writes the file). */
static void before_fork(ThreadId tid) { em_flush(); warm_before_fork(tid); }
static void child_after_fork(ThreadId tid) { (void)tid; em_child_after_fork(); warm_child_after_fork(); }

static void post_clo_init(void)
{
    if (!ct_opt.elastic) ct_tracking = True;
    sc_init();
    gc_thread_created(1);
    em_start();
}

static void fini(Int exitcode)
{
    ct_stats_print();               /* nothing unless built with CT_STATS */
    sc_flush_all_mappings();
    warm_fini();
    os_exit();
    em_exit(exitcode);
}

static void pre_clo_init(void)
{
    VG_(details_name)("crosstag");
    VG_(details_version)("0.1");
    VG_(details_description)("byte-level data flow tracking");
    VG_(details_copyright_author)("Copyright (C) the crosstag authors.");
    VG_(details_bug_reports_to)("the crosstag issue tracker");
    VG_(details_avg_translation_sizeB)(640);

    VG_(basic_tool_funcs)(post_clo_init, instrument, fini);
    VG_(needs_command_line_options)(process_opt, print_usage, print_debug_usage);
    VG_(needs_syscall_wrapper)(pre_syscall, post_syscall);
    VG_(needs_client_requests)(ct_client_request);

    VG_(track_post_mem_write)(mem_written);
    VG_(track_new_mem_mmap)(mem_fresh);
    VG_(track_new_mem_brk)(mem_brk);
    VG_(track_die_mem_munmap)(mem_gone);
    VG_(track_die_mem_brk)(mem_gone);
    VG_(track_copy_mem_remap)(mem_remap);
    VG_(track_post_reg_write)(reg_written);
    VG_(track_pre_thread_ll_create)(thread_created);
    VG_(track_pre_thread_ll_exit)(gc_thread_exited);
    VG_(track_start_client_code)(resume_client);
    VG_(track_pre_deliver_signal)(signal_delivered);
    VG_(atfork)(before_fork, NULL, child_after_fork);
}

VG_DETERMINE_INTERFACE_VERSION(pre_clo_init)
