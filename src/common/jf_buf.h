/* jf_buf.h: a growable byte buffer with a hard cap, the one way jaforge grows
 * memory for input of unknown size (a record body, a document's text). Growth
 * past the cap returns JF_ETOOBIG instead of eating the machine. The buffer
 * keeps a NUL after its data so text can be passed to C string functions. */
#ifndef JF_BUF_H
#define JF_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"

typedef struct {
    uint8_t *data;   /* owned; NULL until the first append */
    size_t   len;
    size_t   cap;    /* allocated bytes (data[len] is always '\0' once allocated) */
    size_t   limit;  /* maximum len; 0 means SIZE_MAX/2 */
} JfBuf;

void     jf_buf_init(JfBuf *b, size_t limit);
void     jf_buf_free(JfBuf *b);
void     jf_buf_reset(JfBuf *b);            /* len = 0, memory kept */
/* @return JF_OK, JF_ETOOBIG (limit) or JF_ENOMEM; on error b is unchanged. */
JfStatus jf_buf_reserve(JfBuf *b, size_t extra);
JfStatus jf_buf_append(JfBuf *b, const void *p, size_t n);
JfStatus jf_buf_append_byte(JfBuf *b, uint8_t c);
JfStatus jf_buf_append_str(JfBuf *b, const char *s);
/* Appends printf-formatted text. @return JF_OK, JF_ETOOBIG, JF_ENOMEM or
 * JF_EINTERNAL (a format error); on error b's text is unchanged. */
JfStatus jf_buf_printf(JfBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
JfStatus jf_buf_vprintf(JfBuf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
