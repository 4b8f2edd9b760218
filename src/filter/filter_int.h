/* filter_int.h: what the files of the filter stage share: the per-document
 * analysis (code points, lines, sentences, words, computed lazily), the rule
 * table's types, an n-gram/line hash counter, and the many-pattern matcher.
 * Never included outside src/filter/. */
#ifndef JF_FILTER_INT_H
#define JF_FILTER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter.h"
#include "jf_config.h"
#include "jf_error.h"

/* ---- text analysis ---- */

typedef struct {
    size_t start, end;   /* byte offsets in the text, end exclusive */
    size_t chars;        /* non-whitespace code points inside */
} FilterSpan;

/* Counts of one hashed counter: open addressing over 64-bit hashes. */
typedef struct {
    uint64_t *keys;      /* 0 = empty slot */
    uint32_t *counts;
    size_t    cap;       /* slots in use: a power of two, about 2x the items */
    size_t    alloc;     /* slots allocated (only grows) */
} FilterCounter;

typedef struct {
    const char *text;
    size_t      len;
    const char *url;

    /* non-whitespace code points, in order (invalid UTF-8 bytes become U+FFFD) */
    uint32_t *cp;
    size_t    n_cp, cp_cap;
    size_t    n_hira, n_kata, n_kanji;   /* Japanese characters by class */
    uint64_t  all_cp;                    /* every code point, whitespace included */

    bool        have_lines, have_sents, have_paras, have_words;
    FilterSpan *lines, *sents, *paras, *words;
    size_t      n_lines, n_sents, n_paras, n_words;
    size_t      lines_cap, sents_cap, paras_cap, words_cap;
    uint64_t   *word_hash;               /* n_words */
    uint32_t   *word_len;                /* n_words: code points of each word */
    size_t      wh_cap;

    FilterCounter counter;               /* scratch for n-gram/line counts */
    uint8_t      *mark;                  /* scratch, n_cp bytes */
    size_t        mark_cap;
    uint64_t     *tok;                   /* scratch tokens (n_cp or n_words) */
    uint32_t     *tok_len;
    size_t        tok_cap;

    /* n-gram hashes by start position, kept between rules so that rules for
     * n = 2, 3, ... 10 in a row each extend the previous one by one token */
    uint64_t     *gram_h;
    uint32_t     *gram_slot;             /* counter slot of each position */
    size_t        gram_cap;
    int           gram_unit;             /* -1: none yet for this document */
    size_t        gram_n;

    /* morphemes (MeCab), computed on demand by the first morpheme rule */
    bool      have_morphs;
    uint64_t *morph_hash;                /* n_morphs: hash of each surface */
    uint32_t *morph_len;                 /* n_morphs: characters of each surface */
    size_t    n_morphs, morph_cap;
    size_t    n_nouns;                   /* morphemes whose POS is 名詞 */
} FilterText;

void     filter_text_init(FilterText *t);
void     filter_text_free(FilterText *t);
/* Decodes text into code points and class counts; spans are computed on demand. */
JfStatus filter_text_load(FilterText *t, const char *text, size_t len, const char *url);
JfStatus filter_text_lines(FilterText *t);       /* split on \n (\r\n), blank lines dropped */
JfStatus filter_text_sentences(FilterText *t);   /* see docs/filters.md */
JfStatus filter_text_paragraphs(FilterText *t);  /* split on blank lines */
JfStatus filter_text_words(FilterText *t);       /* split on whitespace */

/* Decodes one code point at s[*i] (advancing *i; invalid bytes give U+FFFD and
 * advance by one). */
uint32_t filter_utf8_next(const char *s, size_t len, size_t *i);
bool     filter_cp_is_space(uint32_t c);
bool     filter_cp_is_hiragana(uint32_t c);
bool     filter_cp_is_katakana(uint32_t c);
bool     filter_cp_is_kanji(uint32_t c);

JfStatus filter_counter_reset(FilterCounter *c, size_t n_items);
/* Adds one occurrence of hash h. @return the count after adding. */
uint32_t filter_counter_add(FilterCounter *c, uint64_t h);
/* Same, and *slot receives its slot (c->counts[*slot] is the count). */
uint32_t filter_counter_add_slot(FilterCounter *c, uint64_t h, uint32_t *slot);
uint32_t filter_counter_get(const FilterCounter *c, uint64_t h);
void     filter_counter_free(FilterCounter *c);
uint64_t filter_hash_bytes(const void *p, size_t n);

/* ---- many-pattern matching (Aho–Corasick over UTF-8 bytes) ---- */
typedef struct FilterMatcher FilterMatcher;

JfStatus filter_matcher_new(FilterMatcher **out);
JfStatus filter_matcher_add(FilterMatcher *m, const char *pat, size_t len);
JfStatus filter_matcher_build(FilterMatcher *m);
size_t   filter_matcher_count(const FilterMatcher *m);
/* Calls fn(ctx, end, len) at every byte offset end where a pattern ends, with
 * the length of the longest pattern ending there (shorter ones ending at the
 * same place lie inside it), in one pass over text. */
void     filter_matcher_scan(const FilterMatcher *m, const char *text, size_t len,
                             void (*fn)(void *ctx, size_t end, size_t len), void *ctx);
void     filter_matcher_free(FilterMatcher *m);

/* Reads a word list (UTF-8, one entry per line, '#' comments, blank lines and
 * surrounding whitespace ignored) calling add(ctx, word, len) per entry.
 * @return JF_OK, JF_EIO, or what add returned. */
JfStatus filter_wordlist_read(const char *path, JfStatus (*add)(void *ctx, const char *w, size_t n),
                              void *ctx, JfError *err);

/* Domain set for host block lists (UT1 format: one domain per line). */
typedef struct FilterHostSet FilterHostSet;
JfStatus filter_hostset_new(FilterHostSet **out);
JfStatus filter_hostset_add(FilterHostSet *s, const char *domain, size_t len);
/* Sorts the set; call once after the last add, before lookups. */
void     filter_hostset_build(FilterHostSet *s);
size_t   filter_hostset_count(const FilterHostSet *s);
/* true when host (lowercase) or one of its parent domains is in the set. */
bool     filter_hostset_has_host(const FilterHostSet *s, const char *host, size_t len);
void     filter_hostset_free(FilterHostSet *s);
/* Extracts the lowercased host of url into out. @return false when none. */
bool     filter_url_host(const char *url, char *out, size_t cap);

/* ---- rules ---- */

typedef struct FilterRuleDef FilterRuleDef;

/* A rule as configured by a profile. */
typedef struct {
    const FilterRuleDef *def;
    double               min, max;   /* NAN: no bound */
    void                *data;       /* compiled word list etc., owned */
} FilterRuleConf;

/* Measures one value of the document. @return JF_OK or JF_ENOMEM. */
typedef JfStatus FilterMeasureFn(FilterText *t, const FilterRuleConf *rc, double *value);
/* Loads rule data from the profile's section (keys "SECTION.files" ...).
 * @return JF_OK, JF_EIO, JF_EFORMAT, JF_ENOMEM. */
typedef JfStatus FilterSetupFn(FilterRuleConf *rc, const JfConfig *cfg, const char *base_dir,
                               JfError *err);
typedef void FilterTeardownFn(FilterRuleConf *rc);

enum { FILTER_UNIT_CHAR = 0, FILTER_UNIT_WORD = 1, FILTER_UNIT_MORPH = 2 };

/* Cuts a document: @return the new length (a prefix of text) and sets *value
 * (what the rule reports, e.g. characters cut). Runs before any measure. */
typedef size_t FilterTrimFn(const FilterRuleConf *rc, const char *text, size_t len,
                            double *value);

struct FilterRuleDef {
    const char       *name;
    FilterMeasureFn  *measure;
    int               arg;          /* n of an n-gram rule ... */
    int               unit;         /* FILTER_UNIT_CHAR or _WORD */
    double            min, max;     /* defaults; NAN: none */
    bool              max_strict;
    FilterSetupFn    *setup;        /* NULL: no extra keys */
    FilterTeardownFn *teardown;
    const char       *extra_key;    /* the one extra key setup reads ("files"), or NULL */
    FilterTrimFn     *trim;         /* non-NULL: the rule rewrites the document (no measure) */
};

/* ---- MeCab (filter_mecab.c) ---- */
typedef struct FilterMecab FilterMecab;   /* model + tagger + lattice: one per Filter (thread) */
#define FILTER_MECAB_DICDIR "/var/lib/mecab/dic/ipadic-utf8"
/* Opens MeCab with "-d dicdir" (always given: installing unidic changes the default).
 * @return JF_OK, JF_EIO (err says why MeCab refused). */
JfStatus filter_mecab_open(const char *dicdir, FilterMecab **out, JfError *err);
void     filter_mecab_close(FilterMecab *m);   /* accepts NULL */
/* Fills t's morphemes (once per document). @return JF_OK or JF_ENOMEM. */
JfStatus filter_text_morphs(FilterText *t, FilterMecab *m);

/* The rule table (filter_rules.c). @return NULL when unknown. */
const FilterRuleDef *filter_rule_find(const char *name);
size_t               filter_rule_table_size(void);
const FilterRuleDef *filter_rule_at(size_t i);

/* Measure functions, one file per family. */
FilterMeasureFn filter_m_bytes;
FilterMeasureFn filter_m_chars, filter_m_ja_chars, filter_m_hiragana_frac, filter_m_katakana_frac,
    filter_m_ja_frac, filter_m_sent_mean_len, filter_m_sent_max_len, filter_m_sent_ellipsis_frac;
FilterMeasureFn filter_m_dup_line_frac, filter_m_dup_line_char_frac, filter_m_dup_sent_frac,
    filter_m_dup_sent_char_frac, filter_m_dup_para_frac, filter_m_dup_para_char_frac,
    filter_m_top_ngram_frac, filter_m_dup_ngram_frac;
FilterMeasureFn filter_m_ng_word_frac, filter_m_host_blocked;
FilterSetupFn   filter_setup_ng_words, filter_setup_hosts;
FilterTeardownFn filter_teardown_ng_words, filter_teardown_hosts;
FilterMeasureFn filter_m_noun_ratio, filter_m_morph_dup_ngram_frac, filter_m_zstd_ratio,
    filter_m_pattern_count;
FilterSetupFn    filter_setup_mecab, filter_setup_zstd;
FilterTeardownFn filter_teardown_mecab, filter_teardown_zstd;
FilterTrimFn     filter_trim_footer;
FilterMeasureFn filter_m_word_count, filter_m_mean_word_len, filter_m_symbol_word_ratio,
    filter_m_bullet_line_frac, filter_m_ellipsis_line_frac, filter_m_alpha_word_frac,
    filter_m_stop_word_count, filter_m_terminal_punct_line_frac, filter_m_lorem_ipsum,
    filter_m_curly_bracket, filter_m_javascript_line_frac, filter_m_short_line_frac;

#endif
