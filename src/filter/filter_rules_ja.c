/* filter_rules_ja.c: the character-class and sentence rules of the Swallow
 * profile (docs/filters.md §Japanese). "Characters" are non-whitespace code
 * points; Japanese characters are hiragana + katakana + kanji as defined in
 * filter_text.c. Ratios over an empty denominator are 0. It does not look at
 * repetition (filter_rules_repetition.c) or word lists (filter_rules_words.c). */
#include <math.h>

#include "filter_int.h"

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0.0;
}

JfStatus filter_m_bytes(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    *value = (double)t->len;
    return JF_OK;
}

JfStatus filter_m_chars(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    *value = (double)t->n_cp;
    return JF_OK;
}

static size_t ja_chars(const FilterText *t)
{
    return t->n_hira + t->n_kata + t->n_kanji;
}

JfStatus filter_m_ja_chars(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    *value = (double)ja_chars(t);
    return JF_OK;
}

JfStatus filter_m_hiragana_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    *value = ratio((double)t->n_hira, (double)ja_chars(t));
    return JF_OK;
}

JfStatus filter_m_katakana_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    *value = ratio((double)t->n_kata, (double)ja_chars(t));
    return JF_OK;
}

JfStatus filter_m_ja_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    *value = ratio((double)ja_chars(t), (double)t->n_cp);
    return JF_OK;
}

JfStatus filter_m_sent_mean_len(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    if (filter_text_sentences(t) != JF_OK) return JF_ENOMEM;
    double sum = 0;
    for (size_t i = 0; i < t->n_sents; i++) sum += (double)t->sents[i].chars;
    *value = ratio(sum, (double)t->n_sents);
    return JF_OK;
}

JfStatus filter_m_sent_max_len(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    if (filter_text_sentences(t) != JF_OK) return JF_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < t->n_sents; i++)
        if (t->sents[i].chars > m) m = t->sents[i].chars;
    *value = (double)m;
    return JF_OK;
}

/* Does the span end (trailing whitespace ignored) with "…", "・" or "..."
 * (NFKC writes … as three dots)? */
static bool ends_with_ellipsis(const char *s, size_t a, size_t b)
{
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r' || s[b - 1] == '\n'))
        b--;
    const char *e = s + b;
    if (b - a >= 3 && e[-3] == '\xE2' && e[-2] == '\x80' && e[-1] == '\xA6') return true; /* … */
    if (b - a >= 3 && e[-3] == '\xE3' && e[-2] == '\x83' && e[-1] == '\xBB') return true; /* ・ */
    if (b - a >= 3 && e[-3] == '.' && e[-2] == '.' && e[-1] == '.') return true;
    return false;
}

JfStatus filter_m_sent_ellipsis_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    if (filter_text_sentences(t) != JF_OK) return JF_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < t->n_sents; i++)
        if (ends_with_ellipsis(t->text, t->sents[i].start, t->sents[i].end)) n++;
    *value = ratio((double)n, (double)t->n_sents);
    return JF_OK;
}
