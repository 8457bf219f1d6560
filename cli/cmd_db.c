/* cmd_db.c — `crosstag db merge --db OUT IN...`: combines the stores of
 * several hosts into one, so queries can follow data across them. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmds.h"
#include "paths.h"
#include "store.h"

#define SHORT_USAGE "usage: crosstag db merge [--db OUT] IN...  (crosstag db --help)\n"

static void usage(FILE *out)
{
    fputs("usage: crosstag db merge [--db OUT] IN...\n"
          "\n"
          "Adds every record of the stores IN... (each host keeps its own) to OUT\n"
          "(created if missing).  Rows are matched by identity, so merging a store\n"
          "again adds nothing.  Each IN is merged in one transaction.\n"
          "\n"
          "  --db OUT     the store to merge into (default: $CROSSTAG_DB, else\n"
          "               $HOME/.local/share/crosstag/crosstag.db)\n"
          "  -h, --help   show this help\n", out);
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int cmd_db(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "merge") != 0) {
        fprintf(stderr, argc < 2 ? "crosstag db: no command given\n"
                                 : "crosstag db: unknown command '%s'\n", argc < 2 ? "" : argv[1]);
        fputs(SHORT_USAGE, stderr);
        return 2;
    }
    const char *db = NULL;
    int i = 2, first_in;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--db") && i + 1 < argc)
            db = argv[++i];
        else if (!strncmp(argv[i], "--db=", 5))
            db = argv[i] + 5;
        else if (!strcmp(argv[i], "--"))
            { i++; break; }
        else if (argv[i][0] == '-') {
            fprintf(stderr, "crosstag db merge: unknown option '%s'\n", argv[i]);
            fputs(SHORT_USAGE, stderr);
            return 2;
        } else
            break;
    }
    first_in = i;
    if (first_in >= argc) {
        fprintf(stderr, "crosstag db merge: no store to merge\n");
        fputs(SHORT_USAGE, stderr);
        return 2;
    }
    char out[4096], err[600];
    if (db)
        snprintf(out, sizeof out, "%s", db);
    else if (ct_default_db(out, sizeof out) != 0)
        return 1;
    /* Inputs are checked before the output is created or touched. */
    for (i = first_in; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0 || !S_ISREG(st.st_mode)) {
            fprintf(stderr, "crosstag db merge: %s: no such store\n", argv[i]);
            return 1;
        }
        if (same_file(argv[i], out)) {
            fprintf(stderr, "crosstag db merge: %s is the output store itself\n", argv[i]);
            return 1;
        }
    }
    struct store *s = store_open(out, STORE_WRITE, err, sizeof err);
    if (!s) {
        fprintf(stderr, "crosstag db merge: cannot open %s: %s\n", out, err);
        return 1;
    }
    int rc = 0;
    for (i = first_in; i < argc; i++) {
        struct store_merge_counts c;
        if (store_merge(s, argv[i], &c) != 0) {
            fprintf(stderr, "crosstag db merge: %s: %s (nothing of it merged)\n", argv[i], store_errmsg(s));
            rc = 1;
            continue;
        }
        printf("%s: %lld hosts, %lld processes, %lld objects, %lld flows, %lld alerts added\n",
               argv[i], (long long)c.hosts, (long long)c.processes, (long long)c.objects,
               (long long)c.flows, (long long)c.alerts);
    }
    store_close(s);
    return rc;
}
