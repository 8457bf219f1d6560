/* out_tree.c — the readable output (see render.h): the target at the root,
 * then per node its hops (the process that wrote / read those bytes, and
 * the object range on the other side), in offset order, together with the
 * bytes that end there.  Backward:
 *
 *   file:/tmp/c.txt
 *     [0,5) <- [pid 12] cat b.txt (aligned)
 *       file:/tmp/b.txt [0,5)
 *         [0,5) <- [pid 11] cp a.txt b.txt (aligned)
 *           file:/tmp/a.txt [0,5): original source
 *
 * A node reached again (the same bytes feeding several places) is printed
 * once with its hops; later it says "(shown above)".
 */
#include <stdio.h>
#include <string.h>

#include "ct_wire.h"
#include "render.h"

struct tree {
    FILE *out;
    struct qinfo *qi;
    enum qdir dir;
    int whole;          /* the target is a whole object: its end is unknown */
    int proc;           /* a process target: the root's other bytes are not its business */
    char bbox[200];     /* end_word_for()'s answer */
    int hosts;          /* the store holds several hosts: names are HOST:NAME */
};

static void indent(struct tree *t, int depth)
{
    for (int i = 0; i < depth; i++)
        fputs("  ", t->out);
}

static void range(struct tree *t, uint64_t a, uint64_t b)
{
    fprintf(t->out, "[%llu,%llu)", (unsigned long long)a, (unsigned long long)b);
}

static const char *end_word(const struct tree *t)
{
    return t->dir == Q_BACKWARD ? "original source" : "final sink";
}

static int print_node(struct tree *t, struct qnode *n, int depth);

/* Bytes that end in a network stream nobody tracked on the other side
 * came from (went to) an untracked host: a black box, named by the far
 * endpoint of `tcp:SRC>DST#ID` / `udp:SRC>DST`. */
static const char *end_word_for(struct tree *t, const struct qobj *o)
{
    const char *n = o->human;
    if (strncmp(n, "tcp:", 4) != 0 && strncmp(n, "udp:", 4) != 0)
        return end_word(t);
    const char *gt = strchr(n + 4, '>');
    if (!gt)
        return end_word(t);
    const char *a = t->dir == Q_BACKWARD ? n + 4 : gt + 1;
    size_t len = t->dir == Q_BACKWARD ? (size_t)(gt - a) : strcspn(a, "#");
    snprintf(t->bbox, sizeof t->bbox, "%s untracked peer %.*s (black box)",
             t->dir == Q_BACKWARD ? "sent by" : "received by", (int)len, a);
    return t->bbox;
}

/* The object's name, and why its version began when the store knows. */
static void name(struct tree *t, const struct qobj *o)
{
    if (t->hosts)
        fprintf(t->out, "%s:", o->host);
    fputs(o->human, t->out);
    if (o->note)
        fprintf(t->out, " (version %lld: %s)", (long long)o->version, o->note);
}

static int print_hop(struct tree *t, const struct qhop *h, int depth)
{
    const struct qproc *p = qinfo_proc(t->qi, h->proc);
    if (!p)
        return -1;
    indent(t, depth);
    range(t, h->start, h->end);
    fprintf(t->out, " %s [pid %d] %s (%s)\n", t->dir == Q_BACKWARD ? "<-" : "->",
            (int)p->pid, p->cmd, h->mode == CT_MODE_ALIGNED ? "aligned" : "all");
    if (h->child)
        return print_node(t, h->child, depth + 1);
    const struct qobj *o = qinfo_obj(t->qi, h->cobj);
    if (!o)
        return -1;
    indent(t, depth + 1);
    name(t, o);
    fputc(' ', t->out);
    range(t, h->cstart, h->cend);
    fprintf(t->out, ": %s\n", end_word_for(t, o));
    return 0;
}

static void print_seg(struct tree *t, const struct qseg *s, const char *what, int depth)
{
    indent(t, depth);
    range(t, s->start, s->end);
    fprintf(t->out, ": %s\n", what);
}

/* Hops, terminal and dead ranges of n, merged in offset order. */
static int print_body(struct tree *t, struct qnode *n, int depth, const char *term_word)
{
    size_t h = 0, e = 0, d = 0;
    while (h < n->nhops || e < n->nterm || d < n->ndead) {
        uint64_t hs = h < n->nhops ? n->hops[h].start : UINT64_MAX;
        uint64_t es = e < n->nterm ? n->term[e].start : UINT64_MAX;
        uint64_t ds = d < n->ndead ? n->dead[d].start : UINT64_MAX;
        if (h < n->nhops && hs <= es && hs <= ds) {
            if (print_hop(t, &n->hops[h++], depth) != 0)
                return -1;
        } else if (e < n->nterm && es <= ds) {
            /* the tail of a whole target runs to "infinity": not worth a line */
            if (!(n->top && (t->proc || (t->whole && n->term[e].end == n->end))))
                print_seg(t, &n->term[e], term_word, depth);
            e++;
        } else {
            print_seg(t, &n->dead[d++], "overwritten before anyone read it", depth);
        }
    }
    return 0;
}

static int print_node(struct tree *t, struct qnode *n, int depth)
{
    const struct qobj *o = qinfo_obj(t->qi, n->obj);
    if (!o)
        return -1;
    indent(t, depth);
    name(t, o);
    fputc(' ', t->out);
    range(t, n->start, n->end);
    static const char *const cut_why[] = {
        [Q_CUT_CYCLE] = "a cycle, not followed",
        [Q_CUT_DEPTH] = "too many hops, not followed",
        [Q_CUT_BUDGET] = "query too large, not followed",
    };
    if (n->cut) {
        fprintf(t->out, ": %s\n", cut_why[n->cut]);
        return 0;
    }
    if (n->all_term) {
        fprintf(t->out, ": %s\n", end_word_for(t, o));
        return 0;
    }
    if (n->shown) {
        fputs(": (shown above)\n", t->out);
        return 0;
    }
    fputc('\n', t->out);
    n->shown = 1;
    char word[200];     /* children reuse t->bbox */
    snprintf(word, sizeof word, "%s", end_word_for(t, o));
    return print_body(t, n, depth + 1, word);
}

static int render(struct tree *tp, struct qnode *root);

int render_tree(FILE *out, struct qinfo *qi, enum qdir dir, struct qnode *root, int whole)
{
    struct tree t = { .out = out, .qi = qi, .dir = dir, .whole = whole,
                      .hosts = store_count_hosts(qi->st) > 1 };
    return render(&t, root);
}

int render_tree_proc(FILE *out, struct qinfo *qi, enum qdir dir, struct qnode *root)
{
    struct tree t = { .out = out, .qi = qi, .dir = dir, .whole = 1, .proc = 1,
                      .hosts = store_count_hosts(qi->st) > 1 };
    return render(&t, root);
}

static int render(struct tree *tp, struct qnode *root)
{
    struct tree t = *tp;
    FILE *out = t.out;
    struct qinfo *qi = t.qi;
    enum qdir dir = t.dir;
    int whole = t.whole;
    const struct qobj *o = qinfo_obj(qi, root->obj);
    if (!o)
        return -1;
    name(&t, o);
    if (!whole) {
        fputc(' ', out);
        range(&t, root->start, root->end);
    }
    fputc('\n', out);
    if (root->nhops == 0) {
        fputs("  no flows\n", out);
        return 0;
    }
    root->shown = 1;
    return print_body(&t, root, 1, dir == Q_BACKWARD ? "not written by a tracked process"
                                                     : "not read by a tracked process");
}
