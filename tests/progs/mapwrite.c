/* mapwrite IN OUT — copies IN into OUT through a shared writable mapping
 * of OUT (read() into a buffer, memcpy into the mapping, msync, munmap):
 * OUT byte i comes from IN byte i, and no write syscall carries it. */
#include <sys/mman.h>

#include "progs.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: mapwrite IN OUT\n");
        return 2;
    }
    int in = open(argv[1], O_RDONLY);
    if (in < 0)
        die(argv[1]);
    struct stat st;
    if (fstat(in, &st) != 0 || st.st_size == 0)
        die("an empty or unreadable input");
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n);
    if (!buf || read_full(in, buf, n) != n)
        die("read");
    int out = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || ftruncate(out, (off_t)n) != 0)
        die(argv[2]);
    char *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, out, 0);
    if (m == MAP_FAILED)
        die("mmap");
    memcpy(m, buf, n);
    if (msync(m, n, MS_SYNC) != 0 || munmap(m, n) != 0 || close(out) != 0)
        die("msync");
    return 0;
}
