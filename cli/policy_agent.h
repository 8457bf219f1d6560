/* policy_agent.h — the agent's answer to a CLASSQ: which bytes of a call
 * are protected (their original sources, by the backward query, match a
 * class), unless the destination is trusted. */
#ifndef CT_POLICY_AGENT_H
#define CT_POLICY_AGENT_H

#include "ct_wire.h"
#include "handlemap.h"
#include "peer_msg.h"
#include "policy.h"
#include "store.h"

struct pa_alert {
    const struct pol_class *cls;
    int action;
    int64_t src_obj;           /* the original source, 0 unknown */
    uint64_t src_start, src_end, bytes;
    const char *note;          /* NULL, or text that outlives the decision */
};

struct pa_decision {
    char dest[300];
    int trusted;
    int pending;               /* bytes trace to a pipe no records cover yet: ask again soon */
    int nobuf;                 /* sendfile/splice into a socket: mask means block */
    struct ct_classr_piece *pieces; size_t npieces;
    struct pa_alert *alerts;        size_t nalerts;
    /* A trusted host elsewhere (remote): the protected pieces whose labels
     * must reach its agent before the send goes on, with their classes. */
    int remote;
    int64_t stream;            /* the stream's object id */
    struct peer_piece *carry;  const struct pol_class **carry_cls;  size_t ncarry;
};

/* 0, or -1 out of memory.  Fails closed: a run whose source or query the
 * agent cannot resolve gets the strictest action, with a note. */
/* peer_tracked: a Unix socket's peer is a tracked process (trusted). */
int pa_decide(struct store *st, const struct policy *p, const struct handlemap *hm,
              const struct ct_msg_classq *q, const unsigned char *dest,
              const struct ct_classq_run *runs, int peer_tracked, struct pa_decision *d);
/* The carried pieces could not reach the receiver's agent: they get their
 * class's action after all, with this note on their alerts.  0, -1. */
int pa_carry_failed(struct pa_decision *d, const char *note);
void pa_free(struct pa_decision *d);

#endif
