/* udptag.h — the 4-byte sequence tag on UDP datagrams between tracked hosts
 * (udptag.bpf.c, tc programs) and its loader (udptag.c).
 *
 * Datagram k of a direction (4-tuple) leaves a tracked host with k appended
 * after its payload (a trailer, big-endian), when its destination lies in
 * the tracked list.  Receiving, a socket registered as tracked (its socket
 * storage in the rx map holds 1) gets every datagram with a trailer: the tag
 * as sent, or UDPTAG_NONE when the source is not in the tracked list (it sent
 * none); every other socket gets the payload alone (the tag is stripped).
 * The tracker (tool/ct_udptag.c) names datagram k's bytes [k<<32, +len) on
 * both ends, takes the trailer off and returns 4 bytes less.
 *
 * The maps are per network namespace (hosts of a test network share one
 * bpffs): pinned under UDPTAG_DIR "/udptag-NETNSINO/" (NETNSINO the inode of
 * /proc/self/ns/net).  Included by the BPF program: kernel types only. */
#ifndef CT_UDPTAG_H
#define CT_UDPTAG_H
#include <linux/types.h>

#define UDPTAG_DIR   "/run/crosstag/bpf"     /* as tcpid.h's TCPID_DIR */
#define UDPTAG_FMT   UDPTAG_DIR "/udptag-%llu"
#define UDPTAG_NONE  0xffffffffu             /* the trailer of an untagged datagram */
#define UDPTAG_MAX_DST   1024
#define UDPTAG_MAX_FLOWS 65536
/* tc filter handle and priority of our programs on each interface */
#define UDPTAG_HANDLE 0xc7a6
#define UDPTAG_PRIO   1

/* tracked list: LPM key, IPv4 as IPv4-mapped IPv6 (prefix + 96) */
struct udptag_lpm {
    __u32 prefixlen;
    __u8 addr[16];
};

/* seq map key: one direction, addresses IPv4-mapped for IPv4; value: the
 * number of datagrams tagged so far (the next k) */
struct udptag_flow {
    __u8 src[16];
    __u8 dst[16];
    __u16 sport, dport;     /* network order */
};

#if !defined(__bpf__) && !defined(CT_IN_TOOL)   /* the loader's API (libc side) */
#include <stddef.h>
/* Loads the programs, pins the maps of this network namespace, sets the
 * tracked list to cidrs (IPv4 or IPv6 CIDRs, or plain addresses) and
 * attaches (tc clsact ingress and egress) to interface ifname, or to every
 * interface when ifname is NULL or "all".  Attaching again replaces the
 * programs and the list; the counters are kept.  0, or -1 with err. */
int udptag_attach(const char *ifname, const char *const *cidrs, int ncidrs, char *err, size_t errlen);
/* Removes our filters from every interface and the pins.  0 also when nothing
 * was attached. */
int udptag_detach(char *err, size_t errlen);
/* Prints what is attached (list, interfaces, flows) to out; 1 attached, 0
 * not, -1 error. */
#include <stdio.h>
int udptag_status(FILE *out, char *err, size_t errlen);
#endif

#endif
