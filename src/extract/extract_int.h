/* extract_int.h: helpers shared by charset.c, prefilter.c and html_text.c.
 * Private to src/extract/. All of them scan raw bytes without allocating. */
#ifndef EXTRACT_INT_H
#define EXTRACT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_buf.h"

static inline uint8_t extract_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* First occurrence of the lower-case ASCII needle (n bytes) in s[0..len), ignoring
 * ASCII case. @return offset, or len when absent. */
size_t extract_find_ci(const uint8_t *s, size_t len, const char *needle, size_t n);

/* True when s[0..n) equals the lower-case ASCII word w ignoring case. */
bool extract_eq_ci(const uint8_t *s, size_t n, const char *w);

/* A charset label found in a document: points into the scanned bytes. */
typedef struct {
    const uint8_t *label;
    size_t         len;
} ExtractLabel;

/* The charset label in a Content-Type value ("text/html; charset=Shift_JIS"),
 * quotes stripped. @return false when there is none. */
bool extract_content_type_charset(const char *content_type, ExtractLabel *out);

/* The first charset declared by the document itself within s[0..len): an XML
 * declaration's encoding="...", <meta charset=...> or <meta http-equiv=
 * "Content-Type" content="...; charset=...">. Comments are skipped.
 * @return false when there is none. */
bool extract_meta_charset(const uint8_t *s, size_t len, ExtractLabel *out);

/* Finds attribute name (lower-case) in the tag whose attributes start at s and
 * run to the closing '>' (or len). @return true and the value (unquoted). */
bool extract_tag_attr(const uint8_t *s, size_t len, const char *name, ExtractLabel *out);

/* Appends in to out as valid UTF-8: each ill-formed subpart becomes U+FFFD, NUL
 * bytes are dropped. Adds to *n_replaced (may be NULL) the replacements made
 * plus the U+FFFD already present. @return JF_OK, JF_ETOOBIG, JF_ENOMEM. */
/* True when s is valid UTF-8 holding no NUL byte. */
bool extract_utf8_is_clean(const uint8_t *s, size_t len);

JfStatus extract_utf8_sanitize(const uint8_t *in, size_t len, JfBuf *out, size_t *n_replaced);

#endif
