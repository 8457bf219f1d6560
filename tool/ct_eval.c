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

SW ev_scratch[EV_MAX_EXPORT + EV_MAX_LEAVES - EV_REG_LEAVES];

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
                                 "piece", "shift", "addr", "export", "import", "drop" };
void ev_prof_print(void)
{
    for (Int r = 0; r < 25; r++) {
        Int best = -1;
        for (Int i = 0; i < PROF_N; i++) if (prof[i].code && (best < 0 || prof[i].n > prof[best].n)) best = i;
        if (best < 0 || prof[best].n == 0) break;
        VG_(umsg)("prog %llu:", prof[best].n);
        for (const UInt *c = prof[best].code;; c++) {
            UInt w = *c, op = w & 0x7f;
            VG_(umsg)(" %s", op < 14 ? opname[op] : "?");
            if (op == EV_LEAF || op == EV_SUB || op == EV_WIDEN || op == EV_EXPORT || op == EV_IMPORT) VG_(umsg)("%u", (w >> 8) & 0xff);
            if (op == EV_SUB) VG_(umsg)(".%u", (w >> 16) & 0xff);
            if (op == EV_CONST) c++;
            if (w & EV_EXPORT_FLAG) { VG_(umsg)("^"); c++; }
            if (op == EV_END) break;
        }
        VG_(umsg)("\n");
        prof[best].n = 0;
    }
}
#endif

/* Threaded dispatch (one indirect jump per handler, indexed by the whole
 * opcode byte, so "exported" is a handler of its own): the interpreter's
 * cost is its dispatches, and a shared switch jump predicts badly. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"     /* [0 ... 255] first, then the opcodes */
SW ct_h_eval(const UInt *code, SW l0, SW l1, SW l2, SW l3, SW l4)
{
    static const void *const tab[256] = {
        [0 ... 255] = &&bad,
        [EV_END] = &&end, [EV_LEAF] = &&leaf, [EV_CONST] = &&cnst, [EV_SUB] = &&sub,
        [EV_WIDEN] = &&widen, [EV_UNION] = &&uni, [EV_BYTEWISE] = &&bytewise, [EV_CAT] = &&cat,
        [EV_PIECE] = &&piece, [EV_SHIFT] = &&shift, [EV_ADDR] = &&addr, [EV_EXPORT] = &&exp,
        [EV_IMPORT] = &&imp, [EV_DROP] = &&drop,
        [EV_EXPORT_FLAG | EV_SUB] = &&sub_x, [EV_EXPORT_FLAG | EV_WIDEN] = &&widen_x,
        [EV_EXPORT_FLAG | EV_UNION] = &&uni_x, [EV_EXPORT_FLAG | EV_BYTEWISE] = &&bytewise_x,
        [EV_EXPORT_FLAG | EV_CAT] = &&cat_x, [EV_EXPORT_FLAG | EV_PIECE] = &&piece_x,
        [EV_EXPORT_FLAG | EV_SHIFT] = &&shift_x, [EV_EXPORT_FLAG | EV_ADDR] = &&addr_x,
    };
    SW st[EV_MAX_STACK], *sp = st, a, b, c, d;   /* sp: one past the top */
    UInt w;
    STAT(ST_EVAL);
#ifdef CT_STATS
    ev_prof(code);
#endif
#define P0 ((w >> 8) & 0xff)
#define P1 ((w >> 16) & 0xff)
#define P2 (w >> 24)
#define NEXT do { w = *code++; goto *tab[w & 0xff]; } while (0)
#define EXPORT do { ev_scratch[*code++] = sp[-1]; NEXT; } while (0)
    NEXT;
leaf:
    switch (P0) {
    case 0: *sp++ = l0; break;
    case 1: *sp++ = l1; break;
    case 2: *sp++ = l2; break;
    case 3: *sp++ = l3; break;
    case 4: *sp++ = l4; break;
    default: *sp++ = ev_scratch[EV_MLEAF(P0)]; break;
    }
    NEXT;
cnst: *sp++ = *code++; NEXT;
sub: sp[-1] = ev_sub(sp[-1], P0, P1); NEXT;
sub_x: sp[-1] = ev_sub(sp[-1], P0, P1); EXPORT;
widen: sp[-1] = ev_widen(sp[-1], P0); NEXT;
widen_x: sp[-1] = ev_widen(sp[-1], P0); EXPORT;
uni: b = *--sp; sp[-1] = ev_union(sp[-1], P0, b, P1); NEXT;
uni_x: b = *--sp; sp[-1] = ev_union(sp[-1], P0, b, P1); EXPORT;
bytewise: b = *--sp; sp[-1] = ev_bytewise(sp[-1], b, P0); NEXT;
bytewise_x: b = *--sp; sp[-1] = ev_bytewise(sp[-1], b, P0); EXPORT;
cat: b = *--sp; sp[-1] = ev_cat(sp[-1], b, P0, P1); NEXT;
cat_x: b = *--sp; sp[-1] = ev_cat(sp[-1], b, P0, P1); EXPORT;
piece: b = *--sp; sp[-1] = ev_piece(sp[-1], b, P0, P1, P2); NEXT;
piece_x: b = *--sp; sp[-1] = ev_piece(sp[-1], b, P0, P1, P2); EXPORT;
shift: b = *--sp; sp[-1] = ev_shift(sp[-1], P0, b, P1); NEXT;
shift_x: b = *--sp; sp[-1] = ev_shift(sp[-1], P0, b, P1); EXPORT;
addr: d = *--sp; c = *--sp; b = *--sp; a = *--sp; sp[-1] = ev_addr(sp[-1], a, b, c, d); NEXT;
addr_x: d = *--sp; c = *--sp; b = *--sp; a = *--sp; sp[-1] = ev_addr(sp[-1], a, b, c, d); EXPORT;
exp: ev_scratch[P0] = sp[-1]; NEXT;
imp: *sp++ = ev_scratch[P0]; NEXT;
drop: sp--; NEXT;
end: return sp[-1];
bad: VG_(tool_panic)("crosstag: bad shadow tree");
#undef P0
#undef P1
#undef P2
#undef NEXT
#undef EXPORT
}
#pragma GCC diagnostic pop

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
    UInt *copy = VG_(malloc)("ct.evcode", n * sizeof(UInt));
    VG_(memcpy)(copy, code, n * sizeof(UInt));
    progs[i].code = copy; progs[i].n = n; progs[i].hash = h;
    nprogs++;
    return copy;
}
