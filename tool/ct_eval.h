/* ct_eval.h — deferred shadow computations ("shadow trees").
 *
 * The translator puts no helper call after a shadow operation.  Each
 * operation has a fast value (0; for an address load, the loaded shadow)
 * and a flag word, the OR of the shadow words it and its inputs read: when
 * the flag is 0 every input is clean and the fast value is exact.  Values
 * flow into later operations as they are, flags are OR-ed along the way.
 * Only where a shadow value leaves the computation (a shadow Put or store,
 * a dirty call, an ITE) is one call made, guarded by flag != 0, to
 * ct_h_eval, which evaluates the whole expression tree from its leaves
 * with the exact semantics of every operation (its fast checks, else the
 * helper).  One call site per tree instead of one per operation: in VEX a
 * call site costs spills and argument set-up even when its guard is false.
 *
 * A tree is a postfix program of 32-bit words: an opcode word
 * (EV_OP | params) and, for EV_CONST, one more word.  Leaves are shadow
 * words or run-time values: the first five are ct_h_eval's arguments, the
 * others are stored to ev_scratch by the translated code before the call
 * (trees of hashing code reach back to many registers). */
#ifndef CT_EVAL_H
#define CT_EVAL_H
#include "ct_labels.h"

enum {
    EV_END,
    EV_LEAF,      /* p0 = leaf index */
    EV_CONST,     /* next word: a 32-bit constant */
    EV_SUB,       /* w -> bytes [p0, p0+p1) */
    EV_WIDEN,     /* w -> zero-extended from p0 bytes */
    EV_UNION,     /* a b -> union; p0 = asize, p1 = bsize */
    EV_BYTEWISE,  /* a b -> per byte; p0 = size */
    EV_CAT,       /* hi lo -> hi:lo; p0 = losize, p1 = hisize */
    EV_PIECE,     /* old w -> old with bytes replaced; p0 = from, p1 = pos, p2 = n */
    EV_SHIFT,     /* w amount -> shifted; p0 = size, p1 = kind */
    EV_ADDR,      /* data t0 s0 t1 s1 -> address labels */
    EV_EXPORT,    /* top of stack -> ev_scratch[p0] (stays on the stack) */
    EV_IMPORT,    /* push ev_scratch[p0]: a shared operation met again */
    EV_DROP,      /* pop (after exporting one of several results) */
    /* fused forms (one dispatch instead of two; the interpreter's cost is
     * its dispatches): */
    EV_LSUB,      /* EV_LEAF p0, EV_SUB p1 p2 */
    EV_LWIDEN,    /* EV_LEAF p0, EV_WIDEN p1 */
    EV_UNION0,    /* EV_CONST 0, EV_UNION p0 p1: union with a clean operand */
    EV_EXPDROP,   /* EV_EXPORT p0, EV_DROP */
    EV_SHIFTC,    /* EV_CONST p2, EV_SHIFT p0 p1: a constant amount */
    EV_END0,      /* EV_CONST 0, EV_END (a flush's program) */
    EV_BWSUB,     /* EV_BYTEWISE p0, EV_SUB 0 p1: a 32-bit op on a 64-bit register */
    EV_UNISUB,    /* EV_UNION p0 p1, EV_SUB 0 p2 */
};
/* An operation whose result is also exported carries this bit in its
 * opcode byte and the slot in the next word: one dispatch, not two (the
 * interpreter's cost is mostly its indirect jumps). */
#define EV_EXPORT_FLAG 0x80
/* ... and one whose result is exported and popped (a root of a flush) the
 * slot after this bit */
#define EV_XD_FLAG 0x40

#define EV_REG_LEAVES 5      /* leaves passed in registers */
#define EV_MAX_LEAVES 64     /* the rest are stored to ev_scratch before the call */
#define EV_MAX_STACK  64
#define EV_MAX_EXPORT 64

/* Values of shared operations computed inside a tree, read by the
 * translated code right after the call (one thread runs at a time, and the
 * reads follow the call in the same block). */
extern SW ev_scratch[EV_MAX_EXPORT + EV_MAX_LEAVES];
/* Slot of leaf l: the translated code stores leaves >= 5 there, the
 * interpreter the first five (one indexed load per leaf, no branches). */
#define EV_MLEAF(l) (EV_MAX_EXPORT + (l))

/* One instruction word: opcode in bits 0..7, params in 8..15, 16..23, 24..31. */
static inline UInt ev_word(UInt op, UInt p0, UInt p1, UInt p2)
{
    return op | (p0 << 8) | (p1 << 16) | (p2 << 24);
}

/* The program's interned copy (identical trees share one; never freed:
 * there are as many distinct trees as distinct instruction shapes). */
const UInt *ev_intern(const UInt *code, UInt n);

SW ct_h_eval(const UInt *code, SW l0, SW l1, SW l2, SW l3, SW l4);


#endif
