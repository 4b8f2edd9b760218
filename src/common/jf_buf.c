/* jf_buf.c: growable byte buffer with a cap. */
#include "jf_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jf_alloc.h"

void jf_buf_init(JfBuf *b, size_t limit)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->limit = limit ? limit : SIZE_MAX / 2;
}

void jf_buf_free(JfBuf *b)
{
    jf_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void jf_buf_reset(JfBuf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

JfStatus jf_buf_reserve(JfBuf *b, size_t extra)
{
    if (extra > b->limit || b->len > b->limit - extra) return JF_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return JF_OK;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < need) ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    uint8_t *p = jf_realloc(b->data, ncap);
    if (!p) return JF_ENOMEM;
    b->data = p;
    b->cap = ncap;
    return JF_OK;
}

JfStatus jf_buf_append(JfBuf *b, const void *p, size_t n)
{
    JfStatus rc = jf_buf_reserve(b, n);
    if (rc != JF_OK) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return JF_OK;
}

JfStatus jf_buf_append_byte(JfBuf *b, uint8_t c) { return jf_buf_append(b, &c, 1); }
JfStatus jf_buf_append_str(JfBuf *b, const char *s) { return jf_buf_append(b, s, strlen(s)); }

JfStatus jf_buf_vprintf(JfBuf *b, const char *fmt, va_list ap)
{
    /* First into the room already there (one pass for most calls), then,
     * when the text is longer, again into a buffer grown to fit. */
    size_t room = b->cap - b->len;   /* 0 before the first allocation */
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(room ? (char *)b->data + b->len : NULL, room, fmt, ap);
    JfStatus rc = n < 0 ? JF_EINTERNAL : jf_buf_reserve(b, (size_t)n);
    if (rc == JF_OK && (size_t)n >= room)
        vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, again);
    va_end(again);
    if (rc == JF_OK) b->len += (size_t)n;
    if (b->data) b->data[b->len] = '\0';   /* a failed call may have written past len */
    return rc;
}

JfStatus jf_buf_printf(JfBuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    JfStatus rc = jf_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}
