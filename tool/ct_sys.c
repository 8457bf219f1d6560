/* ct_sys.c — raw syscalls for the tool.  The core's VG_(do_syscall) is
 * exported by libcoregrind but not declared in the pub_tool headers, so we
 * declare it here with its real prototype (pub_core_syscall.h). */
#include "ct_tool.h"
#include "pub_tool_vkiscnums.h"

extern SysRes VG_(do_syscall)(UWord sysno, RegWord a1, RegWord a2, RegWord a3,
                              RegWord a4, RegWord a5, RegWord a6,
                              RegWord a7, RegWord a8);

SysRes ct_syscall(UWord nr, UWord a1, UWord a2, UWord a3, UWord a4, UWord a5, UWord a6)
{
    return VG_(do_syscall)(nr, a1, a2, a3, a4, a5, a6, 0, 0);
}

ULong ct_now_ns(void)
{
    struct { Long sec, nsec; } ts = { 0, 0 };
    ct_syscall(__NR_clock_gettime, 0 /* CLOCK_REALTIME */, (UWord)&ts, 0, 0, 0, 0);
    return (ULong)ts.sec * 1000000000ULL + (ULong)ts.nsec;
}

void *ct_grow(void *v, Int *n, Int need, SizeT elem, const HChar *cc)
{
    if (need < *n) return v;
    Int m = *n ? *n : 64;
    while (m <= need) m *= 2;
    v = VG_(realloc)(cc, v, (SizeT)m * elem);
    VG_(memset)((UChar *)v + (SizeT)*n * elem, 0, (SizeT)(m - *n) * elem);
    *n = m;
    return v;
}

/* The core's VG_(safe_fd) asserts when Valgrind's dozen reserved fds are
 * used up; ours says so instead (-1, fd closed), and the caller goes on
 * without the feature. */
extern Int VG_(fd_hard_limit);
Int ct_safe_fd(Int fd)
{
    SysRes r = ct_syscall(__NR_fcntl, (UWord)fd, 1030 /* F_DUPFD_CLOEXEC */, (UWord)VG_(fd_hard_limit), 0, 0, 0);
    ct_syscall(__NR_close, (UWord)fd, 0, 0, 0, 0, 0);
    return sr_isError(r) ? -1 : (Int)sr_Res(r);
}
