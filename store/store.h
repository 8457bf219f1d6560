/* store.h — where flow records live.  One interface, several backends:
 * SQLite (store_sqlite*.c, the embedded default) now, PostgreSQL later.
 * Callers never see SQL.  All offsets are 64-bit; names are raw bytes.
 *
 * Errors: functions returning int give 0 on success and -1 on failure, with
 * a message readable through store_errmsg().  Nothing already committed is
 * ever lost by a failed call.
 */
#ifndef CT_STORE_H
#define CT_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

enum store_mode { STORE_READ, STORE_WRITE };

/* Opens (and with STORE_WRITE creates, with its folder) the store at `path`.
 * Returns NULL and fills err (size errlen) on failure: missing file in
 * STORE_READ, unwritable folder, not a crosstag database, corrupt file. */
struct store *store_open(const char *path, enum store_mode mode, char *err, size_t errlen);
void store_close(struct store *s);            /* commits what is pending */
const char *store_errmsg(struct store *s);

/* ---- writing (collector) ---- */
int store_begin(struct store *s);             /* batch writes in a transaction */
int store_commit(struct store *s);

int64_t store_host(struct store *s, const char *name);   /* id, created if new */

struct store_proc {
    int64_t host;
    int resume;                /* the image reconnected: return its row if known */
    int32_t pid, ppid;
    uint32_t uid, exec_seq;
    uint64_t start_ticks, start_ns;
    const unsigned char *exe;  size_t exe_len;
    const unsigned char *argv; size_t argv_len;   /* NUL-separated */
};
int64_t store_proc_begin(struct store *s, const struct store_proc *p);
int store_proc_end(struct store *s, int64_t proc, uint64_t end_ns, int32_t status, uint64_t lost);

struct store_obj {
    int64_t host;
    uint32_t kind;             /* enum ct_obj_kind (common/ct_wire.h) */
    uint64_t dev, ino;
    int64_t mtime_ns;
    uint64_t size, time_ns;
    int new_version;           /* CT_OBJF_NEWVER: start a new version */
    const unsigned char *name; size_t name_len;
};
/* A file declared without CT_OBJF_NEWVER whose mtime or size differ from
 * what its last tracked writer left (store_obj_state), stat'ed after that,
 * starts a new version too, with a note saying why (an untracked writer
 * changed it: its bytes are original now). */
int64_t store_object(struct store *s, const struct store_obj *o);
/* The state a tracked writer left version `obj` of a file in (at close,
 * exit or exec), taken at time_ns. */
int store_obj_state(struct store *s, int64_t obj, int64_t mtime_ns, uint64_t size, uint64_t time_ns);

/* One flow; with reps > 1 a periodic flow (see ct_msg_flow in ct_wire.h):
 * sink_start/end and src_start/end give repetition 0, repetition k is
 * shifted by k*sink_step and k*src_step.  store_flow() accepts both;
 * store_flows_overlapping() hands queries only plain flows (reps == 1),
 * expanding the repetitions that overlap the range asked for. */
struct store_flow {
    int64_t proc;
    uint64_t time_ns, src_time_ns;
    uint32_t sysno, mode;      /* enum ct_flow_mode */
    int64_t sink_obj; uint64_t sink_start, sink_end;
    int64_t src_obj;  uint64_t src_start, src_end;
    uint64_t reps, sink_step, src_step;   /* reps 0 is taken as 1 */
};
int store_flow(struct store *s, const struct store_flow *f);

/* ---- alerts (leak prevention, store_alerts.c) ---- */
struct store_alert {
    uint64_t time_ns;
    int64_t proc;              /* process image, 0 unknown */
    const char *dest;          /* "tcp:IP:PORT", "udp:IP:PORT", "file:/abs/path" */
    const char *cls, *action;  /* class name; "alert", "mask", "block" */
    int64_t src_obj;           /* the original source, 0 unknown */
    uint64_t src_start, src_end;
    uint64_t bytes;            /* bytes of the call the decision covers */
    const char *note;          /* NULL, or why (fail closed...) */
};
int store_alert(struct store *s, const struct store_alert *a);
/* Every alert in id order, with names resolved; fn returns non-zero to stop. */
struct store_alertinfo {
    int64_t id;
    uint64_t time_ns;
    int32_t pid;
    const char *host, *argv0, *dest, *cls, *action, *src_host, *src_obj, *note;   /* NULL unknown */
    uint64_t src_start, src_end, bytes;
};
typedef int (*store_alert_fn)(void *ctx, const struct store_alertinfo *a);
int store_alerts(struct store *s, store_alert_fn fn, void *ctx);

/* ---- merging (crosstag db merge) ---- */
struct store_merge_counts { int64_t hosts, processes, objects, flows, alerts; };   /* rows added */
/* Adds every row of the store at src_path that this one lacks (matched by
 * identity, not id: merging twice adds nothing).  One transaction. */
int store_merge(struct store *s, const char *src_path, struct store_merge_counts *out);

/* ---- reading (queries) ---- */
struct store_objinfo {
    int64_t id, host;
    uint32_t kind;
    uint64_t dev, ino;
    int64_t version;
    char host_name[256];
    unsigned char *name; size_t name_len;   /* owned by the caller after lookup: free() */
};
/* Newest version of the object: by (dev, ino) when known (kind FILE), else by name.
 * Returns 1 found, 0 not found, -1 error. */
int store_find_object(struct store *s, uint32_t kind, uint64_t dev, uint64_t ino,
                      const unsigned char *name, size_t name_len, struct store_objinfo *out);
int store_object_info(struct store *s, int64_t id, struct store_objinfo *out);
/* The same, restricted to the host named `host` (targets HOST:PATH): by
 * (dev, ino) when given and found, else by name. */
int store_find_object_on(struct store *s, const char *host, uint32_t kind, uint64_t dev,
                         uint64_t ino, const unsigned char *name, size_t name_len,
                         struct store_objinfo *out);
int store_count_hosts(struct store *s);       /* -1 on error */
/* Why this version of the object was started, when the store knows more
 * than "a tracked process created or truncated it": *note is a malloc'd
 * string, or NULL.  0, -1. */
int store_object_note(struct store *s, int64_t id, char **note);
/* Every socket direction into an endpoint: kind "tcp:" or "udp:", endpoint
 * "IP:PORT" ("[IPv6]:PORT"), as the tracker writes them.  Fills a malloc'd
 * array of object ids (caller frees), sorted by name.  0 or -1. */
int store_find_streams_to(struct store *s, const char *kind, const char *endpoint,
                          int64_t **ids, size_t *n);

struct store_procinfo {
    int64_t id; int32_t pid; uint64_t start_ticks;
    unsigned char *argv; size_t argv_len;   /* caller frees */
    int64_t host, parent;                   /* parent: process row id, 0 unknown */
    int32_t ppid; uint32_t exec_seq;
    char host_name[256];
};
int store_proc_info(struct store *s, int64_t id, struct store_procinfo *out);

/* Every image (exec_seq) of every process with this pid (and, with
 * have_start, this start_ticks), ordered by host, start_ticks, exec_seq.
 * fn gets each row (its argv freed after fn returns); non-zero stops. */
typedef int (*store_proc_fn)(void *ctx, const struct store_procinfo *p);
int store_find_procs(struct store *s, int32_t pid, int have_start, uint64_t start_ticks,
                     store_proc_fn fn, void *ctx);

/* The distinct objects the flows of these process images wrote (by_sink)
 * or read (!by_sink): a malloc'd array in *objs (caller frees).  0, -1. */
int store_proc_objects(struct store *s, const int64_t *procs, size_t nprocs, int by_sink,
                       int64_t **objs, size_t *nobjs);

/* Calls fn for every flow whose sink (by_sink) or source (!by_sink) is `obj` and
 * whose range overlaps [start, end).  Rows come in id order (id order = time
 * order on one host).  fn returns 0 to go on, non-zero to stop. */
typedef int (*store_flow_fn)(void *ctx, int64_t flow_id, const struct store_flow *f);
int store_flows_overlapping(struct store *s, int by_sink, int64_t obj,
                            uint64_t start, uint64_t end, store_flow_fn fn, void *ctx);

#endif
