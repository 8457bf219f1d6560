/* bigbuf IN OUT1 OUT2 OUT3 — reads IN's first 300000 bytes in one read
 * (whole 64 KB shadow secondaries: the engine keeps them as one linear
 * word), writes them to OUT1, then stores a constant at 100000 and at
 * every 1000th byte of [120000,130000) (cleared bytes of such a run), writes
 * the buffer to OUT3, memmoves [10000,80000) to 200000, copies the buffer
 * to a second one and writes that to OUT2.
 * Mapping: OUT1[0,300000) <- IN[0,300000).  OUT3: the same but the
 * constant bytes 100000 and 120000, 121000, ..., 129000 carry nothing.
 * OUT2: [0,100000) <- IN[0,100000), [100000,100001) nothing,
 * [100001,200000) <- [100001,200000) but the same constant bytes,
 * [200000,270000) <- [10000,80000), [270000,300000) <- [270000,300000). */
#include "progs.h"

#define N 300000

int main(int argc, char **argv)
{
    if (argc != 5)
        usage("IN OUT1 OUT2 OUT3");
    unsigned char *buf = malloc(N), *b2 = malloc(N);
    if (!buf || !b2)
        die("malloc");
    int in = open_in(argv[1]);
    ssize_t r = read(in, buf, N);            /* one read: that is the point */
    if (r != N) {
        errno = 0;
        die("IN shorter than 300000 bytes, or a short read");
    }
    int o1 = open_out(argv[2]);
    write_all(o1, buf, N);
    volatile size_t at = 100000, len = 70000, all = N;
    buf[at] = 'X';
    for (size_t k = 120000; k < 130000; k += 1000)
        buf[k] = 'Y';
    int o3 = open_out(argv[4]);
    write_all(o3, buf, N);
    memmove(buf + 200000, buf + 10000, len);
    memcpy(b2, buf, all);
    int o2 = open_out(argv[3]);
    write_all(o2, b2, N);
    return 0;
}
