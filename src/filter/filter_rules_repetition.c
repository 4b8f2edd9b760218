/* filter_rules_repetition.c: Gopher's repetition rules, shared by the
 * Japanese (unit = character) and English (unit = word) profiles:
 * duplicate lines / sentences / paragraphs (as a fraction of pieces and of
 * characters), the share of characters in the most frequent 2/3/4-gram, and
 * the share of characters covered by 5..10-grams that occur more than once.
 * N-grams are identified by a 64-bit hash (collisions are ignored: at these
 * sizes they are far rarer than one per corpus). Linear in the text. */
#include <string.h>

#include "filter_int.h"
#include "jf_alloc.h"

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0.0;
}

/* Pieces equal (byte for byte) to an earlier piece: how many, and their characters. */
static JfStatus dup_pieces(FilterText *t, const FilterSpan *v, size_t n, size_t *dups,
                           size_t *dup_chars)
{
    *dups = *dup_chars = 0;
    if (filter_counter_reset(&t->counter, n) != JF_OK) return JF_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        uint64_t h = filter_hash_bytes(t->text + v[i].start, v[i].end - v[i].start);
        if (filter_counter_add(&t->counter, h) > 1) {
            (*dups)++;
            *dup_chars += v[i].chars;
        }
    }
    return JF_OK;
}

typedef enum { PIECE_LINE, PIECE_SENT, PIECE_PARA } PieceKind;

static JfStatus dup_measure(FilterText *t, PieceKind kind, bool by_chars, double *value)
{
    JfStatus rc = kind == PIECE_LINE ? filter_text_lines(t)
                : kind == PIECE_SENT ? filter_text_sentences(t)
                                     : filter_text_paragraphs(t);
    if (rc != JF_OK) return rc;
    const FilterSpan *v = kind == PIECE_LINE ? t->lines : kind == PIECE_SENT ? t->sents : t->paras;
    size_t n = kind == PIECE_LINE ? t->n_lines : kind == PIECE_SENT ? t->n_sents : t->n_paras;
    size_t dups, dup_chars;
    if (dup_pieces(t, v, n, &dups, &dup_chars) != JF_OK) return JF_ENOMEM;
    *value = by_chars ? ratio((double)dup_chars, (double)t->n_cp) : ratio((double)dups, (double)n);
    return JF_OK;
}

JfStatus filter_m_dup_line_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    return dup_measure(t, PIECE_LINE, false, value);
}

JfStatus filter_m_dup_line_char_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    return dup_measure(t, PIECE_LINE, true, value);
}

JfStatus filter_m_dup_sent_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    return dup_measure(t, PIECE_SENT, false, value);
}

JfStatus filter_m_dup_sent_char_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    return dup_measure(t, PIECE_SENT, true, value);
}

JfStatus filter_m_dup_para_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    return dup_measure(t, PIECE_PARA, false, value);
}

JfStatus filter_m_dup_para_char_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    return dup_measure(t, PIECE_PARA, true, value);
}

/* Tokens of the rule's unit: code points (length 1) or words (their length in
 * code points). Points *tok / *len at arrays of *n entries; *total: characters. */
static JfStatus unit_tokens(FilterText *t, int unit, const uint64_t **tok, const uint32_t **len,
                            size_t *n, size_t *total)
{
    if (unit == FILTER_UNIT_MORPH) {   /* filter_text_morphs ran (the rule's measure) */
        *tok = t->morph_hash;
        *len = t->morph_len;
        *n = t->n_morphs;
        size_t s = 0;
        for (size_t i = 0; i < t->n_morphs; i++) s += t->morph_len[i];
        *total = t->n_cp > s ? t->n_cp : s;
        return JF_OK;
    }
    if (unit == FILTER_UNIT_WORD) {
        if (filter_text_words(t) != JF_OK) return JF_ENOMEM;
        *tok = t->word_hash;
        *len = t->word_len;
        *n = t->n_words;
        size_t s = 0;
        for (size_t i = 0; i < t->n_words; i++) s += t->word_len[i];
        *total = s;
        return JF_OK;
    }
    if (t->tok_cap < t->n_cp + 1) {
        size_t cap = t->n_cp + 1;
        uint64_t *a = jf_malloc(cap * sizeof *a);
        uint32_t *b = jf_malloc(cap * sizeof *b);
        if (!a || !b) {
            jf_free(a);
            jf_free(b);
            return JF_ENOMEM;
        }
        jf_free(t->tok);
        jf_free(t->tok_len);
        t->tok = a;
        t->tok_len = b;
        t->tok_cap = cap;
    }
    for (size_t i = 0; i < t->n_cp; i++) {
        t->tok[i] = t->cp[i];
        t->tok_len[i] = 1;
    }
    *tok = t->tok;
    *len = t->tok_len;
    *n = t->n_cp;
    *total = t->n_cp;
    return JF_OK;
}

/* One more token into an n-gram hash (the counter mixes the result). */
static uint64_t gram_step(uint64_t h, uint64_t tok)
{
    h ^= tok + 0x632BE59BD9B4E019ULL;
    h *= 0x100000001B3ULL;
    return h ^ (h >> 29);
}

/* Makes t->gram_h[i] the hash of the g-gram at i (i + g <= n), extending the
 * previous rule's (g-1)-grams when it can. @return JF_OK or JF_ENOMEM. */
static JfStatus grams(FilterText *t, int unit, const uint64_t *tok, size_t n, size_t g)
{
    if (t->gram_cap < n + 1) {
        uint64_t *h = jf_malloc((n + 1) * sizeof *h);
        uint32_t *s = jf_malloc((n + 1) * sizeof *s);
        if (!h || !s) {
            jf_free(h);
            jf_free(s);
            return JF_ENOMEM;
        }
        jf_free(t->gram_h);
        jf_free(t->gram_slot);
        t->gram_h = h;
        t->gram_slot = s;
        t->gram_cap = n + 1;
        t->gram_unit = -1;
    }
    if (t->gram_unit != unit || t->gram_n >= g) {
        for (size_t i = 0; i < n; i++) t->gram_h[i] = 0x9E3779B97F4A7C15ULL;
        t->gram_n = 0;
        t->gram_unit = unit;
    }
    for (; t->gram_n < g; t->gram_n++)
        for (size_t i = 0; i + t->gram_n < n; i++)
            t->gram_h[i] = gram_step(t->gram_h[i], tok[i + t->gram_n]);
    return JF_OK;
}

/* Characters in the most frequent n-gram (one that occurs at least twice),
 * times its count, over all characters. */
JfStatus filter_m_top_ngram_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    const uint64_t *tok;
    const uint32_t *len;
    size_t n, total, g = (size_t)rc->def->arg;
    *value = 0;
    if (unit_tokens(t, rc->def->unit, &tok, &len, &n, &total) != JF_OK) return JF_ENOMEM;
    if (n < g) return JF_OK;
    if (grams(t, rc->def->unit, tok, n, g) != JF_OK) return JF_ENOMEM;
    if (filter_counter_reset(&t->counter, n) != JF_OK) return JF_ENOMEM;
    uint32_t best = 1;
    size_t best_at = 0;
    for (size_t i = 0; i + g <= n; i++) {
        uint32_t c = filter_counter_add(&t->counter, t->gram_h[i]);
        if (c > best) { best = c; best_at = i; }
    }
    if (best < 2) return JF_OK;
    size_t chars = 0;
    for (size_t k = 0; k < g; k++) chars += len[best_at + k];
    *value = ratio((double)chars * best, (double)total);
    return JF_OK;
}

/* Gopher's duplicate n-gram share, as datatrove computes it
 * (find_all_duplicate): scanning left to right, an n-gram seen before adds its
 * characters and the scan jumps past it; a new one is remembered and the scan
 * moves one unit. First occurrences never count and counted n-grams never
 * overlap. Over all characters. */
JfStatus filter_m_dup_ngram_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    const uint64_t *tok;
    const uint32_t *len;
    size_t n, total, g = (size_t)rc->def->arg;
    *value = 0;
    if (unit_tokens(t, rc->def->unit, &tok, &len, &n, &total) != JF_OK) return JF_ENOMEM;
    if (n < g) return JF_OK;
    if (grams(t, rc->def->unit, tok, n, g) != JF_OK) return JF_ENOMEM;
    if (filter_counter_reset(&t->counter, n) != JF_OK) return JF_ENOMEM;
    size_t repeated = 0;
    for (size_t i = 0; i + g <= n;) {
        if (filter_counter_add(&t->counter, t->gram_h[i]) > 1) {
            for (size_t k = 0; k < g; k++) repeated += len[i + k];
            i += g;
        } else {
            i++;
        }
    }
    *value = ratio((double)repeated, (double)total);
    return JF_OK;
}
