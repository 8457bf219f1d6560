/* bulkcopy IN OUT — glibc's memcpy, memmove (overlapping both ways),
 * mempcpy and memset on runs long enough that crosstag's preload hands
 * them to the engine as bulk moves (common/ct_clreq.h).  IN must hold at
 * least 1000 bytes; a = IN[0,1000), b = a 2000-byte buffer written to OUT:
 *   memcpy(b, a, 1000); memmove(b+100, b, 600); memmove(b+700, b+750, 200);
 *   memset(b+1000, a[5], 300); memset(b+1300, 'x', 300);
 *   mempcpy(mempcpy(b+1600, a+10, 200), a+500, 200)
 * Mapping: OUT[0,100) <- IN[0,100), [100,700) <- [0,600),
 * [700,900) <- [750,950), [900,1000) <- [900,1000), each byte of
 * [1000,1300) <- IN[5] (the fill byte), [1300,1600) nothing (a constant),
 * [1600,1800) <- [10,210), [1800,2000) <- [500,700). */
#include "progs.h"

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    static unsigned char a[1000], b[2000];
    int in = open_in(argv[1]);
    if (read_full(in, a, sizeof a) != sizeof a)
        die("IN shorter than 1000 bytes");
    /* sizes the compiler cannot see, so every call goes to glibc */
    volatile size_t k1000 = 1000, k600 = 600, k200 = 200, k300 = 300;
    memcpy(b, a, k1000);
    memmove(b + 100, b, k600);
    memmove(b + 700, b + 750, k200);
    memset(b + 1000, a[5], k300);
    memset(b + 1300, 'x', k300);
    mempcpy(mempcpy(b + 1600, a + 10, k200), a + 500, k200);
    int out = open_out(argv[2]);
    write_all(out, b, sizeof b);
    return 0;
}
