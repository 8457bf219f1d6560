/* forkcopy IN OUT — the parent reads IN, forks; the child writes the
 * buffer to OUT and exits; the parent waits.  Labels must survive fork
 * (the tracker reconnects in the child).
 * Mapping: OUT[0,n) <- IN[0,n) aligned. */
#include "progs.h"
#include <sys/wait.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    size_t n;
    unsigned char *buf = read_file(argv[1], &n);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        int out = open_out(argv[2]);
        write_all(out, buf, n);
        close_out(out);
        _exit(0);
    }
    wait_child_ok(pid);
    free(buf);
    return 0;
}
