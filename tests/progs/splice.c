/* splice IN OUT — file -> pipe -> file with splice(2) (IN >= 300 bytes):
 *   1. IN[200,300) -> pipe (explicit input offset) -> OUT at its fd offset
 *   2. IN[0,50)    -> pipe -> OUT at explicit offset 100
 * Mapping (followed through the pipe): OUT[0,100) <- IN[200,300) aligned;
 * OUT[100,150) <- IN[0,50) aligned. */
#include "progs.h"

static void splice_exact(int from, loff_t *off_from, int to, loff_t *off_to, size_t len)
{
    while (len > 0) {
        ssize_t r = splice(from, off_from, to, off_to, len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            die("splice");
        len -= (size_t)r;
    }
}

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    int in = open_in(argv[1]), out = open_out(argv[2]);
    int p[2];
    if (pipe(p) != 0)
        die("pipe");
    loff_t in_off = 200;
    splice_exact(in, &in_off, p[1], NULL, 100);
    splice_exact(p[0], NULL, out, NULL, 100);
    in_off = 0;
    loff_t out_off = 100;
    splice_exact(in, &in_off, p[1], NULL, 50);
    splice_exact(p[0], NULL, out, &out_off, 50);
    close(p[0]);
    close(p[1]);
    close(in);
    close_out(out);
    return 0;
}
