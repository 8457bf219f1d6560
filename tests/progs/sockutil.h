/* sockutil.h — address parsing and port files for the socket test programs. */
#ifndef CT_SOCKUTIL_H
#define CT_SOCKUTIL_H
#include "progs.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

/* IPv4 or IPv6 text address and port into ss; returns its length. */
static inline socklen_t parse_addr(const char *ip, unsigned port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((unsigned short)port);
        return sizeof *a4;
    }
    if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((unsigned short)port);
        return sizeof *a6;
    }
    errno = 0;
    die("bad address");
    return 0;
}

static inline unsigned local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t l = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &l) != 0)
        die("getsockname");
    return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                         : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Writes the port to PATH atomically (write a temp file, rename). */
static inline void write_port(const char *path, unsigned port)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0)
        die(path);
}

/* A listening TCP socket on IP (port 0: any), its port written to PORTFILE. */
static inline int tcp_listen(const char *ip, unsigned port, const char *portfile)
{
    struct sockaddr_storage ss;
    socklen_t l = parse_addr(ip, port, &ss);
    int s = socket(ss.ss_family, SOCK_STREAM, 0), one = 1;
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        die("socket");
    if (bind(s, (struct sockaddr *)&ss, l) != 0 || listen(s, 8) != 0)
        die("bind/listen");
    write_port(portfile, local_port(s));
    return s;
}

/* Reads exactly len bytes (less only at EOF); returns the count. */
static inline size_t read_n(int fd, unsigned char *buf, size_t len)
{
    size_t n = 0;
    while (n < len) {
        ssize_t r = read(fd, buf + n, len - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die("read");
        if (r == 0)
            break;
        n += (size_t)r;
    }
    return n;
}
#endif
