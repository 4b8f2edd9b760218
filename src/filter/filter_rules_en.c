/* filter_rules_en.c: Gopher's quality rules (word count, mean word length,
 * symbol-to-word ratio, bullet and ellipsis lines, alphabetic words, stop
 * words) and document-level shares of the lines C4 drops (terminal
 * punctuation, "javascript" lines, short lines). Words are
 * whitespace-separated tokens. C4's line removal itself is filter_c4.c. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "filter_int.h"

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0.0;
}

static bool is_ascii_punct(uint32_t c)
{
    return c < 0x80 && ispunct((int)c);
}

/* A "word" in Gopher's sense: a token with at least one non-punctuation character. */
static bool token_is_word(const FilterText *t, const FilterSpan *w)
{
    for (size_t i = w->start; i < w->end;)
        if (!is_ascii_punct(filter_utf8_next(t->text, w->end, &i))) return true;
    return false;
}

static bool token_has_alpha(const FilterText *t, const FilterSpan *w)
{
    for (size_t i = w->start; i < w->end;) {
        uint32_t c = filter_utf8_next(t->text, w->end, &i);
        if (c < 0x80 ? isalpha((int)c) != 0 : c >= 0xC0 && !(c >= 0x2000 && c <= 0x2BFF) &&
                                                  !(c >= 0x3000 && c <= 0x303F) && c != 0xFFFD)
            return true;
    }
    return false;
}

JfStatus filter_m_word_count(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    if (filter_text_words(t) != JF_OK) return JF_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < t->n_words; i++) n += token_is_word(t, &t->words[i]);
    *value = (double)n;
    return JF_OK;
}

JfStatus filter_m_mean_word_len(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    if (filter_text_words(t) != JF_OK) return JF_ENOMEM;
    size_t n = 0, chars = 0;
    for (size_t i = 0; i < t->n_words; i++) {
        if (!token_is_word(t, &t->words[i])) continue;
        n++;
        chars += t->words[i].chars;
    }
    *value = ratio((double)chars, (double)n);
    return JF_OK;
}

static size_t count_sub(const char *s, size_t len, const char *sub)
{
    size_t n = 0, k = strlen(sub);
    for (const char *p = s; (p = memmem(p, len - (size_t)(p - s), sub, k)); p += k) n++;
    return n;
}

/* ("#" + "..." + "…") over words. */
JfStatus filter_m_symbol_word_ratio(FilterText *t, const FilterRuleConf *rc, double *value)
{
    double words;
    if (filter_m_word_count(t, rc, &words) != JF_OK) return JF_ENOMEM;
    size_t sym = count_sub(t->text, t->len, "#") + count_sub(t->text, t->len, "...") +
                 count_sub(t->text, t->len, "\xE2\x80\xA6");
    *value = words > 0 ? (double)sym / words : (sym ? 1.0 : 0.0);
    return JF_OK;
}

static bool starts_with_bullet(const char *s, size_t a, size_t b)
{
    while (a < b && (s[a] == ' ' || s[a] == '\t')) a++;
    if (a == b) return false;
    if (s[a] == '-' || s[a] == '*') return true;
    static const char *const BULLETS[] = { "\xE2\x80\xA2", "\xE2\x80\xA3", "\xE2\x97\xA6",
                                           "\xE2\x97\x8F", "\xE2\x96\xAA", "\xE2\x88\x99" };
    for (size_t k = 0; k < sizeof BULLETS / sizeof *BULLETS; k++)
        if (b - a >= 3 && !memcmp(s + a, BULLETS[k], 3)) return true;
    return false;
}

static bool line_ends_with(const char *s, size_t a, size_t b, const char *suf)
{
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) b--;
    size_t k = strlen(suf);
    return b - a >= k && !memcmp(s + b - k, suf, k);
}

JfStatus filter_m_bullet_line_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    if (filter_text_lines(t) != JF_OK) return JF_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < t->n_lines; i++)
        n += starts_with_bullet(t->text, t->lines[i].start, t->lines[i].end);
    *value = ratio((double)n, (double)t->n_lines);
    return JF_OK;
}

JfStatus filter_m_ellipsis_line_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    if (filter_text_lines(t) != JF_OK) return JF_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < t->n_lines; i++) {
        const FilterSpan *l = &t->lines[i];
        n += line_ends_with(t->text, l->start, l->end, "...") ||
             line_ends_with(t->text, l->start, l->end, "\xE2\x80\xA6");
    }
    *value = ratio((double)n, (double)t->n_lines);
    return JF_OK;
}

JfStatus filter_m_alpha_word_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    if (filter_text_words(t) != JF_OK) return JF_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < t->n_words; i++) n += token_has_alpha(t, &t->words[i]);
    *value = ratio((double)n, (double)t->n_words);
    return JF_OK;
}

/* Gopher's stop words: the, be, to, of, and, that, have, with (case-insensitive,
 * surrounding ASCII punctuation ignored). Counts occurrences. */
JfStatus filter_m_stop_word_count(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    static const char *const STOP[] = { "the", "be", "to", "of", "and", "that", "have", "with" };
    if (filter_text_words(t) != JF_OK) return JF_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < t->n_words; i++) {
        size_t a = t->words[i].start, b = t->words[i].end;
        while (a < b && ispunct((unsigned char)t->text[a])) a++;
        while (b > a && ispunct((unsigned char)t->text[b - 1])) b--;
        for (size_t k = 0; k < sizeof STOP / sizeof *STOP; k++)
            if (strlen(STOP[k]) == b - a && !strncasecmp(t->text + a, STOP[k], b - a)) {
                n++;
                break;
            }
    }
    *value = (double)n;
    return JF_OK;
}

/* ---- C4, document level: shares of lines ---- */

/* Lines ending in . ! ? or a closing quote after one. */
JfStatus filter_m_terminal_punct_line_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    if (filter_text_lines(t) != JF_OK) return JF_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < t->n_lines; i++) {
        size_t a = t->lines[i].start, b = t->lines[i].end;
        while (b > a && (t->text[b - 1] == ' ' || t->text[b - 1] == '\t')) b--;
        if (b > a && t->text[b - 1] == '"') b--;
        if (b > a && strchr(".!?", t->text[b - 1])) n++;
    }
    *value = ratio((double)n, (double)t->n_lines);
    return JF_OK;
}

JfStatus filter_m_javascript_line_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    if (filter_text_lines(t) != JF_OK) return JF_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < t->n_lines; i++) {
        const FilterSpan *l = &t->lines[i];
        for (size_t j = l->start; j + 10 <= l->end; j++)
            if (!strncasecmp(t->text + j, "javascript", 10)) {
                n++;
                break;
            }
    }
    *value = ratio((double)n, (double)t->n_lines);
    return JF_OK;
}

/* Lines of fewer than 3 words (C4 drops them). */
JfStatus filter_m_short_line_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    if (filter_text_lines(t) != JF_OK) return JF_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < t->n_lines; i++) {
        const FilterSpan *l = &t->lines[i];
        size_t words = 0;
        bool in = false;
        for (size_t j = l->start; j < l->end; j++) {
            bool sp = t->text[j] == ' ' || t->text[j] == '\t';
            if (!sp && !in) words++;
            in = !sp;
        }
        n += words < 3;
    }
    *value = ratio((double)n, (double)t->n_lines);
    return JF_OK;
}
