/* constant IN OUT — reads all of IN (so labelled bytes exist in memory),
 * then writes to OUT only bytes made from constants and the program's own
 * computation: the labelled buffer overwritten with memset, a computed
 * pseudo-random block, a string literal, and the byte count of IN in
 * decimal (a syscall result, not data).
 * Mapping: no flow at all. */
#include "progs.h"

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    size_t n;
    unsigned char *buf = read_file(argv[1], &n);
    memset(buf, 'x', n);                 /* overwriting must drop the labels */

    unsigned char block[4096];
    unsigned state = 12345u;
    for (size_t i = 0; i < sizeof block; i++) {
        state = state * 1103515245u + 12345u;
        block[i] = (unsigned char)('a' + (state >> 16) % 26u);
    }
    char line[64];
    int len = snprintf(line, sizeof line, "\nread %zu bytes\n", n);

    int out = open_out(argv[2]);
    write_all(out, buf, n);
    write_all(out, block, sizeof block);
    write_all(out, "a constant string\n", 18);
    write_all(out, line, (size_t)len);
    close_out(out);
    free(buf);
    return 0;
}
