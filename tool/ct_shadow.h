/* ct_shadow.h — shadow memory: one 32-bit label id per byte of client memory.
 *
 * id 0 means "no label".  Ids below CT_SET_BASE are direct labels (one source
 * byte each), ids from CT_SET_BASE up are interned label sets (ct_labels.h).
 * Memory is shadowed lazily: a 64 KB "secondary" (256 KB of ids) exists only
 * once a label has been stored into it, so programs that never touch
 * labelled data pay no memory, and a load from an unshadowed area costs two
 * table lookups.  Layout (user space is 48 bits):
 *    L1[a >> 32]  ->  L2[(a >> 16) & 0xffff]  ->  secondary[a & 0xffff]
 *
 * A secondary whose 64 KB a source read filled as one run (byte i has id
 * first+i: a large read, a received stream) is kept as one tagged word in
 * its L2 slot, (first << 1) | 1, until something writes into it: a file
 * read whole costs no shadow memory and its loads and sink walks compute
 * their ids instead of reading them.  Programs that parse a buffer in
 * place (sort ends every line with a NUL) clear bytes of such a run: the
 * secondary then becomes a *holey* run, (ptr | 2) to the first id and a bit
 * per byte for the cleared ones (8 KB instead of 256).  Readers that can
 * use these forms read sh_sec_raw(); sh_sec_of() and every other writer
 * turn them into an array first.
 */
#ifndef CT_SHADOW_H
#define CT_SHADOW_H
#include "ct_tool.h"

#define SH_SEC_BITS  16
#define SH_SEC_SIZE  (1UL << SH_SEC_BITS)
#define SH_SEC_MASK  (SH_SEC_SIZE - 1)

typedef UInt *sh_sec;            /* SH_SEC_SIZE ids, or a tagged linear word */
extern sh_sec *sh_l1[1 << 16];   /* NULL or an L2 table of 65536 secondaries */

/* The L2 slot of address a: 0 (nothing ever labelled there), an array of
 * ids, or a linear word (SH_LINEAR).  Spelled out inline: it is on every
 * load and store. */
static inline UWord sh_sec_raw(Addr a)
{
    if (UNLIKELY(a >> 48)) return 0;
    sh_sec *l2 = sh_l1[a >> 32];
    if (LIKELY(l2 == NULL)) return 0;
    return (UWord)l2[(a >> SH_SEC_BITS) & 0xffff];
}
#define SH_LINEAR(raw)       ((raw) & 1)
#define SH_LINEAR_FIRST(raw) ((UInt)((raw) >> 1))    /* the id of the secondary's byte 0 */
#define SH_HOLEY(raw)        (((raw) & 3) == 2)
#define SH_ARRAY(raw)        ((raw) && !((raw) & 3))
struct sh_holey {
    UInt first;                          /* the id of byte 0 */
    UChar hole[SH_SEC_SIZE / 8];         /* bit i: byte i cleared */
};
#define SH_HOLEY_OF(raw)     ((struct sh_holey *)((raw) & ~(UWord)3))
static inline Bool sh_hole(const struct sh_holey *h, UWord off)
{
    return (h->hole[off >> 3] >> (off & 7)) & 1;
}

UInt *sh_sec_expand(Addr a);                   /* a linear or holey secondary made an array */

/* The page map of an array secondary: one byte per 4 KB page, in front of
 * the ids: SH_PG_CLEAN while every id of the page is 0, SH_PG_IDS once a
 * label was written (sh_mark; cleared only with the whole secondary), or
 * SH_PG_LINEAR: one source read labelled the whole page as one run, byte i
 * having id sh_lin(sec)[page] + i, and the page's ids are not kept (they
 * may be stale).  A load, or a clean store, in a page that never held a
 * label touches no ids: most of the memory a labelled program uses around
 * its labelled data (gzip's hash chains, sort's line table, the stack)
 * stays clean, and its ids would only fill the caches (memcheck's
 * distinguished secondaries do the same per 64 KB).  A linear page is what
 * a linear secondary is, per 4 KB: a received stream's buffer (curl's
 * 100 KB, not 64 KB aligned) costs 4 bytes per page, not 16 KB of ids to
 * write at every recv and read at every write.  Every writer of ids calls
 * sh_prep first, which gives a linear page its ids back. */
#define SH_PAGE_BITS 12
#define SH_PAGE      (1UL << SH_PAGE_BITS)
#define SH_NPAGES    (SH_SEC_SIZE >> SH_PAGE_BITS)
#define SH_HDR       128                           /* bytes before the ids */
#define SH_PG_CLEAN  0
#define SH_PG_IDS    1
#define SH_PG_LINEAR 2
static inline UChar *sh_pages(const UInt *sec) { return (UChar *)sec - SH_NPAGES; }
/* the first id of each linear page, in front of the page map */
static inline UInt *sh_lin(const UInt *sec) { return (UInt *)((UChar *)sec - SH_NPAGES) - SH_NPAGES; }
/* Some id of bytes [off, off+n) of the secondary may be non-zero (n >= 1,
 * n <= SH_PAGE, off+n within the secondary: at most two pages). */
static inline Bool sh_dirty(const UInt *sec, UWord off, UWord n)
{
    const UChar *pg = sh_pages(sec);
    return pg[off >> SH_PAGE_BITS] | pg[(off + n - 1) >> SH_PAGE_BITS];
}
static inline void sh_mark(UInt *sec, UWord off, UWord n)
{
    UChar *pg = sh_pages(sec);
    for (UWord q = off >> SH_PAGE_BITS; q <= (off + n - 1) >> SH_PAGE_BITS; q++) pg[q] = SH_PG_IDS;
}
void sh_page_ids(UInt *sec, UWord q);            /* a linear page's ids written out */
/* Before ids of [off, off+n) are written (or read as ids): linear pages
 * there get their ids back. */
static inline void sh_prep(UInt *sec, UWord off, UWord n)
{
    const UChar *pg = sh_pages(sec);
    UWord q0 = off >> SH_PAGE_BITS, q1 = (off + n - 1) >> SH_PAGE_BITS;
    if (LIKELY(!((pg[q0] | pg[q1]) & SH_PG_LINEAR) && q1 - q0 < 2)) return;
    for (UWord q = q0; q <= q1; q++)
        if (pg[q] == SH_PG_LINEAR) sh_page_ids(sec, q);
}

/* The array of ids holding address a, or NULL when nothing there was ever
 * labelled (a linear secondary is expanded).  Its linear pages stay: call
 * sh_prep before touching ids. */
static inline UInt *sh_sec_of(Addr a)
{
    UWord r = sh_sec_raw(a);
    if (UNLIKELY(r & 3)) return sh_sec_expand(a);
    return (UInt *)r;
}

UInt *sh_sec_make(Addr a);                     /* allocate if missing (NULL above 48 bits) */
static inline UInt sh_get(Addr a)
{
    UWord r = sh_sec_raw(a), off = a & SH_SEC_MASK;
    if (SH_LINEAR(r)) return SH_LINEAR_FIRST(r) + (UInt)off;
    if (SH_HOLEY(r)) return sh_hole(SH_HOLEY_OF(r), off) ? 0 : SH_HOLEY_OF(r)->first + (UInt)off;
    if (!r) return 0;
    const UInt *s = (const UInt *)r;
    UWord q = off >> SH_PAGE_BITS;
    if (sh_pages(s)[q] == SH_PG_LINEAR) return sh_lin(s)[q] + (UInt)(off & (SH_PAGE - 1));
    return s[off];
}
void sh_set(Addr a, UInt id);
void sh_get_range(Addr a, SizeT n, UInt *out);   /* out[0..n) */
void sh_put_range(Addr a, SizeT n, const UInt *ids);
void sh_fill(Addr a, SizeT n, UInt id);          /* id 0 clears without allocating */
/* Bytes [a, a+n) within one secondary cleared: True when done in a linear
 * or holey secondary without making it an array (ct_h_store's clean path) */
Bool sh_clear_run(Addr a, SizeT n);
void sh_linear(Addr a, SizeT n, UInt base);      /* byte i gets base+i */
void sh_copy(Addr from, Addr to, SizeT n);       /* memmove semantics */
Bool sh_any(Addr a, SizeT n);                    /* some byte labelled? */

/* Visit the ids of every page that holds them (garbage collection
 * rewrites set ids; linear secondaries and pages hold direct labels only,
 * clean pages none). */
void sh_foreach_sec(void (*fn)(UInt *ids, SizeT n, void *ctx), void *ctx);
ULong sh_bytes_allocated(void);

#endif
