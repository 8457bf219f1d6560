/* bigread IN OUT — reads a (sparse) file past 4 GiB with pread:
 *   64 bytes at 5 GiB + 7      (5368709127)
 *   16 bytes at 4 GiB - 8      (4294967288, straddling the 4 GiB mark)
 * and writes them in that order.  IN must be at least 5 GiB + 71 bytes.
 * Mapping: OUT[0,64)  <- IN[5368709127,5368709191) aligned
 *          OUT[64,80) <- IN[4294967288,4294967304) aligned */
#include "progs.h"

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    int in = open_in(argv[1]);
    unsigned char buf[80];
    pread_exact(in, buf, 64, (off_t)5368709127LL);
    pread_exact(in, buf + 64, 16, (off_t)4294967288LL);
    close(in);
    int out = open_out(argv[2]);
    write_all(out, buf, sizeof buf);
    close_out(out);
    return 0;
}
