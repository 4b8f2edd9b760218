/* charset.c: charset labels, declaration scanning, validation, detection (ICU
 * ucsdet) and conversion to UTF-8 (ICU converters, with our own UTF-8 path).
 * See charset.h for the detection order. Does not parse HTML: <meta> is found
 * with a small tag scanner over the first CHARSET_META_SCAN bytes.
 *
 * A declaration is believed when the bytes agree with it ("plausible"):
 *   - UTF-8 and the multi-byte charsets: at most 1 bad sequence per 200 bytes
 *     scanned (real pages carry the odd broken byte; a wrong label gives many);
 *   - CP932 additionally: half-width katakana are not a quarter of the
 *     non-ASCII text (EUC-JP read as Shift_JIS decodes cleanly into them);
 *   - single-byte charsets (ISO-8859-1 is the default of old servers, often
 *     wrong for Japanese pages): not when the bytes hold ISO-2022-JP escapes,
 *     are valid UTF-8 with multi-byte sequences, or ucsdet calls them a CJK
 *     multi-byte charset with confidence >= 50;
 *   - UTF-16: not when the bytes hold no NUL at all (ASCII markup in UTF-16
 *     always does).
 * Detection prefers EUC-JP/Shift_JIS over GB18030/EUC-KR/Big5 when ucsdet
 * scores them within 10 points of each other: this corpus is Japanese. */
#include "charset.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/ucsdet.h>

#include "extract_int.h"
#include "jf_alloc.h"

/* ---- byte scanning helpers (shared through extract_int.h) ---- */

size_t extract_find_ci(const uint8_t *s, size_t len, const char *needle, size_t n)
{
    if (n == 0 || len < n) return len;
    uint8_t first = (uint8_t)needle[0];
    uint8_t first_up = (first >= 'a' && first <= 'z') ? (uint8_t)(first - 32) : first;
    for (size_t i = 0; i + n <= len; i++) {
        if (s[i] != first && s[i] != first_up) continue;
        size_t k = 1;
        while (k < n && extract_lower(s[i + k]) == (uint8_t)needle[k]) k++;
        if (k == n) return i;
    }
    return len;
}

bool extract_eq_ci(const uint8_t *s, size_t n, const char *w)
{
    size_t i = 0;
    for (; i < n; i++)
        if (w[i] == '\0' || extract_lower(s[i]) != (uint8_t)w[i]) return false;
    return w[i] == '\0';
}

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* "charset=VALUE" inside a parameter list such as a Content-Type value. */
static bool charset_param_find(const uint8_t *s, size_t len, ExtractLabel *out)
{
    size_t off = 0;
    while (off < len) {
        size_t at = extract_find_ci(s + off, len - off, "charset", 7);
        if (at == len - off) return false;
        size_t i = off + at + 7;
        while (i < len && is_space(s[i])) i++;
        if (i < len && s[i] == '=') {
            i++;
            while (i < len && is_space(s[i])) i++;
            uint8_t q = (i < len && (s[i] == '"' || s[i] == '\'')) ? s[i++] : 0;
            size_t start = i;
            while (i < len && (q ? s[i] != q : (!is_space(s[i]) && s[i] != ';' && s[i] != '"' &&
                                                s[i] != '\'')))
                i++;
            if (i > start) {
                out->label = s + start;
                out->len = i - start;
                return true;
            }
        }
        off = off + at + 7;
    }
    return false;
}

bool extract_content_type_charset(const char *content_type, ExtractLabel *out)
{
    if (!content_type) return false;
    return charset_param_find((const uint8_t *)content_type, strlen(content_type), out);
}

bool extract_tag_attr(const uint8_t *s, size_t len, const char *name, ExtractLabel *out)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && (is_space(s[i]) || s[i] == '/')) i++;
        if (i >= len || s[i] == '>') return false;
        size_t ns = i;
        while (i < len && !is_space(s[i]) && s[i] != '=' && s[i] != '>' && s[i] != '/') i++;
        size_t nlen = i - ns;
        while (i < len && is_space(s[i])) i++;
        const uint8_t *val = s + i;
        size_t vlen = 0;
        if (i < len && s[i] == '=') {
            i++;
            while (i < len && is_space(s[i])) i++;
            if (i < len && (s[i] == '"' || s[i] == '\'')) {
                uint8_t q = s[i++];
                size_t vs = i;
                while (i < len && s[i] != q) i++;
                val = s + vs;
                vlen = i - vs;
                if (i < len) i++;
            } else {
                size_t vs = i;
                while (i < len && !is_space(s[i]) && s[i] != '>') i++;
                val = s + vs;
                vlen = i - vs;
            }
        }
        if (nlen && extract_eq_ci(s + ns, nlen, name)) {
            out->label = val;
            out->len = vlen;
            return true;
        }
        if (nlen == 0 && i < len && s[i] != '>') i++; /* stray byte: step over it */
    }
    return false;
}

/* Length of the tag whose attributes start at s: up to its '>' (or len). */
static size_t tag_span(const uint8_t *s, size_t len)
{
    const uint8_t *gt = memchr(s, '>', len);
    return gt ? (size_t)(gt - s) : len;
}

static bool meta_tag_charset(const uint8_t *a, size_t alen, ExtractLabel *out)
{
    ExtractLabel v;
    if (extract_tag_attr(a, alen, "charset", &v) && v.len) {
        *out = v;
        return true;
    }
    if (extract_tag_attr(a, alen, "http-equiv", &v) && extract_eq_ci(v.label, v.len,
                                                                     "content-type") &&
        extract_tag_attr(a, alen, "content", &v))
        return charset_param_find(v.label, v.len, out);
    return false;
}

bool extract_meta_charset(const uint8_t *s, size_t len, ExtractLabel *out)
{
    size_t i = 0;
    while (i < len) {
        const uint8_t *lt = memchr(s + i, '<', len - i);
        if (!lt) return false;
        i = (size_t)(lt - s);
        const uint8_t *p = s + i;
        size_t rest = len - i;
        if (rest >= 4 && memcmp(p, "<!--", 4) == 0) {
            size_t end = extract_find_ci(p + 4, rest - 4, "-->", 3);
            i += 4 + end + 3;
            continue;
        }
        if (rest >= 5 && extract_eq_ci(p, 5, "<?xml")) {
            size_t span = extract_find_ci(p, rest, "?>", 2);
            ExtractLabel v;
            if (extract_tag_attr(p + 5, span > 5 ? span - 5 : 0, "encoding", &v) && v.len) {
                *out = v;
                return true;
            }
            i += span;
            continue;
        }
        if (rest >= 6 && extract_eq_ci(p, 5, "<meta") && (is_space(p[5]) || p[5] == '/')) {
            size_t span = tag_span(p + 5, rest - 5);
            if (meta_tag_charset(p + 5, span, out)) return true;
            i += 5 + span;
            continue;
        }
        i++;
    }
    return false;
}

/* ---- labels ---- */

#define CHARSET_ICU_CP932_LC "ibm-943_p15a-2003"

typedef struct {
    const char *label; /* lower case */
    const char *icu;
} CharsetAlias;

/* WHATWG-style labels seen on the web, mapped to the ICU converter we open. */
static const CharsetAlias ALIASES[] = {
    {"utf-8", "UTF-8"}, {"utf8", "UTF-8"}, {"unicode-1-1-utf-8", "UTF-8"},
    {"x-unicode20utf8", "UTF-8"}, {"unicode20utf8", "UTF-8"},
    {"shift_jis", CHARSET_ICU_CP932}, {"shift-jis", CHARSET_ICU_CP932},
    {"sjis", CHARSET_ICU_CP932}, {"x-sjis", CHARSET_ICU_CP932}, {"s-jis", CHARSET_ICU_CP932},
    {"ms_kanji", CHARSET_ICU_CP932}, {"ms-kanji", CHARSET_ICU_CP932},
    {"csshiftjis", CHARSET_ICU_CP932}, {"cp932", CHARSET_ICU_CP932},
    {"ms932", CHARSET_ICU_CP932}, {"windows-31j", CHARSET_ICU_CP932},
    {"cswindows31j", CHARSET_ICU_CP932}, {"x-ms-cp932", CHARSET_ICU_CP932},
    {"windows-932", CHARSET_ICU_CP932}, {"x-sjis-jp", CHARSET_ICU_CP932},
    {CHARSET_ICU_CP932_LC, CHARSET_ICU_CP932},
    {"euc-jp", "EUC-JP"}, {"eucjp", "EUC-JP"}, {"x-euc-jp", "EUC-JP"}, {"x-euc", "EUC-JP"},
    {"euc_jp", "EUC-JP"}, {"cseucpkdfmtjapanese", "EUC-JP"}, {"ujis", "EUC-JP"},
    {"x-eucjp", "EUC-JP"}, {"eucjp-ms", "EUC-JP"}, {"euc-jp-ms", "EUC-JP"},
    {"iso-2022-jp", "ISO-2022-JP"}, {"csiso2022jp", "ISO-2022-JP"},
    {"iso2022jp", "ISO-2022-JP"}, {"jis", "ISO-2022-JP"}, {"iso-2022-jp-1", "ISO-2022-JP"},
    {"us-ascii", "windows-1252"}, {"ascii", "windows-1252"}, {"ansi_x3.4-1968", "windows-1252"},
    {"iso-8859-1", "windows-1252"}, {"iso8859-1", "windows-1252"},
    {"iso_8859-1", "windows-1252"}, {"iso88591", "windows-1252"}, {"latin1", "windows-1252"},
    {"l1", "windows-1252"}, {"cp819", "windows-1252"}, {"ibm819", "windows-1252"},
    {"cp1252", "windows-1252"}, {"x-cp1252", "windows-1252"},
    {"iso-8859-9", "windows-1254"}, {"latin5", "windows-1254"},
    {"utf-16", "UTF-16LE"}, {"utf-16le", "UTF-16LE"}, {"unicode", "UTF-16LE"},
    {"utf-16be", "UTF-16BE"},
    {"euc-kr", "windows-949"}, {"ks_c_5601-1987", "windows-949"}, {"cp949", "windows-949"},
    {"windows-949", "windows-949"}, {"x-windows-949", "windows-949"},
    {"gb2312", "GB18030"}, {"gbk", "GB18030"}, {"cp936", "GB18030"}, {"x-gbk", "GB18030"},
    {"gb18030", "GB18030"}, {"chinese", "GB18030"}, {"csgb2312", "GB18030"},
    {"euc-cn", "GB18030"}, {"windows-936", "GB18030"},
    {"big5", "windows-950"}, {"big5-hkscs", "windows-950"}, {"x-x-big5", "windows-950"},
    {"cn-big5", "windows-950"}, {"csbig5", "windows-950"}, {"cp950", "windows-950"},
    {"koi8-r", "KOI8-R"}, {"koi8r", "KOI8-R"}, {"koi8-u", "KOI8-U"},
    {"tis-620", "windows-874"}, {"windows-874", "windows-874"},
};

bool charset_label_to_icu(const char *label, size_t label_len, char *name, size_t cap)
{
    char low[48];
    size_t n = 0;
    const uint8_t *s = (const uint8_t *)label;
    while (label_len && (is_space(*s) || *s == '"' || *s == '\'')) s++, label_len--;
    while (label_len && (is_space(s[label_len - 1]) || s[label_len - 1] == '"' ||
                         s[label_len - 1] == '\''))
        label_len--;
    if (label_len == 0 || label_len >= sizeof low) return false;
    for (n = 0; n < label_len; n++) low[n] = (char)extract_lower(s[n]);
    low[n] = '\0';
    const char *icu = NULL;
    for (size_t i = 0; i < sizeof ALIASES / sizeof ALIASES[0] && !icu; i++)
        if (strcmp(low, ALIASES[i].label) == 0) icu = ALIASES[i].icu;
    char tmp[16];
    if (!icu) {
        /* windows-125N / cp125N / x-cp125N, iso-8859-N / iso8859-N / iso_8859-N */
        const char *p = low;
        if (strncmp(p, "x-", 2) == 0) p += 2;
        if ((strncmp(p, "windows-125", 11) == 0 && p[11] >= '0' && p[11] <= '8' && !p[12]) ||
            (strncmp(p, "cp125", 5) == 0 && p[5] >= '0' && p[5] <= '8' && !p[6])) {
            snprintf(tmp, sizeof tmp, "windows-125%c", p[0] == 'c' ? p[5] : p[11]);
            icu = tmp;
        } else if ((strncmp(low, "iso-8859-", 9) == 0 || strncmp(low, "iso8859-", 8) == 0 ||
                    strncmp(low, "iso_8859-", 9) == 0)) {
            const char *num = low + (low[3] == '8' ? 8 : 9);
            long v = 0;
            for (const char *q = num; *q; q++) {
                if (*q < '0' || *q > '9') { v = -1; break; }
                v = v * 10 + (*q - '0');
                if (v > 16) break;
            }
            if (v >= 2 && v <= 15 && v != 12) { /* ICU has no ISO-8859-16 */
                snprintf(tmp, sizeof tmp, "ISO-8859-%ld", v);
                icu = tmp;
            }
        }
    }
    if (!icu || strlen(icu) >= cap) return false;
    memcpy(name, icu, strlen(icu) + 1);
    return true;
}

static bool name_is(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

bool charset_is_japanese(const char *icu_name)
{
    return name_is(icu_name, CHARSET_ICU_CP932) || name_is(icu_name, "EUC-JP") ||
           name_is(icu_name, "ISO-2022-JP") || name_is(icu_name, "Shift_JIS") ||
           name_is(icu_name, "ibm-943_P130-1999");
}

static bool charset_is_single_byte(const char *n)
{
    return strncasecmp(n, "windows-12", 10) == 0 || strncasecmp(n, "ISO-8859-", 9) == 0 ||
           strncasecmp(n, "KOI8-", 5) == 0 || name_is(n, "windows-874");
}

static bool charset_is_utf16(const char *n)
{
    return strncasecmp(n, "UTF-16", 6) == 0;
}

/* ---- UTF-8 ---- */

/* Bytes a sequence starting with lead byte c needs (0: c cannot start one),
 * and the range [*lo, *hi] allowed for its second byte (Unicode table 3-7). */
static size_t utf8_lead(uint8_t c, uint8_t *lo, uint8_t *hi)
{
    *lo = 0x80, *hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) return 2;
    if (c >= 0xE0 && c <= 0xEF) {
        if (c == 0xE0) *lo = 0xA0;
        if (c == 0xED) *hi = 0x9F;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (c == 0xF0) *lo = 0x90;
        if (c == 0xF4) *hi = 0x8F;
        return 4;
    }
    return 0;
}

/* Length of the valid UTF-8 sequence at s (n > 0 bytes left), 0 when invalid.
 * *cut is set when the bytes are a valid prefix that runs off the end. */
static size_t utf8_seq_len(const uint8_t *s, size_t n, bool *cut)
{
    *cut = false;
    if (s[0] < 0x80) return 1;
    uint8_t lo, hi;
    size_t need = utf8_lead(s[0], &lo, &hi);
    if (!need) return 0;
    for (size_t k = 1; k < need; k++) {
        if (k >= n) {
            *cut = true;
            return 0;
        }
        uint8_t b = s[k];
        if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
    }
    return need;
}

/* Bytes of the maximal ill-formed subpart at s (>= 1), per Unicode/WHATWG. */
static size_t utf8_bad_len(const uint8_t *s, size_t n)
{
    uint8_t lo, hi;
    size_t need = utf8_lead(s[0], &lo, &hi);
    if (!need) return 1;
    size_t k = 1;
    while (k < need && k < n) {
        uint8_t b = s[k];
        if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) break;
        k++;
    }
    return k;
}

static bool ascii8(const uint8_t *s)
{
    uint64_t v;
    memcpy(&v, s, 8);
    return (v & 0x8080808080808080ULL) == 0;
}

/* ASCII and no NUL byte in s[0..8). */
static bool ascii8_nonul(const uint8_t *s)
{
    uint64_t v;
    memcpy(&v, s, 8);
    uint64_t zero = (v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL;
    return ((v & 0x8080808080808080ULL) | zero) == 0;
}

/* Counts ill-formed subparts in s; *n_multi gets the valid multi-byte sequences. */
static size_t utf8_count_bad(const uint8_t *s, size_t len, bool allow_cut, size_t *n_multi)
{
    size_t bad = 0, multi = 0, i = 0;
    while (i < len) {
        if (i + 8 <= len && ascii8(s + i)) {
            i += 8;
            continue;
        }
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        bool cut;
        size_t k = utf8_seq_len(s + i, len - i, &cut);
        if (k) {
            multi++;
            i += k;
        } else if (cut && allow_cut) {
            break;
        } else {
            bad++;
            i += utf8_bad_len(s + i, len - i);
        }
    }
    if (n_multi) *n_multi = multi;
    return bad;
}

bool charset_is_valid_utf8(const uint8_t *s, size_t len, bool allow_cut)
{
    return utf8_count_bad(s, len, allow_cut, NULL) == 0;
}

bool extract_utf8_is_clean(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (i + 8 <= len && ascii8_nonul(s + i)) {
            i += 8;
            continue;
        }
        if (s[i] == 0) return false;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        bool cut;
        size_t k = utf8_seq_len(s + i, len - i, &cut);
        if (!k) return false;
        i += k;
    }
    return true;
}

JfStatus extract_utf8_sanitize(const uint8_t *in, size_t len, JfBuf *out, size_t *n_replaced)
{
    static const uint8_t FFFD[3] = {0xEF, 0xBF, 0xBD};
    size_t bad = 0, i = 0, run = 0;
    JfStatus rc = jf_buf_reserve(out, len);
    if (rc != JF_OK) return rc;
    while (i < len) {
        if (i + 8 <= len && ascii8_nonul(in + i)) {
            i += 8;
            continue;
        }
        uint8_t c = in[i];
        if (c < 0x80 && c != 0) {
            i++;
            continue;
        }
        bool cut;
        size_t k = c ? utf8_seq_len(in + i, len - i, &cut) : 0;
        if (k == 3 && memcmp(in + i, FFFD, 3) == 0) bad++;
        if (k) {
            i += k;
            continue;
        }
        /* flush the good run, then the replacement (a NUL is dropped, not replaced:
         * HTML parsers stop or misbehave on it, and it carries no text) */
        if ((rc = jf_buf_append(out, in + run, i - run)) != JF_OK) return rc;
        if (c) {
            if ((rc = jf_buf_append(out, FFFD, 3)) != JF_OK) return rc;
            bad++;
            i += utf8_bad_len(in + i, len - i);
        } else {
            i++;
        }
        run = i;
    }
    if ((rc = jf_buf_append(out, in + run, len - run)) != JF_OK) return rc;
    if (n_replaced) *n_replaced += bad;
    return JF_OK;
}

/* ---- ICU conversion ---- */

/* Always U+FFFD (ICU's default writes U+001A for some code pages), so that
 * replacements can be counted in the output. */
static void charset_to_u_subst(const void *ctx, UConverterToUnicodeArgs *args,
                               const char *units, int32_t n, UConverterCallbackReason reason,
                               UErrorCode *uerr)
{
    (void)ctx, (void)units, (void)n;
    if (reason > UCNV_IRREGULAR) return; /* reset, close, clone */
    static const UChar sub = 0xFFFD;
    *uerr = U_ZERO_ERROR;
    ucnv_cbToUWriteUChars(args, &sub, 1, 0, uerr);
}

/* UTF-16 to UTF-8 appended to out; state keeps a pending high surrogate and
 * whether the first character (a BOM to drop) is still to come. */
typedef struct {
    UChar  high;
    bool   started;
    size_t n_fffd;
    size_t n_halfkana;  /* U+FF61..FF9F, for the CP932 plausibility check */
    size_t n_kana;      /* U+3041..30FF, for the quick Japanese detection */
    size_t n_nonascii;
} U16Sink;

static JfStatus u16_sink_put(U16Sink *k, const UChar *u, size_t n, JfBuf *out)
{
    JfStatus rc = jf_buf_reserve(out, n * 3 + 4);
    if (rc != JF_OK) return rc;
    uint8_t *d = out->data + out->len;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = u[i];
        if (k->high) {
            if (c >= 0xDC00 && c <= 0xDFFF) {
                c = 0x10000 + (((uint32_t)k->high - 0xD800) << 10) + (c - 0xDC00);
                k->high = 0;
            } else {
                k->high = 0;
                *d++ = 0xEF, *d++ = 0xBF, *d++ = 0xBD;
                k->n_fffd++;
            }
        } else if (c >= 0xD800 && c <= 0xDBFF) {
            k->high = (UChar)c;
            continue;
        }
        if (c >= 0xDC00 && c <= 0xDFFF) c = 0xFFFD;
        if (!k->started) {
            k->started = true;
            if (c == 0xFEFF) continue;
        }
        if (c < 0x80) {
            *d++ = (uint8_t)c;
            continue;
        }
        k->n_nonascii++;
        if (c == 0xFFFD) k->n_fffd++;
        if (c >= 0xFF61 && c <= 0xFF9F) k->n_halfkana++;
        if (c >= 0x3041 && c <= 0x30FF) k->n_kana++;
        if (c < 0x800) {
            *d++ = (uint8_t)(0xC0 | (c >> 6));
        } else if (c < 0x10000) {
            *d++ = (uint8_t)(0xE0 | (c >> 12));
            *d++ = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        } else {
            *d++ = (uint8_t)(0xF0 | (c >> 18));
            *d++ = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
            *d++ = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        }
        *d++ = (uint8_t)(0x80 | (c & 0x3F));
    }
    out->len = (size_t)(d - out->data);
    out->data[out->len] = '\0';
    return JF_OK;
}

static JfStatus charset_open_converter(const char *icu_name, UConverter **out, JfError *err)
{
    UErrorCode ue = U_ZERO_ERROR;
    UConverter *c = ucnv_open(icu_name, &ue);
    if (U_FAILURE(ue) || !c) {
        if (ue == U_MEMORY_ALLOCATION_ERROR)
            return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "ICU converter");
        return jf_error_set(err, JF_ECHARSET, NULL, JF_OFFSET_UNKNOWN,
                            "unknown charset '%s': %s", icu_name, u_errorName(ue));
    }
    ucnv_setToUCallBack(c, charset_to_u_subst, NULL, NULL, NULL, &ue);
    *out = c;
    return JF_OK;
}

/* Converts in with cnv (flushing at the end only when flush) into out. */
static JfStatus charset_convert(UConverter *cnv, const uint8_t *in, size_t len, bool flush,
                                JfBuf *out, U16Sink *sink, JfError *err)
{
    UChar ubuf[4096];
    const char *src = (const char *)in, *end = (const char *)in + len;
    for (;;) {
        UChar *t = ubuf;
        UErrorCode ue = U_ZERO_ERROR;
        ucnv_toUnicode(cnv, &t, ubuf + 4096, &src, end, NULL, flush, &ue);
        JfStatus rc = u16_sink_put(sink, ubuf, (size_t)(t - ubuf), out);
        if (rc != JF_OK)
            return jf_error_set(err, rc, NULL, JF_OFFSET_UNKNOWN, "converted text too big");
        if (ue == U_BUFFER_OVERFLOW_ERROR) continue;
        if (U_FAILURE(ue))
            return jf_error_set(err, JF_ECHARSET, NULL, (uint64_t)(src - (const char *)in),
                                "ICU conversion: %s", u_errorName(ue));
        break;
    }
    if (flush && sink->high) {
        static const UChar sub = 0xFFFD;
        sink->high = 0;
        return u16_sink_put(sink, &sub, 1, out);
    }
    return JF_OK;
}

JfStatus charset_to_utf8(const char *icu_name, const uint8_t *in, size_t len, JfBuf *out,
                         size_t *n_replaced, JfError *err)
{
    size_t start = out->len;
    if (name_is(icu_name, "UTF-8") || name_is(icu_name, "UTF8")) {
        if (len >= 3 && in[0] == 0xEF && in[1] == 0xBB && in[2] == 0xBF) in += 3, len -= 3;
        size_t bad = 0;
        JfStatus rc = extract_utf8_sanitize(in, len, out, &bad);
        if (rc != JF_OK) {
            out->len = start;
            if (out->data) out->data[start] = '\0';
            return jf_error_set(err, rc, NULL, JF_OFFSET_UNKNOWN, "converted text too big");
        }
        if (n_replaced) *n_replaced = bad;
        return JF_OK;
    }
    UConverter *cnv = NULL;
    JfStatus rc = charset_open_converter(icu_name, &cnv, err);
    if (rc != JF_OK) return rc;
    U16Sink sink = {0};
    rc = charset_convert(cnv, in, len, true, out, &sink, err);
    ucnv_close(cnv);
    if (rc != JF_OK) {
        out->len = start;
        if (out->data) out->data[start] = '\0';
        return rc;
    }
    if (n_replaced) *n_replaced = sink.n_fffd;
    return JF_OK;
}

/* ---- detection ---- */

static bool has_iso2022_escape(const uint8_t *s, size_t len)
{
    const uint8_t *p = s, *end = s + len;
    while ((p = memchr(p, 0x1B, (size_t)(end - p))) != NULL) {
        if (end - p >= 3 && p[1] == '$' && (p[2] == 'B' || p[2] == '@' || p[2] == '('))
            return true;
        p++;
    }
    return false;
}

static size_t count_high(const uint8_t *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += s[i] >> 7;
    return n;
}

static bool is_cjk_multibyte(const char *icu)
{
    return charset_is_japanese(icu) || name_is(icu, "GB18030") || name_is(icu, "windows-949") ||
           name_is(icu, "windows-950");
}

/* ucsdet's verdict on s: best mapped charset and its confidence.
 * @return JF_OK with *found false when ucsdet had no usable answer. */
static JfStatus charset_ucsdet(const uint8_t *s, size_t len, char *name, size_t cap,
                               int *confidence, bool *found, JfError *err)
{
    *found = false;
    UErrorCode ue = U_ZERO_ERROR;
    UCharsetDetector *d = ucsdet_open(&ue);
    if (U_FAILURE(ue))
        return jf_error_set(err, ue == U_MEMORY_ALLOCATION_ERROR ? JF_ENOMEM : JF_ECHARSET,
                            NULL, JF_OFFSET_UNKNOWN, "ucsdet_open: %s", u_errorName(ue));
    ucsdet_enableInputFilter(d, true);
    ucsdet_setText(d, (const char *)s, (int32_t)(len > INT32_MAX ? INT32_MAX : len), &ue);
    int32_t n = 0;
    const UCharsetMatch **m = U_SUCCESS(ue) ? ucsdet_detectAll(d, &n, &ue) : NULL;
    int best = -1, best_conf = -1, ja = -1, ja_conf = -1;
    char best_name[40] = "", ja_name[40] = "";
    for (int32_t i = 0; m && U_SUCCESS(ue) && i < n; i++) {
        UErrorCode e2 = U_ZERO_ERROR;
        const char *cs = ucsdet_getName(m[i], &e2);
        int conf = ucsdet_getConfidence(m[i], &e2);
        char mapped[40];
        if (U_FAILURE(e2) || !cs || !charset_label_to_icu(cs, strlen(cs), mapped, sizeof mapped))
            continue;
        if (best < 0) {
            best = i, best_conf = conf;
            snprintf(best_name, sizeof best_name, "%s", mapped);
        }
        if (ja < 0 && charset_is_japanese(mapped) && !name_is(mapped, "ISO-2022-JP")) {
            ja = i, ja_conf = conf;
            snprintf(ja_name, sizeof ja_name, "%s", mapped);
        }
    }
    ucsdet_close(d);
    if (best < 0) return JF_OK;
    if (ja >= 0 && is_cjk_multibyte(best_name) && !charset_is_japanese(best_name) &&
        ja_conf + 10 >= best_conf) {
        snprintf(best_name, sizeof best_name, "%s", ja_name);
        best_conf = ja_conf;
    }
    if (strlen(best_name) >= cap) return JF_OK;
    memcpy(name, best_name, strlen(best_name) + 1);
    *confidence = best_conf < 0 ? 0 : best_conf > 100 ? 100 : best_conf;
    *found = true;
    return JF_OK;
}

static void guess_set(CharsetGuess *g, const char *name, const char *source, int conf)
{
    snprintf(g->name, sizeof g->name, "%s", name);
    g->source = source;
    g->confidence = conf;
}

/* Decodes s with icu into scratch, keeping only the statistics. */
static JfStatus charset_decode_stats(const char *icu, const uint8_t *s, size_t len, bool complete,
                                     U16Sink *sink, JfError *err)
{
    UConverter *cnv = NULL;
    JfStatus rc = charset_open_converter(icu, &cnv, err);
    if (rc != JF_OK) return rc;
    JfBuf tmp;
    jf_buf_init(&tmp, 0);
    memset(sink, 0, sizeof *sink);
    rc = charset_convert(cnv, s, len, complete, &tmp, sink, err);
    ucnv_close(cnv);
    jf_buf_free(&tmp);
    return rc;
}

/* The fast path for legacy Japanese bytes (ucsdet costs milliseconds a page):
 * decode as EUC-JP and as CP932 and keep the one that decodes cleanly into
 * text with kana (at least 8, and 10% of the non-ASCII characters). EUC-JP
 * read as CP932 gives half-width katakana, not kana; CP932 read as EUC-JP
 * gives errors. *found is false when neither fits. */
static JfStatus charset_guess_japanese(const uint8_t *s, size_t len, bool complete,
                                       CharsetGuess *out, bool *found, JfError *err)
{
    static const char *const cands[] = {"EUC-JP", CHARSET_ICU_CP932};
    size_t best_bad = SIZE_MAX, best_kana = 0;
    int best = -1;
    *found = false;
    for (int i = 0; i < 2; i++) {
        U16Sink k;
        JfStatus rc = charset_decode_stats(cands[i], s, len, complete, &k, err);
        if (rc != JF_OK) return rc;
        bool fits = k.n_fffd * 200 <= len && k.n_kana >= 8 && k.n_kana * 10 >= k.n_nonascii;
        if (fits && (k.n_fffd < best_bad || (k.n_fffd == best_bad && k.n_kana > best_kana))) {
            best = i, best_bad = k.n_fffd, best_kana = k.n_kana;
        }
    }
    if (best < 0) return JF_OK;
    guess_set(out, cands[best], "detected", best_bad == 0 ? 95 : 80);
    *found = true;
    return JF_OK;
}

/* Whether the bytes agree with a declared charset (see the file header).
 * *perfect is set when not a single bad sequence was seen. */
static JfStatus charset_plausible(const char *icu, const uint8_t *s, size_t len, bool complete,
                                  bool *ok, bool *perfect, JfError *err)
{
    *ok = *perfect = false;
    if (name_is(icu, "UTF-8")) {
        size_t multi = 0;
        size_t bad = utf8_count_bad(s, len, !complete, &multi);
        *perfect = bad == 0;
        *ok = bad * 200 <= len;
        /* 7-bit ISO-2022-JP is valid UTF-8 too */
        if (multi == 0 && has_iso2022_escape(s, len)) *ok = *perfect = false;
        return JF_OK;
    }
    if (charset_is_utf16(icu)) {
        *ok = *perfect = len < 2 || memchr(s, 0, len) != NULL;
        return JF_OK;
    }
    if (charset_is_single_byte(icu)) {
        *ok = *perfect = true;
        size_t high = count_high(s, len);
        size_t multi = 0;
        if (has_iso2022_escape(s, len)) {
            *ok = *perfect = false;
        } else if (high && utf8_count_bad(s, len, !complete, &multi) == 0 && multi) {
            *ok = *perfect = false;
        } else if (high >= 16) {
            CharsetGuess g;
            bool found;
            JfStatus rc = charset_guess_japanese(s, len, complete, &g, &found, err);
            if (rc != JF_OK) return rc;
            if (found) {
                *ok = *perfect = false;
            } else if (high * 20 >= len) {
                char name[40];
                int conf = 0;
                rc = charset_ucsdet(s, len, name, sizeof name, &conf, &found, err);
                if (rc != JF_OK) return rc;
                if (found && is_cjk_multibyte(name) && conf >= 50) *ok = *perfect = false;
            }
        }
        return JF_OK;
    }
    U16Sink sink;
    JfStatus rc = charset_decode_stats(icu, s, len, complete, &sink, err);
    if (rc != JF_OK) return rc;
    *perfect = sink.n_fffd == 0;
    *ok = sink.n_fffd * 200 <= len;
    if (name_is(icu, CHARSET_ICU_CP932) && sink.n_halfkana * 4 > sink.n_nonascii &&
        sink.n_halfkana >= 8)
        *ok = *perfect = false;
    return JF_OK;
}

/* Tries one declared label; fills out and sets *done when the bytes agree. */
static JfStatus charset_try_declared(const uint8_t *label, size_t label_len, bool from_meta,
                                     const uint8_t *s, size_t len, bool complete,
                                     const char *source, CharsetGuess *out, bool *done,
                                     JfError *err)
{
    char icu[40];
    *done = false;
    if (!charset_label_to_icu((const char *)label, label_len, icu, sizeof icu)) return JF_OK;
    /* a document that declares UTF-16 in its own ASCII bytes is not UTF-16 */
    if (from_meta && charset_is_utf16(icu)) snprintf(icu, sizeof icu, "UTF-8");
    bool ok, perfect;
    JfStatus rc = charset_plausible(icu, s, len, complete, &ok, &perfect, err);
    if (rc == JF_ECHARSET) { /* this ICU lacks the converter: as if unknown */
        jf_error_clear(err);
        return JF_OK;
    }
    if (rc != JF_OK || !ok) return rc;
    guess_set(out, icu, source, perfect ? 100 : 90);
    *done = true;
    return JF_OK;
}

static bool charset_bom(const uint8_t *s, size_t len, CharsetGuess *out)
{
    if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        guess_set(out, "UTF-8", "bom", 100);
        return true;
    }
    if (len >= 2 && s[0] == 0xFF && s[1] == 0xFE) {
        guess_set(out, "UTF-16LE", "bom", 100);
        return true;
    }
    if (len >= 2 && s[0] == 0xFE && s[1] == 0xFF) {
        guess_set(out, "UTF-16BE", "bom", 100);
        return true;
    }
    return false;
}

static JfStatus charset_detect_bytes(const uint8_t *s, size_t len, bool complete,
                                     CharsetGuess *out, JfError *err)
{
    bool esc = has_iso2022_escape(s, len);
    if (!esc) {
        size_t multi = 0;
        if (count_high(s, len) == 0) {
            guess_set(out, "UTF-8", "detected", 100); /* ASCII: exact in any charset */
            return JF_OK;
        }
        if (utf8_count_bad(s, len, !complete, &multi) == 0 && multi) {
            guess_set(out, "UTF-8", "detected", 100);
            return JF_OK;
        }
    }
    if (esc && count_high(s, len) == 0) {
        /* JIS escape sequences in 7-bit text: ISO-2022-JP, no statistics needed
         * (ucsdet would say the same, at a hundred times the cost). */
        guess_set(out, "ISO-2022-JP", "detected", 100);
        return JF_OK;
    }
    bool found;
    JfStatus rc = JF_OK;
    if (!esc) {
        rc = charset_guess_japanese(s, len, complete, out, &found, err);
        if (rc != JF_OK || found) return rc;
    }
    char name[40];
    int conf = 0;
    rc = charset_ucsdet(s, len, name, sizeof name, &conf, &found, err);
    if (rc != JF_OK) return rc;
    if (found) guess_set(out, name, "detected", conf);
    else guess_set(out, "UTF-8", "default", 0);
    return JF_OK;
}

JfStatus charset_detect(const uint8_t *body, size_t len, const char *http_content_type,
                        CharsetGuess *out, JfError *err)
{
    size_t scan = len < CHARSET_DETECT_SCAN ? len : CHARSET_DETECT_SCAN;
    bool complete = scan == len, done = false;
    ExtractLabel lab;
    JfStatus rc;
    if (extract_content_type_charset(http_content_type, &lab)) {
        rc = charset_try_declared(lab.label, lab.len, false, body, scan, complete, "http", out,
                                  &done, err);
        if (rc != JF_OK || done) return rc;
    }
    if (charset_bom(body, len, out)) return JF_OK;
    size_t meta_scan = len < CHARSET_META_SCAN ? len : CHARSET_META_SCAN;
    if (extract_meta_charset(body, meta_scan, &lab)) {
        rc = charset_try_declared(lab.label, lab.len, true, body, scan, complete, "meta", out,
                                  &done, err);
        if (rc != JF_OK || done) return rc;
    }
    return charset_detect_bytes(body, scan, complete, out, err);
}
