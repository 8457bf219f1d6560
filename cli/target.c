/* target.c — parses TARGET (see target.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ct_wire.h"
#include "target.h"

/* Object name prefixes the tracker writes (design.md "Objects and names"). */
static const char *const kinds[] = {
    "file:", "pipe:", "fifo:", "socket:", "tty:", "dev:", "anon:", "tcp:", "udp:", "unix:",
};

static size_t kind_prefix(const char *s)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t n = strlen(kinds[i]);
        if (strncmp(s, kinds[i], n) == 0)
            return n;
    }
    return 0;
}

static int fail(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
    snprintf(err, errlen, fmt, a, b);
    return -1;
}

/* Decimal digits only (no sign, no spaces): 1 ok, 0 not a number, -1 too big. */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

/* "START-END": 1 ok, 0 not that shape, -1 a number too big. */
static int parse_range(const char *s, uint64_t *a, uint64_t *b)
{
    const char *dash = strchr(s, '-');
    if (!dash)
        return 0;
    int ra = parse_u64(s, (size_t)(dash - s), a);
    int rb = parse_u64(dash + 1, strlen(dash + 1), b);
    if (ra == 0 || rb == 0)
        return 0;
    return ra < 0 || rb < 0 ? -1 : 1;
}

/* Lexically: "." and empty parts dropped, ".." removes the previous part. */
static void normalize(char *p)
{
    char *out = p, *s = p;
    while (*s) {
        while (*s == '/')
            s++;
        char *part = s;
        while (*s && *s != '/')
            s++;
        size_t n = (size_t)(s - part);
        if (n == 0 || (n == 1 && part[0] == '.'))
            continue;
        if (n == 2 && part[0] == '.' && part[1] == '.') {
            while (out > p && *--out != '/')
                ;
            continue;
        }
        *out++ = '/';
        memmove(out, part, n);
        out += n;
    }
    if (out == p)
        *out++ = '/';
    *out = '\0';
}

/* An absolute form of a path that does not exist (any more): from the
 * current folder, with the folder itself resolved if it still exists. */
static char *absolute(const char *path)
{
    char *cwd = NULL, *joined;
    if (path[0] != '/') {
        cwd = getcwd(NULL, 0);
        if (!cwd)
            return NULL;
    }
    if (asprintf(&joined, "%s/%s", cwd ? cwd : "", path) < 0)
        joined = NULL;
    free(cwd);
    if (!joined)
        return NULL;
    normalize(joined);
    char *slash = strrchr(joined, '/');
    if (slash == joined)            /* directly under / */
        return joined;
    *slash = '\0';
    char *dir = realpath(joined, NULL), *res = NULL;
    *slash = '/';
    if (!dir)
        return joined;
    if (asprintf(&res, "%s%s", strcmp(dir, "/") == 0 ? "" : dir, slash) < 0)
        res = NULL;
    free(dir);
    free(joined);
    return res;
}

static int set_name(struct target *t, const char *prefix, const char *path)
{
    char *n;
    if (asprintf(&n, "%s%s", prefix, path) < 0)
        return -1;
    t->name = (unsigned char *)n;
    t->name_len = strlen(n);
    return 0;
}

/* Terminals are named "tty:", other character devices "dev:". */
static int is_tty_path(const char *p)
{
    return strncmp(p, "/dev/pts/", 9) == 0 || strncmp(p, "/dev/tty", 8) == 0 ||
           strcmp(p, "/dev/console") == 0;
}

/* An existing file: regular files by (dev, ino), others by name. */
static int existing(struct target *t, const char *path, const struct stat *st,
                    char *err, size_t errlen)
{
    if (S_ISDIR(st->st_mode))
        return fail(err, errlen, "%s is a folder, not a file%s", path, "");
    char *abs = realpath(path, NULL);
    if (!abs)
        return fail(err, errlen, "%s: %s", path, strerror(errno));
    int r;
    if (S_ISREG(st->st_mode)) {
        t->kind = CT_OBJ_FILE;
        t->exists = 1;
        t->dev = (uint64_t)st->st_dev;
        t->ino = (uint64_t)st->st_ino;
        r = set_name(t, "file:", abs);
        if (r == 0 && !t->whole && t->end > (uint64_t)st->st_size) {
            snprintf(err, errlen, "%s: range %llu-%llu goes beyond its end (%llu bytes)", path,
                     (unsigned long long)t->start, (unsigned long long)t->end,
                     (unsigned long long)st->st_size);
            free(abs);
            return -1;
        }
    } else if (S_ISFIFO(st->st_mode)) {
        t->kind = CT_OBJ_PIPE;
        r = set_name(t, "fifo:", abs);
    } else if (S_ISCHR(st->st_mode)) {
        t->kind = is_tty_path(abs) ? CT_OBJ_TTY : CT_OBJ_DEVICE;
        r = set_name(t, t->kind == CT_OBJ_TTY ? "tty:" : "dev:", abs);
    } else {
        r = set_name(t, "file:", abs);
    }
    free(abs);
    if (r != 0)
        return fail(err, errlen, "out of memory%s%s", "", "");
    return 0;
}

/* A path that is not there: by name. */
static int missing(struct target *t, const char *path, char *err, size_t errlen)
{
    size_t k = kind_prefix(path);
    int r;
    if (k && strncmp(path, "file:", k) != 0) {
        t->kind = 0;                /* "pipe:123": the stored name itself */
        r = set_name(t, "", path);
    } else {
        if (k)
            path += k;              /* "file:rel/path" is still made absolute */
        char *abs = absolute(path);
        if (!abs)
            return fail(err, errlen, "%s: %s", path, strerror(errno));
        t->kind = CT_OBJ_FILE;
        r = set_name(t, "file:", abs);
        free(abs);
    }
    if (r != 0)
        return fail(err, errlen, "out of memory%s%s", "", "");
    return 0;
}

/* "IP:PORT" or "[IPv6]:PORT", PORT decimal: 1 yes, 0 no. */
static int is_endpoint(const char *s, size_t n)
{
    const char *end = s + n, *colon;
    if (n && s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (!rb || rb + 1 >= end || rb[1] != ':')
            return 0;
        colon = rb + 1;
    } else {
        colon = NULL;
        for (const char *p = s; p < end; p++)
            if (*p == ':')
                colon = p;
        if (!colon || colon == s || memchr(s, ':', (size_t)(colon - s)))
            return 0;
    }
    uint64_t port;
    return parse_u64(colon + 1, (size_t)(end - colon - 1), &port) == 1 && port <= 65535;
}

/* "tcp:IP:PORT[:START-END]" (likewise udp:): every stream into the endpoint. */
static int endpoint(const char *arg, struct target *t, char *err, size_t errlen, int *done)
{
    *done = 0;
    size_t k = strncmp(arg, "tcp:", 4) == 0 || strncmp(arg, "udp:", 4) == 0 ? 4 : 0;
    if (!k || strchr(arg, '>'))
        return 0;
    const char *body = arg + k, *last = strrchr(body, ':');
    size_t n = strlen(body);
    if (last && strchr(last, '-') && last > body && is_endpoint(body, (size_t)(last - body))) {
        int r = parse_range(last + 1, &t->start, &t->end);
        if (r <= 0 || t->start > t->end)
            return fail(err, errlen, "bad range '%s' in TARGET %s", last + 1, arg);
        t->whole = 0;
        n = (size_t)(last - body);
    } else if (!is_endpoint(body, n)) {
        return 0;
    }
    char *name = strndup(arg, k + n);
    if (!name)
        return fail(err, errlen, "out of memory%s%s", "", "");
    t->name = (unsigned char *)name;
    t->name_len = k + n;
    t->kind = CT_OBJ_SOCKET;
    t->endpoint = 1;
    *done = 1;
    return 0;
}

/* "HOST:/path...": the length of HOST, or 0.  Kind prefixes ("file:",
 * "tcp:"...) are not hosts. */
static size_t host_prefix(const char *arg)
{
    size_t n = strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
    if (n == 0 || n > 255 || arg[n] != ':' || arg[n + 1] != '/' || kind_prefix(arg))
        return 0;
    return n;
}

static int parse_here(const char *arg, struct target *t, char *err, size_t errlen);

static int parse(const char *arg, struct target *t, char *err, size_t errlen)
{
    struct stat st;
    size_t h = stat(arg, &st) == 0 ? 0 : host_prefix(arg);
    if (!h)
        return parse_here(arg, t, err, errlen);
    if (!(t->host = strndup(arg, h)))
        return fail(err, errlen, "out of memory%s%s", "", "");
    return parse_here(arg + h + 1, t, err, errlen);
}

static int parse_here(const char *arg, struct target *t, char *err, size_t errlen)
{
    t->start = 0;
    t->end = UINT64_MAX;
    t->whole = 1;
    if (!arg[0])
        return fail(err, errlen, "empty TARGET%s%s", "", "");

    struct stat st;
    if (stat(arg, &st) == 0)
        return existing(t, arg, &st, err, errlen);
    if (strncmp(arg, "pid:", 4) == 0)
        return target_parse_pid(arg + 4, t, err, errlen);
    int done;
    if (endpoint(arg, t, err, errlen, &done) != 0 || done)
        return done ? 0 : -1;

    /* split off ":START-END"; a stored object name keeps its own colon */
    const char *colon = strrchr(arg + kind_prefix(arg), ':');
    if (!colon)
        return missing(t, arg, err, errlen);
    char *path = strndup(arg, (size_t)(colon - arg));
    if (!path)
        return fail(err, errlen, "out of memory%s%s", "", "");
    const char *spec = colon + 1;
    int r = parse_range(spec, &t->start, &t->end);
    int path_exists = path[0] && stat(path, &st) == 0;
    if (r == 0 && !path_exists && spec[0] && !(spec[0] >= '0' && spec[0] <= '9') &&
        spec[0] != '-' && spec[0] != '+') {
        free(path);                 /* "old:notes": a gone file with a colon */
        t->start = 0, t->end = UINT64_MAX;
        return missing(t, arg, err, errlen);
    }
    if (r <= 0) {
        fail(err, errlen, r < 0 ? "offset too large in '%s' (TARGET %s)"
                                : "bad range '%s' in TARGET %s (want PATH:START-END, decimal byte offsets)",
             spec, arg);
        free(path);
        return -1;
    }
    if (!path[0]) {
        free(path);
        return fail(err, errlen, "TARGET %s names no file%s", arg, "");
    }
    if (t->start > t->end) {
        free(path);
        return fail(err, errlen, "bad range '%s' in TARGET %s: START is after END", spec, arg);
    }
    t->whole = 0;
    r = path_exists ? existing(t, path, &st, err, errlen) : missing(t, path, err, errlen);
    free(path);
    return r;
}

void target_free(struct target *t)
{
    free(t->name);
    t->name = NULL;
    free(t->host);
    t->host = NULL;
}

int target_parse(const char *arg, struct target *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (parse(arg, t, err, errlen) == 0)
        return 0;
    target_free(t);
    return -1;
}
