/* agent_client.c — finding, starting and greeting a database's agent
 * (see agent.h).  Used by `crosstag run` and `crosstag agent stop|status`. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "ct_wire.h"

#define START_WAIT_MS 15000

static uint64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

int agent_start(const struct agent_paths *p, const char *host, int idle_exit_s)
{
    char self[4096], idle[32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    snprintf(idle, sizeof idle, "%d", idle_exit_s);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* Twice forked and in its own session: the agent outlives the run
         * and is nobody's child but init's. */
        setsid();
        if (fork() != 0)
            _exit(0);
        int nul = open("/dev/null", O_RDWR);
        int log = open(p->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (nul >= 0)
            dup2(nul, 0);
        if (log >= 0) {
            dup2(log, 1);
            dup2(log, 2);
        }
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        execl(self, "crosstagd", "--db", p->db, "--host", host, "--idle-exit", idle, (char *)NULL);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return 0;
}

/* One attempt: connect, CONTROL, and the agent's answer. */
static int try_connect(const struct agent_paths *p, uint64_t run, struct agent_hello *hello)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", p->sock);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct ct_msg_control c = { .h = { CT_MSG_CONTROL, sizeof c }, .magic = CT_WIRE_MAGIC,
                                .version = CT_WIRE_VERSION, .run = run };
    struct ct_msg_synced s;
    struct pollfd pf = { .fd = fd, .events = POLLIN };
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        send(fd, &c, sizeof c, MSG_NOSIGNAL) != (ssize_t)sizeof c ||
        poll(&pf, 1, 5000) != 1 || recv(fd, &s, sizeof s, MSG_WAITALL) != (ssize_t)sizeof s ||
        s.h.type != CT_MSG_SYNCED) {
        close(fd);
        return -1;
    }
    hello->pid = (pid_t)s.agent_pid;
    hello->pol_action = (int)s.pol_action;
    hello->pol_mask = s.pol_mask;
    return fd;
}

static void show_log_tail(const char *log)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return;
    char lines[5][512];
    int n = 0;
    while (fgets(lines[n % 5], sizeof lines[0], f))
        n++;
    fclose(f);
    for (int i = n > 5 ? n - 5 : 0; i < n; i++)
        fprintf(stderr, "    %s", lines[i % 5]);
}

int agent_connect(const struct agent_paths *p, const char *host, uint64_t run, int start_idle,
                  int quiet, struct agent_hello *hello)
{
    uint64_t t0 = now_ms(), last_start = 0;
    int started = 0;
    for (;;) {
        int fd = try_connect(p, run, hello);
        if (fd >= 0) {
            if (started && !quiet)
                fprintf(stderr, "crosstag: started the agent (crosstagd, pid %d) for %s; "
                                "log: %s\n", (int)hello->pid, p->db, p->log);
            return fd;
        }
        if (start_idle < 0) {
            fprintf(stderr, "crosstag: no agent serves %s\n", p->db);
            return -1;
        }
        uint64_t now = now_ms();
        if (now - t0 > START_WAIT_MS) {
            fprintf(stderr, "crosstag: the agent for %s did not start; its log %s ends with:\n",
                    p->db, p->log);
            show_log_tail(p->log);
            return -1;
        }
        /* Start one, and again now and then: a starting agent may have
         * found the lock still held by one on its way out. */
        if (!started || now - last_start > 3000) {
            if (agent_start(p, host, start_idle) != 0) {
                fprintf(stderr, "crosstag: cannot start the agent: %s\n", strerror(errno));
                return -1;
            }
            started = 1;
            last_start = now;
        }
        usleep(20 * 1000);
    }
}

int agent_send_policy(int fd, const char *path, int replace)
{
    size_t pl = strlen(path);
    unsigned char msg[sizeof(struct ct_msg_policy) + 4096 + 8];
    if (pl == 0 || pl >= 4096)
        return -1;
    struct ct_msg_policy m = { .h = { CT_MSG_POLICY, (uint32_t)CT_MSG_ALIGN(sizeof m + pl) },
                               .path_len = (uint32_t)pl,
                               .flags = replace ? CT_POLICYF_REPLACE : 0 };
    memset(msg, 0, sizeof msg);
    memcpy(msg, &m, sizeof m);
    memcpy(msg + sizeof m, path, pl);
    if (send(fd, msg, m.h.len, MSG_NOSIGNAL) != (ssize_t)m.h.len) {
        fprintf(stderr, "crosstag: the agent went away\n");
        return -1;
    }
    /* Its answer is a NOTE: level 0 loaded, 2 refused. */
    for (;;) {
        struct ct_msg_note n;
        unsigned char body[CT_WIRE_MAXMSG];
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        if (poll(&pf, 1, 10000) != 1 || recv(fd, &n.h, sizeof n.h, MSG_WAITALL) != (ssize_t)sizeof n.h ||
            n.h.len < sizeof n.h || n.h.len > sizeof body ||
            recv(fd, body, n.h.len - sizeof n.h, MSG_WAITALL) != (ssize_t)(n.h.len - sizeof n.h)) {
            fprintf(stderr, "crosstag: the agent did not answer the policy request\n");
            return -1;
        }
        if (n.h.type != CT_MSG_NOTE || n.h.len < sizeof n)
            continue;
        memcpy((unsigned char *)&n + sizeof n.h, body, sizeof n - sizeof n.h);
        const char *text = (const char *)body + (sizeof n - sizeof n.h);
        int tl = (int)(n.note_len < n.h.len - sizeof n ? n.note_len : n.h.len - sizeof n);
        if (n.level >= 2) {
            fprintf(stderr, "crosstag: the agent refused the policy: %.*s\n", tl, text);
            return -1;
        }
        return 0;
    }
}
