/* cmd_alerts.c — `crosstag alerts [--db PATH] [--json]`: the decisions of
 * leak prevention, oldest first (the agent stores one row per decision). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert_json.h"
#include "cmds.h"
#include "paths.h"
#include "store.h"

#define SHORT_USAGE "usage: crosstag alerts [--db PATH] [--json]  (crosstag alerts --help)\n"

static void usage(FILE *out)
{
    fputs("usage: crosstag alerts [--db PATH] [--json]\n"
          "\n"
          "Lists the decisions leak prevention took (crosstag run --policy FILE): which\n"
          "process sent or wrote which protected bytes (class, original source and\n"
          "offsets) to which untrusted destination, and the action taken.\n"
          "\n"
          "  --db PATH    the database (default: $CROSSTAG_DB, else\n"
          "               $HOME/.local/share/crosstag/crosstag.db)\n"
          "  --json       one JSON object per line (the agent logs the same lines)\n"
          "  -h, --help   show this help\n", out);
}

static int print_text(void *ctx, const struct store_alertinfo *a)
{
    (void)ctx;
    char when[32] = "?";
    time_t t = (time_t)(a->time_ns / 1000000000u);
    struct tm tm;
    if (localtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    printf("%s %s: [pid %d] %s sent %llu bytes of class %s to %s", when, a->action,
           (int)a->pid, a->argv0 ? a->argv0 : "?", (unsigned long long)a->bytes, a->cls, a->dest);
    if (a->src_obj)
        printf(" from %s:%s:%llu-%llu", a->src_host ? a->src_host : "?", a->src_obj,
               (unsigned long long)a->src_start, (unsigned long long)a->src_end);
    if (a->note)
        printf(" (%s)", a->note);
    putchar('\n');
    return 0;
}

static int print_json(void *ctx, const struct store_alertinfo *a)
{
    (void)ctx;
    char *j = alert_json(a);
    if (!j)
        return 1;
    puts(j);
    free(j);
    return 0;
}

int cmd_alerts(int argc, char **argv)
{
    const char *db = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--db") && i + 1 < argc)
            db = argv[++i];
        else {
            fprintf(stderr, "crosstag alerts: %s '%s'\n",
                    strcmp(argv[i], "--db") ? "unknown argument" : "missing value for", argv[i]);
            fputs(SHORT_USAGE, stderr);
            return 2;
        }
    }
    char path[4096], err[600];
    if (db)
        snprintf(path, sizeof path, "%s", db);
    else if (ct_default_db(path, sizeof path) != 0)
        return 1;
    struct store *st = store_open(path, STORE_READ, err, sizeof err);
    if (!st) {
        fprintf(stderr, "crosstag: cannot open database %s: %s\n", path, err);
        return 1;
    }
    int rc = store_alerts(st, json ? print_json : print_text, NULL);
    if (rc != 0)
        fprintf(stderr, "crosstag: %s\n", store_errmsg(st));
    store_close(st);
    return rc ? 1 : 0;
}
