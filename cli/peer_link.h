/* peer_link.h — the sockets between agents (common/ct_peer.h): a server
 * taking PUSH messages from other hosts' agents, and a client pushing to
 * them and waiting for the answer.  Both are driven by the agent's one
 * thread: while the client waits, it serves incoming pushes too, so two
 * agents pushing to each other at the same moment do not wait for each
 * other's timeouts. */
#ifndef CT_PEER_LINK_H
#define CT_PEER_LINK_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Whether the agent takes a connection from this address at all. */
typedef int (*peer_accept_fn)(void *ctx, const struct sockaddr *sa, socklen_t len);
/* A complete PUSH: 0 stored, or -1 with text (sent back in PUSHED). */
typedef int (*peer_push_fn)(void *ctx, const struct sockaddr *sa, socklen_t len,
                            const unsigned char *msg, size_t mlen, char *text, size_t textlen);

#define PEER_MAXIN 64

struct peer_in {
    int fd;
    struct sockaddr_storage addr;
    socklen_t alen;
    unsigned char *buf;
    size_t len, cap;
};

struct peer_srv {
    int lfd;                   /* -1: not listening */
    unsigned port;
    struct peer_in in[PEER_MAXIN];
    size_t nin;
    peer_accept_fn accept_ok;
    peer_push_fn on_push;
    void *ctx;
};

/* Listens on every address of the host (IPv6 socket taking IPv4 too; IPv4
 * only when the host has no IPv6).  0, or -1 with err. */
int peer_srv_start(struct peer_srv *s, unsigned port, char *err, size_t errlen);
void peer_srv_stop(struct peer_srv *s);
/* Its poll entries (at most 1 + PEER_MAXIN), and handling their events. */
size_t peer_srv_fds(const struct peer_srv *s, struct pollfd *out);
void peer_srv_handle(struct peer_srv *s, const struct pollfd *pf, size_t n);

#define PEER_MAXOUT 16

struct peer_cli {
    struct { struct sockaddr_storage to; socklen_t len; int fd; } out[PEER_MAXOUT];
    size_t nout;
};

/* Sends msg (a PUSH with this id) to the agent at dest's address, port
 * `port`, and waits up to timeout_ms for its PUSHED, serving srv (may be
 * NULL) meanwhile.  Connections are kept for the next push.  0 stored;
 * -1 with err: nobody answered, or the agent refused (its reason). */
int peer_push(struct peer_cli *c, struct peer_srv *srv, const struct sockaddr *dest,
              socklen_t dlen, unsigned port, const unsigned char *msg, size_t len, uint64_t id,
              int timeout_ms, char *err, size_t errlen);
void peer_cli_close(struct peer_cli *c);

/* dest is an address of this host (loopback, or one of its interfaces):
 * a receiver here shares this agent's store, nothing to push. */
int peer_is_local(const struct sockaddr *dest, socklen_t dlen);

#endif
