/* udpmm send ADDR PORT SIZE | udpmm recv PORT COUNT — UDP in batches, for
 * tests/t_net_udp.sh.
 *   send: stdin (at most 64 datagrams of SIZE bytes, the last may be
 *         shorter) to ADDR:PORT in one sendmmsg() from an unconnected socket.
 *   recv: COUNT datagrams on PORT (IPv4 and IPv6) with recvmmsg(), sender
 *         addresses asked for; their payloads to stdout in arrival order.
 * Mapping: recv's stdout is the received payloads, concatenated. */
#include "progs.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define MAXG 64

int main(int argc, char **argv)
{
    static char buf[MAXG][2048];
    struct mmsghdr mv[MAXG];
    struct iovec iov[MAXG];
    struct sockaddr_storage from[MAXG];
    memset(mv, 0, sizeof mv);
    if (argc == 5 && strcmp(argv[1], "send") == 0) {
        struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai;
        int size = atoi(argv[4]);
        if (size < 1 || size > 2048 || getaddrinfo(argv[2], argv[3], &hints, &ai) != 0)
            usage("send ADDR PORT SIZE(1..2048)");
        int fd = socket(ai->ai_family, SOCK_DGRAM, 0), n = 0;
        if (fd < 0)
            die("socket");
        ssize_t r;
        while (n < MAXG && (r = read(0, buf[n], (size_t)size)) > 0) {
            iov[n] = (struct iovec){buf[n], (size_t)r};
            mv[n].msg_hdr = (struct msghdr){.msg_name = ai->ai_addr, .msg_namelen = ai->ai_addrlen,
                                            .msg_iov = &iov[n], .msg_iovlen = 1};
            n++;
        }
        if (n && sendmmsg(fd, mv, (unsigned)n, 0) != n)
            die("sendmmsg");
        return 0;
    }
    if (argc != 4 || strcmp(argv[1], "recv") != 0)
        usage("send ADDR PORT SIZE | recv PORT COUNT");
    int port = atoi(argv[2]), count = atoi(argv[3]), off = 0, got = 0;
    if (port < 1 || port > 65535 || count < 1)
        usage("recv PORT(1..65535) COUNT(>0)");
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port)};
    if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("bind");
    while (got < count) {
        for (int i = 0; i < MAXG; i++) {
            iov[i] = (struct iovec){buf[i], sizeof buf[i]};
            mv[i].msg_hdr = (struct msghdr){.msg_name = &from[i], .msg_namelen = sizeof from[i],
                                            .msg_iov = &iov[i], .msg_iovlen = 1};
        }
        int want = count - got < MAXG ? count - got : MAXG;
        int r = recvmmsg(fd, mv, (unsigned)want, MSG_WAITFORONE, NULL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die("recvmmsg");
        for (int i = 0; i < r; i++)
            if (write(1, buf[i], mv[i].msg_len) != (ssize_t)mv[i].msg_len)
                die("write");
        got += r;
    }
    return 0;
}
