/* cmd_agent.c — `crosstag agent` (also installed as `crosstagd`): run,
 * start, stop or ask about the agent of a database. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "cmds.h"
#include "ct_wire.h"
#include "paths.h"
#include "policy.h"

#define SHORT_USAGE "usage: crosstag agent [run|start|stop|status] [--db PATH] [--host NAME] [--idle-exit SEC] [--policy FILE]\n"

static void usage(FILE *out)
{
    fputs("usage: crosstag agent [run|start|stop|status] [OPTIONS]\n"
          "       crosstagd [OPTIONS]              (the same as crosstag agent run)\n"
          "\n"
          "The per-host agent: it stores the records of every process tracked for one\n"
          "database.  crosstag run uses the database's agent, starting one if needed.\n"
          "\n"
          "  run      serve in the foreground (log on stderr)\n"
          "  start    start one in the background unless one runs; print its pid\n"
          "  stop     let the agent store what it has and exit\n"
          "  status   say whether an agent serves the database (exit 0 yes, 3 no)\n"
          "\n"
          "options:\n"
          "  --db PATH          the database (default: $CROSSTAG_DB, else\n"
          "                     $HOME/.local/share/crosstag/crosstag.db)\n"
          "  --host NAME        host name for processes whose run names none\n"
          "                     (default: $CROSSTAG_HOST, else the system's host name)\n"
          "  --idle-exit SEC    exit after SEC seconds without connections (default 0: never;\n"
          "                     agents that crosstag run starts use 30)\n"
          "  --policy FILE      enforce this leak-prevention policy (see README): every\n"
          "                     process tracked through this agent is checked; start\n"
          "                     loads it into a running agent too\n"
          "  -h, --help         show this help\n", out);
}

static int stop_or_status(const struct agent_paths *p, int stop)
{
    struct agent_hello ah = { 0 };
    int fd = agent_connect(p, "", 0, -1, 1, &ah);
    pid_t pid = ah.pid;
    if (fd < 0)
        return 3;
    if (!stop) {
        printf("agent pid %d serves %s\nsocket %s\nlog %s\n", (int)pid, p->db, p->sock, p->log);
        if (ah.pol_action)
            printf("policy on (strictest action %s)\n", policy_action_name(ah.pol_action));
        close(fd);
        return 0;
    }
    struct ct_msg_hdr h = { CT_MSG_STOP, sizeof h };
    if (send(fd, &h, sizeof h, MSG_NOSIGNAL) != (ssize_t)sizeof h) {
        fprintf(stderr, "crosstag: the agent went away\n");
        close(fd);
        return 1;
    }
    /* Its answer comes once everything connected is stored. */
    unsigned char buf[4096];
    for (;;) {
        struct ct_msg_synced s;
        ssize_t n = recv(fd, &s, sizeof(s.h), MSG_WAITALL);
        if (n != (ssize_t)sizeof s.h || s.h.len < sizeof s.h || s.h.len > sizeof buf)
            break;
        if (recv(fd, buf, s.h.len - sizeof s.h, MSG_WAITALL) != (ssize_t)(s.h.len - sizeof s.h))
            break;
        if (s.h.type == CT_MSG_SYNCED)
            break;
    }
    close(fd);
    /* Gone when its lock is free (it holds it to the last moment). */
    int lk = open(p->lock, O_RDWR | O_CLOEXEC);
    for (int i = 0; lk >= 0 && i < 1000; i++, usleep(10000))
        if (flock(lk, LOCK_EX | LOCK_NB) == 0)
            break;
    if (lk >= 0)
        close(lk);
    printf("agent pid %d stopped\n", (int)pid);
    return 0;
}

int cmd_agent(int argc, char **argv)
{
    const char *db = NULL, *host = NULL, *verb = "run", *policy = NULL;
    int idle = 0, i = 1;
    if (i < argc && argv[i][0] != '-')
        verb = argv[i++];
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--db") && v)
            db = v;
        else if (!strcmp(a, "--host") && v)
            host = v;
        else if (!strcmp(a, "--policy") && v)
            policy = v;
        else if (!strcmp(a, "--idle-exit") && v) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 0 || n > 86400 * 365) {
                fprintf(stderr, "crosstag agent: --idle-exit needs seconds, not '%s'\n", v);
                return 2;
            }
            idle = (int)n;
        } else {
            fprintf(stderr, v || a[0] != '-' ? "crosstag agent: unknown argument '%s'\n"
                                             : "crosstag agent: option %s needs a value\n", a);
            fputs(SHORT_USAGE, stderr);
            return 2;
        }
        i++;
    }
    char dbpath[4096], hostbuf[256];
    if (db)
        snprintf(dbpath, sizeof dbpath, "%s", db);
    else if (ct_default_db(dbpath, sizeof dbpath) != 0)
        return 1;
    if (!host || !*host)
        host = getenv("CROSSTAG_HOST");
    if (!host || !*host) {
        if (gethostname(hostbuf, sizeof hostbuf) != 0)
            snprintf(hostbuf, sizeof hostbuf, "localhost");
        hostbuf[sizeof hostbuf - 1] = '\0';
        host = hostbuf;
    }
    if (strlen(host) > 255) {
        fprintf(stderr, "crosstag agent: host name longer than 255 bytes\n");
        return 2;
    }
    struct agent_paths p;
    if (agent_paths(dbpath, &p) != 0)
        return 1;
    if (policy && strcmp(verb, "run") != 0 && strcmp(verb, "start") != 0) {
        fprintf(stderr, "crosstag agent: --policy goes with 'agent run' or 'agent start'\n");
        return 2;
    }
    char polpath[4096] = "";
    if (policy) {              /* checked before anything starts */
        struct policy pol;
        char err[700];
        if (policy_load(policy, &pol, err, sizeof err) != 0) {
            fprintf(stderr, "crosstag agent: bad policy: %s\n", err);
            return 2;
        }
        snprintf(polpath, sizeof polpath, "%s", pol.path);
        policy_free(&pol);
    }
    if (!strcmp(verb, "run")) {
        struct agent_cfg cfg = { .paths = &p, .host = host, .idle_exit_s = idle, .policy = policy };
        return agent_serve(&cfg);
    }
    if (!strcmp(verb, "start")) {
        struct agent_hello ah;
        int fd = agent_connect(&p, host, 0, idle, 1, &ah);
        if (fd < 0)
            return 1;
        /* a running agent takes the policy too (it replaces its own) */
        if (policy && agent_send_policy(fd, polpath, 1) != 0) {
            close(fd);
            return 1;
        }
        close(fd);
        printf("agent pid %d serves %s%s%s\n", (int)ah.pid, p.db, policy ? " with policy " : "",
               policy ? polpath : "");
        return 0;
    }
    if (!strcmp(verb, "stop") || !strcmp(verb, "status"))
        return stop_or_status(&p, !strcmp(verb, "stop"));
    fprintf(stderr, "crosstag agent: unknown command '%s'\n", verb);
    fputs(SHORT_USAGE, stderr);
    return 2;
}
