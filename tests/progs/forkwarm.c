/* forkwarm IN OUT N — a server's shape: the parent forks N children one
 * after another, each after the last has exited, as a server forks one per
 * connection; child i reads IN, upper-cases its letters in a loop only
 * children run, and writes OUT.i.  The parent reads nothing: what the
 * children translate is handed up to it (tool/ct_warm.c), so children 2..N
 * run translations the parent made for them.
 * Mapping, for every i in 1..N: OUT.i[0,n) <- IN[0,n) aligned. */
#include "progs.h"
#include <sys/wait.h>

static void serve(const char *in, const char *out)
{
    size_t n;
    unsigned char *buf = read_file(in, &n);
    for (size_t j = 0; j < n; j++) {
        CT_SCALAR_BARRIER();
        if (buf[j] >= 'a' && buf[j] <= 'z')
            buf[j] = (unsigned char)(buf[j] - 'a' + 'A');
    }
    int fd = open_out(out);
    write_all(fd, buf, n);
    close_out(fd);
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc != 4)
        usage("IN OUT N");
    int n = atoi(argv[3]);
    for (int i = 1; i <= n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s.%d", argv[2], i);
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            serve(argv[1], path);
            _exit(0);
        }
        wait_child_ok(pid);
    }
    return 0;
}
