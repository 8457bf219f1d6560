/* lookup IN OUT — OUT[i] = table[IN[i]] with a 256-byte table computed from
 * constants at run time (a bijection: table[x] = 37*x + 11 mod 256).
 * The table holds no label; OUT bytes are labelled only through the load
 * address.  Mapping: with address taint (the default) OUT[0,n) <- IN[0,n)
 * aligned; with --no-addr-taint no flow at all. */
#include "progs.h"

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    static unsigned char table[256];
    for (unsigned x = 0; x < 256; x++)
        table[x] = (unsigned char)(37u * x + 11u);
    size_t n;
    unsigned char *in = read_file(argv[1], &n);
    unsigned char *out = malloc(n + 1);
    if (!out)
        die("malloc");
    for (size_t i = 0; i < n; i++) {
        out[i] = table[in[i]];
        CT_SCALAR_BARRIER();
    }
    int fd = open_out(argv[2]);
    write_all(fd, out, n);
    close_out(fd);
    free(in);
    free(out);
    return 0;
}
