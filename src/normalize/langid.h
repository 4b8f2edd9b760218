/* langid.h: language identification of a document's (normalized) text,
 * tuned for the Japanese/English corpus: Japanese is recognized from script
 * statistics (fast, exact rules), everything else is left to CLD2.
 *
 * Script classes (code points, not bytes):
 *   hiragana  U+3040-309F
 *   katakana  U+30A1-30FF (includes U+30FC ー PROLONGED SOUND MARK; U+30A0 ゠
 *             and U+30FB ・ are punctuation, not counted), U+31F0-31FF,
 *             half-width U+FF66-FF9F (incl. U+FF70 ｰ)
 *   kanji     CJK Unified Ideographs U+4E00-9FFF, Ext A U+3400-4DBF,
 *             compatibility U+F900-FAFF, planes 2-3 U+20000-3FFFF (Ext B-H),
 *             U+3005 々, U+3006 〆, U+3007 〇
 *   latin     A-Z a-z, U+00C0-024F (minus U+00D7 × and U+00F7 ÷),
 *             U+1E00-1EFF, full-width Ａ-Ｚ ａ-ｚ
 *   other     any other letter (ICU u_isalpha: general category L*; Hangul,
 *             Cyrillic, Arabic, ...)
 * Not counted at all (not in chars): spaces, punctuation (including 、。「」),
 * digits, symbols, controls.
 *
 * Japanese rule (the "script" method), with letters = chars and
 * cjk = hiragana + katakana + kanji:
 *   letters >= LANGID_JA_MIN_LETTERS (10): less is too short to judge;
 *   (hiragana + katakana) / cjk >= LANGID_JA_MIN_KANA (0.10): kana must be
 *     present. Japanese prose is 50-75% kana among its CJK characters, and
 *     even kanji-heavy headings keep some; Chinese has none (a stray の in a
 *     shop name is 1 in 26: "我们去了一家叫做「美味の店」的餐厅..." stays
 *     below). This is what makes kanji-only text (Chinese) NOT Japanese;
 *   cjk / letters >= LANGID_JA_MIN_JA (0.30): most of the text is Japanese.
 *     The Japanese Debian reference chapters measure 0.40-0.71 (commands and
 *     package names are latin); an English page quoting a Japanese phrase
 *     stays far below.
 * confidence = min(1, (cjk/letters) / 0.6) for "script".
 *
 * Otherwise CLD2 decides ("cld2"), on the first LANGID_CLD2_SAMPLE bytes:
 * its ISO 639-1 code where it has one ("en", "zh", "zh-Hant", "ko"...),
 * confidence = its percentage of the text, halved when CLD2 itself calls the
 * answer unreliable. This covers the middle ground, e.g. Japanese pages that
 * are mostly tables of package names (cjk/letters 0.13 in chapter 7 of the
 * reference): CLD2's "ja" is taken when kana is present (the kana condition
 * above holds). CLD2's "ja" without kana (its small tables call short
 * kanji-only Chinese lines Japanese) and its "unknown" become:
 *   "zh" (method "script", confidence 0.5) when kanji/letters >=
 *     LANGID_ZH_MIN_HAN (0.5): Han-dominant text without kana is Chinese
 *     (CLD2 misses even plain Chinese sentences of 30 characters);
 *   "und" (confidence 0) otherwise.
 * Does not: segment mixed-language documents (one answer per text), detect
 * charsets, or look at HTML. */
#ifndef JF_LANGID_H
#define JF_LANGID_H

#include <stddef.h>

#include "jf_error.h"

#define LANGID_JA_MIN_LETTERS 10
#define LANGID_JA_MIN_KANA    0.10
#define LANGID_JA_MIN_JA      0.30
#define LANGID_ZH_MIN_HAN     0.50
#define LANGID_CLD2_SAMPLE    ((size_t)32 * 1024)

typedef struct {
    size_t chars;   /* code points counted (letters, excluding spaces/punct/digits) */
    size_t hiragana, katakana, kanji, latin, other;  /* chars = sum of these */
} ScriptStats;

/* Counts script classes of the UTF-8 text (invalid bytes are skipped).
 * Pure function, thread-safe, no allocation. */
void langid_script_stats(const char *utf8, size_t len, ScriptStats *out);

typedef struct {
    char        lang[8];    /* "ja", "en", "und", ... ISO 639-1 where CLD2 knows it */
    double      confidence; /* 0..1 */
    const char *method;     /* static string: "script" or "cld2" */
} LangGuess;

/* Identifies the language of len bytes of UTF-8 at utf8 (need not be
 * NUL-terminated). Japanese by the script rule above, otherwise CLD2.
 * Thread-safe; no heap allocation by this module (CLD2 may allocate
 * internally). Empty or letter-free text gives "und" with confidence 0.
 * @return JF_OK, or JF_EINTERNAL if CLD2 throws. */
JfStatus langid_identify(const char *utf8, size_t len, LangGuess *out, JfError *err);

#endif
