/* bpffs.c — see bpffs.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "bpffs.h"

int ct_bpf_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int ct_bpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    (void)level, (void)fmt, (void)ap;
    return 0;
}

int ct_bpffs_ensure(char *err, size_t errlen)
{
    int mounted = 0;
    FILE *f = fopen("/proc/mounts", "r");
    if (f) {
        char dev[256], mnt[4096], fstype[64];
        while (fscanf(f, "%255s %4095s %63s %*[^\n]", dev, mnt, fstype) == 3)
            if (strcmp(fstype, "bpf") == 0 && strcmp(mnt, CT_BPFFS_DIR) == 0)
                mounted = 1;
        fclose(f);
    }
    if (mounted)
        return 0;
    if ((mkdir("/run/crosstag", 0755) != 0 && errno != EEXIST) ||
        (mkdir(CT_BPFFS_DIR, 0755) != 0 && errno != EEXIST))
        return ct_bpf_fail(err, errlen, "cannot create %s: %s", CT_BPFFS_DIR, strerror(errno));
    if (mount("bpf", CT_BPFFS_DIR, "bpf", 0, "mode=0755") != 0)
        return ct_bpf_fail(err, errlen, "cannot mount bpffs at %s: %s", CT_BPFFS_DIR, strerror(errno));
    return 0;
}
