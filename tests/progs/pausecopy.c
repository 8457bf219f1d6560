/* pausecopy IN OUT FLAG — copies the first half of IN to OUT, waits until
 * the file FLAG exists (at most 120 s), then copies the rest.  Lets a test
 * act in the middle of a tracked run (kill the agent).
 * Mapping: OUT[0,n) <- IN[0,n) aligned. */
#include "progs.h"

static void copy(int in, int out, size_t n)
{
    char buf[256];
    while (n) {
        ssize_t r = read(in, buf, n < sizeof buf ? n : sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            die("read");
        write_all(out, buf, (size_t)r);
        n -= (size_t)r;
    }
}

int main(int argc, char **argv)
{
    if (argc != 4)
        usage("IN OUT FLAG");
    int in = open_in(argv[1]), out = open_out(argv[2]);
    struct stat st;
    if (fstat(in, &st) != 0)
        die("fstat");
    size_t half = (size_t)st.st_size / 2;
    copy(in, out, half);
    for (int i = 0; i < 12000 && access(argv[3], F_OK) != 0; i++)
        usleep(10000);
    copy(in, out, (size_t)st.st_size - half);
    close(in);
    close_out(out);
    return 0;
}
