/* langid.c: language identification of langid.h: script statistics decide
 * Japanese, CLD2 (langid_cld2.cc) everything else. Does not allocate: CLD2's
 * sample is copied into a thread-local buffer. */
#include "langid.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <unicode/uchar.h>

#include "normalize_int.h"

/* Adds non-ASCII code point c to s (classes in langid.h). Japanese ranges
 * first: they are the hot path. */
static inline void langid_stats_add(ScriptStats *s, uint32_t c)
{
    if (c >= 0x3040 && c <= 0x309F) {
        s->hiragana++;
    } else if (c >= 0x30A0 && c <= 0x30FF) {
        if (c != 0x30A0 && c != 0x30FB) s->katakana++;   /* ゠ and ・ are punctuation */
    } else if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF)) {
        s->kanji++;
    } else if (c >= 0x3000 && c < 0x3040) {
        if (c >= 0x3005 && c <= 0x3007) s->kanji++;       /* 々 〆 〇; the rest is punctuation */
    } else if (c >= 0x31F0 && c <= 0x31FF) {
        s->katakana++;
    } else if (c >= 0xF900 && c <= 0xFAFF) {
        s->kanji++;
    } else if (c >= 0xFF66 && c <= 0xFF9F) {
        s->katakana++;
    } else if (c >= 0x20000 && c <= 0x3FFFF) {
        s->kanji++;
    } else if ((c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) ||
               (c >= 0x1E00 && c <= 0x1EFF) || (c >= 0xFF21 && c <= 0xFF3A) ||
               (c >= 0xFF41 && c <= 0xFF5A)) {
        s->latin++;
    } else if (u_isalpha((UChar32)c)) {
        s->other++;
    }
}

void langid_script_stats(const char *utf8, size_t len, ScriptStats *out)
{
    ScriptStats    s = { 0 };
    const uint8_t *p = (const uint8_t *)utf8;
    size_t         i = 0;
    while (i < len) {
        uint8_t b = p[i];
        if (b < 0x80) {
            s.latin += (unsigned)((b | 0x20) - 'a') < 26u;
            i++;
            continue;
        }
        uint32_t c;
        i += utf8_decode(p + i, len - i, &c);
        if (c != UTF8_BAD) langid_stats_add(&s, c);
    }
    s.chars = s.hiragana + s.katakana + s.kanji + s.latin + s.other;
    *out = s;
}

/* The kana condition of langid.h: kana is a real share of the CJK text. */
static bool langid_stats_has_kana(const ScriptStats *s)
{
    size_t kana = s->hiragana + s->katakana;
    return kana > 0 && (double)kana >= LANGID_JA_MIN_KANA * (double)(kana + s->kanji);
}

/* The Japanese rule of langid.h. */
static bool langid_stats_is_japanese(const ScriptStats *s)
{
    if (s->chars < LANGID_JA_MIN_LETTERS || !langid_stats_has_kana(s)) return false;
    double cjk = (double)(s->hiragana + s->katakana + s->kanji);
    return cjk >= LANGID_JA_MIN_JA * (double)s->chars;
}

/* Copies at most cap-1 bytes of text into dst, whole code points only, with
 * anything CLD2 rejects as not interchange-valid (invalid UTF-8, controls,
 * noncharacters) turned into a space. @return bytes written. */
static size_t langid_sample_copy(char *dst, size_t cap, const uint8_t *p, size_t len)
{
    size_t i = 0, o = 0;
    while (i < len) {
        uint32_t c;
        size_t   k = utf8_decode(p + i, len - i, &c);
        if (o + k >= cap) break;
        if (c == UTF8_BAD || clean_action(c) != CLEAN_KEEP || (c < 0x20 && c != '\n')) {
            dst[o++] = ' ';
        } else {
            memcpy(dst + o, p + i, k);
            o += k;
        }
        i += k;
    }
    dst[o] = '\0';
    return o;
}

JfStatus langid_identify(const char *utf8, size_t len, LangGuess *out, JfError *err)
{
    static _Thread_local char sample[LANGID_CLD2_SAMPLE];
    ScriptStats s;

    langid_script_stats(utf8, len, &s);
    if (langid_stats_is_japanese(&s)) {
        double ja = (double)(s.hiragana + s.katakana + s.kanji) / (double)s.chars;
        strcpy(out->lang, "ja");
        out->confidence = ja / 0.6 > 1.0 ? 1.0 : ja / 0.6;
        out->method = "script";
        return JF_OK;
    }
    strcpy(out->lang, "und");
    out->confidence = 0.0;
    out->method = "script";
    if (s.chars == 0) return JF_OK;

    size_t n = langid_sample_copy(sample, sizeof sample, (const uint8_t *)utf8, len);
    char   code[16];
    int    percent = 0;
    bool   reliable = false;
    JfStatus rc = langid_cld2_detect(sample, n, code, sizeof code, &percent, &reliable, err);
    if (rc != JF_OK) return rc;
    out->method = "cld2";
    if (strcmp(code, "ja") == 0 && langid_stats_has_kana(&s)) {
        strcpy(out->lang, "ja");
        out->confidence = (reliable ? 1.0 : 0.5) * (double)percent / 100.0;
        return JF_OK;
    }
    if (strcmp(code, "ja") == 0 || strcmp(code, "un") == 0) {
        if ((double)s.kanji / (double)s.chars >= LANGID_ZH_MIN_HAN) {
            strcpy(out->lang, "zh");
            out->confidence = 0.5;
            out->method = "script";
        }
        return JF_OK;
    }
    if (code[0] == '\0' || strlen(code) >= sizeof out->lang)
        return JF_OK;   /* an extended code that does not fit: "und" */
    strcpy(out->lang, code);
    out->confidence = (reliable ? 1.0 : 0.5) * (double)percent / 100.0;
    return JF_OK;
}
