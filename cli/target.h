/* target.h — the TARGET argument of `crosstag query`: PATH or
 * PATH:START-END (half-open, decimal byte offsets).  An argument that as a
 * whole names an existing file is that whole file, colon or not.  Paths
 * are made absolute: realpath of an existing file, else from the current
 * folder.  An argument starting with an object kind ("file:", "pipe:",
 * "socket:"...) that names no file is taken as a stored object name.
 * "tcp:IP:PORT" and "udp:IP:PORT" (IPv6 "[IP]:PORT") without a '>' name an
 * endpoint: every stream into it (its objects are "tcp:SRC>IP:PORT#ID").
 * "HOST:/path..." (not an existing file) is that path on host HOST, for
 * stores that hold several hosts. */
#ifndef CT_TARGET_H
#define CT_TARGET_H

#include <stddef.h>
#include <stdint.h>

struct target {
    unsigned char *name; size_t name_len;   /* object name, e.g. "file:/abs/path" */
    uint32_t kind;          /* enum ct_obj_kind, 0 when the name says it */
    int exists;             /* a file we could stat: look it up by dev/ino */
    uint64_t dev, ino;
    uint64_t start, end;    /* whole: 0 and UINT64_MAX */
    int whole;
    /* "pid:N" or "pid:N@START_TICKS" (no such file): a process */
    int is_proc, have_start;
    int32_t pid;
    uint64_t start_ticks;
    char *host;             /* "HOST:/path": the object on that host (merged stores) */
    int endpoint;           /* "tcp:IP:PORT" / "udp:IP:PORT": every stream into it;
                               name holds it as given, kind prefix included */
};

/* Parses the part after "pid:" (target_pid.c).  0, or -1 with err. */
int target_parse_pid(const char *spec, struct target *t, char *err, size_t errlen);

/* 0, or -1 with a message for the user in err (a usage error: exit 2). */
int target_parse(const char *arg, struct target *t, char *err, size_t errlen);
void target_free(struct target *t);

#endif
