/* ct_clreq.c — requests from the preload library that runs inside the
 * tracked program (preload/ct_copy_replace.c, common/ct_clreq.h). */
#include "ct_tool.h"
#include "ct_shadow.h"
#include "ct_clreq_tool.h"
#include "../common/ct_clreq.h"
#include "pub_tool_aspacemgr.h"
#include "pub_tool_vki.h"

/* memmove for the program's memory, done by the tool: forward
 * (ct_copy_fwd), backward a word at a time when dst overlaps src from above. */
static void move_bytes(UChar *d, const UChar *s, SizeT n)
{
    if (d <= s || d >= s + n) {
        ct_copy_fwd(d, s, n);
        return;
    }
    d += n; s += n;
    /* through a register: the two may be closer than 8 bytes */
    for (; n >= 8; n -= 8) { ULong w; d -= 8; s -= 8; VG_(memcpy)(&w, s, 8); VG_(memcpy)(d, &w, 8); }
    while (n--) *--d = *--s;
}

/* Some byte of [a, a+n) lies in a file mapping (or in no segment).  A
 * file mapping's pages past the end of its file fault with SIGBUS, and the
 * file may shrink at any moment: the tool must never touch them itself (a
 * fault inside the tool stops Valgrind), so such copies stay the program's
 * own loop, which meets the fault the original would. */
static Bool file_backed(Addr a, SizeT n)
{
    for (Addr x = a, e = a + n; x < e; ) {
        NSegment const *seg = VG_(am_find_nsegment)(x);
        if (!seg || seg->kind == SkFileC) return True;
        x = seg->end + 1;
        if (x == 0) break;
    }
    return False;
}

Bool ct_client_request(ThreadId tid, UWord *arg, UWord *ret)
{
    (void)tid;
    if (!VG_IS_TOOL_USERREQ('X', 'T', arg[0])) return False;
    switch (arg[0]) {
    case CT_REQ_MEMMOVE: {
        Addr d = arg[1], s = arg[2];
        SizeT n = arg[3];
        *ret = 0;
        /* Only memory the program may read (and write) as it is: anything
         * else the program copies itself and meets the fault it would. */
        if (n == 0 || d + n < d || s + n < s ||
            !VG_(am_is_valid_for_client)(s, n, VKI_PROT_READ) ||
            !VG_(am_is_valid_for_client)(d, n, VKI_PROT_READ | VKI_PROT_WRITE) ||
            file_backed(s, n) || file_backed(d, n))
            return True;
        move_bytes((UChar *)d, (const UChar *)s, n);
        sh_copy(s, d, n);           /* byte i of dst gets byte i of src's labels */
        *ret = 1;
        return True;
    }
    case CT_REQ_MEMSET: {
        Addr d = arg[1], cp = arg[2];
        SizeT n = arg[3];
        *ret = 0;
        if (n == 0 || d + n < d ||
            !VG_(am_is_valid_for_client)(cp, 1, VKI_PROT_READ) ||
            !VG_(am_is_valid_for_client)(d, n, VKI_PROT_READ | VKI_PROT_WRITE) ||
            file_backed(cp, 1) || file_backed(d, n))
            return True;
        UChar c = *(const UChar *)cp;
        UInt id = sh_get(cp);       /* the fill byte's labels, usually none */
        UChar *p = (UChar *)d;
        __asm__ volatile("rep stosb" : "+D"(p), "+c"(n) : "a"(c) : "memory");
        sh_fill(d, arg[3], id);     /* id 0 clears only where labels were */
        *ret = 1;
        return True;
    }
    default:
        return False;
    }
}
