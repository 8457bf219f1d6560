/* sigyoung IN OUT — a register holds a word mixed from four input bytes
 * (a young vector of the engine: tool/ct_labels.h) when a signal
 * interrupts the program (int3: SIGTRAP, delivered at once, no timeslice or
 * syscall in between).  The handler makes a syscall (where the engine
 * empties its young pool) and a thousand mixed words of its own (which
 * reuse the pool), then returns; the interrupted register, restored from
 * the signal frame, must still carry its own labels.
 * Mapping: OUT[0] <- IN[3], OUT[1] <- IN[0], OUT[2] <- IN[2], OUT[3] <- IN[1];
 *          OUT[4] <- IN[5], OUT[5] <- IN[4], OUT[6] <- IN[7], OUT[7] <- IN[6]. */
#include "progs.h"
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>

static unsigned char buf[8];
static volatile uint32_t hword, scratch;

/* four bytes of buf in the order a, b, c, d, loaded as one word: its
 * shadow is a vector of four unrelated ids (a load makes it young) */
static uint32_t mixed(int a, int b, int c, int d)
{
    static unsigned char t[4];
    uint32_t w;
    /* byte moves in asm: compilers turn byte stores into shifts and ors */
    __asm__ volatile("movb %[a], %%al\n\tmovb %%al, 0(%[t])\n\t"
                     "movb %[b], %%al\n\tmovb %%al, 1(%[t])\n\t"
                     "movb %[c], %%al\n\tmovb %%al, 2(%[t])\n\t"
                     "movb %[d], %%al\n\tmovb %%al, 3(%[t])\n\t"
                     "movl (%[t]), %[w]"
                     : [w] "=r"(w)
                     : [t] "r"(t), [a] "m"(buf[a]), [b] "m"(buf[b]), [c] "m"(buf[c]), [d] "m"(buf[d])
                     : "rax", "memory");
    return w;
}

static void on_trap(int sig)
{
    (void)sig;
    syscall(SYS_getpid);
    for (int i = 0; i < 1000; i++) {
        scratch = mixed(6, 7, 4, 5);
        hword = mixed(5, 4, 7, 6);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    int in = open_in(argv[1]);
    read_full(in, buf, sizeof buf);
    close(in);
    struct sigaction sa = { .sa_handler = on_trap };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTRAP, &sa, NULL) != 0)
        die("sigaction");
    syscall(SYS_getpid);   /* the pool starts empty: the word's id is small */
    uint32_t x;
    /* r12 survives the handler (callee-saved); no syscall and no other
     * block between making the word and the trap */
    __asm__ volatile("mov %[w], %%r12d\n\t"
                     "int3\n\t"
                     "movl %%r12d, %[x]\n\t"
                     : [x] "=m"(x)
                     : [w] "r"(mixed(3, 0, 2, 1))
                     : "r12", "memory");
    uint32_t h = hword;
    int fd = open_out(argv[2]);
    write_all(fd, &x, 4);
    write_all(fd, &h, 4);
    close_out(fd);
    return 0;
}
