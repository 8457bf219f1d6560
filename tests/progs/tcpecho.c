/* tcpecho — a TCP echo server and client (IPv4 or IPv6), run as two
 * programs.
 *   tcpecho server IP PORTFILE SAVE N [COUNT]
 *     listens on IP (any port, written to PORTFILE); for each of COUNT
 *     connections (default 1): reads exactly N bytes in chunks of at most
 *     1000, echoing every chunk back and appending it to SAVE (SAVE.K for
 *     the K-th connection when COUNT > 1), then closes first (so the
 *     server side holds TIME_WAIT and the client may reuse its port).
 *   tcpecho client IP PORT IN OUT [LPORT]
 *     connects (from LPORT with SO_REUSEADDR when given), sends IN, reads
 *     the echo to EOF into OUT.
 *   tcpecho client-sendfile IP PORT IN OUT
 *     the same, sending IN with sendfile (a kernel-side copy to the socket)
 *     and receiving the echo with splice through a pipe into OUT.
 * Mapping: SAVE[0,n) <- IN[0,n), OUT[0,n) <- IN[0,n), aligned, through
 * tcp:C>S#ID and tcp:S>C#ID. */
#include "sockutil.h"
#include <sys/sendfile.h>

static void server(char **argv, int argc)
{
    const char *ip = argv[2], *portfile = argv[3], *save = argv[4];
    size_t n = strtoul(argv[5], NULL, 10);
    int count = argc > 6 ? atoi(argv[6]) : 1;
    int ls = tcp_listen(ip, 0, portfile);
    unsigned char buf[1000];
    for (int k = 0; k < count; k++) {
        int c = accept(ls, NULL, NULL);
        if (c < 0)
            die("accept");
        char path[4096];
        if (count > 1)
            snprintf(path, sizeof path, "%s.%d", save, k + 1);
        else
            snprintf(path, sizeof path, "%s", save);
        int out = open_out(path);
        size_t got = 0;
        while (got < n) {
            size_t want = n - got < sizeof buf ? n - got : sizeof buf;
            ssize_t r = read(c, buf, want);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                die("short connection");
            write_all(c, buf, (size_t)r);
            write_all(out, buf, (size_t)r);
            got += (size_t)r;
        }
        close_out(out);
        close(c);
    }
    close(ls);
}

static void client(char **argv, int argc)
{
    struct sockaddr_storage ss, ls;
    socklen_t l = parse_addr(argv[2], (unsigned)atoi(argv[3]), &ss);
    size_t n;
    unsigned char *in = read_file(argv[4], &n);
    int s = socket(ss.ss_family, SOCK_STREAM, 0), one = 1;
    if (s < 0)
        die("socket");
    if (argc > 6) {
        socklen_t ll = parse_addr(argv[2], (unsigned)atoi(argv[6]), &ls);
        if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
            bind(s, (struct sockaddr *)&ls, ll) != 0)
            die("bind LPORT");
    }
    if (connect(s, (struct sockaddr *)&ss, l) != 0)
        die("connect");
    if (strcmp(argv[1], "client-sendfile") == 0) {
        int fd = open_in(argv[4]), out = open_out(argv[5]), p[2];
        for (off_t off = 0; off < (off_t)n;)
            if (sendfile(s, fd, &off, n - (size_t)off) <= 0)
                die("sendfile");
        if (pipe(p) != 0)
            die("pipe");
        for (;;) {                   /* socket -> pipe -> OUT, no user memory */
            ssize_t r = splice(s, NULL, p[1], NULL, 4096, 0);
            if (r < 0)
                die("splice");
            if (r == 0)
                break;
            while (r > 0) {
                ssize_t w = splice(p[0], NULL, out, NULL, (size_t)r, 0);
                if (w <= 0)
                    die("splice out");
                r -= w;
            }
        }
        close_out(out);
        close(s);
        return;
    }
    write_all(s, in, n);
    size_t m;
    unsigned char *echo = read_all(s, &m);
    int out = open_out(argv[5]);
    write_all(out, echo, m);
    close_out(out);
    close(s);
}

int main(int argc, char **argv)
{
    if (argc >= 6 && argc <= 7 && strcmp(argv[1], "server") == 0)
        server(argv, argc);
    else if (argc >= 6 && argc <= 7 && strcmp(argv[1], "client") == 0)
        client(argv, argc);
    else if (argc == 6 && strcmp(argv[1], "client-sendfile") == 0)
        client(argv, argc);
    else
        usage("server IP PORTFILE SAVE N [COUNT] | client IP PORT IN OUT [LPORT] | "
              "client-sendfile IP PORT IN OUT");
    return 0;
}
