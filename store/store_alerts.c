/* store_alerts.c — the alerts table (schema version 4): one row per
 * leak-prevention decision.  Alerts are rare: statements are prepared per
 * call. */
#include <stdio.h>
#include <string.h>

#include "store_sqlite_int.h"

int store_alert(struct store *s, const struct store_alert *a)
{
    sqlite3_stmt *st = NULL;
    if (s->schema < 4) {
        snprintf(s->err, sizeof s->err, "this store (schema version %d) has no alerts table", s->schema);
        return -1;
    }
    if (sqlite3_prepare_v2(s->db,
            "INSERT INTO alerts(time_ns, proc, dest, class, action, src_obj, src_start, src_end,"
            " bytes, note) VALUES(?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
        return ct_sqlite_fail(s, "prepare alert");
    sqlite3_bind_int64(st, 1, (int64_t)a->time_ns);
    if (a->proc > 0)
        sqlite3_bind_int64(st, 2, a->proc);
    sqlite3_bind_text(st, 3, a->dest, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, a->cls, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, a->action, -1, SQLITE_STATIC);
    if (a->src_obj > 0) {
        sqlite3_bind_int64(st, 6, a->src_obj);
        sqlite3_bind_int64(st, 7, (int64_t)a->src_start);
        sqlite3_bind_int64(st, 8, (int64_t)a->src_end);
    }
    sqlite3_bind_int64(st, 9, (int64_t)a->bytes);
    if (a->note)
        sqlite3_bind_text(st, 10, a->note, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ct_sqlite_fail(s, "insert alert");
}

static const char *col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

int store_alerts(struct store *s, store_alert_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    if (s->schema < 4)
        return 0;              /* older stores hold no alerts */
    if (sqlite3_prepare_v2(s->db,
            "SELECT a.id, a.time_ns, p.pid, h.name, p.argv, a.dest, a.class, a.action,"
            " sh.name, o.name, a.src_start, a.src_end, a.bytes, a.note"
            " FROM alerts a LEFT JOIN processes p ON p.id = a.proc"
            " LEFT JOIN hosts h ON h.id = p.host LEFT JOIN objects o ON o.id = a.src_obj"
            " LEFT JOIN hosts sh ON sh.id = o.host ORDER BY a.id", -1, &st, NULL) != SQLITE_OK)
        return ct_sqlite_fail(s, "prepare alerts");
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_alertinfo a = {
            .id = sqlite3_column_int64(st, 0), .time_ns = (uint64_t)sqlite3_column_int64(st, 1),
            .pid = sqlite3_column_int(st, 2), .host = col(st, 3), .argv0 = col(st, 4),
            .dest = col(st, 5), .cls = col(st, 6), .action = col(st, 7), .src_host = col(st, 8),
            .src_obj = col(st, 9), .src_start = (uint64_t)sqlite3_column_int64(st, 10),
            .src_end = (uint64_t)sqlite3_column_int64(st, 11),
            .bytes = (uint64_t)sqlite3_column_int64(st, 12), .note = col(st, 13),
        };
        stop = fn(ctx, &a);
    }
    if (!stop && rc != SQLITE_DONE) {
        ct_sqlite_fail(s, "read alerts");
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}
