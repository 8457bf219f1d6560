/* store_sqlite_read.c — the SQLite backend's read side (queries): object
 * lookup, object and process details, and overlap scans over the flows.
 *
 * Overlap scans: the indexes are (sink_obj, sink_start) and (src_obj,
 * src_start), so "start < END AND end > START" alone bounds the index scan
 * only from above and would walk every row of the object below END.  We
 * also bound it from below with START - maxlen, where maxlen is the longest
 * row of that object on that side: every overlapping row starts there or
 * later.  maxlen costs one pass over the object's rows, so it is cached per
 * connection and dropped whenever rows may have changed (PRAGMA
 * data_version, total_changes), and skipped entirely for scans from 0.
 * The same cache remembers which objects have no rows at all on a side, so
 * the many scans of sources nobody wrote cost only a hash lookup.
 *
 * Periodic rows (reps > 1) store the extent of all their repetitions in
 * the range columns, so the scans find them unchanged; each is then handed
 * out as the plain flows of its repetitions that overlap the range asked
 * for (expand_row), all with the row's id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "store_sqlite_int.h"

enum {
    RD_FIND_IDENT, RD_FIND_NAME, RD_FIND_NAME_KIND, RD_OBJ_INFO, RD_PROC_INFO,
    RD_FLOWS_SINK, RD_FLOWS_SRC, RD_MAXLEN_SINK, RD_MAXLEN_SRC, RD_DATA_VERSION,
    RD_ANY_SINK, RD_ANY_SRC, RD_SCHEMA, RD_OBJ_NOTE, RD_FIND_PROCS, RD_PROC_OBJS_SINK,
    RD_PROC_OBJS_SRC, RD_STREAMS, RD_FIND_ON_IDENT, RD_FIND_ON_NAME, RD_HOSTS,
};

#define OBJ_COLS "o.id, o.host, o.kind, o.dev, o.ino, o.version, o.name, h.name"
#define OBJ_FROM " FROM hosts h JOIN objects o ON o.host = h.id"

/* Newest row first: a new version is always a new, higher id. */
static const char sql_find_ident[] =
    "SELECT " OBJ_COLS OBJ_FROM " WHERE o.kind = ?1 AND o.dev = ?2 AND o.ino = ?3"
    " ORDER BY o.id DESC LIMIT 1";
static const char sql_find_name[] =
    "SELECT " OBJ_COLS OBJ_FROM " WHERE o.name = ?1 ORDER BY o.id DESC LIMIT 1";
static const char sql_find_name_kind[] =
    "SELECT " OBJ_COLS OBJ_FROM " WHERE o.name = ?1 AND o.kind = ?2 ORDER BY o.id DESC LIMIT 1";
/* The same on one host, named. */
static const char sql_find_on_ident[] =
    "SELECT " OBJ_COLS OBJ_FROM " WHERE h.name = ?4 AND o.kind = ?1 AND o.dev = ?2 AND o.ino = ?3"
    " ORDER BY o.id DESC LIMIT 1";
static const char sql_find_on_name[] =
    "SELECT " OBJ_COLS OBJ_FROM " WHERE h.name = ?2 AND o.name = ?1 ORDER BY o.id DESC LIMIT 1";
/* Socket directions into an endpoint: "tcp:SRC>ENDPOINT#ID", "udp:SRC>ENDPOINT"
 * (instr finds candidates; the caller checks what follows the endpoint). */
static const char sql_streams[] =
    "SELECT o.id, o.name FROM objects o WHERE o.kind = 3 AND substr(o.name, 1, length(?1)) = ?1"
    " AND instr(o.name, ?2) > 0 ORDER BY o.name, o.id";
static const char sql_obj_info[] =
    "SELECT " OBJ_COLS OBJ_FROM " WHERE o.id = ?1";
#define PROC_COLS "p.id, p.pid, p.start_ticks, p.argv, p.host, p.parent, p.ppid, p.exec_seq, h.name"
static const char sql_proc_info[] =
    "SELECT " PROC_COLS " FROM processes p JOIN hosts h ON h.id = p.host WHERE p.id = ?1";
static const char sql_find_procs[] =
    "SELECT " PROC_COLS " FROM processes p JOIN hosts h ON h.id = p.host"
    " WHERE p.pid = ?1 AND (?2 = 0 OR p.start_ticks = ?3)"
    " ORDER BY h.name, p.start_ticks, p.exec_seq, p.id";
static const char sql_proc_objs_sink[] = "SELECT DISTINCT sink_obj FROM flows WHERE proc = ?1";
static const char sql_proc_objs_src[] = "SELECT DISTINCT src_obj FROM flows WHERE proc = ?1";

#define FLOW_COLS "id, proc, time_ns, src_time_ns, sysno, mode," \
                  " sink_obj, sink_start, sink_end, src_obj, src_start, src_end"
#define FLOW_COLS_V2 FLOW_COLS ", reps, sink_step, src_step"
#define FLOW_COLS_V1 FLOW_COLS ", 1, 0, 0"      /* version 1: every row is plain */
/* INDEXED BY: ORDER BY id must never tempt the planner into a table scan. */
#define SQL_FLOWS_SINK(cols) "SELECT " cols " FROM flows INDEXED BY flows_sink" \
    " WHERE sink_obj = ?1 AND sink_start >= ?2 AND sink_start < ?3 AND sink_end > ?4" \
    " ORDER BY id"
#define SQL_FLOWS_SRC(cols) "SELECT " cols " FROM flows INDEXED BY flows_src" \
    " WHERE src_obj = ?1 AND src_start >= ?2 AND src_start < ?3 AND src_end > ?4" \
    " ORDER BY id"
/* [version 2][by_sink] */
static const char *const sql_flows[2][2] = {
    { SQL_FLOWS_SRC(FLOW_COLS_V1), SQL_FLOWS_SINK(FLOW_COLS_V1) },
    { SQL_FLOWS_SRC(FLOW_COLS_V2), SQL_FLOWS_SINK(FLOW_COLS_V2) },
};
static const char sql_schema[] =
    "SELECT CAST(value AS INTEGER) FROM meta WHERE key='schema_version'";
static const char sql_maxlen_sink[] =
    "SELECT max(sink_end - sink_start) FROM flows INDEXED BY flows_sink WHERE sink_obj = ?1";
static const char sql_maxlen_src[] =
    "SELECT max(src_end - src_start) FROM flows INDEXED BY flows_src WHERE src_obj = ?1";
static const char sql_any_sink[] =
    "SELECT 1 FROM flows INDEXED BY flows_sink WHERE sink_obj = ?1 LIMIT 1";
static const char sql_any_src[] =
    "SELECT 1 FROM flows INDEXED BY flows_src WHERE src_obj = ?1 LIMIT 1";

/* Offsets are stored as SQLite's signed 64-bit integers. */
static sqlite3_int64 clamp64(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

static int step_fail(struct store *s, sqlite3_stmt *st, const char *what)
{
    ct_sqlite_fail(s, what);
    sqlite3_reset(st);
    return -1;
}

/* ---- objects ---- */

static int fill_obj(struct store *s, sqlite3_stmt *st, struct store_objinfo *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(st, 0);
    out->host = sqlite3_column_int64(st, 1);
    out->kind = (uint32_t)sqlite3_column_int64(st, 2);
    out->dev = (uint64_t)sqlite3_column_int64(st, 3);
    out->ino = (uint64_t)sqlite3_column_int64(st, 4);
    out->version = sqlite3_column_int64(st, 5);
    const void *name = sqlite3_column_blob(st, 6);
    size_t len = (size_t)sqlite3_column_bytes(st, 6);
    out->name = malloc(len + 1);          /* +1: callers may treat it as a C string */
    if (!out->name) {
        snprintf(s->err, sizeof s->err, "out of memory");
        return -1;
    }
    if (len)
        memcpy(out->name, name, len);
    out->name[len] = '\0';
    out->name_len = len;
    const unsigned char *host = sqlite3_column_text(st, 7);
    snprintf(out->host_name, sizeof out->host_name, "%s", host ? (const char *)host : "");
    return 0;
}

/* Steps a one-row object query: 1 found, 0 not, -1 error. */
static int obj_row(struct store *s, sqlite3_stmt *st, struct store_objinfo *out)
{
    int rc = sqlite3_step(st);
    int r = 0;
    if (rc == SQLITE_ROW)
        r = fill_obj(s, st, out) == 0 ? 1 : -1;
    else if (rc != SQLITE_DONE)
        return step_fail(s, st, "object lookup");
    sqlite3_reset(st);
    return r;
}

int store_find_object(struct store *s, uint32_t kind, uint64_t dev, uint64_t ino,
                      const unsigned char *name, size_t name_len, struct store_objinfo *out)
{
    sqlite3_stmt **st;
    if (kind == 1 /* CT_OBJ_FILE */ && (dev || ino)) {
        st = &s->rd[RD_FIND_IDENT];
        if (ct_sqlite_prep(s, st, sql_find_ident) != 0)
            return -1;
        sqlite3_bind_int64(*st, 1, kind);
        sqlite3_bind_int64(*st, 2, (sqlite3_int64)dev);
        sqlite3_bind_int64(*st, 3, (sqlite3_int64)ino);
    } else {
        if (!name || name_len > 0x7fffffff) {
            snprintf(s->err, sizeof s->err, "object lookup: no usable name");
            return -1;
        }
        st = &s->rd[kind ? RD_FIND_NAME_KIND : RD_FIND_NAME];
        if (ct_sqlite_prep(s, st, kind ? sql_find_name_kind : sql_find_name) != 0)
            return -1;
        /* names are stored as BLOBs; a TEXT parameter would never compare equal */
        sqlite3_bind_blob(*st, 1, name_len ? (const void *)name : "", (int)name_len, SQLITE_STATIC);
        if (kind)
            sqlite3_bind_int64(*st, 2, kind);
    }
    return obj_row(s, *st, out);
}

int store_find_object_on(struct store *s, const char *host, uint32_t kind, uint64_t dev,
                         uint64_t ino, const unsigned char *name, size_t name_len,
                         struct store_objinfo *out)
{
    sqlite3_stmt **st;
    if (kind == 1 /* CT_OBJ_FILE */ && (dev || ino)) {
        st = &s->rd[RD_FIND_ON_IDENT];
        if (ct_sqlite_prep(s, st, sql_find_on_ident) != 0)
            return -1;
        sqlite3_bind_int64(*st, 1, kind);
        sqlite3_bind_int64(*st, 2, (sqlite3_int64)dev);
        sqlite3_bind_int64(*st, 3, (sqlite3_int64)ino);
        sqlite3_bind_text(*st, 4, host, -1, SQLITE_STATIC);
        int r = obj_row(s, *st, out);
        if (r != 0)
            return r;           /* found, or an error; else try the name */
    }
    if (!name || name_len > 0x7fffffff) {
        snprintf(s->err, sizeof s->err, "object lookup: no usable name");
        return -1;
    }
    st = &s->rd[RD_FIND_ON_NAME];
    if (ct_sqlite_prep(s, st, sql_find_on_name) != 0)
        return -1;
    sqlite3_bind_blob(*st, 1, name_len ? (const void *)name : "", (int)name_len, SQLITE_STATIC);
    sqlite3_bind_text(*st, 2, host, -1, SQLITE_STATIC);
    return obj_row(s, *st, out);
}

int store_count_hosts(struct store *s)
{
    sqlite3_stmt **st = &s->rd[RD_HOSTS];
    if (ct_sqlite_prep(s, st, "SELECT count(*) FROM hosts") != 0)
        return -1;
    int n = sqlite3_step(*st) == SQLITE_ROW ? sqlite3_column_int(*st, 0) : -1;
    sqlite3_reset(*st);
    return n;
}

int store_find_streams_to(struct store *s, const char *kind, const char *endpoint,
                          int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt **st = &s->rd[RD_STREAMS];
    if (ct_sqlite_prep(s, st, sql_streams) != 0)
        return -1;
    size_t klen = strlen(kind), elen = strlen(endpoint);
    char *pat = malloc(elen + 2);
    if (!pat) {
        snprintf(s->err, sizeof s->err, "out of memory");
        return -1;
    }
    pat[0] = '>';
    memcpy(pat + 1, endpoint, elen + 1);
    sqlite3_bind_blob(*st, 1, kind, (int)klen, SQLITE_STATIC);
    sqlite3_bind_blob(*st, 2, pat, (int)elen + 1, SQLITE_STATIC);
    size_t cap = 0;
    int rc = 0, r;
    while ((r = sqlite3_step(*st)) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_blob(*st, 1);
        size_t len = (size_t)sqlite3_column_bytes(*st, 1);
        /* the endpoint is the whole destination: it ends the name or an "#ID" follows */
        const unsigned char *gt = name ? memchr(name, '>', len) : NULL;
        if (!gt)
            continue;
        size_t rest = len - (size_t)(gt + 1 - name);
        if (rest < elen || memcmp(gt + 1, endpoint, elen) != 0 || (rest > elen && gt[1 + elen] != '#'))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            int64_t *m = realloc(*ids, cap * sizeof *m);
            if (!m) {
                snprintf(s->err, sizeof s->err, "out of memory");
                rc = -1;
                break;
            }
            *ids = m;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(*st, 0);
    }
    if (rc == 0 && r != SQLITE_DONE && r != SQLITE_ROW) {
        snprintf(s->err, sizeof s->err, "stream lookup: %s", sqlite3_errmsg(s->db));
        rc = -1;
    }
    sqlite3_reset(*st);
    sqlite3_clear_bindings(*st);
    free(pat);
    if (rc != 0) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return rc;
}

int store_object_info(struct store *s, int64_t id, struct store_objinfo *out)
{
    sqlite3_stmt **st = &s->rd[RD_OBJ_INFO];
    if (ct_sqlite_prep(s, st, sql_obj_info) != 0)
        return -1;
    sqlite3_bind_int64(*st, 1, id);
    int r = obj_row(s, *st, out);
    if (r == 0)
        snprintf(s->err, sizeof s->err, "object %lld not found", (long long)id);
    return r == 1 ? 0 : -1;
}

int store_object_note(struct store *s, int64_t id, char **note)
{
    *note = NULL;
    if (s->schema < 3)
        return 0;               /* no notes before version 3 */
    sqlite3_stmt **st = &s->rd[RD_OBJ_NOTE];
    if (ct_sqlite_prep(s, st, "SELECT note FROM objects WHERE id = ?1") != 0)
        return -1;
    sqlite3_bind_int64(*st, 1, id);
    int rc = sqlite3_step(*st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return step_fail(s, *st, "object note");
    const unsigned char *t = rc == SQLITE_ROW ? sqlite3_column_text(*st, 0) : NULL;
    if (t && !(*note = strdup((const char *)t))) {
        sqlite3_reset(*st);
        snprintf(s->err, sizeof s->err, "out of memory");
        return -1;
    }
    sqlite3_reset(*st);
    return 0;
}

/* ---- processes ---- */

/* Fills out from a PROC_COLS row; out->argv is malloc'd.  0, -1. */
static int fill_proc(struct store *s, sqlite3_stmt *st, struct store_procinfo *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(st, 0);
    out->pid = (int32_t)sqlite3_column_int64(st, 1);
    out->start_ticks = (uint64_t)sqlite3_column_int64(st, 2);
    const void *argv = sqlite3_column_blob(st, 3);
    size_t len = (size_t)sqlite3_column_bytes(st, 3);
    out->host = sqlite3_column_int64(st, 4);
    out->parent = sqlite3_column_int64(st, 5);      /* NULL reads as 0: unknown */
    out->ppid = (int32_t)sqlite3_column_int64(st, 6);
    out->exec_seq = (uint32_t)sqlite3_column_int64(st, 7);
    const unsigned char *host = sqlite3_column_text(st, 8);
    snprintf(out->host_name, sizeof out->host_name, "%s", host ? (const char *)host : "");
    out->argv = malloc(len + 1);
    if (!out->argv) {
        snprintf(s->err, sizeof s->err, "out of memory");
        return -1;
    }
    if (len)
        memcpy(out->argv, argv, len);
    out->argv[len] = '\0';
    out->argv_len = len;
    return 0;
}

int store_proc_info(struct store *s, int64_t id, struct store_procinfo *out)
{
    sqlite3_stmt **st = &s->rd[RD_PROC_INFO];
    if (ct_sqlite_prep(s, st, sql_proc_info) != 0)
        return -1;
    sqlite3_bind_int64(*st, 1, id);
    int rc = sqlite3_step(*st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(*st);
        snprintf(s->err, sizeof s->err, "process %lld not found", (long long)id);
        return -1;
    }
    if (rc != SQLITE_ROW)
        return step_fail(s, *st, "process lookup");
    int r = fill_proc(s, *st, out);
    sqlite3_reset(*st);
    return r;
}

int store_find_procs(struct store *s, int32_t pid, int have_start, uint64_t start_ticks,
                     store_proc_fn fn, void *ctx)
{
    sqlite3_stmt **st = &s->rd[RD_FIND_PROCS];
    if (ct_sqlite_prep(s, st, sql_find_procs) != 0)
        return -1;
    sqlite3_bind_int64(*st, 1, pid);
    sqlite3_bind_int64(*st, 2, have_start != 0);
    sqlite3_bind_int64(*st, 3, clamp64(start_ticks));
    int rc, r = 0;
    while ((rc = sqlite3_step(*st)) == SQLITE_ROW) {
        struct store_procinfo p;
        if (fill_proc(s, *st, &p) != 0) {
            sqlite3_reset(*st);
            return -1;
        }
        int stop = fn(ctx, &p);
        free(p.argv);
        if (stop)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = ct_sqlite_fail(s, "process lookup");
    sqlite3_reset(*st);
    return r;
}

static int cmp_i64(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return (a > b) - (a < b);
}

int store_proc_objects(struct store *s, const int64_t *procs, size_t nprocs, int by_sink,
                       int64_t **objs, size_t *nobjs)
{
    int slot = by_sink ? RD_PROC_OBJS_SINK : RD_PROC_OBJS_SRC;
    sqlite3_stmt **st = &s->rd[slot];
    size_t n = 0, cap = 0;
    int64_t *v = NULL;
    *objs = NULL;
    *nobjs = 0;
    if (ct_sqlite_prep(s, st, by_sink ? sql_proc_objs_sink : sql_proc_objs_src) != 0)
        return -1;
    for (size_t i = 0; i < nprocs; i++) {
        sqlite3_reset(*st);
        sqlite3_bind_int64(*st, 1, procs[i]);
        int rc;
        while ((rc = sqlite3_step(*st)) == SQLITE_ROW) {
            if (n == cap) {
                size_t ncap = cap ? 2 * cap : 16;
                int64_t *nv = realloc(v, ncap * sizeof *v);
                if (!nv) {
                    free(v);
                    sqlite3_reset(*st);
                    snprintf(s->err, sizeof s->err, "out of memory");
                    return -1;
                }
                v = nv;
                cap = ncap;
            }
            v[n++] = sqlite3_column_int64(*st, 0);
        }
        if (rc != SQLITE_DONE) {
            free(v);
            return step_fail(s, *st, "flows by process");
        }
    }
    sqlite3_reset(*st);
    /* images of one process may share objects: distinct over all */
    if (n)
        qsort(v, n, sizeof *v, cmp_i64);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || v[m - 1] != v[i])
            v[m++] = v[i];
    *objs = v;
    *nobjs = m;
    return 0;
}

/* ---- the per-object cache (see the top of the file) ---- */

/* key: obj*2 + by_sink (0 = empty slot).  rows: 0 unknown, 1 none, 2 some. */
struct side_ent { int64_t key; int rows; int have_maxlen; uint64_t maxlen; };

static struct {
    sqlite3 *owner;         /* the connection it describes */
    int64_t data_version;   /* moves when another connection commits */
    int64_t changes;        /* moves when this one writes */
    struct side_ent *tab;
    size_t cap, n;
} sc;

static void sc_clear(void)
{
    free(sc.tab);
    memset(&sc, 0, sizeof sc);
}

static size_t sc_hash(int64_t key, size_t cap)
{
    uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 17) & (cap - 1);
}

static struct side_ent *sc_slot(int64_t key)
{
    for (size_t i = sc_hash(key, sc.cap);; i = (i + 1) & (sc.cap - 1))
        if (sc.tab[i].key == key || sc.tab[i].key == 0)
            return &sc.tab[i];
}

/* The entry for key, created empty; NULL when out of memory (the cache is
 * only an optimisation, callers then ask SQLite). */
static struct side_ent *sc_get(int64_t key)
{
    if (sc.n + 1 > sc.cap / 2) {
        size_t ncap = sc.cap ? sc.cap * 2 : 256;
        struct side_ent *old = sc.tab, *n = calloc(ncap, sizeof *n);
        size_t ocap = sc.cap;
        if (!n)
            return NULL;
        sc.tab = n;
        sc.cap = ncap;
        for (size_t i = 0; i < ocap; i++)
            if (old[i].key)
                *sc_slot(old[i].key) = old[i];
        free(old);
    }
    struct side_ent *e = sc_slot(key);
    if (!e->key) {
        e->key = key;
        sc.n++;
    }
    return e;
}

/* SQLite calls this when the connection closes (see sc_validate). */
static void sc_closed(void *db)
{
    if (sc.owner == db)
        sc_clear();
}

static void sc_unused(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc, (void)argv;
    sqlite3_result_null(ctx);
}

/* A writer may upgrade a version 1 store while we read it (store_open in
 * STORE_WRITE does): the scans must then read the new columns.  A busy
 * statement pins the snapshot, so it cannot be one prepared before an
 * upgrade it would miss. */
static int recheck_schema(struct store *s)
{
    if (s->schema >= CT_SCHEMA_VERSION)
        return 0;
    sqlite3_stmt **st = &s->rd[RD_SCHEMA];
    if (ct_sqlite_prep(s, st, sql_schema) != 0)
        return -1;
    int rc = sqlite3_step(*st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return step_fail(s, *st, "schema version");
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(*st, 0) : 0;
    sqlite3_reset(*st);
    if (v != CT_SCHEMA_VERSION)
        return 0;
    for (int slot = RD_FLOWS_SINK; slot <= RD_FLOWS_SRC; slot++) {
        if (s->rd[slot] && sqlite3_stmt_busy(s->rd[slot]))
            return 0;           /* not now; the next change of data_version retries */
        sqlite3_finalize(s->rd[slot]);
        s->rd[slot] = NULL;
    }
    s->schema = (int)v;
    return 0;
}

/* Drops the cache when it may describe another connection or rows changed
 * since (by another connection or this one). */
static int sc_validate(struct store *s)
{
    sqlite3_stmt **st = &s->rd[RD_DATA_VERSION];
    if (ct_sqlite_prep(s, st, "PRAGMA data_version") != 0)
        return -1;
    if (sqlite3_step(*st) != SQLITE_ROW)
        return step_fail(s, *st, "data_version");
    int64_t dv = sqlite3_column_int64(*st, 0);
    int64_t ch = sqlite3_total_changes64(s->db);
    sqlite3_reset(*st);
    int known = sc.owner == s->db;
    if (known && sc.data_version == dv && sc.changes == ch)
        return 0;
    sc_clear();
    if (recheck_schema(s) != 0)
        return -1;
    if (!known) {
        /* A function's destructor is the one hook SQLite runs at close: it
         * forgets the cache then, so a later connection at the same address
         * never inherits it (and nothing stays allocated). */
        if (sqlite3_create_function_v2(s->db, "crosstag_read_cache", 0, SQLITE_UTF8, s->db,
                                       sc_unused, NULL, NULL, sc_closed) != SQLITE_OK)
            return 0;               /* then simply no cache */
        /* a query walks the same index pages again and again; the default
         * 2 MB page cache makes that a read() each time */
        if (s->readonly)
            sqlite3_exec(s->db, "PRAGMA cache_size=-65536", NULL, NULL, NULL);
    }
    sc.owner = s->db;
    sc.data_version = dv;
    sc.changes = ch;
    return 0;
}

/* Runs a one-value query on obj: 1 with *v, 0 for NULL / no row, -1. */
static int one_value(struct store *s, int slot, const char *sql, int64_t obj, int64_t *v)
{
    sqlite3_stmt **st = &s->rd[slot];
    if (ct_sqlite_prep(s, st, sql) != 0)
        return -1;
    sqlite3_bind_int64(*st, 1, obj);
    int rc = sqlite3_step(*st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return step_fail(s, *st, "flow scan");
    int r = rc == SQLITE_ROW && sqlite3_column_type(*st, 0) != SQLITE_NULL;
    if (r)
        *v = sqlite3_column_int64(*st, 0);
    sqlite3_reset(*st);
    return r;
}

/* Whether obj has any rows on that side: 1 yes, 0 no, -1 error.  Cheap
 * (LIMIT 1), and it spares most scans: sources nobody wrote are common. */
static int has_rows(struct store *s, int by_sink, struct side_ent *e, int64_t obj)
{
    if (e && e->rows)
        return e->rows == 2;
    int64_t v;
    int r = one_value(s, by_sink ? RD_ANY_SINK : RD_ANY_SRC,
                      by_sink ? sql_any_sink : sql_any_src, obj, &v);
    if (r >= 0 && e)
        e->rows = r ? 2 : 1;
    return r;
}

/* Longest row of obj on that side (it has rows): 0 with *out, -1. */
static int max_len(struct store *s, int by_sink, struct side_ent *e, int64_t obj, uint64_t *out)
{
    if (e && e->have_maxlen) {
        *out = e->maxlen;
        return 0;
    }
    int64_t v = 0;
    int r = one_value(s, by_sink ? RD_MAXLEN_SINK : RD_MAXLEN_SRC,
                      by_sink ? sql_maxlen_sink : sql_maxlen_src, obj, &v);
    if (r < 0)
        return -1;
    *out = v > 0 ? (uint64_t)v : 0;   /* corrupt negative rows: the filter still holds */
    if (e) {
        e->have_maxlen = 1;
        e->maxlen = *out;
    }
    return 0;
}

/* ---- overlap scans ---- */

/* One side of a periodic row: repetition k is [off + k*step, +len). */
struct period { uint64_t off, len, step; };

/* The side's period from the row's extent [start, end): 0, or -1 for a
 * damaged row (its repetitions do not fill the extent as stored). */
static int period_of(uint64_t start, uint64_t end, uint64_t step, uint64_t reps,
                     struct period *p)
{
    if (end <= start || end > (uint64_t)INT64_MAX || step > (uint64_t)INT64_MAX ||
        step > (end - start) / (reps - 1))
        return -1;
    uint64_t span = (reps - 1) * step;          /* no overflow: <= end - start */
    *p = (struct period){ start, end - start - span, step };
    return p->len > 0 ? 0 : -1;
}

/* The repetitions [*lo, *hi) whose range on this side overlaps [start,
 * end): k with off + k*step < end and off + k*step + len > start.
 * Source ranges may overlap each other (step < len) or coincide (step 0). */
static void reps_overlapping(const struct period *p, uint64_t reps, uint64_t start, uint64_t end,
                             uint64_t *lo, uint64_t *hi)
{
    *lo = *hi = 0;
    if (p->off >= end)
        return;
    uint64_t h = p->step ? (end - p->off - 1) / p->step + 1 : reps;
    uint64_t l = 0;
    if (start >= p->off + p->len) {
        if (!p->step)
            return;
        l = (start - p->off - p->len) / p->step + 1;
    }
    *hi = h < reps ? h : reps;
    *lo = l < *hi ? l : *hi;
}

/* Hands fn the repetitions of periodic row f that overlap [start, end) on
 * the side scanned, as plain flows in repetition order.  Damaged rows are
 * skipped.  Returns fn's first non-zero result, else 0. */
static int expand_row(const struct store_flow *f, int64_t id, int by_sink, uint64_t start,
                      uint64_t end, store_flow_fn fn, void *ctx)
{
    struct period sink, src;
    if (period_of(f->sink_start, f->sink_end, f->sink_step, f->reps, &sink) != 0 ||
        period_of(f->src_start, f->src_end, f->src_step, f->reps, &src) != 0 ||
        sink.step < sink.len)
        return 0;
    uint64_t lo, hi;
    reps_overlapping(by_sink ? &sink : &src, f->reps, start, end, &lo, &hi);
    struct store_flow one = *f;
    one.reps = 1;
    one.sink_step = one.src_step = 0;
    for (uint64_t k = lo; k < hi; k++) {
        one.sink_start = sink.off + k * sink.step;
        one.sink_end = one.sink_start + sink.len;
        one.src_start = src.off + k * src.step;
        one.src_end = one.src_start + src.len;
        int r = fn(ctx, id, &one);
        if (r != 0)
            return r;
    }
    return 0;
}

/* Hands fn row f as plain flows: itself, or its repetitions. */
static int hand_out(struct store_flow *f, int64_t id, int by_sink, uint64_t start,
                    uint64_t end, store_flow_fn fn, void *ctx)
{
    if (f->reps > 1)
        return expand_row(f, id, by_sink, start, end, fn, ctx);
    f->reps = 1;                /* 0 only in a damaged row */
    f->sink_step = f->src_step = 0;
    return fn(ctx, id, f);
}

static void read_row(sqlite3_stmt *st, int64_t *id, struct store_flow *f)
{
    *id = sqlite3_column_int64(st, 0);
    f->proc = sqlite3_column_int64(st, 1);
    f->time_ns = (uint64_t)sqlite3_column_int64(st, 2);
    f->src_time_ns = (uint64_t)sqlite3_column_int64(st, 3);
    f->sysno = (uint32_t)sqlite3_column_int64(st, 4);
    f->mode = (uint32_t)sqlite3_column_int64(st, 5);
    f->sink_obj = sqlite3_column_int64(st, 6);
    f->sink_start = (uint64_t)sqlite3_column_int64(st, 7);
    f->sink_end = (uint64_t)sqlite3_column_int64(st, 8);
    f->src_obj = sqlite3_column_int64(st, 9);
    f->src_start = (uint64_t)sqlite3_column_int64(st, 10);
    f->src_end = (uint64_t)sqlite3_column_int64(st, 11);
    f->reps = (uint64_t)sqlite3_column_int64(st, 12);
    f->sink_step = (uint64_t)sqlite3_column_int64(st, 13);
    f->src_step = (uint64_t)sqlite3_column_int64(st, 14);
}

static int overlapping_one(struct store *s, int by_sink, int64_t obj,
                           uint64_t start, uint64_t end, store_flow_fn fn, void *ctx)
{
    if (sc_validate(s) != 0)
        return -1;
    struct side_ent *e = obj > 0 && sc.owner == s->db ? sc_get(obj * 2 + (by_sink ? 1 : 0)) : NULL;
    int r = has_rows(s, by_sink, e, obj);
    if (r <= 0)
        return r;                   /* error, or no rows at all */
    uint64_t lo = 0;
    if (start > 0) {
        uint64_t len = 0;
        if (max_len(s, by_sink, e, obj, &len) != 0)
            return -1;
        lo = start > len ? start - len : 0;
    }

    /* A callback may scan again (same slot): then use a private statement. */
    int slot = by_sink ? RD_FLOWS_SINK : RD_FLOWS_SRC;
    const char *sql = sql_flows[s->schema >= 2][by_sink != 0];
    sqlite3_stmt *st = NULL, *own = NULL;
    if (s->rd[slot] && sqlite3_stmt_busy(s->rd[slot])) {
        if (sqlite3_prepare_v2(s->db, sql, -1, &own, NULL) != SQLITE_OK)
            return ct_sqlite_fail(s, "prepare");
        st = own;
    } else {
        if (ct_sqlite_prep(s, &s->rd[slot], sql) != 0)
            return -1;
        st = s->rd[slot];
    }
    sqlite3_bind_int64(st, 1, obj);
    sqlite3_bind_int64(st, 2, clamp64(lo));
    sqlite3_bind_int64(st, 3, clamp64(end));
    sqlite3_bind_int64(st, 4, clamp64(start));

    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_flow f;
        int64_t id;
        read_row(st, &id, &f);
        if (hand_out(&f, id, by_sink, start, end, fn, ctx) != 0) {
            ret = 1;            /* the caller stopped the scan */
            break;
        }
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE && ret == 0)
        ret = ct_sqlite_fail(s, "flow scan");
    if (own)
        sqlite3_finalize(own);
    else
        sqlite3_reset(st);          /* ends the read transaction */
    return ret;
}

/* A network stream (`tcp:SRC>DST#ID`, `udp:...`) is one object seen from
 * two hosts: both ends name it the same, and a merged store holds a row
 * per host.  Its flows are those of every row of that name, so a query
 * walks from the receiver's host to the sender's. */
static const char sql_peers[] =
    "SELECT o2.id FROM objects o1 JOIN objects o2 ON o2.name = o1.name AND o2.host != o1.host "
    "WHERE o1.id = ?1 AND (substr(o1.name, 1, 4) = CAST('tcp:' AS BLOB) "
    "OR substr(o1.name, 1, 4) = CAST('udp:' AS BLOB)) ORDER BY o2.id";

int store_flows_overlapping(struct store *s, int by_sink, int64_t obj,
                            uint64_t start, uint64_t end, store_flow_fn fn, void *ctx)
{
    if (start >= end)
        return 0;
    int r = overlapping_one(s, by_sink, obj, start, end, fn, ctx);
    if (r != 0)
        return r < 0 ? -1 : 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql_peers, -1, &st, NULL) != SQLITE_OK)
        return ct_sqlite_fail(s, "prepare");
    sqlite3_bind_int64(st, 1, obj);
    int64_t peers[16];
    int np = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && np < 16)
        peers[np++] = sqlite3_column_int64(st, 0);
    int bad = rc != SQLITE_ROW && rc != SQLITE_DONE;
    sqlite3_finalize(st);
    if (bad)
        return ct_sqlite_fail(s, "stream peers");
    for (int i = 0; i < np; i++)
        if ((r = overlapping_one(s, by_sink, peers[i], start, end, fn, ctx)) != 0)
            return r < 0 ? -1 : 0;
    return 0;
}
