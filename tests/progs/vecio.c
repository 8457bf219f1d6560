/* vecio IN OUT — vectored I/O (IN >= 47 bytes):
 *   readv {5,7,20} from offset 0: a=IN[0,5) b=IN[5,12) c=IN[12,32)
 *   writev {c,a,b} at OUT offset 0:
 *       OUT[0,20) <- IN[12,32);  OUT[20,32) <- IN[0,12) (a,b merge)
 *   preadv {3,4} at offset 40: d=IN[40,43) e=IN[43,47)
 *   pwritev {e,d} at OUT offset 100:
 *       OUT[100,104) <- IN[43,47);  OUT[104,107) <- IN[40,43)
 * all aligned. */
#include "progs.h"
#include <sys/uio.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    int in = open_in(argv[1]), out = open_out(argv[2]);
    char a[5], b[7], c[20], d[3], e[4];
    struct iovec rv[3] = {{a, sizeof a}, {b, sizeof b}, {c, sizeof c}};
    if (readv(in, rv, 3) != 32)
        die("readv (short)");
    struct iovec wv[3] = {{c, sizeof c}, {a, sizeof a}, {b, sizeof b}};
    if (writev(out, wv, 3) != 32)
        die("writev (short)");
    struct iovec prv[2] = {{d, sizeof d}, {e, sizeof e}};
    if (preadv(in, prv, 2, 40) != 7)
        die("preadv (short)");
    struct iovec pwv[2] = {{e, sizeof e}, {d, sizeof d}};
    if (pwritev(out, pwv, 2, 100) != 7)
        die("pwritev (short)");
    close(in);
    close_out(out);
    return 0;
}
