/* chrootcopy DIR IN OUT — chroot(DIR), then copies IN to OUT (paths inside
 * DIR) with read/write: OUT byte i comes from IN byte i.  The engine must
 * name both files by their real paths (DIR/IN, DIR/OUT), as a policy or a
 * query outside the chroot knows them.  Needs root. */
#include "progs.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: chrootcopy DIR IN OUT\n");
        return 2;
    }
    if (chroot(argv[1]) != 0 || chdir("/") != 0)
        die("chroot");
    int in = open(argv[2], O_RDONLY), out = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0)
        die("open");
    char buf[4096];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            die("write");
    return n < 0 || close(out) != 0;
}
