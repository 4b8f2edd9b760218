/* jf_json_scan.c: the JSON scanner primitives of jf_json_scan.h. They accept
 * only what jansson (with JSON_ALLOW_NUL) accepts: strict UTF-8 (no
 * overlongs, no surrogates, nothing past U+10FFFF), no raw control
 * characters, paired \u surrogates, numbers that cannot overflow
 * (scan_number), nesting up to JF_JSON_SCAN_MAX_DEPTH; otherwise they answer
 * "unsure" (false) and the caller asks jansson. */
#include "jf_json_scan.h"

#include <string.h>

void jf_json_skip_ws(JfJsonScan *s)
{
    while (s->p < s->e && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n')) s->p++;
}

static bool hex4(const uint8_t *p, uint32_t *v)
{
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c = p[i];
        x <<= 4;
        if (c >= '0' && c <= '9') x |= (uint32_t)(c - '0');
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') x |= (uint32_t)((c | 0x20) - 'a' + 10);
        else return false;
    }
    *v = x;
    return true;
}

/* An escape at p (after the backslash) into a code point; @return bytes
 * consumed after the backslash, 0 when invalid. */
static size_t scan_escape(const uint8_t *p, const uint8_t *e, uint32_t *cp)
{
    if (p >= e) return false;
    switch (*p) {
    case '"': case '\\': case '/': *cp = *p; return true;
    case 'b': *cp = '\b'; return true;
    case 'f': *cp = '\f'; return true;
    case 'n': *cp = '\n'; return true;
    case 'r': *cp = '\r'; return true;
    case 't': *cp = '\t'; return true;
    case 'u': break;
    default: return false;
    }
    uint32_t hi, lo;
    if (e - p < 5 || !hex4(p + 1, &hi)) return false;
    if (hi >= 0xDC00 && hi <= 0xDFFF) return false;
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = hi;
        return 5;
    }
    if (e - p < 11 || p[5] != '\\' || p[6] != 'u' || !hex4(p + 7, &lo) || lo < 0xDC00 ||
        lo > 0xDFFF)
        return false;
    *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
    return 11;
}

static size_t utf8_put(uint8_t *o, uint32_t cp)
{
    if (cp < 0x80) { o[0] = (uint8_t)cp; return true; }
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
size_t jf_json_utf8_len(const uint8_t *p, const uint8_t *e)
{
    uint8_t c = p[0];
    size_t k = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
             : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (!k || (size_t)(e - p) < k) return false;
    for (size_t i = 1; i < k; i++)
        if ((p[i] & 0xC0) != 0x80) return false;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) || (c == 0xF0 && p[1] < 0x90) ||
        (c == 0xF4 && p[1] > 0x8F))
        return false;
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
bool jf_json_scan_string(JfJsonScan *s, uint8_t *out, size_t cap, size_t *kept, size_t *len,
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
        if (p >= e) return false;
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
            if (!used) return false;
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
        else if (c < 0x20 || !(k = jf_json_utf8_len(p, e)))
            return false;
        if (out && n + k <= cap) memcpy(out + n, p, k);
        else if (n < cap) cap = n;
        n += k, ch++, p += k;
    }
    s->p = p + 1;
    *len = n;
    if (kept) *kept = n < cap ? n : cap;
    if (chars) *chars = ch;
    return true;
}

/* A number jansson surely takes: an integer of at most 18 digits (no int64
 * overflow), a real with at most 200 integer digits and a 2-digit exponent
 * (no overflow to infinity: jansson refuses that, not an underflow). */
static bool scan_number(JfJsonScan *s)
{
    const uint8_t *p = s->p, *e = s->e;
    int int_digits = 0, exp_digits = 0;
    bool real = false;
    if (p < e && *p == '-') p++;
    if (p >= e || *p < '0' || *p > '9') return false;
    if (*p == '0') {
        p++, int_digits++;
        if (p < e && *p >= '0' && *p <= '9') return false;
    } else {
        while (p < e && *p >= '0' && *p <= '9') p++, int_digits++;
    }
    if (p < e && *p == '.') {
        p++, real = true;
        if (p >= e || *p < '0' || *p > '9') return false;
        while (p < e && *p >= '0' && *p <= '9') p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++, real = true;
        if (p < e && (*p == '+' || *p == '-')) p++;
        while (p < e && *p >= '0' && *p <= '9') p++, exp_digits++;
        if (exp_digits == 0 || exp_digits > 2) return false;
    }
    s->p = p;
    return real ? int_digits <= 200 : int_digits <= 18;
}

bool jf_json_scan_literal(JfJsonScan *s, const char *lit, size_t n)
{
    if ((size_t)(s->e - s->p) < n || memcmp(s->p, lit, n) != 0) return false;
    s->p += n;
    return true;
}

/* An object or array after its opening bracket. */
static bool scan_container(JfJsonScan *s, uint8_t close)
{
    if (++s->depth > JF_JSON_SCAN_MAX_DEPTH) return false;
    jf_json_skip_ws(s);
    if (s->p < s->e && *s->p == close) {
        s->p++, s->depth--;
        return true;
    }
    for (;;) {
        if (close == '}') {
            size_t klen;
            if (s->p >= s->e || *s->p != '"') return false;
            s->p++;
            s->nul = 0;
            if (!jf_json_scan_string(s, NULL, 0, NULL, &klen, NULL) || s->nul) return false;
            jf_json_skip_ws(s);
            if (s->p >= s->e || *s->p++ != ':') return false;
            jf_json_skip_ws(s);
        }
        if (!jf_json_scan_value(s)) return false;
        jf_json_skip_ws(s);
        if (s->p >= s->e) return false;
        uint8_t c = *s->p++;
        if (c == close) break;
        if (c != ',') return false;
        jf_json_skip_ws(s);
    }
    s->depth--;
    return true;
}

/* Any value at s->p (no leading whitespace), validated, not kept. */
bool jf_json_scan_value(JfJsonScan *s)
{
    if (s->p >= s->e) return false;
    size_t len;
    switch (*s->p) {
    case '"': s->p++; return jf_json_scan_string(s, NULL, 0, NULL, &len, NULL);
    case '{': s->p++; return scan_container(s, '}');
    case '[': s->p++; return scan_container(s, ']');
    case 't': return jf_json_scan_literal(s, "true", 4);
    case 'f': return jf_json_scan_literal(s, "false", 5);
    case 'n': return jf_json_scan_literal(s, "null", 4);
    default: return scan_number(s);
    }
}

/* The key of a member, s->p at its opening quote: its index in keys, -1 for
 * any other. Compared decoded, so "\u0069d" is "id", as jansson reads it.
 * @return false when unsure (bad string, or a \u0000 that jansson refuses). */
static bool scan_key(JfJsonScan *s, const char *const *keys, int nkeys, int *key)
{
    enum { KEY_CAP = 32 };   /* longer keys are nobody's */
    uint8_t kb[KEY_CAP];
    size_t kept, len;
    if (s->p >= s->e || *s->p++ != '"') return false;
    s->nul = false;
    if (!jf_json_scan_string(s, kb, sizeof kb, &kept, &len, NULL) || s->nul) return false;
    *key = -1;
    for (int i = 0; kept == len && i < nkeys; i++)
        if (strlen(keys[i]) == len && !memcmp(keys[i], kb, len)) *key = i;
    return true;
}

int jf_json_scan_object(JfJsonScan *s, const char *const *keys, int nkeys, bool *seen,
                        JfJsonMemberFn *fn, void *ctx)
{
    jf_json_skip_ws(s);
    if (s->p >= s->e || *s->p++ != '{') return 0;
    jf_json_skip_ws(s);
    if (s->p < s->e && *s->p == '}') s->p++;
    else
        for (;;) {
            int key;
            if (!scan_key(s, keys, nkeys, &key)) return 0;
            if (key >= 0 && seen[key]) return 0;   /* jansson keeps the last one */
            if (key >= 0) seen[key] = true;
            jf_json_skip_ws(s);
            if (s->p >= s->e || *s->p++ != ':') return 0;
            jf_json_skip_ws(s);
            int r = key >= 0 ? fn(ctx, s, key) : jf_json_scan_value(s) ? 1 : 0;
            if (r <= 0) return r;
            jf_json_skip_ws(s);
            if (s->p >= s->e) return 0;
            uint8_t c = *s->p++;
            if (c == '}') break;
            if (c != ',') return 0;
            jf_json_skip_ws(s);
        }
    jf_json_skip_ws(s);
    return s->p == s->e ? 1 : 0;
}
