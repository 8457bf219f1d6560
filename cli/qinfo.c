/* qinfo.c — see qinfo.h.  Two small open-addressing tables keyed by id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qinfo.h"
#include "textesc.h"

#define CMD_MAX 200     /* longer command lines are cut: one line per hop */

static size_t slot_of(void **tab, size_t cap, int64_t id, size_t idoff)
{
    size_t mask = cap - 1;
    uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ULL;
    for (size_t i = (size_t)(h >> 20) & mask;; i = (i + 1) & mask) {
        if (!tab[i] || *(int64_t *)((char *)tab[i] + idoff) == id)
            return i;
    }
}

/* Adds p (whose id is at idoff) to the table; -1 out of memory. */
static int put(void ***tab, size_t *cap, size_t *n, void *p, size_t idoff)
{
    if (*n + 1 > *cap / 2) {
        size_t ncap = *cap ? *cap * 2 : 64;
        void **nt = calloc(ncap, sizeof *nt), **old = *tab;
        if (!nt)
            return -1;
        for (size_t i = 0; i < *cap; i++)
            if (old[i])
                nt[slot_of(nt, ncap, *(int64_t *)((char *)old[i] + idoff), idoff)] = old[i];
        free(old);
        *tab = nt;
        *cap = ncap;
    }
    (*tab)[slot_of(*tab, *cap, *(int64_t *)((char *)p + idoff), idoff)] = p;
    (*n)++;
    return 0;
}

static void *get(void **tab, size_t cap, int64_t id, size_t idoff)
{
    return cap ? tab[slot_of(tab, cap, id, idoff)] : NULL;
}

void qinfo_init(struct qinfo *qi, struct store *st)
{
    memset(qi, 0, sizeof *qi);
    qi->st = st;
}

static void obj_free(struct qobj *o)
{
    if (!o)
        return;
    free(o->raw);
    free(o->host);
    free(o->json);
    free(o->human);
    free(o->note);
    free(o);
}

static void proc_free(struct qproc *p)
{
    if (p)
        free(p->cmd);
    free(p);
}

void qinfo_free(struct qinfo *qi)
{
    for (size_t i = 0; i < qi->objs_cap; i++)
        obj_free(qi->objs[i]);
    for (size_t i = 0; i < qi->procs_cap; i++)
        proc_free(qi->procs[i]);
    free(qi->objs);
    free(qi->procs);
    memset(qi, 0, sizeof *qi);
}

static void *oom(struct qinfo *qi)
{
    snprintf(qi->err, sizeof qi->err, "out of memory");
    return NULL;
}

const struct qobj *qinfo_obj(struct qinfo *qi, int64_t id)
{
    struct qobj *o = get((void **)qi->objs, qi->objs_cap, id, offsetof(struct qobj, id));
    if (o)
        return o;
    struct store_objinfo oi;
    if (store_object_info(qi->st, id, &oi) != 0) {
        snprintf(qi->err, sizeof qi->err, "%s", store_errmsg(qi->st));
        return NULL;
    }
    char *note = NULL;
    if (store_object_note(qi->st, id, &note) != 0) {
        free(oi.name);
        snprintf(qi->err, sizeof qi->err, "%s", store_errmsg(qi->st));
        return NULL;
    }
    o = calloc(1, sizeof *o);
    if (o && note) {
        o->note = esc_bytes((const unsigned char *)note, strlen(note), ESC_HUMAN);
        if (!o->note) {
            free(note);
            free(oi.name);
            free(o);
            return oom(qi);
        }
    }
    free(note);
    if (o) {
        o->id = id;
        o->version = oi.version;
        o->raw = oi.name;
        o->raw_len = oi.name_len;
        oi.name = NULL;
        o->host = esc_bytes((const unsigned char *)oi.host_name, strlen(oi.host_name), ESC_JSON);
        o->json = esc_bytes(o->raw, o->raw_len, ESC_JSON);
        o->human = esc_bytes(o->raw, o->raw_len, ESC_HUMAN);
    }
    free(oi.name);
    if (!o || !o->host || !o->json || !o->human ||
        put((void ***)&qi->objs, &qi->objs_cap, &qi->objs_n, o, offsetof(struct qobj, id)) != 0) {
        obj_free(o);
        return oom(qi);
    }
    return o;
}

/* argv is NUL-separated (each argument NUL-terminated): spaces between. */
static char *join_argv(const unsigned char *argv, size_t len)
{
    size_t n = len;
    while (n && argv[n - 1] == '\0')
        n--;
    int cut = n > CMD_MAX;
    if (cut)
        n = CMD_MAX;
    unsigned char *tmp = malloc(n + 1);
    if (!tmp)
        return NULL;
    for (size_t i = 0; i < n; i++)
        tmp[i] = argv[i] ? argv[i] : ' ';
    char *e = esc_bytes(tmp, n, ESC_HUMAN);
    free(tmp);
    if (e && cut) {
        char *more = realloc(e, strlen(e) + 4);
        if (!more) {
            free(e);
            return NULL;
        }
        e = strcat(more, "...");
    }
    return e;
}

const struct qproc *qinfo_proc(struct qinfo *qi, int64_t id)
{
    struct qproc *p = get((void **)qi->procs, qi->procs_cap, id, offsetof(struct qproc, id));
    if (p)
        return p;
    struct store_procinfo pi;
    if (store_proc_info(qi->st, id, &pi) != 0) {
        snprintf(qi->err, sizeof qi->err, "%s", store_errmsg(qi->st));
        return NULL;
    }
    p = calloc(1, sizeof *p);
    if (p) {
        p->id = id;
        p->pid = pi.pid;
        p->cmd = join_argv(pi.argv, pi.argv_len);
    }
    free(pi.argv);
    if (!p || !p->cmd ||
        put((void ***)&qi->procs, &qi->procs_cap, &qi->procs_n, p, offsetof(struct qproc, id)) != 0) {
        proc_free(p);
        return oom(qi);
    }
    return p;
}

int qobj_cmp(const struct qobj *a, const struct qobj *b)
{
    size_t n = a->raw_len < b->raw_len ? a->raw_len : b->raw_len;
    int c = memcmp(a->raw, b->raw, n);
    if (c)
        return c;
    if (a->raw_len != b->raw_len)
        return a->raw_len < b->raw_len ? -1 : 1;
    return strcmp(a->host, b->host);
}
