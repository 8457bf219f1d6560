/* forksrv — a TCP server and client that each share one connected socket
 * between a parent and a forked child, so per-process byte counts would
 * be wrong and only the kernel's counts give the stream offsets.
 *   forksrv server IP PORTFILE A B
 *     accepts one connection; the parent sends A[0,a/2); a forked child
 *     sends all of B and exits; the parent then sends A[a/2,a) and closes.
 *   forksrv client IP PORT OUT
 *     the parent reads exactly 1000 bytes; a forked child reads the next
 *     2000 and pwrites them at OUT offset 1000; the parent reads the rest
 *     to EOF and writes it from offset 3000.
 * Stream (a = |A|, b = |B|): [0,a/2) A, [a/2,a/2+b) B, [a/2+b,a+b) A[a/2,a).
 * Mapping: OUT = that stream, aligned. */
#include "sockutil.h"
#include <sys/wait.h>

static void server(char **argv)
{
    size_t a, b;
    unsigned char *x = read_file(argv[4], &a), *y = read_file(argv[5], &b);
    int ls = tcp_listen(argv[2], 0, argv[3]);
    int c = accept(ls, NULL, NULL);
    if (c < 0)
        die("accept");
    write_all(c, x, a / 2);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        write_all(c, y, b);
        _exit(0);
    }
    wait_child_ok(pid);
    write_all(c, x + a / 2, a - a / 2);
    close(c);
    close(ls);
}

static void client(char **argv)
{
    struct sockaddr_storage ss;
    socklen_t l = parse_addr(argv[2], (unsigned)atoi(argv[3]), &ss);
    int s = socket(ss.ss_family, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&ss, l) != 0)
        die("connect");
    int out = open_out(argv[4]);
    unsigned char buf[2000];
    size_t n = read_n(s, buf, 1000);
    pwrite_all(out, buf, n, 0);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        size_t m = read_n(s, buf, 2000);
        pwrite_all(out, buf, m, 1000);
        _exit(0);
    }
    wait_child_ok(pid);
    size_t m;
    unsigned char *rest = read_all(s, &m);
    pwrite_all(out, rest, m, 3000);
    close_out(out);
    close(s);
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "server") == 0)
        server(argv);
    else if (argc == 5 && strcmp(argv[1], "client") == 0)
        client(argv);
    else
        usage("server IP PORTFILE A B | client IP PORT OUT");
    return 0;
}
