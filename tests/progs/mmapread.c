/* mmapread IN OUT — maps IN (PROT_READ, MAP_PRIVATE) and writes its second
 * half, then its first half, straight from the mapping (h = n/2):
 * Mapping: OUT[0,n-h) <- IN[h,n) aligned; OUT[n-h,n) <- IN[0,h) aligned. */
#include "progs.h"
#include <sys/mman.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    int in = open_in(argv[1]);
    struct stat st;
    if (fstat(in, &st) != 0)
        die("fstat");
    size_t n = (size_t)st.st_size;
    if (n == 0) {
        errno = 0;
        die("empty input");
    }
    unsigned char *map = mmap(NULL, n, PROT_READ, MAP_PRIVATE, in, 0);
    if (map == MAP_FAILED)
        die("mmap");
    close(in);
    size_t h = n / 2;
    int out = open_out(argv[2]);
    write_all(out, map + h, n - h);
    write_all(out, map, h);
    close_out(out);
    munmap(map, n);
    return 0;
}
