/* pwrite IN OUT — reads IN[0,30) and pwrites it in three pieces at given
 * offsets, plus 8 constant bytes at 2000 (OUT ends up sparse, 5010 bytes):
 *   OUT[0,10)     <- IN[10,20) aligned
 *   OUT[1000,1010) <- IN[0,10) aligned
 *   OUT[2000,2008)  "constant": no flow
 *   OUT[5000,5010) <- IN[20,30) aligned */
#include "progs.h"

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    int in = open_in(argv[1]);
    unsigned char buf[30];
    pread_exact(in, buf, sizeof buf, 0);
    close(in);
    int out = open_out(argv[2]);
    pwrite_all(out, buf + 0, 10, 1000);
    pwrite_all(out, buf + 10, 10, 0);
    pwrite_all(out, "constant", 8, 2000);
    pwrite_all(out, buf + 20, 10, 5000);
    close_out(out);
    return 0;
}
