/* agent_paths.c — where a database's agent keeps its socket, lock and log
 * (see agent.h).  The socket path must fit sun_path (108 bytes), so it is
 * named by a hash of the database path rather than placed next to it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

/* Absolute form of a path that may not exist yet: its folder resolved,
 * the last name kept. */
static int absolute(const char *db, char *out, size_t n)
{
    char dir[PATH_MAX], rdir[PATH_MAX];
    const char *slash = strrchr(db, '/');
    const char *base = slash ? slash + 1 : db;
    if (!*base) {
        fprintf(stderr, "crosstag: database path %s names a folder\n", db);
        return -1;
    }
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - db) ? (int)(slash - db) : 1, db);
    else
        snprintf(dir, sizeof dir, ".");
    if (!realpath(dir, rdir)) {
        /* the folder will be made by the store; hash the path as given */
        if (db[0] == '/')
            snprintf(rdir, sizeof rdir, "%s", dir);
        else if (!getcwd(rdir, sizeof rdir) ||
                 strlen(rdir) + 1 + strlen(dir) >= sizeof rdir)
            return -1;
        else {
            strcat(rdir, "/");
            strcat(rdir, dir);
        }
    }
    if ((size_t)snprintf(out, n, "%s/%s", strcmp(rdir, "/") ? rdir : "", base) >= n) {
        fprintf(stderr, "crosstag: database path too long\n");
        return -1;
    }
    return 0;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

int agent_paths(const char *db, struct agent_paths *p)
{
    if (absolute(db, p->db, sizeof p->db) != 0)
        return -1;
    char dir[80];
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (xdg && *xdg && strlen(xdg) < 40)
        snprintf(dir, sizeof dir, "%s/crosstag", xdg);
    else
        snprintf(dir, sizeof dir, "/tmp/crosstag-%u", (unsigned)getuid());
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "crosstag: cannot make %s: %s\n", dir, strerror(errno));
        return -1;
    }
    /* Someone else's folder, or one others may write, could hold a socket
     * that is not our agent. */
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
        (st.st_mode & 022)) {
        fprintf(stderr, "crosstag: %s is not a private folder of this user; remove it\n", dir);
        return -1;
    }
    uint64_t h = fnv1a(p->db);
    snprintf(p->sock, sizeof p->sock, "%s/agent-%016llx.sock", dir, (unsigned long long)h);
    snprintf(p->lock, sizeof p->lock, "%s/agent-%016llx.lock", dir, (unsigned long long)h);
    snprintf(p->log, sizeof p->log, "%s/agent-%016llx.log", dir, (unsigned long long)h);
    return 0;
}
