/* ct_shadow.c — shadow memory (see ct_shadow.h for the layout). */
#include "ct_shadow.h"
#include "pub_tool_aspacemgr.h"

sh_sec *sh_l1[1 << 16];
static ULong sh_nsec;

UInt *sh_sec_make(Addr a)
{
    if (a >> 48) return NULL;
    sh_sec *l2 = sh_l1[a >> 32];
    if (!l2) {
        /* 512 KB of pointers; mmap'd memory comes zeroed. */
        l2 = VG_(am_shadow_alloc)(sizeof(sh_sec) << 16);
        if (!l2) VG_(out_of_memory_NORETURN)("crosstag: shadow L2", sizeof(sh_sec) << 16);
        sh_l1[a >> 32] = l2;
    }
    UWord i = (a >> SH_SEC_BITS) & 0xffff;
    if (!l2[i]) {
        l2[i] = VG_(am_shadow_alloc)(SH_SEC_SIZE * sizeof(UInt));
        if (!l2[i]) VG_(out_of_memory_NORETURN)("crosstag: shadow memory", SH_SEC_SIZE * sizeof(UInt));
        sh_nsec++;
    }
    return l2[i];
}

void sh_set(Addr a, UInt id)
{
    UInt *s = id ? sh_sec_make(a) : sh_sec_of(a);
    if (s) s[a & SH_SEC_MASK] = id;
}

/* All range walkers go secondary by secondary: the bytes of [a, a+n) that
 * fall in one secondary are contiguous ids. */
#define SH_STEP(a, n) \
    ({ SizeT _room = SH_SEC_SIZE - ((a) & SH_SEC_MASK); _room < (n) ? _room : (n); })

void sh_get_range(Addr a, SizeT n, UInt *out)
{
    while (n) {
        SizeT k = SH_STEP(a, n);
        UInt *s = sh_sec_of(a);
        if (s) VG_(memcpy)(out, s + (a & SH_SEC_MASK), k * sizeof(UInt));
        else   VG_(memset)(out, 0, k * sizeof(UInt));
        a += k; n -= k; out += k;
    }
}

void sh_put_range(Addr a, SizeT n, const UInt *ids)
{
    while (n) {
        SizeT k = SH_STEP(a, n), j;
        UInt *s = sh_sec_of(a);
        if (!s) {
            for (j = 0; j < k && ids[j] == 0; j++) ;
            if (j < k) s = sh_sec_make(a);
        }
        if (s) VG_(memcpy)(s + (a & SH_SEC_MASK), ids, k * sizeof(UInt));
        a += k; n -= k; ids += k;
    }
}

void sh_fill(Addr a, SizeT n, UInt id)
{
    while (n) {
        SizeT k = SH_STEP(a, n), j;
        UInt *s = id ? sh_sec_make(a) : sh_sec_of(a);
        if (s) {
            UInt *p = s + (a & SH_SEC_MASK);
            if (id == 0) VG_(memset)(p, 0, k * sizeof(UInt));
            else for (j = 0; j < k; j++) p[j] = id;
        }
        a += k; n -= k;
    }
}

void sh_linear(Addr a, SizeT n, UInt base)
{
    while (n) {
        SizeT k = SH_STEP(a, n), j;
        UInt *s = sh_sec_make(a);
        if (s) {
            UInt *p = s + (a & SH_SEC_MASK);
            for (j = 0; j < k; j++) p[j] = base + (UInt)j;
        }
        a += k; n -= k; base += (UInt)k;
    }
}

void sh_copy(Addr from, Addr to, SizeT n)
{
    /* Through a bounce buffer so overlapping ranges behave like memmove. */
    UInt buf[4096];
    if (to > from && to < from + n) {
        while (n) {
            SizeT k = n < 4096 ? n : 4096;
            sh_get_range(from + n - k, k, buf);
            sh_put_range(to + n - k, k, buf);
            n -= k;
        }
    } else {
        while (n) {
            SizeT k = n < 4096 ? n : 4096;
            sh_get_range(from, k, buf);
            sh_put_range(to, k, buf);
            from += k; to += k; n -= k;
        }
    }
}

Bool sh_any(Addr a, SizeT n)
{
    while (n) {
        SizeT k = SH_STEP(a, n), j;
        UInt *s = sh_sec_of(a);
        if (s) {
            UInt *p = s + (a & SH_SEC_MASK);
            for (j = 0; j < k; j++) if (p[j]) return True;
        }
        a += k; n -= k;
    }
    return False;
}

void sh_foreach_sec(void (*fn)(UInt *ids, SizeT n, void *ctx), void *ctx)
{
    for (UWord i = 0; i < (1 << 16); i++) {
        sh_sec *l2 = sh_l1[i];
        if (!l2) continue;
        for (UWord j = 0; j < (1 << 16); j++)
            if (l2[j]) fn(l2[j], SH_SEC_SIZE, ctx);
    }
}

ULong sh_bytes_allocated(void) { return sh_nsec * SH_SEC_SIZE * sizeof(UInt); }
