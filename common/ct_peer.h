/* ct_peer.h — agent to agent: protected labels travelling with the data.
 *
 * When a tracked process sends protected bytes to a trusted host, its agent
 * first tells that host's agent which bytes of the stream are protected and
 * where they came from (PUSH), and waits for the answer (PUSHED) before the
 * send goes on.  The receiving agent stores them as flow rows of the stream
 * (the sender's host, object and process), exactly the rows `db merge`
 * would bring: its backward queries — and so its policy decisions — see the
 * original source, across processes, files and restarts, before the
 * receiving program can read a byte.  The payload and the TCP/IP headers
 * are untouched; hosts without an agent never see any of this.
 *
 * Transport: TCP to the destination host's address, port [network]
 * agent_port of the policy (7420).  Messages use ct_msg_hdr framing and the
 * rules of ct_wire.h (little-endian, len counts the whole message and is a
 * multiple of 8, strings are raw bytes padded to 8).
 */
#ifndef CT_PEER_H
#define CT_PEER_H

#include "ct_wire.h"

#define CT_PEER_MAGIC   0x31504354u   /* "CTP1" */
#define CT_PEER_VERSION 1u
#define CT_PEER_MAXMSG  (4u * 1024u * 1024u)

enum ct_peer_type {
    CT_PEER_PUSH   = 101,   /* sender's agent -> receiver's agent */
    CT_PEER_PUSHED = 102,   /* the answer: stored (status 0) or not */
};

/* Then: host name (host_len), stream object name (stream_len), the sending
 * process's argv (argv_len, NUL-separated), each padded to 8; then npieces
 * pieces, each a struct ct_peer_piece followed by its source's host name
 * and object name, padded to 8 together. */
struct ct_peer_push {
    struct ct_msg_hdr h;
    uint32_t magic;         /* CT_PEER_MAGIC */
    uint32_t version;       /* CT_PEER_VERSION */
    uint64_t id;            /* echoed in PUSHED */
    uint64_t time_ns;       /* when the send was decided: the rows' time */
    int32_t  pid;           /* the sending process image */
    uint32_t exec_seq;
    uint64_t start_ticks;
    uint32_t stream_kind;   /* enum ct_obj_kind of the stream object */
    uint32_t npieces;
    uint32_t host_len, stream_len, argv_len, pad;
};

struct ct_peer_piece {
    uint64_t sink_start, sink_end;   /* stream offsets */
    uint64_t src_start, src_end;     /* the original source's offsets */
    uint64_t src_dev, src_ino;
    uint32_t src_kind;               /* enum ct_obj_kind */
    uint32_t mode;                   /* enum ct_flow_mode */
    uint32_t host_len, name_len;
};

struct ct_peer_pushed {
    struct ct_msg_hdr h;
    uint64_t id;
    int32_t  status;        /* 0 stored; else refused (the text follows, text_len) */
    uint32_t text_len;
};

#endif
