/* paths.c — see paths.h. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

int ct_default_db(char *buf, size_t n)
{
    const char *db = getenv("CROSSTAG_DB");
    if (db && *db) {
        if (snprintf(buf, n, "%s", db) >= (int)n)
            goto toolong;
        return 0;
    }
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home || !*home) {
        fprintf(stderr, "crosstag: no home folder; use --db PATH or set CROSSTAG_DB\n");
        return -1;
    }
    if (snprintf(buf, n, "%s/.local/share/crosstag/crosstag.db", home) >= (int)n)
        goto toolong;
    return 0;
toolong:
    fprintf(stderr, "crosstag: database path too long\n");
    return -1;
}

/* 0 runnable, else ENOENT / EACCES. */
static int runnable(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return ENOENT;
    if (S_ISDIR(st.st_mode) || access(path, X_OK) != 0)
        return EACCES;
    return 0;
}

int ct_find_program(const char *name, char *out, size_t n)
{
    if (!*name)
        return ENOENT;
    if (strchr(name, '/')) {
        if (snprintf(out, n, "%s", name) >= (int)n)
            return ENAMETOOLONG;
        return runnable(out);
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    int err = ENOENT;
    for (const char *p = path;;) {
        const char *end = strchr(p, ':');
        size_t dl = end ? (size_t)(end - p) : strlen(p);
        /* an empty PATH entry means the current folder */
        if (snprintf(out, n, "%.*s%s%s", (int)dl, p, dl ? "/" : "", name) < (int)n) {
            int r = runnable(out);
            if (r == 0)
                return 0;
            if (r == EACCES)
                err = EACCES;   /* keep looking, as execvp does */
        }
        if (!end)
            break;
        p = end + 1;
    }
    return err;
}

int ct_lib_dir(char *out, size_t n)
{
    const char *env = getenv("CROSSTAG_LIB");
    if (env && *env)
        return snprintf(out, n, "%s", env) < (int)n ? 0 : -1;
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return -1;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    char raw[4200];
    snprintf(raw, sizeof raw, "%s/../lib/crosstag", exe);
    char *real = realpath(raw, NULL);   /* tidy when it exists */
    int r = snprintf(out, n, "%s", real ? real : raw) < (int)n ? 0 : -1;
    free(real);
    return r;
}
