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
 * Every helper call that can only matter when some input is labelled is
 * guarded by "some input shadow is non-zero", so unlabelled code runs the
 * shadow arithmetic (an OR and a compare) but never the call.
 */
#include "ct_tool.h"
#include "ct_helpers.h"
#include "libvex_guest_amd64.h"
#include "pub_tool_machine.h"

typedef struct {
    IRSB   *sb;        /* output */
    IRExpr **defs;     /* original temp -> its defining expression (this block) */
    IRTemp *tmap;      /* original temp -> shadow temp, or IRTemp_INVALID */
    Bool   *needed;    /* original temp -> its shadow is used (compute_needed) */
    Bool   *put_dead;  /* statement -> a Put whose shadow a later Put overwrites unread */
    Bool   *killed;    /* backward pass: shadow word -> overwritten later, unread */
    Int     nwords;    /* 8-byte words in the guest state */
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

static Int tysize(IRType ty)
{
    return ty == Ity_I1 ? 1 : sizeofIRType(ty);
}

/* The shadow of an atom. */
static IRExpr *sh_atom(CTEnv *e, IRExpr *a)
{
    if (a->tag == Iex_Const) return mkU64(0);
    tl_assert(a->tag == Iex_RdTmp);
    IRTemp t = a->Iex.RdTmp.tmp;
    if (t >= (IRTemp)e->ntmap || e->tmap[t] == IRTemp_INVALID) return mkU64(0);
    return IRExpr_RdTmp(e->tmap[t]);
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


/* t := op(a, b), a fresh temp of type ty. */
static IRExpr *op2(CTEnv *e, IRType ty, IROp op, IRExpr *a, IRExpr *b)
{
    IRTemp t = newIRTemp(e->sb->tyenv, ty);
    stmt(e, IRStmt_WrTmp(t, IRExpr_Binop(op, a, b)));
    return IRExpr_RdTmp(t);
}
static IRExpr *op1(CTEnv *e, IRType ty, IROp op, IRExpr *a)
{
    IRTemp t = newIRTemp(e->sb->tyenv, ty);
    stmt(e, IRStmt_WrTmp(t, IRExpr_Unop(op, a)));
    return IRExpr_RdTmp(t);
}
static IRExpr *u8(UInt v) { return IRExpr_Const(IRConst_U8(v)); }

/* The inline fast path (spelled out, as memcheck spells out its V-bit
 * rules): a shadow word whose top byte is zero is "uniform over all bytes"
 * (kind UNI, len 0) or clean.  When every input is such a word and they
 * name the same set, or all but one are clean, nearly every operation's
 * result is just their OR — no call.  That is the steady state of code
 * that mixes labelled data (hashes, ciphers): the state words all carry
 * one set.  The returned guard is true when the helper is needed; *orv
 * is the fast result. */
static IRExpr *slow_guard(CTEnv *e, IRExpr *a, IRExpr *b, IRExpr **orv)
{
    IRTypeEnv *t = e->sb->tyenv;
    IRTemp o = newIRTemp(t, Ity_I64), top = newIRTemp(t, Ity_I64), x = newIRTemp(t, Ity_I64);
    IRTemp m = newIRTemp(t, Ity_I64), c1 = newIRTemp(t, Ity_I1), c2 = newIRTemp(t, Ity_I1);
    IRTemp c3 = newIRTemp(t, Ity_I1), c23 = newIRTemp(t, Ity_I1), fast = newIRTemp(t, Ity_I1);
    IRTemp slow = newIRTemp(t, Ity_I1);
    stmt(e, IRStmt_WrTmp(o, IRExpr_Binop(Iop_Or64, a, b)));
    stmt(e, IRStmt_WrTmp(top, IRExpr_Binop(Iop_Shr64, IRExpr_RdTmp(o), IRExpr_Const(IRConst_U8(56)))));
    stmt(e, IRStmt_WrTmp(c1, IRExpr_Binop(Iop_CmpEQ64, IRExpr_RdTmp(top), mkU64(0))));
    stmt(e, IRStmt_WrTmp(x, IRExpr_Binop(Iop_Xor64, a, b)));
    stmt(e, IRStmt_WrTmp(c2, IRExpr_Binop(Iop_CmpEQ64, IRExpr_RdTmp(x), mkU64(0))));
    /* ids are below 2^32 when the top byte is zero, so a*b cannot wrap:
     * it is zero exactly when one of them is clean */
    stmt(e, IRStmt_WrTmp(m, IRExpr_Binop(Iop_Mul64, a, b)));
    stmt(e, IRStmt_WrTmp(c3, IRExpr_Binop(Iop_CmpEQ64, IRExpr_RdTmp(m), mkU64(0))));
    stmt(e, IRStmt_WrTmp(c23, IRExpr_Binop(Iop_Or1, IRExpr_RdTmp(c2), IRExpr_RdTmp(c3))));
    stmt(e, IRStmt_WrTmp(fast, IRExpr_Binop(Iop_And1, IRExpr_RdTmp(c1), IRExpr_RdTmp(c23))));
    stmt(e, IRStmt_WrTmp(slow, IRExpr_Unop(Iop_Not1, IRExpr_RdTmp(fast))));
    *orv = IRExpr_RdTmp(o);
    return IRExpr_RdTmp(slow);
}

/* A two-input helper whose result is the OR for uniform same-set words. */
static IRExpr *call_binary(CTEnv *e, IRExpr *a, IRExpr *b, const HChar *name, void *fn, IRExpr **args)
{
    if (is_zero(a) && is_zero(b)) return mkU64(0);
    IRExpr *orv;
    IRExpr *g = slow_guard(e, a, b, &orv);
    return call(e, g, orv, name, fn, args);
}
#define CALL_BINARY(e, a, b, fn, args) call_binary(e, a, b, #fn, (void *)fn, args)

/* I1: w is of kind UNI (bits 63..62 clear), any len. */
static IRExpr *is_uni(CTEnv *e, IRExpr *w)
{
    return op2(e, Ity_I1, Iop_CmpEQ64, op2(e, Ity_I64, Iop_Shr64, w, u8(62)), mkU64(0));
}

/* Bytes [from, from+n) of a word.  Inline when the word is UNI or LIN
 * (top kind bit clear) and covers those bytes entirely (len 0, or len >=
 * from+n): a UNI word keeps its id, a LIN word's id moves up by `from`
 * (kind bit * from), both with len 0.  A single byte is always made UNI,
 * the canonical form, so later inline paths (widening, unions) take it. */
static IRExpr *h_sub(CTEnv *e, IRExpr *w, Int from, Int n)
{
    if (is_zero(w)) return w;
    IRExpr *len = op2(e, Ity_I64, Iop_And64, op2(e, Ity_I64, Iop_Shr64, w, u8(56)), mkU64(0x3f));
    IRExpr *all = op2(e, Ity_I1, Iop_Or1, op2(e, Ity_I1, Iop_CmpEQ64, len, mkU64(0)),
                      op2(e, Ity_I1, Iop_CmpLE64U, mkU64(from + n), len));
    IRExpr *notvec = op2(e, Ity_I1, Iop_CmpEQ64, op2(e, Ity_I64, Iop_Shr64, w, u8(63)), mkU64(0));
    IRExpr *slow = op1(e, Ity_I1, Iop_Not1, op2(e, Ity_I1, Iop_And1, notvec, all));
    IRExpr *fast = op2(e, Ity_I64, Iop_And64, w, mkU64(n == 1 ? 0xffffffffULL : 0xC0000000ffffffffULL));
    if (from)
        fast = op2(e, Ity_I64, Iop_Add64, fast,
                   op2(e, Ity_I64, Iop_Mul64, op2(e, Ity_I64, Iop_Shr64, w, u8(62)), mkU64(from)));
    return call(e, slow, fast, "ct_h_sub", (void *)ct_h_sub, mkIRExprVec_3(w, mkU64(from), mkU64(n)));
}

/* Zero-extension, always inline (ct_h_widen spelled out): the low fromsize
 * bytes keep their labels, so a UNI/LIN word gets len = fromsize unless its
 * len is already within them; a VEC word lists only its own bytes and is
 * kept as it is. */
static IRExpr *h_widen(CTEnv *e, IRExpr *w, Int fromsize)
{
    if (is_zero(w)) return w;
    IRExpr *len = op2(e, Ity_I64, Iop_And64, op2(e, Ity_I64, Iop_Shr64, w, u8(56)), mkU64(0x3f));
    IRExpr *vec = op2(e, Ity_I1, Iop_CmpNE64, op2(e, Ity_I64, Iop_Shr64, w, u8(63)), mkU64(0));
    IRExpr *inside = op2(e, Ity_I1, Iop_CmpLT64U, op2(e, Ity_I64, Iop_Sub64, len, mkU64(1)),
                         mkU64(fromsize));       /* 1 <= len <= fromsize */
    IRExpr *keep = op2(e, Ity_I1, Iop_Or1, op2(e, Ity_I1, Iop_Or1, vec, inside),
                       op2(e, Ity_I1, Iop_CmpEQ64, w, mkU64(0)));
    IRExpr *bounded = op2(e, Ity_I64, Iop_Or64, op2(e, Ity_I64, Iop_And64, w, mkU64(~(0x3fULL << 56))),
                          mkU64((ULong)fromsize << 56));
    return bind(e, IRExpr_ITE(keep, w, bounded));
}

/* Concatenation is fast only for two equal uniform words: a clean half
 * must stay clean. */
static IRExpr *h_cat(CTEnv *e, IRExpr *hi, IRExpr *lo, Int losize, Int hisize)
{
    IRExpr *g = any_nz(e, hi, lo);
    if (!g) return mkU64(0);
    return CALL(e, g, mkU64(0), ct_h_cat, mkIRExprVec_4(hi, lo, mkU64(losize), mkU64(hisize)));
}

/* The generic rule (every result byte depends on every input byte), inline
 * when every input is UNI with any len (the result covers all bytes, so
 * len does not matter) and they name one set or all but one are clean:
 * the result is that id, uniform.  Exactly ct_h_union2's answer there. */
static IRExpr *h_union(CTEnv *e, IRExpr *a, Int asz, IRExpr *b, Int bsz)
{
    if (is_zero(a) && is_zero(b)) return mkU64(0);
    IRExpr **args = mkIRExprVec_4(a, mkU64(asz), b, mkU64(bsz));
    if (is_zero(a) || is_zero(b)) {
        IRExpr *w = is_zero(a) ? b : a;
        IRExpr *slow = op2(e, Ity_I1, Iop_CmpNE64, op2(e, Ity_I64, Iop_Shr64, w, u8(62)), mkU64(0));
        IRExpr *fast = op2(e, Ity_I64, Iop_And64, w, mkU64(0xffffffffULL));
        return call(e, slow, fast, "ct_h_union2", (void *)ct_h_union2, args);
    }
    IRExpr *o = op2(e, Ity_I64, Iop_Or64, a, b);
    IRExpr *uni = op2(e, Ity_I1, Iop_CmpEQ64, op2(e, Ity_I64, Iop_Shr64, o, u8(62)), mkU64(0));
    IRExpr *same = op2(e, Ity_I1, Iop_CmpEQ64,
                       op2(e, Ity_I64, Iop_Shl64, op2(e, Ity_I64, Iop_Xor64, a, b), u8(32)), mkU64(0));
    /* a non-zero word has a non-zero id in its low 32 bits, so a*b has its
     * lowest set bit below 64: it is zero exactly when one input is clean */
    IRExpr *clean1 = op2(e, Ity_I1, Iop_CmpEQ64, op2(e, Ity_I64, Iop_Mul64, a, b), mkU64(0));
    IRExpr *slow = op1(e, Ity_I1, Iop_Not1,
                       op2(e, Ity_I1, Iop_And1, uni, op2(e, Ity_I1, Iop_Or1, same, clean1)));
    IRExpr *fast = op2(e, Ity_I64, Iop_And64, o, mkU64(0xffffffffULL));
    return call(e, slow, fast, "ct_h_union2", (void *)ct_h_union2, args);
}

/* And/Or/Xor, inline when the inputs are equal or one is clean (any kind):
 * the result is then their OR, byte for byte what ct_h_bytewise gives. */
static IRExpr *h_bytewise(CTEnv *e, IRExpr *a, IRExpr *b, Int size)
{
    IRExpr *same = op2(e, Ity_I1, Iop_CmpEQ64, a, b);
    IRExpr *clean1 = op2(e, Ity_I1, Iop_CmpEQ64, op2(e, Ity_I64, Iop_Mul64, a, b), mkU64(0));
    IRExpr *slow = op1(e, Ity_I1, Iop_Not1, op2(e, Ity_I1, Iop_Or1, same, clean1));
    IRExpr *fast = op2(e, Ity_I64, Iop_Or64, a, b);
    return call(e, slow, fast, "ct_h_bytewise", (void *)ct_h_bytewise,
                mkIRExprVec_3(a, b, mkU64(size)));
}

/* ------------------------------------------------------------------ */
/* Guest registers                                                      */
/* ------------------------------------------------------------------ */

/* RIP changes every instruction and never carries data. */
static Bool reg_untracked(Int off)
{
    return off == offsetof(VexGuestAMD64State, guest_RIP);
}

static IRExpr *get_word(CTEnv *e, Int woff)
{
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
            val = CALL_BINARY(e, old, sw, ct_h_piece,
                              mkIRExprVec_5(old, sw, mkU64(lo - off), mkU64(lo - w), mkU64(hi - lo)));
        }
        stmt(e, IRStmt_Put(e->soff + w, val));
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
    IRExpr *s0 = sh_atom(e, terms[0]), *s1 = n > 1 ? sh_atom(e, terms[1]) : mkU64(0);
    IRExpr *g = any_nz(e, s0, s1);
    if (!g) return v;
    IRExpr *v0 = terms[0], *v1 = n > 1 ? terms[1] : mkU64(0);
    if (typeOfIRExpr(e->sb->tyenv, v0) != Ity_I64 || typeOfIRExpr(e->sb->tyenv, v1) != Ity_I64)
        return v;
    return CALL(e, g, v, ct_h_addr_load, mkIRExprVec_5(v, v0, s0, v1, s1));
}

static void gen_store(CTEnv *e, IRExpr *addr, Int size, IRExpr *sw, IRExpr *guard)
{
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
        IRExpr *amt = bind(e, b->tag == Iex_Const ? mkU64(b->Iex.Const.con->Ico.U8)
                                                   : IRExpr_Unop(Iop_8Uto64, b));
        IRExpr *slow = op1(e, Ity_I1, Iop_Not1, is_uni(e, sa));
        IRExpr *fast = op2(e, Ity_I64, Iop_And64, sa, mkU64(0xffffffffULL));
        return call(e, slow, fast, "ct_h_shift", (void *)ct_h_shift,
                    mkIRExprVec_4(sa, mkU64(sz), amt, mkU64(kind)));
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
    IRExpr *alt = sh_atom(e, lg->alt);
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
    e.put_dead = VG_(calloc)("ct.putdead", in->stmts_used + 1, sizeof(Bool));
    e.nwords = (layout->total_sizeB + 7) / 8;
    e.killed = VG_(calloc)("ct.killed", e.nwords + 1, sizeof(Bool));
    for (Int i = 0; i < e.ntmap; i++) e.tmap[i] = IRTemp_INVALID;
    e.soff = layout->total_sizeB;
    for (Int i = 0; i < in->stmts_used; i++)
        if (in->stmts[i]->tag == Ist_WrTmp) e.defs[in->stmts[i]->Ist.WrTmp.tmp] = in->stmts[i]->Ist.WrTmp.data;
    compute_needed(&e, in);

    for (Int i = 0; i < in->stmts_used; i++) {
        IRStmt *st = in->stmts[i];
        switch (st->tag) {
        case Ist_NoOp: case Ist_IMark: case Ist_AbiHint: case Ist_MBE: case Ist_Exit:
            stmt(&e, st);
            break;
        case Ist_WrTmp: {
            IRTemp t = st->Ist.WrTmp.tmp;
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
            IRRegArray *sd = shadow_array(&e, p->descr);
            if (sd) stmt(&e, IRStmt_PutI(mkIRPutI(sd, p->ix, p->bias, sh_atom(&e, p->data))));
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
            do_dirty(&e, st);
            break;
        default:
            ppIRStmt(st);
            VG_(tool_panic)("crosstag: unhandled IR statement");
        }
    }
    VG_(free)(e.tmap);
    VG_(free)(e.defs);
    VG_(free)(e.needed);
    VG_(free)(e.put_dead);
    VG_(free)(e.killed);
    return e.sb;
}

IRSB *(*ct_instrument_fn)(VgCallbackClosure *, IRSB *, const VexGuestLayout *,
                          const VexGuestExtents *, const VexArchInfo *, IRType, IRType) = ct_instrument;
