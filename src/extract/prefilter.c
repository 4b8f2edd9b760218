/* prefilter.c: is a raw page possibly Japanese? Looks at the declared
 * charset, <html lang> and the <title> bytes, nothing else (see prefilter.h).
 * No allocation, no ICU: this runs on every page of a crawl, most of which it
 * throws away. */
#include "prefilter.h"

#include <string.h>

#include "charset.h"
#include "extract_int.h"

/* Hiragana needed by the last rule, and their share of the wide characters:
 * Japanese prose is 30-50% hiragana; Chinese uses a stray の at most. */
#define PREFILTER_MIN_HIRAGANA 16

/* "ja", "ja-JP", "ja_JP", "JA", "jpn", and the common mistake "jp". */
static bool lang_is_japanese(const uint8_t *v, size_t n)
{
    while (n && (*v == ' ' || *v == '\t')) v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    if (n < 2) return false;
    uint8_t a = extract_lower(v[0]), b = extract_lower(v[1]);
    bool tail_ok = n == 2 || v[2] == '-' || v[2] == '_';
    if (a == 'j' && (b == 'a' || b == 'p') && tail_ok) return true;
    if (n >= 3 && a == 'j' && b == 'p' && extract_lower(v[2]) == 'n')
        return n == 3 || v[3] == '-' || v[3] == '_';
    return false;
}

static bool label_is_japanese(const uint8_t *label, size_t len)
{
    char icu[40];
    return charset_label_to_icu((const char *)label, len, icu, sizeof icu) &&
           charset_is_japanese(icu);
}

/* Offset of the first "<NAME" followed by space, '/' or '>', or len. */
static size_t find_tag(const uint8_t *s, size_t len, const char *lt_name, size_t n)
{
    size_t off = 0;
    while (off < len) {
        size_t at = extract_find_ci(s + off, len - off, lt_name, n);
        if (at == len - off) return len;
        size_t i = off + at + n;
        if (i >= len) return len;
        uint8_t c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '>' || c == '/')
            return off + at;
        off = i;
    }
    return len;
}

static bool html_lang_is_japanese(const uint8_t *s, size_t len)
{
    size_t at = find_tag(s, len, "<html", 5);
    if (at == len) return false;
    const uint8_t *a = s + at + 5;
    size_t alen = len - at - 5;
    const uint8_t *gt = memchr(a, '>', alen);
    if (gt) alen = (size_t)(gt - a);
    ExtractLabel v;
    if (extract_tag_attr(a, alen, "lang", &v) && lang_is_japanese(v.label, v.len)) return true;
    return extract_tag_attr(a, alen, "xml:lang", &v) && lang_is_japanese(v.label, v.len);
}

static bool is_kana(uint32_t c)
{
    return (c >= 0x3041 && c <= 0x30FF) || (c >= 0xFF66 && c <= 0xFF9F);
}

/* Kana as UTF-8; *valid_multi tells whether the bytes are UTF-8 with at least
 * one multi-byte character (then no legacy charset is tried). */
static bool utf8_has_kana(const uint8_t *t, size_t n, bool *valid_multi)
{
    bool kana = false, multi = false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = t[i];
        if (c < 0x80) continue;
        if (c >= 0xC2 && c <= 0xDF && i + 1 < n && (t[i + 1] & 0xC0) == 0x80) {
            multi = true, i += 1;
        } else if (c >= 0xE0 && c <= 0xEF && i + 2 < n && (t[i + 1] & 0xC0) == 0x80 &&
                   (t[i + 2] & 0xC0) == 0x80) {
            uint32_t cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(t[i + 1] & 0x3F) << 6) |
                          (t[i + 2] & 0x3F);
            kana |= is_kana(cp);
            multi = true, i += 2;
        } else if (c >= 0xF0 && c <= 0xF4 && i + 3 < n && (t[i + 1] & 0xC0) == 0x80 &&
                   (t[i + 2] & 0xC0) == 0x80 && (t[i + 3] & 0xC0) == 0x80) {
            multi = true, i += 3;
        } else {
            *valid_multi = false;
            return false;
        }
    }
    *valid_multi = multi;
    return kana;
}

static bool sjis_has_kana(const uint8_t *t, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        uint8_t c = t[i], d = t[i + 1];
        if ((c >= 0x81 && c <= 0x9F) || (c >= 0xE0 && c <= 0xFC)) {
            if ((c == 0x82 && d >= 0x9F && d <= 0xF1) || (c == 0x83 && d >= 0x40 && d <= 0x96))
                return true;
            i++;
        }
    }
    return false;
}

static bool eucjp_has_kana(const uint8_t *t, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        uint8_t c = t[i], d = t[i + 1];
        if (c == 0x8F) {
            i += 2;
        } else if (c == 0x8E || (c >= 0xA1 && c <= 0xFE)) {
            if ((c == 0xA4 && d >= 0xA1 && d <= 0xF3) || (c == 0xA5 && d >= 0xA1 && d <= 0xF6))
                return true;
            i++;
        }
    }
    return false;
}

/* &#12354; or &#x3042; naming a kana. */
static bool ncr_has_kana(const uint8_t *t, size_t n)
{
    const uint8_t *p = t, *end = t + n;
    while ((p = memchr(p, '&', (size_t)(end - p))) != NULL) {
        p++;
        if (p >= end || *p != '#') continue;
        p++;
        bool hex = p < end && (*p == 'x' || *p == 'X');
        if (hex) p++;
        uint32_t v = 0;
        int digits = 0;
        for (; p < end && digits < 8; p++, digits++) {
            uint8_t c = extract_lower(*p);
            if (c >= '0' && c <= '9') v = v * (hex ? 16 : 10) + (c - '0');
            else if (hex && c >= 'a' && c <= 'f') v = v * 16 + (uint32_t)(c - 'a' + 10);
            else break;
        }
        if (digits && is_kana(v)) return true;
    }
    return false;
}

static bool title_has_kana(const uint8_t *s, size_t len)
{
    size_t at = find_tag(s, len, "<title", 6);
    if (at == len) return false;
    const uint8_t *gt = memchr(s + at, '>', len - at);
    if (!gt) return false;
    const uint8_t *t = gt + 1;
    size_t n = len - (size_t)(t - s);
    size_t end = extract_find_ci(t, n, "</title", 7);
    n = end < 2048 ? end : 2048;
    bool utf8_multi = false;
    if (utf8_has_kana(t, n, &utf8_multi)) return true;
    if (ncr_has_kana(t, n)) return true;
    for (size_t i = 0; i + 2 < n; i++)
        if (t[i] == 0x1B && t[i + 1] == '$' && (t[i + 2] == 'B' || t[i + 2] == '@')) return true;
    if (utf8_multi) return false;
    return sjis_has_kana(t, n) || eucjp_has_kana(t, n);
}

/* Hiragana among the characters of s, read as UTF-8 when valid, else as EUC-JP
 * and as Shift_JIS (aligned on their double-byte characters). */
static bool body_has_hiragana(const uint8_t *s, size_t n)
{
    size_t hira = 0, wide = 0;
    if (charset_is_valid_utf8(s, n, true)) {
        for (size_t i = 0; i < n; i++) {
            if (s[i] < 0xC0) continue;
            wide++;
            if (s[i] == 0xE3 && i + 2 < n &&
                ((s[i + 1] == 0x81 && s[i + 2] >= 0x81) || (s[i + 1] == 0x82 && s[i + 2] <= 0x96)))
                hira++;
        }
        return hira >= PREFILTER_MIN_HIRAGANA && hira * 10 >= wide;
    }
    for (size_t i = 0; i + 1 < n; i++) { /* EUC-JP */
        uint8_t c = s[i];
        if (c == 0x8F) {
            i += 2, wide++;
        } else if (c == 0x8E || (c >= 0xA1 && c <= 0xFE)) {
            wide++;
            hira += c == 0xA4 && s[i + 1] >= 0xA1 && s[i + 1] <= 0xF3;
            i++;
        }
    }
    if (hira >= PREFILTER_MIN_HIRAGANA && hira * 5 >= wide) return true;
    hira = wide = 0;
    for (size_t i = 0; i + 1 < n; i++) { /* Shift_JIS */
        uint8_t c = s[i];
        if ((c >= 0x81 && c <= 0x9F) || (c >= 0xE0 && c <= 0xFC)) {
            wide++;
            hira += c == 0x82 && s[i + 1] >= 0x9F && s[i + 1] <= 0xF1;
            i++;
        }
    }
    return hira >= PREFILTER_MIN_HIRAGANA && hira * 5 >= wide;
}

bool prefilter_maybe_japanese(const uint8_t *raw, size_t len, const char *http_content_type)
{
    ExtractLabel lab;
    if (extract_content_type_charset(http_content_type, &lab) &&
        label_is_japanese(lab.label, lab.len))
        return true;
    if (!raw) return false;
    size_t n = len < PREFILTER_SCAN ? len : PREFILTER_SCAN;
    if (html_lang_is_japanese(raw, n)) return true;
    if (extract_meta_charset(raw, n, &lab) && label_is_japanese(lab.label, lab.len)) return true;
    return title_has_kana(raw, n) || body_has_hiragana(raw, n);
}
