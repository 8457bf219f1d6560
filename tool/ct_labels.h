/* ct_labels.h — labels, label sets and shadow words.
 *
 * Local labels (RTAG's "local tags") are 32-bit ids, switched to global tags
 * (object, offset) only at sources and sinks:
 *   0                      no label
 *   1 .. CT_SET_BASE-1     a direct label: one byte of one source read.  A
 *                          read of n bytes takes n consecutive ids, so a
 *                          copied run of bytes keeps consecutive ids and
 *                          costs no table space at all ("chunks" map ids
 *                          back to (object, offset) with a binary search).
 *   CT_SET_BASE ..         an interned set: sorted, disjoint ranges of
 *                          direct labels.  Unions are memoized.
 *
 * Shadow words (SW, 64 bits) are the shadows of IR temporaries and of each
 * 8-byte chunk of the guest registers.  They describe up to 32 bytes without
 * a table lookup in the common cases:
 *   bits 63..62  kind: UNI (every byte has `id`), LIN (byte i has id+i:
 *                a copied run of source bytes), VEC (id names an interned
 *                vector of per-byte ids: mixed data)
 *   bits 61..56  len: bytes covered counting from the lowest; 0 = all.
 *                (zero-extension keeps exactness: 8Uto64 of a labelled byte
 *                labels one byte, not eight)
 *   bits 31..0   id
 * The all-zero word is "clean", so OR-ing shadow words tests for any label.
 */
#ifndef CT_LABELS_H
#define CT_LABELS_H
#include "ct_tool.h"

#define CT_SET_BASE 0x80000000u
#define SET_MAX_RANGES 64          /* larger unions are widened (over-approximated) */
#define SW_MAXB 32                 /* bytes in the widest value (V256) */

static inline Bool lab_is_set(UInt id) { return id >= CT_SET_BASE; }

/* a[0..n) == b[0..n) (VG_(memcmp) compares byte by byte) */
static inline Bool ids_equal(const UInt *a, const UInt *b, UInt n)
{
    for (UInt i = 0; i < n; i++) if (a[i] != b[i]) return False;
    return True;
}

/* ---- direct labels ---- */
struct lab_chunk {
    UInt  base;        /* first label */
    UInt  len;         /* labels in the chunk */
    UInt  handle;      /* object handle (ct_objects.h) */
    UInt  coarse;      /* 1: the one label stands for [off, off+coarse_len) */
    ULong off;         /* object offset of label `base` */
    ULong coarse_len;
    ULong time_ns;     /* when the bytes were read */
};
/* n labels for bytes [off, off+n) of object `handle`; returns the first.
 * When the id space runs out, one coarse label covers the whole read. */
UInt lab_alloc(UInt handle, ULong off, ULong n, ULong time_ns, Bool *coarse);
const struct lab_chunk *lab_chunk_of(UInt label);
ULong lab_direct_used(void);

/* ---- sets ---- */
UInt lab_union(UInt a, UInt b);
/* Ranges [lo, hi) of direct labels in id (a direct label gives one range).
 * The pointer stays valid until the next union or collection. */
const UInt *lab_ranges(UInt id, UInt *nranges, UInt tmp[2]);
UInt lab_from_range(UInt lo, UInt hi);   /* the id of {lo..hi-1} */
ULong lab_nsets(void);

/* ---- per-byte vectors (for VEC shadow words) ---- */
UInt vec_intern(const UInt *ids, UInt n);
const UInt *vec_get(UInt vid, UInt *n);
ULong vec_count(void);

/* ---- shadow words ---- */
typedef ULong SW;
#define SW_UNI 0ULL
#define SW_LIN 1ULL
#define SW_VEC 2ULL
#define SW_LOC 3ULL    /* a young vector, not interned (below) */
#define SW_KIND(w) ((w) >> 62)
#define SW_LEN(w)  ((UInt)(((w) >> 56) & 0x3f))
#define SW_ID(w)   ((UInt)(w))
static inline SW sw_make(ULong kind, UInt len, UInt id)
{
    return id == 0 ? 0 : (kind << 62) | ((ULong)(len & 0x3f) << 56) | id;
}
UInt sw_byte(SW w, UInt i);                   /* id of byte i */
void sw_to_bytes(SW w, UInt n, UInt *out);    /* ids of bytes 0..n-1 */
SW   sw_from_bytes(const UInt *ids, UInt n);  /* canonical word for ids[0..n) */
UInt sw_collapse(SW w, UInt n);               /* union of the ids of bytes 0..n-1 */

/* ---- young vectors ----
 * Most mixed words are short-lived values in registers (a byte swap's
 * steps, a hash round's rotations, an encoder's shifted input): interning
 * each would hash it, add it to the table and leave it for the collector.
 * So sw_from_bytes keeps a new vector in a bump pool instead (kind SW_LOC,
 * id = its place in the pool).  The pool is emptied at collection points
 * (ct_gc.c), where no IR temporary is live: the few young words still held
 * by shadow registers are interned there by sw_escape (the id the word
 * would have had: an interned vector is known by its contents), and so
 * are a thread's before the core copies them into a signal frame.  When
 * the pool is full, new vectors are interned as before. */
SW   sw_escape(SW w);                         /* SW_LOC -> SW_VEC, others as they are */
Bool young_any(void);                         /* the pool holds vectors */
void young_reset(void);                       /* empty it (every SW_LOC word is dead) */
const UInt *sw_vec(SW w, UInt *n);            /* the ids of a VEC or LOC word */

/* ---- garbage collection (ct_gc.c) ---- */
Bool lab_gc_wanted(void);
extern UInt lab_gc_epoch;     /* collections and young-pool resets so far: ids keep
                                 their meaning between two */
/* Rebuild set and vector tables keeping only ids `live` marks; remap gives
 * the new id of a kept one.  Used only by ct_gc.c. */
void lab_gc_begin(void);
void lab_gc_mark(UInt id);
void vec_gc_mark(UInt vid);
void lab_gc_compact(void);
UInt lab_gc_remap(UInt id);
UInt vec_gc_remap(UInt vid);
void lab_gc_end(void);

#endif
