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

/* Piece kinds whose duplicates the repetition rules count (cached per document). */
enum { FILTER_PIECE_LINE = 0, FILTER_PIECE_SENT = 1, FILTER_PIECE_PARA = 2 };

/* n-gram machinery of filter_rules_repetition.c: a hash-table slot (valid
 * when epoch is the table's current one, so a level starts without clearing)
 * and a start position whose n-gram occurs more than once so far. */
typedef struct {
    uint64_t key;        /* mixed 64-bit n-gram hash */
    uint32_t id;         /* dense class id */
    uint32_t epoch;
} FilterGramSlot;

typedef struct {
    uint64_t h;          /* hash of the n-gram starting at pos */
    uint32_t pos;        /* start, in tokens */
    uint32_t cls;        /* class id at the current level */
} FilterGramLive;

typedef struct {
    const char *text;
    size_t      len;
    const char *url;

    /* non-whitespace code points, in order (invalid UTF-8 bytes become U+FFFD),
     * and the byte offset where each starts: the characters of any span are
     * counted from cp_off without decoding the text again */
    uint32_t *cp;
    uint32_t *cp_off;
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

    /* duplicate pieces by kind (FILTER_PIECE_*), counted once per document for
     * the "fraction of pieces" and "fraction of characters" rules alike */
    bool   have_dup[3];
    size_t dup_n[3], dup_chars[3];

    FilterCounter counter;               /* scratch for line/sentence counts */

    /* tokens of the n-gram rules' unit (code points, or word / morpheme hashes),
     * their lengths in characters, built once per document and unit */
    uint64_t     *tok;
    uint32_t     *tok_len;
    size_t        tok_cap, n_tok, tok_chars;
    int           tok_unit;              /* -1: none yet for this document */

    /* n-gram classes of level gram_n (filter_rules_repetition.c). gram_live
     * lists, in text order, the starts whose n-gram may repeat, each with its
     * hash and class; gram_count[cls] is the number of occurrences of the
     * class. A start whose n-gram occurs once is dropped from the list: every
     * longer n-gram there is unique too, never hashed or counted again. Rules
     * for n = 2, 3, ... 10 in a row each extend the previous level. */
    FilterGramLive *gram_live;
    size_t          n_live, live_cap;
    FilterGramSlot *gram_slots;
    size_t          slots_cap;
    uint32_t        gram_epoch;
    uint32_t       *gram_count;          /* per class: occurrences */
    uint32_t       *gram_aux;            /* per class: running counts / seen flags */
    size_t          count_cap, n_classes;
    int             gram_unit;           /* -1: none yet for this document */
    size_t          gram_n;

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
/* Non-whitespace code points starting in text[a..b), for spans visited in
 * increasing order: *k is a cursor into cp_off (start it at 0). */
size_t   filter_text_chars_in(const FilterText *t, size_t *k, size_t a, size_t b);

/* Decodes one code point at s[*i] (advancing *i; invalid bytes give U+FFFD and
 * advance by one). Inline: every rule that walks text calls it per character. */
__attribute__((always_inline)) static inline uint32_t filter_utf8_next(const char *s, size_t len,
                                                                      size_t *i)
{
    const uint8_t *p = (const uint8_t *)s + *i;
    size_t left = len - *i;
    uint32_t c = p[0];
    size_t n;
    uint32_t min;
    if (c < 0x80) { *i += 1; return c; }
    /* kana and kanji: three bytes, checked at once */
    if ((c & 0xF0) == 0xE0 && left >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
        uint32_t v = ((c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        if (v >= 0x800 && (v < 0xD800 || v > 0xDFFF)) { *i += 3; return v; }
    }
    if (c >= 0xC2 && c <= 0xDF) { n = 2; c &= 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; c &= 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; c &= 0x07; min = 0x10000; }
    else { *i += 1; return 0xFFFD; }
    if (left < n) { *i += 1; return 0xFFFD; }
    for (size_t k = 1; k < n; k++) {
        if ((p[k] & 0xC0) != 0x80) { *i += 1; return 0xFFFD; }
        c = (c << 6) | (p[k] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) { *i += 1; return 0xFFFD; }
    *i += n;
    return c;
}

static inline bool filter_cp_is_space(uint32_t c)
{
    if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000 ||
           c == 0xFEFF;
}

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
 * (what the rule reports: characters cut) and *lines (lines with a character
 * cut). Runs before any measure. */
typedef size_t FilterTrimFn(const FilterRuleConf *rc, const char *text, size_t len,
                            double *value, uint64_t *lines);

/* Steps of C4's line pass (filter_c4.c), in the order datatrove applies them
 * to each line. A rule with a step is evaluated by the pass, not measured. */
enum {
    FILTER_C4_NONE = 0,
    FILTER_C4_MAX_WORD_LEN,     /* drop a line with a too long word */
    FILTER_C4_CITATIONS,        /* remove [1], [edit], [citation needed] */
    FILTER_C4_TERMINAL_PUNCT,   /* drop a line not ending in . ? ! " ' (or in ...) */
    FILTER_C4_MIN_WORDS,        /* drop a line of too few words */
    FILTER_C4_LOREM,            /* document: "lorem ipsum" in a line still kept */
    FILTER_C4_JAVASCRIPT,       /* drop a line mentioning javascript */
    FILTER_C4_CURLY,            /* document: "{" in a line still kept */
    FILTER_C4_POLICY,           /* drop a line with a cookie / terms-of-use phrase */
    FILTER_C4_MIN_SENTENCES,    /* document: sentences in the kept lines */
    FILTER_C4_STEPS
};

struct FilterRuleDef {
    const char       *name;
    FilterMeasureFn  *measure;
    int               arg;          /* n of an n-gram rule ... */
    int               unit;         /* FILTER_UNIT_CHAR or _WORD */
    double            min, max;     /* defaults; NAN: none */
    bool              max_strict;
    FilterSetupFn    *setup;        /* NULL: no extra keys */
    FilterTeardownFn *teardown;
    const char       *extra_keys;   /* the keys setup reads, space-separated ("files"), or NULL */
    FilterTrimFn     *trim;         /* non-NULL: the rule cuts the document's tail (no measure) */
    int               c4;           /* FILTER_C4_*: a step of C4's line pass (no measure) */
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

/* ---- C4's line pass (filter_c4.c) ---- */
typedef struct FilterC4 FilterC4;   /* steps on, their rules, scratch: one per Filter */

typedef struct {
    double      value[FILTER_C4_STEPS];       /* each step's rule value */
    uint64_t    cut_lines[FILTER_C4_STEPS];   /* lines each step dropped */
    uint64_t    cut_chars[FILTER_C4_STEPS];   /* characters each step removed */
    const char *text;                         /* the text after the pass (borrowed) */
    size_t      len;
    bool        edited;                       /* text differs from the input */
} FilterC4Result;

/* Builds the pass from the rules of a profile that have a C4 step (their
 * setup read their keys). *out is NULL when there is none.
 * @return JF_OK or JF_ENOMEM. */
JfStatus filter_c4_open(const FilterRuleConf *rules, size_t n_rules, FilterC4 **out);
void     filter_c4_close(FilterC4 *c);   /* accepts NULL */
/* Rule index (in the profile) of a step, or SIZE_MAX when the step is off. */
size_t   filter_c4_rule(const FilterC4 *c, int step);
/* Runs the pass over text[0..len). @return JF_OK or JF_ENOMEM. */
JfStatus filter_c4_run(FilterC4 *c, const char *text, size_t len, FilterC4Result *r);
FilterSetupFn    filter_setup_c4;
FilterTeardownFn filter_teardown_c4;

/* Sentences (docs/filters.md) of s[0..len) that have a character. */
size_t filter_sentence_count(const char *s, size_t len);

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
FilterSetupFn    filter_setup_footer;
FilterTeardownFn filter_teardown_footer;
FilterMeasureFn filter_m_word_count, filter_m_mean_word_len, filter_m_symbol_word_ratio,
    filter_m_bullet_line_frac, filter_m_ellipsis_line_frac, filter_m_alpha_word_frac,
    filter_m_stop_word_count, filter_m_terminal_punct_line_frac,
    filter_m_javascript_line_frac, filter_m_short_line_frac;

#endif
