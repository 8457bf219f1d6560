/* store_sqlite_int.h — the SQLite backend's private state, shared by
 * store_sqlite.c (open/close, writing) and store_sqlite_read.c (queries).
 * Nothing outside store/ includes this.
 */
#ifndef CT_STORE_SQLITE_INT_H
#define CT_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include <stdint.h>
#include <stddef.h>

#include "store.h"

/* Version 2 added periodic flows (flows.reps, sink_step, src_step);
 * version 3 the state tracked writers left files in, version notes and
 * the flows_proc index, version 4 the alerts table.  Writers upgrade older stores at open; readers
 * read them as they are. */
#define CT_SCHEMA_VERSION 4

/* Statement slots the read side may use freely (store_sqlite_read.c):
 * prepare lazily with ct_sqlite_prep(s, &s->rd[i], sql); store_close
 * finalizes every non-NULL slot. */
#define CT_SQLITE_RD_SLOTS 24

/* One cached object identity -> newest row id (write side). */
struct ct_objcache_ent {
    int64_t host;
    uint32_t kind;
    uint64_t dev, ino;
    unsigned char *name; size_t name_len;   /* non-file kinds without ino */
    int64_t id;
    int used;
};

struct store {
    sqlite3 *db;
    char err[512];
    int in_txn;
    int readonly;
    int schema;             /* meta.schema_version, 1 to 3 (readers follow an upgrade) */
    int64_t data_version;   /* PRAGMA data_version at the last begin */

    /* write side, prepared at open in STORE_WRITE */
    sqlite3_stmt *host_get, *host_ins;
    sqlite3_stmt *proc_ins, *proc_prev_image, *proc_last_image, *proc_by_pid, *proc_end;
    sqlite3_stmt *obj_maxver, *obj_newest, *obj_by_name, *obj_ins;
    sqlite3_stmt *obj_state_get, *obj_state_set, *obj_note_set, *obj_flows_since;
    sqlite3_stmt *flow_ins, *flow_upd;

    /* open-addressing hash: object identity -> id (see store_sqlite.c) */
    struct ct_objcache_ent *oc;
    size_t oc_cap, oc_n;

    /* The newest flow row, kept in memory while later records continue it
     * (merging costs no SQL); written at the next non-continuing flow and
     * before every commit.  Only the globally newest row is extended, so
     * row id order stays write order. */
    struct {
        int have, dirty;        /* dirty: memory is ahead of the table */
        int64_t id;             /* 0 until inserted */
        struct store_flow f;
    } last;

    /* read side (store_sqlite_read.c) */
    sqlite3_stmt *rd[CT_SQLITE_RD_SLOTS];
};

/* Fills s->err with "WHAT: <sqlite error>" and returns -1. */
int ct_sqlite_fail(struct store *s, const char *what);

/* Prepares `sql` into *st the first time (persistent); later calls only
 * reset and clear bindings.  Returns 0, or -1 with s->err filled. */
int ct_sqlite_prep(struct store *s, sqlite3_stmt **st, const char *sql);

#endif
