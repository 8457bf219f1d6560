/* reverse IN OUT — writes the whole file reversed, in one write.
 * Mapping: OUT[i,i+1) <- IN[n-1-i,n-i) aligned, one row per byte. */
#include "progs.h"

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    size_t n;
    unsigned char *in = read_file(argv[1], &n);
    unsigned char *out = malloc(n ? n : 1);
    if (!out)
        die("malloc");
    for (size_t i = 0; i < n; i++) {
        out[i] = in[n - 1 - i];
        CT_SCALAR_BARRIER();
    }
    int fd = open_out(argv[2]);
    write_all(fd, out, n);
    close_out(fd);
    free(in);
    free(out);
    return 0;
}
