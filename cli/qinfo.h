/* qinfo.h — names of objects and processes for output, read from the
 * store once per id and kept in printable forms. */
#ifndef CT_QINFO_H
#define CT_QINFO_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct qobj {
    int64_t id;
    unsigned char *raw; size_t raw_len;     /* the name as stored */
    char *host;                             /* host name, valid UTF-8 */
    char *json;                             /* name, invalid bytes as \xHH */
    char *human;                            /* and control characters too */
    char *note;                             /* why this version began, or NULL */
    int64_t version;
};

struct qproc {
    int64_t id;
    int32_t pid;
    char *cmd;                              /* argv joined by spaces, escaped */
};

struct qinfo {
    struct store *st;
    char err[512];
    struct qobj **objs;  size_t objs_cap, objs_n;
    struct qproc **procs; size_t procs_cap, procs_n;
};

void qinfo_init(struct qinfo *qi, struct store *st);
void qinfo_free(struct qinfo *qi);
/* NULL on error (qi->err). */
const struct qobj *qinfo_obj(struct qinfo *qi, int64_t id);
const struct qproc *qinfo_proc(struct qinfo *qi, int64_t id);

/* Orders objects by name bytes, then host: the output order. */
int qobj_cmp(const struct qobj *a, const struct qobj *b);

#endif
