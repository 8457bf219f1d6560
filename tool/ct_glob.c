/* ct_glob.c — shell-style globs for --ct-source / --ct-no-source.
 * A star matches any run of bytes, slashes included, so "/data/STAR" covers a whole tree. */
#include "ct_objects.h"

static Bool class_match(const HChar **pp, HChar c)
{
    const HChar *p = *pp + 1;               /* after '[' */
    Bool neg = False, hit = False;
    if (*p == '!' || *p == '^') { neg = True; p++; }
    Bool first = True;
    for (; *p && (first || *p != ']'); p++, first = False) {
        if (p[1] == '-' && p[2] && p[2] != ']') {
            if ((UChar)c >= (UChar)p[0] && (UChar)c <= (UChar)p[2]) hit = True;
            p += 2;
        } else if (*p == c) {
            hit = True;
        }
    }
    if (*p != ']') return c == '[';          /* unterminated: a literal '[' */
    *pp = p;                                  /* on the ']' */
    return hit != neg;
}

Bool ct_glob_match(const HChar *pat, const HChar *s)
{
    const HChar *star = NULL, *star_s = NULL;
    while (*s) {
        if (*pat == '*') { star = ++pat; star_s = s; continue; }
        if (*pat == '?' || (*pat != '[' && *pat == *s)) { pat++; s++; continue; }
        if (*pat == '[') {
            const HChar *p = pat;
            if (class_match(&p, *s)) { pat = p + (*p == ']' ? 1 : 1); s++; continue; }
        }
        if (!star) return False;             /* backtrack: let the last * eat one more */
        pat = star;
        s = ++star_s;
    }
    while (*pat == '*') pat++;
    return *pat == 0;
}
