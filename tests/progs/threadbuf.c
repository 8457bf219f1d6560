/* threadbuf IN OUT — a producer thread reads IN in 8-byte chunks into a
 * 3-slot ring buffer guarded by a mutex and two condition variables; a
 * consumer thread takes each chunk and writes it to OUT with its bytes
 * reversed.  The slots are reused again and again: each reuse must replace
 * the labels, never mix them.  The last chunk may be short (m bytes).
 * Mapping, per chunk c at offset o = 8c of length m:
 *   OUT[o+i] <- IN[o+m-1-i] aligned, one byte each. */
#include "progs.h"
#include <pthread.h>

#define SLOTS 3
#define CHUNK 8

static struct {
    pthread_mutex_t mu;
    pthread_cond_t not_full, not_empty;
    unsigned char data[SLOTS][CHUNK];
    size_t len[SLOTS];
    unsigned head, tail, count;
    int done;
} ring;

static const char *in_path, *out_path;

static void *producer(void *arg)
{
    (void)arg;
    int fd = open_in(in_path);
    for (;;) {
        unsigned char tmp[CHUNK];
        size_t n = 0;
        while (n < CHUNK) {
            ssize_t r = read(fd, tmp + n, CHUNK - n);
            if (r < 0)
                die("read");
            if (r == 0)
                break;
            n += (size_t)r;
        }
        pthread_mutex_lock(&ring.mu);
        while (ring.count == SLOTS)
            pthread_cond_wait(&ring.not_full, &ring.mu);
        if (n == 0) {
            ring.done = 1;
        } else {
            memcpy(ring.data[ring.tail], tmp, n);
            ring.len[ring.tail] = n;
            ring.tail = (ring.tail + 1) % SLOTS;
            ring.count++;
        }
        pthread_cond_signal(&ring.not_empty);
        pthread_mutex_unlock(&ring.mu);
        if (n == 0)
            break;
    }
    close(fd);
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    int fd = open_out(out_path);
    for (;;) {
        unsigned char tmp[CHUNK];
        pthread_mutex_lock(&ring.mu);
        while (ring.count == 0 && !ring.done)
            pthread_cond_wait(&ring.not_empty, &ring.mu);
        if (ring.count == 0) {
            pthread_mutex_unlock(&ring.mu);
            break;
        }
        size_t n = ring.len[ring.head];
        for (size_t i = 0; i < n; i++) {
            tmp[i] = ring.data[ring.head][n - 1 - i];
            CT_SCALAR_BARRIER();
        }
        ring.head = (ring.head + 1) % SLOTS;
        ring.count--;
        pthread_cond_signal(&ring.not_full);
        pthread_mutex_unlock(&ring.mu);
        write_all(fd, tmp, n);
    }
    close_out(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    in_path = argv[1];
    out_path = argv[2];
    pthread_mutex_init(&ring.mu, NULL);
    pthread_cond_init(&ring.not_full, NULL);
    pthread_cond_init(&ring.not_empty, NULL);
    pthread_t p, c;
    if (pthread_create(&c, NULL, consumer, NULL) != 0 || pthread_create(&p, NULL, producer, NULL) != 0)
        die("pthread_create");
    if (pthread_join(p, NULL) != 0 || pthread_join(c, NULL) != 0)
        die("pthread_join");
    return 0;
}
