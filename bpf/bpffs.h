/* bpffs.h — what the eBPF loaders (tcpid.c, udptag.c) share: their bpffs,
 * their error messages, and libbpf kept quiet. */
#ifndef CT_BPFFS_H
#define CT_BPFFS_H
#include <stdarg.h>
#include <stddef.h>
#include <bpf/libbpf.h>

/* A bpffs of our own under /run, not /sys/fs/bpf: `ip netns exec` (how the
 * hosts of a test network run) remounts /sys, hiding pins made there, while
 * /run stays the same for every network namespace. */
#define CT_BPFFS_DIR "/run/crosstag/bpf"

/* Mounts bpffs at CT_BPFFS_DIR unless it is.  0, or -1 with err. */
int ct_bpffs_ensure(char *err, size_t errlen);
/* Formats err; returns -1. */
int ct_bpf_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A libbpf print callback that prints nothing: our errors say what failed. */
int ct_bpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap);

#endif
