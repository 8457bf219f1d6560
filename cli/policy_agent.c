/* policy_agent.c — see policy_agent.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "peer_link.h"
#include "policy_agent.h"
#include "query.h"

/* "tcp:IP:PORT" / "tcp:[IPv6]:PORT" (IPv4-mapped written as IPv4). */
static void dest_name(const struct ct_msg_classq *q, const unsigned char *dest, char *out, size_t n)
{
    const char *kind = q->dest_kind == CT_DEST_TCP ? "tcp" : "udp";
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    sa_family_t fam = 0;
    if (q->dest_len >= sizeof fam)
        memcpy(&fam, dest, sizeof fam);
    if (fam == AF_INET && q->dest_len >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in s;
        memcpy(&s, dest, sizeof s);
        inet_ntop(AF_INET, &s.sin_addr, ip, sizeof ip);
        port = ntohs(s.sin_port);
        snprintf(out, n, "%s:%s:%u", kind, ip, port);
    } else if (fam == AF_INET6 && q->dest_len >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 s;
        memcpy(&s, dest, sizeof s);
        port = ntohs(s.sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&s.sin6_addr)) {
            inet_ntop(AF_INET, s.sin6_addr.s6_addr + 12, ip, sizeof ip);
            snprintf(out, n, "%s:%s:%u", kind, ip, port);
        } else {
            inet_ntop(AF_INET6, &s.sin6_addr, ip, sizeof ip);
            snprintf(out, n, "%s:[%s]:%u", kind, ip, port);
        }
    } else {
        snprintf(out, n, "%s:?", kind);
    }
}

/* A kernel-side copy into a socket (d->nobuf) has no buffer to mask: the
 * tracker shuts the socket down instead, so the decision is a block. */
static int act_of(const struct pa_decision *d, int action)
{
    return d->nobuf && action == CT_ACT_MASK ? CT_ACT_BLOCK : action;
}

static int add_piece(struct pa_decision *d, uint64_t rel, uint64_t len, const struct pol_class *k)
{
    struct ct_classr_piece *np = realloc(d->pieces, (d->npieces + 1) * sizeof *np);
    if (!np)
        return -1;
    d->pieces = np;
    d->pieces[d->npieces++] = (struct ct_classr_piece){ .sink_rel = rel, .len = len,
                                                        .action = (uint32_t)act_of(d, k->action),
                                                        .mask = k->mask };
    return 0;
}

static int add_alert(struct pa_decision *d, const struct pa_alert *a)
{
    if (d->nalerts) {          /* a continuation of the last one: one alert */
        struct pa_alert *l = &d->alerts[d->nalerts - 1];
        if (l->cls == a->cls && l->src_obj == a->src_obj && a->src_obj && l->src_end == a->src_start &&
            l->note == a->note) {
            l->src_end = a->src_end;
            l->bytes += a->bytes;
            return 0;
        }
    }
    struct pa_alert *na = realloc(d->alerts, (d->nalerts + 1) * sizeof *na);
    if (!na)
        return -1;
    d->alerts = na;
    d->alerts[d->nalerts] = *a;
    d->alerts[d->nalerts++].action = act_of(d, a->action);
    return 0;
}

/* The strictest class: what unresolvable bytes get. */
static const struct pol_class *strictest(const struct policy *p)
{
    const struct pol_class *b = &p->cls[0];
    for (size_t i = 1; i < p->ncls; i++)
        if (p->cls[i].action > b->action)
            b = &p->cls[i];
    return b;
}

static int fail_closed(struct pa_decision *d, const struct policy *p, const struct ct_classq_run *r,
                       const char *note)
{
    const struct pol_class *k = strictest(p);
    struct pa_alert a = { .cls = k, .action = k->action, .bytes = r->len, .note = note };
    return add_piece(d, r->sink_rel, r->len, k) != 0 || add_alert(d, &a) != 0 ? -1 : 0;
}

/* A protected piece going to a trusted host: its labels travel (carried). */
static int add_carry(struct pa_decision *d, const struct peer_piece *pp, const struct pol_class *k)
{
    struct peer_piece *nc = realloc(d->carry, (d->ncarry + 1) * sizeof *nc);
    if (nc)
        d->carry = nc;
    const struct pol_class **nk = realloc(d->carry_cls, (d->ncarry + 1) * sizeof *nk);
    if (nk)
        d->carry_cls = nk;
    if (!nc || !nk)
        return -1;
    d->carry[d->ncarry] = *pp;
    d->carry_cls[d->ncarry++] = k;
    return 0;
}

/* carry: the destination is a trusted host elsewhere: protected pieces are
 * collected for its agent instead of getting their class's action. */
static int decide_run(struct store *st, const struct policy *p, const struct handlemap *hm,
                      const struct ct_classq_run *r, int carry, struct pa_decision *d)
{
    int64_t obj;
    if (!hm_get(hm, r->src, &obj) || obj < 0)
        return fail_closed(d, p, r, "the agent does not know the source object: failing closed");
    struct query q;
    struct qrows rows = { 0 };
    int rc = 0;
    query_init(&q, st, Q_BACKWARD);
    struct qnode *root = query_run(&q, obj, r->src_off, r->src_off + r->src_len);
    if (!root || query_rows(&q, root, &rows) != 0) {
        query_free(&q);
        return fail_closed(d, p, r, "the backward query failed: failing closed");
    }
    /* The rows leave out the target's own original bytes (bytes of the
     * source object no tracked process wrote): they come from the object
     * itself, e.g. a protected file read directly. */
    struct qrow self = { .obj = obj, .mode = CT_MODE_ALIGNED };
    if (root->all_term) {
        self.start = self.ostart = root->start;
        self.end = self.oend = root->end;
        if (qrows_push(&rows, &self) != 0)
            rc = -1;
    } else {
        for (size_t i = 0; i < root->nterm && rc == 0; i++) {
            self.start = self.ostart = root->term[i].start;
            self.end = self.oend = root->term[i].end;
            if (qrows_push(&rows, &self) != 0)
                rc = -1;
        }
    }
    for (size_t i = 0; i < rows.n && rc == 0; i++) {
        const struct qrow *w = &rows.v[i];
        struct store_objinfo oi;
        if (store_object_info(st, w->obj, &oi) != 0) {
            rc = fail_closed(d, p, r, "an original source is unknown: failing closed");
            continue;
        }
        char *name = malloc(oi.name_len + 1);
        if (!name) {
            free(oi.name);
            rc = -1;
            break;
        }
        memcpy(name, oi.name, oi.name_len);
        name[oi.name_len] = '\0';
        free(oi.name);
        if (oi.kind == CT_OBJ_PIPE)
            d->pending = 1;    /* its writer's records may still be on their way */
        const struct pol_class *k = policy_class_of(p, oi.host_name, name);
        free(name);
        if (!k)
            continue;
        uint64_t rel = r->sink_rel, len = r->len;
        if (r->mode == CT_MODE_ALIGNED) {
            rel += w->start - r->src_off;
            len = w->end - w->start;
        }
        if (carry) {
            struct peer_piece pp = {
                .rel = rel, .len = len, .src_obj = w->obj, .src_start = w->ostart, .src_end = w->oend,
                .mode = r->mode == CT_MODE_ALIGNED && w->mode == CT_MODE_ALIGNED &&
                        len == w->oend - w->ostart ? CT_MODE_ALIGNED : CT_MODE_ALL,
            };
            if (add_carry(d, &pp, k) != 0)
                rc = -1;
            continue;
        }
        struct pa_alert a = { .cls = k, .action = k->action, .src_obj = w->obj,
                              .src_start = w->ostart, .src_end = w->oend, .bytes = len };
        if (add_piece(d, rel, len, k) != 0 || add_alert(d, &a) != 0)
            rc = -1;
    }
    qrows_free(&rows);
    query_free(&q);
    return rc;
}

int pa_decide(struct store *st, const struct policy *p, const struct handlemap *hm,
              const struct ct_msg_classq *q, const unsigned char *dest,
              const struct ct_classq_run *runs, int peer_tracked, struct pa_decision *d)
{
    memset(d, 0, sizeof *d);
    d->nobuf = q->dest_kind != CT_DEST_FILE && (q->sysno == SYS_sendfile || q->sysno == SYS_splice);
    if (q->dest_kind == CT_DEST_UNIX) {
        /* "unix:/path", "unix:@abstract" or "unix:pid N" */
        int32_t pid = 0;
        if (q->dest_len >= 4)
            memcpy(&pid, dest, 4);
        const unsigned char *sun = dest + 4;
        size_t pl = q->dest_len > 4 + 2 ? q->dest_len - 4 - 2 : 0;
        char path[200] = "";
        if (pl) {
            if (pl >= sizeof path)
                pl = sizeof path - 1;
            memcpy(path, sun + 2, pl);
            path[pl] = '\0';
            if (path[0] == '\0' && pl > 1)
                path[0] = '@';             /* abstract name */
        }
        if (path[0])
            snprintf(d->dest, sizeof d->dest, "unix:%s", path);
        else
            snprintf(d->dest, sizeof d->dest, "unix:pid %d", (int)pid);
        d->trusted = peer_tracked || (path[0] == '/' && policy_trusted_path(p, path));
    } else if (q->dest_kind == CT_DEST_FILE) {
        snprintf(d->dest, sizeof d->dest, "%s", (const char *)dest);
        d->trusted = strncmp(d->dest, "file:", 5) == 0 && policy_trusted_path(p, d->dest + 5);
    } else {
        dest_name(q, dest, d->dest, sizeof d->dest);
        d->trusted = policy_trusted_addr(p, (const struct sockaddr *)dest, q->dest_len);
        /* A trusted host elsewhere gets the labels of the protected bytes
         * (peer_msg.h); one on this host shares our store already. */
        if (d->trusted && !peer_is_local((const struct sockaddr *)dest, q->dest_len)) {
            d->trusted = 0;
            d->remote = 1;
            if (!q->sink || !hm_get(hm, q->sink, &d->stream) || d->stream < 0)
                d->stream = 0;     /* no shared name: carry() fails closed */
        }
    }
    if (d->trusted)
        return 0;
    for (uint32_t i = 0; i < q->nruns; i++)
        if (decide_run(st, p, hm, &runs[i], d->remote, d) != 0)
            return -1;
    if (d->remote && !d->npieces && !d->ncarry)
        d->trusted = 1;
    return 0;
}

int pa_carry_failed(struct pa_decision *d, const char *note)
{
    for (size_t i = 0; i < d->ncarry; i++) {
        const struct pol_class *k = d->carry_cls[i];
        const struct peer_piece *pp = &d->carry[i];
        struct pa_alert a = { .cls = k, .action = k->action, .src_obj = pp->src_obj,
                              .src_start = pp->src_start, .src_end = pp->src_end, .bytes = pp->len,
                              .note = note };
        if (add_piece(d, pp->rel, pp->len, k) != 0 || add_alert(d, &a) != 0)
            return -1;
    }
    d->ncarry = 0;
    return 0;
}

void pa_free(struct pa_decision *d)
{
    free(d->pieces);
    free(d->alerts);
    free(d->carry);
    free(d->carry_cls);
    d->pieces = NULL;
    d->alerts = NULL;
    d->carry = NULL;
    d->carry_cls = NULL;
    d->npieces = d->nalerts = d->ncarry = 0;
}
