/* crosstag.c — main(): dispatches to the subcommands in cmds.h. */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "version.h"

static void usage(FILE *out)
{
    fputs("usage: crosstag COMMAND [ARGS...]\n"
          "\n"
          "Byte-level data-flow tracking: records which input bytes each output byte\n"
          "of a program came from, and answers where bytes came from or went to.\n"
          "\n"
          "commands:\n"
          "  run [OPTIONS] -- CMD ARGS...   run CMD under the tracker, record its flows\n"
          "  query backward|forward [--db PATH] [--json] TARGET\n"
          "                                 where TARGET's bytes came from / went to\n"
          "  agent [run|start|stop|status]  the per-host agent that stores records\n"
          "  db merge [--db OUT] IN...      combine the stores of several hosts\n"
          "  alerts [--db PATH] [--json]    leak-prevention decisions (run --policy)\n"
          "  bpf attach|detach|status       the eBPF program naming TCP connections (root)\n"
          "  net udptag attach|detach|status  tc programs tagging UDP datagrams (root)\n"
          "\n"
          "options:\n"
          "  -h, --help       show this help (crosstag COMMAND --help for a command)\n"
          "  -V, --version    show the version\n"
          "\n"
          "The database is --db PATH, else $CROSSTAG_DB, else\n"
          "$HOME/.local/share/crosstag/crosstag.db.\n", out);
}

int main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/');
    if (strcmp(base ? base + 1 : argv[0], "crosstagd") == 0)
        return cmd_agent(argc, argv);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "query") == 0)
        return cmd_query(argc - 1, argv + 1);
    if (strcmp(cmd, "agent") == 0)
        return cmd_agent(argc - 1, argv + 1);
    if (strcmp(cmd, "db") == 0)
        return cmd_db(argc - 1, argv + 1);
    if (strcmp(cmd, "alerts") == 0)
        return cmd_alerts(argc - 1, argv + 1);
    if (strcmp(cmd, "bpf") == 0)
        return cmd_bpf(argc - 1, argv + 1);
    if (strcmp(cmd, "net") == 0)
        return cmd_net(argc - 1, argv + 1);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("crosstag %s\n", CT_VERSION);
        return 0;
    }
    fprintf(stderr, "crosstag: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
