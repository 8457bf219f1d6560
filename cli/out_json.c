/* out_json.c — the --json output (see render.h).  Rows from the engine
 * name objects by id; several ids may print the same (versions of one
 * file), so ids are first replaced by the rank of their printed name, which
 * both merges such rows and gives the output order. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ct_wire.h"
#include "render.h"

struct rank { int64_t id; const struct qobj *o; int64_t rank; };

static int cmp_rank_name(const void *pa, const void *pb)
{
    const struct rank *a = pa, *b = pb;
    return qobj_cmp(a->o, b->o);
}

static int cmp_rank_id(const void *pa, const void *pb)
{
    const struct rank *a = pa, *b = pb;
    return (a->id > b->id) - (a->id < b->id);
}

#define CMP(a, b) do { if ((a) != (b)) return (a) < (b) ? -1 : 1; } while (0)

/* Backward: sink = the target (one object), source = the row's far side. */
static int cmp_backward(const void *pa, const void *pb)
{
    const struct qrow *a = pa, *b = pb;
    CMP(a->start, b->start);
    CMP(a->obj, b->obj);
    CMP(a->ostart, b->ostart);
    CMP(a->end, b->end);
    CMP(a->oend, b->oend);
    CMP(a->mode, b->mode);
    return 0;
}

/* Forward: sink = the far side, source = the target. */
static int cmp_forward(const void *pa, const void *pb)
{
    const struct qrow *a = pa, *b = pb;
    CMP(a->obj, b->obj);
    CMP(a->ostart, b->ostart);
    CMP(a->start, b->start);
    CMP(a->oend, b->oend);
    CMP(a->end, b->end);
    CMP(a->mode, b->mode);
    return 0;
}

/* Replaces row.obj by name ranks; *by_rank[r] is an object of rank r. */
static int rank_rows(struct qinfo *qi, struct qrows *rows, const struct qobj ***by_rank)
{
    struct rank *rk = malloc((rows->n ? rows->n : 1) * sizeof *rk);
    const struct qobj **br = malloc((rows->n ? rows->n : 1) * sizeof *br);
    size_t n = 0;
    if (!rk || !br) {
        free(rk), free(br);
        snprintf(qi->err, sizeof qi->err, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < rows->n; i++) {
        int64_t id = rows->v[i].obj;
        /* rows come grouped by obj; a repeat would only rank the same */
        if (n && rk[n - 1].id == id)
            continue;
        const struct qobj *o = qinfo_obj(qi, id);
        if (!o) {
            free(rk), free(br);
            return -1;
        }
        rk[n++] = (struct rank){ id, o, 0 };
    }
    qsort(rk, n, sizeof *rk, cmp_rank_name);
    int64_t r = -1;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || qobj_cmp(rk[i - 1].o, rk[i].o) != 0)
            br[++r] = rk[i].o;
        rk[i].rank = r;
    }
    qsort(rk, n, sizeof *rk, cmp_rank_id);
    for (size_t i = 0; i < rows->n; i++) {
        struct rank key = { .id = rows->v[i].obj };
        struct rank *hit = bsearch(&key, rk, n, sizeof *rk, cmp_rank_id);
        rows->v[i].obj = hit->rank;
    }
    free(rk);
    *by_rank = br;
    return 0;
}

static json_t *side(const struct qobj *o, uint64_t start, uint64_t end)
{
    json_t *j = json_object();
    if (!j)
        return NULL;
    /* offsets come from SQLite's signed 64-bit integers: they fit */
    if (json_object_set_new(j, "host", json_string(o->host)) ||
        json_object_set_new(j, "object", json_string(o->json)) ||
        json_object_set_new(j, "start", json_integer((json_int_t)start)) ||
        json_object_set_new(j, "end", json_integer((json_int_t)end))) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static int print_row(FILE *out, const struct qobj *sink, uint64_t ss, uint64_t se,
                     const struct qobj *src, uint64_t rs, uint64_t re, uint32_t mode)
{
    json_t *j = json_object();
    char *s = NULL;
    if (j && !json_object_set_new(j, "sink", side(sink, ss, se)) &&
        !json_object_set_new(j, "source", side(src, rs, re)) &&
        !json_object_set_new(j, "mode", json_string(mode == CT_MODE_ALIGNED ? "aligned" : "all")))
        s = json_dumps(j, JSON_PRESERVE_ORDER | JSON_COMPACT);
    json_decref(j);
    if (!s)
        return -1;
    fputs(s, out);
    fputc('\n', out);
    free(s);
    return 0;
}

int render_json(FILE *out, struct qinfo *qi, enum qdir dir, int64_t target, struct qrows *rows)
{
    const struct qobj *tobj = qinfo_obj(qi, target), **by_rank = NULL;
    if (!tobj || rank_rows(qi, rows, &by_rank) != 0)
        return -1;
    qrows_normalize(rows);
    qsort(rows->v, rows->n, sizeof *rows->v, dir == Q_BACKWARD ? cmp_backward : cmp_forward);
    int r = 0;
    for (size_t i = 0; i < rows->n && r == 0; i++) {
        const struct qrow *w = &rows->v[i];
        const struct qobj *far = by_rank[w->obj];
        if (dir == Q_BACKWARD)
            r = print_row(out, tobj, w->start, w->end, far, w->ostart, w->oend, w->mode);
        else
            r = print_row(out, far, w->ostart, w->oend, tobj, w->start, w->end, w->mode);
    }
    if (r != 0)
        snprintf(qi->err, sizeof qi->err, "out of memory");
    free(by_rank);
    return r;
}

/* ---- several targets (a process target) ---- */

struct line {
    const struct qobj *sink, *src;
    uint64_t ss, se, rs, re;
    uint32_t mode;
};

static int cmp_line(const void *pa, const void *pb)
{
    const struct line *a = pa, *b = pb;
    int c = qobj_cmp(a->sink, b->sink);
    if (c)
        return c;
    CMP(a->ss, b->ss);
    if ((c = qobj_cmp(a->src, b->src)) != 0)
        return c;
    CMP(a->rs, b->rs);
    CMP(a->se, b->se);
    CMP(a->re, b->re);
    CMP(a->mode, b->mode);
    return 0;
}

int render_json_multi(FILE *out, struct qinfo *qi, enum qdir dir, const int64_t *targets,
                      struct qrows *rows, size_t n)
{
    struct line *v = NULL;
    size_t nv = 0, cap = 0;
    int r = -1;
    for (size_t i = 0; i < n; i++) {
        const struct qobj *tobj = qinfo_obj(qi, targets[i]), **by_rank = NULL;
        if (!tobj || rank_rows(qi, &rows[i], &by_rank) != 0)
            goto out;
        qrows_normalize(&rows[i]);
        for (size_t k = 0; k < rows[i].n; k++) {
            const struct qrow *w = &rows[i].v[k];
            if (nv == cap) {
                size_t ncap = cap ? 2 * cap : 64;
                struct line *nl = realloc(v, ncap * sizeof *v);
                if (!nl) {
                    free(by_rank);
                    snprintf(qi->err, sizeof qi->err, "out of memory");
                    goto out;
                }
                v = nl;
                cap = ncap;
            }
            const struct qobj *far = by_rank[w->obj];
            v[nv++] = dir == Q_BACKWARD
                ? (struct line){ tobj, far, w->start, w->end, w->ostart, w->oend, w->mode }
                : (struct line){ far, tobj, w->ostart, w->oend, w->start, w->end, w->mode };
        }
        free(by_rank);
    }
    if (nv)
        qsort(v, nv, sizeof *v, cmp_line);
    r = 0;
    for (size_t i = 0; i < nv && r == 0; i++)
        if (i == 0 || cmp_line(&v[i - 1], &v[i]) != 0)
            r = print_row(out, v[i].sink, v[i].ss, v[i].se, v[i].src, v[i].rs, v[i].re, v[i].mode);
    if (r != 0)
        snprintf(qi->err, sizeof qi->err, "out of memory");
out:
    free(v);
    return r;
}
