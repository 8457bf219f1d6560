/* dgram — datagrams over Unix sockets and UDP, receiver and sender run as
 * two programs.
 *   dgram unix-recv PATH N OUT      binds PATH, receives datagrams (recv, no
 *                                   address) until N bytes, writes them to OUT
 *   dgram unix-send PATH IN CHUNK   an unbound socket sends IN to PATH with
 *                                   sendto, CHUNK bytes per datagram
 *   dgram udp-recv IP PORTFILE N OUT  binds IP (port to PORTFILE), recvfrom
 *                                   until N bytes, writes them to OUT
 *   dgram udp-send IP PORT IN CHUNK   an unbound UDP socket, sendto
 * Mapping: OUT[0,n) <- IN[0,n) aligned; datagram k of CHUNK bytes is at
 * unix:0>R offsets [k*CHUNK, ...) (a byte stream) and at udp:S>R offsets
 * [k<<32, (k<<32)+CHUNK). */
#include "sockutil.h"
#include <stddef.h>
#include <sys/un.h>

static socklen_t unix_addr(const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa->sun_path) {
        errno = ENAMETOOLONG;
        die(path);
    }
    strcpy(sa->sun_path, path);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static void receive(int s, size_t n, const char *outpath, int with_addr)
{
    unsigned char *buf = malloc(n + 65536);
    size_t got = 0;
    if (!buf)
        die("malloc");
    while (got < n) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t r = with_addr ? recvfrom(s, buf + got, 65536, 0, (struct sockaddr *)&from, &fl)
                              : recv(s, buf + got, 65536, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die("recv");
        got += (size_t)r;
    }
    int out = open_out(outpath);
    write_all(out, buf, got);
    close_out(out);
}

static void send_chunks(int s, const char *inpath, size_t chunk, const struct sockaddr *to, socklen_t tl)
{
    size_t n;
    unsigned char *in = read_file(inpath, &n);
    for (size_t off = 0; off < n; off += chunk) {
        size_t len = n - off < chunk ? n - off : chunk;
        if (sendto(s, in + off, len, 0, to, tl) != (ssize_t)len)
            die("sendto");
    }
}

int main(int argc, char **argv)
{
    struct sockaddr_un su;
    struct sockaddr_storage ss;
    if (argc == 5 && strcmp(argv[1], "unix-recv") == 0) {
        int s = socket(AF_UNIX, SOCK_DGRAM, 0);
        socklen_t l = unix_addr(argv[2], &su);
        if (s < 0 || bind(s, (struct sockaddr *)&su, l) != 0)
            die("bind");
        receive(s, strtoul(argv[3], NULL, 10), argv[4], 0);
    } else if (argc == 5 && strcmp(argv[1], "unix-send") == 0) {
        int s = socket(AF_UNIX, SOCK_DGRAM, 0);
        socklen_t l = unix_addr(argv[2], &su);
        if (s < 0)
            die("socket");
        send_chunks(s, argv[3], strtoul(argv[4], NULL, 10), (struct sockaddr *)&su, l);
    } else if (argc == 6 && strcmp(argv[1], "udp-recv") == 0) {
        socklen_t l = parse_addr(argv[2], 0, &ss);
        int s = socket(ss.ss_family, SOCK_DGRAM, 0);
        if (s < 0 || bind(s, (struct sockaddr *)&ss, l) != 0)
            die("bind");
        write_port(argv[3], local_port(s));
        receive(s, strtoul(argv[4], NULL, 10), argv[5], 1);
    } else if (argc == 6 && strcmp(argv[1], "udp-send") == 0) {
        socklen_t l = parse_addr(argv[2], (unsigned)atoi(argv[3]), &ss);
        int s = socket(ss.ss_family, SOCK_DGRAM, 0);
        if (s < 0)
            die("socket");
        send_chunks(s, argv[4], strtoul(argv[5], NULL, 10), (struct sockaddr *)&ss, l);
    } else {
        usage("unix-recv PATH N OUT | unix-send PATH IN CHUNK | udp-recv IP PORTFILE N OUT | "
              "udp-send IP PORT IN CHUNK");
    }
    return 0;
}
