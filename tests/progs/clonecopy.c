/* clonecopy IN OUT — raw clone(2), no pthreads.  A thread made with
 * CLONE_VM|CLONE_THREAD... reads IN into a shared buffer and swaps its two
 * halves; the main thread waits for it (CLONE_CHILD_CLEARTID + futex), then
 * a process made with clone(SIGCHLD) (a fork) writes the buffer to OUT.
 * With h = n/2: OUT[0,n-h) <- IN[h,n) aligned; OUT[n-h,n) <- IN[0,h) aligned. */
#include "progs.h"
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static const char *in_path;
static unsigned char *shared;
static size_t n;
static volatile pid_t thread_tid;

static int thread_fn(void *arg)
{
    (void)arg;
    size_t len;
    unsigned char *buf = read_file(in_path, &len);
    size_t h = len / 2;
    memcpy(shared, buf + h, len - h);
    memcpy(shared + (len - h), buf, h);
    n = len;
    free(buf);
    return 0;
}

static int fork_fn(void *arg)
{
    int fd = open_out(arg);
    write_all(fd, shared, n);
    close_out(fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    in_path = argv[1];
    shared = malloc(1 << 20);
    size_t stack_size = 1 << 20;
    char *stack = malloc(stack_size);
    if (!shared || !stack)
        die("malloc");
    int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    pid_t tid = clone(thread_fn, stack + stack_size, flags, NULL, &thread_tid, NULL, &thread_tid);
    if (tid < 0)
        die("clone thread");
    /* the kernel clears thread_tid and wakes us when the thread exits */
    while (thread_tid != 0) {
        pid_t seen = thread_tid;
        if (seen)
            syscall(SYS_futex, &thread_tid, FUTEX_WAIT, seen, NULL, NULL, 0);
    }
    pid_t child = clone(fork_fn, stack + stack_size, SIGCHLD, argv[2]);
    if (child < 0)
        die("clone fork");
    wait_child_ok(child);
    return 0;
}
