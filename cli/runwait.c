/* runwait.c — see runwait.h.  crosstag run is the subreaper of its tracked
 * processes, so it knows when the last one is gone (none is left between
 * fork and its tracker's connect). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "ct_wire.h"
#include "runwait.h"
#include "sigfwd.h"

struct rw {
    const struct runwait_cfg *cfg;
    int ctl;
    unsigned char buf[8192];
    size_t len;
    int child_done, child_status, no_children;
    unsigned sigs_at_child_done;
    int synced;
    struct ct_msg_synced result;
};

/* Tracker notes are shown with control bytes escaped: they reach the
 * user's terminal and must not be able to drive it. */
static void print_note(const unsigned char *t, size_t n)
{
    while (n && (t[n - 1] == '\n' || t[n - 1] == '\0'))
        n--;
    fputs("crosstag: ", stderr);
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '\t' || (t[i] >= 0x20 && t[i] != 0x7f))
            fputc(t[i], stderr);
        else if (t[i] == '\n')
            fputs("\n          ", stderr);
        else
            fprintf(stderr, "\\x%02x", t[i]);
    }
    fputc('\n', stderr);
}

static void handle(struct rw *w, const unsigned char *m, uint32_t len)
{
    struct ct_msg_hdr h;
    memcpy(&h, m, sizeof h);
    if (h.type == CT_MSG_NOTE && len >= sizeof(struct ct_msg_note)) {
        struct ct_msg_note n;
        memcpy(&n, m, sizeof n);
        if (n.note_len <= len - sizeof n && (!w->cfg->quiet || n.level >= 2))
            print_note(m + sizeof n, n.note_len);
    } else if (h.type == CT_MSG_SYNCED && len >= sizeof(struct ct_msg_synced)) {
        struct ct_msg_synced s;
        memcpy(&s, m, sizeof s);
        if (s.run == w->cfg->run) {
            w->synced = 1;
            w->result = s;
        }
    }
}

/* Reads what the agent sent; 0 at EOF (the agent died). */
static int read_ctl(struct rw *w)
{
    ssize_t n = recv(w->ctl, w->buf + w->len, sizeof w->buf - w->len, MSG_DONTWAIT);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    if (n == 0)
        return 0;
    w->len += (size_t)n;
    size_t off = 0;
    while (w->len - off >= sizeof(struct ct_msg_hdr)) {
        struct ct_msg_hdr h;
        memcpy(&h, w->buf + off, sizeof h);
        if (h.len < sizeof h || h.len > sizeof w->buf)
            return 0;           /* garbage: treat like a dead agent */
        if (w->len - off < h.len)
            break;
        handle(w, w->buf + off, h.len);
        off += h.len;
    }
    memmove(w->buf, w->buf + off, w->len - off);
    w->len -= off;
    return 1;
}

static int send_sync(struct rw *w)
{
    struct ct_msg_sync s = { .h = { CT_MSG_SYNC, sizeof s }, .run = w->cfg->run };
    return send(w->ctl, &s, sizeof s, MSG_NOSIGNAL) == (ssize_t)sizeof s ? 0 : -1;
}

/* The agent died: start another.  Not as our subreaper child, or we would
 * wait for it as for a tracked process. */
static int reconnect(struct rw *w)
{
    close(w->ctl);
    w->ctl = -1;
    w->len = 0;
    fprintf(stderr, "crosstag: the agent went away; starting a new one\n");
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    struct agent_hello ah;
    w->ctl = agent_connect(w->cfg->paths, w->cfg->host, w->cfg->run, AGENT_RUN_IDLE, 1, &ah);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (w->ctl < 0)
        return -1;
    /* Until it has the policy it answers no question: trackers fail closed. */
    if (w->cfg->policy && agent_send_policy(w->ctl, w->cfg->policy, 0) != 0)
        return -1;
    fprintf(stderr, "crosstag: agent pid %d carries on\n", (int)ah.pid);
    return 0;
}

static void reap(struct rw *w)
{
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p > 0) {
            if (p == w->cfg->child && !w->child_done) {
                w->child_done = 1;
                w->child_status = st;
                w->sigs_at_child_done = sigfwd_count();
            }
            continue;
        }
        if (p < 0 && errno == EINTR)
            continue;
        w->no_children = (p < 0 && errno == ECHILD);
        return;
    }
}

int run_wait(const struct runwait_cfg *cfg)
{
    struct rw w = { .cfg = cfg, .ctl = cfg->ctl };
    int sync_sent = 0;
    for (;;) {
        struct pollfd pf[2] = { { .fd = sigfwd_wake_fd(), .events = POLLIN },
                                { .fd = w.ctl, .events = POLLIN } };
        int n = poll(pf, 2, w.ctl < 0 ? 200 : -1);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "crosstag: poll: %s\n", strerror(errno));
            break;
        }
        if (n > 0 && pf[0].revents)
            sigfwd_drain();
        reap(&w);
        if (w.ctl >= 0 && n > 0 && pf[1].revents && !read_ctl(&w)) {
            if (reconnect(&w) != 0)
                break;
            sync_sent = 0;
        }
        if (w.synced)
            break;
        if (w.child_done && sigfwd_count() > w.sigs_at_child_done) {
            fprintf(stderr, "crosstag: interrupted; not waiting for the agent to store the "
                            "rest of this run\n");
            break;
        }
        if (w.child_done && w.no_children && !sync_sent && w.ctl >= 0) {
            if (send_sync(&w) != 0) {
                if (reconnect(&w) != 0)
                    break;
                continue;
            }
            sync_sent = 1;
        }
    }
    if (w.synced && w.result.unstored)
        fprintf(stderr, "crosstag: %llu records could not be stored\n",
                (unsigned long long)w.result.unstored);
    if (w.ctl >= 0)
        close(w.ctl);
    if (!w.child_done) {
        int st;
        if (waitpid(cfg->child, &st, 0) == cfg->child)
            return st;
        return -1;
    }
    return w.child_status;
}
