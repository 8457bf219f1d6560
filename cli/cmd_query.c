/* cmd_query.c — `crosstag query backward|forward [--db PATH] [--json] TARGET`:
 * argument handling, then target lookup, the engine (query.c) and output
 * (out_json.c / out_tree.c).  Exit: 0 done (even with no flows), 1 no
 * records for TARGET or a store error, 2 usage error or bad TARGET. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "ct_wire.h"
#include "qinfo.h"
#include "qpath.h"
#include "qproc.h"
#include "query.h"
#include "render.h"
#include "store.h"
#include "target.h"
#include "textesc.h"

static void usage(FILE *out)
{
    fputs("usage: crosstag query backward|forward [--db PATH] [--json] TARGET\n"
          "       crosstag query path [--db PATH] [--json] FROM TO\n"
          "\n"
          "backward: where the bytes of TARGET came from (the original sources)\n"
          "forward:  where they went (the final sinks)\n"
          "path:     which bytes of TO came from which bytes of FROM (point to point)\n"
          "\n"
          "TARGET is PATH (the whole file) or PATH:START-END (bytes START to END-1),\n"
          "or pid:N[@START_TICKS], a process: what it wrote (backward) or read (forward).\n"
          "A TARGET starting with '-' needs '--' before it.\n"
          "\n"
          "options:\n"
          "  --db PATH   the database (default $CROSSTAG_DB, else\n"
          "              $HOME/.local/share/crosstag/crosstag.db)\n"
          "  --json      one JSON object per line instead of a tree\n", out);
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "crosstag query: %s%s\n", msg, arg ? arg : "");
    usage(stderr);
    return 2;
}

/* The default database; NULL when no home folder is known. */
static char *default_db(void)
{
    const char *env = getenv("CROSSTAG_DB");
    if (env && env[0])
        return strdup(env);
    const char *home = getenv("HOME");
    if (!home || !home[0]) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    char *p = NULL;
    if (home && asprintf(&p, "%s/.local/share/crosstag/crosstag.db", home) < 0)
        p = NULL;
    return p;
}

struct args {
    enum qdir dir;
    int path;                  /* query path FROM TO: target is FROM */
    const char *db;
    const char *target, *target2;
    int json;
};

/* 0 ok, 1 help shown, 2 usage error (reported). */
static int parse_args(int argc, char **argv, struct args *a)
{
    const char *dir = NULL;
    int opts = 1;
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (opts && s[0] == '-' && s[1]) {
            if (strcmp(s, "--") == 0)
                opts = 0;
            else if (strcmp(s, "--json") == 0)
                a->json = 1;
            else if (strcmp(s, "--db") == 0) {
                if (++i >= argc)
                    return usage_error("--db needs a PATH", NULL);
                a->db = argv[i];
            } else if (strncmp(s, "--db=", 5) == 0)
                a->db = s + 5;
            else if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
                usage(stdout);
                return 1;
            } else
                return usage_error("unknown option ", s);
        } else if (!dir)
            dir = s;
        else if (!a->target)
            a->target = s;
        else if (!a->target2 && strcmp(dir, "path") == 0)
            a->target2 = s;
        else
            return usage_error("too many arguments: ", s);
    }
    if (!dir)
        return usage_error("say backward, forward or path", NULL);
    if (strcmp(dir, "backward") == 0)
        a->dir = Q_BACKWARD;
    else if (strcmp(dir, "forward") == 0)
        a->dir = Q_FORWARD;
    else if (strcmp(dir, "path") == 0) {
        a->dir = Q_BACKWARD;
        a->path = 1;
    } else
        return usage_error("the direction is backward, forward or path, not ", dir);
    if (!a->target)
        return usage_error("missing TARGET", NULL);
    if (a->path && !a->target2)
        return usage_error("path needs FROM and TO", NULL);
    if (a->db && !a->db[0])
        return usage_error("--db needs a PATH", NULL);
    return 0;
}

/* The stored object for the target: 1 found, 0 none, -1 store error. */
static int find_target(struct store *st, const struct target *t, struct store_objinfo *oi)
{
    if (t->host)
        return store_find_object_on(st, t->host, t->kind, t->exists ? t->dev : 0,
                                    t->exists ? t->ino : 0, t->name, t->name_len, oi);
    if (t->exists)
        return store_find_object(st, t->kind, t->dev, t->ino, t->name, t->name_len, oi);
    return store_find_object(st, t->kind, 0, 0, t->name, t->name_len, oi);
}

static int run(struct store *st, const struct args *a, const struct target *t, int64_t obj)
{
    struct query q;
    struct qinfo qi;
    struct qrows rows = { 0 };
    int rc = 1;
    query_init(&q, st, a->dir);
    qinfo_init(&qi, st);
    struct qnode *root = query_run(&q, obj, t->start, t->end);
    if (!root) {
        fprintf(stderr, "crosstag: query failed: %s\n", q.err);
        goto out;
    }
    query_warn_cuts(&q);
    if (a->json) {
        if (query_rows(&q, root, &rows) != 0) {
            fprintf(stderr, "crosstag: query failed: %s\n", q.err);
            goto out;
        }
        if (render_json(stdout, &qi, a->dir, obj, &rows) != 0) {
            fprintf(stderr, "crosstag: %s\n", qi.err);
            goto out;
        }
    } else if (render_tree(stdout, &qi, a->dir, root, t->whole) != 0) {
        fprintf(stderr, "crosstag: %s\n", qi.err);
        goto out;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "crosstag: writing the output: %s\n", strerror(errno));
        goto out;
    }
    rc = 0;
out:
    qrows_free(&rows);
    qinfo_free(&qi);
    query_free(&q);
    return rc;
}

/* `query path FROM TO`: rows TO bytes <- FROM bytes (qpath.h); as JSON
 * lines, or one readable line each. */
static int run_path(struct store *st, const struct args *a, const struct target *from, int64_t fobj,
                    const struct target *to, int64_t tobj)
{
    struct query q;
    struct qinfo qi;
    struct qrows rows = { 0 };
    int rc = 1;
    query_init(&q, st, Q_BACKWARD);
    qinfo_init(&qi, st);
    if (query_path(&q, fobj, from->start, from->end, tobj, to->start, to->end, &rows) != 0) {
        fprintf(stderr, "crosstag: query failed: %s\n", q.err);
        goto out;
    }
    if (a->json) {
        if (render_json(stdout, &qi, Q_BACKWARD, tobj, &rows) != 0) {
            fprintf(stderr, "crosstag: %s\n", qi.err);
            goto out;
        }
    } else {
        const struct qobj *t = qinfo_obj(&qi, tobj), *f = qinfo_obj(&qi, fobj);
        if (!t || !f) {
            fprintf(stderr, "crosstag: %s\n", qi.err);
            goto out;
        }
        if (!rows.n)
            printf("no byte of %s:%s reached %s:%s\n", f->host, f->human, t->host, t->human);
        for (size_t i = 0; i < rows.n; i++)
            printf("%s:%s [%llu,%llu) <- %s:%s [%llu,%llu) (%s)\n", t->host, t->human,
                   (unsigned long long)rows.v[i].start, (unsigned long long)rows.v[i].end,
                   f->host, f->human, (unsigned long long)rows.v[i].ostart,
                   (unsigned long long)rows.v[i].oend,
                   rows.v[i].mode == CT_MODE_ALIGNED ? "aligned" : "all");
    }
    rc = fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
out:
    qrows_free(&rows);
    qinfo_free(&qi);
    query_free(&q);
    return rc;
}

/* Looks a file/stream target up; 1 found, else a message and 0/-1. */
static int lookup(struct store *st, const char *db, const char *arg, const struct target *t,
                  struct store_objinfo *oi)
{
    int r = find_target(st, t, oi);
    if (r < 0)
        fprintf(stderr, "crosstag: %s: %s\n", db, store_errmsg(st));
    else if (r == 0) {
        char *e = esc_bytes((const unsigned char *)arg, strlen(arg), ESC_HUMAN);
        fprintf(stderr, "crosstag: no records for %s\n", e ? e : arg);
        free(e);
    }
    return r;
}

static int cmd_path(struct store *st, const char *db, const struct args *a, const struct target *from)
{
    char err[512];
    struct target to;
    if (target_parse(a->target2, &to, err, sizeof err) != 0) {
        char *e = esc_bytes((const unsigned char *)err, strlen(err), ESC_HUMAN);
        fprintf(stderr, "crosstag: %s\n", e ? e : err);
        free(e);
        return 2;
    }
    int rc = 1;
    struct store_objinfo fo = { 0 }, tobj = { 0 };
    if (from->is_proc || to.is_proc)
        fprintf(stderr, "crosstag: path takes files or streams, not processes\n"), rc = 2;
    else if (lookup(st, db, a->target, from, &fo) == 1 && lookup(st, db, a->target2, &to, &tobj) == 1)
        rc = run_path(st, a, from, fo.id, &to, tobj.id);
    free(fo.name);
    free(tobj.name);
    target_free(&to);
    return rc;
}

int cmd_query(int argc, char **argv)
{
    struct args a;
    int r = parse_args(argc, argv, &a);
    if (r)
        return r == 1 ? 0 : r;

    char err[512];
    struct target t;
    if (target_parse(a.target, &t, err, sizeof err) != 0) {
        char *e = esc_bytes((const unsigned char *)err, strlen(err), ESC_HUMAN);
        fprintf(stderr, "crosstag: %s\n", e ? e : err);
        free(e);
        return 2;
    }

    char *db = a.db ? strdup(a.db) : default_db();
    if (!db) {
        fprintf(stderr, "crosstag: no database: set CROSSTAG_DB or HOME, or use --db PATH\n");
        target_free(&t);
        return 1;
    }
    struct store *st = store_open(db, STORE_READ, err, sizeof err);
    if (!st) {
        fprintf(stderr, "crosstag: cannot open database %s: %s\n", db, err);
        free(db);
        target_free(&t);
        return 1;
    }

    /* One snapshot for the whole query: consistent answers while a run is
     * writing, and one read lock instead of one per statement (on a read
     * store this is a read transaction).  Without it each statement is its
     * own snapshot: still answers, only slower. */
    store_begin(st);

    struct store_objinfo oi = { 0 };
    int rc = 1;
    if (t.endpoint && !a.path) {    /* every stream into tcp:/udp:IP:PORT, one after the other */
        char kind[5] = { 0 };
        memcpy(kind, t.name, 4);
        int64_t *ids;
        size_t n;
        r = store_find_streams_to(st, kind, (const char *)t.name + 4, &ids, &n);
        if (r < 0)
            fprintf(stderr, "crosstag: %s: %s\n", db, store_errmsg(st));
        else if (n == 0)
            fprintf(stderr, "crosstag: no records for %s\n", a.target);
        if (r == 0 && n)
            rc = 0;
        for (size_t i = 0; r == 0 && i < n; i++)
            if (run(st, &a, &t, ids[i]) != 0)
                rc = 1;
        free(ids);
        r = -2;                       /* done */
    } else {
        r = t.is_proc || a.path ? 0 : find_target(st, &t, &oi);
    }
    if (r == -2) {
    } else if (a.path) {
        rc = cmd_path(st, db, &a, &t);
    } else if (t.is_proc) {
        rc = query_process(st, a.dir, a.json, &t);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "crosstag: writing the output: %s\n", strerror(errno));
            rc = 1;
        }
    } else if (r < 0) {
        fprintf(stderr, "crosstag: %s: %s\n", db, store_errmsg(st));
    } else if (r == 0) {
        char *e = esc_bytes((const unsigned char *)a.target, strlen(a.target), ESC_HUMAN);
        fprintf(stderr, "crosstag: no records for %s\n", e ? e : a.target);
        free(e);
    } else {
        rc = run(st, &a, &t, oi.id);
    }
    free(oi.name);
    store_commit(st);
    store_close(st);
    free(db);
    target_free(&t);
    return rc;
}
