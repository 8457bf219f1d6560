/* copy IN OUT — read/write loop in 4 KB chunks.
 * Mapping: OUT[0,n) <- IN[0,n) aligned (one merged row). */
#include "progs.h"

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    int in = open_in(argv[1]), out = open_out(argv[2]);
    char buf[4096];
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            die("read");
        }
        if (r == 0)
            break;
        write_all(out, buf, (size_t)r);
    }
    close(in);
    close_out(out);
    return 0;
}
