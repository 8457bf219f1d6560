/* policy_agent.h — the agent's answer to a CLASSQ: which bytes of a call
 * are protected (their original sources, by the backward query, match a
 * class), unless the destination is trusted. */
#ifndef CT_POLICY_AGENT_H
#define CT_POLICY_AGENT_H

#include "ct_wire.h"
#include "handlemap.h"
#include "policy.h"
#include "store.h"

struct pa_alert {
    const struct pol_class *cls;
    int action;
    int64_t src_obj;           /* the original source, 0 unknown */
    uint64_t src_start, src_end, bytes;
    const char *note;          /* static text or NULL */
};

struct pa_decision {
    char dest[300];
    int trusted;
    int pending;               /* bytes trace to a pipe no records cover yet: ask again soon */
    struct ct_classr_piece *pieces; size_t npieces;
    struct pa_alert *alerts;        size_t nalerts;
};

/* 0, or -1 out of memory.  Fails closed: a run whose source or query the
 * agent cannot resolve gets the strictest action, with a note. */
/* peer_tracked: a Unix socket's peer is a tracked process (trusted). */
int pa_decide(struct store *st, const struct policy *p, const struct handlemap *hm,
              const struct ct_msg_classq *q, const unsigned char *dest,
              const struct ct_classq_run *runs, int peer_tracked, struct pa_decision *d);
void pa_free(struct pa_decision *d);

#endif
