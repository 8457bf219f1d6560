/* qproc.c — see qproc.h.  A process is (host, pid, start_ticks); its
 * images are its exec_seq rows.  For each object the images wrote
 * (backward) or read (forward) the engine runs once with the target node
 * restricted to those images' flows (query.h: only_procs); below it every
 * flow counts as usual. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qinfo.h"
#include "qproc.h"
#include "render.h"
#include "textesc.h"

struct images {
    struct store_procinfo *v;   /* ordered by host, start_ticks, exec_seq */
    size_t n, cap;
    int oom;
};

static int add_image(void *ctx, const struct store_procinfo *p)
{
    struct images *im = ctx;
    if (im->n == im->cap) {
        size_t ncap = im->cap ? 2 * im->cap : 8;
        struct store_procinfo *nv = realloc(im->v, ncap * sizeof *nv);
        if (!nv) {
            im->oom = 1;
            return 1;
        }
        im->v = nv;
        im->cap = ncap;
    }
    struct store_procinfo *c = &im->v[im->n];
    *c = *p;
    c->argv = malloc(p->argv_len + 1);
    if (!c->argv) {
        im->oom = 1;
        return 1;
    }
    memcpy(c->argv, p->argv, p->argv_len + 1);
    im->n++;
    return 0;
}

static int same_process(const struct store_procinfo *a, const struct store_procinfo *b)
{
    return a->host == b->host && a->start_ticks == b->start_ticks;
}

/* argv as one escaped line (NULs as spaces); NULL out of memory. */
static char *cmdline(const struct store_procinfo *p)
{
    size_t n = p->argv_len;
    while (n && p->argv[n - 1] == '\0')
        n--;
    unsigned char *tmp = malloc(n + 1);
    if (!tmp)
        return NULL;
    for (size_t i = 0; i < n; i++)
        tmp[i] = p->argv[i] ? p->argv[i] : ' ';
    char *e = esc_bytes(tmp, n, ESC_HUMAN);
    free(tmp);
    return e;
}

static void list_candidates(const struct images *im, const struct target *t)
{
    fprintf(stderr, "crosstag: pid:%d names several processes; say which with pid:%d@START_TICKS:\n",
            (int)t->pid, (int)t->pid);
    for (size_t i = 0; i < im->n; i++) {
        /* one line per process: its last image says what it became */
        if (i + 1 < im->n && same_process(&im->v[i], &im->v[i + 1]))
            continue;
        char *cmd = cmdline(&im->v[i]);
        fprintf(stderr, "  pid:%d@%llu on %s: %s\n", (int)t->pid,
                (unsigned long long)im->v[i].start_ticks, im->v[i].host_name, cmd ? cmd : "?");
        free(cmd);
    }
}

/* "process pid:N@START on HOST (parent ...)" and one line per image. */
static int print_header(FILE *out, struct qinfo *qi, const struct images *im)
{
    const struct store_procinfo *first = &im->v[0];
    fprintf(out, "process pid:%d@%llu on %s", (int)first->pid,
            (unsigned long long)first->start_ticks, first->host_name);
    if (first->parent) {
        const struct qproc *pp = qinfo_proc(qi, first->parent);
        if (!pp)
            return -1;
        fprintf(out, ", parent [pid %d] %s\n", (int)pp->pid, pp->cmd);
    } else {
        fprintf(out, ", parent pid %d (not tracked)\n", (int)first->ppid);
    }
    for (size_t i = 0; i < im->n; i++) {
        char *cmd = cmdline(&im->v[i]);
        if (!cmd)
            return -1;
        fprintf(out, "  image %u: %s\n", im->v[i].exec_seq, cmd);
        free(cmd);
    }
    return 0;
}

static int cmp_id(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return (a > b) - (a < b);
}

static struct qinfo *sort_qi;

static int cmp_obj_name(const void *pa, const void *pb)
{
    const struct qobj *a = qinfo_obj(sort_qi, *(const int64_t *)pa);
    const struct qobj *b = qinfo_obj(sort_qi, *(const int64_t *)pb);
    if (!a || !b)
        return 0;
    int c = qobj_cmp(a, b);
    return c ? c : cmp_id(pa, pb);
}

/* One object of the process: its tree, or its rows into *rows. */
static int one_object(struct store *st, struct qinfo *qi, enum qdir dir, int json, int64_t obj,
                      const int64_t *ids, size_t nids, struct qrows *rows)
{
    struct query q;
    int r = -1;
    query_init(&q, st, dir);
    q.only_procs = ids;
    q.n_only_procs = nids;
    struct qnode *root = query_run(&q, obj, 0, UINT64_MAX);
    if (!root) {
        fprintf(stderr, "crosstag: query failed: %s\n", q.err);
        goto out;
    }
    query_warn_cuts(&q);
    if (json) {
        if (query_rows(&q, root, rows) != 0) {
            fprintf(stderr, "crosstag: query failed: %s\n", q.err);
            goto out;
        }
    } else if (render_tree_proc(stdout, qi, dir, root) != 0) {
        fprintf(stderr, "crosstag: %s\n", qi->err);
        goto out;
    }
    r = 0;
out:
    query_free(&q);
    return r;
}

int query_process(struct store *st, enum qdir dir, int json, const struct target *t)
{
    struct images im = { 0 };
    struct qinfo qi;
    int64_t *ids = NULL, *objs = NULL;
    size_t nobjs = 0, nids = 0;
    struct qrows *rows = NULL;
    int rc = 1;
    qinfo_init(&qi, st);
    if (store_find_procs(st, t->pid, t->have_start, t->start_ticks, add_image, &im) != 0) {
        fprintf(stderr, "crosstag: %s\n", store_errmsg(st));
        goto out;
    }
    if (im.oom) {
        fprintf(stderr, "crosstag: out of memory\n");
        goto out;
    }
    if (im.n == 0) {
        if (t->have_start)
            fprintf(stderr, "crosstag: no records for pid:%d@%llu\n", (int)t->pid,
                    (unsigned long long)t->start_ticks);
        else
            fprintf(stderr, "crosstag: no records for pid:%d\n", (int)t->pid);
        goto out;
    }
    if (!same_process(&im.v[0], &im.v[im.n - 1])) {
        list_candidates(&im, t);
        rc = 2;
        goto out;
    }
    ids = malloc(im.n * sizeof *ids);
    if (!ids) {
        fprintf(stderr, "crosstag: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < im.n; i++)
        ids[nids++] = im.v[i].id;
    qsort(ids, nids, sizeof *ids, cmp_id);
    if (store_proc_objects(st, ids, nids, dir == Q_BACKWARD, &objs, &nobjs) != 0) {
        fprintf(stderr, "crosstag: %s\n", store_errmsg(st));
        goto out;
    }
    for (size_t i = 0; i < nobjs; i++)      /* load names: sorting must not fail */
        if (!qinfo_obj(&qi, objs[i])) {
            fprintf(stderr, "crosstag: %s\n", qi.err);
            goto out;
        }
    sort_qi = &qi;
    qsort(objs, nobjs, sizeof *objs, cmp_obj_name);
    if (!json && print_header(stdout, &qi, &im) != 0) {
        fprintf(stderr, "crosstag: %s\n", qi.err[0] ? qi.err : "out of memory");
        goto out;
    }
    if (json && !(rows = calloc(nobjs ? nobjs : 1, sizeof *rows))) {
        fprintf(stderr, "crosstag: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < nobjs; i++)
        if (one_object(st, &qi, dir, json, objs[i], ids, nids, json ? &rows[i] : NULL) != 0)
            goto out;
    if (json && render_json_multi(stdout, &qi, dir, objs, rows, nobjs) != 0) {
        fprintf(stderr, "crosstag: %s\n", qi.err);
        goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; rows && i < nobjs; i++)
        qrows_free(&rows[i]);
    free(rows);
    for (size_t i = 0; i < im.n; i++)
        free(im.v[i].argv);
    free(im.v);
    free(ids);
    free(objs);
    qinfo_free(&qi);
    return rc;
}
