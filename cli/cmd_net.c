/* cmd_net.c — crosstag net udptag attach|detach|status: the tc programs
 * that carry each UDP datagram's sequence number between tracked hosts
 * (bpf/udptag.h), in the network namespace the command runs in.  Root. */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "../bpf/udptag.h"

static void usage(FILE *out)
{
    fputs("usage: crosstag net udptag attach [--dev IFNAME|all] --track CIDR...\n"
          "       crosstag net udptag detach|status\n"
          "\n"
          "  attach   load the tc programs that tag UDP datagrams to tracked hosts with\n"
          "           their sequence number (4 bytes after the payload) and take the tag\n"
          "           off for every receiver that is not tracked; attach them to IFNAME\n"
          "           (default: every interface of this network namespace).  --track\n"
          "           lists the tracked hosts or networks (10.1.0.0/24, fd00:1::/64,\n"
          "           10.1.0.2); datagrams to anything else get nothing.  Attaching\n"
          "           again replaces the list.\n"
          "  detach   remove the programs and their maps\n"
          "  status   say what is attached\n"
          "\n"
          "Every tracked host must attach with the same list.  Tracked programs then\n"
          "name each datagram by its sequence number, so a lost or reordered datagram\n"
          "never shifts the others.  Needs root.\n",
          out);
}

static int attach(int argc, char **argv)
{
    const char *dev = NULL;
    const char *cidrs[UDPTAG_MAX_DST];
    int n = 0, track = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--dev") == 0 && i + 1 < argc && !track) {
            dev = argv[++i];
        } else if (strcmp(argv[i], "--track") == 0 && !track) {
            track = 1;
        } else if (track && argv[i][0] != '-') {
            if (n == UDPTAG_MAX_DST) {
                fprintf(stderr, "crosstag: net udptag attach: at most %d networks\n", UDPTAG_MAX_DST);
                return 2;
            }
            cidrs[n++] = argv[i];
        } else {
            fprintf(stderr, "crosstag: net udptag attach: unexpected '%s'\n\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (n == 0) {
        fprintf(stderr, "crosstag: net udptag attach: --track needs at least one network\n\n");
        usage(stderr);
        return 2;
    }
    char err[512];
    if (udptag_attach(dev, cidrs, n, err, sizeof err) != 0) {
        fprintf(stderr, "crosstag: net udptag attach: %s\n", err);
        return 1;
    }
    printf("attached (%s, %d tracked network%s)\n", dev ? dev : "every interface", n, n == 1 ? "" : "s");
    return 0;
}

int cmd_net(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc < 3 || strcmp(argv[1], "udptag") != 0) {
        usage(stderr);
        return 2;
    }
    const char *what = argv[2];
    char err[512];
    if (strcmp(what, "attach") == 0)
        return attach(argc - 3, argv + 3);
    if (argc != 3) {
        usage(stderr);
        return 2;
    }
    if (strcmp(what, "detach") == 0) {
        if (udptag_detach(err, sizeof err) != 0) {
            fprintf(stderr, "crosstag: net udptag detach: %s\n", err);
            return 1;
        }
        printf("detached\n");
        return 0;
    }
    if (strcmp(what, "status") == 0) {
        int r = udptag_status(stdout, err, sizeof err);
        if (r < 0) {
            fprintf(stderr, "crosstag: net udptag status: %s\n", err);
            return 1;
        }
        if (r == 0)
            printf("not attached\n");
        return 0;
    }
    fprintf(stderr, "crosstag: net udptag: unknown action '%s'\n\n", what);
    usage(stderr);
    return 2;
}
