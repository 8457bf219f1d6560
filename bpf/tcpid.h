/* tcpid.h — the eBPF component that names TCP connections by their initial
 * sequence numbers (tcpid.bpf.c), and its loader (tcpid.c).
 *
 * The map pinned at TCPID_PIN maps a socket cookie (getsockopt SO_COOKIE) to
 * struct tcpid_val.  The tracker (tool/ct_sockets.c) reads it with raw bpf()
 * syscalls; it must agree with this layout.  This header is included by the
 * BPF program too, so it uses kernel types only. */
#ifndef CT_TCPID_H
#define CT_TCPID_H
#include <linux/types.h>

#define TCPID_DIR   "/run/crosstag/bpf"          /* = CT_BPFFS_DIR (bpffs.h): why /run */
#define TCPID_PIN   TCPID_DIR "/tcpid"        /* the map */
#define TCPID_LINK  TCPID_DIR "/tcpid_link"   /* the cgroup attachment */
#define TCPID_MAX_ENTRIES 65536

struct tcpid_val {
    __u32 iss;     /* our initial send sequence number */
    __u32 irs;     /* the peer's (our initial receive sequence number) */
    __u32 active;  /* 1: this end connected (its SYN counts in tcpi_bytes_acked) */
    __u32 pad;
};

#if !defined(__bpf__) && !defined(CT_IN_TOOL)   /* the loader's API (libc side) */
#include <stddef.h>
/* Loads the program, pins the map at TCPID_PIN and attaches to the cgroup v2
 * root (pinned link TCPID_LINK).  Idempotent: an existing attachment is kept.
 * 0 on success; -1 with a message in err. */
int tcpid_attach(char *err, size_t errlen);
/* Removes the attachment and the pins.  0 also when nothing was attached. */
int tcpid_detach(char *err, size_t errlen);
/* The map's entry for a socket cookie: 1 found, 0 not (or no map). */
int tcpid_lookup(unsigned long long cookie, struct tcpid_val *v);
/* 1 attached (map and link pinned), 0 not, -1 error; *entries = map entries. */
int tcpid_status(long *entries, char *err, size_t errlen);
#endif

#endif
