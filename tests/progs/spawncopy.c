/* spawncopy MODE IN OUT — the parent reads IN; a new process writes it.
 *   vfork:  a vfork() child opens OUT and writes the buffer (it shares the
 *           parent's memory until it exits).
 *   spawn:  posix_spawn() of /bin/cat with stdin a pipe and stdout OUT; the
 *           parent writes the buffer's second half, then its first half,
 *           into the pipe.
 *   system: the parent writes the halves swapped into OUT.mid, then
 *           system("cat < OUT.mid > OUT").
 * vfork: OUT[0,n) <- IN[0,n) aligned.  spawn, system (h = n/2):
 * OUT[0,n-h) <- IN[h,n) aligned; OUT[n-h,n) <- IN[0,h) aligned. */
#include "progs.h"
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

/* Its own frame: nothing of the caller's is live across vfork(). */
static __attribute__((noinline)) pid_t vfork_write(const char *out, const unsigned char *buf, size_t n)
{
    pid_t pid = vfork();
    if (pid < 0)
        die("vfork");
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write(fd, buf, n) != (ssize_t)n)
            _exit(1);
        _exit(close(fd) == 0 ? 0 : 1);
    }
    return pid;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        usage("vfork|spawn|system IN OUT");
    const char *mode = argv[1], *out = argv[3];
    size_t n;
    unsigned char *buf = read_file(argv[2], &n);
    size_t h = n / 2;
    if (strcmp(mode, "vfork") == 0) {
        pid_t pid = vfork_write(out, buf, n);
        wait_child_ok(pid);
    } else if (strcmp(mode, "spawn") == 0) {
        int p[2];
        if (pipe(p) != 0)
            die("pipe");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, p[0], 0);
        posix_spawn_file_actions_addclose(&fa, p[1]);
        posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        char *cargv[] = { "cat", NULL };
        pid_t pid;
        errno = posix_spawn(&pid, "/bin/cat", &fa, NULL, cargv, environ);
        if (errno)
            die("posix_spawn");
        close(p[0]);
        write_all(p[1], buf + h, n - h);
        write_all(p[1], buf, h);
        close(p[1]);
        wait_child_ok(pid);
    } else if (strcmp(mode, "system") == 0) {
        char mid[4096], cmd[9000];
        snprintf(mid, sizeof mid, "%s.mid", out);
        int fd = open_out(mid);
        write_all(fd, buf + h, n - h);
        write_all(fd, buf, h);
        close_out(fd);
        snprintf(cmd, sizeof cmd, "cat < '%s' > '%s'", mid, out);
        int st = system(cmd);
        if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            errno = 0;
            die("system");
        }
    } else {
        usage("vfork|spawn|system IN OUT");
    }
    free(buf);
    return 0;
}
