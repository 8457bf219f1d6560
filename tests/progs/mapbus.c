/* mapbus IN OUT — maps IN (shorter than two pages) with three pages; a
 * memcpy from the third page, past the file's end, faults with SIGBUS as
 * it does natively: the handler says "SIGBUS" on stdout and the program
 * goes on; then it copies IN's bytes from the mapping to OUT with memcpy.
 * Mapping: OUT[0,n) <- IN[0,n) aligned; stdout "SIGBUS\n". */
#include "progs.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

static sigjmp_buf env;

static void on_bus(int sig)
{
    (void)sig;
    siglongjmp(env, 1);
}

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    int fd = open_in(argv[1]);
    struct stat st;
    if (fstat(fd, &st) != 0)
        die("fstat");
    size_t n = (size_t)st.st_size, pg = (size_t)sysconf(_SC_PAGESIZE);
    if (n < 128 || n > pg)
        usage("IN OUT  (IN of 128 bytes to a page)");
    unsigned char *m = mmap(NULL, 3 * pg, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
        die("mmap");
    unsigned char *buf = malloc(3 * pg);
    if (!buf)
        die("malloc");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_bus;
    sigaction(SIGBUS, &sa, NULL);
    if (sigsetjmp(env, 1) == 0) {
        memcpy(buf, m + 2 * pg, pg);     /* past the end of the file */
        puts("no fault");
    } else {
        puts("SIGBUS");
    }
    fflush(stdout);
    memcpy(buf, m, n);
    int out = open_out(argv[2]);
    write_all(out, buf, n);
    close_out(out);
    return 0;
}
