/* simdcopy IN OUT — copies IN to OUT through SSE2 and AVX2 unaligned
 * loads and stores: the first half in 16-byte SSE2 moves (plus one 8-byte
 * movq), the second half in 32-byte AVX2 moves (SSE2 when the CPU has no
 * AVX2), the rest byte by byte.  Source and destination buffers are
 * deliberately misaligned (offsets 1 and 3).
 * Mapping: OUT[0,n) <- IN[0,n) aligned (one merged row). */
#include "progs.h"
#include <immintrin.h>

static size_t copy_sse2(unsigned char *dst, const unsigned char *src, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        _mm_storeu_si128((__m128i *)(void *)(dst + i), v);
    }
    if (i + 8 <= n) {
        __m128i v = _mm_loadl_epi64((const __m128i *)(const void *)(src + i));
        _mm_storel_epi64((__m128i *)(void *)(dst + i), v);
        i += 8;
    }
    return i;
}

__attribute__((target("avx2")))
static size_t copy_avx2(unsigned char *dst, const unsigned char *src, size_t n)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(src + i));
        _mm256_storeu_si256((__m256i *)(void *)(dst + i), v);
    }
    return i;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        usage("IN OUT");
    int in = open_in(argv[1]);
    struct stat st;
    if (fstat(in, &st) != 0)
        die("fstat");
    size_t n = (size_t)st.st_size;
    unsigned char *srcbuf = malloc(n + 64), *dstbuf = malloc(n + 64);
    if (!srcbuf || !dstbuf)
        die("malloc");
    unsigned char *src = srcbuf + 1, *dst = dstbuf + 3;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(in, src + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            die("read");
        got += (size_t)r;
    }
    size_t half = n / 2;
    size_t done = copy_sse2(dst, src, half);
    for (; done < half; done++)
        dst[done] = src[done];
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2"))
        done += copy_avx2(dst + done, src + done, n - done);
    else
        done += copy_sse2(dst + done, src + done, n - done);
    for (; done < n; done++) {
        dst[done] = src[done];
        CT_SCALAR_BARRIER();
    }
    int out = open_out(argv[2]);
    write_all(out, dst, n);
    close_out(out);
    free(srcbuf);
    free(dstbuf);
    return 0;
}
