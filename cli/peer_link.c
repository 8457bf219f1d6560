/* peer_link.c — see peer_link.h. */
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ct_peer.h"
#include "peer_link.h"

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---------------- server ---------------- */

static int listen_any(int fam, unsigned port)
{
    int fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage ss = { 0 };
    socklen_t len;
    if (fam == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);   /* IPv4 too */
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_any;
        a->sin6_port = htons((uint16_t)port);
        len = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_ANY);
        a->sin_port = htons((uint16_t)port);
        len = sizeof *a;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 64) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int peer_srv_start(struct peer_srv *s, unsigned port, char *err, size_t errlen)
{
    s->lfd = listen_any(AF_INET6, port);
    if (s->lfd < 0 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL))
        s->lfd = listen_any(AF_INET, port);
    if (s->lfd < 0) {
        snprintf(err, errlen, "cannot listen on port %u: %s", port, strerror(errno));
        return -1;
    }
    s->port = port;
    return 0;
}

static void in_close(struct peer_srv *s, size_t i)
{
    close(s->in[i].fd);
    free(s->in[i].buf);
    s->in[i] = s->in[--s->nin];
}

void peer_srv_stop(struct peer_srv *s)
{
    while (s->nin)
        in_close(s, s->nin - 1);
    if (s->lfd >= 0)
        close(s->lfd);
    s->lfd = -1;
}

size_t peer_srv_fds(const struct peer_srv *s, struct pollfd *out)
{
    size_t n = 0;
    if (s->lfd < 0)
        return 0;
    if (s->nin < PEER_MAXIN)
        out[n++] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
    for (size_t i = 0; i < s->nin; i++)
        out[n++] = (struct pollfd){ .fd = s->in[i].fd, .events = POLLIN };
    return n;
}

static void accept_new(struct peer_srv *s)
{
    while (s->nin < PEER_MAXIN) {
        struct peer_in *p = &s->in[s->nin];
        memset(p, 0, sizeof *p);
        p->alen = sizeof p->addr;
        p->fd = accept4(s->lfd, (struct sockaddr *)&p->addr, &p->alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (p->fd < 0)
            return;
        if (!s->accept_ok(s->ctx, (struct sockaddr *)&p->addr, p->alen)) {
            close(p->fd);
            continue;
        }
        s->nin++;
    }
}

/* Answers one message; -1 when the connection must go. */
static int answer(struct peer_srv *s, struct peer_in *p, const unsigned char *m, uint32_t len)
{
    struct ct_msg_hdr h;
    memcpy(&h, m, sizeof h);
    if (h.type != CT_PEER_PUSH)
        return -1;
    uint64_t id = 0;
    if (len >= 16 + sizeof id)
        memcpy(&id, m + 16, sizeof id);      /* ct_peer_push.id */
    char text[512] = "";
    int st = s->on_push(s->ctx, (struct sockaddr *)&p->addr, p->alen, m, len, text, sizeof text);
    size_t tl = st == 0 ? 0 : strlen(text);
    unsigned char out[sizeof(struct ct_peer_pushed) + 512];
    struct ct_peer_pushed r = { .h = { CT_PEER_PUSHED, (uint32_t)CT_MSG_ALIGN(sizeof r + tl) },
                                .id = id, .status = st == 0 ? 0 : 1, .text_len = (uint32_t)tl };
    memset(out, 0, sizeof out);
    memcpy(out, &r, sizeof r);
    memcpy(out + sizeof r, text, tl);
    /* a small answer into an empty socket buffer: it fits at once */
    return send(p->fd, out, r.h.len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)r.h.len ? 0 : -1;
}

/* Reads what is there; -1 when the connection ended or misbehaved. */
static int in_read(struct peer_srv *s, struct peer_in *p)
{
    for (;;) {
        if (p->cap - p->len < 65536) {
            size_t nc = p->cap ? p->cap * 2 : 65536;
            if (nc > CT_PEER_MAXMSG + 65536)
                return -1;
            unsigned char *nb = realloc(p->buf, nc);
            if (!nb)
                return -1;
            p->buf = nb;
            p->cap = nc;
        }
        ssize_t n = read(p->fd, p->buf + p->len, p->cap - p->len);
        if (n == 0)
            return -1;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
        p->len += (size_t)n;
        size_t at = 0;
        while (p->len - at >= sizeof(struct ct_msg_hdr)) {
            struct ct_msg_hdr h;
            memcpy(&h, p->buf + at, sizeof h);
            if (h.len < sizeof h || h.len % 8 || h.len > CT_PEER_MAXMSG)
                return -1;
            if (p->len - at < h.len)
                break;
            if (answer(s, p, p->buf + at, h.len) != 0)
                return -1;
            at += h.len;
        }
        memmove(p->buf, p->buf + at, p->len - at);
        p->len -= at;
    }
}

void peer_srv_handle(struct peer_srv *s, const struct pollfd *pf, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (!pf[k].revents || s->lfd < 0)
            continue;
        if (pf[k].fd == s->lfd) {
            accept_new(s);
            continue;
        }
        for (size_t i = 0; i < s->nin; i++)
            if (s->in[i].fd == pf[k].fd) {
                if (in_read(s, &s->in[i]) != 0)
                    in_close(s, i);
                break;
            }
    }
}

/* ---------------- client ---------------- */

/* dest with the agent port, IPv4-mapped IPv6 as IPv4. */
static socklen_t agent_addr(const struct sockaddr *dest, socklen_t dlen, unsigned port,
                            struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    if (dest->sa_family == AF_INET && dlen >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in *a = (struct sockaddr_in *)out;
        memcpy(a, dest, sizeof *a);
        a->sin_port = htons((uint16_t)port);
        return sizeof *a;
    }
    if (dest->sa_family == AF_INET6 && dlen >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *d = (const void *)dest;
        if (IN6_IS_ADDR_V4MAPPED(&d->sin6_addr)) {
            struct sockaddr_in *a = (struct sockaddr_in *)out;
            a->sin_family = AF_INET;
            memcpy(&a->sin_addr, d->sin6_addr.s6_addr + 12, 4);
            a->sin_port = htons((uint16_t)port);
            return sizeof *a;
        }
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
        *a = *d;
        a->sin6_port = htons((uint16_t)port);
        a->sin6_flowinfo = 0;
        return sizeof *a;
    }
    return 0;
}

static void out_drop(struct peer_cli *c, size_t i)
{
    close(c->out[i].fd);
    c->out[i] = c->out[--c->nout];
}

void peer_cli_close(struct peer_cli *c)
{
    while (c->nout)
        out_drop(c, c->nout - 1);
}

/* Waits for events on fd (and serves srv) until the deadline: 1 ready,
 * 0 timed out. */
static int wait_fd(int fd, short ev, struct peer_srv *srv, uint64_t deadline)
{
    struct pollfd pf[2 + PEER_MAXIN];
    for (;;) {
        uint64_t now = now_ms();
        if (now >= deadline)
            return 0;
        pf[0] = (struct pollfd){ .fd = fd, .events = ev };
        size_t n = 1 + (srv ? peer_srv_fds(srv, pf + 1) : 0);
        int r = poll(pf, n, (int)(deadline - now));
        if (r < 0 && errno != EINTR)
            return 0;
        if (r > 0 && srv)
            peer_srv_handle(srv, pf + 1, n - 1);
        if (r > 0 && pf[0].revents)
            return 1;
    }
}

static int connect_to(const struct sockaddr_storage *to, socklen_t len, struct peer_srv *srv,
                      uint64_t deadline, char *err, size_t errlen)
{
    int fd = socket(to->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, (const struct sockaddr *)to, len) != 0 && errno != EINPROGRESS) {
        snprintf(err, errlen, "%s", strerror(errno));
        close(fd);
        return -1;
    }
    int e = 0;
    socklen_t el = sizeof e;
    if (!wait_fd(fd, POLLOUT, srv, deadline)) {
        snprintf(err, errlen, "no answer");
        close(fd);
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 || e != 0) {
        snprintf(err, errlen, "%s", strerror(e ? e : errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* One attempt on fd: 0 stored, 1 the connection failed before an answer
 * (retry on a new one), -1 a final failure (err). */
static int exchange(int fd, struct peer_srv *srv, const unsigned char *msg, size_t len, uint64_t id,
                    uint64_t deadline, char *err, size_t errlen)
{
    for (size_t done = 0; done < len;) {
        ssize_t n = send(fd, msg + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            snprintf(err, errlen, "%s", strerror(errno));
            return 1;
        }
        if (!wait_fd(fd, POLLOUT, srv, deadline)) {
            snprintf(err, errlen, "no answer");
            return -1;
        }
    }
    unsigned char buf[sizeof(struct ct_peer_pushed) + 520];
    size_t got = 0;
    for (;;) {
        if (!wait_fd(fd, POLLIN, srv, deadline)) {
            snprintf(err, errlen, "no answer");
            return -1;
        }
        ssize_t n = read(fd, buf + got, sizeof buf - got);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            snprintf(err, errlen, "%s", n == 0 ? "connection closed" : strerror(errno));
            return got ? -1 : 1;
        }
        if (n > 0)
            got += (size_t)n;
        struct ct_peer_pushed r;
        if (got < sizeof r)
            continue;
        memcpy(&r, buf, sizeof r);
        if (r.h.type != CT_PEER_PUSHED || r.h.len < sizeof r || r.h.len > sizeof buf ||
            r.text_len > r.h.len - sizeof r) {
            snprintf(err, errlen, "a bad answer");
            return -1;
        }
        if (got < r.h.len)
            continue;
        if (r.id != id || got > r.h.len) {
            snprintf(err, errlen, "an answer out of turn");
            return -1;
        }
        if (r.status != 0) {
            snprintf(err, errlen, "refused: %.*s", (int)r.text_len, (const char *)buf + sizeof r);
            return -1;
        }
        return 0;
    }
}

int peer_push(struct peer_cli *c, struct peer_srv *srv, const struct sockaddr *dest,
              socklen_t dlen, unsigned port, const unsigned char *msg, size_t len, uint64_t id,
              int timeout_ms, char *err, size_t errlen)
{
    struct sockaddr_storage to;
    socklen_t tl = agent_addr(dest, dlen, port, &to);
    if (!tl) {
        snprintf(err, errlen, "not an IP address");
        return -1;
    }
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    for (int attempt = 0; attempt < 2; attempt++) {
        size_t i = 0;
        while (i < c->nout && !(c->out[i].len == tl && memcmp(&c->out[i].to, &to, tl) == 0))
            i++;
        if (i == c->nout) {
            int fd = connect_to(&to, tl, srv, deadline, err, errlen);
            if (fd < 0)
                return -1;
            if (c->nout == PEER_MAXOUT)
                out_drop(c, 0);
            i = c->nout++;
            c->out[i].to = to;
            c->out[i].len = tl;
            c->out[i].fd = fd;
        }
        int r = exchange(c->out[i].fd, srv, msg, len, id, deadline, err, errlen);
        if (r != 0)
            out_drop(c, i);
        if (r <= 0)
            return r;
    }
    return -1;
}

int peer_is_local(const struct sockaddr *dest, socklen_t dlen)
{
    struct sockaddr_storage a;
    socklen_t al = agent_addr(dest, dlen, 0, &a);
    if (!al)
        return 0;
    if (a.ss_family == AF_INET) {
        const struct sockaddr_in *s = (const void *)&a;
        if ((ntohl(s->sin_addr.s_addr) >> 24) == 127)
            return 1;
    } else if (IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&a)->sin6_addr)) {
        return 1;
    }
    struct ifaddrs *ifs, *i;
    int local = 0;
    if (getifaddrs(&ifs) != 0)
        return 0;
    for (i = ifs; i && !local; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != a.ss_family)
            continue;
        if (a.ss_family == AF_INET)
            local = memcmp(&((const struct sockaddr_in *)i->ifa_addr)->sin_addr,
                           &((const struct sockaddr_in *)&a)->sin_addr, 4) == 0;
        else
            local = memcmp(&((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
                           &((const struct sockaddr_in6 *)&a)->sin6_addr, 16) == 0;
    }
    freeifaddrs(ifs);
    return local;
}
