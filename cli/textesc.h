/* textesc.h — printable forms of raw names (object names and argv are raw
 * bytes: any byte but NUL, not necessarily UTF-8). */
#ifndef CT_TEXTESC_H
#define CT_TEXTESC_H

#include <stddef.h>

enum esc_style {
    ESC_JSON,   /* valid UTF-8 kept; each invalid byte becomes the 4 chars \xHH */
    ESC_HUMAN,  /* also control characters (newline...) and '\' itself escaped */
};

/* A NUL-terminated malloc'd copy of s[0..n) in that style; NULL when out of memory. */
char *esc_bytes(const unsigned char *s, size_t n, enum esc_style style);

#endif
