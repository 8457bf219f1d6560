/* tcpid.c — loads and attaches tcpid.bpf.c (see tcpid.h).
 *
 * The attachment outlives this process: the program is attached to the
 * cgroup v2 root through a bpf_link pinned in bpffs, and the map is pinned
 * where the tracker finds it.  A second attach finds the pinned link and
 * does nothing, so several callers (crosstag bpf attach, crosstagd) never
 * stack two programs. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpffs.h"
#include "tcpid.h"
#include "tcpid.skel.h"

/* The mount point of the first filesystem of type `type` in /proc/mounts. */
static int find_mount(const char *type, char *out, size_t outlen)
{
    FILE *f = fopen("/proc/mounts", "r");
    if (!f)
        return -1;
    char dev[256], dir[4096], fstype[64];
    int found = -1;
    while (fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, fstype) == 3) {
        if (strcmp(fstype, type) == 0 && strlen(dir) < outlen) {
            strcpy(out, dir);
            found = 0;
            break;
        }
    }
    fclose(f);
    return found;
}

int tcpid_attach(char *err, size_t errlen)
{
    libbpf_set_print(ct_bpf_quiet);
    if (ct_bpffs_ensure(err, errlen) != 0)
        return -1;
    int lfd = bpf_obj_get(TCPID_LINK);
    if (lfd >= 0) {
        int mfd = bpf_obj_get(TCPID_PIN);
        close(lfd);
        if (mfd >= 0) {                   /* already attached: keep it */
            close(mfd);
            return 0;
        }
        unlink(TCPID_LINK);               /* half an attachment: start over */
    }
    char cg[4096];
    if (find_mount("cgroup2", cg, sizeof cg) != 0)
        return ct_bpf_fail(err, errlen, "no cgroup v2 filesystem mounted (see /proc/mounts)");
    int cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0)
        return ct_bpf_fail(err, errlen, "cannot open the cgroup v2 root %s: %s", cg, strerror(errno));

    struct tcpid_bpf *skel = tcpid_bpf__open();
    int rc = -1;
    if (!skel) {
        ct_bpf_fail(err, errlen, "cannot open the BPF object: %s", strerror(errno));
        goto out;
    }
    /* An existing pinned map (from an earlier attach) is reused, so trackers
     * holding it keep seeing new connections. */
    bpf_map__set_pin_path(skel->maps.tcpid, TCPID_PIN);
    if (tcpid_bpf__load(skel) != 0) {
        ct_bpf_fail(err, errlen, "cannot load the BPF program (needs root and a kernel with BPF): %s",
             strerror(errno));
        goto out;
    }
    struct bpf_link *link = bpf_program__attach_cgroup(skel->progs.tcpid_sockops, cgfd);
    if (!link) {
        ct_bpf_fail(err, errlen, "cannot attach to the cgroup %s: %s", cg, strerror(errno));
        goto out;
    }
    if (bpf_link__pin(link, TCPID_LINK) != 0) {
        ct_bpf_fail(err, errlen, "cannot pin %s: %s", TCPID_LINK, strerror(errno));
        bpf_link__destroy(link);
        goto out;
    }
    bpf_link__disconnect(link);           /* the pin keeps it attached after we exit */
    bpf_link__destroy(link);
    rc = 0;
out:
    tcpid_bpf__destroy(skel);
    close(cgfd);
    return rc;
}

int tcpid_detach(char *err, size_t errlen)
{
    libbpf_set_print(ct_bpf_quiet);
    int lfd = bpf_obj_get(TCPID_LINK);
    if (lfd >= 0) {
        bpf_link_detach(lfd);             /* detaches now, even if others hold the link */
        close(lfd);
    }
    if (unlink(TCPID_LINK) != 0 && errno != ENOENT)
        return ct_bpf_fail(err, errlen, "cannot remove %s: %s", TCPID_LINK, strerror(errno));
    if (unlink(TCPID_PIN) != 0 && errno != ENOENT)
        return ct_bpf_fail(err, errlen, "cannot remove %s: %s", TCPID_PIN, strerror(errno));
    rmdir(TCPID_DIR);
    return 0;
}

int tcpid_status(long *entries, char *err, size_t errlen)
{
    libbpf_set_print(ct_bpf_quiet);
    *entries = 0;
    int lfd = bpf_obj_get(TCPID_LINK), mfd = bpf_obj_get(TCPID_PIN);
    int attached = lfd >= 0 && mfd >= 0;
    if (lfd < 0 && errno != ENOENT && errno != ENOTDIR) {
        int e = errno;
        if (mfd >= 0)
            close(mfd);
        return ct_bpf_fail(err, errlen, "cannot read %s: %s", TCPID_LINK, strerror(e));
    }
    if (mfd >= 0) {
        __u64 key, next, *prev = NULL;
        while (bpf_map_get_next_key(mfd, prev, &next) == 0) {
            key = next;
            prev = &key;
            (*entries)++;
        }
        close(mfd);
    }
    if (lfd >= 0)
        close(lfd);
    return attached;
}

int tcpid_lookup(unsigned long long cookie, struct tcpid_val *v)
{
    /* opened per question: the map may be re-pinned (detach, attach) while
     * the agent runs, and questions are rare (processes without bpf()) */
    int mfd = bpf_obj_get(TCPID_PIN);
    if (mfd < 0)
        return 0;
    __u64 key = cookie;
    int found = bpf_map_lookup_elem(mfd, &key, v) == 0;
    close(mfd);
    return found;
}
