/* cmd_bpf.c — crosstag bpf attach|detach|status: the eBPF program that
 * gives TCP connections their ids (bpf/tcpid.h).  Needs root. */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "../bpf/tcpid.h"

static void usage(FILE *out)
{
    fputs("usage: crosstag bpf attach|detach|status\n"
          "\n"
          "  attach   load the program that records TCP initial sequence numbers, attach it\n"
          "           to the cgroup v2 root and pin its map at " TCPID_PIN "\n"
          "           (kept until detach or reboot; attaching twice keeps the first)\n"
          "  detach   remove it\n"
          "  status   say whether it is attached\n"
          "\n"
          "Tracked programs name each direction of a TCP connection by these numbers, so\n"
          "two connections that reuse the same addresses and ports never mix.  Needs root.\n",
          out);
}

int cmd_bpf(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc != 2) {
        usage(stderr);
        return 2;
    }
    char err[512];
    const char *what = argv[1];
    if (strcmp(what, "attach") == 0) {
        if (tcpid_attach(err, sizeof err) != 0) {
            fprintf(stderr, "crosstag: bpf attach: %s\n", err);
            return 1;
        }
        printf("attached (map %s)\n", TCPID_PIN);
        return 0;
    }
    if (strcmp(what, "detach") == 0) {
        if (tcpid_detach(err, sizeof err) != 0) {
            fprintf(stderr, "crosstag: bpf detach: %s\n", err);
            return 1;
        }
        printf("detached\n");
        return 0;
    }
    if (strcmp(what, "status") == 0) {
        long entries;
        int r = tcpid_status(&entries, err, sizeof err);
        if (r < 0) {
            fprintf(stderr, "crosstag: bpf status: %s\n", err);
            return 1;
        }
        if (r)
            printf("attached: map %s, %ld connections recorded\n", TCPID_PIN, entries);
        else
            printf("not attached\n");
        return 0;
    }
    fprintf(stderr, "crosstag: bpf: unknown action '%s'\n\n", what);
    usage(stderr);
    return 2;
}
