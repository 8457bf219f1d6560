/* ct_labels.c — direct labels (chunks), interned label sets with memoized
 * unions, and interned per-byte vectors.  See ct_labels.h. */
#include "ct_labels.h"
#include "ct_shadow.h"
#include "ct_stats.h"

/* Grow a VG_(malloc)'d array to hold `need` elements. */
static void *grow(void *p, ULong *cap, ULong need, SizeT elsize, const HChar *cc)
{
    if (need <= *cap) return p;
    ULong n = *cap ? *cap : 1024;
    while (n < need) n *= 2;
    p = VG_(realloc)(cc, p, n * elsize);
    *cap = n;
    return p;
}

static inline UInt mix32(UInt h)
{
    h ^= h >> 16; h *= 0x7feb352dU; h ^= h >> 15; h *= 0x846ca68bU; h ^= h >> 16;
    return h;
}

/* Collection (ct_gc.c) is wanted once the tables pass gc_threshold; it
 * runs at the next syscall or timeslice. */
#define GC_MIN (1 << 16)
static ULong gc_threshold = GC_MIN;     /* small tables stay in cache */
UInt lab_gc_epoch;
static ULong nsets, nvecs;

/* ================= direct labels ================= */

static struct lab_chunk *chunks;
static ULong nchunks, capchunks;
static UInt next_label = 1;
static ULong last_hit;

UInt lab_alloc(UInt handle, ULong off, ULong n, ULong time_ns, Bool *coarse)
{
    *coarse = False;
    if (n == 0) return 0;
    if (n > (ULong)(CT_SET_BASE - next_label)) {
        /* Out of ids: one label stands for the whole read ("all" mode). */
        if (next_label >= CT_SET_BASE) return 0;
        *coarse = True;
    }
    struct lab_chunk *prev = nchunks ? &chunks[nchunks - 1] : NULL;
    if (!*coarse && prev && !prev->coarse && prev->handle == handle
        && prev->base + prev->len == next_label && prev->off + prev->len == off
        && (ULong)prev->len + n < 0x80000000ULL) {
        /* A sequential read loop continues the previous chunk: one chunk per
         * contiguous run, not per read().  The run takes its latest read
         * time (as the store does when it merges rows): on a stream the later
         * bytes were written after the first read, and a backward query
         * counts only writes made before the read time. */
        UInt base = next_label;
        prev->time_ns = time_ns;
        prev->len += (UInt)n;
        next_label += (UInt)n;
        return base;
    }
    chunks = grow(chunks, &capchunks, nchunks + 1, sizeof *chunks, "ct.chunks");
    struct lab_chunk *c = &chunks[nchunks++];
    c->base = next_label;
    c->len = *coarse ? 1 : (UInt)n;
    c->handle = handle;
    c->coarse = *coarse;
    c->off = off;
    c->coarse_len = n;
    c->time_ns = time_ns;
    next_label += c->len;
    return c->base;
}

const struct lab_chunk *lab_chunk_of(UInt label)
{
    if (label == 0 || lab_is_set(label) || nchunks == 0) return NULL;
    struct lab_chunk *c = &chunks[last_hit];
    if (label >= c->base && label - c->base < c->len) return c;
    ULong lo = 0, hi = nchunks;      /* find the last chunk with base <= label */
    while (hi - lo > 1) {
        ULong mid = (lo + hi) / 2;
        if (chunks[mid].base <= label) lo = mid; else hi = mid;
    }
    c = &chunks[lo];
    if (label < c->base || label - c->base >= c->len) return NULL;
    last_hit = lo;
    return c;
}

ULong lab_direct_used(void) { return next_label - 1; }

/* ================= sets ================= */

struct set_ent { ULong first; UInt n; UInt hash; };   /* ranges at rpool[first..first+2n) */
static struct set_ent *sets;
static ULong capsets;
static UInt *rpool;
static ULong nrpool, caprpool;
/* Open addressing; slots keep the hash beside the index (one cache line
 * per probe), as the vector table does. */
struct sslot { UInt idx1, hash; };      /* set index + 1 (0 = empty) */
static struct sslot *stab;
static ULong stab_size;

/* One multiply per word: sets are hashed on every new union. */
static UInt hash_ranges(const UInt *r, UInt n)
{
    UInt h = 0x9e3779b9u ^ n;
    for (UInt i = 0; i < 2 * n; i++) h = ((h << 5 | h >> 27) ^ r[i]) * 0x85ebca6bu;
    return h ^ (h >> 16);
}

static void stab_insert(ULong idx)
{
    ULong m = stab_size - 1, i = sets[idx].hash & m;
    while (stab[i].idx1) i = (i + 1) & m;
    stab[i].idx1 = (UInt)(idx + 1);
    stab[i].hash = sets[idx].hash;
}

static void stab_rehash(ULong size)
{
    if (stab) VG_(free)(stab);
    stab_size = size;
    stab = VG_(calloc)("ct.stab", stab_size, sizeof *stab);
    for (ULong i = 0; i < nsets; i++) stab_insert(i);
}

/* The id for ranges r[0..2n): a direct label for a single byte, otherwise
 * the interned set (created on first sight). */
static UInt set_intern(const UInt *r, UInt n)
{
    if (n == 0) return 0;
    if (n == 1 && r[1] - r[0] == 1) return r[0];
    UInt h = hash_ranges(r, n);
    if (stab_size == 0 || (nsets + 1) * 2 > stab_size) stab_rehash(stab_size ? stab_size * 2 : 1 << 12);
    ULong m = stab_size - 1, i = h & m;
    for (; stab[i].idx1; i = (i + 1) & m) {
        if (stab[i].hash != h) continue;
        struct set_ent *e = &sets[stab[i].idx1 - 1];
        if (e->n == n && ids_equal(rpool + e->first, r, 2 * n))
            return CT_SET_BASE + (stab[i].idx1 - 1);
    }
    if (nsets >= (ULong)(0xffffffffu - CT_SET_BASE))
        VG_(tool_panic)("crosstag: label set table full");
    STAT(ST_SETNEW);
    rpool = grow(rpool, &caprpool, nrpool + 2 * n, sizeof(UInt), "ct.rpool");
    VG_(memcpy)(rpool + nrpool, r, 2 * n * sizeof(UInt));
    sets = grow(sets, &capsets, nsets + 1, sizeof *sets, "ct.sets");
    sets[nsets].first = nrpool;
    sets[nsets].n = n;
    sets[nsets].hash = h;
    nrpool += 2 * n;
    stab[i].idx1 = (UInt)(nsets + 1);
    stab[i].hash = h;
    nsets++;
    return CT_SET_BASE + (UInt)(nsets - 1);
}

const UInt *lab_ranges(UInt id, UInt *n, UInt tmp[2])
{
    if (id == 0) { *n = 0; return tmp; }
    if (!lab_is_set(id)) { tmp[0] = id; tmp[1] = id + 1; *n = 1; return tmp; }
    struct set_ent *e = &sets[id - CT_SET_BASE];
    *n = e->n;
    return rpool + e->first;
}

UInt lab_from_range(UInt lo, UInt hi)
{
    UInt r[2] = { lo, hi };
    return lo >= hi ? 0 : set_intern(r, 1);
}

ULong lab_nsets(void) { return nsets; }

/* Widen a range list to at most SET_MAX_RANGES by closing the smallest
 * gaps: sound (never loses a label), only less precise. */
static UInt cap_ranges(UInt *r, UInt n)
{
    while (n > SET_MAX_RANGES) {
        UInt best = 1, gap = 0xffffffffu;
        for (UInt i = 1; i < n; i++)
            if (r[2 * i] - r[2 * i - 1] < gap) { gap = r[2 * i] - r[2 * i - 1]; best = i; }
        r[2 * best - 1] = r[2 * best + 1];
        VG_(memmove)(r + 2 * best, r + 2 * best + 2, (2 * (n - best - 1)) * sizeof(UInt));
        n--;
    }
    return n;
}

/* Memo of recent unions: a direct-mapped cache, so it costs fixed memory. */
#define MEMO_BITS 12
static struct { UInt a, b, r; } memo[1 << MEMO_BITS];

UInt lab_union(UInt a, UInt b)
{
    if (a == b || b == 0) return a;
    if (a == 0) return b;
    STAT(ST_LU);
    if (a > b) { UInt t = a; a = b; b = t; }
    UInt slot = mix32(a * 31u + b) & ((1 << MEMO_BITS) - 1);
    if (memo[slot].a == a && memo[slot].b == b) { STAT(ST_LU_MEMO); return memo[slot].r; }

    UInt ta[2], tb[2], na, nb;
    const UInt *ra = lab_ranges(a, &na, ta), *rb = lab_ranges(b, &nb, tb);
    UInt out[2 * (2 * SET_MAX_RANGES + 2)], n = 0, i = 0, j = 0;
    while (i < na || j < nb) {
        const UInt *p;
        if (j >= nb || (i < na && ra[2 * i] <= rb[2 * j])) p = ra + 2 * i++;
        else p = rb + 2 * j++;
        if (n && p[0] <= out[2 * n - 1]) {          /* overlaps or touches: extend */
            if (p[1] > out[2 * n - 1]) out[2 * n - 1] = p[1];
        } else {
            out[2 * n] = p[0]; out[2 * n + 1] = p[1]; n++;
        }
    }
    n = cap_ranges(out, n);
    /* One side holding the other (a hash's running set and a byte it
     * already has) is the commonest union: the answer is that side, known
     * without hashing and looking up the ranges. */
    UInt r;
    if (n == nb && ids_equal(out, rb, 2 * n)) r = b;
    else if (n == na && ids_equal(out, ra, 2 * n)) r = a;
    else r = set_intern(out, n);
    memo[slot].a = a; memo[slot].b = b; memo[slot].r = r;
    return r;
}

/* ================= vectors ================= */

struct vec_ent { ULong first; UInt n; UInt hash; };
static struct vec_ent *vecs;
static ULong capvecs;
static UInt *vpool;
static ULong nvpool, capvpool;
/* Open addressing; each slot keeps the hash next to the index so a probe
 * that does not match costs one cache line, not two. */
struct vslot { UInt idx1, hash; };      /* vector index + 1 (0 = empty) */
static struct vslot *vtab;
static ULong vtab_size;

/* One multiply per id (vectors are hashed on every interning, and the
 * per-id avalanche of mix32 made this the hottest loop of hashing code). */
static UInt hash_ids(const UInt *ids, UInt n)
{
    UInt h = 0x85ebca6bu ^ n;
    for (UInt i = 0; i < n; i++) h = ((h << 5 | h >> 27) ^ ids[i]) * 0x9e3779b1u;
    return h ^ (h >> 16);
}

static void vtab_rehash(ULong size)
{
    if (vtab) VG_(free)(vtab);
    vtab_size = size;
    vtab = VG_(calloc)("ct.vtab", vtab_size, sizeof *vtab);
    for (ULong k = 0; k < nvecs; k++) {
        ULong m = vtab_size - 1, i = vecs[k].hash & m;
        while (vtab[i].idx1) i = (i + 1) & m;
        vtab[i].idx1 = (UInt)(k + 1);
        vtab[i].hash = vecs[k].hash;
    }
}

UInt vec_intern(const UInt *ids, UInt n)
{
    UInt h = hash_ids(ids, n);
    STAT(ST_VEC);
    if (vtab_size == 0 || (nvecs + 1) * 2 > vtab_size) vtab_rehash(vtab_size ? vtab_size * 2 : 1 << 12);
    ULong m = vtab_size - 1, i = h & m;
    for (; vtab[i].idx1; i = (i + 1) & m) {
        if (vtab[i].hash != h) continue;
        struct vec_ent *e = &vecs[vtab[i].idx1 - 1];
        if (e->n == n && ids_equal(vpool + e->first, ids, n))
            return vtab[i].idx1;                  /* vector ids start at 1 */
    }
    STAT(ST_VECNEW);
    vpool = grow(vpool, &capvpool, nvpool + n, sizeof(UInt), "ct.vpool");
    VG_(memcpy)(vpool + nvpool, ids, n * sizeof(UInt));
    vecs = grow(vecs, &capvecs, nvecs + 1, sizeof *vecs, "ct.vecs");
    vecs[nvecs].first = nvpool;
    vecs[nvecs].n = n;
    vecs[nvecs].hash = h;
    nvpool += n;
    vtab[i].idx1 = (UInt)(nvecs + 1);
    vtab[i].hash = h;
    nvecs++;
    return (UInt)nvecs;
}

const UInt *vec_get(UInt vid, UInt *n)
{
    struct vec_ent *e = &vecs[vid - 1];
    *n = e->n;
    return vpool + e->first;
}

ULong vec_count(void) { return nvecs; }

/* ---- young vectors (see ct_labels.h) ----
 * One bump array: a vector is its length followed by its ids, and a young
 * word's id is the place of its length + 1.  4 MB, allocated at first use:
 * enough for what hashing code makes in a timeslice (sha256sum: ~200,000
 * vectors between two collection points). */
#define YOUNG_MAX (1u << 20)
static UInt *young;
static UInt nyoung;

const UInt *sw_vec(SW w, UInt *n)
{
    if (SW_KIND(w) == SW_LOC) { *n = young[SW_ID(w) - 1]; return young + SW_ID(w); }
    return vec_get(SW_ID(w), n);
}

SW sw_escape(SW w)
{
    if (SW_KIND(w) != SW_LOC) return w;
    return sw_make(SW_VEC, 0, vec_intern(young + SW_ID(w), young[SW_ID(w) - 1]));
}

Bool young_any(void) { return nyoung != 0; }

void young_reset(void)
{
    nyoung = 0;
    lab_gc_epoch++;          /* ct_h_eval's caches may hold young words */
}

static SW young_new(const UInt *ids, UInt n)
{
    if (UNLIKELY(!young)) young = VG_(malloc)("ct.young", YOUNG_MAX * sizeof(UInt));
    if (UNLIKELY(nyoung + 1 + n > YOUNG_MAX)) return sw_make(SW_VEC, 0, vec_intern(ids, n));
    young[nyoung] = n;
    VG_(memcpy)(young + nyoung + 1, ids, n * sizeof(UInt));
    nyoung += 1 + n;
    return sw_make(SW_LOC, 0, nyoung - n);
}

/* ================= shadow words ================= */

UInt sw_byte(SW w, UInt i)
{
    UInt len = SW_LEN(w), id = SW_ID(w);
    if (w == 0 || (len && i >= len)) return 0;
    switch (SW_KIND(w)) {
    case SW_UNI: return id;
    case SW_LIN: return id + i;
    default: {
        UInt n; const UInt *v = sw_vec(w, &n);
        return i < n ? v[i] : 0;
    }
    }
}

/* sw_byte for bytes 0..n-1, the kind looked at once (not per byte). */
void sw_to_bytes(SW w, UInt n, UInt *out)
{
    if (w == 0) { VG_(memset)(out, 0, n * sizeof(UInt)); return; }
    UInt len = SW_LEN(w), id = SW_ID(w), lim = len && len < n ? len : n, i = 0;
    switch (SW_KIND(w)) {
    case SW_UNI: for (; i < lim; i++) out[i] = id; break;
    case SW_LIN: for (; i < lim; i++) out[i] = id + i; break;
    default: {
        UInt vn;
        const UInt *v = sw_vec(w, &vn);
        for (; i < lim; i++) out[i] = i < vn ? v[i] : 0;
    }
    }
    for (; i < n; i++) out[i] = 0;
}

SW sw_from_bytes(const UInt *ids, UInt n)
{
    UInt k = n;
    while (k && ids[k - 1] == 0) k--;       /* k = bytes up to the last labelled one */
    if (k == 0) return 0;
    UInt len = k == n ? 0 : k, i;
    for (i = 1; i < k && ids[i] == ids[0]; i++) ;
    if (i == k) return sw_make(SW_UNI, len, ids[0]);
    /* a run starting at a clean byte is not linear: [0, 1, 2] read as
     * "id 0 + i" would be the clean word (label 1 is a run's first byte) */
    if (ids[0] && !lab_is_set(ids[0]) && ids[0] + (k - 1) < CT_SET_BASE) {
        for (i = 1; i < k && ids[i] == ids[0] + i; i++) ;
        if (i == k) return sw_make(SW_LIN, len, ids[0]);
    }
    return young_new(ids, k);
}

UInt sw_collapse(SW w, UInt n)
{
    if (w == 0) return 0;
    UInt len = SW_LEN(w), id = SW_ID(w);
    if (len && len < n) n = len;
    switch (SW_KIND(w)) {
    case SW_UNI: return id;
    case SW_LIN: return lab_from_range(id, id + n);
    default: {
        UInt vn, u = 0; const UInt *v = sw_vec(w, &vn);
        for (UInt i = 0; i < vn && i < n; i++) u = lab_union(u, v[i]);
        return u;
    }
    }
}

/* ================= garbage collection support ================= */
/* Sets and vectors are never referenced by each other's ids, only by shadow
 * memory and shadow registers, so a collection is: mark what those hold,
 * rebuild both tables with only the marked entries, then rewrite the ids
 * held in shadow memory and registers (ct_gc.c drives it). */

static UInt *set_newid, *vec_newid;     /* 0 = dead, else new id */
static ULong gc_old_nsets, gc_old_nvecs;

Bool lab_gc_wanted(void) { return nsets + nvecs > gc_threshold; }

void lab_gc_begin(void)
{
    gc_old_nsets = nsets; gc_old_nvecs = nvecs;
    set_newid = VG_(calloc)("ct.gc", nsets + 1, sizeof(UInt));
    vec_newid = VG_(calloc)("ct.gc", nvecs + 1, sizeof(UInt));
}

void lab_gc_mark(UInt id)
{
    if (lab_is_set(id) && id - CT_SET_BASE < nsets) set_newid[id - CT_SET_BASE] = 1;
}

void vec_gc_mark(UInt vid)
{
    if (vid == 0 || vid > nvecs || vec_newid[vid - 1]) return;
    vec_newid[vid - 1] = 1;
    UInt n; const UInt *v = vec_get(vid, &n);
    for (UInt i = 0; i < n; i++) lab_gc_mark(v[i]);
}

static ULong table_size(ULong live)
{
    ULong n = 1 << 12;
    while (n < 4 * live) n *= 2;
    return n;
}

void lab_gc_compact(void)
{
    ULong ns = 0, nr = 0;
    for (ULong i = 0; i < nsets; i++) {
        if (!set_newid[i]) continue;
        struct set_ent e = sets[i];
        VG_(memmove)(rpool + nr, rpool + e.first, 2 * e.n * sizeof(UInt));
        e.first = nr;
        nr += 2 * e.n;
        sets[ns] = e;
        set_newid[i] = CT_SET_BASE + (UInt)ns++;
    }
    nsets = ns; nrpool = nr;
    ULong nv = 0, np = 0;
    for (ULong i = 0; i < nvecs; i++) {
        if (!vec_newid[i]) continue;
        struct vec_ent e = vecs[i];
        UInt *v = vpool + e.first;
        VG_(memmove)(vpool + np, v, e.n * sizeof(UInt));
        for (UInt k = 0; k < e.n; k++)         /* vector entries hold set ids too */
            if (lab_is_set(vpool[np + k])) vpool[np + k] = set_newid[vpool[np + k] - CT_SET_BASE];
        e.first = np;
        np += e.n;
        e.hash = hash_ids(vpool + e.first, e.n);
        vecs[nv] = e;
        vec_newid[i] = (UInt)++nv;
    }
    nvecs = nv; nvpool = np;
    /* Shrink the hash tables to what survived: small tables stay in cache. */
    stab_rehash(table_size(nsets));
    vtab_rehash(table_size(nvecs));
    VG_(memset)(memo, 0, sizeof memo);
}

UInt lab_gc_remap(UInt id)
{
    if (!lab_is_set(id)) return id;
    return id - CT_SET_BASE < gc_old_nsets ? set_newid[id - CT_SET_BASE] : 0;
}
UInt vec_gc_remap(UInt vid) { return vid && vid <= gc_old_nvecs ? vec_newid[vid - 1] : 0; }

void lab_gc_end(void)
{
    VG_(free)(set_newid); VG_(free)(vec_newid);
    set_newid = vec_newid = NULL;
    ULong live = nsets + nvecs;
    gc_threshold = live * 2 > GC_MIN ? live * 2 : GC_MIN;
    /* A collection scans every shadow id; with much labelled memory (sort
     * holding its whole input) it must free enough per scan to pay for it:
     * at least one set or vector per 32 shadow ids. */
    ULong scan = sh_bytes_allocated() / sizeof(UInt) / 32;
    if (gc_threshold < live + scan) gc_threshold = live + scan;
    lab_gc_epoch++;
}
