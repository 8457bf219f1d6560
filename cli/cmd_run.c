/* cmd_run.c — `crosstag run`: checks everything that can fail before the
 * program starts (program, valgrind, tool, database, socket), then starts
 * valgrind with the crosstag tool and collects its records until the end. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "agent.h"
#include "paths.h"
#include "policy.h"
#include "runwait.h"
#include "sigfwd.h"
#include "store.h"

#define TOOL_FILE "crosstag-amd64-linux"
#define SHORT_USAGE "usage: crosstag run [OPTIONS] -- CMD ARGS...  (crosstag run --help)\n"

struct run_opts {
    const char *db, *host, *policy;
    int quiet, no_addr_taint, no_elastic, no_warm_fork;
    char **tool_args;          /* --ct-source=G / --ct-no-source=G, command-line order */
    int ntool_args;
    char **cmd;                /* NULL-terminated */
};

static void run_usage(FILE *out)
{
    fputs("usage: crosstag run [OPTIONS] -- CMD ARGS...\n"
          "\n"
          "Runs CMD, and every program it starts, under the crosstag Valgrind tool and\n"
          "records which bytes of which inputs each written byte came from.\n"
          "\n"
          "options:\n"
          "  --db PATH          the database; created, with its folder, if missing\n"
          "                     (default: $CROSSTAG_DB, else\n"
          "                     $HOME/.local/share/crosstag/crosstag.db)\n"
          "  --source GLOB      regular files matching GLOB are sources (repeatable)\n"
          "  --no-source GLOB   regular files matching GLOB are not (repeatable); the last\n"
          "                     matching --source/--no-source decides.  Without a match,\n"
          "                     files outside /usr /lib /lib64 /etc /proc /sys /dev are\n"
          "                     sources.  '*' also matches '/'.\n"
          "  --no-addr-taint    do not follow data through memory addresses (table lookups)\n"
          "  --no-elastic       instrument every process from its start, not from its first\n"
          "                     label (README: Performance)\n"
          "  --no-warm-fork     a process that forks does not translate ahead the code its\n"
          "                     children ran, for its next children (README: Performance)\n"
          "  --host NAME        record under host NAME (default: $CROSSTAG_HOST, else the\n"
          "                     system's host name)\n"
          "  --policy FILE      enforce the leak-prevention policy FILE (README: Leak\n"
          "                     prevention); the agent loads it too\n"
          "  -q, --quiet        do not show tracker notes and warnings\n"
          "  -h, --help         show this help\n"
          "\n"
          "environment:\n"
          "  CROSSTAG_DB, CROSSTAG_HOST   defaults for --db and --host\n"
          "  CROSSTAG_LIB       folder holding the tool (default: BIN/../lib/crosstag)\n"
          "  CROSSTAG_VALGRIND  program run instead of `valgrind` from PATH\n"
          "  XDG_RUNTIME_DIR    where the agent's socket lives (default /tmp/crosstag-UID)\n"
          "\n"
          "The records go to the database's agent (crosstagd), which is started when\n"
          "none runs (crosstag agent --help).\n"
          "\n"
          "exit status: CMD's own (128+N when killed by signal N); 127 CMD not found,\n"
          "126 CMD not executable, 2 bad usage, 1 any other crosstag error.\n", out);
}

/* --opt VALUE or --opt=VALUE; NULL when `a` is not `name`. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

static int add_tool_arg(struct run_opts *o, const char *prefix, const char *glob)
{
    char **na = realloc(o->tool_args, (size_t)(o->ntool_args + 1) * sizeof *na);
    if (!na)
        return -1;
    o->tool_args = na;
    size_t len = strlen(prefix) + strlen(glob) + 1;
    if (!(na[o->ntool_args] = malloc(len)))
        return -1;
    snprintf(na[o->ntool_args++], len, "%s%s", prefix, glob);
    return 0;
}

/* 0 parsed, 1 help shown, 2 usage error (reported). */
static int parse(int argc, char **argv, struct run_opts *o)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int missing = 0;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-')
            break;              /* CMD starts; "--" is optional */
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            run_usage(stdout);
            return 1;
        }
        if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
            o->quiet = 1;
        else if (strcmp(a, "--no-addr-taint") == 0)
            o->no_addr_taint = 1;
        else if (strcmp(a, "--no-elastic") == 0)
            o->no_elastic = 1;
        else if (strcmp(a, "--no-warm-fork") == 0)
            o->no_warm_fork = 1;
        else if ((v = opt_value(argc, argv, &i, "--db", &missing)))
            o->db = v;
        else if ((v = opt_value(argc, argv, &i, "--host", &missing)))
            o->host = v;
        else if ((v = opt_value(argc, argv, &i, "--policy", &missing)))
            o->policy = v;
        else if ((v = opt_value(argc, argv, &i, "--source", &missing))) {
            if (add_tool_arg(o, "--ct-source=", v) != 0)
                goto nomem;
        } else if ((v = opt_value(argc, argv, &i, "--no-source", &missing))) {
            if (add_tool_arg(o, "--ct-no-source=", v) != 0)
                goto nomem;
        } else {
            fprintf(stderr, missing ? "crosstag run: option %s needs a value\n"
                                    : "crosstag run: unknown option '%s'\n", a);
            fputs(SHORT_USAGE, stderr);
            return 2;
        }
        if (v && !*v) {
            fprintf(stderr, "crosstag run: option %s needs a non-empty value\n", a);
            fputs(SHORT_USAGE, stderr);
            return 2;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "crosstag run: no command given\n");
        fputs(SHORT_USAGE, stderr);
        return 2;
    }
    o->cmd = argv + i;
    return 0;
nomem:
    fprintf(stderr, "crosstag: out of memory\n");
    return 2;
}

static char **valgrind_argv(const char *valgrind, const struct run_opts *o, char *const *ours)
{
    size_t ncmd = 0;
    while (o->cmd[ncmd])
        ncmd++;
    char **v = calloc(14 + (size_t)o->ntool_args + ncmd + 1, sizeof *v);
    if (!v)
        return NULL;
    size_t k = 0;
    v[k++] = (char *)valgrind;
    v[k++] = "--tool=crosstag";
    v[k++] = "-q";
    v[k++] = "--vgdb=no";
    v[k++] = "--trace-children=yes";
    /* No superblock chasing: instrumented translations are large, and a
     * chased block translates the callee again inside each caller.  Measured:
     * a vsftpd session's start (all translation) 0.24 -> 0.21 s, gzip and
     * base64 4% faster, sha256sum and sort unchanged. */
    v[k++] = "--vex-guest-chase=no";
    for (int i = 0; ours[i]; i++)
        v[k++] = ours[i];
    for (int i = 0; i < o->ntool_args; i++)
        v[k++] = o->tool_args[i];
    if (o->no_addr_taint)
        v[k++] = "--ct-addr-taint=no";
    if (o->no_elastic)
        v[k++] = "--ct-elastic=no";
    if (o->no_warm_fork)
        v[k++] = "--ct-warm-fork=no";
    v[k++] = "--";
    for (size_t i = 0; i < ncmd; i++)
        v[k++] = o->cmd[i];
    return v;
}

/* Forks and execs valgrind; reports an exec failure itself (through a
 * close-on-exec pipe) so the caller can tell it from the program's own
 * status.  Returns the child pid or -1. */
static pid_t spawn(char **argv)
{
    int ep[2];
    if (pipe2(ep, O_CLOEXEC) != 0) {
        fprintf(stderr, "crosstag: pipe: %s\n", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "crosstag: fork: %s\n", strerror(errno));
        close(ep[0]);
        close(ep[1]);
        return -1;
    }
    if (pid == 0) {
        sigfwd_child();
        execv(argv[0], argv);
        int e = errno;
        ssize_t r = write(ep[1], &e, sizeof e);
        (void)r;
        _exit(127);
    }
    sigfwd_start(pid);
    close(ep[1]);
    int e = 0;
    ssize_t r;
    do
        r = read(ep[0], &e, sizeof e);
    while (r < 0 && errno == EINTR);
    close(ep[0]);
    if (r == (ssize_t)sizeof e) {
        fprintf(stderr, "crosstag: cannot run %s: %s\n", argv[0], strerror(e));
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
}

static int exit_code(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return 1;
}

/* Everything that can be checked before the program starts. */
static int find_tools(const struct run_opts *o, char *valgrind, size_t vn, char *lib, size_t ln)
{
    char prog[4096];
    int e = ct_find_program(o->cmd[0], prog, sizeof prog);
    if (e == EACCES) {
        fprintf(stderr, "crosstag: %s: permission denied\n", o->cmd[0]);
        return 126;
    }
    if (e) {
        fprintf(stderr, "crosstag: %s: command not found\n", o->cmd[0]);
        return 127;
    }
    const char *vg = getenv("CROSSTAG_VALGRIND");
    if (vg && *vg) {
        if (ct_find_program(vg, valgrind, vn) != 0) {
            fprintf(stderr, "crosstag: CROSSTAG_VALGRIND=%s is not a runnable program\n", vg);
            return 1;
        }
    } else if (ct_find_program("valgrind", valgrind, vn) != 0) {
        fprintf(stderr, "crosstag: valgrind not found on PATH (install valgrind, or set CROSSTAG_VALGRIND)\n");
        return 1;
    }
    if (ct_lib_dir(lib, ln) != 0) {
        fprintf(stderr, "crosstag: cannot locate the tool folder; set CROSSTAG_LIB\n");
        return 1;
    }
    char tool[4200];
    snprintf(tool, sizeof tool, "%s/%s", lib, TOOL_FILE);
    if (!(vg && *vg) && access(tool, R_OK) != 0) {
        fprintf(stderr, "crosstag: the tracker %s is missing (build it with make, or set CROSSTAG_LIB)\n", tool);
        return 1;
    }
    return 0;
}

static int host_name(const struct run_opts *o, char *buf, size_t n)
{
    const char *h = o->host;
    if (!h || !*h)
        h = getenv("CROSSTAG_HOST");
    if (h && *h) {
        snprintf(buf, n, "%s", h);
        return 0;
    }
    if (gethostname(buf, n) != 0) {
        fprintf(stderr, "crosstag: cannot get the host name: %s; use --host\n", strerror(errno));
        return -1;
    }
    buf[n - 1] = '\0';
    return 0;
}

static void free_opts(struct run_opts *o)
{
    for (int i = 0; i < o->ntool_args; i++)
        free(o->tool_args[i]);
    free(o->tool_args);
}

int cmd_run(int argc, char **argv)
{
    struct run_opts o = { 0 };
    int rc = parse(argc, argv, &o);
    if (rc) {
        free_opts(&o);
        return rc == 1 ? 0 : 2;
    }
    char dbpath[4096], valgrind[4096], lib[4096], host[256], err[600];
    char sockarg[200], runarg[64], hostarg[300], polarg[64], maskarg[64], polpath[4096];
    struct agent_paths ap;
    struct store *st = NULL;
    char **vargv = NULL;
    int ctl = -1;
    rc = 1;

    if (o.db)
        snprintf(dbpath, sizeof dbpath, "%s", o.db);
    else if (ct_default_db(dbpath, sizeof dbpath) != 0)
        goto out;
    if ((rc = find_tools(&o, valgrind, sizeof valgrind, lib, sizeof lib)) != 0)
        goto out;
    rc = 1;
    if (host_name(&o, host, sizeof host) != 0)
        goto out;
    if (strlen(host) > 255) {
        fprintf(stderr, "crosstag: host name longer than 255 bytes\n");
        rc = 2;
        goto out;
    }

    /* The database is checked here, so a bad one is reported before the
     * program starts, not in the agent's log. */
    st = store_open(dbpath, STORE_WRITE, err, sizeof err);
    if (!st) {
        fprintf(stderr, "crosstag: cannot open database %s: %s\n", dbpath, err);
        goto out;
    }
    int64_t hid = store_host(st, host);
    if (hid < 0) {
        fprintf(stderr, "crosstag: cannot write database %s: %s\n", dbpath, store_errmsg(st));
        goto out;
    }
    store_close(st);
    st = NULL;
    if (agent_paths(dbpath, &ap) != 0)
        goto out;
    /* The policy is checked here too: a bad file is reported before
     * anything starts.  Trackers learn only that a policy is on and what
     * to do when the agent cannot answer (its strictest action). */
    if (o.policy) {
        struct policy pol;
        unsigned char mask;
        if (policy_load(o.policy, &pol, err, sizeof err) != 0) {
            fprintf(stderr, "crosstag: bad policy: %s\n", err);
            rc = 2;
            goto out;
        }
        snprintf(polpath, sizeof polpath, "%s", pol.path);
        int act = policy_strictest(&pol, &mask);
        snprintf(polarg, sizeof polarg, "--ct-policy=%s", policy_action_name(act));
        snprintf(maskarg, sizeof maskarg, "--ct-policy-mask=%u", (unsigned)mask);
        policy_free(&pol);
    }

    /* A random run id: the agent tells this run's trackers from others'. */
    uint64_t run = 0;
    while (run == 0) {
        if (getrandom(&run, sizeof run, 0) != (ssize_t)sizeof run)
            run = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);
        run &= INT64_MAX;       /* the tool's option parser takes signed numbers */
    }
    struct agent_hello ah;
    if ((ctl = agent_connect(&ap, host, run, AGENT_RUN_IDLE, o.quiet, &ah)) < 0)
        goto out;
    /* An agent with a policy checks every process it tracks, also those of
     * runs that name none. */
    int enforce = o.policy != NULL;
    if (!o.policy && ah.pol_action > 0) {
        enforce = 1;
        snprintf(polarg, sizeof polarg, "--ct-policy=%s", policy_action_name(ah.pol_action));
        snprintf(maskarg, sizeof maskarg, "--ct-policy-mask=%u", ah.pol_mask & 0xffu);
    }
    if (o.policy && agent_send_policy(ctl, polpath, 0) != 0)
        goto out;

    snprintf(sockarg, sizeof sockarg, "--ct-socket=%s", ap.sock);
    snprintf(runarg, sizeof runarg, "--ct-run=%llu", (unsigned long long)run);
    snprintf(hostarg, sizeof hostarg, "--ct-host=%s", host);
    char *ours[] = { sockarg, runarg, hostarg, enforce ? polarg : NULL, maskarg, NULL };
    if (!(vargv = valgrind_argv(valgrind, &o, ours))) {
        fprintf(stderr, "crosstag: out of memory\n");
        goto out;
    }
    if (setenv("VALGRIND_LIB", lib, 1) != 0 || sigfwd_setup() != 0) {
        fprintf(stderr, "crosstag: cannot prepare the run: %s\n", strerror(errno));
        goto out;
    }
    /* Orphaned tracked processes become our children, so we know when the
     * last one is gone (and none is left between fork and connect). */
    prctl(PR_SET_CHILD_SUBREAPER, 1);

    pid_t child = spawn(vargv);
    if (child < 0) {
        rc = 127;
        goto out;
    }
    struct runwait_cfg cfg = { .paths = &ap, .host = host, .run = run, .ctl = ctl,
                               .quiet = o.quiet, .child = child,
                               .policy = o.policy ? polpath : NULL };
    ctl = -1;                   /* run_wait closes it */
    int status = run_wait(&cfg);
    rc = status < 0 ? 1 : exit_code(status);

out:
    if (st)
        store_close(st);
    if (ctl >= 0)
        close(ctl);
    free(vargv);
    free_opts(&o);
    return rc;
}
