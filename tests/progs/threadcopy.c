/* threadcopy IN OUT — one thread reads IN, another transforms and writes
 * it (OUT[i] = IN[i] ^ 0x20 computed in the second thread: registers are
 * shadowed per thread).
 * Mapping: OUT[0,n) <- IN[0,n) aligned. */
#include "progs.h"
#include <pthread.h>

struct job {
    const char *in, *out;
    unsigned char *buf;
    size_t n;
};

static void *reader(void *arg)
{
    struct job *j = arg;
    j->buf = read_file(j->in, &j->n);
    return NULL;
}

static void *writer(void *arg)
{
    struct job *j = arg;
    unsigned char *o = malloc(j->n + 1);
    if (!o)
        die("malloc");
    for (size_t i = 0; i < j->n; i++) {
        o[i] = j->buf[i] ^ 0x20;
        CT_SCALAR_BARRIER();
    }
    int fd = open_out(j->out);
    write_all(fd, o, j->n);
    close_out(fd);
    free(o);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    struct job j = {argv[1], argv[2], NULL, 0};
    pthread_t t;
    if (pthread_create(&t, NULL, reader, &j) != 0 || pthread_join(t, NULL) != 0)
        die("reader thread");
    if (pthread_create(&t, NULL, writer, &j) != 0 || pthread_join(t, NULL) != 0)
        die("writer thread");
    free(j.buf);
    return 0;
}
