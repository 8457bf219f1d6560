/* progs.h — tiny helpers shared by the test programs (tests/progs/NAME.c).
 *
 * Every test program takes file paths as arguments, prints nothing on
 * success, and on any error prints one line to stderr and exits 1.  Their
 * byte mappings are documented at the top of each file and checked exactly
 * by tests/t_progs.sh (and t_badinput.sh, t_nolabel.sh).
 */
#ifndef CT_TEST_PROGS_H
#define CT_TEST_PROGS_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Keeps the compiler from vectorising or merging a byte loop: the test wants
 * the plain scalar load/store path (SIMD has its own program). */
#define CT_SCALAR_BARRIER() __asm__ volatile("" ::: "memory")

static inline void die(const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
            errno ? strerror(errno) : "failed");
    exit(1);
}

static inline void usage(const char *args)
{
    fprintf(stderr, "usage: %s %s\n", program_invocation_short_name, args);
    exit(1);
}

static inline int open_in(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        die(path);
    return fd;
}

static inline int open_out(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die(path);
    return fd;
}

/* Reads the whole of fd (from its current offset) into a malloc'd buffer. */
static inline unsigned char *read_all(int fd, size_t *len)
{
    size_t cap = 65536, n = 0;
    unsigned char *buf = malloc(cap);
    if (!buf)
        die("malloc");
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf)
                die("realloc");
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            die("read");
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *len = n;
    return buf;
}

static inline unsigned char *read_file(const char *path, size_t *len)
{
    int fd = open_in(path);
    unsigned char *b = read_all(fd, len);
    close(fd);
    return b;
}

/* Waits for child pid; dies unless it exited with status 0. */
static inline void wait_child_ok(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        errno = 0;
        die("child failed");
    }
}

/* Up to len bytes from fd, short only at end of input. */
static inline size_t read_full(int fd, void *buf, size_t len)
{
    size_t n = 0;
    while (n < len) {
        ssize_t r = read(fd, (char *)buf + n, len - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            die("read");
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    return n;
}

static inline void write_all(int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("write");
        }
        p += w;
        len -= (size_t)w;
    }
}

static inline void pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t w = pwrite(fd, p, len, off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("pwrite");
        }
        p += w;
        off += w;
        len -= (size_t)w;
    }
}

/* pread exactly len bytes at off (the file must be long enough). */
static inline void pread_exact(int fd, void *buf, size_t len, off_t off)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t r = pread(fd, p, len, off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            die("pread");
        }
        if (r == 0) {
            errno = 0;
            die("pread: file too short");
        }
        p += r;
        off += r;
        len -= (size_t)r;
    }
}

static inline void close_out(int fd)
{
    if (close(fd) != 0)
        die("close");
}

#endif
