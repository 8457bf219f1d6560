/* udptag.c — loads udptag.bpf.c, pins its maps for this network namespace
 * and attaches it to tc clsact ingress and egress (see udptag.h).
 *
 * The programs stay attached through the tc filters (handle UDPTAG_HANDLE,
 * priority UDPTAG_PRIO) after this process exits; attaching again replaces
 * them in place (BPF_TC_F_REPLACE) and reuses the pinned maps, so the
 * counters and the registered sockets survive. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpffs.h"
#include "udptag.h"
#include "udptag.skel.h"

/* This network namespace's pin folder. */
static int pin_dir(char *out, size_t outlen, char *err, size_t errlen)
{
    struct stat st;
    if (stat("/proc/self/ns/net", &st) != 0)
        return ct_bpf_fail(err, errlen, "cannot stat /proc/self/ns/net: %s", strerror(errno));
    snprintf(out, outlen, UDPTAG_FMT, (unsigned long long)st.st_ino);
    return 0;
}

/* "10.1.0.0/24", "fd00::/64", "10.1.0.2" -> an LPM key (IPv4 mapped). */
static int parse_cidr(const char *s, struct udptag_lpm *k)
{
    char a[INET6_ADDRSTRLEN + 8];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n == 0 || n >= sizeof a)
        return -1;
    memcpy(a, s, n);
    a[n] = 0;
    int max, base;
    memset(k, 0, sizeof *k);
    if (inet_pton(AF_INET, a, k->addr + 12) == 1) {
        k->addr[10] = k->addr[11] = 0xff;
        max = 32, base = 96;
    } else if (inet_pton(AF_INET6, a, k->addr) == 1) {
        max = 128, base = 0;
    } else {
        return -1;
    }
    long len = max;
    if (slash) {
        char *end;
        errno = 0;
        len = strtol(slash + 1, &end, 10);
        if (errno || end == slash + 1 || *end || len < 0 || len > max)
            return -1;
    }
    k->prefixlen = (unsigned)(base + len);
    return 0;
}

/* Our filter on interface ifindex, one hook: attach (prog_fd >= 0) or detach. */
static int tc_one(int ifindex, enum bpf_tc_attach_point where, int prog_fd)
{
    DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
    DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = UDPTAG_HANDLE, .priority = UDPTAG_PRIO);
    if (prog_fd < 0)
        return bpf_tc_detach(&hook, &opts);
    int r = bpf_tc_hook_create(&hook);
    if (r < 0 && r != -EEXIST)
        return r;
    opts.prog_fd = prog_fd;
    opts.flags = BPF_TC_F_REPLACE;
    return bpf_tc_attach(&hook, &opts);
}

int udptag_attach(const char *ifname, const char *const *cidrs, int ncidrs, char *err, size_t errlen)
{
    libbpf_set_print(ct_bpf_quiet);
    struct udptag_lpm keys[UDPTAG_MAX_DST];
    if (ncidrs > UDPTAG_MAX_DST)
        return ct_bpf_fail(err, errlen, "too many tracked networks (at most %d)", UDPTAG_MAX_DST);
    for (int i = 0; i < ncidrs; i++)
        if (parse_cidr(cidrs[i], &keys[i]) != 0)
            return ct_bpf_fail(err, errlen, "bad address or network '%s' (want e.g. 10.1.0.0/24, fd00::/64, 10.1.0.2)",
                        cidrs[i]);
    unsigned ifindex = 0;
    if (ifname && strcmp(ifname, "all") != 0 && !(ifindex = if_nametoindex(ifname)))
        return ct_bpf_fail(err, errlen, "no interface '%s' here", ifname);
    char dir[256], path[300];
    if (ct_bpffs_ensure(err, errlen) != 0 || pin_dir(dir, sizeof dir, err, errlen) != 0)
        return -1;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return ct_bpf_fail(err, errlen, "cannot create %s: %s", dir, strerror(errno));

    struct udptag_bpf *skel = udptag_bpf__open();
    int rc = -1;
    if (!skel)
        return ct_bpf_fail(err, errlen, "cannot open the BPF object: %s", strerror(errno));
    snprintf(path, sizeof path, "%s/dst", dir);
    bpf_map__set_pin_path(skel->maps.udptag_dst, path);
    snprintf(path, sizeof path, "%s/seq", dir);
    bpf_map__set_pin_path(skel->maps.udptag_seq, path);
    snprintf(path, sizeof path, "%s/rx", dir);
    bpf_map__set_pin_path(skel->maps.udptag_rx, path);
    if (udptag_bpf__load(skel) != 0) {
        ct_bpf_fail(err, errlen, "cannot load the BPF programs (needs root and a kernel with BPF): %s",
             strerror(errno));
        goto out;
    }
    /* the list: exactly the networks given */
    int dfd = bpf_map__fd(skel->maps.udptag_dst);
    struct udptag_lpm key, next;
    while (bpf_map_get_next_key(dfd, NULL, &next) == 0) {
        key = next;
        if (bpf_map_delete_elem(dfd, &key) != 0)
            break;
    }
    for (int i = 0; i < ncidrs; i++) {
        __u8 one = 1;
        if (bpf_map_update_elem(dfd, &keys[i], &one, BPF_ANY) != 0) {
            ct_bpf_fail(err, errlen, "cannot add %s to the tracked list: %s", cidrs[i], strerror(errno));
            goto out;
        }
    }
    struct if_nameindex *ifs = if_nameindex(), *i;
    if (!ifs) {
        ct_bpf_fail(err, errlen, "cannot list the interfaces: %s", strerror(errno));
        goto out;
    }
    int eg = bpf_program__fd(skel->progs.udptag_egress), in = bpf_program__fd(skel->progs.udptag_ingress);
    rc = 0;
    for (i = ifs; i->if_index && rc == 0; i++) {
        if (ifindex && i->if_index != ifindex)
            continue;
        int r = tc_one((int)i->if_index, BPF_TC_EGRESS, eg);
        if (r == 0)
            r = tc_one((int)i->if_index, BPF_TC_INGRESS, in);
        if (r != 0)
            rc = ct_bpf_fail(err, errlen, "cannot attach to %s: %s", i->if_name, strerror(-r));
    }
    if_freenameindex(ifs);
out:
    udptag_bpf__destroy(skel);
    return rc;
}

int udptag_detach(char *err, size_t errlen)
{
    libbpf_set_print(ct_bpf_quiet);
    struct if_nameindex *ifs = if_nameindex(), *i;
    for (i = ifs; i && i->if_index; i++) {
        tc_one((int)i->if_index, BPF_TC_EGRESS, -1);   /* ENOENT: not ours to remove */
        tc_one((int)i->if_index, BPF_TC_INGRESS, -1);
    }
    if (ifs)
        if_freenameindex(ifs);
    char dir[256], path[300];
    if (pin_dir(dir, sizeof dir, err, errlen) != 0)
        return -1;
    static const char *const names[] = { "dst", "seq", "rx" };
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        if (unlink(path) != 0 && errno != ENOENT)
            return ct_bpf_fail(err, errlen, "cannot remove %s: %s", path, strerror(errno));
    }
    rmdir(dir);
    return 0;
}

static void fmt_key(const struct udptag_lpm *k, char *out, size_t outlen)
{
    static const __u8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    char a[INET6_ADDRSTRLEN];
    if (k->prefixlen >= 96 && memcmp(k->addr, mapped, 12) == 0) {
        inet_ntop(AF_INET, k->addr + 12, a, sizeof a);
        snprintf(out, outlen, "%s/%u", a, k->prefixlen - 96);
    } else {
        inet_ntop(AF_INET6, k->addr, a, sizeof a);
        snprintf(out, outlen, "%s/%u", a, k->prefixlen);
    }
}

int udptag_status(FILE *out, char *err, size_t errlen)
{
    libbpf_set_print(ct_bpf_quiet);
    char dir[256], path[300];
    if (pin_dir(dir, sizeof dir, err, errlen) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/dst", dir);
    int dfd = bpf_obj_get(path);
    if (dfd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return ct_bpf_fail(err, errlen, "cannot read %s: %s", path, strerror(errno));
    }
    fprintf(out, "maps: %s\ntracked:", dir);
    struct udptag_lpm key, next, *prev = NULL;
    char s[80];
    while (bpf_map_get_next_key(dfd, prev, &next) == 0) {
        key = next;
        prev = &key;
        fmt_key(&key, s, sizeof s);
        fprintf(out, " %s", s);
    }
    close(dfd);
    fprintf(out, "\ninterfaces:");
    struct if_nameindex *ifs = if_nameindex(), *i;
    for (i = ifs; i && i->if_index; i++) {
        DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)i->if_index, .attach_point = BPF_TC_EGRESS);
        DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = UDPTAG_HANDLE, .priority = UDPTAG_PRIO);
        if (bpf_tc_query(&hook, &opts) == 0)
            fprintf(out, " %s", i->if_name);
    }
    if (ifs)
        if_freenameindex(ifs);
    long flows = 0;
    snprintf(path, sizeof path, "%s/seq", dir);
    int sfd = bpf_obj_get(path);
    if (sfd >= 0) {
        struct udptag_flow fk, fn, *fp = NULL;
        while (bpf_map_get_next_key(sfd, fp, &fn) == 0) {
            fk = fn;
            fp = &fk;
            flows++;
        }
        close(sfd);
    }
    fprintf(out, "\nflows tagged: %ld\n", flows);
    return 1;
}
