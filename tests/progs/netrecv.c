/* netrecv tcp|udp PORT [IDLE_MS] — receives on PORT (every address, IPv4
 * and IPv6) and writes the bytes to stdout.  For the network benchmarks
 * (bench/) and network tests.
 *   tcp: accepts one connection and copies it until EOF.
 *   udp: copies each datagram, until IDLE_MS (default 2000) milliseconds pass
 *        without one after the first; the receive buffer is made large.
 * At the end prints "bytes N" (udp: "datagrams N bytes M") on stderr.
 * Mapping: stdout is the received bytes in order. */
#include "progs.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

static int listen_on(int port, int type)
{
    int fd = socket(AF_INET6, type, 0);
    if (fd < 0)
        die("socket");
    int off = 0, on = 1;
    /* one socket for IPv4 (as mapped addresses) and IPv6 */
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) != 0)
        die("IPV6_V6ONLY");
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (type == SOCK_DGRAM) {
        int sz = 64 << 20;
        /* FORCE (root) passes net.core.rmem_max; the plain one is capped */
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) != 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    }
    struct sockaddr_in6 a = {0};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_any;
    a.sin6_port = htons((unsigned short)port);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("bind");
    if (type == SOCK_STREAM && listen(fd, 1) != 0)
        die("listen");
    return fd;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4)
        usage("tcp|udp PORT [IDLE_MS]");
    int udp = strcmp(argv[1], "udp") == 0;
    if (!udp && strcmp(argv[1], "tcp") != 0)
        usage("tcp|udp PORT [IDLE_MS]");
    int port = atoi(argv[2]), idle = argc == 4 ? atoi(argv[3]) : 2000;
    if (port < 1 || port > 65535 || idle < 1)
        usage("tcp|udp PORT(1..65535) [IDLE_MS(>0)]");
    int fd = listen_on(port, udp ? SOCK_DGRAM : SOCK_STREAM);
    static char buf[65536];
    unsigned long long bytes = 0, grams = 0;
    if (!udp) {
        int c;
        while ((c = accept(fd, NULL, NULL)) < 0)
            if (errno != EINTR)
                die("accept");
        close(fd);
        fd = c;
    }
    for (;;) {
        if (udp && grams > 0) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            int r = poll(&p, 1, idle);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                die("poll");
            if (r == 0)
                break;
        }
        /* recvfrom, as UDP servers do: the sender's address names the
         * stream (a plain recv on an unconnected socket cannot) */
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("recv");
        }
        if (n == 0 && !udp)
            break;
        write_all(1, buf, (size_t)n);
        bytes += (unsigned long long)n;
        grams++;
    }
    if (udp)
        fprintf(stderr, "datagrams %llu bytes %llu\n", grams, bytes);
    else
        fprintf(stderr, "bytes %llu\n", bytes);
    close(fd);
    return 0;
}
