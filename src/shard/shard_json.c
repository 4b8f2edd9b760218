/* shard_json.c: a document line's text, lang and source, validated and
 * decoded by a small JSON scanner, with jansson as the judge of everything the
 * scanner does not vouch for (see shard_json.h). The scanner accepts only
 * what jansson (with JSON_ALLOW_NUL) accepts: strict UTF-8 (no overlongs, no
 * surrogates, nothing past U+10FFFF), no raw control characters, paired
 * \u surrogates, numbers that cannot overflow (scan_number), nesting up to 32
 * levels; otherwise it answers "unsure". */
#include "shard_json.h"

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

typedef struct {
    const uint8_t *p, *e;
    int            depth;
    int            nul;      /* a \u0000 was decoded (jansson refuses it in keys) */
} Scan;

enum { SCAN_MAX_DEPTH = 32 };

static void skip_ws(Scan *s)
{
    while (s->p < s->e && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n')) s->p++;
}

static int hex4(const uint8_t *p, uint32_t *v)
{
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c = p[i];
        x <<= 4;
        if (c >= '0' && c <= '9') x |= (uint32_t)(c - '0');
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') x |= (uint32_t)((c | 0x20) - 'a' + 10);
        else return 0;
    }
    *v = x;
    return 1;
}

/* An escape at p (after the backslash) into a code point; @return bytes
 * consumed after the backslash, 0 when invalid. */
static size_t scan_escape(const uint8_t *p, const uint8_t *e, uint32_t *cp)
{
    if (p >= e) return 0;
    switch (*p) {
    case '"': case '\\': case '/': *cp = *p; return 1;
    case 'b': *cp = '\b'; return 1;
    case 'f': *cp = '\f'; return 1;
    case 'n': *cp = '\n'; return 1;
    case 'r': *cp = '\r'; return 1;
    case 't': *cp = '\t'; return 1;
    case 'u': break;
    default: return 0;
    }
    uint32_t hi, lo;
    if (e - p < 5 || !hex4(p + 1, &hi)) return 0;
    if (hi >= 0xDC00 && hi <= 0xDFFF) return 0;
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = hi;
        return 5;
    }
    if (e - p < 11 || p[5] != '\\' || p[6] != 'u' || !hex4(p + 7, &lo) || lo < 0xDC00 ||
        lo > 0xDFFF)
        return 0;
    *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
    return 11;
}

static size_t utf8_put(uint8_t *o, uint32_t cp)
{
    if (cp < 0x80) { o[0] = (uint8_t)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | cp >> 6);
        o[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | cp >> 18);
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the valid UTF-8 sequence starting with lead byte p[0] (>= 0x80),
 * 0 when invalid (the rules of jansson's utf8_check_full). */
static size_t utf8_len(const uint8_t *p, const uint8_t *e)
{
    uint8_t c = p[0];
    size_t k = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
             : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (!k || (size_t)(e - p) < k) return 0;
    for (size_t i = 1; i < k; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) || (c == 0xF0 && p[1] < 0x90) ||
        (c == 0xF4 && p[1] > 0x8F))
        return 0;
    return k;
}

/* Any byte of w that ends a run of plain ASCII string bytes: >= 0x80, < 0x20,
 * '"' or '\\' (SWAR: the high bit of each such byte set). */
static uint64_t special8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    uint64_t zero_q = (q - ones) & ~q, zero_b = (b - ones) & ~b;
    uint64_t low = (w - ones * 0x20) & ~w;
    return (w | zero_q | zero_b | low) & high;
}

/* A string, s->p just past its opening quote. Decodes into out (room for
 * cap bytes; out NULL: validate only): *kept gets the bytes of the whole
 * characters that fit, *len the full decoded length, *chars the code points
 * (kept and chars may be NULL). @return 1, or 0 when unsure. Runs of plain
 * ASCII go 8 bytes at a time, and common 3-byte characters (kana, kanji)
 * skip the general UTF-8 check. */
static int scan_string(Scan *s, uint8_t *out, size_t cap, size_t *kept, size_t *len,
                       uint64_t *chars)
{
    const uint8_t *p = s->p, *e = s->e;
    size_t n = 0;
    uint64_t ch = 0;
    for (;;) {
        uint64_t w;
        while (e - p >= 8 && (!out || n + 8 <= cap) && (memcpy(&w, p, 8), !special8(w))) {
            if (out) memcpy(out + n, p, 8);
            n += 8, ch += 8, p += 8;
        }
        if (p >= e) return 0;
        uint8_t c = *p;
        size_t k;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            if (out && n < cap) out[n] = c;
            n++, ch++, p++;
            continue;
        }
        if (c == '"') break;
        if (c == '\\') {
            uint32_t cp;
            size_t used = scan_escape(p + 1, e, &cp);
            if (!used) return 0;
            uint8_t tmp[4];
            s->nul |= cp == 0;
            k = utf8_put(tmp, cp);
            if (out && n + k <= cap) memcpy(out + n, tmp, k);
            else if (n < cap) cap = n;     /* cut before the first character that does not fit */
            n += k, ch++, p += 1 + used;
            continue;
        }
        if (c >= 0xE1 && c <= 0xEF && c != 0xED && e - p >= 3 && (p[1] & 0xC0) == 0x80 &&
            (p[2] & 0xC0) == 0x80)
            k = 3;
        else if (c < 0x20 || !(k = utf8_len(p, e)))
            return 0;
        if (out && n + k <= cap) memcpy(out + n, p, k);
        else if (n < cap) cap = n;
        n += k, ch++, p += k;
    }
    s->p = p + 1;
    *len = n;
    if (kept) *kept = n < cap ? n : cap;
    if (chars) *chars = ch;
    return 1;
}

/* A number jansson surely takes: an integer of at most 18 digits (no int64
 * overflow), a real with at most 200 integer digits and a 2-digit exponent
 * (no overflow to infinity: jansson refuses that, not an underflow). */
static int scan_number(Scan *s)
{
    const uint8_t *p = s->p, *e = s->e;
    int int_digits = 0, exp_digits = 0;
    bool real = false;
    if (p < e && *p == '-') p++;
    if (p >= e || *p < '0' || *p > '9') return 0;
    if (*p == '0') {
        p++, int_digits++;
        if (p < e && *p >= '0' && *p <= '9') return 0;
    } else {
        while (p < e && *p >= '0' && *p <= '9') p++, int_digits++;
    }
    if (p < e && *p == '.') {
        p++, real = true;
        if (p >= e || *p < '0' || *p > '9') return 0;
        while (p < e && *p >= '0' && *p <= '9') p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++, real = true;
        if (p < e && (*p == '+' || *p == '-')) p++;
        while (p < e && *p >= '0' && *p <= '9') p++, exp_digits++;
        if (exp_digits == 0 || exp_digits > 2) return 0;
    }
    s->p = p;
    return real ? int_digits <= 200 : int_digits <= 18;
}

static int scan_literal(Scan *s, const char *lit, size_t n)
{
    if ((size_t)(s->e - s->p) < n || memcmp(s->p, lit, n) != 0) return 0;
    s->p += n;
    return 1;
}

static int scan_value(Scan *s);

/* An object or array after its opening bracket. */
static int scan_container(Scan *s, uint8_t close)
{
    if (++s->depth > SCAN_MAX_DEPTH) return 0;
    skip_ws(s);
    if (s->p < s->e && *s->p == close) {
        s->p++, s->depth--;
        return 1;
    }
    for (;;) {
        if (close == '}') {
            size_t klen;
            if (s->p >= s->e || *s->p != '"') return 0;
            s->p++;
            s->nul = 0;
            if (!scan_string(s, NULL, 0, NULL, &klen, NULL) || s->nul) return 0;
            skip_ws(s);
            if (s->p >= s->e || *s->p++ != ':') return 0;
            skip_ws(s);
        }
        if (!scan_value(s)) return 0;
        skip_ws(s);
        if (s->p >= s->e) return 0;
        uint8_t c = *s->p++;
        if (c == close) break;
        if (c != ',') return 0;
        skip_ws(s);
    }
    s->depth--;
    return 1;
}

/* Any value at s->p (no leading whitespace), validated, not kept. */
static int scan_value(Scan *s)
{
    if (s->p >= s->e) return 0;
    size_t len;
    switch (*s->p) {
    case '"': s->p++; return scan_string(s, NULL, 0, NULL, &len, NULL);
    case '{': s->p++; return scan_container(s, '}');
    case '[': s->p++; return scan_container(s, ']');
    case 't': return scan_literal(s, "true", 4);
    case 'f': return scan_literal(s, "false", 5);
    case 'n': return scan_literal(s, "null", 4);
    default: return scan_number(s);
    }
}

typedef enum { K_OTHER, K_ID, K_TEXT, K_LANG, K_LANGUAGE, K_SOURCE, K_URL, K_CREATED, K_COUNT } Key;

static Key key_of(const uint8_t *k, size_t n)
{
    static const char *const NAME[K_COUNT] = { "", "id", "text", "lang", "language", "source",
                                               "url", "created" };
    for (int i = 1; i < K_COUNT; i++)
        if (strlen(NAME[i]) == n && !memcmp(NAME[i], k, n)) return (Key)i;
    return K_OTHER;
}

/* A short string value (lang, source) into out, cut to SHARD_JSON_NAME_MAX
 * bytes; null leaves out empty. */
static int scan_name(Scan *s, char *out)
{
    size_t kept, len;
    out[0] = 0;
    if (s->p < s->e && *s->p == 'n') return scan_literal(s, "null", 4);
    if (s->p >= s->e || *s->p != '"') return 0;
    s->p++;
    if (!scan_string(s, (uint8_t *)out, SHARD_JSON_NAME_MAX, &kept, &len, NULL)) return 0;
    out[kept] = 0;
    return 1;
}

/* The text value into buf. @return 1, 0 when unsure, -1 out of memory. */
static int scan_text(Scan *s, JfBuf *buf, ShardJsonDoc *d)
{
    if (s->p >= s->e || *s->p != '"') return 0;
    s->p++;
    size_t room = (size_t)(s->e - s->p), kept, len;   /* decoding never lengthens */
    jf_buf_reset(buf);
    if (jf_buf_reserve(buf, room) != JF_OK) return -1;
    if (!scan_string(s, buf->data, room, &kept, &len, &d->chars)) return 0;
    buf->len = len;
    buf->data[len] = 0;
    d->text = (const char *)buf->data;
    d->text_len = len;
    return 1;
}

/* One member's value, by key. @return 1, 0 when unsure, -1 out of memory. */
static int scan_member(Scan *s, Key k, JfBuf *buf, ShardJsonDoc *d, char *language)
{
    size_t len;
    bool str_or_null = s->p < s->e && (*s->p == '"' || *s->p == 'n');
    switch (k) {
    case K_TEXT: return scan_text(s, buf, d);
    case K_ID:
        if (s->p >= s->e || *s->p != '"') return 0;
        s->p++;
        return scan_string(s, NULL, 0, NULL, &len, NULL);
    case K_LANG: return scan_name(s, d->lang);
    case K_SOURCE: return scan_name(s, d->source);
    case K_LANGUAGE: return str_or_null ? scan_name(s, language) : scan_value(s);
    case K_URL: case K_CREATED: return str_or_null && scan_value(s);
    default: return scan_value(s);
    }
}

/* The fast path over a whole line. @return 1 (d filled), 0 unsure, -1 out
 * of memory. */
static int scan_doc(const char *line, size_t len, JfBuf *buf, ShardJsonDoc *d)
{
    Scan s = { (const uint8_t *)line, (const uint8_t *)line + len, 1, 0 };
    bool seen[K_COUNT] = { false };
    char language[SHARD_JSON_NAME_MAX + 1] = "";
    d->lang[0] = d->source[0] = 0;
    skip_ws(&s);
    if (s.p >= s.e || *s.p++ != '{') return 0;
    skip_ws(&s);
    for (;;) {
        uint8_t kb[16];
        size_t kept, klen;
        if (s.p >= s.e || *s.p++ != '"') return 0;
        s.nul = 0;
        if (!scan_string(&s, kb, sizeof kb, &kept, &klen, NULL) || s.nul) return 0;
        Key k = kept == klen ? key_of(kb, klen) : K_OTHER;
        if (k != K_OTHER && seen[k]) return 0;      /* jansson keeps the last one */
        seen[k] = true;
        skip_ws(&s);
        if (s.p >= s.e || *s.p++ != ':') return 0;
        skip_ws(&s);
        int r = scan_member(&s, k, buf, d, language);
        if (r <= 0) return r;
        skip_ws(&s);
        if (s.p >= s.e) return 0;
        uint8_t c = *s.p++;
        if (c == '}') break;
        if (c != ',') return 0;
        skip_ws(&s);
    }
    skip_ws(&s);
    if (s.p != s.e || !seen[K_ID] || !seen[K_TEXT]) return 0;
    if (!d->lang[0]) memcpy(d->lang, language, sizeof d->lang);
    return 1;
}

/* ------------------------------------------------------------ jansson ---- */

/* Copies the whole characters of v's string that fit SHARD_JSON_NAME_MAX
 * bytes (the scanner cuts the same way). */
static void name_copy(json_t *v, char *out)
{
    const uint8_t *p = (const uint8_t *)json_string_value(v);
    size_t n = json_string_length(v), k = 0;
    while (k < n) {
        size_t step = p[k] < 0x80 ? 1 : p[k] >= 0xF0 ? 4 : p[k] >= 0xE0 ? 3 : 2;
        if (k + step > SHARD_JSON_NAME_MAX) break;
        k += step;
    }
    memcpy(out, p, k);
    out[k] = 0;
}

/* A string-or-null field: *bad when of another type. */
static void name_field(json_t *o, const char *key, char *out, bool *bad)
{
    json_t *v = json_object_get(o, key);
    out[0] = 0;
    if (!v || json_is_null(v)) return;
    if (!json_is_string(v)) *bad = true;
    else name_copy(v, out);
}

static bool str_or_null(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return !v || json_is_null(v) || json_is_string(v);
}

JfStatus shard_json_doc_jansson(const char *line, size_t len, JfBuf *buf, ShardJsonDoc *d,
                                JfError *err)
{
    json_error_t je;
    json_t *o = json_loadb(line, len, JSON_ALLOW_NUL, &je);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return jf_error_set(err, JF_EFORMAT, NULL, o ? JF_OFFSET_UNKNOWN : (uint64_t)je.position,
                            "invalid JSON: %s", o ? "not an object" : je.text);
    }
    json_t *text = json_object_get(o, "text");
    bool bad = !json_is_string(json_object_get(o, "id")) || !json_is_string(text) ||
               !str_or_null(o, "url") || !str_or_null(o, "created");
    name_field(o, "lang", d->lang, &bad);
    name_field(o, "source", d->source, &bad);
    json_t *language = json_object_get(o, "language");
    if (!d->lang[0] && json_is_string(language)) name_copy(language, d->lang);
    JfStatus rc = JF_OK;
    if (bad) {
        rc = jf_error_set(err, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN,
                          "document lacks a string 'id' or 'text', or a field has the wrong type");
    } else {
        jf_buf_reset(buf);
        rc = jf_buf_append(buf, json_string_value(text), json_string_length(text));
        if (rc != JF_OK) jf_error_set(err, rc, NULL, JF_OFFSET_UNKNOWN, "document text: %s",
                                      jf_status_text(rc));
        d->text = (const char *)buf->data;
        d->text_len = buf->len;
        d->chars = 0;
        for (size_t i = 0; rc == JF_OK && i < buf->len; i++)
            d->chars += (buf->data[i] & 0xC0) != 0x80;
    }
    json_decref(o);
    return rc;
}

JfStatus shard_json_doc(const char *line, size_t len, JfBuf *buf, ShardJsonDoc *d, JfError *err)
{
    int r = scan_doc(line, len, buf, d);
    if (r > 0) return JF_OK;
    if (r < 0) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    return shard_json_doc_jansson(line, len, buf, d, err);
}
