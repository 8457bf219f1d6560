/* ct_eval.c — the interpreter for deferred shadow trees (see ct_eval.h).
 * Every ev_* function is one operation's exact value: its fast check (the
 * cases that need no table), else its helper. */
#include "ct_eval.h"
#include "ct_helpers.h"
#include "ct_stats.h"

static inline SW ev_sub(SW w, UInt from, UInt n)
{
    UInt len = SW_LEN(w);
    if ((w >> 63) == 0 && (len == 0 || from + n <= len))
        return (w & (n == 1 ? 0xffffffffULL : 0xC0000000ffffffffULL)) + (w >> 62) * from;
    return ct_h_sub(w, from, n);
}

static inline SW ev_widen(SW w, UInt fromsize)
{
    UInt len = SW_LEN(w);
    if (w == 0 || (w >> 63) || len - 1 < fromsize) return w;   /* len-1 wraps for len 0 */
    return (w & ~(0x3fULL << 56)) | ((ULong)fromsize << 56);
}

static inline SW ev_union(SW a, UInt asize, SW b, UInt bsize)
{
    SW o = a | b;
    if ((o >> 62) == 0 && (((a ^ b) << 32) == 0 || a == 0 || b == 0)) return o & 0xffffffffULL;
    return ct_h_union2(a, asize, b, bsize);
}

static inline SW ev_bytewise(SW a, SW b, UInt size)
{
    if (a == b || a == 0 || b == 0) return a | b;
    return ct_h_bytewise(a, b, size);
}

static inline SW ev_cat(SW hi, SW lo, UInt losize, UInt hisize)
{
    if ((hi | lo) == 0) return 0;
    return ct_h_cat(hi, lo, losize, hisize);
}

static inline SW ev_piece(SW old, SW w, UInt from, UInt pos, UInt n)
{
    SW o = old | w;
    if ((o >> 56) == 0 && (old == w || old == 0 || w == 0)) return o;
    return ct_h_piece(old, w, from, pos, n);
}

static inline SW ev_shift(SW w, UInt size, ULong amount, UInt kind)
{
    if ((w >> 62) == 0) return w & 0xffffffffULL;
    return ct_h_shift(w, size, amount, kind);
}

static inline SW ev_addr(SW data, ULong t0, SW s0, ULong t1, SW s1)
{
    if ((s0 | s1) == 0) return data;
    return ct_h_addr_load(data, t0, s0, t1, s1);
}

SW ev_scratch[EV_MAX_EXPORT + EV_MAX_LEAVES];

/* ---- results by pattern ----
 * Take every shadow leaf of a tree that is clean or a uniform word of one
 * and the same id X (any len): then nothing the operations do depends on
 * which id X is, only on which leaves are clean and their lens (unions of
 * X with X or with nothing are X; per-byte work sees X or 0), so neither
 * do the results beyond carrying X.  So a program remembers, for the last
 * such pattern of its leaves (run-time value leaves in it too: a shift
 * amount exactly, an address term as "index or not", all an address load
 * looks at), results that were clean or uniform of X, and answers the same
 * pattern with them and the new X without running.  That is the steady
 * state of hashing code (rotations of one state word; rounds whose every
 * input carries the one running set), where the interpreter otherwise
 * spends most of the run. */
struct ev_cache {
    Bool  valid, evalid;
    UInt  epoch;
    SW    ret;                        /* templates: 0, or len bits | 1 */
    SW    eret;                       /* exact results of the last run */
    ULong v[];                        /* key[nleaves]: per leaf 0, 1 + top byte, or
                                         the value; ekey[nleaves]: the last run's
                                         leaves; exp[nexp], eexp[nexp]: exports */
};
#define EVM_NOCACHE 1                 /* no result reuse at all */
struct ev_meta {
    ULong valmask;                    /* leaves that are run-time values */
    ULong idxmask;                    /* ... of which address terms only */
    UInt  nleaves, flags, nexp;
    UInt  calls, hits;
    UChar slot[EV_MAX_EXPORT];        /* export slots the program writes */
    struct ev_cache *cache;
};
static inline struct ev_meta *ev_meta_of(const UInt *code) { return (struct ev_meta *)code - 1; }

/* The leaves' pattern and X, or False when they are no such family. */
static Bool ev_pattern(const struct ev_meta *m, const SW *lv, ULong *key, UInt *xp)
{
    UInt x = 0;
    for (UInt l = 0; l < m->nleaves; l++) {
        SW v = lv[l];
        if (m->valmask >> l & 1) {
            /* an address term counts only as index or not (ct_h_addr_load) */
            key[l] = m->idxmask >> l & 1 ? v < ADDR_INDEX_MAX : v;
            continue;
        }
        if (v == 0) { key[l] = 0; continue; }
        if (v >> 62) return False;
        if (x == 0) x = (UInt)v;
        else if ((UInt)v != x) return False;
        key[l] = 1 + (v >> 56);
    }
    *xp = x;
    return x != 0;
}

/* VG_(memcmp) compares byte by byte */
static inline Bool same64(const ULong *a, const ULong *b, UInt n)
{
    for (UInt i = 0; i < n; i++) if (a[i] != b[i]) return False;
    return True;
}

static inline SW ev_tmpl(SW w) { return w ? (w & ~0xffffffffULL) | 1 : 0; }
static inline SW ev_fill(SW t, UInt x) { return t ? (t & ~0xffffffffULL) | x : 0; }
static inline Bool ev_of_x(SW w, UInt x) { return w == 0 || ((w >> 62) == 0 && (UInt)w == x); }

SW ct_h_eval_run(const UInt *code, SW l0, SW l1, SW l2, SW l3, SW l4);

SW ct_h_eval(const UInt *code, SW l0, SW l1, SW l2, SW l3, SW l4)
{
    struct ev_meta *m = ev_meta_of(code);
    if (m->flags & EVM_NOCACHE) return ct_h_eval_run(code, l0, l1, l2, l3, l4);
    SW lv[EV_MAX_LEAVES];
    ULong key[EV_MAX_LEAVES];
    UInt x, n = m->nleaves;
    lv[0] = l0; lv[1] = l1; lv[2] = l2; lv[3] = l3; lv[4] = l4;
    for (UInt l = EV_REG_LEAVES; l < n; l++) lv[l] = ev_scratch[EV_MLEAF(l)];
    struct ev_cache *c = m->cache;
    if (!c) c = m->cache = VG_(calloc)("ct.evcache", 1, sizeof *c + (2 * n + 2 * m->nexp) * sizeof(ULong));
    ULong *ekey = c->v + n;
    SW *exp = c->v + 2 * n, *eexp = exp + m->nexp;
    UInt nexp = m->nexp;
    if (++m->calls >= 256 && m->hits * 8 < m->calls) m->flags |= EVM_NOCACHE;
    /* the same leaves as last time (a loop walking a chain with the same
     * labelled registers): the same results, while ids keep their meaning */
    if (c->evalid && c->epoch == lab_gc_epoch && same64(ekey, lv, n)) {
        m->hits++;
        STAT(ST_EVHIT);
        for (UInt k = 0; k < nexp; k++) ev_scratch[m->slot[k]] = eexp[k];
        return c->eret;
    }
    Bool fam = ev_pattern(m, lv, key, &x);
    if (fam && c->valid && same64(c->v, key, n)) {
        m->hits++;
        STAT(ST_EVHIT);
        for (UInt k = 0; k < nexp; k++) ev_scratch[m->slot[k]] = ev_fill(exp[k], x);
        return ev_fill(c->ret, x);
    }
    SW r = ct_h_eval_run(code, l0, l1, l2, l3, l4);
    c->evalid = True;
    c->epoch = lab_gc_epoch;
    VG_(memcpy)(ekey, lv, n * sizeof(SW));
    c->eret = r;
    for (UInt k = 0; k < nexp; k++) eexp[k] = ev_scratch[m->slot[k]];
    if (!fam || !ev_of_x(r, x)) return r;
    for (UInt k = 0; k < nexp; k++) if (!ev_of_x(eexp[k], x)) return r;
    c->valid = True;
    VG_(memcpy)(c->v, key, n * sizeof(ULong));
    c->ret = ev_tmpl(r);
    for (UInt k = 0; k < nexp; k++) exp[k] = ev_tmpl(eexp[k]);
    return r;
}

#ifdef CT_STATS
/* which programs run most (printed by ev_prof_print at exit) */
#define PROF_N 4096
static struct { const UInt *code; ULong n; } prof[PROF_N];
static void ev_prof(const UInt *code)
{
    UInt i = (UInt)(((Addr)code >> 2) * 2654435761u) % PROF_N;
    for (UInt k = 0; k < 8; k++, i = (i + 1) % PROF_N)
        if (prof[i].code == code || prof[i].code == NULL) { prof[i].code = code; prof[i].n++; return; }
}
static const HChar *opname[] = { "end", "leaf", "const", "sub", "widen", "union", "bytewise", "cat",
                                 "piece", "shift", "addr", "export", "import", "drop",
                                 "lsub", "lwiden", "union0", "expdrop", "shiftc", "end0",
                                 "bwsub", "unisub" };
void ev_prof_print(void)
{
    for (Int r = 0; r < 25; r++) {
        Int best = -1;
        for (Int i = 0; i < PROF_N; i++) if (prof[i].code && (best < 0 || prof[i].n > prof[best].n)) best = i;
        if (best < 0 || prof[best].n == 0) break;
        VG_(umsg)("prog %llu:", prof[best].n);
        for (const UInt *c = prof[best].code;; c++) {
            UInt w = *c, op = w & 0x3f;
            VG_(umsg)(" %s", op < 22 ? opname[op] : "?");
            if (op == EV_LEAF || op == EV_SUB || op == EV_WIDEN || op == EV_EXPORT || op == EV_IMPORT) VG_(umsg)("%u", (w >> 8) & 0xff);
            if (op == EV_SUB) VG_(umsg)(".%u", (w >> 16) & 0xff);
            if (op == EV_CONST) c++;
            if (w & EV_EXPORT_FLAG) { VG_(umsg)("^"); c++; }
            if (w & EV_XD_FLAG) { VG_(umsg)("v"); c++; }
            if (op == EV_END || op == EV_END0) break;
        }
        VG_(umsg)("\n");
        prof[best].n = 0;
    }
}
#endif

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"     /* [0 ... 255] first, then the opcodes */
__attribute__((optimize("no-crossjumping", "no-gcse")))
SW ct_h_eval_run(const UInt *code, SW l0, SW l1, SW l2, SW l3, SW l4)
{
    /* each operation X has three handlers: X, X_x (exported), X_xd (exported, popped) */
#define T3(op, l) [op] = &&l, [EV_EXPORT_FLAG | op] = &&l##_x, [EV_XD_FLAG | op] = &&l##_xd
    static const void *const tab[256] = {
        [0 ... 255] = &&bad,
        [EV_END] = &&end, [EV_END0] = &&end0, [EV_LEAF] = &&leaf, [EV_CONST] = &&cnst,
        [EV_EXPORT] = &&exp, [EV_IMPORT] = &&imp, [EV_DROP] = &&drop, [EV_EXPDROP] = &&expdrop,
        T3(EV_SUB, sub), T3(EV_WIDEN, widen), T3(EV_UNION, uni), T3(EV_BYTEWISE, bytewise),
        T3(EV_CAT, cat), T3(EV_PIECE, piece), T3(EV_SHIFT, shift), T3(EV_SHIFTC, shiftc),
        T3(EV_ADDR, addr), T3(EV_LSUB, lsub), T3(EV_LWIDEN, lwiden), T3(EV_UNION0, uni0),
        T3(EV_BWSUB, bwsub), T3(EV_UNISUB, unisub),
    };
#undef T3
    SW st[EV_MAX_STACK], *sp = st, a, b, c, d;   /* sp: one past the top */
    UInt w;
    STAT(ST_EVAL);
#ifdef CT_STATS
    ev_prof(code);
#endif
#define P0 ((w >> 8) & 0xff)
#define P1 ((w >> 16) & 0xff)
#define P2 (w >> 24)
#define NEXT do { w = *code++; STAT(ST_EVOPS); goto *tab[w & 0xff]; } while (0)
#define EXPORT do { ev_scratch[*code++] = sp[-1]; NEXT; } while (0)
    SW *lv = ev_scratch + EV_MLEAF(0);
    lv[0] = l0; lv[1] = l1; lv[2] = l2; lv[3] = l3; lv[4] = l4;
    NEXT;
#define LEAF(l) (lv[l])
#define XDROP do { ev_scratch[*code++] = sp[-1]; sp--; NEXT; } while (0)
#define OP3(l, body) l: body; NEXT; l##_x: body; EXPORT; l##_xd: body; XDROP;
leaf: *sp++ = LEAF(P0); NEXT;
cnst: *sp++ = *code++; NEXT;
expdrop: sp--; ev_scratch[P0] = *sp; NEXT;
OP3(lsub, *sp++ = ev_sub(LEAF(P0), P1, P2))
OP3(lwiden, *sp++ = ev_widen(LEAF(P0), P1))
OP3(uni0, sp[-1] = ev_union(sp[-1], P0, 0, P1))
OP3(sub, sp[-1] = ev_sub(sp[-1], P0, P1))
OP3(widen, sp[-1] = ev_widen(sp[-1], P0))
OP3(uni, b = *--sp; sp[-1] = ev_union(sp[-1], P0, b, P1))
OP3(bwsub, b = *--sp; sp[-1] = ev_sub(ev_bytewise(sp[-1], b, P0), 0, P1))
OP3(unisub, b = *--sp; sp[-1] = ev_sub(ev_union(sp[-1], P0, b, P1), 0, P2))
OP3(bytewise, b = *--sp; sp[-1] = ev_bytewise(sp[-1], b, P0))
OP3(cat, b = *--sp; sp[-1] = ev_cat(sp[-1], b, P0, P1))
OP3(piece, b = *--sp; sp[-1] = ev_piece(sp[-1], b, P0, P1, P2))
OP3(shift, b = *--sp; sp[-1] = ev_shift(sp[-1], P0, b, P1))
OP3(shiftc, sp[-1] = ev_shift(sp[-1], P0, P2, P1))
OP3(addr, d = *--sp; c = *--sp; b = *--sp; a = *--sp; sp[-1] = ev_addr(sp[-1], a, b, c, d))
exp: ev_scratch[P0] = sp[-1]; NEXT;
imp: *sp++ = ev_scratch[P0]; NEXT;
drop: sp--; NEXT;
end: return sp[-1];
end0: return 0;
bad: VG_(tool_panic)("crosstag: bad shadow tree");
#undef P0
#undef P1
#undef P2
#undef NEXT
#undef EXPORT
#undef LEAF
#undef XDROP
#undef OP3
}
#pragma GCC diagnostic pop

/* What ct_h_eval's pattern test needs to know of a program: its leaves,
 * which of them are run-time values (shift amounts), the export slots it
 * writes, and whether it loads through addresses (then never cached). */
static void ev_analyze(struct ev_meta *m, const UInt *code)
{
    Int src[EV_MAX_STACK + 4], sp = 0;    /* leaf each stack value is, or -1 */
    ULong shiftmask = 0;                  /* leaves used as shift amounts: exact */
    VG_(memset)(m, 0, sizeof *m);
    for (;;) {
        UInt w = *code++, op = w & 0x3f, p0 = (w >> 8) & 0xff;
        switch (op) {
        case EV_END: return;
        case EV_LEAF: src[sp++] = p0; if (p0 + 1 > m->nleaves) m->nleaves = p0 + 1; break;
        case EV_CONST: code++; src[sp++] = -1; break;
        case EV_SUB: case EV_WIDEN: src[sp - 1] = -1; break;
        case EV_SHIFT:
            if (src[sp - 1] >= 0) {
                m->valmask |= 1ULL << src[sp - 1];
                m->idxmask &= ~(1ULL << src[sp - 1]);
                shiftmask |= 1ULL << src[sp - 1];
            }
            sp--; src[sp - 1] = -1; break;
        case EV_UNION: case EV_BYTEWISE: case EV_CAT: case EV_PIECE:
        case EV_BWSUB: case EV_UNISUB: sp--; src[sp - 1] = -1; break;
        case EV_ADDR:
            /* its index test reads run-time values, and --ct-debug-addr prints */
            if (ct_opt.debug_addr) m->flags |= EVM_NOCACHE;
            for (Int k = 4; k >= 2; k -= 2) {        /* t0 at sp-4, t1 at sp-2 */
                Int l = src[sp - k];
                if (l < 0) continue;
                m->valmask |= 1ULL << l;
                if (!(shiftmask >> l & 1)) m->idxmask |= 1ULL << l;
            }
            sp -= 4; src[sp - 1] = -1; break;
        case EV_EXPORT: m->slot[m->nexp++] = p0; break;
        case EV_IMPORT: src[sp++] = -1; break;
        case EV_DROP: sp--; break;
        case EV_LSUB: case EV_LWIDEN:
            src[sp++] = -1; if (p0 + 1 > m->nleaves) m->nleaves = p0 + 1; break;
        case EV_UNION0: src[sp - 1] = -1; break;
        case EV_EXPDROP: m->slot[m->nexp++] = p0; sp--; break;
        case EV_SHIFTC: src[sp - 1] = -1; break;
        case EV_END0: return;
        default: m->flags |= EVM_NOCACHE; return;
        }
        if (w & EV_EXPORT_FLAG) m->slot[m->nexp++] = *code++;
        if (w & EV_XD_FLAG) { m->slot[m->nexp++] = *code++; sp--; }
        if (m->nexp >= EV_MAX_EXPORT) { m->flags |= EVM_NOCACHE; return; }
    }
}

/* ---- interning: identical trees share one program ---- */
struct ev_prog { const UInt *code; UInt n, hash; };
static struct ev_prog *progs;
static UInt nprogs, progs_size;

static UInt prog_hash(const UInt *c, UInt n)
{
    UInt h = 2166136261u;
    for (UInt i = 0; i < n; i++) h = (h ^ c[i]) * 16777619u;
    return h;
}

static void progs_put(struct ev_prog p)
{
    UInt m = progs_size - 1, i = p.hash & m;
    while (progs[i].code) i = (i + 1) & m;
    progs[i] = p;
}

const UInt *ev_intern(const UInt *code, UInt n)
{
    UInt h = prog_hash(code, n);
    if (progs_size == 0 || 2 * (nprogs + 1) > progs_size) {
        struct ev_prog *old = progs;
        UInt oldsize = progs_size;
        progs_size = progs_size ? 2 * progs_size : 1024;
        progs = VG_(calloc)("ct.evprogs", progs_size, sizeof *progs);
        for (UInt i = 0; i < oldsize; i++) if (old[i].code) progs_put(old[i]);
        if (old) VG_(free)(old);
    }
    UInt m = progs_size - 1, i = h & m;
    for (; progs[i].code; i = (i + 1) & m)
        if (progs[i].hash == h && progs[i].n == n
            && VG_(memcmp)(progs[i].code, code, n * sizeof(UInt)) == 0)
            return progs[i].code;
    struct ev_meta *meta = VG_(malloc)("ct.evcode", sizeof *meta + n * sizeof(UInt));
    UInt *copy = (UInt *)(meta + 1);
    VG_(memcpy)(copy, code, n * sizeof(UInt));
    ev_analyze(meta, copy);
    progs[i].code = copy; progs[i].n = n; progs[i].hash = h;
    nprogs++;
    return copy;
}
