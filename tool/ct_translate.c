/* ct_translate.c — instrumentation: adds label propagation to VEX IR.
 *
 * Kept apart from the run-time helpers (ct_helpers.c) as memcheck keeps
 * mc_translate.c apart from mc_main.c.  Every IR temporary t gets a shadow
 * temporary of type I64 holding a shadow word (ct_labels.h); a temporary
 * whose shadow is statically known to be clean (made from constants) has
 * none, and code computing from it is not emitted at all.  Guest registers
 * are shadowed in Valgrind's shadow area 1: one shadow word per 8-byte chunk
 * of the guest state, at the chunk's offset + layout->total_sizeB.
 *
 * The rules, by the kind of operation:
 *   copy (tmp, Get, Put, Load, Store, ITE)   the shadow word moves as is
 *   narrowing / concatenation / zero-widening / byte shifts
 *                                            bytes move exactly (helpers)
 *   And / Or / Xor / Not                     byte-wise union (exact per byte)
 *   x ^ x, x - x                             clean (a constant)
 *   anything else, clean calls               union of all operands
 *   dirty calls                              union of all inputs to all outputs
 *   loads through labelled addresses        see ct_h_addr_load
 * Control dependencies are not tracked: Exit guards and ITE conditions add
 * no labels.
 *
 * How the cost is kept down (measured: in VEX a helper call site costs
 * spills and argument moves even when its guard is false, and dirty calls
 * are never removed as dead code, so call sites are what to avoid):
 *  - compute_needed: a backward pass finds the temps whose shadows anything
 *    observable reads, and shadow Puts overwritten later in the block; the
 *    rest get no shadow code at all (address arithmetic, flag thunks).
 *  - No operation has inline code beyond one OR: its result is deferred
 *    (ct_eval.h) with fast value 0 and, as its flag, the OR of the shadow
 *    words its tree reads; one ct_h_eval call per tree, guarded by that
 *    flag, computes the exact value where a shadow leaves the computation.
 *    On clean data (all code before a source is read, most code after)
 *    that is one OR per operation and no call, memcheck's cost order;
 *    inline fast paths for labelled words cost more instructions on every
 *    run than the calls they saved (sha256sum on unlabelled input: 8x).
 *  - Shadow register writes wait for the block's exits and are settled
 *    together (flush_puts).
 *  - Loads and stores call their helper every time, as memcheck's LOADV
 *    and STOREV do; the helpers' first test is "nothing labelled here".
 */
#include "ct_tool.h"
#include "ct_helpers.h"
#include "ct_eval.h"
#include "ct_gc.h"
#include "ct_stats.h"
#include "libvex_guest_amd64.h"
#include "pub_tool_machine.h"

/* A deferred shadow operation (ct_eval.h): temp `handle` holds its fast
 * value, which is exact unless `nz` is non-zero at run time.  `nz` (an I64
 * atom, NULL = statically zero) is the OR of the shadow words the operation
 * and the operations it was computed from read: with every input clean,
 * every result is clean, so the fast value is 0 (an address load's fast
 * value is the loaded shadow: only its address terms count). */
typedef struct {
    UChar   kind, nargs, p[3];
    Bool    fastzero;  /* the fast value is the constant 0 */
    Bool    bound;     /* the shadow of a temp: its readers are counted in uses already */
    IRExpr *arg[5];    /* the most an operation takes (EV_ADDR) */
    IRExpr *nz;
    IRExpr *mat;       /* the exact value once materialized, else NULL */
    Int     size;      /* operations in the tree */
    Int     uses;      /* trees that will read this one: > 1 makes it exported */
    IRTemp  handle;    /* the temp holding the fast value */
} VNode;

typedef struct {
    IRSB   *sb;        /* output */
    IRExpr **defs;     /* original temp -> its defining expression (this block) */
    IRTemp *tmap;      /* original temp -> shadow temp, or IRTemp_INVALID */
    Bool   *needed;    /* original temp -> its shadow is used (compute_needed) */
    Int    *nuses;     /* original temp -> statements reading it */
    Bool   *put_dead;  /* statement -> a Put whose shadow a later Put overwrites unread */
    Bool   *killed;    /* backward pass: shadow word -> overwritten later, unread */
    Int     nwords;    /* 8-byte words in the guest state */
    VNode  *nodes;     /* deferred operations */
    Int     nnodes, capnodes;
    Int    *node_of;   /* shadow temp -> node index + 1, 0 = a plain value */
    Int     capnode_of;
    IRExpr **pend;     /* shadow word -> deferred Put value (flush_puts), or NULL */
    Int    *pend_order, npend;
    Int     ntmap;
    Int     soff;      /* offset of shadow area 1 in the guest state */
} CTEnv;

static IRExpr *mkU64(ULong v) { return IRExpr_Const(IRConst_U64(v)); }
static Bool is_zero(const IRExpr *e)
{
    return e->tag == Iex_Const && e->Iex.Const.con->tag == Ico_U64 && e->Iex.Const.con->Ico.U64 == 0;
}
static void stmt(CTEnv *e, IRStmt *s) { addStmtToIRSB(e->sb, s); }

/* Bind an expression to a fresh I64 temp: keeps the IR flat. */
static IRExpr *bind(CTEnv *e, IRExpr *x)
{
    if (x->tag == Iex_RdTmp || x->tag == Iex_Const) return x;
    IRTemp t = newIRTemp(e->sb->tyenv, Ity_I64);
    stmt(e, IRStmt_WrTmp(t, x));
    return IRExpr_RdTmp(t);
}

static IRExpr *bind1(CTEnv *e, IRExpr *x)
{
    IRTemp t = newIRTemp(e->sb->tyenv, Ity_I1);
    stmt(e, IRStmt_WrTmp(t, x));
    return IRExpr_RdTmp(t);
}

static Int tysize(IRType ty)
{
    return ty == Ity_I1 ? 1 : sizeofIRType(ty);
}

static IRExpr *resolve(CTEnv *e, IRExpr *x);

/* The shadow of an atom. */
static IRExpr *sh_atom(CTEnv *e, IRExpr *a)
{
    if (a->tag == Iex_Const) return mkU64(0);
    tl_assert(a->tag == Iex_RdTmp);
    IRTemp t = a->Iex.RdTmp.tmp;
    if (t >= (IRTemp)e->ntmap || e->tmap[t] == IRTemp_INVALID) return mkU64(0);
    return resolve(e, IRExpr_RdTmp(e->tmap[t]));
}

/* I1: some of the shadow words is non-zero (NULL when statically false). */
static IRExpr *any_nz(CTEnv *e, IRExpr *a, IRExpr *b)
{
    if (b && is_zero(b)) b = NULL;
    if (a && is_zero(a)) a = NULL;
    if (!a && !b) return NULL;
    IRExpr *x = !a ? b : !b ? a : bind(e, IRExpr_Binop(Iop_Or64, a, b));
    IRTemp g = newIRTemp(e->sb->tyenv, Ity_I1);
    stmt(e, IRStmt_WrTmp(g, IRExpr_Binop(Iop_CmpNE64, x, mkU64(0))));
    return IRExpr_RdTmp(g);
}

/* Call a helper returning a shadow word.  guard NULL: always; otherwise the
 * result is `otherwise` when the guard is false. */
static IRExpr *call(CTEnv *e, IRExpr *guard, IRExpr *otherwise,
                    const HChar *name, void *fn, IRExpr **args)
{
    IRTemp t = newIRTemp(e->sb->tyenv, Ity_I64);
    IRDirty *d = unsafeIRDirty_1_N(t, 0, name, VG_(fnptr_to_fnentry)(fn), args);
    if (guard) d->guard = guard;
    stmt(e, IRStmt_Dirty(d));
    if (!guard) return IRExpr_RdTmp(t);
    return bind(e, IRExpr_ITE(guard, IRExpr_RdTmp(t), otherwise));
}
#define CALL(e, g, other, fn, args) call(e, g, other, #fn, (void *)fn, args)

/* ---- deferred operations (ct_eval.h) ---- */

static Int node_idx(CTEnv *e, IRExpr *x)
{
    if (!x || x->tag != Iex_RdTmp) return -1;
    IRTemp t = x->Iex.RdTmp.tmp;
    if ((Int)t >= e->capnode_of || e->node_of[t] == 0) return -1;
    return e->node_of[t] - 1;
}

/* x itself, or its exact value when it is a materialized node. */
static IRExpr *resolve(CTEnv *e, IRExpr *x)
{
    Int i = node_idx(e, x);
    return i >= 0 && e->nodes[i].mat ? e->nodes[i].mat : x;
}

/* A pending (unmaterialized) node, or -1. */
static Int pending(CTEnv *e, IRExpr *x)
{
    Int i = node_idx(e, x);
    return i >= 0 && !e->nodes[i].mat ? i : -1;
}

#define EV_CODE_MAX 1024
#define FUSE_MAX 16         /* operations in one tree */
typedef struct {
    UInt code[EV_CODE_MAX];
    Int n, depth, maxdepth;
    IRExpr *leaf[EV_MAX_LEAVES];
    Int nleaves;
    Int exported[EV_MAX_EXPORT];   /* nodes whose values the call exports */
    Int lastop;                    /* index of the last opcode word (fusing) */
    Int nexported;
} EvBuf;

static Bool ev_emit(EvBuf *b, UInt w, Int push)
{
    if (b->n >= EV_CODE_MAX - 2) return False;
    /* fuse with the word before (ct_eval.h): a leaf taken apart or
     * widened, a union with a clean constant */
    UInt prev = b->n ? b->code[b->n - 1] : EV_END, op = w & 0xff;
    Bool prevleaf = b->n && (prev & 0xff) == EV_LEAF && b->lastop == b->n - 1;
    if (prevleaf && op == EV_SUB) {
        b->code[b->n - 1] = ev_word(EV_LSUB, (prev >> 8) & 0xff, (w >> 8) & 0xff, (w >> 16) & 0xff);
        return True;                       /* depth: the leaf's push stands */
    }
    /* an operation whose low bytes alone are used (32-bit arithmetic on
     * 64-bit registers: most of a hash round), its result not exported */
    Bool prevop = b->n && b->lastop == b->n - 1 && !(prev & (EV_EXPORT_FLAG | EV_XD_FLAG));
    if (prevop && op == EV_SUB && ((w >> 8) & 0xff) == 0) {
        UInt n = (w >> 16) & 0xff;
        if ((prev & 0xff) == EV_BYTEWISE) {
            b->code[b->n - 1] = ev_word(EV_BWSUB, (prev >> 8) & 0xff, n, 0);
            return True;                   /* depth: the operation's result stands */
        }
        if ((prev & 0xff) == EV_UNION) {
            b->code[b->n - 1] = ev_word(EV_UNISUB, (prev >> 8) & 0xff, (prev >> 16) & 0xff, n);
            return True;
        }
    }
    if (prevleaf && op == EV_WIDEN) {
        b->code[b->n - 1] = ev_word(EV_LWIDEN, (prev >> 8) & 0xff, (w >> 8) & 0xff, 0);
        return True;
    }
    if (b->n >= 2 && b->lastop == b->n - 2 && b->code[b->n - 2] == EV_CONST) {
        UInt k = b->code[b->n - 1], fused = EV_END;
        if (op == EV_UNION && k == 0) fused = ev_word(EV_UNION0, (w >> 8) & 0xff, (w >> 16) & 0xff, 0);
        else if (op == EV_SHIFT && k < 256) fused = ev_word(EV_SHIFTC, (w >> 8) & 0xff, (w >> 16) & 0xff, k);
        else if (op == EV_END && k == 0) fused = EV_END0;
        if (fused != EV_END) {
            b->n -= 2;
            b->code[b->n] = fused;
            b->lastop = b->n++;
            b->depth--;                    /* the constant's push is undone */
            return True;
        }
    }
    b->lastop = b->n;
    b->code[b->n++] = w;
    b->depth += push;
    if (b->depth > b->maxdepth) b->maxdepth = b->depth;
    return b->maxdepth < EV_MAX_STACK;
}

/* Postfix program for node i; False when it needs more leaves, stack or
 * code than a call allows (the caller then materializes a subtree). */
static Bool ev_ser(CTEnv *e, Int i, EvBuf *b)
{
    VNode nd = e->nodes[i];
    for (Int k = 0; k < nd.nargs; k++) {
        IRExpr *a = resolve(e, nd.arg[k]);
        Int c = pending(e, a);
        if (c >= 0) {
            /* A shared operation is computed once: the call exports its
             * value, so later readers need neither a call nor a re-run. */
            Int x;
            for (x = 0; x < b->nexported && b->exported[x] != c; x++) ;
            if (x < b->nexported) {                   /* met again in this tree */
                if (!ev_emit(b, ev_word(EV_IMPORT, x, 0, 0), 1)) return False;
                continue;
            }
            if (!ev_ser(e, c, b)) return False;
            if (e->nodes[c].uses > 1) {
                /* ev_ser ended with c's own operation: flag it */
                if (b->nexported >= EV_MAX_EXPORT || b->n >= EV_CODE_MAX - 2) return False;
                b->exported[b->nexported] = c;
                b->code[b->n - 1] |= EV_EXPORT_FLAG;
                b->code[b->n++] = b->nexported++;
            }
        } else if (a->tag == Iex_Const && a->Iex.Const.con->tag == Ico_U64
                   && a->Iex.Const.con->Ico.U64 <= 0xffffffffULL) {
            if (!ev_emit(b, EV_CONST, 1)) return False;
            b->code[b->n++] = (UInt)a->Iex.Const.con->Ico.U64;
        } else {
            Int l;
            for (l = 0; l < b->nleaves; l++)
                if (b->leaf[l]->tag == Iex_RdTmp && a->tag == Iex_RdTmp
                    && b->leaf[l]->Iex.RdTmp.tmp == a->Iex.RdTmp.tmp) break;
            if (l == b->nleaves) {
                if (l >= EV_MAX_LEAVES) return False;
                b->leaf[b->nleaves++] = a;
            }
            if (!ev_emit(b, ev_word(EV_LEAF, l, 0, 0), 1)) return False;
        }
    }
    return ev_emit(b, ev_word(nd.kind, nd.p[0], nd.p[1], nd.p[2]), 1 - nd.nargs);
}

/* Emit the ct_h_eval call for program b (leaves and exports as
 * serialized), guarded by nz != 0; every exported node becomes
 * materialized.  Returns the call's result temp (meaningful only when the
 * guard is true) and the guard in *gp. */
static IRExpr *ev_call(CTEnv *e, EvBuf *bp, IRExpr *nz, IRExpr **gp)
{
    IRExpr *cum = bind1(e, IRExpr_Binop(Iop_CmpNE64, nz, mkU64(0)));
    *gp = cum;
    EvBuf *b = bp;
    const UInt *prog = ev_intern(b->code, b->n);
    IRExpr *args[6];
    args[0] = mkU64((ULong)(Addr)prog);
    for (Int l = 0; l < EV_REG_LEAVES; l++) args[l + 1] = l < b->nleaves ? b->leaf[l] : mkU64(0);
    for (Int l = EV_REG_LEAVES; l < b->nleaves; l++)
        stmt(e, IRStmt_Store(Iend_LE, mkU64((ULong)(Addr)&ev_scratch[EV_MLEAF(l)]), b->leaf[l]));
    IRTemp t = newIRTemp(e->sb->tyenv, Ity_I64);
    IRDirty *d = unsafeIRDirty_1_N(t, 0, "ct_h_eval", VG_(fnptr_to_fnentry)((void *)ct_h_eval),
                                   mkIRExprVec_6(args[0], args[1], args[2], args[3], args[4], args[5]));
    d->guard = cum;
    if (b->nexported || b->nleaves > EV_REG_LEAVES) {
        /* declared, so VEX keeps the scratch writes before the call and
         * the reads after it */
        d->mFx = Ifx_Modify;
        d->mAddr = mkU64((ULong)(Addr)ev_scratch);
        d->mSize = sizeof ev_scratch;
    }
    stmt(e, IRStmt_Dirty(d));
#ifdef CT_STATS
    {   /* count executed call sites, taken or not (eval counts the taken) */
        IRExpr *ctr = mkU64((ULong)(Addr)&ct_stats[ST_EVSITE]);
        IRExpr *v = bind(e, IRExpr_Load(Iend_LE, Ity_I64, ctr));
        stmt(e, IRStmt_Store(Iend_LE, ctr, bind(e, IRExpr_Binop(Iop_Add64, v, mkU64(1)))));
    }
#endif
    for (Int k = 0; k < b->nexported; k++) {
        /* exact: when the call did not run, the whole tree's fast values are */
        Int c = b->exported[k];
        IRExpr *sv = bind(e, IRExpr_Load(Iend_LE, Ity_I64, mkU64((ULong)(Addr)&ev_scratch[k])));
        e->nodes[c].mat = bind(e, IRExpr_ITE(cum, sv, IRExpr_RdTmp(e->nodes[c].handle)));
    }
    return IRExpr_RdTmp(t);
}

/* The exact value of shadow expression x: one guarded call to ct_h_eval
 * for a pending tree, taken only when some fast path in it failed. */
static IRExpr *materialize(CTEnv *e, IRExpr *x)
{
    x = resolve(e, x);
    Int i = pending(e, x);
    if (i < 0) return x;
    EvBuf b;
    for (;;) {
        b.n = b.depth = b.maxdepth = b.nleaves = b.nexported = 0; b.lastop = -1;
        if (ev_ser(e, i, &b) && ev_emit(&b, EV_END, 0)) break;
        /* too big for one call: settle the largest pending child first */
        Int best = -1, bestsize = 0;
        for (Int k = 0; k < e->nodes[i].nargs; k++) {
            Int c = pending(e, resolve(e, e->nodes[i].arg[k]));
            Int size = c < 0 ? 0 : e->nodes[c].size;
            if (size > bestsize) { best = k; bestsize = size; }
        }
        if (best < 0) {
            /* an address load with five distinct run-time inputs: call its
             * helper directly, on exact inputs */
            VNode nd = e->nodes[i];
            tl_assert(nd.kind == EV_ADDR);
            IRExpr *a[5];
            for (Int k = 0; k < 5; k++) a[k] = resolve(e, nd.arg[k]);
            IRExpr *r = call(e, any_nz(e, a[2], a[4]), a[0], "ct_h_addr_load", (void *)ct_h_addr_load,
                             mkIRExprVec_5(a[0], a[1], a[2], a[3], a[4]));
            e->nodes[i].mat = r;
            return r;
        }
        materialize(e, e->nodes[i].arg[best]);
    }
    IRExpr *g;
    IRExpr *r = ev_call(e, &b, e->nodes[i].nz, &g);
    r = bind(e, IRExpr_ITE(g, r, x));
    e->nodes[i].mat = r;
    return r;
}

static IRExpr *or_nz(CTEnv *e, IRExpr *acc, IRExpr *x)
{
    if (!x || is_zero(x)) return acc;
    return acc ? bind(e, IRExpr_Binop(Iop_Or64, acc, x)) : x;
}

/* A deferred operation.  Its flag reads every argument except those
 * `valmask` marks: run-time values (shift amounts, address terms) and an
 * address load's loaded shadow, which is its fast value `fast` (NULL: the
 * fast value is 0).  When every argument the flag reads is clean, `fast`
 * is the exact result: every operation maps clean inputs to a clean
 * result, and an address load with clean index terms to its loaded word. */
static IRExpr *mk_node(CTEnv *e, Int kind, Int p0, Int p1, Int p2, Int nargs, IRExpr **args,
                       UInt valmask, IRExpr *fast)
{
    VNode nd;
    VG_(memset)(&nd, 0, sizeof nd);
    nd.kind = kind; nd.p[0] = p0; nd.p[1] = p1; nd.p[2] = p2; nd.nargs = nargs;
    nd.fastzero = fast == NULL;
    nd.size = 1;
    for (Int k = 0; k < nargs; k++) {
        IRExpr *a = resolve(e, args[k]);
        Int c = pending(e, a);
        if (c >= 0) {
            if (!e->nodes[c].bound) e->nodes[c].uses++;
            /* a shared operation is computed once per tree (EV_IMPORT) */
            nd.size += e->nodes[c].uses > 1 ? 1 : e->nodes[c].size;
        }
        if (!(valmask & (1u << k))) {
            if (c < 0) nd.nz = or_nz(e, nd.nz, a);
            else {
                /* exact(c) is 0 when c's flag is clear and its fast value is 0 */
                nd.nz = or_nz(e, nd.nz, e->nodes[c].nz);
                if (!e->nodes[c].fastzero) nd.nz = or_nz(e, nd.nz, IRExpr_RdTmp(e->nodes[c].handle));
            }
        } else tl_assert(c < 0);
        nd.arg[k] = a;
    }
    if (!nd.nz) return fast ? fast : mkU64(0);   /* exact already: nothing to defer */
    IRTemp t = newIRTemp(e->sb->tyenv, Ity_I64);
    stmt(e, IRStmt_WrTmp(t, fast ? fast : mkU64(0)));
    if (e->nnodes == e->capnodes) {
        e->capnodes = e->capnodes ? 2 * e->capnodes : 64;
        e->nodes = VG_(realloc)("ct.vnodes", e->nodes, e->capnodes * sizeof(VNode));
    }
    if ((Int)t >= e->capnode_of) {
        Int n = e->capnode_of ? e->capnode_of : 256;
        while (n <= (Int)t) n *= 2;
        e->node_of = VG_(realloc)("ct.nodeof", e->node_of, n * sizeof(Int));
        VG_(memset)(e->node_of + e->capnode_of, 0, (n - e->capnode_of) * sizeof(Int));
        e->capnode_of = n;
    }
    nd.handle = t;
    e->nodes[e->nnodes] = nd;
    e->node_of[t] = ++e->nnodes;
    return IRExpr_RdTmp(t);
}


/* An operation's input, settled first when its tree is already big: done
 * before the operation's inline code reads it, so the inline code and the
 * tree agree on what they computed from. */
static IRExpr *ready(CTEnv *e, IRExpr *x)
{
    x = resolve(e, x);
    Int c = pending(e, x);
    return c >= 0 && e->nodes[c].size >= FUSE_MAX ? materialize(e, x) : x;
}

/* Every operation below is a deferred node (ct_eval.h) whose fast value
 * is 0 and whose flag is the OR of its shadow inputs: the whole inline cost
 * of a shadow operation is one OR, and code that computes on clean data
 * (nearly all code, and all of it before a source is read) never calls.
 * When some input is labelled, the tree's one ct_h_eval call computes the
 * exact value with each operation's fast checks and helper.  (Inline fast
 * paths for labelled words cost more in instructions, run on clean data as
 * well, than the calls they saved.) */

/* A partial register write: bytes [pos, pos+n) of `old` replaced by bytes
 * [from, from+n) of w. */
static IRExpr *h_piece(CTEnv *e, IRExpr *old, IRExpr *w, Int from, Int pos, Int n)
{
    old = ready(e, old); w = ready(e, w);
    if (is_zero(old) && is_zero(w)) return mkU64(0);
    IRExpr *args[2] = { old, w };
    return mk_node(e, EV_PIECE, from, pos, n, 2, args, 0, NULL);
}

/* Bytes [from, from+n) of a word.  Of a pending zero-extension or
 * narrowing that covers them it is the same bytes of that one's input
 * (each result is the one canonical word for its bytes): 32-bit code
 * narrows and widens its registers at every instruction, and an operation
 * saved is a dispatch of the interpreter saved. */
static IRExpr *h_sub(CTEnv *e, IRExpr *w, Int from, Int n)
{
    w = ready(e, w);
    if (is_zero(w)) return w;
    for (Int c; (c = pending(e, w)) >= 0; ) {
        VNode *nd = &e->nodes[c];
        if (nd->kind == EV_WIDEN && from + n <= nd->p[0]) w = resolve(e, nd->arg[0]);
        else if (nd->kind == EV_SUB && from + n <= nd->p[1]) { from += nd->p[0]; w = resolve(e, nd->arg[0]); }
        else break;
    }
    return mk_node(e, EV_SUB, from, n, 0, 1, &w, 0, NULL);
}

/* Zero-extension from fromsize bytes (of a word already zero-extended
 * from as few bytes or fewer: that word). */
static IRExpr *h_widen(CTEnv *e, IRExpr *w, Int fromsize)
{
    w = ready(e, w);
    if (is_zero(w)) return w;
    Int c = pending(e, w);
    if (c >= 0 && e->nodes[c].kind == EV_WIDEN && e->nodes[c].p[0] <= fromsize) return w;
    return mk_node(e, EV_WIDEN, fromsize, 0, 0, 1, &w, 0, NULL);
}

/* hi:lo concatenation. */
static IRExpr *h_cat(CTEnv *e, IRExpr *hi, IRExpr *lo, Int losize, Int hisize)
{
    hi = ready(e, hi); lo = ready(e, lo);
    if (is_zero(hi) && is_zero(lo)) return mkU64(0);
    IRExpr *args[2] = { hi, lo };
    return mk_node(e, EV_CAT, losize, hisize, 0, 2, args, 0, NULL);
}

/* The generic rule: every result byte depends on every input byte. */
static IRExpr *h_union(CTEnv *e, IRExpr *a, Int asz, IRExpr *b, Int bsz)
{
    a = ready(e, a); b = ready(e, b);
    if (is_zero(a) && is_zero(b)) return mkU64(0);
    IRExpr *args[2] = { a, b };
    return mk_node(e, EV_UNION, asz, bsz, 0, 2, args, 0, NULL);
}

/* And/Or/Xor: byte-wise unions. */
static IRExpr *h_bytewise(CTEnv *e, IRExpr *a, IRExpr *b, Int size)
{
    a = ready(e, a); b = ready(e, b);
    IRExpr *args[2] = { a, b };
    return mk_node(e, EV_BYTEWISE, size, 0, 0, 2, args, 0, NULL);
}

/* ------------------------------------------------------------------ */
/* Guest registers                                                      */
/* ------------------------------------------------------------------ */

/* RIP changes every instruction and never carries data. */
static Bool reg_untracked(Int off)
{
    return off == offsetof(VexGuestAMD64State, guest_RIP);
}

/* Shadow register writes are deferred: a value still pending (a tree not
 * yet materialized) waits in e->pend until the block can be left (an
 * exit, the end) or something else reads the guest state; then all
 * waiting words are settled by one call (flush_puts) instead of one call
 * per register.  Later reads in the block take the waiting value. */
static void flush_puts(CTEnv *e);
static void put_word(CTEnv *e, Int woff, IRExpr *val)
{
    Int w = woff >> 3;
    val = resolve(e, val);
    if (pending(e, val) < 0) {
        e->pend[w] = NULL;
        stmt(e, IRStmt_Put(e->soff + woff, val));
        return;
    }
    Int c = pending(e, val);
    if (!e->nodes[c].bound) e->nodes[c].uses++;      /* the flush reads it */
    if (!e->pend[w]) {
        if (e->npend == e->nwords) flush_puts(e);     /* order list full (words re-added) */
        e->pend_order[e->npend++] = w;
    }
    e->pend[w] = val;
}

static void flush_puts(CTEnv *e)
{
    Int roots[64], nroots = 0;
    for (Int k = 0; k < e->npend; k++) {
        Int w = e->pend_order[k];
        IRExpr *v = e->pend[w] ? resolve(e, e->pend[w]) : NULL;
        Int r;
        for (r = 0; r < nroots && roots[r] != w; r++) ;
        if (!v || r < nroots) continue;           /* cleared, or listed twice */
        if (pending(e, v) < 0 || nroots == 64) {
            stmt(e, IRStmt_Put(e->soff + w * 8, materialize(e, v)));
            e->pend[w] = NULL;
        } else roots[nroots++] = w;
    }
    e->npend = 0;
    if (nroots == 0) return;
    /* one program computing every root, each exported to its own slot */
    EvBuf b;
    Int slot[64];
    Bool ok = nroots > 1;
    b.n = b.depth = b.maxdepth = b.nleaves = b.nexported = 0; b.lastop = -1;
    for (Int r = 0; r < nroots && ok; r++) {
        Int c = pending(e, resolve(e, e->pend[roots[r]])), x;
        for (x = 0; x < b.nexported && b.exported[x] != c; x++) ;
        if (x < b.nexported) { slot[r] = x; continue; }
        if (!ev_ser(e, c, &b) || b.nexported >= EV_MAX_EXPORT) { ok = False; break; }
        slot[r] = b.nexported;
        b.exported[b.nexported] = c;
        if (b.lastop == b.n - 1 && !(b.code[b.n - 1] & (EV_EXPORT_FLAG | EV_XD_FLAG))
            && b.n < EV_CODE_MAX - 2) {
            /* the root's own operation exports and pops it */
            b.code[b.n - 1] |= EV_XD_FLAG;
            b.code[b.n++] = b.nexported++;
            b.depth--;
        } else ok = ev_emit(&b, ev_word(EV_EXPDROP, b.nexported++, 0, 0), -1);
    }
    if (ok) ok = ev_emit(&b, EV_CONST, 1) && (b.code[b.n++] = 0, ev_emit(&b, EV_END, 0));
    if (!ok) {
        for (Int r = 0; r < nroots; r++) {
            Int w = roots[r];
            stmt(e, IRStmt_Put(e->soff + w * 8, materialize(e, e->pend[w])));
            e->pend[w] = NULL;
        }
        return;
    }
    IRExpr *nz = NULL, *g;
    for (Int r = 0; r < nroots; r++)
        nz = or_nz(e, nz, e->nodes[pending(e, resolve(e, e->pend[roots[r]]))].nz);
    tl_assert(nz);
    ev_call(e, &b, nz, &g);
    for (Int r = 0; r < nroots; r++) {
        Int w = roots[r];
        IRExpr *v = resolve(e, e->pend[w]);     /* exported: now materialized */
        (void)slot;
        stmt(e, IRStmt_Put(e->soff + w * 8, v));
        e->pend[w] = NULL;
    }
}

static IRExpr *get_word(CTEnv *e, Int woff)
{
    IRExpr *p = e->pend[woff >> 3];
    if (p) {                              /* a deferred Put not yet flushed */
        p = resolve(e, p);
        Int c = pending(e, p);
        if (c >= 0) e->nodes[c].uses++;   /* a read no temp count covers */
        return p;
    }
    return bind(e, IRExpr_Get(e->soff + woff, Ity_I64));
}

static IRExpr *gen_get(CTEnv *e, Int off, Int size)
{
    if (reg_untracked(off)) return mkU64(0);
    Int first = off & ~7, last = (off + size - 1) & ~7;
    if (first == last) {
        IRExpr *w = get_word(e, first);
        if (off == first && size == 8) return w;
        return h_sub(e, w, off - first, size);
    }
    IRExpr *acc = NULL;
    Int accsize = 0;
    for (Int w = first; w <= last; w += 8) {
        Int lo = off > w ? off : w, hi = off + size < w + 8 ? off + size : w + 8;
        IRExpr *word = get_word(e, w);
        IRExpr *piece = (lo == w && hi == w + 8) ? word : h_sub(e, word, lo - w, hi - lo);
        acc = acc ? h_cat(e, piece, acc, accsize, hi - lo) : piece;
        accsize += hi - lo;
    }
    return acc;
}

static void gen_put(CTEnv *e, Int off, Int size, IRExpr *sw)
{
    if (reg_untracked(off)) return;
    Int first = off & ~7, last = (off + size - 1) & ~7;
    for (Int w = first; w <= last; w += 8) {
        Int lo = off > w ? off : w, hi = off + size < w + 8 ? off + size : w + 8;
        IRExpr *val;
        if (lo == w && hi == w + 8) {
            val = (size == 8) ? sw : h_sub(e, sw, lo - off, 8);
        } else {
            /* Partial write (AL, AH, AX, the low lane of an XMM...): merge. */
            IRExpr *old = get_word(e, w);
            val = h_piece(e, old, sw, lo - off, lo - w, hi - lo);
        }
        put_word(e, w, val);
    }
}

/* Arrays indexed at run time (the x87 register stack).  Only 8-byte
 * element arrays hold data; the tag arrays carry no labels. */
static IRRegArray *shadow_array(CTEnv *e, IRRegArray *d)
{
    if (tysize(d->elemTy) != 8 || (d->base & 7)) return NULL;
    return mkIRRegArray(d->base + e->soff, Ity_I64, d->nElems);
}

/* ------------------------------------------------------------------ */
/* Memory                                                               */
/* ------------------------------------------------------------------ */

/* The terms of an address computed in this block as a sum (VEX spells
 * base + index*scale + disp as nested Add64s); at most `max` non-constant
 * terms.  Returns how many, 0 when the address is not a visible sum. */
static Int addr_terms(CTEnv *e, IRExpr *a, IRExpr **terms, Int n, Int max, Int depth)
{
    if (a->tag == Iex_Const) return n;
    if (a->tag != Iex_RdTmp || n < 0) return -1;
    IRTemp t = a->Iex.RdTmp.tmp;
    IRExpr *d = t < (IRTemp)e->ntmap ? e->defs[t] : NULL;
    if (depth < 3 && d && d->tag == Iex_Binop && d->Iex.Binop.op == Iop_Add64) {
        n = addr_terms(e, d->Iex.Binop.arg1, terms, n, max, depth + 1);
        return addr_terms(e, d->Iex.Binop.arg2, terms, n, max, depth + 1);
    }
    if (depth == 0) return -1;          /* a bare pointer, not a sum */
    if (n >= max) return -1;
    terms[n] = a;
    return n + 1;
}

static IRExpr *gen_load(CTEnv *e, Int size, IRExpr *addr, IRExpr *guard)
{
    IRExpr *v = call(e, guard, mkU64(0), "ct_h_load", (void *)ct_h_load,
                     mkIRExprVec_2(addr, mkU64(size)));
    if (!ct_opt.addr_taint) return v;
    /* Table lookups: base + index.  Only the index's labels matter (see
     * ct_h_addr_load), so pass each term's run-time value and shadow. */
    IRExpr *terms[2];
    Int n = addr_terms(e, addr, terms, 0, 2, 0);
    if (n <= 0) return v;
    IRExpr *s0 = ready(e, sh_atom(e, terms[0])), *s1 = n > 1 ? ready(e, sh_atom(e, terms[1])) : mkU64(0);
    if (is_zero(s0) && is_zero(s1)) return v;
    IRExpr *v0 = terms[0], *v1 = n > 1 ? terms[1] : mkU64(0);
    if (typeOfIRExpr(e->sb->tyenv, v0) != Ity_I64 || typeOfIRExpr(e->sb->tyenv, v1) != Ity_I64)
        return v;
    IRExpr *args[5] = { v, v0, s0, v1, s1 };
    return mk_node(e, EV_ADDR, 0, 0, 0, 5, args, 0xb, v);
}

static void gen_store(CTEnv *e, IRExpr *addr, Int size, IRExpr *sw, IRExpr *guard)
{
    sw = materialize(e, sw);
    IRDirty *d = unsafeIRDirty_0_N(0, "ct_h_store", VG_(fnptr_to_fnentry)((void *)ct_h_store),
                                   mkIRExprVec_3(addr, mkU64(size), sw));
    if (guard) d->guard = guard;
    stmt(e, IRStmt_Dirty(d));
}

/* ------------------------------------------------------------------ */
/* Operations                                                           */
/* ------------------------------------------------------------------ */

static Bool same_tmp(IRExpr *a, IRExpr *b)
{
    return a->tag == Iex_RdTmp && b->tag == Iex_RdTmp && a->Iex.RdTmp.tmp == b->Iex.RdTmp.tmp;
}

static Bool op_is_bitwise(IROp op)
{
    switch (op) {
    case Iop_And8: case Iop_And16: case Iop_And32: case Iop_And64:
    case Iop_Or8: case Iop_Or16: case Iop_Or32: case Iop_Or64:
    case Iop_Xor8: case Iop_Xor16: case Iop_Xor32: case Iop_Xor64:
    case Iop_AndV128: case Iop_OrV128: case Iop_XorV128:
    case Iop_AndV256: case Iop_OrV256: case Iop_XorV256:
        return True;
    default:
        return False;
    }
}

/* x ^ x and x - x are constants (the xor-zeroing idiom); so is
 * x == x for vector compares. */
static Bool op_self_is_const(IROp op)
{
    switch (op) {
    case Iop_Xor8: case Iop_Xor16: case Iop_Xor32: case Iop_Xor64:
    case Iop_XorV128: case Iop_XorV256:
    case Iop_Sub8: case Iop_Sub16: case Iop_Sub32: case Iop_Sub64:
    case Iop_Sub8x16: case Iop_Sub16x8: case Iop_Sub32x4: case Iop_Sub64x2:
    case Iop_Sub8x32: case Iop_Sub16x16: case Iop_Sub32x8: case Iop_Sub64x4:
    case Iop_CmpEQ8x16: case Iop_CmpEQ16x8: case Iop_CmpEQ32x4: case Iop_CmpEQ64x2:
    case Iop_CmpEQ8x32: case Iop_CmpEQ16x16: case Iop_CmpEQ32x8: case Iop_CmpEQ64x4:
        return True;
    default:
        return False;
    }
}

/* Comparisons decide (branches, cmov, searching with pcmpeqb/pmovmskb as
 * memchr and strlen do); their results are control flow, not data, so they
 * carry no labels.  Without this rule a pointer found by scanning a buffer
 * would carry the labels of every byte scanned. */
static Bool op_is_compare(IROp op)
{
    switch (op) {
    case Iop_CasCmpEQ16: case Iop_CasCmpEQ32: case Iop_CasCmpEQ64: case Iop_CasCmpEQ8:
    case Iop_CasCmpNE16: case Iop_CasCmpNE32: case Iop_CasCmpNE64: case Iop_CasCmpNE8:
    case Iop_CmpD128: case Iop_CmpD64: case Iop_CmpEQ16: case Iop_CmpEQ16Fx8:
    case Iop_CmpEQ16x16: case Iop_CmpEQ16x4: case Iop_CmpEQ16x8: case Iop_CmpEQ32:
    case Iop_CmpEQ32F0x4: case Iop_CmpEQ32Fx2: case Iop_CmpEQ32Fx4: case Iop_CmpEQ32x2:
    case Iop_CmpEQ32x4: case Iop_CmpEQ32x8: case Iop_CmpEQ64: case Iop_CmpEQ64F0x2:
    case Iop_CmpEQ64Fx2: case Iop_CmpEQ64x2: case Iop_CmpEQ64x4: case Iop_CmpEQ8:
    case Iop_CmpEQ8x16: case Iop_CmpEQ8x32: case Iop_CmpEQ8x8: case Iop_CmpExpD128:
    case Iop_CmpExpD64: case Iop_CmpF128: case Iop_CmpF16: case Iop_CmpF32:
    case Iop_CmpF64: case Iop_CmpGE32Fx2: case Iop_CmpGE32Fx4: case Iop_CmpGT16Sx16:
    case Iop_CmpGT16Sx4: case Iop_CmpGT16Sx8: case Iop_CmpGT16Ux4: case Iop_CmpGT16Ux8:
    case Iop_CmpGT32Fx2: case Iop_CmpGT32Fx4: case Iop_CmpGT32Sx2: case Iop_CmpGT32Sx4:
    case Iop_CmpGT32Sx8: case Iop_CmpGT32Ux2: case Iop_CmpGT32Ux4: case Iop_CmpGT64Sx2:
    case Iop_CmpGT64Sx4: case Iop_CmpGT64Ux2: case Iop_CmpGT8Sx16: case Iop_CmpGT8Sx32:
    case Iop_CmpGT8Sx8: case Iop_CmpGT8Ux16: case Iop_CmpGT8Ux8: case Iop_CmpLE16Fx8:
    case Iop_CmpLE32F0x4: case Iop_CmpLE32Fx4: case Iop_CmpLE32S: case Iop_CmpLE32U:
    case Iop_CmpLE64F0x2: case Iop_CmpLE64Fx2: case Iop_CmpLE64S: case Iop_CmpLE64U:
    case Iop_CmpLT16Fx8: case Iop_CmpLT32F0x4: case Iop_CmpLT32Fx4: case Iop_CmpLT32S:
    case Iop_CmpLT32U: case Iop_CmpLT64F0x2: case Iop_CmpLT64Fx2: case Iop_CmpLT64S:
    case Iop_CmpLT64U: case Iop_CmpNE16: case Iop_CmpNE32: case Iop_CmpNE64:
    case Iop_CmpNE8: case Iop_CmpNEZ128x1: case Iop_CmpNEZ16: case Iop_CmpNEZ16x16:
    case Iop_CmpNEZ16x2: case Iop_CmpNEZ16x4: case Iop_CmpNEZ16x8: case Iop_CmpNEZ32:
    case Iop_CmpNEZ32x2: case Iop_CmpNEZ32x4: case Iop_CmpNEZ32x8: case Iop_CmpNEZ64:
    case Iop_CmpNEZ64x2: case Iop_CmpNEZ64x4: case Iop_CmpNEZ8: case Iop_CmpNEZ8x16:
    case Iop_CmpNEZ8x32: case Iop_CmpNEZ8x4: case Iop_CmpNEZ8x8: case Iop_CmpORD32S:
    case Iop_CmpORD32U: case Iop_CmpORD64S: case Iop_CmpORD64U: case Iop_CmpUN32F0x4:
    case Iop_CmpUN32Fx4: case Iop_CmpUN64F0x2: case Iop_CmpUN64Fx2: case Iop_CmpwNEZ32:
    case Iop_CmpwNEZ64: case Iop_ExpCmpNE16: case Iop_ExpCmpNE32: case Iop_ExpCmpNE64:
    case Iop_ExpCmpNE8:
        return True;
    default:
        return False;
    }
}

/* Ops that pick bytes [from, from+n) of their operand. */
static Bool op_narrow(IROp op, Int *from, Int *n)
{
    switch (op) {
    case Iop_64to8: case Iop_32to8: case Iop_16to8: *from = 0; *n = 1; return True;
    case Iop_64to16: case Iop_32to16: *from = 0; *n = 2; return True;
    case Iop_64to32: case Iop_V128to32: *from = 0; *n = 4; return True;
    case Iop_16HIto8: *from = 1; *n = 1; return True;
    case Iop_32HIto16: *from = 2; *n = 2; return True;
    case Iop_64HIto32: *from = 4; *n = 4; return True;
    case Iop_128to64: case Iop_V128to64: case Iop_V256to64_0: *from = 0; *n = 8; return True;
    case Iop_128HIto64: case Iop_V128HIto64: case Iop_V256to64_1: *from = 8; *n = 8; return True;
    case Iop_V256to64_2: *from = 16; *n = 8; return True;
    case Iop_V256to64_3: *from = 24; *n = 8; return True;
    case Iop_V256toV128_0: *from = 0; *n = 16; return True;
    case Iop_V256toV128_1: *from = 16; *n = 16; return True;
    default: return False;
    }
}

/* Unary ops that do not move or mix bytes. */
static Bool op_identity(IROp op)
{
    switch (op) {
    case Iop_ReinterpF64asI64: case Iop_ReinterpI64asF64:
    case Iop_ReinterpF32asI32: case Iop_ReinterpI32asF32:
    case Iop_ReinterpV128asI128: case Iop_ReinterpI128asV128:
    case Iop_Not8: case Iop_Not16: case Iop_Not32: case Iop_Not64:
    case Iop_NotV128: case Iop_NotV256: case Iop_Not1:
        return True;
    default:
        return False;
    }
}

/* Zero-extensions: the new bytes are constants. */
static Bool op_zero_widen(IROp op, Int *fromsize)
{
    switch (op) {
    case Iop_1Uto8: case Iop_1Uto32: case Iop_1Uto64: *fromsize = 1; return True;
    case Iop_8Uto16: case Iop_8Uto32: case Iop_8Uto64: *fromsize = 1; return True;
    case Iop_16Uto32: case Iop_16Uto64: *fromsize = 2; return True;
    case Iop_32Uto64: case Iop_32UtoV128: *fromsize = 4; return True;
    case Iop_64UtoV128: *fromsize = 8; return True;
    default: return False;
    }
}

/* hi:lo concatenations. */
static Bool op_concat(IROp op, Int *half)
{
    switch (op) {
    case Iop_8HLto16: *half = 1; return True;
    case Iop_16HLto32: *half = 2; return True;
    case Iop_32HLto64: *half = 4; return True;
    case Iop_64HLto128: case Iop_64HLtoV128: *half = 8; return True;
    case Iop_V128HLtoV256: *half = 16; return True;
    default: return False;
    }
}

static IRExpr *sh_unop(CTEnv *e, IROp op, IRExpr *a, IRType aty, IRType rty)
{
    IRExpr *sa = sh_atom(e, a);
    Int from, n;
    if (is_zero(sa) || op_is_compare(op)) return mkU64(0);
    if (op_identity(op)) return sa;
    if (op_narrow(op, &from, &n)) return h_sub(e, sa, from, n);
    if (op_zero_widen(op, &from))
        return h_widen(e, sa, from);
    (void)rty;
    /* Sign-extensions, conversions, arithmetic: every result byte depends on
     * every operand byte. */
    return h_union(e, sa, tysize(aty), mkU64(0), 1);
}

static IRExpr *sh_binop(CTEnv *e, IROp op, IRExpr *a, IRExpr *b, IRType aty, IRType bty)
{
    if (op_is_compare(op) || (op_self_is_const(op) && same_tmp(a, b))) return mkU64(0);
    IRExpr *sa = sh_atom(e, a), *sb = sh_atom(e, b);
    Int half;
    if (is_zero(sa) && is_zero(sb)) return mkU64(0);

    if (op_concat(op, &half)) return h_cat(e, sa, sb, half, half);

    if (op_is_bitwise(op)) {
        if (is_zero(sa)) return sb;
        if (is_zero(sb)) return sa;
        return h_bytewise(e, sa, sb, tysize(aty));
    }

    Int sz = tysize(aty), kind = -1;
    switch (op) {
    case Iop_Shl8: case Iop_Shl16: case Iop_Shl32: case Iop_Shl64: case Iop_ShlV128: kind = 0; break;
    case Iop_Shr8: case Iop_Shr16: case Iop_Shr32: case Iop_Shr64: case Iop_ShrV128: kind = 1; break;
    case Iop_Sar8: case Iop_Sar16: case Iop_Sar32: case Iop_Sar64: kind = 2; break;
    default: break;
    }
    if (kind >= 0) {
        /* Labels move with the bits, by the amount known at run time: bytes
         * copied runs (LIN) and mixed words keep exact labels.  A uniform
         * word (UNI) becomes uniform over all its bytes: the inline fast
         * path, which over-approximates the vacated bytes.  The amount selects
         * bits like an address selects bytes: its own labels are not added. */
        if (is_zero(sa)) return mkU64(0);
        sa = ready(e, sa);
        IRExpr *amt = bind(e, b->tag == Iex_Const ? mkU64(b->Iex.Const.con->Ico.U8)
                                                   : IRExpr_Unop(Iop_8Uto64, b));
        IRExpr *args[2] = { sa, amt };
        return mk_node(e, EV_SHIFT, sz, kind, 0, 2, args, 0x2, NULL);
    }
    switch (op) {
    case Iop_SetV128lo64: case Iop_SetV128lo32: {
        /* A vector with its low lane replaced. */
        Int lane = op == Iop_SetV128lo64 ? 8 : 4;
        IRExpr *top = h_sub(e, sa, lane, 16 - lane);
        return h_cat(e, top, sb, lane, 16 - lane);
    }
    default:
        break;
    }
    return h_union(e, sa, sz, sb, tysize(bty));
}

/* Union of a list of atoms' shadows. */
static IRExpr *sh_union_atoms(CTEnv *e, IRExpr **args, Int n)
{
    IRExpr *acc = mkU64(0);
    Int accsz = 1;
    for (Int i = 0; i < n; i++) {
        IRExpr *a = args[i];
        if (a->tag != Iex_RdTmp && a->tag != Iex_Const) continue;   /* GSPTR, VECRET */
        IRExpr *s = sh_atom(e, a);
        if (is_zero(s)) continue;
        acc = h_union(e, acc, accsz, s, tysize(typeOfIRExpr(e->sb->tyenv, a)));
        accsz = 32;
    }
    return acc;
}

/* The shadow word of expression x (flat IR: operands are atoms). */
static IRExpr *sh_expr(CTEnv *e, IRExpr *x, IRType ty)
{
    IRTypeEnv *tenv = e->sb->tyenv;
    switch (x->tag) {
    case Iex_Const:
        return mkU64(0);
    case Iex_RdTmp:
        return sh_atom(e, x);
    case Iex_Get:
        return gen_get(e, x->Iex.Get.offset, tysize(x->Iex.Get.ty));
    case Iex_GetI: {
        IRRegArray *sd = shadow_array(e, x->Iex.GetI.descr);
        if (!sd) return mkU64(0);
        return bind(e, IRExpr_GetI(sd, x->Iex.GetI.ix, x->Iex.GetI.bias));
    }
    case Iex_Load:
        return gen_load(e, tysize(x->Iex.Load.ty), x->Iex.Load.addr, NULL);
    case Iex_Unop:
        return sh_unop(e, x->Iex.Unop.op, x->Iex.Unop.arg,
                       typeOfIRExpr(tenv, x->Iex.Unop.arg), ty);
    case Iex_Binop:
        return sh_binop(e, x->Iex.Binop.op, x->Iex.Binop.arg1, x->Iex.Binop.arg2,
                        typeOfIRExpr(tenv, x->Iex.Binop.arg1),
                        typeOfIRExpr(tenv, x->Iex.Binop.arg2));
    case Iex_Triop: {
        IRTriop *t = x->Iex.Triop.details;
        IRExpr *args[3] = { t->arg1, t->arg2, t->arg3 };
        return sh_union_atoms(e, args, 3);
    }
    case Iex_Qop: {
        IRQop *q = x->Iex.Qop.details;
        if (q->op == Iop_64x4toV256) {          /* arg1 is the top lane */
            IRExpr *hi = h_cat(e, sh_atom(e, q->arg1), sh_atom(e, q->arg2), 8, 8);
            IRExpr *lo = h_cat(e, sh_atom(e, q->arg3), sh_atom(e, q->arg4), 8, 8);
            return h_cat(e, hi, lo, 16, 16);
        }
        IRExpr *args[4] = { q->arg1, q->arg2, q->arg3, q->arg4 };
        return sh_union_atoms(e, args, 4);
    }
    case Iex_ITE: {
        /* Select, like cmov: the condition's labels are control flow. */
        IRExpr *st = sh_atom(e, x->Iex.ITE.iftrue), *sf = sh_atom(e, x->Iex.ITE.iffalse);
        if (is_zero(st) && is_zero(sf)) return mkU64(0);
        st = materialize(e, st); sf = materialize(e, sf);
        return bind(e, IRExpr_ITE(x->Iex.ITE.cond, st, sf));
    }
    case Iex_CCall: {
        Int n = 0;
        if (VG_(strcmp)(x->Iex.CCall.cee->name, "amd64g_calculate_condition") == 0)
            return mkU64(0);                    /* setcc/cmov/jcc: a comparison */
        while (x->Iex.CCall.args[n]) n++;
        return sh_union_atoms(e, x->Iex.CCall.args, n);
    }
    default:
        ppIRExpr(x);
        VG_(tool_panic)("crosstag: unhandled IR expression");
    }
}

/* ------------------------------------------------------------------ */
/* Statements                                                           */
/* ------------------------------------------------------------------ */

static void set_shadow(CTEnv *e, IRTemp t, IRExpr *sw)
{
    /* a deferred operation read through a temp is read as often as the
     * temp (operations reading an unbound one count themselves) */
    Int c = pending(e, sw);
    if (c >= 0 && t < (IRTemp)e->ntmap) { e->nodes[c].uses += e->nuses[t]; e->nodes[c].bound = True; }
    if (is_zero(sw)) { e->tmap[t] = IRTemp_INVALID; return; }
    if (sw->tag == Iex_RdTmp) { e->tmap[t] = sw->Iex.RdTmp.tmp; return; }
    IRTemp s = newIRTemp(e->sb->tyenv, Ity_I64);
    stmt(e, IRStmt_WrTmp(s, sw));
    e->tmap[t] = s;
}

/* Dirty helpers (cpuid, rdtsc, x87 and SSE4.2 string helpers, AES...):
 * everything they read flows to everything they write. */
static void do_dirty(CTEnv *e, IRStmt *st)
{
    IRDirty *d = st->Ist.Dirty.details;
    Int n = 0;
    while (d->args[n]) n++;
    IRExpr *u = sh_union_atoms(e, d->args, n);
    Int usz = 32;
    for (Int i = 0; i < d->nFxState; i++) {
        if (d->fxState[i].fx == Ifx_Write) continue;
        for (Int r = 0; r <= d->fxState[i].nRepeats; r++) {
            Int off = d->fxState[i].offset + r * d->fxState[i].repeatLen;
            for (Int w = off & ~7; w < off + d->fxState[i].size; w += 8)
                if (!reg_untracked(w)) u = h_union(e, u, usz, get_word(e, w), 8);
        }
    }
    if (d->mFx == Ifx_Read || d->mFx == Ifx_Modify) {
        IRExpr *m = CALL(e, d->guard, mkU64(0), ct_h_load_collapsed,
                         mkIRExprVec_2(d->mAddr, mkU64(d->mSize)));
        u = h_union(e, u, usz, m, 1);
    }
    u = materialize(e, u);
    stmt(e, st);    /* the original call */

    IRExpr *guard = d->guard;
    Bool always = guard->tag == Iex_Const && guard->Iex.Const.con->Ico.U1;
    if (d->tmp != IRTemp_INVALID)
        set_shadow(e, d->tmp, always || is_zero(u) ? u : bind(e, IRExpr_ITE(guard, u, mkU64(0))));
    for (Int i = 0; i < d->nFxState; i++) {
        if (d->fxState[i].fx == Ifx_Read) continue;
        for (Int r = 0; r <= d->fxState[i].nRepeats; r++) {
            Int off = d->fxState[i].offset + r * d->fxState[i].repeatLen;
            for (Int w = off & ~7; w < off + d->fxState[i].size; w += 8) {
                if (reg_untracked(w)) continue;
                IRExpr *v = always ? u : bind(e, IRExpr_ITE(guard, u, get_word(e, w)));
                stmt(e, IRStmt_Put(e->soff + w, v));
            }
        }
    }
    if (d->mFx == Ifx_Write || d->mFx == Ifx_Modify) {
        IRDirty *s = unsafeIRDirty_0_N(0, "ct_h_store_collapsed",
                                       VG_(fnptr_to_fnentry)((void *)ct_h_store_collapsed),
                                       mkIRExprVec_4(d->mAddr, mkU64(d->mSize), u, mkU64(32)));
        s->guard = guard;
        stmt(e, IRStmt_Dirty(s));
    }
}

static IROp cas_cmp(IRType ty)
{
    switch (ty) {
    case Ity_I8: return Iop_CasCmpEQ8;
    case Ity_I16: return Iop_CasCmpEQ16;
    case Ity_I32: return Iop_CasCmpEQ32;
    default: return Iop_CasCmpEQ64;
    }
}

static void do_cas(CTEnv *e, IRStmt *st)
{
    IRCAS *c = st->Ist.CAS.details;
    IRType ty = typeOfIRExpr(e->sb->tyenv, c->expdLo);
    Int sz = tysize(ty);
    Bool dbl = c->oldHi != IRTemp_INVALID;
    IRExpr *addr_hi = NULL;
    /* Old values come from memory as they were before the swap. */
    set_shadow(e, c->oldLo, gen_load(e, sz, c->addr, NULL));
    if (dbl) {
        IRTemp ah = newIRTemp(e->sb->tyenv, Ity_I64);
        stmt(e, IRStmt_WrTmp(ah, IRExpr_Binop(Iop_Add64, c->addr, mkU64(sz))));
        addr_hi = IRExpr_RdTmp(ah);
        set_shadow(e, c->oldHi, gen_load(e, sz, addr_hi, NULL));
    }
    stmt(e, st);
    /* The new value's labels land only if the swap happened. */
    IRTemp ok = newIRTemp(e->sb->tyenv, Ity_I1);
    stmt(e, IRStmt_WrTmp(ok, IRExpr_Binop(cas_cmp(ty), IRExpr_RdTmp(c->oldLo), c->expdLo)));
    if (dbl) {
        IRTemp ok2 = newIRTemp(e->sb->tyenv, Ity_I1), both = newIRTemp(e->sb->tyenv, Ity_I1);
        stmt(e, IRStmt_WrTmp(ok2, IRExpr_Binop(cas_cmp(ty), IRExpr_RdTmp(c->oldHi), c->expdHi)));
        stmt(e, IRStmt_WrTmp(both, IRExpr_Binop(Iop_And1, IRExpr_RdTmp(ok), IRExpr_RdTmp(ok2))));
        ok = both;
        gen_store(e, addr_hi, sz, sh_atom(e, c->dataHi), IRExpr_RdTmp(ok));
    }
    gen_store(e, c->addr, sz, sh_atom(e, c->dataLo), IRExpr_RdTmp(ok));
}

static void do_loadg(CTEnv *e, IRStmt *st)
{
    IRLoadG *lg = st->Ist.LoadG.details;
    Int sz, widen = 0;
    Bool sign = False;
    switch (lg->cvt) {
    case ILGop_IdentV128: sz = 16; break;
    case ILGop_Ident64: sz = 8; break;
    case ILGop_Ident32: sz = 4; break;
    case ILGop_16Uto32: sz = 2; widen = 2; break;
    case ILGop_16Sto32: sz = 2; sign = True; break;
    case ILGop_8Uto32: sz = 1; widen = 1; break;
    case ILGop_8Sto32: sz = 1; sign = True; break;
    default: sz = 8; break;
    }
    IRExpr *v = gen_load(e, sz, lg->addr, lg->guard);
    if (widen) v = h_widen(e, v, widen);
    if (sign) v = h_union(e, v, sz, mkU64(0), 1);
    IRExpr *alt = materialize(e, sh_atom(e, lg->alt));
    v = materialize(e, v);
    set_shadow(e, lg->dst, bind(e, IRExpr_ITE(lg->guard, v, alt)));
    stmt(e, st);
}

/* ------------------------------------------------------------------ */
/* Which shadows are used at all                                        */
/* ------------------------------------------------------------------ */
/* VEX never deletes a dirty call, even when its result is dead, so every
 * shadow computed for nothing (address arithmetic, the flags thunk feeding
 * only a branch, loop counters) would cost its helper calls for ever.  A
 * backward pass over the block marks the temps whose shadows something
 * observable reads (Put, Store, a dirty call, a load's address terms);
 * the others get no shadow code.  Exact: an unread shadow changes nothing. */

static void need_atom(CTEnv *e, IRExpr *a)
{
    if (a && a->tag == Iex_RdTmp && a->Iex.RdTmp.tmp < (IRTemp)e->ntmap)
        e->needed[a->Iex.RdTmp.tmp] = True;
}

/* The terms gen_load passes to ct_h_addr_load. */
static void need_addr(CTEnv *e, IRExpr *addr)
{
    IRExpr *terms[2];
    if (!ct_opt.addr_taint) return;
    Int n = addr_terms(e, addr, terms, 0, 2, 0);
    for (Int i = 0; i < n; i++) need_atom(e, terms[i]);
}

static void need_args(CTEnv *e, IRExpr **args)
{
    for (Int i = 0; args[i]; i++) need_atom(e, args[i]);
}

/* Mirror of sh_expr: the atoms whose shadows the shadow of x reads. */
static void need_expr(CTEnv *e, IRExpr *x)
{
    switch (x->tag) {
    case Iex_RdTmp: need_atom(e, x); break;
    case Iex_Load: need_addr(e, x->Iex.Load.addr); break;
    case Iex_Unop:
        if (!op_is_compare(x->Iex.Unop.op)) need_atom(e, x->Iex.Unop.arg);
        break;
    case Iex_Binop: {
        IROp op = x->Iex.Binop.op;
        IRExpr *a = x->Iex.Binop.arg1, *b = x->Iex.Binop.arg2;
        if (op_is_compare(op) || (op_self_is_const(op) && same_tmp(a, b))) break;
        need_atom(e, a); need_atom(e, b);
        break;
    }
    case Iex_Triop:
        need_atom(e, x->Iex.Triop.details->arg1); need_atom(e, x->Iex.Triop.details->arg2);
        need_atom(e, x->Iex.Triop.details->arg3);
        break;
    case Iex_Qop:
        need_atom(e, x->Iex.Qop.details->arg1); need_atom(e, x->Iex.Qop.details->arg2);
        need_atom(e, x->Iex.Qop.details->arg3); need_atom(e, x->Iex.Qop.details->arg4);
        break;
    case Iex_ITE: need_atom(e, x->Iex.ITE.iftrue); need_atom(e, x->Iex.ITE.iffalse); break;
    case Iex_CCall:
        if (VG_(strcmp)(x->Iex.CCall.cee->name, "amd64g_calculate_condition") != 0)
            need_args(e, x->Iex.CCall.args);
        break;
    default: break;      /* Const, Get, GetI: no temps */
    }
}

/* Shadow register words [off, off+size) are read: not dead below here. */
static void words_read(CTEnv *e, Int off, Int size)
{
    for (Int w = off >> 3; w <= (off + size - 1) >> 3 && w < e->nwords; w++)
        if (w >= 0) e->killed[w] = False;
}

/* A Put's shadow is dead when every word it writes is written whole again
 * later in the block with no read in between and no exit (the state must
 * be complete wherever the block can be left): the flags thunk of all but
 * the last flag-setting instruction, say, whose shadow (a union of the
 * operands, often a helper call) would otherwise be computed for nothing.
 * VEX drops the dead shadow Put itself, but never the dirty calls feeding
 * it.  Partial writes read the old word (gen_put merges), so they count as
 * reads. */
static Bool put_is_dead(CTEnv *e, Int off, Int size)
{
    if (reg_untracked(off)) return True;
    Bool dead = True;
    Int first = off & ~7, last = (off + size - 1) & ~7;
    for (Int w = first; w <= last; w += 8) {
        Bool whole = off <= w && off + size >= w + 8;
        Int wi = w >> 3;
        if (wi >= e->nwords) return False;
        if (!whole) { e->killed[wi] = False; dead = False; continue; }
        if (!e->killed[wi]) dead = False;
    }
    for (Int w = first; w <= last; w += 8)
        if (off <= w && off + size >= w + 8) e->killed[w >> 3] = True;
    return dead;
}

static void reads_in_expr(CTEnv *e, IRExpr *x)
{
    if (x->tag == Iex_Get) words_read(e, x->Iex.Get.offset, tysize(x->Iex.Get.ty));
    else if (x->tag == Iex_GetI) {
        IRRegArray *d = x->Iex.GetI.descr;
        words_read(e, d->base, d->nElems * tysize(d->elemTy));
    }
}

static void count_expr(CTEnv *e, IRExpr *x)
{
    switch (x->tag) {
    case Iex_RdTmp: if (x->Iex.RdTmp.tmp < (IRTemp)e->ntmap) e->nuses[x->Iex.RdTmp.tmp]++; break;
    case Iex_Load: count_expr(e, x->Iex.Load.addr); break;
    case Iex_Unop: count_expr(e, x->Iex.Unop.arg); break;
    case Iex_Binop: count_expr(e, x->Iex.Binop.arg1); count_expr(e, x->Iex.Binop.arg2); break;
    case Iex_Triop: count_expr(e, x->Iex.Triop.details->arg1); count_expr(e, x->Iex.Triop.details->arg2);
                    count_expr(e, x->Iex.Triop.details->arg3); break;
    case Iex_Qop: count_expr(e, x->Iex.Qop.details->arg1); count_expr(e, x->Iex.Qop.details->arg2);
                  count_expr(e, x->Iex.Qop.details->arg3); count_expr(e, x->Iex.Qop.details->arg4); break;
    case Iex_ITE: count_expr(e, x->Iex.ITE.cond); count_expr(e, x->Iex.ITE.iftrue);
                  count_expr(e, x->Iex.ITE.iffalse); break;
    case Iex_CCall: for (Int i = 0; x->Iex.CCall.args[i]; i++) count_expr(e, x->Iex.CCall.args[i]); break;
    case Iex_GetI: count_expr(e, x->Iex.GetI.ix); break;
    default: break;
    }
}

/* Reads of each temp (an over-count is harmless: it only makes a shared
 * operation's value exported from its tree). */
static void count_uses(CTEnv *e, IRSB *in)
{
    for (Int i = 0; i < in->stmts_used; i++) {
        IRStmt *st = in->stmts[i];
        switch (st->tag) {
        case Ist_WrTmp: count_expr(e, st->Ist.WrTmp.data); break;
        case Ist_Put: count_expr(e, st->Ist.Put.data); break;
        case Ist_PutI: count_expr(e, st->Ist.PutI.details->data); break;
        case Ist_Store: count_expr(e, st->Ist.Store.data); break;
        case Ist_StoreG: count_expr(e, st->Ist.StoreG.details->data); break;
        case Ist_LoadG: count_expr(e, st->Ist.LoadG.details->alt); break;
        case Ist_CAS:
            count_expr(e, st->Ist.CAS.details->dataLo);
            if (st->Ist.CAS.details->dataHi) count_expr(e, st->Ist.CAS.details->dataHi);
            break;
        case Ist_LLSC: if (st->Ist.LLSC.storedata) count_expr(e, st->Ist.LLSC.storedata); break;
        case Ist_Dirty: {
            IRExpr **args = st->Ist.Dirty.details->args;
            for (Int k = 0; args[k]; k++)
                if (!is_IRExpr_VECRET_or_GSPTR(args[k])) count_expr(e, args[k]);
            break;
        }
        default: break;
        }
    }
}

static void compute_needed(CTEnv *e, IRSB *in)
{
    IRTypeEnv *tenv = in->tyenv;
    for (Int i = in->stmts_used - 1; i >= 0; i--) {
        IRStmt *st = in->stmts[i];
        switch (st->tag) {
        case Ist_WrTmp:
            if (e->needed[st->Ist.WrTmp.tmp]) {
                need_expr(e, st->Ist.WrTmp.data);
                reads_in_expr(e, st->Ist.WrTmp.data);
            }
            break;
        case Ist_Put: {
            Int sz = tysize(typeOfIRExpr(tenv, st->Ist.Put.data));
            e->put_dead[i] = put_is_dead(e, st->Ist.Put.offset, sz);
            if (!e->put_dead[i]) need_atom(e, st->Ist.Put.data);
            break;
        }
        case Ist_PutI: need_atom(e, st->Ist.PutI.details->data); break;
        case Ist_Store: need_atom(e, st->Ist.Store.data); break;
        case Ist_StoreG: need_atom(e, st->Ist.StoreG.details->data); break;
        case Ist_LoadG: {
            IRLoadG *lg = st->Ist.LoadG.details;
            if (e->needed[lg->dst]) { need_atom(e, lg->alt); need_addr(e, lg->addr); }
            break;
        }
        case Ist_CAS: {
            IRCAS *c = st->Ist.CAS.details;
            need_atom(e, c->dataLo); need_atom(e, c->dataHi);
            need_addr(e, c->addr);
            break;
        }
        case Ist_LLSC:
            if (st->Ist.LLSC.storedata) need_atom(e, st->Ist.LLSC.storedata);
            else need_addr(e, st->Ist.LLSC.addr);
            break;
        case Ist_Dirty: {
            IRDirty *d = st->Ist.Dirty.details;
            need_args(e, d->args);
            /* do_dirty reads the shadow of everything the call touches */
            for (Int k = 0; k < d->nFxState; k++)
                for (Int r = 0; r <= d->fxState[k].nRepeats; r++)
                    words_read(e, d->fxState[k].offset + r * d->fxState[k].repeatLen,
                               d->fxState[k].size);
            break;
        }
        case Ist_Exit:
            for (Int w = 0; w < e->nwords; w++) e->killed[w] = False;
            break;
        default: break;
        }
    }
}

static IRSB *ct_instrument(VgCallbackClosure *closure, IRSB *in,
                           const VexGuestLayout *layout, const VexGuestExtents *vge,
                           const VexArchInfo *archinfo_host, IRType gWordTy, IRType hWordTy)
{
    (void)closure; (void)vge; (void)archinfo_host; (void)gWordTy; (void)hWordTy;
    CTEnv e;
    e.sb = deepCopyIRSBExceptStmts(in);
    e.ntmap = in->tyenv->types_used;
    e.tmap = VG_(malloc)("ct.tmap", (e.ntmap + 1) * sizeof(IRTemp));
    e.defs = VG_(calloc)("ct.defs", e.ntmap + 1, sizeof(IRExpr *));
    e.needed = VG_(calloc)("ct.needed", e.ntmap + 1, sizeof(Bool));
    e.nodes = NULL; e.nnodes = e.capnodes = 0;
    e.node_of = NULL; e.capnode_of = 0;
    e.put_dead = VG_(calloc)("ct.putdead", in->stmts_used + 1, sizeof(Bool));
    e.nwords = (layout->total_sizeB + 7) / 8;
    e.pend = VG_(calloc)("ct.pend", e.nwords + 1, sizeof(IRExpr *));
    e.pend_order = VG_(calloc)("ct.pendo", e.nwords + 1, sizeof(Int));
    e.npend = 0;
    e.killed = VG_(calloc)("ct.killed", e.nwords + 1, sizeof(Bool));
    for (Int i = 0; i < e.ntmap; i++) e.tmap[i] = IRTemp_INVALID;
    e.soff = layout->total_sizeB;
    for (Int i = 0; i < in->stmts_used; i++)
        if (in->stmts[i]->tag == Ist_WrTmp) e.defs[in->stmts[i]->Ist.WrTmp.tmp] = in->stmts[i]->Ist.WrTmp.data;
    compute_needed(&e, in);
    e.nuses = VG_(calloc)("ct.nuses", e.ntmap + 1, sizeof(Int));
    count_uses(&e, in);

    for (Int i = 0; i < in->stmts_used; i++) {
        IRStmt *st = in->stmts[i];
        switch (st->tag) {
        case Ist_Exit:
            flush_puts(&e);          /* the state must be whole where the block is left */
            stmt(&e, st);
            break;
        case Ist_NoOp: case Ist_IMark: case Ist_AbiHint: case Ist_MBE:
            stmt(&e, st);
            break;
        case Ist_WrTmp: {
            IRTemp t = st->Ist.WrTmp.tmp;
            if (st->Ist.WrTmp.data->tag == Iex_GetI) flush_puts(&e);
            if (e.needed[t])
                set_shadow(&e, t, sh_expr(&e, st->Ist.WrTmp.data, typeOfIRTemp(in->tyenv, t)));
            stmt(&e, st);
            break;
        }
        case Ist_Put: {
            IRExpr *data = st->Ist.Put.data;
            if (!e.put_dead[i])
                gen_put(&e, st->Ist.Put.offset, tysize(typeOfIRExpr(in->tyenv, data)), sh_atom(&e, data));
            stmt(&e, st);
            break;
        }
        case Ist_PutI: {
            IRPutI *p = st->Ist.PutI.details;
            flush_puts(&e);
            IRRegArray *sd = shadow_array(&e, p->descr);
            if (sd) stmt(&e, IRStmt_PutI(mkIRPutI(sd, p->ix, p->bias, materialize(&e, sh_atom(&e, p->data)))));
            stmt(&e, st);
            break;
        }
        case Ist_Store: {
            IRExpr *data = st->Ist.Store.data;
            gen_store(&e, st->Ist.Store.addr, tysize(typeOfIRExpr(in->tyenv, data)),
                      sh_atom(&e, data), NULL);
            stmt(&e, st);
            break;
        }
        case Ist_StoreG: {
            IRStoreG *sg = st->Ist.StoreG.details;
            gen_store(&e, sg->addr, tysize(typeOfIRExpr(in->tyenv, sg->data)),
                      sh_atom(&e, sg->data), sg->guard);
            stmt(&e, st);
            break;
        }
        case Ist_LoadG:
            do_loadg(&e, st);
            break;
        case Ist_CAS:
            do_cas(&e, st);
            break;
        case Ist_LLSC: {
            IRTemp res = st->Ist.LLSC.result;
            IRExpr *addr = st->Ist.LLSC.addr;
            if (st->Ist.LLSC.storedata == NULL) {
                set_shadow(&e, res, gen_load(&e, tysize(typeOfIRTemp(in->tyenv, res)), addr, NULL));
                stmt(&e, st);
            } else {
                IRExpr *data = st->Ist.LLSC.storedata;
                stmt(&e, st);
                gen_store(&e, addr, tysize(typeOfIRExpr(in->tyenv, data)), sh_atom(&e, data),
                          IRExpr_RdTmp(res));
            }
            break;
        }
        case Ist_Dirty:
            flush_puts(&e);
            do_dirty(&e, st);
            break;
        default:
            ppIRStmt(st);
            VG_(tool_panic)("crosstag: unhandled IR statement");
        }
    }
    flush_puts(&e);
    VG_(free)(e.pend);
    VG_(free)(e.pend_order);
    VG_(free)(e.tmap);
    VG_(free)(e.defs);
    VG_(free)(e.needed);
    VG_(free)(e.nuses);
    if (e.nodes) VG_(free)(e.nodes);
    if (e.node_of) VG_(free)(e.node_of);
    VG_(free)(e.put_dead);
    VG_(free)(e.killed);
    return e.sb;
}

IRSB *(*ct_instrument_fn)(VgCallbackClosure *, IRSB *, const VexGuestLayout *,
                          const VexGuestExtents *, const VexArchInfo *, IRType, IRType) = ct_instrument;
