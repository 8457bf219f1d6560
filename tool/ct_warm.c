/* ct_warm.c — warm children for servers that fork per connection.
 *
 * vsftpd, smbd and the like fork a child per connection.  A forked child
 * inherits its parent's translations, but the code it runs for a session
 * (login, commands, transfers) is code the parent itself never ran, so
 * every child translates it again: for vsftpd about 4000 blocks, 0.2 s
 * with label propagation, at the start of every session.
 *
 * So children report the blocks they translate to the process that forked
 * them, through a pipe that process makes at its first fork (inherited by
 * every descendant of the same program image; closed at exec, where the
 * addresses lose their meaning).  Before its next fork the parent
 * translates the reported blocks itself, with the core's own entry point
 * (VG_(translate), what the scheduler calls on a miss), and its next
 * children inherit them ready.  The parent checks that each address lies
 * in the same file mapping (device, inode, offset) as in the child, is
 * executable and not yet translated; anything else is skipped, since
 * translating there could make the core deliver a fault to the parent.
 *
 * A parent that still runs uninstrumented (elastic, no label yet) starts
 * tracking when it hears from its children: their code is instrumented,
 * and the parent's own must be too for its translations to be of use.
 * `--ct-warm-fork=no` turns all of this off.
 */
#include "ct_warm.h"
#include "pub_tool_libcfile.h"
#include "vki/vki-scnums-amd64-linux.h"
#include "pub_tool_aspacemgr.h"
#include "pub_tool_libcproc.h"
#include "pub_tool_transtab.h"

/* Exported by libcoregrind, not declared in the pub_tool headers. */
extern Bool VG_(translate)(ThreadId tid, Addr nraddr, Bool debugging_translation,
                           Int debugging_verbosity, ULong bbs_done, Bool allow_redirection);
extern Bool VG_(search_transtab)(Addr *res_hcode, UShort *res_sNo, UShort *res_tteNo,
                                 Addr guest_addr, Bool upd_cache);

/* One reported block: where, and which file bytes lie there. */
struct warm_ent { ULong addr, dev, ino, foff; };

#define WARM_BATCH 128          /* 4096 bytes: one atomic pipe write (PIPE_BUF) */
#define WARM_PIPE_SZ (1 << 20)  /* 32768 blocks waiting before children drop some */
#define WARM_MAX 200000         /* blocks a parent translates for its children, at most */

static Int warm_rd = -1, warm_wr = -1;
static Bool warm_child;         /* the pipe is an ancestor's: report to it */
static struct warm_ent pend[WARM_BATCH];
static Int npend;
static ULong warm_done;
static Bool warm_tried;         /* the pipe was made, or could not be */

/* The file mapping at a (device, inode, offset of a), if it is executable
 * client code. */
static Bool code_at(Addr a, struct warm_ent *e)
{
    NSegment const *s = VG_(am_find_nsegment)(a);
    if (!s || s->kind != SkFileC || !s->hasX) return False;
    e->addr = a;
    e->dev = s->dev;
    e->ino = s->ino;
    e->foff = (ULong)s->offset + (a - s->start);
    return True;
}

void warm_flush(void)
{
    if (!npend) return;
    /* non-blocking: when the parent lags, the batch is dropped (its next
     * children translate those blocks themselves, as without this) */
    ct_syscall(__NR_write, (UWord)warm_wr, (UWord)pend, npend * sizeof pend[0], 0, 0, 0);
    npend = 0;
}

void warm_translated(Addr nraddr)
{
    if (!warm_child) return;
    if (!code_at(nraddr, &pend[npend])) return;
    if (++npend == WARM_BATCH) warm_flush();
}

static Bool make_pipe(void)
{
    Int fd[2];
    SysRes r = ct_syscall(__NR_pipe2, (UWord)fd, 04000 /* O_NONBLOCK */ | 02000000 /* O_CLOEXEC */, 0, 0, 0, 0);
    if (sr_isError(r)) return False;
    ct_syscall(__NR_fcntl, (UWord)fd[0], 1031 /* F_SETPIPE_SZ */, WARM_PIPE_SZ, 0, 0, 0);
    /* out of the program's reach, as the agent's socket (ct_emit.c) */
    warm_rd = ct_safe_fd(fd[0]);
    warm_wr = ct_safe_fd(fd[1]);
    if (warm_rd >= 0 && warm_wr >= 0) return True;
    if (warm_rd >= 0) VG_(close)(warm_rd);
    if (warm_wr >= 0) VG_(close)(warm_wr);
    warm_rd = warm_wr = -1;
    return False;
}

/* The parent: translate what the children reported. */
static void drain(ThreadId tid)
{
    static struct warm_ent in[WARM_BATCH];
    for (;;) {
        SysRes r = ct_syscall(__NR_read, (UWord)warm_rd, (UWord)in, sizeof in, 0, 0, 0);
        if (sr_isError(r) || sr_Res(r) == 0) return;
        Int n = (Int)(sr_Res(r) / sizeof in[0]);   /* writes are whole entries */
        for (Int i = 0; i < n && warm_done < WARM_MAX; i++) {
            struct warm_ent here;
            if (!code_at((Addr)in[i].addr, &here) || here.dev != in[i].dev ||
                here.ino != in[i].ino || here.foff != in[i].foff)
                continue;
            if (VG_(search_transtab)(NULL, NULL, NULL, (Addr)in[i].addr, False)) continue;
            ct_need_tracking();               /* the children's code is instrumented */
            if (VG_(translate)(tid, (Addr)in[i].addr, False, 0, 0, True)) warm_done++;
        }
    }
}

void warm_before_fork(ThreadId tid)
{
    if (!ct_opt.warm_fork) return;
    if (warm_child) { warm_flush(); return; }   /* its child must not resend these */
    if (warm_rd < 0) { if (!warm_tried) { warm_tried = True; make_pipe(); } return; }
    drain(tid);
}

void warm_child_after_fork(void)
{
    if (warm_wr < 0) return;
    warm_child = True;
    /* a child only writes: one reserved fd fewer (Valgrind has a dozen) */
    if (warm_rd >= 0) VG_(close)(warm_rd);
    warm_rd = -1;
}

void warm_fini(void)
{
    warm_flush();
    if (ct_opt.debug_warm && !warm_child && warm_done)   /* the pipe's owner only */
        VG_(printf)("crosstag: warm-fork: %llu blocks translated for forked children\n", warm_done);
}
