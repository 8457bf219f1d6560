// SPDX-License-Identifier: GPL-2.0
/* tcpid.bpf.c — records the initial sequence numbers of every TCP
 * connection, so both ends of a connection can name each direction by an id
 * they share: the sender's ISS equals the receiver's IRS.  Userspace cannot
 * read ISNs; a sock_ops program sees snd_nxt/rcv_nxt when the connection is
 * established, where snd_nxt = ISS + 1 and rcv_nxt = IRS + 1 (the SYNs take
 * one sequence number each).  Entries are keyed by the socket cookie
 * (SO_COOKIE from userspace); an LRU map forgets closed connections. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tcpid.h"

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, TCPID_MAX_ENTRIES);
    __type(key, __u64);
    __type(value, struct tcpid_val);
} tcpid SEC(".maps");

SEC("sockops")
int tcpid_sockops(struct bpf_sock_ops *skops)
{
    if (skops->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB ||
        skops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB) {
        __u64 cookie = bpf_get_socket_cookie(skops);
        struct tcpid_val v = { .iss = skops->snd_nxt - 1, .irs = skops->rcv_nxt - 1,
                               .active = skops->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB };
        bpf_map_update_elem(&tcpid, &cookie, &v, BPF_ANY);
    }
    return 1;
}

char LICENSE[] SEC("license") = "GPL";
