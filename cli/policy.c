// policy.c — reading and matching the leak-prevention policy (policy.h).
//
// Format (INI, parsed by libinih):
//   [class confidential]      one section per class
//   action = mask             alert | mask | block (default alert)
//   mask = *                  the mask byte: one character (default '*')
//   source = /srv/secret/*    protected original sources, on every host
//   source = hostb:/data/*    ... only on host hostb
//   [trusted]
//   net = 10.0.0.0/8          trusted peers: CIDR, optional "port N" or "port N-M"
//   path = /var/backups/*     trusted local paths (writes there are not egress)
//   [network]
//   agent_port = 7420         where agents take labels from other hosts' agents
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <ini.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_wire.h"
#include "policy.h"

struct parse {
    struct policy *p;
    char err[512];             /* the first error, without file and line */
    int err_line;
    FILE *f;
    int line;                  /* lines read so far: inih handles the last one read */
    int sections;              /* section headers read so far */
    struct pol_class *cur;     /* the class of the current section */
    int in_trusted, in_network;
};

static int fail(struct parse *ps, const char *fmt, const char *a, const char *b)
{
    if (!ps->err[0]) {
        snprintf(ps->err, sizeof ps->err, fmt, a, b);
        ps->err_line = ps->line;
    }
    return 0;                  /* inih: this line is an error */
}

const char *policy_action_name(int action)
{
    static const char *const n[] = { "none", "alert", "mask", "block" };
    return action >= 0 && action <= CT_ACT_BLOCK ? n[action] : "?";
}

static int grow(void **v, size_t n, size_t elem)
{
    void *nv = realloc(*v, (n + 1) * elem);
    if (!nv)
        return -1;
    *v = nv;
    return 0;
}

/* A new section: [class NAME] or [trusted]. */
static int enter(struct parse *ps, const char *section)
{
    struct policy *p = ps->p;
    ps->cur = NULL;
    ps->in_trusted = ps->in_network = 0;
    if (strcmp(section, "trusted") == 0) {
        ps->in_trusted = 1;
        return 1;
    }
    if (strcmp(section, "network") == 0) {
        ps->in_network = 1;
        return 1;
    }
    if (strncmp(section, "class ", 6) != 0)
        return fail(ps, "unknown section [%s] (expected [class NAME], [trusted] or [network])",
                    section, "");
    const char *name = section + 6;
    while (*name == ' ')
        name++;
    size_t l = strlen(name);
    if (l == 0 || l >= sizeof p->cls[0].name || strspn(name, "abcdefghijklmnopqrstuvwxyz"
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != l)
        return fail(ps, "bad class name '%s' (letters, digits, '_', '-', '.'; at most 63)", name, "");
    for (size_t i = 0; i < p->ncls; i++)
        if (strcmp(p->cls[i].name, name) == 0)
            return fail(ps, "class '%s' defined twice", name, "");
    if (grow((void **)&p->cls, p->ncls, sizeof *p->cls) != 0)
        return fail(ps, "out of memory", "", "");
    ps->cur = &p->cls[p->ncls++];
    memset(ps->cur, 0, sizeof *ps->cur);
    snprintf(ps->cur->name, sizeof ps->cur->name, "%s", name);
    ps->cur->action = CT_ACT_ALERT;
    ps->cur->mask = '*';
    return 1;
}

static int parse_net(struct parse *ps, const char *v)
{
    struct pol_net n = { .port_lo = 0, .port_hi = 65535 };
    char buf[256], *port = NULL;
    if (strlen(v) >= sizeof buf)
        return fail(ps, "net value too long: '%.60s...'", v, "");
    strcpy(buf, v);
    char *sp = strchr(buf, ' ');
    if (sp) {
        *sp = '\0';
        port = sp + 1;
        while (*port == ' ')
            port++;
        if (strncmp(port, "port ", 5) != 0)
            return fail(ps, "bad net '%s' (expected CIDR [port N[-M]])", v, "");
        port += 5;
    }
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    if (inet_pton(AF_INET, buf, n.addr) == 1)
        n.family = AF_INET;
    else if (inet_pton(AF_INET6, buf, n.addr) == 1)
        n.family = AF_INET6;
    else
        return fail(ps, "bad address '%s' in net '%s'", buf, v);
    int maxp = n.family == AF_INET ? 32 : 128;
    n.prefix = maxp;
    if (slash) {
        char *end;
        long pl = strtol(slash + 1, &end, 10);
        if (!slash[1] || *end || pl < 0 || pl > maxp)
            return fail(ps, "bad prefix length in net '%s'", v, "");
        n.prefix = (int)pl;
    }
    if (port) {
        char *end;
        long lo = strtol(port, &end, 10), hi = lo;
        if (end != port && *end == '-')
            hi = strtol(end + 1, &end, 10);
        if (end == port || *end || lo < 0 || hi > 65535 || lo > hi)
            return fail(ps, "bad port range in net '%s'", v, "");
        n.port_lo = (unsigned)lo;
        n.port_hi = (unsigned)hi;
    }
    if (grow((void **)&ps->p->nets, ps->p->nnets, sizeof n) != 0)
        return fail(ps, "out of memory", "", "");
    ps->p->nets[ps->p->nnets++] = n;
    return 1;
}

static int add_source(struct parse *ps, const char *v)
{
    struct pol_source s = { 0 };
    const char *glob = v;
    if (v[0] != '/') {
        const char *c = strchr(v, ':');
        if (!c || c == v || c[1] != '/')
            return fail(ps, "bad source '%s' (expected /GLOB or HOST:/GLOB)", v, "");
        s.host = strndup(v, (size_t)(c - v));
        glob = c + 1;
    }
    s.glob = strdup(glob);
    struct pol_class *k = ps->cur;
    if (!s.glob || grow((void **)&k->src, k->nsrc, sizeof s) != 0) {
        free(s.host);
        free(s.glob);
        return fail(ps, "out of memory", "", "");
    }
    k->src[k->nsrc++] = s;
    return 1;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
    struct parse *ps = user;
    if (!ps->sections || !section[0])
        return fail(ps, "'%s' outside any section (start with [class NAME] or [trusted])", key, "");
    if (!ps->cur && !ps->in_trusted && !ps->in_network)
        return 0;              /* the section was bad: reported once */
    if (!value[0])
        return fail(ps, "%s has no value", key, "");
    if (ps->in_network) {
        if (strcmp(key, "agent_port") != 0)
            return fail(ps, "unknown key '%s' in [network] (expected agent_port)", key, "");
        char *end;
        long port = strtol(value, &end, 10);
        if (*end || port < 1 || port > 65535)
            return fail(ps, "bad agent_port '%s' (expected 1-65535)", value, "");
        ps->p->agent_port = (unsigned)port;
        return 1;
    }
    if (ps->in_trusted) {
        if (strcmp(key, "net") == 0)
            return parse_net(ps, value);
        if (strcmp(key, "path") == 0) {
            if (value[0] != '/')
                return fail(ps, "bad path '%s' (expected an absolute path or glob)", value, "");
            struct policy *p = ps->p;
            if (grow((void **)&p->paths, p->npaths, sizeof *p->paths) != 0 ||
                !(p->paths[p->npaths] = strdup(value)))
                return fail(ps, "out of memory", "", "");
            p->npaths++;
            return 1;
        }
        return fail(ps, "unknown key '%s' in [trusted] (expected net or path)", key, "");
    }
    if (strcmp(key, "action") == 0) {
        int a = strcmp(value, "alert") == 0 ? CT_ACT_ALERT : strcmp(value, "mask") == 0 ? CT_ACT_MASK
              : strcmp(value, "block") == 0 ? CT_ACT_BLOCK : -1;
        if (a < 0)
            return fail(ps, "unknown action '%s' (expected alert, mask or block)", value, "");
        ps->cur->action = a;
        return 1;
    }
    if (strcmp(key, "mask") == 0) {
        if (strlen(value) != 1)
            return fail(ps, "mask must be one character, not '%s'", value, "");
        ps->cur->mask = (unsigned char)value[0];
        return 1;
    }
    if (strcmp(key, "source") == 0)
        return add_source(ps, value);
    return fail(ps, "unknown key '%s' in a class (expected action, mask or source)", key, "");
}

/* inih's line reader, watching for section headers: every section is
 * entered here, even one without keys (inih only reports keys), so a
 * class named twice or left empty is caught. */
static char *read_line(char *str, int num, void *stream)
{
    struct parse *ps = stream;
    if (!fgets(str, num, ps->f))
        return NULL;
    ps->line++;
    const char *p = str;
    while (*p == ' ' || *p == '\t')
        p++;
    const char *end = *p == '[' ? strchr(p, ']') : NULL;
    if (end) {
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
        size_t l = strlen(name);
        while (l && name[l - 1] == ' ')
            name[--l] = '\0';
        ps->sections++;
        enter(ps, name);
    }
    return str;
}

int policy_load(const char *file, struct policy *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (!realpath(file, p->path)) {
        snprintf(err, errlen, "%s: %s", file, strerror(errno));
        return -1;
    }
    FILE *f = fopen(p->path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", file, strerror(errno));
        return -1;
    }
    p->agent_port = POLICY_AGENT_PORT;
    struct parse ps = { .p = p, .f = f };
    int line = ini_parse_stream(read_line, &ps, on_key, &ps);
    fclose(f);
    if (line != 0 || ps.err[0]) {
        if (line < 0)
            snprintf(err, errlen, "%s: cannot read", file);
        else if (ps.err[0] && (line == 0 || ps.err_line <= line))
            snprintf(err, errlen, "%s:%d: %s", file, ps.err_line, ps.err);
        else
            snprintf(err, errlen, "%s:%d: %s", file, line,
                     "syntax error (expected [section], key = value or a comment)");
        policy_free(p);
        return -1;
    }
    if (p->ncls == 0) {
        snprintf(err, errlen, "%s: no [class NAME] section: nothing is protected", file);
        policy_free(p);
        return -1;
    }
    for (size_t i = 0; i < p->ncls; i++)
        if (p->cls[i].nsrc == 0) {
            snprintf(err, errlen, "%s: class '%s' has no source", file, p->cls[i].name);
            policy_free(p);
            return -1;
        }
    return 0;
}

void policy_free(struct policy *p)
{
    for (size_t i = 0; i < p->ncls; i++) {
        for (size_t j = 0; j < p->cls[i].nsrc; j++) {
            free(p->cls[i].src[j].host);
            free(p->cls[i].src[j].glob);
        }
        free(p->cls[i].src);
    }
    for (size_t i = 0; i < p->npaths; i++)
        free(p->paths[i]);
    free(p->cls);
    free(p->nets);
    free(p->paths);
    p->cls = NULL;
    p->nets = NULL;
    p->paths = NULL;
    p->ncls = p->nnets = p->npaths = 0;
}

static int prefix_match(const unsigned char *a, const unsigned char *b, int bits)
{
    int full = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)full) != 0)
        return 0;
    if (!rest)
        return 1;
    unsigned char m = (unsigned char)(0xff << (8 - rest));
    return (a[full] & m) == (b[full] & m);
}

/* The address of sa (IPv4-mapped IPv6 as IPv4) and its port; 0 when it
 * is not an IP address. */
static int ip_of(const struct sockaddr *sa, size_t len, unsigned char a[16], unsigned *port)
{
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *s = (const void *)sa;
        memcpy(a, &s->sin_addr, 4);
        *port = ntohs(s->sin_port);
        return AF_INET;
    }
    if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *s = (const void *)sa;
        *port = ntohs(s->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr)) {    /* ::ffff:a.b.c.d is IPv4 */
            memcpy(a, s->sin6_addr.s6_addr + 12, 4);
            return AF_INET;
        }
        memcpy(a, &s->sin6_addr, 16);
        return AF_INET6;
    }
    return 0;
}

static int trusted(const struct policy *p, const struct sockaddr *sa, size_t len, int any_port)
{
    unsigned char a[16];
    unsigned port;
    int fam = ip_of(sa, len, a, &port);
    for (size_t i = 0; fam && i < p->nnets; i++) {
        const struct pol_net *n = &p->nets[i];
        if (n->family == fam && prefix_match(a, n->addr, n->prefix) &&
            (any_port || (port >= n->port_lo && port <= n->port_hi)))
            return 1;
    }
    return 0;
}

int policy_trusted_addr(const struct policy *p, const struct sockaddr *sa, size_t len)
{
    return trusted(p, sa, len, 0);
}

int policy_trusted_host(const struct policy *p, const struct sockaddr *sa, size_t len)
{
    return trusted(p, sa, len, 1);
}

int policy_trusted_path(const struct policy *p, const char *path)
{
    for (size_t i = 0; i < p->npaths; i++)
        if (fnmatch(p->paths[i], path, 0) == 0)
            return 1;
    return 0;
}

const struct pol_class *policy_class_of(const struct policy *p, const char *host, const char *name)
{
    const struct pol_class *best = NULL;
    if (strncmp(name, "file:", 5) != 0)
        return NULL;
    for (size_t i = 0; i < p->ncls; i++) {
        const struct pol_class *k = &p->cls[i];
        for (size_t j = 0; j < k->nsrc; j++) {
            if (k->src[j].host && strcmp(k->src[j].host, host) != 0)
                continue;
            if (fnmatch(k->src[j].glob, name + 5, 0) == 0 && (!best || k->action > best->action))
                best = k;
        }
    }
    return best;
}

int policy_strictest(const struct policy *p, unsigned char *mask)
{
    int best = CT_ACT_NONE;
    *mask = '*';
    for (size_t i = 0; i < p->ncls; i++)
        if (p->cls[i].action > best) {
            best = p->cls[i].action;
            *mask = p->cls[i].mask;
        }
    return best;
}
