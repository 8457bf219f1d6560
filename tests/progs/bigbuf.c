/* bigbuf IN OUT1 OUT2 — reads IN's first 300000 bytes in one read (whole
 * 64 KB shadow secondaries: the engine keeps them as one linear word),
 * writes them to OUT1, then stores a constant at 100000, memmoves
 * [10000,80000) to 200000, copies the buffer to a second one and writes
 * that to OUT2.
 * Mapping: OUT1[0,300000) <- IN[0,300000); OUT2[0,100000) <- IN[0,100000),
 * [100000,100001) nothing, [100001,200000) <- [100001,200000),
 * [200000,270000) <- [10000,80000), [270000,300000) <- [270000,300000). */
#include "progs.h"

#define N 300000

int main(int argc, char **argv)
{
    if (argc != 4)
        usage("IN OUT1 OUT2");
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
    memmove(buf + 200000, buf + 10000, len);
    memcpy(b2, buf, all);
    int o2 = open_out(argv[3]);
    write_all(o2, b2, N);
    return 0;
}
