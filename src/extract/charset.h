/* charset.h: finds the character set of a fetched page and converts its bytes
 * to UTF-8 with ICU. Does not parse HTML beyond looking for <meta charset> in
 * the first few KB, and does not decide the language (see prefilter.h and
 * normalize/).
 *
 * Detection order:
 *   1. charset= in the HTTP Content-Type header
 *   2. a byte order mark (UTF-8, UTF-16LE/BE)
 *   3. <meta charset=...> or <meta http-equiv="Content-Type" content="...charset=...">
 *      in the first CHARSET_META_SCAN bytes
 *   4. detection, when nothing is declared, the label is unknown, or the
 *      declaration is wrong (declared UTF-8 but the bytes are not valid UTF-8;
 *      declared Shift_JIS/EUC-JP/... but the bytes do not decode cleanly;
 *      declared ISO-8859-1 but the bytes are Japanese): ASCII or valid UTF-8
 *      is UTF-8; else bytes that decode cleanly as EUC-JP or CP932 into text
 *      with kana are that (a fast path: ucsdet costs ~5 ms on a 30 KB page);
 *      else ICU ucsdet (input filter on, so markup does not vote)
 *   5. "UTF-8" as the default when detection has no answer.
 * A declaration that validates gets confidence 100.
 *
 * Shift_JIS, x-sjis, MS_Kanji, cp932, windows-31j and their aliases all decode
 * as Windows-31J (ICU "ibm-943_P15A-2003"): 0x8160 becomes U+FF5E (～) and the
 * NEC/IBM extensions survive (①, ㈱, ...), as browsers do. ASCII and
 * ISO-8859-1 labels decode as windows-1252 (the WHATWG rule). */
#ifndef CHARSET_H
#define CHARSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_buf.h"
#include "jf_error.h"

/* Bytes of the body searched for <meta charset> (browsers use 1024; real
 * Japanese pages put long <head>s first, so we look further). */
#define CHARSET_META_SCAN 4096
/* Bytes of the body handed to ucsdet and to declaration validation. */
#define CHARSET_DETECT_SCAN 65536

/* The Windows-31J converter ICU name (what every Shift_JIS label maps to). */
#define CHARSET_ICU_CP932 "ibm-943_P15A-2003"

typedef struct {
    char        name[40];    /* ICU converter name actually used: "UTF-8", "ibm-943_P15A-2003"
                                (Windows-31J), "EUC-JP", "ISO-2022-JP", "windows-1252", ... */
    const char *source;      /* static string: "http", "bom", "meta", "detected", "default" */
    int         confidence;  /* 0..100 (100 for a declaration that validated) */
} CharsetGuess;

/* Decides the charset of body (len bytes); http_content_type is the raw
 * Content-Type header value or NULL. Looks at no more than CHARSET_DETECT_SCAN
 * bytes of body.
 * @return JF_OK (out filled; always some answer, "UTF-8"/"default" at worst),
 *         JF_ENOMEM, or JF_ECHARSET when ICU itself fails. */
JfStatus charset_detect(const uint8_t *body, size_t len, const char *http_content_type,
                        CharsetGuess *out, JfError *err);

/* Converts in (len bytes, charset icu_name) to UTF-8 appended to out. A BOM of
 * the input charset is dropped; invalid sequences become U+FFFD and are counted,
 * together with U+FFFD already in the input, in *n_replaced (may be NULL).
 * @return JF_OK, JF_ETOOBIG (out's limit), JF_ENOMEM, or JF_ECHARSET (unknown
 *         converter name; out is unchanged). */
JfStatus charset_to_utf8(const char *icu_name, const uint8_t *in, size_t len, JfBuf *out,
                         size_t *n_replaced, JfError *err);

/* Maps a charset label (HTTP or <meta>, any case, surrounding space or quotes
 * allowed) to the ICU converter name we use for it, into name (cap bytes).
 * @return true when the label is known. */
bool charset_label_to_icu(const char *label, size_t label_len, char *name, size_t cap);

/* True when s (len bytes) is entirely valid UTF-8 (no overlongs, no surrogates).
 * A multi-byte sequence cut at the very end counts as valid when allow_cut. */
bool charset_is_valid_utf8(const uint8_t *s, size_t len, bool allow_cut);

/* True for ICU names of the Japanese charsets (CP932, Shift_JIS, EUC-JP, ISO-2022-JP). */
bool charset_is_japanese(const char *icu_name);

#endif
