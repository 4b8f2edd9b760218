/* normalize_int.h: private glue between the C parts of src/normalize and the
 * two small C++ shims (ICU's UTF-8 normalizer, CLD2). Never leaves this folder. */
#ifndef JF_NORMALIZE_INT_H
#define JF_NORMALIZE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <stdint.h>

/* common/ headers carry no extern "C" guards of their own. */
#ifdef __cplusplus
extern "C" {
#endif

#include "jf_buf.h"
#include "jf_error.h"
#include "normalize.h"

/* @return ICU's shared (static, thread-safe) Normalizer2 for form, or NULL
 * with err filled (JF_EINTERNAL) when ICU's data cannot be loaded. form must
 * be NORM_NFKC or NORM_NFC. */
const void *norm_icu_instance(NormForm form, JfError *err);

/* Appends the normalization of len bytes of valid UTF-8 to out, using
 * Normalizer2::normalizeUTF8 (no UTF-16 round trip). The input must be a
 * whole text or end at a normalization boundary.
 * @return JF_OK, JF_ETOOBIG/JF_ENOMEM (out), JF_EINTERNAL (ICU). */
JfStatus norm_icu_apply(const void *n2, const uint8_t *in, size_t len, JfBuf *out,
                        JfError *err);

/* CLD2 over len bytes of UTF-8 (interchange-valid is checked by CLD2; on
 * invalid input it looks only at the valid prefix). code receives the
 * language code ("en", "zh-Hant", "un" when unknown; at most cap-1 chars, ""
 * when it does not fit), percent its share of the text 0..100.
 * @return JF_OK or JF_EINTERNAL (an exception inside CLD2). */
JfStatus langid_cld2_detect(const char *utf8, size_t len, char *code, size_t cap,
                            int *percent, bool *reliable, JfError *err);

/* Value of *cp for an invalid sequence. */
#define UTF8_BAD 0xFFFFFFFFu

/* Decodes one code point at p (avail >= 1 bytes), strictly per Unicode
 * Table 3-7 (no overlongs, surrogates or values above U+10FFFF).
 * @return bytes consumed, at least 1: for invalid input the maximal subpart
 * (so one U+FFFD per subpart, as ICU and the WHATWG decoder do), with
 * *cp = UTF8_BAD. */
static inline size_t utf8_decode(const uint8_t *p, size_t avail, uint32_t *cp)
{
    uint8_t  b0 = p[0], lo = 0x80, hi = 0xBF;
    size_t   need;
    uint32_t c;

    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    if (b0 < 0xC2 || b0 > 0xF4) {
        *cp = UTF8_BAD;
        return 1;
    }
    if (b0 < 0xE0) {
        need = 2;
        c = b0 & 0x1Fu;
    } else if (b0 < 0xF0) {
        need = 3;
        c = b0 & 0x0Fu;
        if (b0 == 0xE0) lo = 0xA0;        /* overlong */
        else if (b0 == 0xED) hi = 0x9F;   /* surrogates */
    } else {
        need = 4;
        c = b0 & 0x07u;
        if (b0 == 0xF0) lo = 0x90;        /* overlong */
        else if (b0 == 0xF4) hi = 0x8F;   /* above U+10FFFF */
    }
    if (avail < 2 || p[1] < lo || p[1] > hi) {
        *cp = UTF8_BAD;
        return 1;
    }
    c = (c << 6) | (p[1] & 0x3Fu);
    for (size_t k = 2; k < need; k++) {
        if (k >= avail || (p[k] & 0xC0) != 0x80) {
            *cp = UTF8_BAD;
            return k;
        }
        c = (c << 6) | (p[k] & 0x3Fu);
    }
    *cp = c;
    return need;
}

/* What step 2-3 of normalize.h does with a code point. */
enum { CLEAN_KEEP = 0, CLEAN_DROP, CLEAN_NL, CLEAN_CR };

/* Actions of ASCII: drop C0 controls and DEL, keep \t and \n, VT and FF end a
 * line, CR is handled with a following LF. */
static const uint8_t CLEAN_ASCII[128] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 2, 2, 3, 1, 1,   /* 0x00 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,   /* 0x10 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0x20 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,   /* 0x70: DEL */
};

/* @return the CLEAN_* action for a valid code point c (the list in
 * normalize.h). Ordered so that the common CJK range exits early. */
static inline int clean_action(uint32_t c)
{
    if (c < 0x80) return CLEAN_ASCII[c];
    if (c < 0xA0) return c == 0x85 ? CLEAN_NL : CLEAN_DROP;          /* C1, NEL */
    if (c < 0x2000) return c == 0xAD ? CLEAN_DROP : CLEAN_KEEP;      /* soft hyphen */
    if (c < 0x2070) {
        if (c == 0x2028 || c == 0x2029) return CLEAN_NL;
        if (c == 0x200B || c == 0x200E || c == 0x200F || c == 0x2060) return CLEAN_DROP;
        if ((c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069)) return CLEAN_DROP;
        return CLEAN_KEEP;
    }
    if (c < 0xFDD0) return CLEAN_KEEP;
    if (c <= 0xFDEF || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB)) return CLEAN_DROP;
    if ((c & 0xFFFEu) == 0xFFFEu) return CLEAN_DROP;                 /* noncharacters */
    return CLEAN_KEEP;
}

#ifdef __cplusplus
}
#endif

#endif
