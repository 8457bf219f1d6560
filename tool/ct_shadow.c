/* ct_shadow.c — shadow memory (see ct_shadow.h for the layout).
 *
 * The range operations are what a source read, a sink walk and a bulk copy
 * cost per byte (4 bytes of ids each), so they are spelled out: ids move
 * with `rep movs` (ct_copy_fwd), linear runs and
 * fills are written 4 ids per 16-byte store (the tool is built without the
 * vectoriser's help: -fno-builtin, no libc). */
#include "ct_shadow.h"
#include "ct_labels.h"
#include "pub_tool_aspacemgr.h"

/* 4 ids; aligned(4): unaligned 16-byte loads and stores (movdqu) */
typedef UInt v4u __attribute__((vector_size(16), aligned(4)));

static inline void ids_copy(UInt *d, const UInt *s, SizeT n) { ct_copy_fwd(d, s, n * sizeof(UInt)); }

static inline void ids_linear(UInt *p, SizeT n, UInt base)
{
    SizeT m = n & ~(SizeT)3, j;
    v4u v = { base, base + 1, base + 2, base + 3 }, four = { 4, 4, 4, 4 };
    for (j = 0; j < m; j += 4, v += four) *(v4u *)(p + j) = v;
    for (; j < n; j++) p[j] = base + (UInt)j;
}

static inline void ids_fill(UInt *p, SizeT n, UInt id)
{
    SizeT m = n & ~(SizeT)3, j;
    v4u v = { id, id, id, id };
    for (j = 0; j < m; j += 4) *(v4u *)(p + j) = v;
    for (; j < n; j++) p[j] = id;
}

sh_sec *sh_l1[1 << 16];
static ULong sh_nsec;                 /* arrays in use */

/* Arrays a linear word replaced, for reuse (shadow memory is never
 * returned to the system). */
static UInt **spare;
static Int nspare, capspare;

/* A new array; zeroed when asked (fresh shadow memory comes zeroed, a
 * reused one does not). */
static UInt *alloc_sec(Bool zero)
{
    sh_nsec++;
    if (nspare > 0) {
        UInt *s = spare[--nspare];
        if (zero) {
            VG_(memset)(s, 0, SH_SEC_SIZE * sizeof(UInt));
            VG_(memset)(sh_pages(s), 0, SH_NPAGES);
        }
        return s;
    }
    UChar *m = VG_(am_shadow_alloc)(SH_HDR + SH_SEC_SIZE * sizeof(UInt));
    if (!m) VG_(out_of_memory_NORETURN)("crosstag: shadow memory", SH_HDR + SH_SEC_SIZE * sizeof(UInt));
    return (UInt *)(m + SH_HDR);      /* page map in the header: zero, as the ids */
}

static void free_sec(UInt *s)
{
    sh_nsec--;
    spare = ct_grow(spare, &capspare, nspare, sizeof *spare, "ct.spare");
    spare[nspare++] = s;
}

/* The L2 slot for address a, the L2 table made if missing. */
static sh_sec *slot_of(Addr a)
{
    if (a >> 48) return NULL;
    sh_sec *l2 = sh_l1[a >> 32];
    if (!l2) {
        /* 512 KB of pointers; mmap'd memory comes zeroed. */
        l2 = VG_(am_shadow_alloc)(sizeof(sh_sec) << 16);
        if (!l2) VG_(out_of_memory_NORETURN)("crosstag: shadow L2", sizeof(sh_sec) << 16);
        sh_l1[a >> 32] = l2;
    }
    return &l2[(a >> SH_SEC_BITS) & 0xffff];
}

UInt *sh_sec_expand(Addr a)
{
    sh_sec *slot = slot_of(a);
    UWord r = (UWord)*slot;
    if (!(r & 3)) return (UInt *)r;
    UInt *s = alloc_sec(False);
    if (SH_LINEAR(r)) {
        ids_linear(s, SH_SEC_SIZE, SH_LINEAR_FIRST(r));
    } else {
        struct sh_holey *h = SH_HOLEY_OF(r);
        ids_linear(s, SH_SEC_SIZE, h->first);
        for (UWord i = 0; i < SH_SEC_SIZE / 8; i++)
            if (h->hole[i])
                for (UWord b = 0; b < 8; b++)
                    if ((h->hole[i] >> b) & 1) s[i * 8 + b] = 0;
        VG_(free)(h);
    }
    VG_(memset)(sh_pages(s), 1, SH_NPAGES);
    *slot = s;
    return s;
}

void sh_page_ids(UInt *sec, UWord q)
{
    ids_linear(sec + (q << SH_PAGE_BITS), SH_PAGE, sh_lin(sec)[q]);
    sh_pages(sec)[q] = SH_PG_IDS;
}

/* Drops whatever the slot holds (an array kept for reuse). */
static void drop_slot(sh_sec *slot)
{
    UWord r = (UWord)*slot;
    if (SH_ARRAY(r)) free_sec((UInt *)r);
    else if (SH_HOLEY(r)) VG_(free)(SH_HOLEY_OF(r));
    *slot = NULL;
}

Bool sh_clear_run(Addr a, SizeT n)
{
    if (!(sh_sec_raw(a) & 3)) return False;
    sh_sec *slot = slot_of(a);
    UWord r = (UWord)*slot;
    struct sh_holey *h;
    if (SH_LINEAR(r)) {                  /* the first clear: a holey run */
        h = VG_(calloc)("ct.holey", 1, sizeof *h);
        h->first = SH_LINEAR_FIRST(r);
        *slot = (sh_sec)((UWord)h | 2);
    } else {
        h = SH_HOLEY_OF(r);
    }
    for (UWord off = a & SH_SEC_MASK, e = off + n; off < e; off++)
        h->hole[off >> 3] |= (UChar)(1 << (off & 7));
    return True;
}

UInt *sh_sec_make(Addr a)
{
    sh_sec *slot = slot_of(a);
    if (!slot) return NULL;
    UWord r = (UWord)*slot;
    if (r & 3) return sh_sec_expand(a);
    if (!r) *slot = alloc_sec(True);
    return *slot;
}

void sh_set(Addr a, UInt id)
{
    UInt *s = id ? sh_sec_make(a) : sh_sec_of(a);
    if (s) {
        sh_prep(s, a & SH_SEC_MASK, 1);
        s[a & SH_SEC_MASK] = id;
        if (id) sh_mark(s, a & SH_SEC_MASK, 1);
    }
}

/* All range walkers go secondary by secondary: the bytes of [a, a+n) that
 * fall in one secondary are contiguous ids. */
#define SH_STEP(a, n) \
    ({ SizeT _room = SH_SEC_SIZE - ((a) & SH_SEC_MASK); _room < (n) ? _room : (n); })

void sh_get_range(Addr a, SizeT n, UInt *out)
{
    while (n) {
        SizeT k = SH_STEP(a, n);
        UWord r = sh_sec_raw(a), off = a & SH_SEC_MASK;
        if (SH_LINEAR(r)) ids_linear(out, k, SH_LINEAR_FIRST(r) + (UInt)off);
        else if (SH_HOLEY(r)) {
            const struct sh_holey *h = SH_HOLEY_OF(r);
            for (SizeT j = 0; j < k; j++) out[j] = sh_hole(h, off + j) ? 0 : h->first + (UInt)(off + j);
        }
        else if (r) {
            /* page by page: a linear page's ids are computed */
            const UInt *sec = (const UInt *)r;
            for (SizeT j = 0; j < k; ) {
                UWord o = off + j, q = o >> SH_PAGE_BITS;
                SizeT m = SH_PAGE - (o & (SH_PAGE - 1));
                if (m > k - j) m = k - j;
                if (sh_pages(sec)[q] == SH_PG_LINEAR) ids_linear(out + j, m, sh_lin(sec)[q] + (UInt)(o & (SH_PAGE - 1)));
                else ids_copy(out + j, sec + o, m);
                j += m;
            }
        }
        else              VG_(memset)(out, 0, k * sizeof(UInt));
        a += k; n -= k; out += k;
    }
}

void sh_put_range(Addr a, SizeT n, const UInt *ids)
{
    while (n) {
        SizeT k = SH_STEP(a, n), j;
        UInt *s = sh_sec_of(a);
        if (!s) {
            for (j = 0; j < k && ids[j] == 0; j++) ;
            if (j < k) s = sh_sec_make(a);
        }
        if (s) {
            sh_prep(s, a & SH_SEC_MASK, k);
            ids_copy(s + (a & SH_SEC_MASK), ids, k);
            sh_mark(s, a & SH_SEC_MASK, k);
        }
        a += k; n -= k; ids += k;
    }
}

void sh_fill(Addr a, SizeT n, UInt id)
{
    while (n) {
        SizeT k = SH_STEP(a, n);
        if (id == 0 && k == SH_SEC_SIZE) {
            /* a whole secondary cleared: it goes (an array kept for reuse);
             * where none is, nothing is made (mmap and munmap clear gigabytes) */
            if (sh_sec_raw(a)) drop_slot(slot_of(a));
            a += k; n -= k;
            continue;
        }
        if (id == 0 && sh_clear_run(a, k)) { a += k; n -= k; continue; }
        UInt *s = id ? sh_sec_make(a) : sh_sec_of(a);
        if (s) {
            UInt *p = s + (a & SH_SEC_MASK);
            sh_prep(s, a & SH_SEC_MASK, k);
            if (id == 0) VG_(memset)(p, 0, k * sizeof(UInt));
            else { ids_fill(p, k, id); sh_mark(s, a & SH_SEC_MASK, k); }
        }
        a += k; n -= k;
    }
}

/* Bytes [off, off+k) of an array secondary get base, base+1, ...: whole
 * pages as linear pages (ct_shadow.h), the pieces at either end as ids. */
static void lin_pages(UInt *s, UWord off, SizeT k, UInt base)
{
    UChar *pg = sh_pages(s);
    while (k) {
        UWord q = off >> SH_PAGE_BITS, in = off & (SH_PAGE - 1);
        SizeT m = SH_PAGE - in < k ? SH_PAGE - in : k;
        if (m == SH_PAGE && base != 0 && base <= CT_SET_BASE - SH_PAGE) {
            pg[q] = SH_PG_LINEAR;
            sh_lin(s)[q] = base;
        } else {
            sh_prep(s, off, m);
            ids_linear(s + off, m, base);
            pg[q] = SH_PG_IDS;
        }
        off += m; k -= m; base += (UInt)m;
    }
}

void sh_linear(Addr a, SizeT n, UInt base)
{
    while (n) {
        SizeT k = SH_STEP(a, n);
        if (k == SH_SEC_SIZE && base != 0 && base < CT_SET_BASE - SH_SEC_SIZE) {
            /* the whole secondary is one run: one word (ct_shadow.h) */
            sh_sec *slot = slot_of(a);
            if (slot) {
                drop_slot(slot);
                *slot = (sh_sec)(((UWord)base << 1) | 1);
                a += k; n -= k; base += (UInt)k;
                continue;
            }
        }
        UInt *s = sh_sec_make(a);
        if (s) lin_pages(s, a & SH_SEC_MASK, k, base);
        a += k; n -= k; base += (UInt)k;
    }
}

void sh_copy(Addr from, Addr to, SizeT n)
{
    if (to > from && to < from + n) {
        /* overlapping from below: through a bounce buffer, from the end,
         * so it behaves like memmove */
        UInt buf[4096];
        while (n) {
            SizeT k = n < 4096 ? n : 4096;
            sh_get_range(from + n - k, k, buf);
            sh_put_range(to + n - k, k, buf);
            n -= k;
        }
        return;
    }
    /* forward, secondary to secondary (a forward copy is right for any
     * destination below the source, overlapping or not) */
    while (n) {
        SizeT k = SH_STEP(from, n), k2 = SH_STEP(to, k);
        UWord r = sh_sec_raw(from);
        if (SH_LINEAR(r)) {
            sh_linear(to, k2, SH_LINEAR_FIRST(r) + (UInt)(from & SH_SEC_MASK));
        } else if (SH_HOLEY(r)) {
            UInt buf[1024];             /* through ids, a piece at a time */
            SizeT k3 = k2 < 1024 ? k2 : 1024;
            sh_get_range(from, k3, buf);
            sh_put_range(to, k3, buf);
            k2 = k3;
        } else if (r) {
            /* a linear page of the source stays linear where it can */
            const UInt *sec = (const UInt *)r;
            UWord o = from & SH_SEC_MASK, q = o >> SH_PAGE_BITS;
            SizeT m = SH_PAGE - (o & (SH_PAGE - 1));
            if (m < k2) k2 = m;
            if (sh_pages(sec)[q] == SH_PG_LINEAR) {
                sh_linear(to, k2, sh_lin(sec)[q] + (UInt)(o & (SH_PAGE - 1)));
            } else {
                UInt *d = sh_sec_make(to);
                if (d) {
                    sh_prep(d, to & SH_SEC_MASK, k2);
                    ids_copy(d + (to & SH_SEC_MASK), sec + o, k2);
                    sh_mark(d, to & SH_SEC_MASK, k2);
                }
            }
        } else {
            sh_fill(to, k2, 0);           /* clean source: clears, allocates nothing */
        }
        from += k2; to += k2; n -= k2;
    }
}

Bool sh_any(Addr a, SizeT n)
{
    while (n) {
        SizeT k = SH_STEP(a, n), j;
        UWord r = sh_sec_raw(a);
        if (SH_LINEAR(r)) return True;
        if (SH_HOLEY(r)) {
            for (j = 0; j < k; j++) if (!sh_hole(SH_HOLEY_OF(r), (a & SH_SEC_MASK) + j)) return True;
        } else if (r) {
            /* page by page: clean pages are skipped, linear ones answer */
            const UInt *sec = (const UInt *)r;
            for (j = 0; j < k; ) {
                UWord o = (a & SH_SEC_MASK) + j, q = o >> SH_PAGE_BITS;
                SizeT m = SH_PAGE - (o & (SH_PAGE - 1)), i;
                if (m > k - j) m = k - j;
                if (sh_pages(sec)[q] == SH_PG_LINEAR) return True;
                if (sh_pages(sec)[q] == SH_PG_IDS)
                    for (i = 0; i < m; i++) if (sec[o + i]) return True;
                j += m;
            }
        }
        a += k; n -= k;
    }
    return False;
}

void sh_foreach_sec(void (*fn)(UInt *ids, SizeT n, void *ctx), void *ctx)
{
    for (UWord i = 0; i < (1 << 16); i++) {
        sh_sec *l2 = sh_l1[i];
        if (!l2) continue;
        for (UWord j = 0; j < (1 << 16); j++)
            if (SH_ARRAY((UWord)l2[j]))
                for (UWord q = 0; q < SH_NPAGES; q++)
                    if (sh_pages(l2[j])[q] == SH_PG_IDS) fn(l2[j] + (q << SH_PAGE_BITS), SH_PAGE, ctx);
    }
}

ULong sh_bytes_allocated(void) { return sh_nsec * SH_SEC_SIZE * sizeof(UInt); }
