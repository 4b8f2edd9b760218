/* prefilter.h: a cheap test on the raw bytes of a page, before charset
 * conversion and full extraction, that throws away pages that are surely not
 * Japanese (the Swallow corpus' first step). It errs on the side of keeping:
 * the real language check comes later on the text. Scans at most the first
 * PREFILTER_SCAN bytes, allocates nothing, never fails. */
#ifndef PREFILTER_H
#define PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PREFILTER_SCAN 65536

/* True when any of these holds:
 *   - <html lang> (or xml:lang) is Japanese: "ja", "ja-JP", "ja_JP", "jpn", any case;
 *   - a Japanese charset is declared in http_content_type (may be NULL) or in a
 *     <meta> of the page (Shift_JIS and aliases, CP932, EUC-JP, ISO-2022-JP);
 *   - the <title> contains kana, in UTF-8, Shift_JIS or EUC-JP bytes, a numeric
 *     character reference, or an ISO-2022-JP escape sequence;
 *   - the scanned bytes hold at least 16 hiragana, and hiragana are at least
 *     10% of the non-ASCII characters (UTF-8) or 20% of the double-byte
 *     characters (EUC-JP, Shift_JIS): Japanese pages with a kanji-only or
 *     English title and no declaration (namazu's manuals, "序章") still pass. */
bool prefilter_maybe_japanese(const uint8_t *raw, size_t len, const char *http_content_type);

#endif
