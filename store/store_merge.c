/* store_merge.c — store_merge(): copies another host's store into this one
 * (`crosstag db merge`).  Rows are matched by what identifies them, not by
 * id: hosts by name; processes by (host, pid, start_ticks, exec_seq);
 * objects by (host, kind, dev, ino, version, name); flows by all their
 * columns.  So merging a store twice adds nothing, and stores that share
 * rows (one merged before) add only what is new.  All in one transaction:
 * a failed merge leaves the destination as it was. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_sqlite_int.h"

static const char merge_sql[] =
    "INSERT INTO hosts(name) SELECT name FROM src.hosts s\n"
    "  WHERE NOT EXISTS (SELECT 1 FROM main.hosts m WHERE m.name = s.name);\n"
    "CREATE TEMP TABLE hmap AS SELECT s.id AS sid, m.id AS mid\n"
    "  FROM src.hosts s JOIN main.hosts m ON m.name = s.name;\n"
    "INSERT OR IGNORE INTO processes(host, pid, start_ticks, exec_seq, ppid, uid, exe, argv,\n"
    "                                start_ns, end_ns, exit_status, lost)\n"
    "  SELECT h.mid, p.pid, p.start_ticks, p.exec_seq, p.ppid, p.uid, p.exe, p.argv,\n"
    "         p.start_ns, p.end_ns, p.exit_status, p.lost\n"
    "  FROM src.processes p JOIN hmap h ON h.sid = p.host ORDER BY p.id;\n"
    "CREATE TEMP TABLE pmap AS SELECT p.id AS sid, m.id AS mid, p.parent AS sparent\n"
    "  FROM src.processes p JOIN hmap h ON h.sid = p.host\n"
    "  JOIN main.processes m ON m.host = h.mid AND m.pid = p.pid\n"
    "   AND m.start_ticks = p.start_ticks AND m.exec_seq = p.exec_seq;\n"
    "CREATE INDEX temp.pmap_sid ON pmap(sid);\n"
    "UPDATE main.processes SET parent = (SELECT pp.mid FROM pmap pm JOIN pmap pp ON pp.sid = pm.sparent\n"
    "                                    WHERE pm.mid = processes.id)\n"
    "  WHERE parent IS NULL AND id IN (SELECT mid FROM pmap WHERE sparent IS NOT NULL);\n"
    "INSERT INTO objects(host, kind, dev, ino, version, name, created_ns, mtime_ns, size)\n"
    "  SELECT h.mid, o.kind, o.dev, o.ino, o.version, o.name, o.created_ns, o.mtime_ns, o.size\n"
    "  FROM src.objects o JOIN hmap h ON h.sid = o.host\n"
    "  WHERE NOT EXISTS (SELECT 1 FROM main.objects m WHERE m.host = h.mid AND m.kind = o.kind\n"
    "        AND m.dev IS o.dev AND m.ino IS o.ino AND m.version = o.version AND m.name = o.name)\n"
    "  ORDER BY o.id;\n"
    "CREATE TEMP TABLE omap AS SELECT o.id AS sid, min(m.id) AS mid\n"
    "  FROM src.objects o JOIN hmap h ON h.sid = o.host\n"
    "  JOIN main.objects m ON m.host = h.mid AND m.kind = o.kind AND m.dev IS o.dev\n"
    "   AND m.ino IS o.ino AND m.version = o.version AND m.name = o.name GROUP BY o.id;\n"
    "CREATE INDEX temp.omap_sid ON omap(sid);\n";

/* Alerts (schema 4) by all their columns; their process and source object
 * through the maps (NULL stays NULL). */
static const char alerts_sql[] =
    "INSERT INTO alerts(time_ns, proc, dest, class, action, src_obj, src_start, src_end, bytes, note)\n"
    "  SELECT a.time_ns, pm.mid, a.dest, a.class, a.action, om.mid, a.src_start, a.src_end,\n"
    "         a.bytes, a.note\n"
    "  FROM src.alerts a LEFT JOIN pmap pm ON pm.sid = a.proc LEFT JOIN omap om ON om.sid = a.src_obj\n"
    "  WHERE NOT EXISTS (SELECT 1 FROM main.alerts m WHERE m.time_ns = a.time_ns\n"
    "        AND m.proc IS pm.mid AND m.dest = a.dest AND m.class = a.class AND m.action = a.action\n"
    "        AND m.src_obj IS om.mid AND m.src_start IS a.src_start AND m.src_end IS a.src_end\n"
    "        AND m.bytes = a.bytes AND m.note IS a.note)\n"
    "  ORDER BY a.id;\n";

/* Flows last; the source's schema decides whether reps/steps exist. */
static const char *flows_sql[2] = {
    "INSERT INTO flows(proc, time_ns, src_time_ns, sysno, sink_obj, sink_start, sink_end,\n"
    "                  src_obj, src_start, src_end, mode, reps, sink_step, src_step)\n"
    "  SELECT pm.mid, f.time_ns, f.src_time_ns, f.sysno, so.mid, f.sink_start, f.sink_end,\n"
    "         ao.mid, f.src_start, f.src_end, f.mode, 1, 0, 0\n"
    "  FROM src.flows f JOIN pmap pm ON pm.sid = f.proc JOIN omap so ON so.sid = f.sink_obj\n"
    "  JOIN omap ao ON ao.sid = f.src_obj\n"
    "  WHERE NOT EXISTS (SELECT 1 FROM main.flows m WHERE m.sink_obj = so.mid\n"
    "        AND m.sink_start = f.sink_start AND m.sink_end = f.sink_end AND m.src_obj = ao.mid\n"
    "        AND m.src_start = f.src_start AND m.src_end = f.src_end AND m.proc = pm.mid\n"
    "        AND m.time_ns = f.time_ns AND m.mode = f.mode AND m.reps = 1)\n"
    "  ORDER BY f.id;\n",
    "INSERT INTO flows(proc, time_ns, src_time_ns, sysno, sink_obj, sink_start, sink_end,\n"
    "                  src_obj, src_start, src_end, mode, reps, sink_step, src_step)\n"
    "  SELECT pm.mid, f.time_ns, f.src_time_ns, f.sysno, so.mid, f.sink_start, f.sink_end,\n"
    "         ao.mid, f.src_start, f.src_end, f.mode, f.reps, f.sink_step, f.src_step\n"
    "  FROM src.flows f JOIN pmap pm ON pm.sid = f.proc JOIN omap so ON so.sid = f.sink_obj\n"
    "  JOIN omap ao ON ao.sid = f.src_obj\n"
    "  WHERE NOT EXISTS (SELECT 1 FROM main.flows m WHERE m.sink_obj = so.mid\n"
    "        AND m.sink_start = f.sink_start AND m.sink_end = f.sink_end AND m.src_obj = ao.mid\n"
    "        AND m.src_start = f.src_start AND m.src_end = f.src_end AND m.proc = pm.mid\n"
    "        AND m.time_ns = f.time_ns AND m.mode = f.mode AND m.reps = f.reps\n"
    "        AND m.sink_step = f.sink_step AND m.src_step = f.src_step)\n"
    "  ORDER BY f.id;\n",
};

static int count(struct store *s, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return ct_sqlite_fail(s, "prepare");
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : ct_sqlite_fail(s, "count");
}

static int totals(struct store *s, int64_t v[5])
{
    return count(s, "SELECT count(*) FROM main.hosts", &v[0]) ||
           count(s, "SELECT count(*) FROM main.processes", &v[1]) ||
           count(s, "SELECT count(*) FROM main.objects", &v[2]) ||
           count(s, "SELECT count(*) FROM main.flows", &v[3]) ||
           count(s, "SELECT count(*) FROM main.alerts", &v[4]) ? -1 : 0;
}

int store_merge(struct store *s, const char *src_path, struct store_merge_counts *out)
{
    char err[512];
    memset(out, 0, sizeof *out);
    if (s->readonly) {
        snprintf(s->err, sizeof s->err, "store opened read-only");
        return -1;
    }
    /* Validates the source the same way a query would (not a crosstag
     * database, corrupt, newer schema), without changing it. */
    struct store *in = store_open(src_path, STORE_READ, err, sizeof err);
    if (!in) {
        snprintf(s->err, sizeof s->err, "%s", err);
        return -1;
    }
    int schema = in->schema;
    store_close(in);
    if (store_commit(s) != 0)  /* nothing of ours pending inside the merge */
        return -1;

    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "ATTACH DATABASE ?1 AS src", -1, &st, NULL) != SQLITE_OK)
        return ct_sqlite_fail(s, "prepare");
    sqlite3_bind_text(st, 1, src_path, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ct_sqlite_fail(s, "attach");

    int64_t before[5], after[5];
    int ok = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
    if (!ok)
        ct_sqlite_fail(s, "begin");
    ok = ok && totals(s, before) == 0;
    if (ok && (sqlite3_exec(s->db, merge_sql, NULL, NULL, NULL) != SQLITE_OK ||
               sqlite3_exec(s->db, flows_sql[schema >= 2], NULL, NULL, NULL) != SQLITE_OK ||
               (schema >= 4 && sqlite3_exec(s->db, alerts_sql, NULL, NULL, NULL) != SQLITE_OK))) {
        ct_sqlite_fail(s, "merge");
        ok = 0;
    }
    ok = ok && totals(s, after) == 0;
    if (ok && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        ct_sqlite_fail(s, "commit");
        ok = 0;
    }
    if (!ok) {
        char keep[512];
        snprintf(keep, sizeof keep, "%s", s->err);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        snprintf(s->err, sizeof s->err, "%s", keep);
    }
    sqlite3_exec(s->db, "DROP TABLE IF EXISTS temp.hmap; DROP TABLE IF EXISTS temp.pmap; "
                        "DROP TABLE IF EXISTS temp.omap; DETACH DATABASE src", NULL, NULL, NULL);
    if (!ok)
        return -1;
    out->hosts = after[0] - before[0];
    out->processes = after[1] - before[1];
    out->objects = after[2] - before[2];
    out->flows = after[3] - before[3];
    out->alerts = after[4] - before[4];
    return 0;
}
