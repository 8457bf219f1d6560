/* ct_eval.c — the interpreter for deferred shadow trees (see ct_eval.h).
 * Every ev_* function is the exact mirror of what ct_translate.c emits for
 * that operation: its inline fast check and result, else the helper. */
#include "ct_eval.h"
#include "ct_helpers.h"
#include "ct_stats.h"

SW ev_sub(SW w, UInt from, UInt n)
{
    UInt len = SW_LEN(w);
    if ((w >> 63) == 0 && (len == 0 || from + n <= len))
        return (w & (n == 1 ? 0xffffffffULL : 0xC0000000ffffffffULL)) + (w >> 62) * from;
    return ct_h_sub(w, from, n);
}

SW ev_widen(SW w, UInt fromsize)
{
    UInt len = SW_LEN(w);
    if (w == 0 || (w >> 63) || len - 1 < fromsize) return w;   /* len-1 wraps for len 0 */
    return (w & ~(0x3fULL << 56)) | ((ULong)fromsize << 56);
}

SW ev_union(SW a, UInt asize, SW b, UInt bsize)
{
    SW o = a | b;
    if ((o >> 62) == 0 && (((a ^ b) << 32) == 0 || a * b == 0)) return o & 0xffffffffULL;
    return ct_h_union2(a, asize, b, bsize);
}

SW ev_bytewise(SW a, SW b, UInt size)
{
    if (a == b || a * b == 0) return a | b;
    return ct_h_bytewise(a, b, size);
}

SW ev_cat(SW hi, SW lo, UInt losize, UInt hisize)
{
    if ((hi | lo) == 0) return 0;
    return ct_h_cat(hi, lo, losize, hisize);
}

SW ev_piece(SW old, SW w, UInt from, UInt pos, UInt n)
{
    SW o = old | w;
    if ((o >> 56) == 0 && (old == w || old * w == 0)) return o;
    return ct_h_piece(old, w, from, pos, n);
}

SW ev_shift(SW w, UInt size, ULong amount, UInt kind)
{
    if ((w >> 62) == 0) return w & 0xffffffffULL;
    return ct_h_shift(w, size, amount, kind);
}

SW ev_addr(SW data, ULong t0, SW s0, ULong t1, SW s1)
{
    if ((s0 | s1) == 0) return data;
    return ct_h_addr_load(data, t0, s0, t1, s1);
}

SW ev_scratch[EV_MAX_EXPORT + EV_MAX_LEAVES - EV_REG_LEAVES];

SW ct_h_eval(const UInt *code, SW l0, SW l1, SW l2, SW l3, SW l4)
{
    SW leaf[5] = { l0, l1, l2, l3, l4 };
    SW st[EV_MAX_STACK], a, b, c, d;
    Int sp = 0;
    STAT(ST_EVAL);
    for (;;) {
        UInt w = *code++, p0 = (w >> 8) & 0xff, p1 = (w >> 16) & 0xff, p2 = w >> 24;
        switch (w & 0x7f) {
        case EV_END: return st[sp - 1];
        case EV_LEAF: st[sp++] = p0 < EV_REG_LEAVES ? leaf[p0] : ev_scratch[EV_MLEAF(p0)]; break;
        case EV_CONST: st[sp++] = *code++; break;
        case EV_SUB: st[sp - 1] = ev_sub(st[sp - 1], p0, p1); break;
        case EV_WIDEN: st[sp - 1] = ev_widen(st[sp - 1], p0); break;
        case EV_UNION: b = st[--sp]; a = st[sp - 1]; st[sp - 1] = ev_union(a, p0, b, p1); break;
        case EV_BYTEWISE: b = st[--sp]; a = st[sp - 1]; st[sp - 1] = ev_bytewise(a, b, p0); break;
        case EV_CAT: b = st[--sp]; a = st[sp - 1]; st[sp - 1] = ev_cat(a, b, p0, p1); break;
        case EV_PIECE: b = st[--sp]; a = st[sp - 1]; st[sp - 1] = ev_piece(a, b, p0, p1, p2); break;
        case EV_SHIFT: b = st[--sp]; a = st[sp - 1]; st[sp - 1] = ev_shift(a, p0, b, p1); break;
        case EV_ADDR:
            d = st[--sp]; c = st[--sp]; b = st[--sp]; a = st[--sp];
            st[sp - 1] = ev_addr(st[sp - 1], a, b, c, d);
            break;
        case EV_EXPORT: ev_scratch[p0] = st[sp - 1]; break;
        case EV_IMPORT: st[sp++] = ev_scratch[p0]; break;
        case EV_DROP: sp--; break;
        default: VG_(tool_panic)("crosstag: bad shadow tree");
        }
        if (w & EV_EXPORT_FLAG) ev_scratch[*code++] = st[sp - 1];
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
    UInt *copy = VG_(malloc)("ct.evcode", n * sizeof(UInt));
    VG_(memcpy)(copy, code, n * sizeof(UInt));
    progs[i].code = copy; progs[i].n = n; progs[i].hash = h;
    nprogs++;
    return copy;
}
