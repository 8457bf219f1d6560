/* store_sqlite_read.c — the SQLite backend's read side (queries): object
 * lookup, object and process details, and overlap scans over the flows.
 *
 * Overlap scans: the indexes are (sink_obj, sink_start) and (src_obj,
 * src_start), so "start < END AND end > START" alone bounds the index scan
 * only from above and would walk every row of the object below END.  We
 * also bound it from below with START - maxlen, where maxlen is the longest
 * row of that object on that side: every overlapping row starts there or
 * later.  maxlen costs one pass over the object's rows, so it is cached per
 * connection and dropped whenever another connection commits (PRAGMA
 * data_version), and skipped entirely for scans starting at offset 0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "store_sqlite_int.h"

enum {
    RD_FIND_IDENT, RD_FIND_NAME, RD_FIND_NAME_KIND, RD_OBJ_INFO, RD_PROC_INFO,
    RD_FLOWS_SINK, RD_FLOWS_SRC, RD_MAXLEN_SINK, RD_MAXLEN_SRC, RD_DATA_VERSION,
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
static const char sql_obj_info[] =
    "SELECT " OBJ_COLS OBJ_FROM " WHERE o.id = ?1";
static const char sql_proc_info[] =
    "SELECT id, pid, start_ticks, argv FROM processes WHERE id = ?1";

#define FLOW_COLS "id, proc, time_ns, src_time_ns, sysno, mode," \
                  " sink_obj, sink_start, sink_end, src_obj, src_start, src_end"
/* INDEXED BY: ORDER BY id must never tempt the planner into a table scan. */
static const char sql_flows_sink[] =
    "SELECT " FLOW_COLS " FROM flows INDEXED BY flows_sink"
    " WHERE sink_obj = ?1 AND sink_start >= ?2 AND sink_start < ?3 AND sink_end > ?4"
    " ORDER BY id";
static const char sql_flows_src[] =
    "SELECT " FLOW_COLS " FROM flows INDEXED BY flows_src"
    " WHERE src_obj = ?1 AND src_start >= ?2 AND src_start < ?3 AND src_end > ?4"
    " ORDER BY id";
static const char sql_maxlen_sink[] =
    "SELECT max(sink_end - sink_start) FROM flows INDEXED BY flows_sink WHERE sink_obj = ?1";
static const char sql_maxlen_src[] =
    "SELECT max(src_end - src_start) FROM flows INDEXED BY flows_src WHERE src_obj = ?1";

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

/* ---- processes ---- */

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
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(*st, 0);
    out->pid = (int32_t)sqlite3_column_int64(*st, 1);
    out->start_ticks = (uint64_t)sqlite3_column_int64(*st, 2);
    const void *argv = sqlite3_column_blob(*st, 3);
    size_t len = (size_t)sqlite3_column_bytes(*st, 3);
    out->argv = malloc(len + 1);
    if (!out->argv) {
        sqlite3_reset(*st);
        snprintf(s->err, sizeof s->err, "out of memory");
        return -1;
    }
    if (len)
        memcpy(out->argv, argv, len);
    out->argv[len] = '\0';
    out->argv_len = len;
    sqlite3_reset(*st);
    return 0;
}

/* ---- the maxlen cache (see the top of the file) ---- */

struct maxlen_ent { int64_t key; int64_t maxlen; };   /* key: obj*2 + by_sink, 0 = empty */

static struct {
    struct store *owner;
    int64_t data_version;
    struct maxlen_ent *tab;
    size_t cap, n;
} ml;

static void ml_clear(void)
{
    free(ml.tab);
    memset(&ml, 0, sizeof ml);
}

static size_t ml_hash(int64_t key, size_t cap)
{
    uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 17) & (cap - 1);
}

static struct maxlen_ent *ml_slot(int64_t key)
{
    for (size_t i = ml_hash(key, ml.cap);; i = (i + 1) & (ml.cap - 1))
        if (ml.tab[i].key == key || ml.tab[i].key == 0)
            return &ml.tab[i];
}

static void ml_put(int64_t key, int64_t maxlen)
{
    if (ml.n + 1 > ml.cap / 2) {
        size_t ncap = ml.cap ? ml.cap * 2 : 256;
        struct maxlen_ent *old = ml.tab, *n = calloc(ncap, sizeof *n);
        size_t ocap = ml.cap;
        if (!n)
            return;                 /* the cache is optional */
        ml.tab = n;
        ml.cap = ncap;
        for (size_t i = 0; i < ocap; i++)
            if (old[i].key)
                *ml_slot(old[i].key) = old[i];
        free(old);
    }
    struct maxlen_ent *e = ml_slot(key);
    if (!e->key)
        ml.n++;
    e->key = key;
    e->maxlen = maxlen;
}

/* Drops the cache when it may describe another connection or rows another
 * connection has since changed. */
static int ml_validate(struct store *s)
{
    /* an unprepared slot means a connection we have not used yet */
    int fresh = s->rd[RD_DATA_VERSION] == NULL;
    sqlite3_stmt **st = &s->rd[RD_DATA_VERSION];
    if (ct_sqlite_prep(s, st, "PRAGMA data_version") != 0)
        return -1;
    if (sqlite3_step(*st) != SQLITE_ROW)
        return step_fail(s, *st, "data_version");
    int64_t dv = sqlite3_column_int64(*st, 0);
    sqlite3_reset(*st);
    if (fresh || ml.owner != s || ml.data_version != dv) {
        ml_clear();
        ml.owner = s;
        ml.data_version = dv;
    }
    return 0;
}

/* Longest row of `obj` on one side: 1 with *out, 0 if it has no rows, -1. */
static int maxlen(struct store *s, int by_sink, int64_t obj, uint64_t *out)
{
    if (ml_validate(s) != 0)
        return -1;
    int64_t key = obj * 2 + (by_sink ? 1 : 0);
    if (ml.cap && key) {
        struct maxlen_ent *e = ml_slot(key);
        if (e->key == key) {
            if (e->maxlen < 0)
                return 0;
            *out = (uint64_t)e->maxlen;
            return 1;
        }
    }
    sqlite3_stmt **st = &s->rd[by_sink ? RD_MAXLEN_SINK : RD_MAXLEN_SRC];
    if (ct_sqlite_prep(s, st, by_sink ? sql_maxlen_sink : sql_maxlen_src) != 0)
        return -1;
    sqlite3_bind_int64(*st, 1, obj);
    if (sqlite3_step(*st) != SQLITE_ROW)
        return step_fail(s, *st, "flow scan");
    int none = sqlite3_column_type(*st, 0) == SQLITE_NULL;
    int64_t v = sqlite3_column_int64(*st, 0);
    sqlite3_reset(*st);
    if (!none && v < 0)
        v = 0;                      /* a corrupt row; the scan filter still holds */
    if (key)
        ml_put(key, none ? -1 : v);
    if (none)
        return 0;
    *out = (uint64_t)v;
    return 1;
}

/* ---- overlap scans ---- */

int store_flows_overlapping(struct store *s, int by_sink, int64_t obj,
                            uint64_t start, uint64_t end, store_flow_fn fn, void *ctx)
{
    if (start >= end)
        return 0;
    uint64_t lo = 0;
    if (start > 0) {
        uint64_t ml_len = 0;
        int r = maxlen(s, by_sink, obj, &ml_len);
        if (r <= 0)
            return r;               /* error, or no rows at all */
        lo = start > ml_len ? start - ml_len : 0;
    }

    /* A callback may scan again (same slot): then use a private statement. */
    int slot = by_sink ? RD_FLOWS_SINK : RD_FLOWS_SRC;
    const char *sql = by_sink ? sql_flows_sink : sql_flows_src;
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
        int64_t id = sqlite3_column_int64(st, 0);
        f.proc = sqlite3_column_int64(st, 1);
        f.time_ns = (uint64_t)sqlite3_column_int64(st, 2);
        f.src_time_ns = (uint64_t)sqlite3_column_int64(st, 3);
        f.sysno = (uint32_t)sqlite3_column_int64(st, 4);
        f.mode = (uint32_t)sqlite3_column_int64(st, 5);
        f.sink_obj = sqlite3_column_int64(st, 6);
        f.sink_start = (uint64_t)sqlite3_column_int64(st, 7);
        f.sink_end = (uint64_t)sqlite3_column_int64(st, 8);
        f.src_obj = sqlite3_column_int64(st, 9);
        f.src_start = (uint64_t)sqlite3_column_int64(st, 10);
        f.src_end = (uint64_t)sqlite3_column_int64(st, 11);
        if (fn(ctx, id, &f) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        ret = ct_sqlite_fail(s, "flow scan");
    if (own)
        sqlite3_finalize(own);
    else
        sqlite3_reset(st);          /* ends the read transaction */
    return ret;
}
