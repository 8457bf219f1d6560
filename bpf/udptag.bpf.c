// SPDX-License-Identifier: GPL-2.0
/* udptag.bpf.c — tc programs that carry a datagram's sequence number k from
 * one tracked host to another in a 4-byte trailer (see udptag.h).
 *
 * Why a trailer, not 4 bytes after the UDP header: growing at the tail
 * leaves every header where it was, so a checksum the NIC (or the kernel)
 * still has to compute (CHECKSUM_PARTIAL: csum_start points at the UDP
 * header) stays right; the receiving tracker only shortens the result, it
 * never moves the payload; and a read into a buffer smaller than the
 * datagram still gets the payload's first bytes.
 *
 * egress: a locally sent datagram to a tracked destination gets
 *         k = seq[4-tuple]++ appended.
 * ingress: tagged (source tracked) and the receiving socket not registered:
 *         the trailer is cut; untagged and registered: UDPTAG_NONE is
 *         appended, so a registered socket always finds a trailer.
 * Lengths and checksums (IPv4 header, UDP incl. pseudo header) are fixed
 * incrementally.  IP fragments, GSO packets and IPv6 with extension headers
 * pass unchanged. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "udptag.h"

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, UDPTAG_MAX_DST);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct udptag_lpm);
    __type(value, __u8);
} udptag_dst SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, UDPTAG_MAX_FLOWS);
    __type(key, struct udptag_flow);
    __type(value, __u32);
} udptag_seq SEC(".maps");

/* registered (tracked) receiving sockets; the tracker sets it by fd */
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, __u32);
} udptag_rx SEC(".maps");

struct pkt {
    __u32 l3, l4, end;         /* offsets: IP header, UDP header, end of the IP packet */
    __u16 udplen;              /* host order */
    __u8 v6;
    struct udptag_flow f;
};

/* A UDP packet we may tag: 0; else -1. */
static __always_inline int parse(struct __sk_buff *skb, struct pkt *p)
{
    p->l3 = ETH_HLEN;
    if (skb->protocol == bpf_htons(ETH_P_IP)) {
        struct iphdr ip;
        if (bpf_skb_load_bytes(skb, p->l3, &ip, sizeof ip) < 0 || ip.protocol != IPPROTO_UDP ||
            ip.ihl < 5 || (ip.frag_off & bpf_htons(0x3fff)))   /* MF or an offset: a fragment */
            return -1;
        p->v6 = 0;
        p->l4 = p->l3 + ip.ihl * 4;
        p->end = p->l3 + bpf_ntohs(ip.tot_len);
        __builtin_memset(p->f.src, 0, 32);
        p->f.src[10] = p->f.src[11] = 0xff;
        p->f.dst[10] = p->f.dst[11] = 0xff;
        __builtin_memcpy(p->f.src + 12, &ip.saddr, 4);
        __builtin_memcpy(p->f.dst + 12, &ip.daddr, 4);
    } else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr ip;
        if (bpf_skb_load_bytes(skb, p->l3, &ip, sizeof ip) < 0 || ip.nexthdr != IPPROTO_UDP)
            return -1;
        p->v6 = 1;
        p->l4 = p->l3 + sizeof ip;
        p->end = p->l4 + bpf_ntohs(ip.payload_len);
        __builtin_memcpy(p->f.src, &ip.saddr, 16);
        __builtin_memcpy(p->f.dst, &ip.daddr, 16);
    } else {
        return -1;
    }
    __be16 uh[4];
    if (bpf_skb_load_bytes(skb, p->l4, uh, sizeof uh) < 0)
        return -1;
    p->f.sport = uh[0];
    p->f.dport = uh[1];
    p->udplen = bpf_ntohs(uh[2]);
    if (p->l4 + p->udplen != p->end || p->end > skb->len || p->udplen < 8)
        return -1;
    return 0;
}

static __always_inline int tracked(const __u8 *addr)
{
    struct udptag_lpm k = { .prefixlen = 128 };
    __builtin_memcpy(k.addr, addr, 16);
    return bpf_map_lookup_elem(&udptag_dst, &k) != 0;
}

/* The UDP checksum's share of the 4 bytes `tag` at UDP offset pos: the
 * bytes as the checksum sees them, in an 8-byte buffer aligned like the
 * packet (an odd offset shifts them by one). */
static __always_inline __s64 tag_sum(__u32 tag_be, __u32 pos)
{
    __u8 b[8] = {0};
    __u8 *t = (__u8 *)&tag_be;
    if (pos & 1) {
        b[1] = t[0]; b[2] = t[1]; b[3] = t[2]; b[4] = t[3];
    } else {
        b[0] = t[0]; b[1] = t[1]; b[2] = t[2]; b[3] = t[3];
    }
    return bpf_csum_diff(0, 0, (__be32 *)b, sizeof b, 0);
}

/* The IP and UDP lengths grow by delta (+4 or -4); the checksums follow. */
static __always_inline int set_lengths(struct __sk_buff *skb, struct pkt *p, int delta)
{
    __u32 csum = p->l4 + 6;
    __be16 oldu = bpf_htons(p->udplen), newu = bpf_htons(p->udplen + delta);
    /* the UDP length counts twice: pseudo header and UDP header */
    if (bpf_l4_csum_replace(skb, csum, oldu, newu, BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0 | 2) < 0 ||
        bpf_l4_csum_replace(skb, csum, oldu, newu, BPF_F_MARK_MANGLED_0 | 2) < 0 ||
        bpf_skb_store_bytes(skb, p->l4 + 4, &newu, 2, 0) < 0)
        return -1;
    if (p->v6) {
        __be16 pl = bpf_htons(p->udplen + delta);
        return bpf_skb_store_bytes(skb, p->l3 + 4, &pl, 2, 0);
    }
    __be16 oldt = bpf_htons(p->end - p->l3), newt = bpf_htons(p->end - p->l3 + delta);
    if (bpf_l3_csum_replace(skb, p->l3 + 10, oldt, newt, 2) < 0)
        return -1;
    return bpf_skb_store_bytes(skb, p->l3 + 2, &newt, 2, 0);
}

static __always_inline int append(struct __sk_buff *skb, struct pkt *p, __u32 k)
{
    __be32 tag = bpf_htonl(k);
    if (bpf_skb_change_tail(skb, p->end + 4, 0) < 0)
        return -1;
    if (bpf_skb_store_bytes(skb, p->end, &tag, 4, 0) < 0)
        return -1;
    __s64 d = tag_sum(tag, p->udplen);
    if (d < 0 || bpf_l4_csum_replace(skb, p->l4 + 6, 0, d, BPF_F_MARK_MANGLED_0) < 0)
        return -1;
    return set_lengths(skb, p, 4);
}

static __always_inline int strip(struct __sk_buff *skb, struct pkt *p)
{
    __be32 tag;
    if (p->udplen < 12 || bpf_skb_load_bytes(skb, p->end - 4, &tag, 4) < 0)
        return -1;
    __s64 d = tag_sum(tag, p->udplen - 4);
    if (d < 0)
        return -1;
    /* minus the bytes' share: the one's complement of it, added */
    if (bpf_l4_csum_replace(skb, p->l4 + 6, 0, ~(__u32)d, BPF_F_MARK_MANGLED_0) < 0)
        return -1;
    if (set_lengths(skb, p, -4) < 0)
        return -1;
    return bpf_skb_change_tail(skb, p->end - 4, 0);
}

SEC("tc")
int udptag_egress(struct __sk_buff *skb)
{
    struct pkt p;
    if (!skb->sk || skb->gso_segs > 1 || parse(skb, &p) < 0 || !tracked(p.f.dst))
        return TC_ACT_OK;                 /* forwarded, segmented, other, untracked peer */
    __u32 zero = 0, *seq = bpf_map_lookup_elem(&udptag_seq, &p.f);
    if (!seq) {
        bpf_map_update_elem(&udptag_seq, &p.f, &zero, BPF_NOEXIST);
        seq = bpf_map_lookup_elem(&udptag_seq, &p.f);
        if (!seq)
            return TC_ACT_OK;
    }
    __u32 k = __sync_fetch_and_add(seq, 1);
    append(skb, &p, k);
    return TC_ACT_OK;
}

/* Is the local socket this datagram goes to registered as tracked? */
static __always_inline int registered(struct __sk_buff *skb, struct pkt *p)
{
    struct bpf_sock_tuple t = {};
    __u32 len;
    if (p->v6) {
        __builtin_memcpy(t.ipv6.saddr, p->f.src, 16);
        __builtin_memcpy(t.ipv6.daddr, p->f.dst, 16);
        t.ipv6.sport = p->f.sport;
        t.ipv6.dport = p->f.dport;
        len = sizeof t.ipv6;
    } else {
        __builtin_memcpy(&t.ipv4.saddr, p->f.src + 12, 4);
        __builtin_memcpy(&t.ipv4.daddr, p->f.dst + 12, 4);
        t.ipv4.sport = p->f.sport;
        t.ipv4.dport = p->f.dport;
        len = sizeof t.ipv4;
    }
    struct bpf_sock *sk = bpf_sk_lookup_udp(skb, &t, len, BPF_F_CURRENT_NETNS, 0);
    if (!sk)
        return 0;
    int r = bpf_sk_storage_get(&udptag_rx, sk, 0, 0) != 0;
    bpf_sk_release(sk);
    return r;
}

SEC("tc")
int udptag_ingress(struct __sk_buff *skb)
{
    struct pkt p;
    if (parse(skb, &p) < 0)
        return TC_ACT_OK;
    int tagged = tracked(p.f.src), reg = registered(skb, &p);
    if (tagged && !reg)
        strip(skb, &p);
    else if (!tagged && reg)
        append(skb, &p, UDPTAG_NONE);
    return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
