/* target.h — the TARGET argument of `crosstag query`: PATH or
 * PATH:START-END (half-open, decimal byte offsets).  An argument that as a
 * whole names an existing file is that whole file, colon or not.  Paths
 * are made absolute: realpath of an existing file, else from the current
 * folder.  An argument starting with an object kind ("file:", "pipe:",
 * "socket:"...) that names no file is taken as a stored object name. */
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
};

/* 0, or -1 with a message for the user in err (a usage error: exit 2). */
int target_parse(const char *arg, struct target *t, char *err, size_t errlen);
void target_free(struct target *t);

#endif
