/* store_sqlite.c — SQLite backend: open/verify/create, transactions, and the
 * collector's write path (hosts, processes, objects, flows).  The read
 * functions live in store_sqlite_read.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ct_wire.h"
#include "store_sqlite_int.h"

/* Version 4: leak-prevention decisions (docs/design.md "Leak prevention"). */
#define ALERTS_SQL \
    "CREATE TABLE IF NOT EXISTS alerts(\n" \
    "  id INTEGER PRIMARY KEY, time_ns INTEGER NOT NULL, proc INTEGER REFERENCES processes,\n" \
    "  dest TEXT NOT NULL, class TEXT NOT NULL, action TEXT NOT NULL,\n" \
    "  src_obj INTEGER REFERENCES objects, src_start INTEGER, src_end INTEGER,\n" \
    "  bytes INTEGER NOT NULL, note TEXT);\n"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);\n"
    "CREATE TABLE IF NOT EXISTS hosts(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
    "CREATE TABLE IF NOT EXISTS processes(\n"
    "  id INTEGER PRIMARY KEY, host INTEGER NOT NULL REFERENCES hosts,\n"
    "  pid INTEGER NOT NULL, start_ticks INTEGER NOT NULL, exec_seq INTEGER NOT NULL,\n"
    "  ppid INTEGER, parent INTEGER REFERENCES processes, uid INTEGER,\n"
    "  exe BLOB, argv BLOB,\n"
    "  start_ns INTEGER, end_ns INTEGER, exit_status INTEGER, lost INTEGER DEFAULT 0,\n"
    "  UNIQUE(host, pid, start_ticks, exec_seq));\n"
    "CREATE TABLE IF NOT EXISTS objects(\n"
    "  id INTEGER PRIMARY KEY, host INTEGER NOT NULL REFERENCES hosts,\n"
    "  kind INTEGER NOT NULL, dev INTEGER, ino INTEGER, version INTEGER NOT NULL DEFAULT 1,\n"
    "  name BLOB NOT NULL,\n"
    "  created_ns INTEGER, mtime_ns INTEGER, size INTEGER,\n"
    "  w_mtime_ns INTEGER, w_size INTEGER, w_time_ns INTEGER, note TEXT);\n"
    "CREATE INDEX IF NOT EXISTS objects_ident ON objects(host, kind, dev, ino, version);\n"
    "CREATE INDEX IF NOT EXISTS objects_name ON objects(name);\n"
    "CREATE TABLE IF NOT EXISTS flows(\n"
    "  id INTEGER PRIMARY KEY, proc INTEGER NOT NULL REFERENCES processes,\n"
    "  time_ns INTEGER NOT NULL, src_time_ns INTEGER NOT NULL, sysno INTEGER,\n"
    "  sink_obj INTEGER NOT NULL REFERENCES objects, sink_start INTEGER NOT NULL, sink_end INTEGER NOT NULL,\n"
    "  src_obj INTEGER NOT NULL REFERENCES objects, src_start INTEGER NOT NULL, src_end INTEGER NOT NULL,\n"
    "  mode INTEGER NOT NULL,\n"
    "  reps INTEGER NOT NULL DEFAULT 1, sink_step INTEGER NOT NULL DEFAULT 0,\n"
    "  src_step INTEGER NOT NULL DEFAULT 0);\n"
    "CREATE INDEX IF NOT EXISTS flows_sink ON flows(sink_obj, sink_start);\n"
    "CREATE INDEX IF NOT EXISTS flows_src ON flows(src_obj, src_start);\n"
    "CREATE INDEX IF NOT EXISTS flows_proc ON flows(proc);\n"
    ALERTS_SQL
    "INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '4');\n";

int ct_sqlite_fail(struct store *s, const char *what)
{
    snprintf(s->err, sizeof s->err, "%s: %s", what, sqlite3_errmsg(s->db));
    return -1;
}

int ct_sqlite_prep(struct store *s, sqlite3_stmt **st, const char *sql)
{
    if (*st) {
        sqlite3_reset(*st);
        sqlite3_clear_bindings(*st);
        return 0;
    }
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return ct_sqlite_fail(s, "prepare");
    return 0;
}

const char *store_errmsg(struct store *s)
{
    return s ? s->err : "out of memory";
}

/* ---- opening ---- */

/* mkdir -p for the folder holding `path`. */
static int mkdir_parents(const char *path, char *err, size_t errlen)
{
    char *dir = strdup(path);
    if (!dir) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) {       /* current folder or "/" */
        free(dir);
        return 0;
    }
    *slash = '\0';
    for (char *p = dir + 1;; p++) {
        int last = (*p == '\0');
        if (*p == '/' || last) {
            *p = '\0';
            struct stat st;
            if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create folder %s: %s", dir, strerror(errno));
                free(dir);
                return -1;
            }
            if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
                snprintf(err, errlen, "%s is not a folder", dir);
                free(dir);
                return -1;
            }
            if (last)
                break;
            *p = '/';
        }
    }
    free(dir);
    return 0;
}

/* SQLite reports an unwritable folder or file vaguely (or opens read-only
 * without a word); WAL also needs to create files next to the database. */
static int folder_unwritable(const char *path, char *err, size_t errlen)
{
    char *dir = strdup(path);
    if (!dir) {
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    char *slash = strrchr(dir, '/');
    const char *d = !slash ? "." : slash == dir ? "/" : (*slash = '\0', dir);
    int bad = 0;
    if (access(d, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "folder %s: %s", d, strerror(errno));
        bad = 1;
    } else if (access(path, F_OK) == 0 && access(path, R_OK | W_OK) != 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        bad = 1;
    }
    free(dir);
    return bad;
}

static int exec_sql(struct store *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(s->err, sizeof s->err, "%s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Runs one query returning a single integer; 1 row, 0 none, -1 error (the
 * SQLite result code in *rcp). */
static int query_int(struct store *s, const char *sql, int64_t *out, int *rcp)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
            return 1;
        }
    }
    *rcp = rc;
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        return 0;
    }
    snprintf(s->err, sizeof s->err, "%s", sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return -1;
}

/* Explains an odd failure: corruption if quick_check says so, else the
 * original message (already in s->err). */
static void explain_failure(struct store *s, int rc)
{
    int prim = rc & 0xff;
    if (prim == SQLITE_NOTADB) {
        snprintf(s->err, sizeof s->err, "not a crosstag database (not an SQLite file)");
        return;
    }
    if (prim == SQLITE_CORRUPT) {
        snprintf(s->err, sizeof s->err, "database is corrupt");
        return;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st, NULL) == SQLITE_OK) {
        int qrc = sqlite3_step(st);
        const char *r = qrc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
        if ((r && strcmp(r, "ok") != 0) || (qrc & 0xff) == SQLITE_CORRUPT)
            snprintf(s->err, sizeof s->err, "database is corrupt%s%s", r ? ": " : "", r ? r : "");
        else if ((qrc & 0xff) == SQLITE_NOTADB)
            snprintf(s->err, sizeof s->err, "not a crosstag database (not an SQLite file)");
    }
    sqlite3_finalize(st);
}

static int rollback_keep_err(struct store *s)
{
    char keep[sizeof s->err];
    memcpy(keep, s->err, sizeof keep);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    memcpy(s->err, keep, sizeof keep);
    return -1;
}

/* Creates the schema if the file holds no tables.  1 created (or another
 * run created it meanwhile: caller re-checks), 0 the file holds other
 * tables, -1 error.  IMMEDIATE: runs creating one new store take turns,
 * and the emptiness check and the creation see the same file. */
static int create_schema(struct store *s)
{
    int64_t n = 0, v = 0;
    int rc = 0;
    if (exec_sql(s, "BEGIN IMMEDIATE") != 0)
        return -1;
    if (query_int(s, "SELECT count(*) FROM sqlite_master", &n, &rc) < 0) {
        explain_failure(s, rc);
        return rollback_keep_err(s);
    }
    if (n != 0) {
        /* someone else's tables, or a concurrent run's fresh schema */
        int r = query_int(s, "SELECT 1 FROM sqlite_master WHERE name='meta'", &v, &rc);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return r == 1 ? 1 : 0;
    }
    if (exec_sql(s, schema_sql) != 0)
        return rollback_keep_err(s);
    return exec_sql(s, "COMMIT") == 0 ? 1 : rollback_keep_err(s);
}

static const char version_sql[] =
    "SELECT CAST(value AS INTEGER) FROM meta WHERE key='schema_version'";

/* Version 1 had no periodic flows: all its rows are plain, which is what
 * the new columns' defaults say.  ADD COLUMN with a constant default
 * rewrites no row, so this is instant on any size of store. */
static const char migrate_v1_sql[] =
    "ALTER TABLE flows ADD COLUMN reps INTEGER NOT NULL DEFAULT 1;\n"
    "ALTER TABLE flows ADD COLUMN sink_step INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE flows ADD COLUMN src_step INTEGER NOT NULL DEFAULT 0;\n"
    "UPDATE meta SET value='2' WHERE key='schema_version';\n";

/* Version 3: the state tracked writers left files in (objects.w_*), why a
 * version was started (objects.note), and flows by process (pid:N
 * queries).  The columns are NULL for old rows (nothing known: no
 * untracked-writer check); the index is the one step that reads every
 * row, once. */
static const char migrate_v2_sql[] =
    "ALTER TABLE objects ADD COLUMN w_mtime_ns INTEGER;\n"
    "ALTER TABLE objects ADD COLUMN w_size INTEGER;\n"
    "ALTER TABLE objects ADD COLUMN w_time_ns INTEGER;\n"
    "ALTER TABLE objects ADD COLUMN note TEXT;\n"
    "CREATE INDEX IF NOT EXISTS flows_proc ON flows(proc);\n"
    "UPDATE meta SET value='3' WHERE key='schema_version';\n";

/* Version 4 adds the alerts table: a new empty table, instant. */
static const char migrate_v3_sql[] =
    ALERTS_SQL
    "UPDATE meta SET value='4' WHERE key='schema_version';\n";

/* Upgrades version `from` (1, 2 or 3) by one step.  IMMEDIATE, and the
 * version re-read inside: runs opening one old store at once migrate it
 * once. */
static int migrate(struct store *s, int64_t from)
{
    int64_t v = 0;
    int rc = 0;
    if (exec_sql(s, "BEGIN IMMEDIATE") != 0)
        return -1;
    int r = query_int(s, version_sql, &v, &rc);
    if (r < 0) {
        explain_failure(s, rc);
        return rollback_keep_err(s);
    }
    if (r == 1 && v == from && exec_sql(s, from == 1 ? migrate_v1_sql : from == 2 ? migrate_v2_sql : migrate_v3_sql) != 0) {
        char keep[sizeof s->err];
        snprintf(keep, sizeof keep, "cannot upgrade schema version %lld to %lld: %.400s",
                 (long long)from, (long long)from + 1, s->err);
        memcpy(s->err, keep, sizeof keep);
        return rollback_keep_err(s);
    }
    return exec_sql(s, "COMMIT") == 0 ? 0 : rollback_keep_err(s);
}

/* Checks meta.schema_version (s->schema); with STORE_WRITE creates the
 * schema in an empty file and upgrades an older store step by step.
 * Readers take versions 1 and 2 as they are (store_sqlite_read.c reads
 * them as plain flows, without notes).  Fast path: one indexed SELECT. */
static int check_schema(struct store *s, enum store_mode mode)
{
    int64_t migrated = 0;
    for (int attempt = 0;; attempt++) {
        int64_t v = 0, n = 0;
        int rc = 0;
        int r = query_int(s, version_sql, &v, &rc);
        if (r == 1 && v >= 1 && v < CT_SCHEMA_VERSION && mode == STORE_WRITE && migrated != v) {
            if (migrate(s, v) != 0)
                return -1;
            migrated = v;
            continue;
        }
        if (r == 1) {
            if (v < 1 || v > CT_SCHEMA_VERSION || (v < CT_SCHEMA_VERSION && mode == STORE_WRITE)) {
                snprintf(s->err, sizeof s->err,
                         "unsupported schema version %lld (this crosstag knows versions 1 to %d)",
                         (long long)v, CT_SCHEMA_VERSION);
                return -1;
            }
            s->schema = (int)v;
            return 0;
        }
        if (r == 0) {
            snprintf(s->err, sizeof s->err, "not a crosstag database (no schema version)");
            return -1;
        }
        if (rc != SQLITE_ERROR) {       /* not simply "no such table" */
            explain_failure(s, rc);
            return -1;
        }
        if (mode != STORE_WRITE) {
            r = query_int(s, "SELECT count(*) FROM sqlite_master", &n, &rc);
            if (r < 0)
                explain_failure(s, rc);
            else
                snprintf(s->err, sizeof s->err, "not a crosstag database%s",
                         n ? "" : " (empty file)");
            return -1;
        }
        r = attempt ? 0 : create_schema(s);
        if (r < 0)
            return -1;
        if (r == 0) {
            snprintf(s->err, sizeof s->err, "not a crosstag database");
            return -1;
        }
    }
}

/* Switching to WAL needs the file to itself, and SQLite reports a
 * concurrent opener as busy without calling the busy handler. */
static int set_wal(struct store *s)
{
    for (int tries = 0;; tries++) {
        int rc = sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return 0;
        if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
            return ct_sqlite_fail(s, "journal_mode");
        if (tries >= 10000)
            return ct_sqlite_fail(s, "journal_mode");
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
}

static const struct { size_t off; const char *sql; } write_stmts[] = {
#define W(field, sql) { offsetof(struct store, field), sql }
    W(host_get, "SELECT id FROM hosts WHERE name=?1"),
    /* insert-then-select: concurrent runs may add the same host */
    W(host_ins, "INSERT INTO hosts(name) VALUES(?1) ON CONFLICT(name) DO NOTHING"),
    W(proc_ins, "INSERT INTO processes(host,pid,start_ticks,exec_seq,ppid,parent,uid,exe,argv,start_ns)"
                " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)"
                " ON CONFLICT(host,pid,start_ticks,exec_seq) DO NOTHING"),
    W(proc_prev_image, "SELECT id FROM processes WHERE host=?1 AND pid=?2 AND start_ticks=?3 AND exec_seq=?4"),
    W(proc_last_image, "SELECT id, exec_seq FROM processes WHERE host=?1 AND pid=?2 AND start_ticks=?3"
                       " ORDER BY exec_seq DESC LIMIT 1"),
    /* the parent's image that existed when the child started */
    W(proc_by_pid, "SELECT id FROM processes WHERE host=?1 AND pid=?2"
                   " AND (start_ns IS NULL OR start_ns<=?3) ORDER BY id DESC LIMIT 1"),
    W(proc_end, "UPDATE processes SET end_ns=?2, exit_status=?3, lost=?4 WHERE id=?1"),
    W(obj_maxver, "SELECT MAX(version) FROM objects WHERE host=?1 AND kind=?2 AND dev=?3 AND ino=?4"),
    W(obj_newest, "SELECT id FROM objects WHERE host=?1 AND kind=?2 AND dev=?3 AND ino=?4"
                  " ORDER BY version DESC LIMIT 1"),
    W(obj_by_name, "SELECT id FROM objects WHERE name=?3 AND host=?1 AND kind=?2 ORDER BY id DESC LIMIT 1"),
    W(obj_ins, "INSERT INTO objects(host,kind,dev,ino,version,name,created_ns,mtime_ns,size)"
               " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)"),
    /* the newest version and the state its last tracked writer left */
    W(obj_state_get, "SELECT id, w_mtime_ns, w_size, w_time_ns FROM objects"
                     " WHERE host=?1 AND kind=?2 AND dev=?3 AND ino=?4 ORDER BY version DESC LIMIT 1"),
    W(obj_state_set, "UPDATE objects SET w_mtime_ns=?2, w_size=?3, w_time_ns=?4 WHERE id=?1"),
    W(obj_note_set, "UPDATE objects SET note=?2 WHERE id=?1"),
    /* a tracked write after the state was taken: the state is stale */
    W(obj_flows_since, "SELECT 1 FROM flows INDEXED BY flows_sink WHERE sink_obj=?1 AND time_ns>?2 LIMIT 1"),
    W(flow_ins, "INSERT INTO flows(proc,time_ns,src_time_ns,sysno,sink_obj,sink_start,sink_end,"
                "src_obj,src_start,src_end,mode,reps,sink_step,src_step)"
                " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)"),
    W(flow_upd, "UPDATE flows SET sink_end=?2, src_end=?3, src_time_ns=?4 WHERE id=?1"),
#undef W
};

static int prepare_writes(struct store *s)
{
    for (size_t i = 0; i < sizeof write_stmts / sizeof write_stmts[0]; i++) {
        sqlite3_stmt **st = (sqlite3_stmt **)((char *)s + write_stmts[i].off);
        if (ct_sqlite_prep(s, st, write_stmts[i].sql) != 0)
            return -1;
    }
    return 0;
}

/* Another writer holds the lock.  Retry every millisecond (SQLite's own
 * timeout backs off to 100 ms sleeps and would miss the short gaps a busy
 * collector leaves between its batches), for up to about 30 s. */
static int busy_wait(void *ctx, int tries)
{
    (void)ctx;
    if (tries >= 30000)
        return 0;
    struct timespec ts = { 0, 1000000 };
    nanosleep(&ts, NULL);
    return 1;
}

struct store *store_open(const char *path, enum store_mode mode, char *err, size_t errlen)
{
    struct stat st;
    if (mode == STORE_WRITE) {
        if (mkdir_parents(path, err, errlen) != 0)
            return NULL;
    } else if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return NULL;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "is a folder");
        return NULL;
    }
    if (mode == STORE_WRITE && folder_unwritable(path, err, errlen))
        return NULL;

    struct store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->readonly = (mode == STORE_READ);
    /* NOMUTEX: a store is used by one thread; saves a lock per call */
    int flags = SQLITE_OPEN_NOMUTEX |
                (s->readonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
    errno = 0;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        int e = errno;
        if (s->db && (sqlite3_errcode(s->db) & 0xff) == SQLITE_CANTOPEN && e)
            snprintf(s->err, sizeof s->err, "%s", strerror(e));
        else
            snprintf(s->err, sizeof s->err, "%s", s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_handler(s->db, busy_wait, NULL);

    if (check_schema(s, mode) != 0)
        goto fail;
    if (!s->readonly) {
        /* WAL + NORMAL: a crash never corrupts; readers never block us. */
        if (set_wal(s) != 0 ||
            exec_sql(s, "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
                        " PRAGMA temp_store=MEMORY") != 0)
            goto fail;
        if (prepare_writes(s) != 0)
            goto fail;
    }
    return s;

fail:
    snprintf(err, errlen, "%s", s->err);
    store_close(s);
    return NULL;
}

/* ---- object cache: identity -> newest row id ---- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

/* A direction of a socket connection ("tcp:A>B#ID", "udp:A>B",
 * "unix:S>R"): both ends name it alike, so it is one object per (host,
 * name), whatever inode either end's socket has. */
static int stream_name(const struct store_obj *o)
{
    static const char *const pre[] = { "tcp:", "udp:", "unix:" };
    if (o->kind != CT_OBJ_SOCKET)
        return 0;
    for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
        size_t n = strlen(pre[i]);
        if (o->name_len > n && memcmp(o->name, pre[i], n) == 0)
            return 1;
    }
    return 0;
}

/* Socket directions and non-file objects without an inode (ttys, devices
 * seen by name) are identified by name; everything else by (dev, ino). */
static int by_name(const struct store_obj *o)
{
    return stream_name(o) || (o->kind != CT_OBJ_FILE && o->ino == 0);
}

static uint64_t obj_hash(const struct store_obj *o)
{
    uint64_t h = mix(mix(0, (uint64_t)o->host), o->kind);
    if (by_name(o)) {
        for (size_t i = 0; i < o->name_len; i++)
            h = (h ^ o->name[i]) * 0x100000001b3ULL;
        return mix(h, o->name_len);
    }
    return mix(mix(h, o->dev), o->ino);
}

static int ent_matches(const struct ct_objcache_ent *e, const struct store_obj *o)
{
    if (!e->used || e->host != o->host || e->kind != o->kind)
        return 0;
    if (by_name(o))
        return e->name && e->name_len == o->name_len && memcmp(e->name, o->name, o->name_len) == 0;
    return !e->name && e->dev == o->dev && e->ino == o->ino;
}

static void cache_clear(struct store *s)
{
    for (size_t i = 0; i < s->oc_cap; i++)
        free(s->oc[i].name);
    free(s->oc);
    s->oc = NULL;
    s->oc_cap = s->oc_n = 0;
}

static struct ct_objcache_ent *cache_slot(struct store *s, const struct store_obj *o)
{
    if (!s->oc_cap)
        return NULL;
    size_t mask = s->oc_cap - 1;
    for (size_t i = obj_hash(o) & mask;; i = (i + 1) & mask)
        if (!s->oc[i].used || ent_matches(&s->oc[i], o))
            return &s->oc[i];
}

static int64_t cache_get(struct store *s, const struct store_obj *o)
{
    struct ct_objcache_ent *e = cache_slot(s, o);
    return e && e->used ? e->id : 0;
}

static void cache_put(struct store *s, const struct store_obj *o, int64_t id)
{
    /* Bounded: a run touching millions of objects just starts over. */
    if (s->oc_n + 1 > s->oc_cap / 2) {
        if (s->oc_cap >= (1u << 21))
            cache_clear(s);
        size_t ncap = s->oc_cap ? s->oc_cap * 2 : 1024;
        struct ct_objcache_ent *old = s->oc, *n = calloc(ncap, sizeof *n);
        size_t ocap = s->oc_cap;
        if (!n)
            return;                     /* caching is optional */
        s->oc = n;
        s->oc_cap = ncap;
        for (size_t i = 0; i < ocap; i++) {
            if (!old[i].used)
                continue;
            struct store_obj k = { .host = old[i].host, .kind = old[i].kind, .dev = old[i].dev,
                                   .ino = old[i].ino, .name = old[i].name, .name_len = old[i].name_len };
            *cache_slot(s, &k) = old[i];
        }
        free(old);
    }
    struct ct_objcache_ent *e = cache_slot(s, o);
    if (e->used) {
        e->id = id;
        return;
    }
    unsigned char *name = NULL;
    if (by_name(o)) {
        name = malloc(o->name_len ? o->name_len : 1);
        if (!name)
            return;
        memcpy(name, o->name, o->name_len);
    }
    *e = (struct ct_objcache_ent){ .host = o->host, .kind = o->kind, .dev = o->dev, .ino = o->ino,
                                   .name = name, .name_len = o->name_len, .id = id, .used = 1 };
    s->oc_n++;
}

/* Forgets everything that may describe rows another writer or a rollback
 * has changed. */
static void forget_cached(struct store *s, int rows_gone)
{
    cache_clear(s);
    if (rows_gone)
        memset(&s->last, 0, sizeof s->last);
}

/* ---- transactions ---- */

static int flush_flow(struct store *s);

int store_begin(struct store *s)
{
    if (s->in_txn)
        return 0;
    /* data_version moves when another connection committed: our cached
     * "newest version" ids may be stale then. */
    int64_t dv = 0;
    int rc;
    if (query_int(s, "PRAGMA data_version", &dv, &rc) == 1 && dv != s->data_version) {
        /* and another run's rows may now follow our newest flow row:
         * extending it would break "row id order = write order" */
        flush_flow(s);
        forget_cached(s, 1);
        s->data_version = dv;
    }
    /* IMMEDIATE takes the write lock now (waiting up to busy_timeout), so
     * no other writer changes versions under our cache mid-batch. */
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return ct_sqlite_fail(s, "begin");
    s->in_txn = 1;
    return 0;
}

int store_commit(struct store *s)
{
    if (flush_flow(s) != 0)
        return -1;
    if (!s->in_txn)
        return 0;
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        ct_sqlite_fail(s, "commit");
        if (sqlite3_get_autocommit(s->db)) {    /* SQLite rolled it back */
            s->in_txn = 0;
            forget_cached(s, 1);
        }
        return -1;
    }
    s->in_txn = 0;
    int64_t dv;
    int rc;
    if (query_int(s, "PRAGMA data_version", &dv, &rc) == 1)
        s->data_version = dv;           /* our own commit does not count */
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    if (!s->readonly && store_commit(s) != 0 && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    for (size_t i = 0; i < sizeof write_stmts / sizeof write_stmts[0]; i++)
        sqlite3_finalize(*(sqlite3_stmt **)((char *)s + write_stmts[i].off));
    for (int i = 0; i < CT_SQLITE_RD_SLOTS; i++)
        sqlite3_finalize(s->rd[i]);
    cache_clear(s);
    sqlite3_close(s->db);
    free(s);
}

/* ---- writing ---- */

/* Steps a prepared statement expected to return at most one integer row:
 * 1 row (*out set), 0 none, -1 error. */
static int step_int(struct store *s, sqlite3_stmt *st, int64_t *out, const char *what)
{
    int rc = sqlite3_step(st);
    int r = 0;
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        r = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : 1;
    } else if (rc != SQLITE_DONE) {
        r = ct_sqlite_fail(s, what);
    }
    sqlite3_reset(st);
    return r;
}

static int step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : ct_sqlite_fail(s, what);
}

static int readonly_fail(struct store *s)
{
    snprintf(s->err, sizeof s->err, "store opened read-only");
    return -1;
}

int64_t store_host(struct store *s, const char *name)
{
    if (s->readonly)
        return readonly_fail(s);
    int64_t id;
    sqlite3_bind_text(s->host_ins, 1, name, -1, SQLITE_STATIC);
    int r = step_done(s, s->host_ins, "host insert");
    sqlite3_clear_bindings(s->host_ins);
    if (r < 0)
        return -1;
    sqlite3_bind_text(s->host_get, 1, name, -1, SQLITE_STATIC);
    r = step_int(s, s->host_get, &id, "host lookup");
    sqlite3_clear_bindings(s->host_get);
    if (r == 0)
        snprintf(s->err, sizeof s->err, "host lookup: row vanished");
    return r == 1 ? id : -1;
}

/* The previous image of the same process, else the parent process's newest
 * image that was already running; 0 when unknown. */
static int64_t find_parent(struct store *s, const struct store_proc *p)
{
    int64_t id = 0;
    if (p->exec_seq > 0) {
        sqlite3_stmt *st = s->proc_prev_image;
        sqlite3_bind_int64(st, 1, p->host);
        sqlite3_bind_int64(st, 2, p->pid);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)p->start_ticks);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)p->exec_seq - 1);
        int r = step_int(s, st, &id, "parent lookup");
        if (r != 0)
            return r < 0 ? -1 : id;
    }
    sqlite3_stmt *st = s->proc_by_pid;
    sqlite3_bind_int64(st, 1, p->host);
    sqlite3_bind_int64(st, 2, p->ppid);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)p->start_ns);
    int r = step_int(s, st, &id, "parent lookup");
    return r < 0 ? -1 : r ? id : 0;
}

/* 1 inserted, 0 that image is already recorded, -1 error. */
static int insert_proc(struct store *s, const struct store_proc *p, int64_t exec_seq, int64_t parent)
{
    sqlite3_stmt *st = s->proc_ins;
    sqlite3_bind_int64(st, 1, p->host);
    sqlite3_bind_int64(st, 2, p->pid);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)p->start_ticks);
    sqlite3_bind_int64(st, 4, exec_seq);
    sqlite3_bind_int64(st, 5, p->ppid);
    if (parent)
        sqlite3_bind_int64(st, 6, parent);
    else
        sqlite3_bind_null(st, 6);
    sqlite3_bind_int64(st, 7, p->uid);
    sqlite3_bind_blob(st, 8, p->exe_len ? (const void *)p->exe : "", (int)p->exe_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 9, p->argv_len ? (const void *)p->argv : "", (int)p->argv_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)p->start_ns);
    int r = step_done(s, st, "process insert");
    sqlite3_clear_bindings(st);
    return r < 0 ? -1 : sqlite3_changes(s->db) == 1;
}

int64_t store_proc_begin(struct store *s, const struct store_proc *p)
{
    if (s->readonly)
        return readonly_fail(s);
    if (p->exe_len > 0x7fffffff || p->argv_len > 0x7fffffff) {
        snprintf(s->err, sizeof s->err, "process strings too long");
        return -1;
    }
    if (p->resume) {
        /* A tracker back after its agent died: its newest image is it. */
        sqlite3_stmt *st = s->proc_last_image;
        sqlite3_bind_int64(st, 1, p->host);
        sqlite3_bind_int64(st, 2, p->pid);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)p->start_ticks);
        int rc = sqlite3_step(st);
        int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        if (rc == SQLITE_ROW)
            return id;
        if (rc != SQLITE_DONE) {
            ct_sqlite_fail(s, "process lookup");
            return -1;
        }
    }
    int64_t parent = find_parent(s, p);
    if (parent < 0)
        return -1;
    int r = insert_proc(s, p, p->exec_seq, parent);
    if (r != 0)
        return r < 0 ? -1 : sqlite3_last_insert_rowid(s->db);

    /* Every connection is a new image, so a taken (pid, start_ticks,
     * exec_seq) means the tracker did not count this exec (or pid and
     * ticks came back after a reboot): record it as the next image. */
    sqlite3_stmt *st = s->proc_last_image;
    sqlite3_bind_int64(st, 1, p->host);
    sqlite3_bind_int64(st, 2, p->pid);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)p->start_ticks);
    int rc = sqlite3_step(st);
    int64_t prev = 0, seq = 0;
    if (rc == SQLITE_ROW) {
        prev = sqlite3_column_int64(st, 0);
        seq = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE)
            snprintf(s->err, sizeof s->err, "process insert: conflicting row vanished");
        else
            ct_sqlite_fail(s, "process lookup");
        return -1;
    }
    r = insert_proc(s, p, seq + 1, prev);
    if (r == 0)
        snprintf(s->err, sizeof s->err, "process insert: image %lld recorded twice", (long long)seq + 1);
    return r == 1 ? sqlite3_last_insert_rowid(s->db) : -1;
}

int store_proc_end(struct store *s, int64_t proc, uint64_t end_ns, int32_t status, uint64_t lost)
{
    if (s->readonly)
        return readonly_fail(s);
    sqlite3_stmt *st = s->proc_end;
    sqlite3_bind_int64(st, 1, proc);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)end_ns);
    sqlite3_bind_int64(st, 3, status);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)lost);
    return step_done(s, st, "process end");
}

static int64_t obj_insert(struct store *s, const struct store_obj *o, int64_t version)
{
    sqlite3_stmt *st = s->obj_ins;
    sqlite3_bind_int64(st, 1, o->host);
    sqlite3_bind_int64(st, 2, o->kind);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)o->dev);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)o->ino);
    sqlite3_bind_int64(st, 5, version);
    sqlite3_bind_blob(st, 6, o->name_len ? (const void *)o->name : "", (int)o->name_len, SQLITE_STATIC);
    /* created_ns only when we saw the version start; unknown otherwise */
    if (o->new_version)
        sqlite3_bind_int64(st, 7, (sqlite3_int64)o->time_ns);
    else
        sqlite3_bind_null(st, 7);
    if (o->kind == CT_OBJ_FILE) {
        sqlite3_bind_int64(st, 8, o->mtime_ns);
        sqlite3_bind_int64(st, 9, (sqlite3_int64)o->size);
    } else {
        sqlite3_bind_null(st, 8);
        sqlite3_bind_null(st, 9);
    }
    int r = step_done(s, st, "object insert");
    sqlite3_clear_bindings(st);
    return r < 0 ? -1 : sqlite3_last_insert_rowid(s->db);
}

static void bind_ident(sqlite3_stmt *st, const struct store_obj *o)
{
    sqlite3_bind_int64(st, 1, o->host);
    sqlite3_bind_int64(st, 2, o->kind);
    if (by_name(o)) {
        sqlite3_bind_blob(st, 3, o->name_len ? (const void *)o->name : "", (int)o->name_len, SQLITE_STATIC);
    } else {
        sqlite3_bind_int64(st, 3, (sqlite3_int64)o->dev);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)o->ino);
    }
}

/* A file declared by a tracked process: did someone else change it since
 * its last tracked writer left it?  Yes when the declaration's stat was
 * taken after that writer's state and shows another mtime or size, and no
 * tracked write came after the state (a writer still at it).  Returns 1
 * with a reason in why, 0 no (or nothing known), -1 error. */
static int untracked_change(struct store *s, const struct store_obj *o, char *why, size_t wn)
{
    sqlite3_stmt *st = s->obj_state_get;
    sqlite3_bind_int64(st, 1, o->host);
    sqlite3_bind_int64(st, 2, o->kind);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)o->dev);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)o->ino);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return rc == SQLITE_DONE ? 0 : ct_sqlite_fail(s, "object state lookup");
    }
    int64_t id = sqlite3_column_int64(st, 0);
    int known = sqlite3_column_type(st, 3) != SQLITE_NULL;
    int64_t w_mtime = sqlite3_column_int64(st, 1), w_size = sqlite3_column_int64(st, 2);
    uint64_t w_time = (uint64_t)sqlite3_column_int64(st, 3);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (!known || o->time_ns <= w_time ||
        (o->mtime_ns == w_mtime && (int64_t)o->size == w_size))
        return 0;
    int64_t v = 0;
    if (flush_flow(s) != 0)     /* the newest row may still be in memory */
        return -1;
    st = s->obj_flows_since;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)w_time);
    int r = step_int(s, st, &v, "object flow lookup");
    sqlite3_clear_bindings(st);
    if (r != 0)
        return r < 0 ? -1 : 0;
    snprintf(why, wn, "changed by an untracked writer after the last tracked write: "
             "size %lld -> %llu, mtime %+.3f s", (long long)w_size,
             (unsigned long long)o->size, (double)(o->mtime_ns - w_mtime) / 1e9);
    return 1;
}

int store_obj_state(struct store *s, int64_t obj, int64_t mtime_ns, uint64_t size, uint64_t time_ns)
{
    if (s->readonly)
        return readonly_fail(s);
    sqlite3_stmt *st = s->obj_state_set;
    sqlite3_bind_int64(st, 1, obj);
    sqlite3_bind_int64(st, 2, mtime_ns);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)size);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)time_ns);
    int r = step_done(s, st, "object state");
    sqlite3_clear_bindings(st);
    return r;
}

static int set_note(struct store *s, int64_t obj, const char *note)
{
    sqlite3_stmt *st = s->obj_note_set;
    sqlite3_bind_int64(st, 1, obj);
    sqlite3_bind_text(st, 2, note, -1, SQLITE_STATIC);
    int r = step_done(s, st, "object note");
    sqlite3_clear_bindings(st);
    return r;
}

int64_t store_object(struct store *s, const struct store_obj *o)
{
    if (s->readonly)
        return readonly_fail(s);
    if (o->name_len > 0x7fffffff) {
        snprintf(s->err, sizeof s->err, "object name too long");
        return -1;
    }
    int64_t id = 0, maxver = 0;
    char why[256];
    int r, changed = 0;
    if (o->kind == CT_OBJ_FILE && !o->new_version) {
        changed = untracked_change(s, o, why, sizeof why);
        if (changed < 0)
            return -1;
    }
    if (o->kind == CT_OBJ_FILE && (o->new_version || changed)) {
        bind_ident(s->obj_maxver, o);
        r = step_int(s, s->obj_maxver, &maxver, "object version lookup");
        sqlite3_clear_bindings(s->obj_maxver);
        if (r < 0)
            return -1;
        id = obj_insert(s, o, maxver + 1);
        if (id > 0 && changed && set_note(s, id, why) != 0)
            return -1;
    } else {
        id = cache_get(s, o);
        if (id)
            return id;
        sqlite3_stmt *st = by_name(o) ? s->obj_by_name : s->obj_newest;
        bind_ident(st, o);
        r = step_int(s, st, &id, "object lookup");
        sqlite3_clear_bindings(st);
        if (r < 0)
            return -1;
        if (r == 0)
            id = obj_insert(s, o, 1);
    }
    if (id > 0)
        cache_put(s, o, id);
    return id;
}

/* Writes the in-memory newest row if the table is behind it. */
static int flush_flow(struct store *s)
{
    if (!s->last.have || !s->last.dirty)
        return 0;
    const struct store_flow *f = &s->last.f;
    sqlite3_stmt *st;
    if (s->last.id) {
        st = s->flow_upd;
        sqlite3_bind_int64(st, 1, s->last.id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)f->sink_end);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)f->src_end);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)f->src_time_ns);
    } else {
        st = s->flow_ins;
        sqlite3_bind_int64(st, 1, f->proc);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)f->time_ns);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)f->src_time_ns);
        sqlite3_bind_int64(st, 4, f->sysno);
        sqlite3_bind_int64(st, 5, f->sink_obj);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)f->sink_start);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)f->sink_end);
        sqlite3_bind_int64(st, 8, f->src_obj);
        sqlite3_bind_int64(st, 9, (sqlite3_int64)f->src_start);
        sqlite3_bind_int64(st, 10, (sqlite3_int64)f->src_end);
        sqlite3_bind_int64(st, 11, f->mode);
        sqlite3_bind_int64(st, 12, (sqlite3_int64)f->reps);
        sqlite3_bind_int64(st, 13, (sqlite3_int64)f->sink_step);
        sqlite3_bind_int64(st, 14, (sqlite3_int64)f->src_step);
    }
    if (step_done(s, st, "flow write") != 0) {
        s->last.have = 0;       /* do not retry one bad row forever */
        return -1;
    }
    if (!s->last.id)
        s->last.id = sqlite3_last_insert_rowid(s->db);
    s->last.dirty = 0;
    return 0;
}

/* The end of the last repetition on one side, from the end of the first;
 * -1 when past what SQLite holds (signed 64-bit). */
static int last_end(uint64_t end, uint64_t step, uint64_t reps, uint64_t *out)
{
    if (end > (uint64_t)INT64_MAX || step > ((uint64_t)INT64_MAX - end) / (reps - 1))
        return -1;
    *out = end + (reps - 1) * step;
    return 0;
}

static int bad_flow(struct store *s, const char *why)
{
    snprintf(s->err, sizeof s->err, "flow not stored: %s", why);
    return -1;
}

/* The row for f (see the schema in docs/design.md): a periodic row's ends
 * are those of its last repetition, so its ranges cover its whole extent
 * and the overlap scans need no change; a plain row has reps 1, steps 0. */
static int flow_row(struct store *s, const struct store_flow *f, struct store_flow *row)
{
    *row = *f;
    if (f->reps <= 1) {
        row->reps = 1;
        row->sink_step = row->src_step = 0;
        return 0;
    }
    if (f->sink_end < f->sink_start || f->src_end < f->src_start)
        return bad_flow(s, "periodic flow with a reversed range");
    if (f->sink_step < f->sink_end - f->sink_start)
        return bad_flow(s, "periodic flow whose repetitions overlap in the sink");
    if (last_end(f->sink_end, f->sink_step, f->reps, &row->sink_end) != 0 ||
        last_end(f->src_end, f->src_step, f->reps, &row->src_end) != 0)
        return bad_flow(s, "periodic flow beyond 2^63");
    /* contiguous aligned repetitions are one plain aligned flow (and may merge) */
    if (f->mode == CT_MODE_ALIGNED && f->sink_step == f->sink_end - f->sink_start &&
        f->src_step == f->src_end - f->src_start) {
        row->reps = 1;
        row->sink_step = row->src_step = 0;
    }
    return 0;
}

int store_flow(struct store *s, const struct store_flow *in)
{
    if (s->readonly)
        return readonly_fail(s);
    struct store_flow row, *f = &row;
    if (flow_row(s, in, &row) != 0)
        return -1;
    struct store_flow *p = &s->last.f;
    /* only plain rows merge: a periodic row's extent is not its bytes */
    if (s->last.have && f->mode == CT_MODE_ALIGNED && p->mode == CT_MODE_ALIGNED &&
        f->reps == 1 && p->reps == 1 &&
        p->proc == f->proc && p->sink_obj == f->sink_obj && p->src_obj == f->src_obj &&
        f->sink_start == p->sink_end && f->src_start == p->src_end) {
        /* A merged row keeps its first write time and its latest read
         * time, so "written before read" comparisons over-approximate
         * and never miss a flow. */
        p->sink_end = f->sink_end;
        p->src_end = f->src_end;
        if (f->src_time_ns > p->src_time_ns)
            p->src_time_ns = f->src_time_ns;
        s->last.dirty = 1;
        return 0;
    }
    int r = flush_flow(s);
    s->last.have = 1;
    s->last.dirty = 1;
    s->last.id = 0;
    s->last.f = *f;
    return r;
}
