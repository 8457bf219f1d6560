/* peer_msg.h — PUSH messages (common/ct_peer.h): made from the protected
 * pieces of a send to a trusted host, and stored by the receiving agent as
 * the flow rows they stand for. */
#ifndef CT_PEER_MSG_H
#define CT_PEER_MSG_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* A protected piece of a send: bytes [rel, rel+len) of the call came from
 * src_obj [src_start, src_end) (mode aligned or all). */
struct peer_piece {
    uint64_t rel, len;
    int64_t src_obj;
    uint64_t src_start, src_end;
    uint32_t mode;
};

/* Builds the PUSH for the call of process `proc` whose bytes go to
 * `stream` at offset sink_off.  *out is malloc'd.  0, or -1 with err. */
int peer_msg_build(struct store *st, int64_t proc, int64_t stream, uint64_t sink_off,
                   uint64_t time_ns, uint64_t id, const struct peer_piece *v, size_t n,
                   unsigned char **out, size_t *outlen, char *err, size_t errlen);

/* Checks a PUSH (every length inside the message) and stores its rows in
 * the open batch.  0 with *rows set, or -1 with err. */
int peer_msg_store(struct store *st, const unsigned char *m, size_t len, uint64_t *rows,
                   char *err, size_t errlen);

#endif
