/* agent.h — crosstagd, the per-host agent: one per database.  It owns the
 * database's write side: every tracked process on the host (started by any
 * `crosstag run` for that database) streams its records to the agent's Unix
 * socket, and the agent stores them in batches, acknowledging what is
 * committed so a tracker can resend the rest to a restarted agent.
 * `crosstag run` uses a running agent or starts one (agent_client.c). */
#ifndef CT_AGENT_H
#define CT_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where the agent of database `db` lives: a private folder
 * ($XDG_RUNTIME_DIR/crosstag, else /tmp/crosstag-UID, mode 0700, ours)
 * holding agent-HASH.sock / .lock / .log, HASH from the database's absolute
 * path.  Creates the folder.  0, or -1 with a message on stderr. */
struct agent_paths {
    char db[4096];             /* absolute */
    char sock[108], lock[200], log[200];
};
int agent_paths(const char *db, struct agent_paths *p);

struct agent_cfg {
    const struct agent_paths *paths;
    const char *host;          /* for trackers that send no RUN */
    int idle_exit_s;           /* exit after this long without connections; 0 never */
    const char *policy;        /* leak-prevention policy file, or NULL */
};
/* Serves until stopped (SIGTERM/SIGINT, STOP, idleness).  Exit status. */
int agent_serve(const struct agent_cfg *cfg);

/* ---- client side (crosstag run, crosstag agent stop/status) ---- */
/* Agents that crosstag run starts exit after this many idle seconds. */
#define AGENT_RUN_IDLE 30

/* What the agent says when a control client connects. */
struct agent_hello {
    pid_t pid;
    int pol_action;            /* its policy's strictest action, 0 none */
    unsigned pol_mask;
};
/* Connects as a control client for `run`, starting an agent when none
 * answers and start_idle >= 0 (it exits after start_idle s without
 * connections; 0 never), saying so unless quiet.  Returns the fd, or -1 with a
 * message on stderr; *hello gets the agent's greeting. */
int agent_connect(const struct agent_paths *p, const char *host, uint64_t run, int start_idle,
                  int quiet, struct agent_hello *hello);
/* Starts `crosstag agent` in the background for p.  0 or -1. */
int agent_start(const struct agent_paths *p, const char *host, int idle_exit_s);
/* Asks the agent on control connection fd to load policy file `path`
 * (absolute).  0, or -1 with the agent's reason on stderr. */
int agent_send_policy(int fd, const char *path, int replace);

#endif
