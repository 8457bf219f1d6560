/* ct_wire.h — the record stream from the tracker (a Valgrind tool, no libc)
 * to the per-host agent crosstagd (cli/agent_*.c), which stores them.
 *
 * One Unix stream connection per tracked process image: the tracker
 * reconnects after fork and a new valgrind connects after exec.  The stream
 * is a sequence of messages, each starting with ct_msg_hdr; len counts the
 * whole message (header included) and is a multiple of 8.  Integers are
 * little-endian (host order on amd64).  Variable-length byte strings (paths,
 * argv) follow the fixed part; they are raw bytes, not NUL-terminated, and
 * may hold any byte but NUL (argv is NUL-separated).
 *
 * Offsets and lengths are 64-bit everywhere.  New message types may be added
 * (replay will need syscall results); a reader skips types it does not know,
 * so only CT_WIRE_VERSION bumps break compatibility.
 *
 * This header must compile both inside the tool (no libc: the tool defines
 * CT_IN_TOOL and maps the fixed-width types itself) and in normal C11 code.
 */
#ifndef CT_WIRE_H
#define CT_WIRE_H

#ifndef CT_IN_TOOL
#include <stdint.h>
#endif

#define CT_WIRE_MAGIC   0x31575443u   /* "CTW1" */
#define CT_WIRE_VERSION 3u   /* 2: CLASSQ names the stream (sink, sink_off); 3: RING */
#define CT_WIRE_MAXMSG  (64u * 1024u) /* no message is longer */

enum ct_msg_type {
    CT_MSG_HELLO  = 1, /* first message of a tracker connection (after RUN) */
    CT_MSG_OBJECT = 2, /* binds a connection-local handle to an object */
    CT_MSG_FLOW   = 3, /* sink range <- source range */
    CT_MSG_EXIT   = 4, /* last message: the process image ends */
    CT_MSG_NOTE   = 5, /* a warning the user should see (text) */
    CT_MSG_RUN    = 6, /* tracker -> agent, before HELLO: which run, which host */
    CT_MSG_ACK    = 7, /* agent -> tracker: how much of the stream is stored */
    CT_MSG_CONTROL= 8, /* first message of a control connection (crosstag run) */
    CT_MSG_SYNC   = 9, /* control -> agent: tell me when a run's records are stored */
    CT_MSG_SYNCED = 10,/* agent -> control: they are (with counts) */
    CT_MSG_STOP   = 11,/* control -> agent: finish what is pending and exit */
    CT_MSG_OBJSTATE = 12, /* tracker: the state this process left a file in */
    CT_MSG_CLASSQ = 13,/* tracker -> agent: which of these bytes are protected? */
    CT_MSG_CLASSR = 14,/* agent -> tracker: the answer (actions per byte range) */
    CT_MSG_POLICY = 15,/* control -> agent: load this policy file (path follows) */
    CT_MSG_TCPIDQ = 16,/* tracker -> agent: the ids of this TCP connection? */
    CT_MSG_TCPIDR = 17,/* agent -> tracker: the answer */
    CT_MSG_RING   = 18,/* tracker -> agent: the stream goes on in a shared ring */
};

struct ct_msg_hdr {
    uint32_t type;
    uint32_t len;
};

/* HELLO: one process image.  (pid, start_ticks) identifies a process on a
 * host for the whole boot; exec_seq counts execs of that pid seen by the
 * tracker (0 for the image started by fork or by crosstag run itself,
 * incremented by one after every execve). */
struct ct_msg_hello {
    struct ct_msg_hdr h;
    uint32_t magic;        /* CT_WIRE_MAGIC */
    uint32_t version;      /* CT_WIRE_VERSION */
    int32_t  pid;
    int32_t  ppid;
    uint32_t uid;
    uint32_t exec_seq;
    uint64_t start_ticks;  /* field 22 of /proc/PID/stat */
    uint64_t time_ns;      /* CLOCK_REALTIME when the image started */
    uint32_t exe_len;      /* bytes of the executable path that follow */
    uint32_t argv_len;     /* then bytes of argv, each arg NUL-terminated */
};

enum ct_obj_kind {
    CT_OBJ_FILE   = 1,  /* regular file: dev, ino valid; name "file:/abs/path" */
    CT_OBJ_PIPE   = 2,  /* pipe or FIFO: ino is the pipe inode; "pipe:INO" or "fifo:/path" */
    CT_OBJ_SOCKET = 3,  /* socket: ino is the socket inode; "socket:INO" (later tcp:/udp:/unix:) */
    CT_OBJ_TTY    = 4,  /* terminal: "tty:/dev/pts/N" */
    CT_OBJ_DEVICE = 5,  /* other character/block device: "dev:/dev/null" */
    CT_OBJ_OTHER  = 6,  /* eventfd, anon inode...: "anon:..." */
};

/* Object flags. */
#define CT_OBJF_NEWVER  0x1u  /* this process started a new version of the file
                                 (created it, or opened it with O_TRUNC /
                                 truncated it to 0): earlier content is gone */
#define CT_OBJF_SOURCE  0x2u  /* its bytes are labelled when read */

struct ct_msg_object {
    struct ct_msg_hdr h;
    uint32_t handle;       /* connection-local, >= 1, never reused on a connection */
    uint32_t kind;         /* enum ct_obj_kind */
    uint64_t dev;
    uint64_t ino;
    int64_t  mtime_ns;     /* st_mtime when declared (files) */
    uint64_t size;         /* st_size when declared (files) */
    uint64_t time_ns;      /* when declared */
    uint32_t flags;        /* CT_OBJF_* */
    uint32_t name_len;     /* then name bytes: "file:/abs/path", "pipe:123"... */
};

enum ct_flow_mode {
    CT_MODE_ALIGNED = 0,   /* sink_len == src_len; sink byte i from source byte i */
    CT_MODE_ALL     = 1,   /* every sink byte depends on every source byte */
};

/* FLOW: bytes [sink_off, sink_off+sink_len) of object `sink` were written by
 * this process at time_ns, computed from bytes [src_off, src_off+src_len) of
 * object `src`, which the process read at src_time_ns.
 *
 * A periodic flow (reps > 1) stands for reps flows: repetition k (0-based)
 * is sink [sink_off + k*sink_step, +sink_len) <- src [src_off + k*src_step,
 * +src_len), same mode.  Encoders produce such patterns (base64: every 4
 * output bytes from 3 input bytes); one record keeps them exact and small.
 * reps == 1 (steps 0) is a plain flow. */
struct ct_msg_flow {
    struct ct_msg_hdr h;
    uint32_t sink;         /* object handle */
    uint32_t src;          /* object handle */
    uint64_t sink_off;
    uint64_t sink_len;
    uint64_t src_off;
    uint64_t src_len;
    uint64_t time_ns;      /* when the sink syscall completed */
    uint64_t src_time_ns;  /* when the source bytes were read */
    uint32_t mode;         /* enum ct_flow_mode */
    uint32_t sysno;        /* syscall number of the sink (amd64) */
    uint64_t reps;         /* >= 1 */
    uint64_t sink_step;    /* >= sink_len: repetitions never overlap in the sink */
    uint64_t src_step;
};

/* EXIT: status is the exit code, or 128+signal when killed by a signal the
 * tracker saw; lost counts flow records the tracker could not send. */
struct ct_msg_exit {
    struct ct_msg_hdr h;
    int32_t  status;
    uint32_t pad;
    uint64_t time_ns;
    uint64_t lost;
};

/* NOTE: free text (a warning), note_len bytes follow. */
struct ct_msg_note {
    struct ct_msg_hdr h;
    uint32_t level;        /* 0 info, 1 warning, 2 error */
    uint32_t note_len;
};

/* ---- the agent (crosstagd) protocol ----
 * Trackers and `crosstag run` talk to one agent per database over its Unix
 * socket.  A tracker connection is [RUN] HELLO ...; a control connection
 * (crosstag run, crosstag agent stop/status) is CONTROL then requests.
 * The agent writes back on the same socket: ACKs to trackers, NOTEs and
 * SYNCED to control connections. */

/* RUN: sent first by a tracker that crosstag run started.  The host name
 * follows (host_len bytes).  CT_RUNF_RESUME: this process image already
 * said HELLO to an agent (which died); continue its process row. */
#define CT_RUNF_RESUME 0x1u
struct ct_msg_run {
    struct ct_msg_hdr h;
    uint64_t run;          /* run id, chosen by crosstag run; 0: none */
    uint32_t flags;        /* CT_RUNF_* */
    uint32_t host_len;
};

/* ACK: the first `bytes` bytes this connection sent are committed to the
 * store (always a message boundary).  Cumulative; the tracker keeps what
 * is not acknowledged and sends it again to a restarted agent. */
struct ct_msg_ack {
    struct ct_msg_hdr h;
    uint64_t bytes;
};

/* CONTROL: opens a control connection for run `run` (0: none).  While a
 * control connection is open the agent does not exit for idleness; the
 * warnings of the run's trackers are sent to it as NOTEs. */
struct ct_msg_control {
    struct ct_msg_hdr h;
    uint32_t magic;        /* CT_WIRE_MAGIC */
    uint32_t version;      /* CT_WIRE_VERSION */
    uint64_t run;
};

/* SYNC: answered with SYNCED once every tracker connection of the run has
 * ended and its records are committed.  STOP (no body): the agent stores
 * what it has, answers SYNCED (run 0) and exits. */
struct ct_msg_sync {
    struct ct_msg_hdr h;
    uint64_t run;
};
struct ct_msg_synced {
    struct ct_msg_hdr h;
    uint64_t run;
    uint64_t conns;        /* tracker connections of the run seen */
    uint64_t lost;         /* flow records its trackers reported lost */
    uint64_t unstored;     /* records of the run the store refused */
    int64_t  agent_pid;
    uint32_t pol_action;   /* the agent's policy: its strictest action (enum
                              ct_action; 0 no policy) and that class's mask byte,
                              so a run without --policy is enforced too */
    uint32_t pol_mask;
};

/* OBJSTATE: this process wrote to file object `handle` (declared before on
 * this connection) and leaves it with this mtime and size: sent when it
 * closes the descriptor it wrote through, and at exit and exec for those
 * still open.  A later tracked reader that finds another mtime or size
 * knows an untracked writer changed the file in between. */
struct ct_msg_objstate {
    struct ct_msg_hdr h;
    uint32_t handle;
    uint32_t pad;
    int64_t  mtime_ns;
    uint64_t size;
    uint64_t time_ns;      /* when the state was taken */
};

/* ---- leak prevention (docs/design.md "Leak prevention") ----
 * A tracker started with a policy asks before a send or write of labelled
 * bytes to an egress (a TCP/UDP socket, a regular file): CLASSQ carries the
 * destination and the runs of source bytes the call is about to emit, as
 * flows would name them (handles declared on this connection, records
 * flushed before).  The agent traces each run back to its original sources
 * in its store, matches them against the policy's protected sources and
 * trusted destinations, records alerts, and answers CLASSR: an action per
 * range of the call's bytes.  Ranges not named need nothing. */
enum ct_dest_kind {
    CT_DEST_TCP  = 1,     /* dest bytes: the peer's struct sockaddr (in or in6) */
    CT_DEST_UDP  = 2,     /* likewise */
    CT_DEST_FILE = 3,     /* dest bytes: the object name "file:/abs/path" */
    CT_DEST_UNIX = 4,     /* dest bytes: int32 peer pid (SO_PEERCRED; 0 unknown), then
                             the peer's struct sockaddr_un when it has an address */
};
enum ct_action {
    CT_ACT_NONE  = 0,     /* not protected, or a trusted destination */
    CT_ACT_ALERT = 1,     /* record only */
    CT_ACT_MASK  = 2,     /* replace each byte by the mask byte */
    CT_ACT_BLOCK = 3,     /* the send must not happen (socket shut down) */
};
struct ct_classq_run {
    uint64_t sink_rel;     /* offset of the run in the call's bytes */
    uint64_t len;          /* bytes of the call */
    uint64_t src_off, src_len;
    uint32_t src;          /* object handle */
    uint32_t mode;         /* enum ct_flow_mode */
};
struct ct_msg_classq {
    struct ct_msg_hdr h;
    uint64_t id;           /* echoed in CLASSR */
    uint32_t dest_kind;    /* enum ct_dest_kind */
    uint32_t dest_len;     /* dest bytes follow, padded to 8 */
    uint32_t nruns;        /* then nruns struct ct_classq_run */
    uint32_t sysno;
    uint64_t total;        /* bytes of the call */
    uint32_t sink;         /* TCP/UDP: the stream's object handle (0: unknown), */
    uint32_t pad;
    uint64_t sink_off;     /* and its offset of the call's first byte: where the
                              bytes will be in the stream, so the agent can tell a
                              trusted receiver's agent which bytes are protected */
};
struct ct_classr_piece {
    uint64_t sink_rel, len;
    uint32_t action;       /* enum ct_action */
    uint32_t mask;         /* the mask byte (CT_ACT_MASK) */
};
struct ct_msg_classr {
    struct ct_msg_hdr h;
    uint64_t id;
    uint32_t npieces;      /* then npieces struct ct_classr_piece */
    uint32_t flags;        /* CT_CLASSR_UNDECIDED: the agent cannot tell (no
                              policy, too many pieces): the tracker fails closed */
};
#define CT_CLASSR_UNDECIDED 0x1u
#define CT_CLASSR_TRUSTED   0x2u    /* the destination is trusted and on this host
                                       (a local path, a trusted peer here): the
                                       tracker need not ask about it again */
#define CT_CLASSQ_MAXRUNS   1000u   /* runs per CLASSQ: a call with more asks again */
#define CT_CLASSR_MAXPIECES 2000u
/* POLICY (control): the absolute path follows (path_len bytes).  The agent
 * answers with a NOTE: level 0 loaded, level 2 refused (why). */
struct ct_msg_policy {
    struct ct_msg_hdr h;
    uint32_t path_len;
    uint32_t flags;        /* CT_POLICYF_REPLACE: take it even when another
                              policy is loaded (crosstag agent start|run);
                              without it (crosstag run) a different loaded
                              policy is kept and the request refused */
};
#define CT_POLICYF_REPLACE 0x1u

/* TCPIDQ: a tracker that may not use bpf() (it dropped root, and the
 * kernel refuses bpf() to unprivileged processes) asks its agent to read
 * the tcpid map (bpf/tcpid.h) for a socket cookie (SO_COOKIE). */
struct ct_msg_tcpidq {
    struct ct_msg_hdr h;
    uint64_t id;           /* echoed in TCPIDR */
    uint64_t cookie;
};
struct ct_msg_tcpidr {
    struct ct_msg_hdr h;
    uint64_t id;
    uint32_t found;        /* 0: not in the map (or no map) */
    uint32_t iss, irs, active;   /* struct tcpid_val */
};

/* RING: sent with a memfd (SCM_RIGHTS) holding a ct_ring_hdr page and
 * data_size bytes after it.  Every stream byte after this message is
 * written into that ring instead of the socket: no syscall per record.
 * The tracker appends at `tail` (bytes written ever) and publishes tail
 * after the bytes; the agent copies [head, tail) out and publishes head.
 * Bytes the tracker still sends on the socket are doorbells (one byte, a
 * "read the ring now" for questions waiting for their answer); the agent
 * reads the ring also at a socket's end, before any policy decision
 * (records of every other tracker first) and every few milliseconds. */
struct ct_msg_ring {
    struct ct_msg_hdr h;
    uint32_t data_size;    /* a power of two, at least 64 KB */
    uint32_t pad;
};
#define CT_RING_HDR 4096u
struct ct_ring_hdr {
    uint64_t tail;         /* written by the tracker */
    uint8_t pad1[56];      /* head and tail on their own cache lines */
    uint64_t head;         /* written by the agent */
    uint8_t pad2[56];
};

#define CT_MSG_ALIGN(n) (((n) + 7u) & ~7u)

#endif
