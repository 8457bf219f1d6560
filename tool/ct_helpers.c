/* ct_helpers.c — run-time helpers for instrumented code (see ct_helpers.h).
 *
 * The fast path of every helper is "nothing labelled here": loads and
 * stores first look for the shadow secondary and return when there is none,
 * which is the state of all memory until a source is read.  The translator
 * (ct_translate.c) already skips calls whose inputs are all clean, so the
 * remaining helpers run only on labelled data.
 */
#include "ct_helpers.h"
#include "ct_shadow.h"
#include "ct_stats.h"
#include "pub_tool_debuginfo.h"
#include "pub_tool_machine.h"
#include "pub_tool_threadstate.h"

/* A load from a holey run (ct_shadow.h): kept out of ct_h_load's frame. */
static __attribute__((noinline)) SW load_holey(const struct sh_holey *h, UWord off, UWord size)
{
    UWord nh = 0;
    for (UWord i = 0; i < size; i++) nh += sh_hole(h, off + i);
    if (nh == size) return 0;
    UInt first = h->first + (UInt)off;
    if (nh == 0) return size == 1 ? first : sw_make(SW_LIN, 0, first);
    UInt ids[SW_MAXB];
    for (UWord i = 0; i < size; i++) ids[i] = sh_hole(h, off + i) ? 0 : first + (UInt)i;
    return sw_from_bytes(ids, (UInt)size);
}

/* The states of the (at most two) pages of [off, off+size), or'ed: 0
 * never labelled, SH_PG_LINEAR set when one is a linear page. */
static inline UWord sh_pagestate(const UInt *sec, UWord off, UWord size)
{
    const UChar *pg = sh_pages(sec);
    return pg[off >> SH_PAGE_BITS] | pg[(off + size - 1) >> SH_PAGE_BITS];
}

/* A load touching a linear page: computed, as from a linear secondary,
 * when it lies in that page; across two pages through the ids. */
static __attribute__((noinline)) SW load_linpage(const UInt *sec, UWord off, UWord size)
{
    UWord q = off >> SH_PAGE_BITS;
    if (q == (off + size - 1) >> SH_PAGE_BITS) {
        UInt first = sh_lin(sec)[q] + (UInt)(off & (SH_PAGE - 1));
        return size == 1 ? first : sw_make(SW_LIN, 0, first);
    }
    UInt ids[SW_MAXB];
    for (UWord i = 0; i < size; i++) {
        UWord o = off + i, p = o >> SH_PAGE_BITS;
        ids[i] = sh_pages(sec)[p] == SH_PG_LINEAR ? sh_lin(sec)[p] + (UInt)(o & (SH_PAGE - 1)) : sec[o];
    }
    return sw_from_bytes(ids, (UInt)size);
}

SW ct_h_load(Addr a, UWord size)
{
    STAT(ST_LOAD);
    if (LIKELY((a & SH_SEC_MASK) <= SH_SEC_SIZE - size)) {
        /* Within one secondary (all but unaligned loads across a 64 KB
         * boundary): one lookup, then the common words in the order they
         * come up in computing code: uniform (or clean), then linear. */
        UWord r = sh_sec_raw(a);
        if (!r) { STAT(ST_LOAD_NOSEC); return 0; }
        if (SH_LINEAR(r)) {                   /* a run read whole: computed, not read */
            UInt first = SH_LINEAR_FIRST(r) + (UInt)(a & SH_SEC_MASK);
            return size == 1 ? first : sw_make(SW_LIN, 0, first);
        }
        if (UNLIKELY(SH_HOLEY(r))) return load_holey(SH_HOLEY_OF(r), a & SH_SEC_MASK, size);
        UWord pgs = sh_pagestate((const UInt *)r, a & SH_SEC_MASK, size);
        if (!pgs) return 0;                                      /* never labelled */
        if (UNLIKELY(pgs & SH_PG_LINEAR)) return load_linpage((const UInt *)r, a & SH_SEC_MASK, size);
        const UInt *p = (const UInt *)r + (a & SH_SEC_MASK);
        UInt first = p[0];
        UWord i;
        /* one byte is always a uniform word (the canonical form the
         * translator's inline paths expect); sw_make(UNI, 0, id) == id */
        if (size == 1) return first;
        for (i = 1; i < size && p[i] == first; i++) ;
        if (i == size) return first;
        if (first && !lab_is_set(first)) {
            for (i = 1; i < size && p[i] == first + i; i++) ;
            if (i == size && first + (size - 1) < CT_SET_BASE) { STAT(ST_LOAD_LIN); return sw_make(SW_LIN, 0, first); }
        }
        return sw_from_bytes(p, (UInt)size);
    }
    UInt ids[SW_MAXB];
    sh_get_range(a, size, ids);
    return sw_from_bytes(ids, (UInt)size);
}

/* A store into a linear or holey secondary: a clean one clears bytes of the
 * run in place (1: done); any other makes it an array (returned). */
static __attribute__((noinline)) UWord store_tagged(Addr a, UWord size, SW w)
{
    if (w == 0 && sh_clear_run(a, size)) return 1;
    return (UWord)sh_sec_expand(a);
}

void ct_h_store(Addr a, UWord size, SW w)
{
    STAT(ST_STORE);
    if (LIKELY((a & SH_SEC_MASK) <= SH_SEC_SIZE - size)) {
        /* Within one secondary: clean and uniform words written in place. */
        UWord r = sh_sec_raw(a);
        if (UNLIKELY(r & 3)) r = store_tagged(a, size, w);
        if (r == 1) return;
        UInt *s = (UInt *)r;
        if (w == 0) {
            if (!s) { STAT(ST_STORE_NOSEC); return; }
            STAT(ST_STORE_CLEANSEC);
            if (!sh_dirty(s, a & SH_SEC_MASK, size)) return;   /* clean already */
            sh_prep(s, a & SH_SEC_MASK, size);
            UInt *p = s + (a & SH_SEC_MASK);
            for (UWord i = 0; i < size; i++) p[i] = 0;
            return;
        }
        if ((w >> 56) == 0) {                 /* UNI, len 0: every byte has the id */
            if (!s) s = sh_sec_make(a);
            if (s) {
                UInt *p = s + (a & SH_SEC_MASK);
                sh_prep(s, a & SH_SEC_MASK, size);
                for (UWord i = 0; i < size; i++) p[i] = (UInt)w;
                sh_mark(s, a & SH_SEC_MASK, size);
            }
            return;
        }
    }
    if (w == 0) { sh_fill(a, size, 0); return; }
    if (SW_KIND(w) == SW_LIN && SW_LEN(w) == 0) { sh_linear(a, size, SW_ID(w)); return; }
    if (SW_KIND(w) == SW_UNI && SW_LEN(w) == 0) { sh_fill(a, size, SW_ID(w)); return; }
    UInt ids[SW_MAXB];
    sw_to_bytes(w, (UInt)size, ids);
    sh_put_range(a, size, ids);
}

/* Dirty helpers with a memory effect (e.g. x87 state save, AES on memory)
 * read and write memory as a lump: every byte gets the union of everything. */
SW ct_h_load_collapsed(Addr a, UWord size)
{
    STAT(ST_LOADC);
    UInt u = 0;
    if (!sh_any(a, size)) return 0;
    for (UWord i = 0; i < size; i++) u = lab_union(u, sh_get(a + i));
    return sw_make(SW_UNI, 0, u);
}

void ct_h_store_collapsed(Addr a, UWord size, SW w, UWord wsize)
{
    STAT(ST_STOREC);
    sh_fill(a, size, sw_collapse(w, (UInt)wsize));
}

/* The generic rule for computations: every byte of the result depends on
 * every byte of every operand. */
SW ct_h_union2(SW a, UWord asize, SW b, UWord bsize)
{
    STAT(ST_UNION2);
    UInt u = lab_union(sw_collapse(a, (UInt)asize), sw_collapse(b, (UInt)bsize));
    return sw_make(SW_UNI, 0, u);
}

/* And/Or/Xor: byte i of the result depends on byte i of each operand only,
 * so labels stay per byte (masking a copied word keeps it exact). */
SW ct_h_bytewise(SW a, SW b, UWord size)
{
    STAT(ST_BYTEWISE);
    if (a == 0) return b;
    if (b == 0) return a;
    /* two words uniform over all bytes (the state of a hash): every byte
     * gets the one union, which is what the per-byte loop would build */
    if (((a | b) >> 56) == 0) return sw_make(SW_UNI, 0, lab_union(SW_ID(a), SW_ID(b)));
    UInt ia[SW_MAXB], ib[SW_MAXB];
    sw_to_bytes(a, (UInt)size, ia);
    sw_to_bytes(b, (UInt)size, ib);
    for (UWord i = 0; i < size; i++) ia[i] = lab_union(ia[i], ib[i]);
    return sw_from_bytes(ia, (UInt)size);
}

/* Bytes [from, from+n) of a value: narrowing and partial register reads. */
SW ct_h_sub(SW w, UWord from, UWord n)
{
    STAT(ST_SUB);
    if (w == 0) return 0;
    UInt len = SW_LEN(w);
    switch (SW_KIND(w)) {
    case SW_UNI:
        if (len == 0) return w;
        return from >= len ? 0 : sw_make(SW_UNI, len - from >= n ? 0 : len - (UInt)from, SW_ID(w));
    case SW_LIN:
        if (len == 0) return sw_make(SW_LIN, 0, SW_ID(w) + (UInt)from);
        return from >= len ? 0
             : sw_make(SW_LIN, len - from >= n ? 0 : len - (UInt)from, SW_ID(w) + (UInt)from);
    default: {
        UInt ids[SW_MAXB];
        for (UWord i = 0; i < n; i++) ids[i] = sw_byte(w, (UInt)(from + i));
        return sw_from_bytes(ids, (UInt)n);
    }
    }
}

/* hi:lo — lo supplies the low losize bytes. */
SW ct_h_cat(SW hi, SW lo, UWord losize, UWord hisize)
{
    STAT(ST_CAT);
    if (hi == 0 && lo == 0) return 0;
    if (hi == 0) {   /* upper part clean: bound lo to its own bytes */
        UInt len = SW_LEN(lo);
        if (SW_KIND(lo) < SW_VEC && (len == 0 || len > losize))
            return (lo & ~(0x3fULL << 56)) | ((ULong)losize << 56);
        if (SW_KIND(lo) < SW_VEC) return lo;
    }
    UInt ids[SW_MAXB];
    sw_to_bytes(lo, (UInt)losize, ids);
    sw_to_bytes(hi, (UInt)hisize, ids + losize);
    return sw_from_bytes(ids, (UInt)(losize + hisize));
}

/* An 8-byte shadow word `old` with bytes [pos, pos+n) replaced by bytes
 * [from, from+n) of w: partial register writes. */
SW ct_h_piece(SW old, SW w, UWord from, UWord pos, UWord n)
{
    STAT(ST_PIECE);
    UInt ids[8];
    sw_to_bytes(old, 8, ids);
    for (UWord i = 0; i < n; i++) ids[pos + i] = sw_byte(w, (UInt)(from + i));
    return sw_from_bytes(ids, 8);
}

/* Zero-extension: the new high bytes are constants, so only the low
 * fromsize bytes keep labels. */
SW ct_h_widen(SW w, UWord fromsize)
{
    STAT(ST_WIDEN);
    if (w == 0 || SW_KIND(w) >= SW_VEC) return w;
    UInt len = SW_LEN(w);
    if (len && len <= fromsize) return w;
    return (w & ~(0x3fULL << 56)) | ((ULong)fromsize << 56);
}

/* Shifts: kind 0 left, 1 logical right, 2 arithmetic right, by `amount`
 * bits (the run-time value).  Result byte i holds bits of at most two
 * operand bytes; those are its labels.  Sar's vacated bits copy the sign,
 * so they depend on the top byte. */
SW ct_h_shift(SW w, UWord size, UWord amount, UWord kind)
{
    STAT(ST_SHIFT);
    UInt in[SW_MAXB], out[SW_MAXB];
    Long bits = (Long)size * 8, n = (Long)amount;
    sw_to_bytes(w, (UInt)size, in);
    for (Long i = 0; i < (Long)size; i++) {
        Long lo = kind == 0 ? 8 * i - n : 8 * i + n, hi = lo + 7;   /* operand bits */
        UInt id = 0;
        for (Long j = (lo < 0 ? 0 : lo) / 8; hi >= 0 && j <= hi / 8 && j < (Long)size; j++)
            id = lab_union(id, in[j]);
        if (kind == 2 && hi >= bits) id = lab_union(id, in[size - 1]);
        out[i] = id;
    }
    return sw_from_bytes(out, (UInt)size);
}

/* Address propagation (table lookups: tr, toupper, base64 encoders): a
 * value loaded from base + index gets the labels of the index when the
 * value itself carries none (a constant table).
 *  - A term counts as an index when its run-time value is small
 *    (< ADDR_INDEX_MAX): a labelled *pointer* (one that came out of malloc
 *    after a labelled size picked the bin, or out of a scan) passes nothing
 *    on, or every clean byte read through it would look labelled.
 *  - A value that is itself labelled keeps just its own labels, so copies
 *    through computed addresses stay byte-exact.
 * t0/t1 are the non-constant terms of the address sum and their shadows. */

SW ct_h_addr_load(SW data, UWord t0, SW s0, UWord t1, SW s1)
{
    STAT(ST_ADDR);
    if (data != 0) return data;
    UInt u = 0;
    if (s0 && t0 < ADDR_INDEX_MAX) u = lab_union(u, sw_collapse(s0, 8));
    if (s1 && t1 < ADDR_INDEX_MAX) u = lab_union(u, sw_collapse(s1, 8));
    if (u && UNLIKELY(ct_opt.debug_addr)) {
        /* --ct-debug-addr: where do address labels enter? */
        DiEpoch ep = VG_(current_DiEpoch)();
        VG_(umsg)("crosstag: address labels at %s\n",
                  VG_(describe_IP)(ep, VG_(get_IP)(VG_(get_running_tid)()), NULL));
    }
    return sw_make(SW_UNI, 0, u);
}
