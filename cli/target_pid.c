/* target_pid.c — TARGET "pid:N" or "pid:N@START_TICKS": a process, named
 * by its pid and, when the pid was used by several processes, its start
 * time (field 22 of /proc/PID/stat, as `crosstag query` lists them). */
#include <stdio.h>
#include <string.h>

#include "target.h"

/* Decimal digits only: 1 ok, 0 not a number, -1 too big for max. */
static int number(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

int target_parse_pid(const char *spec, struct target *t, char *err, size_t errlen)
{
    const char *at = strchr(spec, '@');
    size_t n = at ? (size_t)(at - spec) : strlen(spec);
    uint64_t pid = 0, start = 0;
    int r = number(spec, n, 0x7fffffff, &pid);
    if (r > 0 && at)
        r = number(at + 1, strlen(at + 1), UINT64_MAX, &start);
    if (r <= 0 || pid == 0) {
        snprintf(err, errlen, "bad process TARGET 'pid:%s' (want pid:N or pid:N@START_TICKS, decimal)",
                 spec);
        return -1;
    }
    t->is_proc = 1;
    t->pid = (int32_t)pid;
    t->have_start = at != NULL;
    t->start_ticks = start;
    t->start = 0;
    t->end = UINT64_MAX;
    t->whole = 1;
    return 0;
}
