/* sendfile IN OUT — kernel-side copies with sendfile(2) (IN >= 150 bytes):
 *   1. sendfile(out, in, &off=100, 50)           OUT[0,50)  <- IN[100,150)
 *   2. lseek(in, 10); sendfile(out, in, NULL, 20) OUT[50,70) <- IN[10,30)
 * (the first call must not move IN's file offset). */
#include "progs.h"
#include <sys/sendfile.h>

static void send_exact(int out, int in, off_t *off, size_t len)
{
    while (len > 0) {
        ssize_t r = sendfile(out, in, off, len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            die("sendfile");
        len -= (size_t)r;
    }
}

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    int in = open_in(argv[1]), out = open_out(argv[2]);
    off_t off = 100;
    send_exact(out, in, &off, 50);
    if (lseek(in, 10, SEEK_SET) != 10)
        die("lseek");
    send_exact(out, in, NULL, 20);
    close(in);
    close_out(out);
    return 0;
}
