/* crash IN OUT [segv|kill] — copies IN to OUT (read/write, 4 KB chunks),
 * then dies: by a NULL pointer store (SIGSEGV, the default) or by
 * SIGKILL sent to itself.  The flows written before must survive:
 * OUT[0,n) <- IN[0,n) aligned. */
#include "progs.h"
#include <signal.h>

static int *volatile null_ptr;   /* the compiler cannot prove it is NULL */

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4)
        usage("IN OUT [segv|kill]");
    int in = open_in(argv[1]), out = open_out(argv[2]);
    char buf[4096];
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die("read");
        if (r == 0)
            break;
        write_all(out, buf, (size_t)r);
    }
    if (argc == 4 && strcmp(argv[3], "kill") == 0) {
        kill(getpid(), SIGKILL);
    } else {
        *null_ptr = 42;
    }
    errno = 0;
    die("still alive");
}
