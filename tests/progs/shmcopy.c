/* shmcopy MODE IN OUT — two processes share memory.  The parent sets up a
 * 4096-byte shared region and maps it, then forks.  The child (the writer)
 * maps the region on its own, read()s IN into it at offset 100 and tells
 * the parent through a pipe how many bytes it put there.  The parent (the
 * reader, mapped before the writer wrote) writes the region's bytes to OUT,
 * second half first, straight from the shared memory.  MODE:
 *   sysv:  shmget/shmat/shmdt
 *   posix: shm_open (a file under /dev/shm), MAP_SHARED
 *   file:  a regular file OUT.shm, MAP_SHARED
 * With h = n/2: OUT[0,n-h) <- IN[h,n) aligned; OUT[n-h,n) <- IN[0,h) aligned. */
#include "progs.h"
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

#define SIZE 4096
#define AT 100

static const char *mode;
static int shmid = -1, region_fd = -1;

/* A new mapping of the region in this process. */
static unsigned char *map_region(void)
{
    void *p;
    if (strcmp(mode, "sysv") == 0) {
        p = shmat(shmid, NULL, 0);
        if (p == (void *)-1)
            die("shmat");
    } else {
        p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, region_fd, 0);
        if (p == MAP_FAILED)
            die("mmap");
    }
    return p;
}

static void unmap_region(unsigned char *p)
{
    if (strcmp(mode, "sysv") == 0 ? shmdt(p) != 0 : munmap(p, SIZE) != 0)
        die("unmap");
}

int main(int argc, char **argv)
{
    if (argc != 4)
        usage("sysv|posix|file IN OUT");
    mode = argv[1];
    char name[4200];
    if (strcmp(mode, "sysv") == 0) {
        shmid = shmget(IPC_PRIVATE, SIZE, IPC_CREAT | 0600);
        if (shmid < 0)
            die("shmget");
    } else if (strcmp(mode, "posix") == 0 || strcmp(mode, "file") == 0) {
        if (mode[0] == 'p') {
            snprintf(name, sizeof name, "/crosstag-shmcopy-%d", (int)getpid());
            region_fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
        } else {
            snprintf(name, sizeof name, "%s.shm", argv[3]);
            region_fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
        }
        if (region_fd < 0 || ftruncate(region_fd, SIZE) != 0)
            die(name);
    } else {
        usage("sysv|posix|file IN OUT");
    }
    unsigned char *mine = map_region();
    int p[2];
    if (pipe(p) != 0)
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {                       /* the writer */
        close(p[0]);
        unsigned char *w = map_region();
        int in = open_in(argv[2]);
        ssize_t n = 0, r;
        while ((r = read(in, w + AT + n, SIZE - AT - n)) > 0)
            n += r;
        if (r < 0)
            die("read");
        close(in);
        write_all(p[1], &n, sizeof n);
        unmap_region(w);
        _exit(0);
    }
    close(p[1]);
    ssize_t n;
    if (read(p[0], &n, sizeof n) != sizeof n) {
        errno = 0;
        die("the writer said nothing");
    }
    size_t h = (size_t)n / 2;
    int out = open_out(argv[3]);
    write_all(out, mine + AT + h, (size_t)n - h);
    write_all(out, mine + AT, h);
    close_out(out);
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        errno = 0;
        die("writer failed");
    }
    unmap_region(mine);
    if (shmid >= 0)
        shmctl(shmid, IPC_RMID, NULL);
    else if (mode[0] == 'p')
        shm_unlink(name);
    else
        unlink(name);
    return 0;
}
