/* ct_copy_replace.c — glibc's memcpy/memmove/mempcpy and memset, replaced inside the
 * tracked program (Valgrind loads vgpreload_crosstag-*.so into it and
 * redirects calls, as memcheck's preload does for its own reasons).
 *
 * Why: a copy is the commonest data flow there is, and its exact effect on
 * labels is known: byte i of dst gets byte i of src's labels.  Followed
 * instruction by instruction (glibc's vector loops) it costs a shadow load
 * and store per 32 bytes, about 3 ns a byte; done by the engine as one
 * bulk move of bytes and labels it costs a fraction of that (dd/curl's
 * stdio buffers, sort's line moves, gzip's window slides).  Short copies
 * stay here: the request's trip through the scheduler costs more.  The
 * result is byte for byte what glibc's copy gives, labels included.
 * memset likewise: every byte written gets the fill byte's labels (none
 * for a constant, which is nearly always). */
#include "pub_tool_basics.h"
#include "pub_tool_redir.h"
#include "../common/ct_clreq.h"

typedef unsigned long size_t_;

/* memmove semantics, a word at a time where both ends line up */
static void copy_here(unsigned char *d, const unsigned char *s, size_t_ n)
{
    if (d == s || n == 0) return;
    if (d < s || d >= s + n) {
        if ((((unsigned long)d | (unsigned long)s) & 7) == 0)
            for (; n >= 8; n -= 8, d += 8, s += 8) *(unsigned long *)d = *(const unsigned long *)s;
        for (; n; n--) *d++ = *s++;
    } else {
        d += n; s += n;
        if ((((unsigned long)d | (unsigned long)s) & 7) == 0)
            for (; n >= 8; n -= 8) { d -= 8; s -= 8; *(unsigned long *)d = *(const unsigned long *)s; }
        while (n--) *--d = *--s;
    }
}

static void do_move(void *dst, const void *src, size_t_ n)
{
    if (n >= CT_REQ_MEMMOVE_MIN &&
        VALGRIND_DO_CLIENT_REQUEST_EXPR(0, CT_REQ_MEMMOVE, dst, src, n, 0, 0) == 1)
        return;
    copy_here(dst, src, n);
}

static void do_set(void *dst, int c, size_t_ n)
{
    volatile unsigned char fill = (unsigned char)c;   /* its labels travel with it */
    if (n >= CT_REQ_MEMSET_MIN &&
        VALGRIND_DO_CLIENT_REQUEST_EXPR(0, CT_REQ_MEMSET, dst, &fill, n, 0, 0) == 1)
        return;
    unsigned char *d = dst;
    for (; n && ((unsigned long)d & 7); n--) *d++ = fill;
    if (n >= 8) {
        unsigned long w = fill * 0x0101010101010101UL;
        for (; n >= 8; n -= 8, d += 8) *(unsigned long *)d = w;
    }
    for (; n; n--) *d++ = fill;
}

/* memcpy and memmove (glibc's variants are one code with two names) */
#define MOVE(soname, fn) \
    void *VG_REPLACE_FUNCTION_EZU(20181, soname, fn)(void *dst, const void *src, size_t_ n); \
    void *VG_REPLACE_FUNCTION_EZU(20181, soname, fn)(void *dst, const void *src, size_t_ n) \
    { do_move(dst, src, n); return dst; }
#define PMOVE(soname, fn) \
    void *VG_REPLACE_FUNCTION_EZU(20290, soname, fn)(void *dst, const void *src, size_t_ n); \
    void *VG_REPLACE_FUNCTION_EZU(20290, soname, fn)(void *dst, const void *src, size_t_ n) \
    { do_move(dst, src, n); return (char *)dst + n; }

#define LIBC VG_Z_LIBC_SONAME
MOVE(LIBC, memcpy)
MOVE(LIBC, memmove)
MOVE(LIBC, __GI_memcpy)
MOVE(LIBC, __GI_memmove)
MOVE(LIBC, __libc_memmove)
/* the implementations glibc's ifuncs pick, by name: internal calls (stdio
 * copying into its buffers) reach them without the public symbol */
MOVE(LIBC, __memmove_avx_unaligned)
MOVE(LIBC, __memmove_avx_unaligned_erms)
MOVE(LIBC, __memmove_avx_unaligned_rtm)
MOVE(LIBC, __memmove_avx_unaligned_erms_rtm)
MOVE(LIBC, __memmove_evex_unaligned)
MOVE(LIBC, __memmove_evex_unaligned_erms)
MOVE(LIBC, __memmove_avx512_unaligned)
MOVE(LIBC, __memmove_avx512_unaligned_erms)
MOVE(LIBC, __memmove_avx512_no_vzeroupper)
MOVE(LIBC, __memmove_sse2_unaligned)
MOVE(LIBC, __memmove_sse2_unaligned_erms)
MOVE(LIBC, __memmove_ssse3)
MOVE(LIBC, __memmove_erms)
MOVE(LIBC, __memcpy_avx_unaligned)
MOVE(LIBC, __memcpy_avx_unaligned_erms)
MOVE(LIBC, __memcpy_avx_unaligned_rtm)
MOVE(LIBC, __memcpy_avx_unaligned_erms_rtm)
MOVE(LIBC, __memcpy_evex_unaligned)
MOVE(LIBC, __memcpy_evex_unaligned_erms)
MOVE(LIBC, __memcpy_avx512_unaligned)
MOVE(LIBC, __memcpy_avx512_unaligned_erms)
MOVE(LIBC, __memcpy_avx512_no_vzeroupper)
MOVE(LIBC, __memcpy_sse2_unaligned)
MOVE(LIBC, __memcpy_sse2_unaligned_erms)
MOVE(LIBC, __memcpy_ssse3)
MOVE(LIBC, __memcpy_erms)
PMOVE(LIBC, mempcpy)
PMOVE(LIBC, __mempcpy)
PMOVE(LIBC, __GI_mempcpy)
PMOVE(LIBC, __GI___mempcpy)
PMOVE(LIBC, __mempcpy_avx_unaligned)
PMOVE(LIBC, __mempcpy_avx_unaligned_erms)
PMOVE(LIBC, __mempcpy_avx_unaligned_rtm)
PMOVE(LIBC, __mempcpy_avx_unaligned_erms_rtm)
PMOVE(LIBC, __mempcpy_evex_unaligned)
PMOVE(LIBC, __mempcpy_evex_unaligned_erms)
PMOVE(LIBC, __mempcpy_avx512_unaligned)
PMOVE(LIBC, __mempcpy_avx512_unaligned_erms)
PMOVE(LIBC, __mempcpy_avx512_no_vzeroupper)
PMOVE(LIBC, __mempcpy_sse2_unaligned)
PMOVE(LIBC, __mempcpy_sse2_unaligned_erms)
PMOVE(LIBC, __mempcpy_ssse3)
PMOVE(LIBC, __mempcpy_erms)

#define SET(soname, fn) \
    void *VG_REPLACE_FUNCTION_EZU(20210, soname, fn)(void *dst, int c, size_t_ n); \
    void *VG_REPLACE_FUNCTION_EZU(20210, soname, fn)(void *dst, int c, size_t_ n) \
    { do_set(dst, c, n); return dst; }
SET(LIBC, memset)
SET(LIBC, __GI_memset)
SET(LIBC, __memset_avx2_unaligned)
SET(LIBC, __memset_avx2_unaligned_erms)
SET(LIBC, __memset_avx2_unaligned_rtm)
SET(LIBC, __memset_avx2_unaligned_erms_rtm)
SET(LIBC, __memset_evex_unaligned)
SET(LIBC, __memset_evex_unaligned_erms)
SET(LIBC, __memset_avx512_unaligned)
SET(LIBC, __memset_avx512_unaligned_erms)
SET(LIBC, __memset_avx512_no_vzeroupper)
SET(LIBC, __memset_sse2_unaligned)
SET(LIBC, __memset_sse2_unaligned_erms)
SET(LIBC, __memset_erms)
