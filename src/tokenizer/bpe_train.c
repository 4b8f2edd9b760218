/* bpe_train.c: SentencePiece-compatible BPE training (see bpe_train.h for
 * what is reproduced and what is not). Written from SentencePiece's
 * documented behaviour (trainer_interface.cc and bpe_model_trainer.cc):
 * the comments name the step each part mirrors.
 *
 * Data: the table of unique words (bpe_words.h: normalized bytes, 64-bit
 * counts, counted on several threads by bpe_count.h); after character
 * selection every word becomes a record (its count, then its symbol ids). A
 * pair table (left id, right id) holds each valid pair's count and the words
 * it occurs in; a max-heap of (count, pair) is re-checked lazily: a pair is
 * pushed when its count rises past its newest entry, and a popped entry whose
 * count fell is pushed back with the current one, so a merge touches only
 * the words that contain its pair and the heap holds about one entry per
 * pair. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <xxhash.h>

#include "bpe_count.h"
#include "bpe_train.h"
#include "bpe_words.h"
#include "jf_alloc.h"
#include "sentencepiece_model.pb-c.h"
#include "sp_model_int.h"

#define TR_WS 0x2581u           /* U+2581, what spaces become */
#define TR_UNK_SYM 0u           /* symbol of every rare character: never pairs */
#define TR_SCRIPT_ANY (-1)
#define TR_PREFETCH 8           /* words prefetched ahead in a merge */

#define TR_GROW BPE_GROW

/* ---- symbols: characters first, then merged pieces ---- */

/* A symbol and what IsValidSentencePiece needs to know of it, so that the
 * validity of a pair is decided from its two halves (no decoding, no ICU):
 * a valid piece has one script at most, U+2581 only first or throughout. */
typedef struct {
    uint32_t off, len;      /* bytes in the symbol arena */
    uint16_t nchars;
    int16_t  script;        /* its first script (TR_SCRIPT_ANY: none, as U+2581) */
    uint8_t  flags;         /* TR_F_* */
} TrSym;

enum {
    TR_F_BAD = 1,           /* holds NUL, tab, space or U+2047: never in a piece */
    TR_F_DIGIT = 2,         /* holds a digit (split_digits) */
    TR_F_WS = 4,            /* holds U+2581 */
    TR_F_WS_INNER = 8,      /* holds U+2581 after its first character */
    TR_F_ALL_WS = 16,       /* only U+2581 */
};

/* A pair, by index (its creation order, which breaks ties between equal
 * counts); its count and state live in its slot of the hash table (TrSlot). */
typedef struct {
    uint64_t  key;          /* left << 32 | right */
    int64_t   queued;       /* count of the pair's newest heap entry (0: none) */
    uint32_t *where;        /* words holding the pair (may repeat; checked when used) */
    uint32_t  n_where, cap_where;
    uint32_t  last;         /* where[n_where - 1], read without touching where */
    uint32_t  slot;         /* its slot in the hash table */
} TrPair;

enum { TR_PAIR_VALID, TR_PAIR_DONE };

typedef struct {
    int64_t  count;
    uint32_t pair;
} TrHeapEntry;

/* A pair's change during one merge (see merge_apply). */
typedef struct {
    uint64_t key;
    int64_t  delta;
    uint32_t pair;          /* its index once applied; UINT32_MAX: none or done */
    bool     rose;          /* raised at least once in this merge */
} TrDelta;

typedef struct { uint32_t d, w; } TrInc;

/* A slot of the pair table: the key, count and state beside the index, so
 * that a probe reads one cache line and lowering a count (half of the updates
 * of a merge) touches nothing else. */
typedef struct {
    uint64_t key;
    int64_t  count;         /* sum of word counts; valid pairs only */
    uint32_t idx;           /* pair index + 1, 0: empty */
    uint8_t  state;         /* TR_PAIR_* */
} TrSlot;

enum { TR_CTR_SENTENCES, TR_CTR_LONG };   /* the counters of bpe_count.h */

/* What one counting thread owns: its MeCab and its line buffers. */
typedef struct {
    const BpeTrainer *t;                      /* options, read only while counting */
    BpeMecab *mecab;                          /* MeCab pre-tokenization, else NULL */
    char     *line;    size_t line_cap;       /* normalized sentence */
} TrCutter;

struct BpeTrainer {
    BpeTrainOptions opt;
    char          **inputs;      /* copies of opt.inputs */
    char          **users;       /* copies of opt.user_symbols */
    BpeTrainStats   st;
    BpeWords  words;                          /* unique words and their counts */
    TrCutter *cutters; size_t n_cutters;      /* one per counting thread */
    BpeCounter *counter;
    uint64_t  ctr[BPE_COUNTERS];
    /* symbols */
    TrSym    *syms;    size_t n_syms, cap_syms;
    char     *sarena;  size_t sarena_len, sarena_cap;
    /* per word: a record (TR_W_*) followed by its symbol ids */
    uint32_t *wrec;    size_t wrec_len;       /* all words' records back to back */
    /* pairs */
    TrPair   *pairs;   size_t n_pairs, cap_pairs;
    TrSlot   *pslots;  size_t pmask;          /* open addressing over pairs */
    TrHeapEntry *heap; size_t heap_len, heap_cap;
    /* one merge's pair updates, gathered before they touch the pair table */
    TrDelta  *dl;      size_t n_dl, cap_dl;
    uint32_t *dslots;  size_t dmask;          /* open addressing: dl index + 1 */
    uint32_t *dorder;  size_t n_dorder, cap_dorder;   /* dl raised, in first-rise order */
    TrInc    *incs;    size_t n_incs, cap_incs;       /* (dl, word) of every rise */
    /* merged piece texts, to skip a piece reached by a second path */
    uint32_t *piece_slots; size_t piece_mask;   /* symbol id + 1 */
    uint32_t *merged;  size_t n_merged, cap_merged;   /* symbol ids in merge order */
    bool      done;
};

static JfStatus nomem(JfError *err)
{
    return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory (BPE training)");
}

static JfStatus trainer_cut(void *cutter, const char *text, size_t len, BpeWords *words,
                            uint64_t *ctr, JfError *err);

/* BpeSampleFilter: a sentence over max_sentence_length is skipped (counted),
 * never sampled, as SentencePiece skips it before its reservoir. */
static bool trainer_sample_filter(void *ctx, const char *s, size_t n, uint64_t *ctr)
{
    (void)s;
    const BpeTrainer *t = ctx;
    if (n <= (size_t)t->opt.max_sentence_length) return true;
    ctr[TR_CTR_LONG]++;
    return false;
}

void bpe_train_options_default(BpeTrainOptions *o, int32_t vocab_size)
{
    *o = (BpeTrainOptions){
        .vocab_size = vocab_size,
        .character_coverage = 0.9995f,
        .max_piece_length = 16,
        .max_sentence_length = 4192,
        .byte_fallback = true,
        .split_digits = true,
        .threads = 1,
        .shuffle_input_sentence = true,
    };
}

JfStatus bpe_trainer_open(const BpeTrainOptions *o, BpeTrainer **out, JfError *err)
{
    *out = NULL;
    if (o->vocab_size < 4 || o->character_coverage <= 0 || o->character_coverage > 1 ||
        o->max_piece_length < 1 || o->max_piece_length > 1024 || o->max_sentence_length < 1 ||
        o->threads < 1 || o->threads > BPE_COUNT_MAX_THREADS)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "bad training options (vocab size %d, coverage %g, piece length %d, "
                            "threads %d)", (int)o->vocab_size, (double)o->character_coverage,
                            (int)o->max_piece_length, (int)o->threads);
    BpeTrainer *t = jf_calloc(1, sizeof *t);
    if (!t) return nomem(err);
    t->opt = *o;
    bpe_words_init(&t->words);
    t->inputs = jf_calloc(o->n_inputs + 1, sizeof *t->inputs);
    t->users = jf_calloc(o->n_user_symbols + 1, sizeof *t->users);
    if (!t->inputs || !t->users) goto out_nomem;
    for (size_t i = 0; i < o->n_inputs; i++)
        if (!(t->inputs[i] = jf_strdup(o->inputs[i]))) goto out_nomem;
    for (size_t i = 0; i < o->n_user_symbols; i++)
        if (!(t->users[i] = jf_strdup(o->user_symbols[i]))) goto out_nomem;
    t->opt.inputs = (const char *const *)t->inputs;
    t->opt.user_symbols = (const char *const *)t->users;
    t->opt.mecab_dicdir = NULL;   /* not kept: used here only */
    t->cutters = jf_calloc((size_t)o->threads, sizeof *t->cutters);
    void *cut[BPE_COUNT_MAX_THREADS];
    if (!t->cutters) goto out_nomem;
    t->n_cutters = (size_t)o->threads;
    JfStatus rc = JF_OK;
    for (size_t i = 0; i < t->n_cutters; i++) {
        t->cutters[i].t = t;
        cut[i] = &t->cutters[i];
        if (o->pretokenize == BPE_PRETOK_MECAB && rc == JF_OK)
            rc = bpe_mecab_open(o->mecab_dicdir, &t->cutters[i].mecab, err);
    }
    if (rc == JF_OK)
        rc = bpe_counter_open(t->n_cutters, trainer_cut, cut, &t->words, t->ctr, &t->counter, err);
    BpeSampleOptions so = { o->input_sentence_size, o->input_sentence_bytes,
                            o->shuffle_input_sentence, o->seed };
    if (rc == JF_OK) rc = bpe_counter_sample(t->counter, &so, trainer_sample_filter, t, err);
    if (rc != JF_OK) {
        bpe_trainer_close(t);
        return rc;
    }
    *out = t;
    return JF_OK;
out_nomem:
    bpe_trainer_close(t);
    return nomem(err);
}

void bpe_trainer_close(BpeTrainer *t)
{
    if (!t) return;
    for (size_t i = 0; t->inputs && i < t->opt.n_inputs; i++) jf_free(t->inputs[i]);
    for (size_t i = 0; t->users && i < t->opt.n_user_symbols; i++) jf_free(t->users[i]);
    jf_free(t->inputs);
    jf_free(t->users);
    bpe_counter_close(t->counter);   /* first: stops the threads using the cutters */
    for (size_t i = 0; i < t->n_cutters; i++) {
        bpe_mecab_close(t->cutters[i].mecab);
        jf_free(t->cutters[i].line);
    }
    jf_free(t->cutters);
    bpe_words_free(&t->words);
    jf_free(t->syms);
    jf_free(t->sarena);
    jf_free(t->wrec);
    for (size_t i = 0; i < t->n_pairs; i++) jf_free(t->pairs[i].where);
    jf_free(t->pairs);
    jf_free(t->pslots);
    jf_free(t->heap);
    jf_free(t->dl);
    jf_free(t->dslots);
    jf_free(t->dorder);
    jf_free(t->incs);
    jf_free(t->piece_slots);
    jf_free(t->merged);
    jf_free(t);
}

const BpeTrainStats *bpe_trainer_stats(const BpeTrainer *t) { return &t->st; }

bool bpe_trainer_sample_full(const BpeTrainer *t)
{
    const BpeSampleStats *ss = bpe_counter_sample_stats(t->counter);
    return ss && ss->full;
}

/* The figures so far (the counts of the batches merged). */
static void trainer_stats_update(BpeTrainer *t)
{
    const BpeSampleStats *ss = bpe_counter_sample_stats(t->counter);
    t->st.sentences = t->ctr[TR_CTR_SENTENCES];
    t->st.skipped_long = t->ctr[TR_CTR_LONG];
    t->st.seen_sentences = ss ? ss->seen : t->st.sentences;
    t->st.sample_bytes = ss ? ss->kept_bytes : 0;
}

/* ---- sentences to words (TrainerInterface::LoadSentences, SplitIntoWords) ---- */

/* Raw bytes of s[0..n) that the normalized text sym[0..k) covers, or 0: a
 * U+2581 of sym stands for a space or a U+2581 of the input, or (at the start
 * of a sentence, *dummy set) for the dummy prefix, which covers no input. */
static size_t meta_cover(const char *sym, size_t k, const char *s, size_t n, bool at_start,
                         bool *dummy)
{
    size_t i = 0, j = 0;
    *dummy = false;
    if (at_start && k >= SP_SPACE_LEN && !memcmp(sym, SP_SPACE, SP_SPACE_LEN)) {
        *dummy = true;
        j = SP_SPACE_LEN;
    }
    while (j < k) {
        if (k - j >= SP_SPACE_LEN && !memcmp(sym + j, SP_SPACE, SP_SPACE_LEN) && i < n && s[i] == ' ') {
            i++, j += SP_SPACE_LEN;
            continue;
        }
        if (i >= n || s[i] != sym[j] || sym[j] == ' ') return 0;   /* normalized text has no spaces */
        i++, j++;
    }
    return i || *dummy ? i : 0;
}

/* The meta piece (<unk> <s> </s>, a user symbol, a byte piece with
 * byte_fallback) that starts at s[0..n) in the normalized text, the longest
 * as SentencePiece's prefix matcher finds it: *len gets the input bytes it
 * covers and *dummy whether it took the dummy prefix too. SentencePiece
 * replaces each by " \u2047 " in the normalized training text, so it is
 * never learned and no piece crosses it (neither a space nor U+2047 may be in
 * a piece): a word boundary with no U+2581 after it. @return true on a match. */
static bool meta_match(const BpeTrainer *t, const char *s, size_t n, bool at_start, size_t *len,
                       bool *dummy)
{
    static const char *const CTRL[] = { "<unk>", "<s>", "</s>" };
    size_t best = 0, best_norm = 0;
    bool best_dummy = false, d;
    if (s[0] == '<') {
        for (size_t i = 0; i < 3; i++) {
            size_t k = strlen(CTRL[i]);
            if (n >= k && !memcmp(s, CTRL[i], k) && k > best_norm) best = best_norm = k;
        }
        if (t->opt.byte_fallback && n >= 6 && !memcmp(s, "<0x", 3) && s[5] == '>' &&
            strchr("0123456789ABCDEF", s[3]) && strchr("0123456789ABCDEF", s[4]) && s[3] && s[4] &&
            6 > best_norm)
            best = best_norm = 6;
    }
    for (size_t i = 0; i < t->opt.n_user_symbols; i++) {
        size_t k = strlen(t->users[i]), c;
        if (k > best_norm && (c = meta_cover(t->users[i], k, s, n, at_start, &d))) {
            best = c, best_norm = k, best_dummy = d;
        } else if (k > best_norm && at_start && d && k == SP_SPACE_LEN) {
            best = 0, best_norm = k, best_dummy = true;   /* "\u2581" alone: the dummy prefix */
        }
    }
    *len = best;
    *dummy = best_dummy;
    return best_norm > 0;
}

/* One sentence: identity normalization (dummy prefix, ' ' -> U+2581, each
 * invalid byte -> U+FFFD), and in the same pass the cut into words: a word
 * starts at the first character and at each U+2581 that does not follow
 * another (allow_whitespace_only_pieces), and with MeCab also at each morpheme
 * start that does not follow a U+2581 (as bpe_words_add_sentence cuts, whose
 * result this is, without decoding the line twice). Plain ASCII is copied
 * byte by byte without a decoder call: it is most of most text. */
static JfStatus sentence_add(TrCutter *c, BpeWords *words, const char *s, size_t n,
                             JfError *err)
{
    const BpeTrainer *t = c->t;
    const uint32_t *cuts = NULL;
    size_t n_cuts = 0, j = 0;
    if (c->mecab) {
        JfStatus rc = bpe_mecab_cuts(c->mecab, s, n, &cuts, &n_cuts, err);
        if (rc != JF_OK) return rc;
    }
    if (!TR_GROW(c->line, c->line_cap, n * 3 + SP_SPACE_LEN)) return nomem(err);
    char *line = c->line;
    memcpy(line, SP_SPACE, SP_SPACE_LEN);
    size_t m = SP_SPACE_LEN, start = 0;
    bool prev_ws = true, metas = t->opt.n_user_symbols > 0, dummy_gone = false;
    for (size_t i = 0; i < n;) {
        bool mcut = false;
        if (j < n_cuts) {
            while (j < n_cuts && cuts[j] < i) j++;
            mcut = j < n_cuts && cuts[j] == i;
        }
        uint8_t b = (uint8_t)s[i];
        if (b < 0x80 && b != ' ' && b != '<' && !metas) {
            if (mcut && !prev_ws && m > start) {
                if (!bpe_words_add(words, line + start, m - start, 1)) return nomem(err);
                start = m;
            }
            line[m++] = (char)b;
            prev_ws = false;
            i++;
            continue;
        }
        size_t adv, k = 0;
        uint32_t cp = 0;
        bool rep = true;   /* U+2581 written instead of the input's bytes */
        bool dummy;
        if ((b == '<' || metas) && meta_match(t, s + i, n - i, i == 0 && !dummy_gone, &adv, &dummy)) {
            /* a boundary, no U+2581: the next word starts after it */
            if (dummy) m = start, dummy_gone = true;     /* the symbol took the dummy prefix */
            else if (m > start && !bpe_words_add(words, line + start, m - start, 1)) return nomem(err);
            start = m;
            prev_ws = false;
            i += adv;
            continue;
        }
        if (b == ' ') cp = TR_WS, adv = 1;
        else if ((k = sp_utf8_next((const uint8_t *)s + i, n - i, &cp))) adv = k, rep = false;
        else cp = 0xFFFD, adv = 1;
        bool ws = cp == TR_WS;
        if ((ws || mcut) && !prev_ws && m > start) {
            if (!bpe_words_add(words, line + start, m - start, 1)) return nomem(err);
            start = m;
        }
        if (rep) {   /* U+2581 or U+FFFD: 3 bytes */
            line[m++] = (char)(0xE0 | cp >> 12);
            line[m++] = (char)(0x80 | (cp >> 6 & 0x3F));
            line[m++] = (char)(0x80 | (cp & 0x3F));
        } else {
            for (size_t q = 0; q < k; q++) line[m++] = s[i + q];
        }
        prev_ws = ws;
        i += adv;
    }
    if (!bpe_words_add(words, line + start, m - start, 1)) return nomem(err);
    return JF_OK;
}

/* BpeCutFn: every line of text is a sentence (a trailing '\r' dropped). */
static JfStatus trainer_cut(void *cutter, const char *text, size_t len, BpeWords *words,
                            uint64_t *ctr, JfError *err)
{
    TrCutter *c = cutter;
    while (len) {
        const char *nl = memchr(text, '\n', len);
        size_t n = nl ? (size_t)(nl - text) : len;
        size_t adv = nl ? n + 1 : n;
        if (n && text[n - 1] == '\r') n--;
        if (n > (size_t)c->t->opt.max_sentence_length) ctr[TR_CTR_LONG]++;
        else if (n) {
            JfStatus rc = sentence_add(c, words, text, n, err);
            if (rc != JF_OK) return rc;
            ctr[TR_CTR_SENTENCES]++;
        }
        text += adv;
        len -= adv;
    }
    return JF_OK;
}

JfStatus bpe_trainer_add_text(BpeTrainer *t, const char *text, size_t len, JfError *err)
{
    if (t->done)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "trainer already ran");
    JfStatus rc = bpe_counter_add(t->counter, text, len, err);
    trainer_stats_update(t);
    return rc;
}

/* ---- characters (LoadSentences: coverage, rare characters) ---- */

typedef struct {
    uint32_t cp;
    uint64_t count;
} TrChar;

static int char_cmp(const void *a, const void *b)
{
    const TrChar *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->cp < y->cp ? -1 : x->cp > y->cp;
}

/* A small open-addressing map code point -> index, for counting. */
typedef struct {
    uint32_t *key;     /* cp + 1 */
    uint32_t *val;
    size_t    mask;
} CpMap;

static size_t cpmap_slot(const CpMap *m, uint32_t cp)
{
    size_t i = ((uint64_t)cp * 0x9E3779B97F4A7C15ull) >> 40 & m->mask;
    while (m->key[i] && m->key[i] != cp + 1) i = (i + 1) & m->mask;
    return i;
}

static uint32_t cpmap_get(const CpMap *m, uint32_t cp)
{
    size_t i = cpmap_slot(m, cp);
    return m->key[i] ? m->val[i] : UINT32_MAX;
}

static inline uint32_t decode_at(const char *p, size_t left, size_t *k)
{
    uint32_t cp;
    *k = sp_utf8_next((const uint8_t *)p, left, &cp);
    if (!*k) {   /* cannot happen: words hold valid UTF-8 */
        *k = 1;
        return 0xFFFD;
    }
    return cp;
}

/* Counts characters over the words; keeps the most frequent up to the
 * coverage; makes symbol 0 (rare) and one symbol per kept character, most
 * frequent first; fills *map with cp -> symbol. */
static JfStatus chars_select(BpeTrainer *t, CpMap *map, TrChar **kept, size_t *n_kept,
                             JfError *err)
{
    TrChar *ch = NULL;
    size_t n_ch = 0, cap_ch = 0;
    map->mask = 4095;
    map->key = jf_calloc(map->mask + 1, sizeof *map->key);
    map->val = jf_calloc(map->mask + 1, sizeof *map->val);
    if (!map->key || !map->val) return nomem(err);
    uint64_t total = 0;
    for (size_t w = 0; w < t->words.n; w++) {
        const char *p = bpe_words_text(&t->words, w);
        size_t len = t->words.w[w].len, k;
        for (size_t i = 0; i < len; i += k) {
            uint32_t cp = decode_at(p + i, len - i, &k);
            if (cp == 0) continue;   /* NUL is never a piece */
            size_t s = cpmap_slot(map, cp);
            if (!map->key[s]) {
                if (!TR_GROW(ch, cap_ch, n_ch + 1)) goto out_nomem;
                ch[n_ch] = (TrChar){ cp, 0 };
                map->key[s] = cp + 1;
                map->val[s] = (uint32_t)n_ch++;
                if (n_ch * 2 > map->mask) {   /* grow the map */
                    CpMap nm = { jf_calloc(map->mask * 2 + 2, sizeof *nm.key),
                                 jf_calloc(map->mask * 2 + 2, sizeof *nm.val), map->mask * 2 + 1 };
                    if (!nm.key || !nm.val) {
                        jf_free(nm.key);
                        jf_free(nm.val);
                        goto out_nomem;
                    }
                    for (size_t c = 0; c < n_ch; c++) {
                        size_t q = cpmap_slot(&nm, ch[c].cp);
                        nm.key[q] = ch[c].cp + 1;
                        nm.val[q] = (uint32_t)c;
                    }
                    jf_free(map->key);
                    jf_free(map->val);
                    *map = nm;
                    s = cpmap_slot(map, cp);
                }
            }
            ch[map->val[s]].count += t->words.w[w].count;
            total += t->words.w[w].count;
        }
    }
    t->st.chars = total;
    qsort(ch, n_ch, sizeof *ch, char_cmp);
    size_t keep = 0;
    uint64_t acc = 0;
    while (keep < n_ch && (double)acc / (double)total < (double)t->opt.character_coverage)
        acc += ch[keep++].count;
    /* Re-map: kept characters -> symbols 1..keep, the others -> 0. */
    memset(map->key, 0, (map->mask + 1) * sizeof *map->key);
    for (size_t c = 0; c < n_ch; c++) {
        size_t q = cpmap_slot(map, ch[c].cp);
        map->key[q] = ch[c].cp + 1;
        map->val[q] = c < keep ? (uint32_t)c + 1 : TR_UNK_SYM;
    }
    t->st.kept_chars = keep;
    t->st.rare_chars = n_ch - keep;
    *kept = ch;
    *n_kept = keep;
    return JF_OK;
out_nomem:
    jf_free(ch);
    return nomem(err);
}

/* ---- symbols ---- */

/* Script of c as IsValidSentencePiece sees it: hiragana, katakana and U+30FC
 * are Han; inherited marks take the script before them (none at the start). */
static int char_script(uint32_t c)
{
    UErrorCode e = U_ZERO_ERROR;
    int s = (int)uscript_getScript((UChar32)c, &e);
    if (U_FAILURE(e)) s = USCRIPT_UNKNOWN;
    if (s == USCRIPT_HIRAGANA || s == USCRIPT_KATAKANA || c == 0x30FC) s = USCRIPT_HAN;
    else if (s == USCRIPT_INHERITED) s = TR_SCRIPT_ANY;
    return s;
}

/* Adds the one-character symbol c (its UTF-8 text and properties). */
static bool sym_add_char(BpeTrainer *t, uint32_t c)
{
    char u[4];
    size_t k = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (k == 1) u[0] = (char)c;
    else {
        static const uint8_t LEAD[5] = { 0, 0, 0xC0, 0xE0, 0xF0 };
        uint32_t v = c;
        for (size_t j = k - 1; j > 0; j--, v >>= 6) u[j] = (char)(0x80 | (v & 0x3F));
        u[0] = (char)(LEAD[k] | v);
    }
    TrSym y = { (uint32_t)t->sarena_len, (uint32_t)k, 1, TR_SCRIPT_ANY, 0 };
    if (c == 0 || c == '\t' || c == ' ' || c == 0x2047) y.flags = TR_F_BAD;
    else if (c == TR_WS) y.flags = TR_F_WS | TR_F_ALL_WS;
    else {
        y.script = (int16_t)char_script(c);
        if (u_isdigit((UChar32)c)) y.flags = TR_F_DIGIT;
    }
    if (!TR_GROW(t->syms, t->cap_syms, t->n_syms + 1)) return false;
    if (!TR_GROW(t->sarena, t->sarena_cap, t->sarena_len + k)) return false;
    memcpy(t->sarena + t->sarena_len, u, k);
    t->syms[t->n_syms++] = y;
    t->sarena_len += k;
    return true;
}

/* Adds the symbol a + b (texts concatenated, properties combined). */
static bool sym_concat(BpeTrainer *t, uint32_t a, uint32_t b)
{
    size_t la = t->syms[a].len, lb = t->syms[b].len;
    if (!TR_GROW(t->syms, t->cap_syms, t->n_syms + 1)) return false;
    if (!TR_GROW(t->sarena, t->sarena_cap, t->sarena_len + la + lb)) return false;
    memcpy(t->sarena + t->sarena_len, t->sarena + t->syms[a].off, la);
    memcpy(t->sarena + t->sarena_len + la, t->sarena + t->syms[b].off, lb);
    const TrSym *x = &t->syms[a], *y = &t->syms[b];
    unsigned f = ((x->flags | y->flags) & (TR_F_BAD | TR_F_DIGIT | TR_F_WS)) |
                 (x->flags & y->flags & TR_F_ALL_WS) | (x->flags & TR_F_WS_INNER) |
                 (y->flags & TR_F_WS ? TR_F_WS_INNER : 0);
    t->syms[t->n_syms++] = (TrSym){ (uint32_t)t->sarena_len, (uint32_t)(la + lb),
                                    (uint16_t)(x->nchars + y->nchars),
                                    x->script != TR_SCRIPT_ANY ? x->script : y->script,
                                    (uint8_t)f };
    t->sarena_len += la + lb;
    return true;
}

/* SentencePiece's IsValidSentencePiece for the concatenation of a and b
 * (split_by_whitespace, split_by_unicode_script, split_by_number on), from
 * their properties: at most max_piece_length characters, no bad character,
 * no digit with split_digits, U+2581 only first unless the piece is all
 * U+2581 (allow_whitespace_only_pieces), one script (a and b are valid, so
 * each has one: their first scripts must agree unless one has none). */
static inline bool pair_is_valid(const BpeTrainer *t, uint32_t a, uint32_t b)
{
    if (a == TR_UNK_SYM || b == TR_UNK_SYM) return false;
    const TrSym *x = &t->syms[a], *y = &t->syms[b];
    if ((size_t)x->nchars + y->nchars > (size_t)t->opt.max_piece_length) return false;
    unsigned any = x->flags | y->flags;
    if ((any & TR_F_BAD) || (t->opt.split_digits && (any & TR_F_DIGIT))) return false;
    if (((x->flags & TR_F_WS_INNER) || (y->flags & TR_F_WS)) && !(x->flags & y->flags & TR_F_ALL_WS))
        return false;
    return x->script == TR_SCRIPT_ANY || y->script == TR_SCRIPT_ANY || x->script == y->script;
}

/* ---- pairs ---- */

static uint64_t pair_hash(uint64_t key) { return key * 0x9E3779B97F4A7C15ull; }

static bool pairs_rehash(BpeTrainer *t)
{
    size_t mask = t->pmask ? t->pmask * 2 + 1 : 4095;
    TrSlot *s = jf_calloc(mask + 1, sizeof *s);
    if (!s) return false;
    for (size_t p = 0; p < t->n_pairs; p++) {
        size_t i = (pair_hash(t->pairs[p].key) >> 20) & mask;
        while (s[i].idx) i = (i + 1) & mask;
        s[i] = t->pslots[t->pairs[p].slot];
        t->pairs[p].slot = (uint32_t)i;
    }
    jf_free(t->pslots);
    t->pslots = s;
    t->pmask = mask;
    return true;
}

static inline TrSlot *pair_slot(const BpeTrainer *t, uint32_t p)
{
    return &t->pslots[t->pairs[p].slot];
}

/* @return the slot of the valid pair (a, b), creating it when asked; NULL
 * when absent (create false) or out of memory. */
static TrSlot *pair_get(BpeTrainer *t, uint32_t a, uint32_t b, bool create)
{
    uint64_t key = (uint64_t)a << 32 | b;
    size_t i = (pair_hash(key) >> 20) & t->pmask;
    for (; t->pslots[i].idx; i = (i + 1) & t->pmask)
        if (t->pslots[i].key == key) return &t->pslots[i];
    if (!create || t->n_pairs >= UINT32_MAX - 1) return NULL;
    if (!TR_GROW(t->pairs, t->cap_pairs, t->n_pairs + 1)) return NULL;
    uint32_t p = (uint32_t)t->n_pairs++;
    t->pairs[p] = (TrPair){ .key = key, .slot = (uint32_t)i };
    t->pslots[i] = (TrSlot){ key, 0, p + 1, TR_PAIR_VALID };
    if (t->n_pairs * 2 > t->pmask && !pairs_rehash(t)) return NULL;
    return pair_slot(t, p);
}

/* Records word w in q's where list (once for a run of the same word). */
static bool where_add(TrPair *q, uint32_t w)
{
    if (q->n_where && q->last == w) return true;
    if (q->n_where == q->cap_where) {
        uint32_t cap = q->cap_where ? q->cap_where * 2 : 4;
        uint32_t *nw = jf_realloc(q->where, cap * sizeof *nw);
        if (!nw) return false;
        q->where = nw;
        q->cap_where = cap;
    }
    q->where[q->n_where++] = q->last = w;
    return true;
}

/* The first count: count += cnt for pair (a, b) in word w. Invalid pairs are
 * never stored (their validity is cheap to decide again), so the table holds
 * what merges can use, and pairs are numbered (ties broken) in the order
 * valid ones are first seen. */
static bool pair_count(BpeTrainer *t, uint32_t a, uint32_t b, int64_t cnt, uint32_t w)
{
    if (!pair_is_valid(t, a, b)) return true;
    TrSlot *sl = pair_get(t, a, b, true);
    if (!sl) return false;
    sl->count += cnt;
    return where_add(&t->pairs[sl->idx - 1], w);
}

/* ---- heap: most frequent first, then the older pair ---- */

static inline bool heap_before(const TrHeapEntry *a, const TrHeapEntry *b)
{
    return a->count > b->count || (a->count == b->count && a->pair < b->pair);
}

static bool heap_push(BpeTrainer *t, TrHeapEntry e)
{
    if (!TR_GROW(t->heap, t->heap_cap, t->heap_len + 1)) return false;
    size_t i = t->heap_len++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!heap_before(&e, &t->heap[up])) break;
        t->heap[i] = t->heap[up];
        i = up;
    }
    t->heap[i] = e;
    return true;
}

static TrHeapEntry heap_pop(BpeTrainer *t)
{
    TrHeapEntry top = t->heap[0], last = t->heap[--t->heap_len];
    size_t i = 0, n = t->heap_len;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && heap_before(&t->heap[c + 1], &t->heap[c])) c++;
        if (!heap_before(&t->heap[c], &last)) break;
        t->heap[i] = t->heap[c];
        i = c;
    }
    if (n) t->heap[i] = last;
    return top;
}

/* Pushes pair p when its count rose past its newest heap entry's (a pair
 * touched many times in one merge is pushed once). */
static bool queue(BpeTrainer *t, uint32_t p)
{
    TrPair *q = &t->pairs[p];
    const TrSlot *sl = &t->pslots[q->slot];
    if (sl->state != TR_PAIR_VALID || sl->count <= q->queued) return true;
    q->queued = sl->count;
    return heap_push(t, (TrHeapEntry){ sl->count, p });
}

/* ---- merged pieces by text ---- */

static bool piece_seen(BpeTrainer *t, const char *p, size_t n, bool insert, uint32_t sym)
{
    size_t i = XXH3_64bits(p, n) & t->piece_mask;
    for (uint32_t v; (v = t->piece_slots[i]); i = (i + 1) & t->piece_mask) {
        const TrSym *s = &t->syms[v - 1];
        if (s->len == n && !memcmp(t->sarena + s->off, p, n)) return true;
    }
    if (insert) t->piece_slots[i] = sym + 1;
    return false;
}

/* ---- training ---- */

/* A word as merges see it: a record in t->wrec, named by its position there
 * (what the pairs' where lists hold), then its symbols. Everything a merge
 * reads of a word is in one place: one or two cache lines per visit. */
enum { TR_W_CNT_LO, TR_W_CNT_HI, TR_W_N, TR_W_STAMP, TR_W_HDR };

static inline int64_t wrec_count(const uint32_t *r)
{
    return (int64_t)((uint64_t)r[TR_W_CNT_HI] << 32 | r[TR_W_CNT_LO]);
}

static JfStatus words_to_symbols(BpeTrainer *t, const CpMap *map, JfError *err)
{
    size_t cap = t->words.arena_len + t->words.n * TR_W_HDR + 1;
    if (cap >= UINT32_MAX)
        return jf_error_set(err, JF_ETOOBIG, NULL, JF_OFFSET_UNKNOWN,
                            "too much unique text for BPE training (%zu words, %zu bytes)",
                            t->words.n, t->words.arena_len);
    t->wrec = jf_malloc(cap * sizeof *t->wrec);
    if (!t->wrec) return nomem(err);
    size_t n = 0;
    for (size_t w = 0; w < t->words.n; w++) {
        const char *p = bpe_words_text(&t->words, w);
        size_t len = t->words.w[w].len, k;
        uint32_t *r = t->wrec + n;
        r[TR_W_CNT_LO] = (uint32_t)t->words.w[w].count;
        r[TR_W_CNT_HI] = (uint32_t)(t->words.w[w].count >> 32);
        r[TR_W_STAMP] = 0;
        n += TR_W_HDR;
        for (size_t i = 0; i < len; i += k) {
            uint32_t cp = decode_at(p + i, len - i, &k);
            uint32_t s = cpmap_get(map, cp);
            t->wrec[n++] = s == UINT32_MAX ? TR_UNK_SYM : s;
        }
        r[TR_W_N] = (uint32_t)(t->wrec + n - r) - TR_W_HDR;
    }
    t->wrec_len = n;
    return JF_OK;
}

static JfStatus pairs_count(BpeTrainer *t, JfError *err)
{
    if (!pairs_rehash(t)) return nomem(err);
    for (size_t w = 0; w < t->wrec_len; w += TR_W_HDR + t->wrec[w + TR_W_N]) {
        const uint32_t *r = t->wrec + w, *s = r + TR_W_HDR;
        int64_t cnt = wrec_count(r);
        for (uint32_t i = 1; i < r[TR_W_N]; i++)
            if (!pair_count(t, s[i - 1], s[i], cnt, (uint32_t)w)) return nomem(err);
    }
    for (size_t p = 0; p < t->n_pairs; p++)
        if (!queue(t, (uint32_t)p)) return nomem(err);
    return JF_OK;
}

/* ---- one merge's updates ----
 * A merge changes the counts of the pairs around each occurrence it rewrites
 * (L a b R -> L c R: (L,a) and (b,R) fall, (L,c) and (c,R) rise). They are
 * gathered per pair first: an early merge rewrites tens of thousands of
 * occurrences around a few dozen distinct pairs, and a small table stays in
 * cache where the pair table would be probed at random four times per
 * occurrence. merge_apply then does what updating pair by pair would have
 * done: pairs are created in the order they first rise (which numbers them
 * and so breaks ties), words are added to where lists in order, counts end
 * the same. */

static bool dslots_grow(BpeTrainer *t)
{
    size_t mask = t->dmask ? t->dmask * 2 + 1 : 255;
    uint32_t *s = jf_calloc(mask + 1, sizeof *s);
    if (!s) return false;
    for (size_t k = 0; k < t->n_dl; k++) {
        size_t i = (pair_hash(t->dl[k].key) >> 24) & mask;
        while (s[i]) i = (i + 1) & mask;
        s[i] = (uint32_t)k + 1;
    }
    jf_free(t->dslots);
    t->dslots = s;
    t->dmask = mask;
    return true;
}

/* Gathers count += d for the valid pair (a, b) in word w. */
static bool delta_add(BpeTrainer *t, uint32_t a, uint32_t b, int64_t d, uint32_t w)
{
    if (!pair_is_valid(t, a, b)) return true;
    uint64_t key = (uint64_t)a << 32 | b;
    size_t i = (pair_hash(key) >> 24) & t->dmask;
    uint32_t k;
    for (; (k = t->dslots[i]); i = (i + 1) & t->dmask)
        if (t->dl[k - 1].key == key) break;
    if (!k) {
        if (!TR_GROW(t->dl, t->cap_dl, t->n_dl + 1)) return false;
        t->dl[t->n_dl] = (TrDelta){ key, 0, UINT32_MAX, false };
        t->dslots[i] = k = (uint32_t)++t->n_dl;
        if (t->n_dl * 2 > t->dmask && !dslots_grow(t)) return false;
    }
    TrDelta *e = &t->dl[k - 1];
    e->delta += d;
    if (d <= 0) return true;
    if (!e->rose) {
        e->rose = true;
        if (!TR_GROW(t->dorder, t->cap_dorder, t->n_dorder + 1)) return false;
        t->dorder[t->n_dorder++] = k - 1;
    }
    if (!TR_GROW(t->incs, t->cap_incs, t->n_incs + 1)) return false;
    t->incs[t->n_incs++] = (TrInc){ k - 1, w };
    return true;
}

/* Applies the gathered updates to the pair table and queues the pairs that
 * rose; empties the gathering. */
static bool merge_apply(BpeTrainer *t)
{
    for (size_t k = 0; k < t->n_dorder; k++) {   /* creation order */
        TrDelta *e = &t->dl[t->dorder[k]];
        TrSlot *sl = pair_get(t, (uint32_t)(e->key >> 32), (uint32_t)e->key, true);
        if (!sl) return false;
        e->pair = sl->state == TR_PAIR_VALID ? sl->idx - 1 : UINT32_MAX;
    }
    for (size_t k = 0; k < t->n_dl; k++) {
        TrDelta *e = &t->dl[k];
        TrSlot *sl = e->rose ? (e->pair == UINT32_MAX ? NULL : pair_slot(t, e->pair))
                             : pair_get(t, (uint32_t)(e->key >> 32), (uint32_t)e->key, false);
        if (sl && sl->state == TR_PAIR_VALID) sl->count += e->delta;
    }
    for (size_t k = 0; k < t->n_incs; k++) {   /* where lists, in word order */
        uint32_t p = t->dl[t->incs[k].d].pair;
        if (p != UINT32_MAX && !where_add(&t->pairs[p], t->incs[k].w)) return false;
    }
    for (size_t k = 0; k < t->n_dorder; k++) {
        uint32_t p = t->dl[t->dorder[k]].pair;
        if (p != UINT32_MAX && !queue(t, p)) return false;
    }
    for (size_t k = 0; k < t->n_dl; k++) {   /* empty the slots used, not the table */
        size_t i = (pair_hash(t->dl[k].key) >> 24) & t->dmask;
        while (t->dslots[i] != k + 1) i = (i + 1) & t->dmask;
        t->dslots[i] = 0;
    }
    t->n_dl = t->n_dorder = t->n_incs = 0;
    return true;
}

/* Replaces every a b in the word at t->wrec[w] by c, left to right
 * (AcceptSymbol), keeping the neighbour pairs' counts exact. */
static bool word_merge(BpeTrainer *t, uint32_t w, uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t *s = t->wrec + w + TR_W_HDR;
    uint32_t n = t->wrec[w + TR_W_N], i = 0;
    int64_t cnt = wrec_count(t->wrec + w);
    while (i + 1 < n && (s[i] != a || s[i + 1] != b)) i++;   /* up to the first a b */
    uint32_t o = i;
    /* s[0..o) is the rewritten part, s[i..n) the rest: one pass, no shifting */
    while (i < n) {
        if (s[i] != a || i + 1 == n || s[i + 1] != b) {
            s[o++] = s[i++];
            continue;
        }
        if (o > 0 && !delta_add(t, s[o - 1], a, -cnt, w)) return false;
        if (i + 2 < n && !delta_add(t, b, s[i + 2], -cnt, w)) return false;
        if (o > 0 && !delta_add(t, s[o - 1], c, cnt, w)) return false;
        if (i + 2 < n && !delta_add(t, c, s[i + 2], cnt, w)) return false;
        s[o++] = c;
        i += 2;
    }
    t->wrec[w + TR_W_N] = o;
    return true;
}

/* Pops pairs until one is current; @return its index or UINT32_MAX. Every
 * live pair has an entry of count q->queued >= q->count (queue() pushes when
 * the count rose past it), so the first current entry popped is the most
 * frequent pair, the oldest on ties. */
static uint32_t best_pair(BpeTrainer *t, bool *oom)
{
    while (t->heap_len) {
        TrHeapEntry e = heap_pop(t);
        TrPair *q = &t->pairs[e.pair];
        const TrSlot *sl = &t->pslots[q->slot];
        if (sl->state != TR_PAIR_VALID || sl->count <= 0 || e.count != q->queued)
            continue;   /* gone, or superseded by a newer entry */
        if (sl->count != e.count) {   /* lowered since pushed: re-queue */
            q->queued = 0;
            if (!queue(t, e.pair)) { *oom = true; return UINT32_MAX; }
            continue;
        }
        return e.pair;
    }
    return UINT32_MAX;
}

static JfStatus merges_run(BpeTrainer *t, size_t want, JfError *err)
{
    t->piece_mask = 1;
    while (t->piece_mask < want * 2 + 2) t->piece_mask = t->piece_mask * 2 + 1;
    t->piece_slots = jf_calloc(t->piece_mask + 1, sizeof *t->piece_slots);
    if (!t->piece_slots || !dslots_grow(t)) return nomem(err);
    uint32_t iter = 0;
    bool oom = false;
    while (t->n_merged < want) {
        uint32_t p = best_pair(t, &oom);
        if (oom) return nomem(err);
        if (p == UINT32_MAX) break;
        TrPair *q = &t->pairs[p];
        uint32_t a = (uint32_t)(q->key >> 32), b = (uint32_t)q->key;
        pair_slot(t, p)->state = TR_PAIR_DONE;
        uint32_t c = (uint32_t)t->n_syms;
        if (!sym_concat(t, a, b)) return nomem(err);
        const TrSym *cs = &t->syms[c];
        if (piece_seen(t, t->sarena + cs->off, cs->len, true, c)) {
            /* Reached before by another path ("aa"+"a", "a"+"aa"): SentencePiece
             * drops the pair and leaves its occurrences unmerged. */
            t->sarena_len -= cs->len;
            t->n_syms--;
            t->st.duplicates++;
            continue;
        }
        if (!TR_GROW(t->merged, t->cap_merged, t->n_merged + 1)) return nomem(err);
        t->merged[t->n_merged++] = c;
        iter++;
        /* No pair changes before merge_apply: q and its list stay put while
         * the words are rewritten. Words are far apart: prefetch a few ahead. */
        const uint32_t *where = q->where;
        uint32_t n_where = q->n_where;
        for (uint32_t k = 0; k < n_where; k++) {
            if (k + TR_PREFETCH < n_where) __builtin_prefetch(t->wrec + where[k + TR_PREFETCH]);
            uint32_t w = where[k];
            if (t->wrec[w + TR_W_STAMP] == iter) continue;
            t->wrec[w + TR_W_STAMP] = iter;
            if (!word_merge(t, w, a, b, c)) return nomem(err);
        }
        q = &t->pairs[p];
        jf_free(q->where);
        q->where = NULL;
        q->n_where = q->cap_where = 0;
        if (!merge_apply(t)) return nomem(err);
    }
    t->st.merges = t->n_merged;
    return JF_OK;
}

/* ---- the model (TrainerInterface::Serialize) ---- */

typedef struct {
    JfSp__ModelProto__SentencePiece *sp;   /* [n] */
    JfSp__ModelProto__SentencePiece **ptr;
    char  **text;                          /* owned piece texts */
    size_t  n, cap;
} PieceList;

static bool piece_put(PieceList *l, const char *p, size_t len, float score, int type)
{
    if (l->n == l->cap) return false;
    char *s = jf_malloc(len + 1);
    if (!s) return false;
    memcpy(s, p, len);
    s[len] = 0;
    JfSp__ModelProto__SentencePiece *x = &l->sp[l->n];
    jf_sp__model_proto__sentence_piece__init(x);
    x->piece = s;
    x->has_score = 1;
    x->score = score;
    if (type != SP_PIECE_NORMAL) {
        x->has_type = 1;
        x->type = (JfSp__ModelProto__SentencePiece__Type)type;
    }
    l->text[l->n] = s;
    l->ptr[l->n] = x;
    l->n++;
    return true;
}

static void trainer_spec_fill(const BpeTrainer *t, JfSp__TrainerSpec *ts, int32_t vocab)
{
    const BpeTrainOptions *o = &t->opt;
    jf_sp__trainer_spec__init(ts);
    ts->n_input = o->n_inputs;
    ts->input = t->inputs;
    ts->model_prefix = "tokenizer";
    ts->has_model_type = 1; ts->model_type = JF_SP__TRAINER_SPEC__MODEL_TYPE__BPE;
    ts->has_vocab_size = 1; ts->vocab_size = vocab;
    ts->has_self_test_sample_size = 1; ts->self_test_sample_size = 0;
    ts->input_format = "text";
    ts->has_character_coverage = 1; ts->character_coverage = o->character_coverage;
    const BpeSampleStats *ss = bpe_counter_sample_stats(t->counter);
    ts->has_input_sentence_size = 1; ts->input_sentence_size = ss ? ss->limit : 0;
    ts->has_seed_sentencepiece_size = 1; ts->seed_sentencepiece_size = 1000000;
    ts->has_shrinking_factor = 1; ts->shrinking_factor = 0.75f;
    ts->has_num_threads = 1; ts->num_threads = 1;
    ts->has_num_sub_iterations = 1; ts->num_sub_iterations = 2;
    ts->has_max_sentence_length = 1; ts->max_sentence_length = o->max_sentence_length;
    ts->has_shuffle_input_sentence = 1;
    ts->shuffle_input_sentence = o->shuffle_input_sentence;
    ts->has_max_sentencepiece_length = 1; ts->max_sentencepiece_length = o->max_piece_length;
    ts->has_split_by_unicode_script = 1; ts->split_by_unicode_script = 1;
    ts->has_split_by_whitespace = 1; ts->split_by_whitespace = 1;
    ts->has_split_by_number = 1; ts->split_by_number = 1;
    ts->has_treat_whitespace_as_suffix = 1; ts->treat_whitespace_as_suffix = 0;
    ts->has_split_digits = 1; ts->split_digits = o->split_digits;
    ts->has_allow_whitespace_only_pieces = 1; ts->allow_whitespace_only_pieces = 1;
    ts->n_user_defined_symbols = o->n_user_symbols;
    ts->user_defined_symbols = t->users;
    ts->has_vocabulary_output_piece_score = 1; ts->vocabulary_output_piece_score = 1;
    ts->has_hard_vocab_limit = 1; ts->hard_vocab_limit = 1;
    ts->has_use_all_vocab = 1; ts->use_all_vocab = 0;
    ts->has_byte_fallback = 1; ts->byte_fallback = o->byte_fallback;
    ts->required_chars = "";
    ts->has_unk_id = 1; ts->unk_id = 0;
    ts->has_bos_id = 1; ts->bos_id = 1;
    ts->has_eos_id = 1; ts->eos_id = 2;
    ts->has_pad_id = 1; ts->pad_id = -1;
    ts->unk_surface = SP_UNK_SURFACE;
    ts->unk_piece = "<unk>";
    ts->bos_piece = "<s>";
    ts->eos_piece = "</s>";
    ts->pad_piece = "<pad>";
    ts->has_train_extremely_large_corpus = 1; ts->train_extremely_large_corpus = 0;
    ts->has_enable_differential_privacy = 1; ts->enable_differential_privacy = 0;
    ts->has_differential_privacy_noise_level = 1; ts->differential_privacy_noise_level = 0;
    ts->has_differential_privacy_clipping_threshold = 1;
    ts->differential_privacy_clipping_threshold = 0;
}

static JfStatus model_build(BpeTrainer *t, size_t n_kept, SpModel **out,
                            JfError *err)
{
    size_t n_meta = 3 + t->opt.n_user_symbols + (t->opt.byte_fallback ? 256 : 0);
    size_t total = n_meta + t->n_merged + n_kept;
    PieceList l = { jf_calloc(total, sizeof *l.sp), jf_calloc(total, sizeof *l.ptr),
                    jf_calloc(total, sizeof *l.text), 0, total };
    JfStatus rc = JF_OK;
    uint8_t *buf = NULL;
    if (!l.sp || !l.ptr || !l.text) goto out_nomem;
    bool ok = piece_put(&l, "<unk>", 5, 0, SP_PIECE_UNKNOWN) &&
              piece_put(&l, "<s>", 3, 0, SP_PIECE_CONTROL) &&
              piece_put(&l, "</s>", 4, 0, SP_PIECE_CONTROL);
    for (size_t i = 0; ok && i < t->opt.n_user_symbols; i++)
        ok = piece_put(&l, t->users[i], strlen(t->users[i]), 0, SP_PIECE_USER_DEFINED);
    for (int b = 0; ok && t->opt.byte_fallback && b < 256; b++) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        ok = piece_put(&l, name, 6, 0, SP_PIECE_BYTE);
    }
    size_t score = 0;
    for (size_t i = 0; ok && i < t->n_merged; i++, score++) {
        const TrSym *s = &t->syms[t->merged[i]];
        ok = piece_put(&l, t->sarena + s->off, s->len, -(float)score, SP_PIECE_NORMAL);
    }
    for (size_t i = 0; ok && i < n_kept; i++, score++) {
        const TrSym *s = &t->syms[i + 1];
        ok = piece_put(&l, t->sarena + s->off, s->len, -(float)score, SP_PIECE_NORMAL);
    }
    if (!ok) goto out_nomem;
    JfSp__TrainerSpec ts;
    trainer_spec_fill(t, &ts, (int32_t)l.n);
    JfSp__NormalizerSpec ns;
    jf_sp__normalizer_spec__init(&ns);
    ns.name = "identity";
    ns.has_precompiled_charsmap = 1;
    ns.precompiled_charsmap.len = 0;
    ns.precompiled_charsmap.data = (uint8_t *)"";
    ns.has_add_dummy_prefix = 1; ns.add_dummy_prefix = 1;
    ns.has_remove_extra_whitespaces = 1; ns.remove_extra_whitespaces = 0;
    ns.has_escape_whitespaces = 1; ns.escape_whitespaces = 1;
    ns.normalization_rule_tsv = "";
    JfSp__ModelProto mp;
    jf_sp__model_proto__init(&mp);
    mp.n_pieces = l.n;
    mp.pieces = l.ptr;
    mp.trainer_spec = &ts;
    mp.normalizer_spec = &ns;
    size_t len = jf_sp__model_proto__get_packed_size(&mp);
    buf = jf_malloc(len ? len : 1);
    if (!buf) goto out_nomem;
    jf_sp__model_proto__pack(&mp, buf);
    rc = sp_model_load_buffer(buf, len, "<trained model>", out, err);
    goto out_free;
out_nomem:
    rc = nomem(err);
out_free:
    for (size_t i = 0; i < l.n; i++) jf_free(l.text[i]);
    jf_free(l.sp);
    jf_free(l.ptr);
    jf_free(l.text);
    jf_free(buf);
    return rc;
}

JfStatus bpe_trainer_run(BpeTrainer *t, SpModel **out, JfError *err)
{
    *out = NULL;
    if (t->done)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "trainer already ran");
    t->done = true;
    JfStatus rc = bpe_counter_finish(t->counter, err);
    if (rc != JF_OK) return rc;
    trainer_stats_update(t);
    t->st.unique_words = t->words.n;
    if (!t->words.n)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "no training text");
    CpMap map = { 0 };
    TrChar *kept = NULL;
    size_t n_kept = 0;
    rc = chars_select(t, &map, &kept, &n_kept, err);
    if (rc != JF_OK) goto out_free;
    size_t n_meta = 3 + t->opt.n_user_symbols + (t->opt.byte_fallback ? 256 : 0);
    if ((size_t)t->opt.vocab_size <= n_meta + n_kept) {
        rc = jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                          "vocabulary size %d is not above the %zu control, user and byte "
                          "pieces plus %zu characters: raise it or lower the coverage",
                          (int)t->opt.vocab_size, n_meta, n_kept);
        goto out_free;
    }
    /* Symbol 0: every rare character; 1..n_kept: the kept characters. */
    bool ok = sym_add_char(t, 0x2047);   /* U+2047, as SentencePiece shows <unk> */
    for (size_t i = 0; ok && i < n_kept; i++) ok = sym_add_char(t, kept[i].cp);
    if (!ok) {
        rc = nomem(err);
        goto out_free;
    }
    if ((rc = words_to_symbols(t, &map, err)) != JF_OK) goto out_free;
    if ((rc = pairs_count(t, err)) != JF_OK) goto out_free;
    size_t want = (size_t)t->opt.vocab_size - n_meta - n_kept;
    if ((rc = merges_run(t, want, err)) != JF_OK) goto out_free;
    rc = model_build(t, n_kept, out, err);
out_free:
    jf_free(map.key);
    jf_free(map.val);
    jf_free(kept);
    return rc;
}
