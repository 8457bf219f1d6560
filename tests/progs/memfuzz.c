/* memfuzz SEED — memmove/memcpy/mempcpy/memset over every length 0..300
 * and many overlaps in both directions, each result checked against a
 * byte-by-byte reference.  Under crosstag these calls run crosstag's
 * replacements (preload/): they must give exactly glibc's results.
 * Prints nothing and exits 0 when every result is right; else prints the
 * first wrong case and exits 1. */
#include "progs.h"

static unsigned char buf[1024], ref[1024];
static unsigned long x;

static unsigned rnd(void)
{
    x = x * 6364136223846793005UL + 1442695040888963407UL;
    return (unsigned)(x >> 33);
}

static void fill(void)
{
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = ref[i] = (unsigned char)rnd();
}

static void ref_move(size_t d, size_t s, size_t n)
{
    unsigned char tmp[1024];
    for (size_t i = 0; i < n; i++) tmp[i] = ref[s + i];
    for (size_t i = 0; i < n; i++) ref[d + i] = tmp[i];
}

static void check(const char *what, size_t d, size_t s, size_t n)
{
    if (memcmp(buf, ref, sizeof buf) != 0) {
        fprintf(stderr, "memfuzz: %s dst+%zu src+%zu n=%zu differs from the reference\n", what, d, s, n);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2)
        usage("SEED");
    x = strtoul(argv[1], NULL, 10);
    void *(*volatile move)(void *, const void *, size_t) = memmove;
    void *(*volatile copy)(void *, const void *, size_t) = memcpy;
    void *(*volatile pcopy)(void *, const void *, size_t) = mempcpy;
    void *(*volatile set)(void *, int, size_t) = memset;
    for (size_t n = 0; n <= 300; n++) {
        for (int k = 0; k < 6; k++) {
            size_t s = rnd() % 400, d;
            /* overlapping above, below, or apart */
            if (k < 2) d = s + rnd() % (n + 1);
            else if (k < 4) d = s >= n ? s - rnd() % (n + 1) : rnd() % (s + 1);
            else d = 500 + rnd() % 200;
            fill();
            if (move((char *)buf + d, (char *)buf + s, n) != buf + d) { fprintf(stderr, "memfuzz: memmove's result\n"); return 1; }
            ref_move(d, s, n);
            check("memmove", d, s, n);
            if (k >= 4) {
                fill();
                copy(buf + d, buf + s, n);
                ref_move(d, s, n);
                check("memcpy", d, s, n);
                fill();
                if (pcopy(buf + d, buf + s, n) != buf + d + n) { fprintf(stderr, "memfuzz: mempcpy's result\n"); return 1; }
                ref_move(d, s, n);
                check("mempcpy", d, s, n);
            }
            fill();
            int c = (int)rnd();
            set(buf + d, c, n);
            for (size_t i = 0; i < n; i++) ref[d + i] = (unsigned char)c;
            check("memset", d, 0, n);
        }
    }
    return 0;
}
