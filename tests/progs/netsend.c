/* netsend tcp|udp ADDR PORT [SIZE] — sends stdin to ADDR:PORT (an IPv4 or
 * IPv6 literal).  For the network benchmarks (bench/) and network tests.
 *   tcp: one connection; stdin's bytes in send() calls of up to 64 KB; then
 *        shutdown(SHUT_WR), waits for the peer to close (every byte is
 *        acknowledged then) and prints "retransmitted N" on stderr: the
 *        payload bytes the kernel sent more than once (TCP_INFO).
 *   udp: stdin cut into datagrams of SIZE bytes (default 512; the last may
 *        be shorter), one sendto() each.
 * Mapping: the peer receives stdin's bytes in order (UDP: unless datagrams
 * are dropped). */
#include "progs.h"

#include <linux/tcp.h>
#include <netdb.h>
#include <sys/socket.h>

static int connect_to(const char *addr, const char *port, int type)
{
    struct addrinfo hints = {0}, *ai;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = type;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    int e = getaddrinfo(addr, port, &hints, &ai);
    if (e != 0) {
        fprintf(stderr, "netsend: %s port %s: %s\n", addr, port, gai_strerror(e));
        exit(1);
    }
    int fd = socket(ai->ai_family, ai->ai_socktype, 0);
    if (fd < 0)
        die("socket");
    /* connect() on UDP fixes the peer, so plain send() works for both */
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        die("connect");
    freeaddrinfo(ai);
    return fd;
}

static void send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = send(fd, buf, len, 0);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("send");
        }
        buf += w;
        len -= (size_t)w;
    }
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5)
        usage("tcp|udp ADDR PORT [SIZE]");
    int udp = strcmp(argv[1], "udp") == 0;
    if (!udp && strcmp(argv[1], "tcp") != 0)
        usage("tcp|udp ADDR PORT [SIZE]");
    long size = argc == 5 ? atol(argv[4]) : 512;
    if (size < 1 || size > 65507)
        usage("tcp|udp ADDR PORT [SIZE: 1..65507]");
    int fd = connect_to(argv[2], argv[3], udp ? SOCK_DGRAM : SOCK_STREAM);
    static char buf[65536];
    for (;;) {
        size_t n = udp ? read_full(0, buf, (size_t)size) : read_full(0, buf, sizeof buf);
        if (n == 0)
            break;
        if (udp) {
            for (;;) {
                ssize_t w = send(fd, buf, n, 0);
                if (w >= 0)
                    break;
                /* a full socket buffer or an ICMP error from an earlier
                 * datagram: wait a little, send again */
                if (errno != EINTR && errno != ENOBUFS && errno != ECONNREFUSED && errno != EAGAIN)
                    die("send");
                if (errno != EINTR)
                    usleep(1000);
            }
        } else {
            send_all(fd, buf, n);
        }
    }
    if (!udp) {
        if (shutdown(fd, SHUT_WR) != 0)
            die("shutdown");
        for (;;) {
            ssize_t r = read(fd, buf, sizeof buf);
            if (r == 0)
                break;
            if (r < 0 && errno != EINTR)
                die("read");
        }
        struct tcp_info ti;
        socklen_t len = sizeof ti;
        memset(&ti, 0, sizeof ti);
        if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
            die("TCP_INFO");
        fprintf(stderr, "retransmitted %llu\n", (unsigned long long)ti.tcpi_bytes_retrans);
    }
    close_out(fd);
    return 0;
}
