/* ct_copy_replace.c — glibc's memcpy/memmove/mempcpy and memset, replaced
 * inside the tracked program (Valgrind loads vgpreload_crosstag-*.so into
 * it and redirects calls, as memcheck's preload does for its own reasons).
 *
 * Why: a copy is the commonest data flow there is, and its exact effect on
 * labels is known: byte i of dst gets byte i of src's labels.  Followed
 * instruction by instruction (glibc's vector loops) it costs a shadow load
 * and store per 32 bytes, about 3 ns a byte; done by the engine as one
 * bulk move of bytes and labels it costs a fraction of that (dd/curl's
 * stdio buffers, gzip's window slides).  Short calls stay here, in as few
 * loads and stores as glibc makes (a request's trip through Valgrind's
 * scheduler costs more than their shadow work; calling glibc's own
 * function from a wrapper costs more still).  The result is byte for byte
 * what glibc's copy gives, labels included.  memset likewise: every byte
 * written gets the fill byte's labels (none for a constant, which is
 * nearly always). */
#include "pub_tool_basics.h"
#include "pub_tool_redir.h"
#include "../common/ct_clreq.h"
#include <emmintrin.h>

typedef unsigned long size_t_;
typedef __m128i v16;

#define LD16(p) _mm_loadu_si128((const v16 *)(const void *)(p))
#define ST16(p, v) _mm_storeu_si128((v16 *)(void *)(p), (v))

/* memmove of n < 2 * CT_REQ_MEMMOVE_MIN bytes as glibc does short ones:
 * every load before any store, in overlapping 16-byte pieces from both
 * ends, so overlap in either direction is safe.  Larger n loops 64 bytes
 * at a time away from the overlap. */
static inline __attribute__((always_inline)) void move_here(unsigned char *d, const unsigned char *s, size_t_ n)
{
    if (n >= 16) {
        if (n <= 32) {
            v16 a = LD16(s), b = LD16(s + n - 16);
            ST16(d, a); ST16(d + n - 16, b);
        } else if (n <= 64) {
            v16 a = LD16(s), b = LD16(s + 16), c = LD16(s + n - 32), e = LD16(s + n - 16);
            ST16(d, a); ST16(d + 16, b); ST16(d + n - 32, c); ST16(d + n - 16, e);
        } else if (d <= s || d >= s + n) {
            /* forward: the last 64 bytes loaded first, so an overlapping
             * tail is read before the loop overwrites it */
            v16 t0 = LD16(s + n - 64), t1 = LD16(s + n - 48), t2 = LD16(s + n - 32), t3 = LD16(s + n - 16);
            size_t_ i = 0;
            for (; i + 64 < n; i += 64) {
                v16 a = LD16(s + i), b = LD16(s + i + 16), c = LD16(s + i + 32), e = LD16(s + i + 48);
                ST16(d + i, a); ST16(d + i + 16, b); ST16(d + i + 32, c); ST16(d + i + 48, e);
            }
            ST16(d + n - 64, t0); ST16(d + n - 48, t1); ST16(d + n - 32, t2); ST16(d + n - 16, t3);
        } else {
            /* backward, the mirror image */
            v16 h0 = LD16(s), h1 = LD16(s + 16), h2 = LD16(s + 32), h3 = LD16(s + 48);
            size_t_ i = n;
            for (; i > 64; i -= 64) {
                v16 a = LD16(s + i - 64), b = LD16(s + i - 48), c = LD16(s + i - 32), e = LD16(s + i - 16);
                ST16(d + i - 64, a); ST16(d + i - 48, b); ST16(d + i - 32, c); ST16(d + i - 16, e);
            }
            ST16(d, h0); ST16(d + 16, h1); ST16(d + 32, h2); ST16(d + 48, h3);
        }
    } else if (n >= 8) {
        unsigned long a = *(const unsigned long __attribute__((may_alias, aligned(1))) *)s;
        unsigned long b = *(const unsigned long __attribute__((may_alias, aligned(1))) *)(s + n - 8);
        *(unsigned long __attribute__((may_alias, aligned(1))) *)d = a;
        *(unsigned long __attribute__((may_alias, aligned(1))) *)(d + n - 8) = b;
    } else if (n >= 4) {
        unsigned a = *(const unsigned __attribute__((may_alias, aligned(1))) *)s;
        unsigned b = *(const unsigned __attribute__((may_alias, aligned(1))) *)(s + n - 4);
        *(unsigned __attribute__((may_alias, aligned(1))) *)d = a;
        *(unsigned __attribute__((may_alias, aligned(1))) *)(d + n - 4) = b;
    } else if (n) {
        unsigned char a = s[0], b = s[n / 2], c = s[n - 1];
        d[0] = a; d[n / 2] = b; d[n - 1] = c;
    }
}

static inline __attribute__((always_inline)) void do_move(void *dst, const void *src, size_t_ n)
{
    if (n >= CT_REQ_MEMMOVE_MIN &&
        VALGRIND_DO_CLIENT_REQUEST_EXPR(0, CT_REQ_MEMMOVE, dst, src, n, 0, 0) == 1)
        return;
    move_here(dst, src, n);
}

static inline __attribute__((always_inline)) void do_set(void *dst, int c, size_t_ n)
{
    volatile unsigned char fill = (unsigned char)c;   /* its labels travel with it */
    if (n >= CT_REQ_MEMSET_MIN &&
        VALGRIND_DO_CLIENT_REQUEST_EXPR(0, CT_REQ_MEMSET, dst, &fill, n, 0, 0) == 1)
        return;
    unsigned char *d = dst, f = fill;
    if (n >= 16) {
        v16 v = _mm_set1_epi8((char)f);
        for (size_t_ i = 0; i + 16 < n; i += 16) ST16(d + i, v);
        ST16(d + n - 16, v);
    } else {
        for (size_t_ i = 0; i < n; i++) d[i] = f;
    }
}

#define MOVE(soname, fn) \
    void *VG_REPLACE_FUNCTION_EZU(20181, soname, fn)(void *dst, const void *src, size_t_ n); \
    void *VG_REPLACE_FUNCTION_EZU(20181, soname, fn)(void *dst, const void *src, size_t_ n) \
    { do_move(dst, src, n); return dst; }
#define PMOVE(soname, fn) \
    void *VG_REPLACE_FUNCTION_EZU(20290, soname, fn)(void *dst, const void *src, size_t_ n); \
    void *VG_REPLACE_FUNCTION_EZU(20290, soname, fn)(void *dst, const void *src, size_t_ n) \
    { do_move(dst, src, n); return (char *)dst + n; }
#define SET(soname, fn) \
    void *VG_REPLACE_FUNCTION_EZU(20210, soname, fn)(void *dst, int c, size_t_ n); \
    void *VG_REPLACE_FUNCTION_EZU(20210, soname, fn)(void *dst, int c, size_t_ n) \
    { do_set(dst, c, n); return dst; }

#define LIBC VG_Z_LIBC_SONAME

/* memcpy and memmove (glibc's variants are one code with two names): the
 * public names and the implementations glibc's ifuncs pick, by name, which
 * internal calls (stdio copying into its buffers) reach directly */
MOVE(LIBC, memcpy)
MOVE(LIBC, memmove)
MOVE(LIBC, __GI_memcpy)
MOVE(LIBC, __GI_memmove)
MOVE(LIBC, __libc_memmove)
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

/* mempcpy: returns dst + n */
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

/* memset */
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
