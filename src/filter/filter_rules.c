/* filter_rules.c: the table of every rule a profile in filters/ can name:
 * name, measure function, n (for n-gram rules), unit (character or word),
 * default bounds, the extra keys its setup reads, and for editing rules the
 * trim function or the step of C4's line pass. Defaults are Swallow's
 * (ja_*), Gopher's (en_*) and C4's (c4_*); a profile may change any bound.
 * The definitions are written out in docs/filters.md. */
#include <math.h>
#include <string.h>

#include "filter_int.h"

#define NONE NAN
#define C FILTER_UNIT_CHAR
#define W FILTER_UNIT_WORD
#define M FILTER_UNIT_MORPH
/* A rule without word lists, max inclusive. */
#define R(name, fn, n, unit, lo, hi) { name, fn, n, unit, lo, hi, false, NULL, NULL, NULL, NULL, 0 }
/* A step of C4's line pass; keys: its one integer key, or none. */
#define C4R(name, step, lo, hi, key) \
    { name, NULL, 0, W, lo, hi, false, (key) ? filter_setup_c4 : NULL, \
      (key) ? filter_teardown_c4 : NULL, key, NULL, step }

static const FilterRuleDef RULES[] = {
    /* name                           measure                           n  unit min  max */
    R("max_bytes",                    filter_m_bytes,                     0, C, NONE, 8388608),
    /* Swallow (Japanese) */
    R("ja_min_chars",                 filter_m_chars,                     0, C, 400,  NONE),
    R("ja_min_ja_chars",              filter_m_ja_chars,                  0, C, 400,  NONE),
    R("ja_hiragana_ratio",            filter_m_hiragana_frac,             0, C, 0.2,  NONE),
    R("ja_katakana_ratio",            filter_m_katakana_frac,             0, C, NONE, 0.5),
    R("ja_japanese_ratio",            filter_m_ja_frac,                   0, C, 0.5,  NONE),
    R("ja_sentence_mean_len",         filter_m_sent_mean_len,             0, C, 20,   90),
    R("ja_sentence_max_len",          filter_m_sent_max_len,              0, C, NONE, 200),
    R("ja_ellipsis_sentence_ratio",   filter_m_sent_ellipsis_frac,        0, C, NONE, 0.2),
    R("ja_dup_line_frac",             filter_m_dup_line_frac,             0, C, NONE, 0.30),
    R("ja_dup_line_char_frac",        filter_m_dup_line_char_frac,        0, C, NONE, 0.20),
    R("ja_dup_sentence_frac",         filter_m_dup_sent_frac,             0, C, NONE, 0.30),
    R("ja_dup_sentence_char_frac",    filter_m_dup_sent_char_frac,        0, C, NONE, 0.20),
    R("ja_top_2gram_char_frac",       filter_m_top_ngram_frac,            2, C, NONE, 0.20),
    R("ja_top_3gram_char_frac",       filter_m_top_ngram_frac,            3, C, NONE, 0.18),
    R("ja_top_4gram_char_frac",       filter_m_top_ngram_frac,            4, C, NONE, 0.16),
    R("ja_dup_5gram_char_frac",       filter_m_dup_ngram_frac,            5, C, NONE, 0.15),
    R("ja_dup_6gram_char_frac",       filter_m_dup_ngram_frac,            6, C, NONE, 0.14),
    R("ja_dup_7gram_char_frac",       filter_m_dup_ngram_frac,            7, C, NONE, 0.13),
    R("ja_dup_8gram_char_frac",       filter_m_dup_ngram_frac,            8, C, NONE, 0.12),
    R("ja_dup_9gram_char_frac",       filter_m_dup_ngram_frac,            9, C, NONE, 0.11),
    R("ja_dup_10gram_char_frac",      filter_m_dup_ngram_frac,           10, C, NONE, 0.10),
    { "ja_ng_word_ratio",          filter_m_ng_word_frac,            0, C, NONE, 0.05, true,
      filter_setup_ng_words, filter_teardown_ng_words, "files", NULL, 0 },
    { "host_blocklist",            filter_m_host_blocked,            0, C, NONE, 0,    false,
      filter_setup_hosts, filter_teardown_hosts, "files", NULL, 0 },
    /* Swallow footer trimming: rewrites the document; value = characters cut */
    { "footer_trim",               NULL,                             0, C, NONE, NONE, false,
      filter_setup_footer, filter_teardown_footer, "files lines long_line share",
      filter_trim_footer, 0 },
    /* LLM-jp / HojiChar family (optional) */
    { "ja_noun_ratio",             filter_m_noun_ratio,              0, M, NONE, 0.8,  false,
      filter_setup_mecab, filter_teardown_mecab, "mecab", NULL, 0 },
    { "ja_dup_word_7gram_char_frac", filter_m_morph_dup_ngram_frac,  7, M, NONE, 0.13, false,
      filter_setup_mecab, filter_teardown_mecab, "mecab", NULL, 0 },
    { "ja_zstd_ratio",             filter_m_zstd_ratio,              0, C, 0.2,  0.9,  false,
      filter_setup_zstd, filter_teardown_zstd, NULL, NULL, 0 },
    { "ja_bbs_ad_patterns",        filter_m_pattern_count,           0, C, NONE, 14,   false,
      filter_setup_ng_words, filter_teardown_ng_words, "files", NULL, 0 },
    /* Gopher (English) */
    R("en_word_count",                filter_m_word_count,                0, W, 50,   100000),
    R("en_mean_word_len",             filter_m_mean_word_len,             0, W, 3,    10),
    R("en_symbol_word_ratio",         filter_m_symbol_word_ratio,         0, W, NONE, 0.1),
    R("en_bullet_line_ratio",         filter_m_bullet_line_frac,          0, W, NONE, 0.9),
    R("en_ellipsis_line_ratio",       filter_m_ellipsis_line_frac,        0, W, NONE, 0.3),
    R("en_alpha_word_ratio",          filter_m_alpha_word_frac,           0, W, 0.8,  NONE),
    R("en_stop_word_count",           filter_m_stop_word_count,           0, W, 2,    NONE),
    R("en_dup_line_frac",             filter_m_dup_line_frac,             0, W, NONE, 0.30),
    R("en_dup_para_frac",             filter_m_dup_para_frac,             0, W, NONE, 0.30),
    R("en_dup_line_char_frac",        filter_m_dup_line_char_frac,        0, W, NONE, 0.20),
    R("en_dup_para_char_frac",        filter_m_dup_para_char_frac,        0, W, NONE, 0.20),
    R("en_top_2gram_char_frac",       filter_m_top_ngram_frac,            2, W, NONE, 0.20),
    R("en_top_3gram_char_frac",       filter_m_top_ngram_frac,            3, W, NONE, 0.18),
    R("en_top_4gram_char_frac",       filter_m_top_ngram_frac,            4, W, NONE, 0.16),
    R("en_dup_5gram_char_frac",       filter_m_dup_ngram_frac,            5, W, NONE, 0.15),
    R("en_dup_6gram_char_frac",       filter_m_dup_ngram_frac,            6, W, NONE, 0.14),
    R("en_dup_7gram_char_frac",       filter_m_dup_ngram_frac,            7, W, NONE, 0.13),
    R("en_dup_8gram_char_frac",       filter_m_dup_ngram_frac,            8, W, NONE, 0.12),
    R("en_dup_9gram_char_frac",       filter_m_dup_ngram_frac,            9, W, NONE, 0.11),
    R("en_dup_10gram_char_frac",      filter_m_dup_ngram_frac,           10, W, NONE, 0.10),
    /* C4 (English): the line pass (filter_c4.c), in datatrove's order. Line
     * rules' value = characters of the lines they drop (bounds none: they
     * edit); c4_lorem_ipsum / c4_curly_bracket / c4_min_sentences judge the
     * document on the lines that reach them. */
    C4R("c4_line_max_word_len",       FILTER_C4_MAX_WORD_LEN,  NONE, NONE, "chars"),
    C4R("c4_citations",               FILTER_C4_CITATIONS,     NONE, NONE, NULL),
    C4R("c4_line_terminal_punct",     FILTER_C4_TERMINAL_PUNCT, NONE, NONE, NULL),
    C4R("c4_line_min_words",          FILTER_C4_MIN_WORDS,     NONE, NONE, "words"),
    C4R("c4_lorem_ipsum",             FILTER_C4_LOREM,         NONE, 0,    NULL),
    C4R("c4_line_javascript",         FILTER_C4_JAVASCRIPT,    NONE, NONE, NULL),
    C4R("c4_curly_bracket",           FILTER_C4_CURLY,         NONE, 0,    NULL),
    C4R("c4_line_policy",             FILTER_C4_POLICY,        NONE, NONE, NULL),
    C4R("c4_min_sentences",           FILTER_C4_MIN_SENTENCES, 5,    NONE, NULL),
    /* C4, document level: shares of the lines the pass would drop */
    R("c4_terminal_punct_line_ratio", filter_m_terminal_punct_line_frac,  0, W, 0.5,  NONE),
    R("c4_javascript_line_ratio",     filter_m_javascript_line_frac,      0, W, NONE, 0.1),
    R("c4_short_line_ratio",          filter_m_short_line_frac,           0, W, NONE, 0.5),
};

const FilterRuleDef *filter_rule_find(const char *name)
{
    for (size_t i = 0; i < sizeof RULES / sizeof *RULES; i++)
        if (!strcmp(RULES[i].name, name)) return &RULES[i];
    return NULL;
}

size_t filter_rule_table_size(void)
{
    return sizeof RULES / sizeof *RULES;
}

const FilterRuleDef *filter_rule_at(size_t i)
{
    return i < sizeof RULES / sizeof *RULES ? &RULES[i] : NULL;
}
