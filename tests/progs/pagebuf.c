/* pagebuf IN OUT — one read of IN (40000 bytes or more) into a buffer 100
 * bytes into a page: the whole pages become linear pages of the shadow
 * (tool/ct_shadow.h), the two ends ids.  Then a constant goes into one
 * linear page, a labelled byte into another, a memcpy moves 10000 bytes
 * from linear pages to an unaligned buffer, and both go to OUT.
 * Mapping: OUT[0,5000) <- IN[0,5000); OUT[5000] none ('X');
 * OUT[5001,9000) <- IN[5001,9000); OUT[9000] <- IN[20000];
 * OUT[9001,40000) <- IN[9001,40000); OUT[40000,50000) <- IN[12000,22000). */
#include "progs.h"

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    unsigned char *base = aligned_alloc(4096, 65536), *dbase = aligned_alloc(4096, 16384);
    if (!base || !dbase)
        die("aligned_alloc");
    unsigned char *buf = base + 100, *dst = dbase + 7;
    int in = open_in(argv[1]);
    size_t got = 0;
    while (got < 40000) {
        ssize_t r = read(in, buf + got, 40000 - got);
        if (r <= 0)
            usage("IN OUT  (IN of 40000 bytes or more)");
        got += (size_t)r;
    }
    close(in);
    buf[5000] = 'X';
    CT_SCALAR_BARRIER();
    buf[9000] = buf[20000];
    memcpy(dst, buf + 12000, 10000);
    int out = open_out(argv[2]);
    write_all(out, buf, 40000);
    write_all(out, dst, 10000);
    close_out(out);
    return 0;
}
