/* interleave A B OUT — OUT = a0 b0 a1 b1 ... for i < min(len A, len B).
 * Mapping: OUT[2i] <- A[i], OUT[2i+1] <- B[i], aligned 1-byte rows. */
#include "progs.h"

int main(int argc, char **argv)
{
    if (argc != 4)
        usage("A B OUT");
    size_t na, nb;
    unsigned char *a = read_file(argv[1], &na);
    unsigned char *b = read_file(argv[2], &nb);
    size_t n = na < nb ? na : nb;
    unsigned char *out = malloc(2 * n + 1);
    if (!out)
        die("malloc");
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = a[i];
        out[2 * i + 1] = b[i];
        CT_SCALAR_BARRIER();
    }
    int fd = open_out(argv[3]);
    write_all(fd, out, 2 * n);
    close_out(fd);
    free(a);
    free(b);
    free(out);
    return 0;
}
