/* sockpair IN OUT — the parent reads IN (n bytes, h = n/2) and forks; it
 * sends IN[0,h) to the child through a pipe and IN[h,n) through a
 * socketpair; the child reads the pipe to its end, then the socketpair to
 * its end, and writes both to OUT.
 * Mapping: OUT[0,n) <- IN[0,n) aligned (through pipe:INO and unix:S>R). */
#include "progs.h"
#include <sys/socket.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    size_t n;
    unsigned char *buf = read_file(argv[1], &n);
    size_t h = n / 2;
    int p[2], sv[2];
    if (pipe(p) != 0)
        die("pipe");
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        die("socketpair");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(p[1]);
        close(sv[0]);
        size_t a, b;
        unsigned char *x = read_all(p[0], &a), *y = read_all(sv[1], &b);
        int out = open_out(argv[2]);
        write_all(out, x, a);
        write_all(out, y, b);
        close_out(out);
        _exit(0);
    }
    close(p[0]);
    close(sv[1]);
    write_all(p[1], buf, h);
    close(p[1]);
    write_all(sv[0], buf + h, n - h);
    close(sv[0]);
    wait_child_ok(pid);
    free(buf);
    return 0;
}
