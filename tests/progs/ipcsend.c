/* ipcsend msgq|iouring [FILE]
 *   msgq:    sends FILE (at most 4 KB) through a private SysV message queue
 *            with msgsnd, receives it back with msgrcv and writes it to
 *            stdout: the bytes leave through a syscall crosstag does not
 *            follow as a flow.
 *   iouring: calls io_uring_setup and prints "ok" or the error's name. */
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/syscall.h>

#include "progs.h"

struct msg {
    long mtype;
    char text[4096];
};

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "iouring")) {
        unsigned char params[120] = { 0 };     /* struct io_uring_params */
        long r = syscall(__NR_io_uring_setup, 4, params);
        printf("%s\n", r >= 0 ? "ok" : errno == ENOSYS ? "ENOSYS" : strerror(errno));
        return 0;
    }
    if (argc != 3 || strcmp(argv[1], "msgq") != 0) {
        fprintf(stderr, "usage: ipcsend msgq FILE | ipcsend iouring\n");
        return 2;
    }
    static struct msg m = { .mtype = 1 };
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0)
        die(argv[2]);
    size_t n = read_full(fd, m.text, sizeof m.text);
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (q < 0)
        die("msgget");
    static struct msg back;
    ssize_t got = -1;
    if (msgsnd(q, &m, n, 0) == 0)
        got = msgrcv(q, &back, sizeof back.text, 0, 0);
    msgctl(q, IPC_RMID, NULL);
    if (got < 0)
        die("msgsnd/msgrcv");
    fwrite(back.text, 1, (size_t)got, stdout);
    return 0;
}
