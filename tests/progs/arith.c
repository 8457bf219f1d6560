/* arith A B OUT — OUT[i] = A[i] + B[i] (mod 256) for i < min(len A, len B).
 * Mapping: every OUT byte i depends on A[i] and on B[i]:
 *   OUT[i,i+1) <- A[i,i+1) all  and  OUT[i,i+1) <- B[i,i+1) all. */
#include "progs.h"

int main(int argc, char **argv)
{
    if (argc != 4)
        usage("A B OUT");
    size_t na, nb;
    unsigned char *a = read_file(argv[1], &na);
    unsigned char *b = read_file(argv[2], &nb);
    size_t n = na < nb ? na : nb;
    unsigned char *out = malloc(n + 1);
    if (!out)
        die("malloc");
    for (size_t i = 0; i < n; i++) {
        out[i] = (unsigned char)(a[i] + b[i]);
        CT_SCALAR_BARRIER();
    }
    int fd = open_out(argv[3]);
    write_all(fd, out, n);
    close_out(fd);
    free(a);
    free(b);
    free(out);
    return 0;
}
