/* filter_text.c: the per-document analysis every rule reads: UTF-8 decoding
 * (lenient: a bad byte is one U+FFFD), character classes, lines, sentences,
 * paragraphs and words as byte spans, and a hashed counter for lines and
 * n-grams. Memory is kept between documents and only grows. It does not
 * judge anything: the rules do. */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "filter_int.h"
#include "jf_alloc.h"

void filter_text_init(FilterText *t)
{
    memset(t, 0, sizeof *t);
}

void filter_text_free(FilterText *t)
{
    jf_free(t->cp);
    jf_free(t->cp_off);
    jf_free(t->lines);
    jf_free(t->sents);
    jf_free(t->paras);
    jf_free(t->words);
    jf_free(t->word_hash);
    jf_free(t->word_len);
    jf_free(t->tok);
    jf_free(t->tok_len);
    jf_free(t->gram_live);
    jf_free(t->gram_slots);
    jf_free(t->gram_count);
    jf_free(t->gram_aux);
    jf_free(t->morph_hash);
    jf_free(t->morph_len);
    filter_counter_free(&t->counter);
    memset(t, 0, sizeof *t);
}

bool filter_cp_is_hiragana(uint32_t c)
{
    return (c >= 0x3041 && c <= 0x3096) || (c >= 0x309D && c <= 0x309F);
}

/* The prolonged sound mark ー (U+30FC) counts as katakana; the middle dot ・
 * (U+30FB) does not (it is punctuation). */
bool filter_cp_is_katakana(uint32_t c)
{
    return (c >= 0x30A1 && c <= 0x30FA) || (c >= 0x30FC && c <= 0x30FF) ||
           (c >= 0x31F0 && c <= 0x31FF) || (c >= 0xFF66 && c <= 0xFF9D);
}

/* CJK unified ideographs (with extension A and the supplementary planes),
 * compatibility ideographs, and the iteration mark 々 / closing mark 〆. */
bool filter_cp_is_kanji(uint32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3134F) || c == 0x3005 ||
           c == 0x3006;
}

static JfStatus grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return JF_OK;
    size_t n = *cap ? *cap : 64;
    while (n < need) n *= 2;
    void *q = jf_realloc(*p, n * elem);
    if (!q) return JF_ENOMEM;
    *p = q;
    *cap = n;
    return JF_OK;
}

/* Class counts of one non-space code point (ASCII is none of them). */
static inline void count_class(FilterText *t, uint32_t c)
{
    if (c < 0x3005) return;
    if (filter_cp_is_hiragana(c)) t->n_hira++;
    else if (filter_cp_is_katakana(c)) t->n_kata++;
    else if (filter_cp_is_kanji(c)) t->n_kanji++;
}

JfStatus filter_text_load(FilterText *t, const char *text, size_t len, const char *url)
{
    t->text = text;
    t->len = len;
    t->url = url;
    t->n_cp = t->n_hira = t->n_kata = t->n_kanji = 0;
    t->all_cp = 0;
    t->have_lines = t->have_sents = t->have_paras = t->have_words = false;
    t->have_dup[0] = t->have_dup[1] = t->have_dup[2] = false;
    t->have_morphs = false;
    t->n_morphs = t->n_nouns = 0;
    t->gram_unit = -1;
    t->tok_unit = -1;
    /* at most one code point per byte; offsets fit 32 bits (max_bytes bounds
     * a document far below 4 GiB) */
    if (len >= UINT32_MAX) return JF_ENOMEM;
    size_t cap = t->cp_cap;
    if (grow((void **)&t->cp, &cap, len + 1, sizeof *t->cp) != JF_OK) return JF_ENOMEM;
    cap = t->cp_cap;
    if (grow((void **)&t->cp_off, &cap, len + 1, sizeof *t->cp_off) != JF_OK) return JF_ENOMEM;
    t->cp_cap = cap;
    const uint8_t *u = (const uint8_t *)text;
    for (size_t i = 0; i < len;) {
        size_t at = i;
        uint32_t c = u[i];
        if (c < 0x80) i++;   /* ASCII needs no decoding */
        else c = filter_utf8_next(text, len, &i);
        t->all_cp++;
        if (filter_cp_is_space(c)) continue;
        t->cp_off[t->n_cp] = (uint32_t)at;
        t->cp[t->n_cp++] = c;
        count_class(t, c);
    }
    return JF_OK;
}

size_t filter_text_chars_in(const FilterText *t, size_t *k, size_t a, size_t b)
{
    size_t i = *k;
    while (i < t->n_cp && t->cp_off[i] < a) i++;
    size_t first = i;
    while (i < t->n_cp && t->cp_off[i] < b) i++;
    *k = i;
    return i - first;
}

/* Appends the span text[a..b) unless it has no character; *k: the caller's
 * cursor for filter_text_chars_in (spans come in increasing order). */
static JfStatus span_push(FilterText *t, FilterSpan **v, size_t *n, size_t *cap, size_t *k,
                          size_t a, size_t b)
{
    size_t chars = filter_text_chars_in(t, k, a, b);
    if (chars == 0) return JF_OK;   /* blank pieces are not lines/sentences */
    if (grow((void **)v, cap, *n + 1, sizeof **v) != JF_OK) return JF_ENOMEM;
    (*v)[(*n)++] = (FilterSpan){ a, b, chars };
    return JF_OK;
}

JfStatus filter_text_lines(FilterText *t)
{
    if (t->have_lines) return JF_OK;
    t->n_lines = 0;
    size_t a = 0, k = 0;
    for (size_t i = 0; i <= t->len; i++) {
        if (i < t->len && t->text[i] != '\n') continue;
        size_t b = i;
        if (b > a && t->text[b - 1] == '\r') b--;
        if (span_push(t, &t->lines, &t->n_lines, &t->lines_cap, &k, a, b) != JF_OK)
            return JF_ENOMEM;
        a = i + 1;
    }
    t->have_lines = true;
    return JF_OK;
}

JfStatus filter_text_paragraphs(FilterText *t)
{
    if (t->have_paras) return JF_OK;
    t->n_paras = 0;
    size_t a = 0, i = 0, k = 0;
    while (i <= t->len) {
        /* a paragraph ends at a line break followed by a blank line */
        size_t end = i;
        bool brk = i == t->len;
        if (!brk && t->text[i] == '\n') {
            size_t j = i + 1;
            while (j < t->len && (t->text[j] == ' ' || t->text[j] == '\t' || t->text[j] == '\r'))
                j++;
            if (j < t->len && t->text[j] == '\n') {
                brk = true;
                while (j < t->len && (t->text[j] == '\n' || t->text[j] == ' ' ||
                                      t->text[j] == '\t' || t->text[j] == '\r'))
                    j++;
                if (span_push(t, &t->paras, &t->n_paras, &t->paras_cap, &k, a, end) != JF_OK)
                    return JF_ENOMEM;
                a = i = j;
                continue;
            }
        }
        if (brk) {
            if (span_push(t, &t->paras, &t->n_paras, &t->paras_cap, &k, a, end) != JF_OK)
                return JF_ENOMEM;
            break;
        }
        i++;
    }
    t->have_paras = true;
    return JF_OK;
}

/* Sentence terminators: 。！？ (U+3002, U+FF01, U+FF1F), ． (U+FF0E), ASCII ! ?
 * (NFKC turns ！？ into them), and ASCII '.' when followed by whitespace or the
 * end (so "3.14" and "www.debian.org" stay whole). A run of terminators and
 * closing brackets/quotes after it stays with its sentence. Line breaks end
 * sentences too. */
static bool is_term(uint32_t c)
{
    return c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0xFF0E || c == '!' || c == '?' ||
           c == 0xFF61;
}

static bool is_closer(uint32_t c)
{
    return c == 0x300D || c == 0x300F || c == 0xFF09 || c == ')' || c == 0x3011 || c == '"' ||
           c == 0x201D || c == 0x2019 || c == '\'' || c == 0x3009 || c == 0x300B;
}

/* Finds where the sentence under way ends, scanning from *i: @return true
 * with *cut its end and *i where the next one starts, false when the text ends
 * first. */
static bool sentence_end(const char *s, size_t len, size_t *i, size_t *cut)
{
    while (*i < len) {
        size_t at = *i;
        uint32_t c = filter_utf8_next(s, len, i);
        if (c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029) {
            *cut = at;
            return true;
        }
        if (is_term(c) || (c == '.' && (*i >= len || filter_cp_is_space((uint32_t)(uint8_t)s[*i])))) {
            size_t j = *i;
            while (j < len) {   /* absorb following terminators and closers */
                size_t k = j;
                uint32_t d = filter_utf8_next(s, len, &k);
                if (!(is_term(d) || is_closer(d) || d == '.')) break;
                j = k;
            }
            *cut = *i = j;
            return true;
        }
    }
    return false;
}

JfStatus filter_text_sentences(FilterText *t)
{
    if (t->have_sents) return JF_OK;
    t->n_sents = 0;
    size_t a = 0, i = 0, k = 0, cut;
    while (sentence_end(t->text, t->len, &i, &cut)) {
        if (span_push(t, &t->sents, &t->n_sents, &t->sents_cap, &k, a, cut) != JF_OK)
            return JF_ENOMEM;
        a = i;
    }
    if (span_push(t, &t->sents, &t->n_sents, &t->sents_cap, &k, a, t->len) != JF_OK)
        return JF_ENOMEM;
    t->have_sents = true;
    return JF_OK;
}

static bool has_char(const char *s, size_t a, size_t b)
{
    for (size_t i = a; i < b;)
        if (!filter_cp_is_space(filter_utf8_next(s, b, &i))) return true;
    return false;
}

size_t filter_sentence_count(const char *s, size_t len)
{
    size_t n = 0, a = 0, i = 0, cut;
    while (sentence_end(s, len, &i, &cut)) {
        n += has_char(s, a, cut);
        a = i;
    }
    return n + has_char(s, a, len);
}

JfStatus filter_text_words(FilterText *t)
{
    if (t->have_words) return JF_OK;
    t->n_words = 0;
    size_t a = SIZE_MAX, i = 0, chars = 0;
    while (i <= t->len) {
        size_t at = i;
        bool sp = true;
        if (i < t->len) sp = filter_cp_is_space(filter_utf8_next(t->text, t->len, &i));
        else i++;
        if (!sp) {
            if (a == SIZE_MAX) { a = at; chars = 0; }
            chars++;
            continue;
        }
        if (a == SIZE_MAX) continue;
        size_t n = t->n_words;
        if (grow((void **)&t->words, &t->words_cap, n + 1, sizeof *t->words) != JF_OK)
            return JF_ENOMEM;
        t->words[n] = (FilterSpan){ a, at, chars };
        t->n_words++;
        a = SIZE_MAX;
    }
    size_t cap = t->wh_cap;
    if (grow((void **)&t->word_hash, &cap, t->n_words + 1, sizeof *t->word_hash) != JF_OK)
        return JF_ENOMEM;
    cap = t->wh_cap;
    if (grow((void **)&t->word_len, &cap, t->n_words + 1, sizeof *t->word_len) != JF_OK)
        return JF_ENOMEM;
    t->wh_cap = cap;
    for (size_t k = 0; k < t->n_words; k++) {
        const FilterSpan *w = &t->words[k];
        t->word_hash[k] = filter_hash_bytes(t->text + w->start, w->end - w->start);
        t->word_len[k] = (uint32_t)w->chars;
    }
    t->have_words = true;
    return JF_OK;
}

/* ---- counter ---- */

uint64_t filter_hash_bytes(const void *p, size_t n)
{
    return XXH3_64bits(p, n);
}

JfStatus filter_counter_reset(FilterCounter *c, size_t n_items)
{
    size_t cap = 64;
    while (cap < n_items * 2) cap *= 2;
    if (cap > c->alloc) {
        uint64_t *k = jf_malloc(cap * sizeof *k);
        uint32_t *v = jf_malloc(cap * sizeof *v);
        if (!k || !v) {
            jf_free(k);
            jf_free(v);
            return JF_ENOMEM;
        }
        filter_counter_free(c);
        c->keys = k;
        c->counts = v;
        c->alloc = cap;
    }
    /* clear only the slots this use needs: small documents after a big one
     * must not pay for the big table */
    c->cap = cap;
    memset(c->keys, 0, c->cap * sizeof *c->keys);
    return JF_OK;
}

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h | 1;   /* never 0: 0 marks an empty slot */
}

uint32_t filter_counter_add_slot(FilterCounter *c, uint64_t h, uint32_t *slot)
{
    h = mix(h);
    size_t m = c->cap - 1;
    for (size_t i = h & m;; i = (i + 1) & m) {
        if (c->keys[i] == h) {
            *slot = (uint32_t)i;
            return ++c->counts[i];
        }
        if (c->keys[i] == 0) {
            c->keys[i] = h;
            c->counts[i] = 1;
            *slot = (uint32_t)i;
            return 1;
        }
    }
}

uint32_t filter_counter_add(FilterCounter *c, uint64_t h)
{
    uint32_t slot;
    return filter_counter_add_slot(c, h, &slot);
}

uint32_t filter_counter_get(const FilterCounter *c, uint64_t h)
{
    h = mix(h);
    size_t m = c->cap - 1;
    for (size_t i = h & m;; i = (i + 1) & m) {
        if (c->keys[i] == h) return c->counts[i];
        if (c->keys[i] == 0) return 0;
    }
}

void filter_counter_free(FilterCounter *c)
{
    jf_free(c->keys);
    jf_free(c->counts);
    c->keys = NULL;
    c->counts = NULL;
    c->cap = c->alloc = 0;
}
