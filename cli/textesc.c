/* textesc.c — see textesc.h. */
#include <stdio.h>
#include <stdlib.h>

#include "textesc.h"

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 when s[0] starts none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;     /* bounds of the second byte */
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0) lo = 0xa0;           /* overlong */
        if (c == 0xed) hi = 0x9f;           /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0) lo = 0x90;           /* overlong */
        if (c == 0xf4) hi = 0x8f;           /* above U+10FFFF */
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

/* Characters a terminal would act on: C0, DEL, and C1 (U+0080..U+009F). */
static int is_control(const unsigned char *s, size_t len)
{
    if (len == 1)
        return s[0] < 0x20 || s[0] == 0x7f;
    return len == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

char *esc_bytes(const unsigned char *s, size_t n, enum esc_style style)
{
    /* worst case: every byte becomes 4 characters */
    if (n > ((size_t)-1 - 1) / 4)
        return NULL;
    char *out = malloc(4 * n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t len = s[i] ? utf8_len(s + i, n - i) : 0;   /* NUL: never raw in a C string */
        int esc = len == 0 || (style == ESC_HUMAN && is_control(s + i, len));
        if (len == 0)
            len = 1;
        if (esc) {
            for (size_t k = 0; k < len; k++)
                o += sprintf(o, "\\x%02x", s[i + k]);
        } else if (style == ESC_HUMAN && s[i] == '\\') {
            *o++ = '\\';
            *o++ = '\\';
        } else {
            for (size_t k = 0; k < len; k++)
                *o++ = (char)s[i + k];
        }
        i += len;
    }
    *o = '\0';
    return out;
}
