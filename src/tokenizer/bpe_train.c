/* bpe_train.c: SentencePiece-compatible BPE training (see bpe_train.h for
 * what is reproduced and what is not). Written from SentencePiece's
 * documented behaviour (trainer_interface.cc and bpe_model_trainer.cc):
 * the comments name the step each part mirrors.
 *
 * Data: the table of unique words (bpe_words.h: normalized bytes, 64-bit
 * counts); after character selection every word becomes an array of symbol
 * ids. A pair table (left id, right id) holds each valid pair's count and
 * the words it occurs in; a max-heap of (count, pair) is re-checked lazily
 * (a popped entry whose count changed is pushed back with the current one),
 * so a merge touches only the words that contain its pair. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <xxhash.h>

#include "bpe_train.h"
#include "bpe_words.h"
#include "jf_alloc.h"
#include "sentencepiece_model.pb-c.h"
#include "sp_model_int.h"

#define TR_WS 0x2581u           /* U+2581, what spaces become */
#define TR_UNK_SYM 0u           /* symbol of every rare character: never pairs */
#define TR_SCRIPT_ANY (-1)

#define TR_GROW BPE_GROW

/* ---- symbols: characters first, then merged pieces ---- */

typedef struct {
    uint32_t off, len;      /* bytes in the symbol arena */
    uint16_t nchars;
} TrSym;

typedef struct {
    uint64_t  key;          /* left << 32 | right */
    int64_t   count;        /* sum of word counts; valid pairs only */
    uint32_t *where;        /* words holding the pair (may repeat; checked when used) */
    uint32_t  n_where, cap_where;
    uint8_t   state;        /* TR_PAIR_* */
} TrPair;

enum { TR_PAIR_VALID, TR_PAIR_INVALID, TR_PAIR_DONE };

typedef struct {
    int64_t  count;
    uint32_t pair;
} TrHeapEntry;

struct BpeTrainer {
    BpeTrainOptions opt;
    char          **inputs;      /* copies of opt.inputs */
    char          **users;       /* copies of opt.user_symbols */
    BpeTrainStats   st;
    BpeWords  words;                          /* unique words and their counts */
    BpeMecab *mecab;                          /* MeCab pre-tokenization, else NULL */
    uint32_t *ncuts;   size_t ncuts_cap;      /* morpheme starts in the normalized line */
    char     *line;    size_t line_cap;       /* normalized sentence */
    /* symbols */
    TrSym    *syms;    size_t n_syms, cap_syms;
    char     *sarena;  size_t sarena_len, sarena_cap;
    uint32_t *cp_of;   /* code point of each character symbol */
    /* per word: symbol ids */
    uint32_t *wsym;    size_t wsym_len;       /* all words' symbols back to back */
    uint32_t *wsym_off, *wsym_n;              /* [n_words] */
    uint32_t *stamp;                          /* [n_words]: last merge that visited it */
    /* pairs */
    TrPair   *pairs;   size_t n_pairs, cap_pairs;
    uint32_t *pslots;  size_t pmask;          /* pair index + 1 */
    TrHeapEntry *heap; size_t heap_len, heap_cap;
    uint32_t *touched; size_t n_touched, cap_touched;
    /* merged piece texts, to skip a piece reached by a second path */
    uint32_t *piece_slots; size_t piece_mask;   /* symbol id + 1 */
    uint32_t *merged;  size_t n_merged, cap_merged;   /* symbol ids in merge order */
    bool      done;
};

static JfStatus nomem(JfError *err)
{
    return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory (BPE training)");
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
    };
}

JfStatus bpe_trainer_open(const BpeTrainOptions *o, BpeTrainer **out, JfError *err)
{
    *out = NULL;
    if (o->vocab_size < 4 || o->character_coverage <= 0 || o->character_coverage > 1 ||
        o->max_piece_length < 1 || o->max_piece_length > 1024 || o->max_sentence_length < 1)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "bad training options (vocab size %d, coverage %g, piece length %d)",
                            (int)o->vocab_size, (double)o->character_coverage,
                            (int)o->max_piece_length);
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
    if (o->pretokenize == BPE_PRETOK_MECAB) {
        JfStatus rc = bpe_mecab_open(o->mecab_dicdir, &t->mecab, err);
        if (rc != JF_OK) {
            bpe_trainer_close(t);
            return rc;
        }
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
    bpe_words_free(&t->words);
    bpe_mecab_close(t->mecab);
    jf_free(t->ncuts);
    jf_free(t->line);
    jf_free(t->syms);
    jf_free(t->sarena);
    jf_free(t->cp_of);
    jf_free(t->wsym);
    jf_free(t->wsym_off);
    jf_free(t->wsym_n);
    jf_free(t->stamp);
    for (size_t i = 0; i < t->n_pairs; i++) jf_free(t->pairs[i].where);
    jf_free(t->pairs);
    jf_free(t->pslots);
    jf_free(t->heap);
    jf_free(t->touched);
    jf_free(t->piece_slots);
    jf_free(t->merged);
    jf_free(t);
}

const BpeTrainStats *bpe_trainer_stats(const BpeTrainer *t) { return &t->st; }

/* ---- sentences to words (TrainerInterface::LoadSentences, SplitIntoWords) ---- */

/* Length of the meta piece (<unk> <s> </s>, a user symbol, a byte piece with
 * byte_fallback) that starts at s[0..n), 0 when none. SentencePiece replaces
 * them by a space in training text, so that they are never learned. */
static size_t meta_match(const BpeTrainer *t, const char *s, size_t n)
{
    static const char *const CTRL[] = { "<unk>", "<s>", "</s>" };
    if (s[0] == '<') {
        for (size_t i = 0; i < 3; i++) {
            size_t k = strlen(CTRL[i]);
            if (n >= k && !memcmp(s, CTRL[i], k)) return k;
        }
        if (t->opt.byte_fallback && n >= 6 && !memcmp(s, "<0x", 3) && s[5] == '>' &&
            strchr("0123456789ABCDEF", s[3]) && strchr("0123456789ABCDEF", s[4]) && s[3] && s[4])
            return 6;
    }
    for (size_t i = 0; i < t->opt.n_user_symbols; i++) {
        size_t k = strlen(t->users[i]);
        if (k && n >= k && !memcmp(s, t->users[i], k)) return k;
    }
    return 0;
}

/* One sentence: identity normalization (dummy prefix, ' ' -> U+2581, each
 * invalid byte -> U+FFFD), then words start at the first character and at
 * each U+2581 that does not follow another (allow_whitespace_only_pieces),
 * and with MeCab also at each morpheme (its raw offsets mapped to the
 * normalized text as it is made). */
static JfStatus sentence_add(BpeTrainer *t, const char *s, size_t n, JfError *err)
{
    const uint32_t *cuts = NULL;
    size_t n_cuts = 0, n_norm = 0, j = 0;
    if (t->mecab) {
        JfStatus rc = bpe_mecab_cuts(t->mecab, s, n, &cuts, &n_cuts, err);
        if (rc != JF_OK) return rc;
        if (!TR_GROW(t->ncuts, t->ncuts_cap, n_cuts + 1)) return nomem(err);
    }
    if (!TR_GROW(t->line, t->line_cap, n * 3 + SP_SPACE_LEN)) return nomem(err);
    memcpy(t->line, SP_SPACE, SP_SPACE_LEN);
    size_t m = SP_SPACE_LEN;
    for (size_t i = 0; i < n;) {
        while (j < n_cuts && cuts[j] < i) j++;
        if (j < n_cuts && cuts[j] == i) t->ncuts[n_norm++] = (uint32_t)m;
        size_t k = sp_utf8_valid_len((const uint8_t *)s + i, n - i);
        size_t meta = (s[i] == '<' || t->opt.n_user_symbols) ? meta_match(t, s + i, n - i) : 0;
        if (meta) {
            memcpy(t->line + m, SP_SPACE, SP_SPACE_LEN);
            m += SP_SPACE_LEN;
            i += meta;
        } else if (!k) {
            memcpy(t->line + m, "\xEF\xBF\xBD", 3);
            m += 3;
            i++;
        } else if (s[i] == ' ') {
            memcpy(t->line + m, SP_SPACE, SP_SPACE_LEN);
            m += SP_SPACE_LEN;
            i++;
        } else {
            memcpy(t->line + m, s + i, k);
            m += k;
            i += k;
        }
    }
    t->st.sentences++;
    if (!bpe_words_add_sentence(&t->words, t->line, m, t->ncuts, n_norm, 0)) return nomem(err);
    return JF_OK;
}

JfStatus bpe_trainer_add_text(BpeTrainer *t, const char *text, size_t len, JfError *err)
{
    while (len) {
        const char *nl = memchr(text, '\n', len);
        size_t n = nl ? (size_t)(nl - text) : len;
        size_t adv = nl ? n + 1 : n;
        if (n && text[n - 1] == '\r') n--;
        if (n > (size_t)t->opt.max_sentence_length) t->st.skipped_long++;
        else if (n) {
            JfStatus rc = sentence_add(t, text, n, err);
            if (rc != JF_OK) return rc;
        }
        text += adv;
        len -= adv;
    }
    return JF_OK;
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

static uint32_t decode_at(const char *p, size_t left, size_t *k)
{
    *k = sp_utf8_valid_len((const uint8_t *)p, left);
    if (!*k) {   /* cannot happen: words hold valid UTF-8 */
        *k = 1;
        return 0xFFFD;
    }
    return sp_utf8_decode((const uint8_t *)p, *k);
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

static bool sym_add(BpeTrainer *t, const char *p, size_t len, uint16_t nchars)
{
    if (!TR_GROW(t->syms, t->cap_syms, t->n_syms + 1)) return false;
    if (!TR_GROW(t->sarena, t->sarena_cap, t->sarena_len + len)) return false;
    memcpy(t->sarena + t->sarena_len, p, len);
    t->syms[t->n_syms++] = (TrSym){ (uint32_t)t->sarena_len, (uint32_t)len, nchars };
    t->sarena_len += len;
    return true;
}

/* Adds the symbol a + b (texts concatenated). */
static bool sym_concat(BpeTrainer *t, uint32_t a, uint32_t b)
{
    size_t la = t->syms[a].len, lb = t->syms[b].len;
    if (!TR_GROW(t->syms, t->cap_syms, t->n_syms + 1)) return false;
    if (!TR_GROW(t->sarena, t->sarena_cap, t->sarena_len + la + lb)) return false;
    memcpy(t->sarena + t->sarena_len, t->sarena + t->syms[a].off, la);
    memcpy(t->sarena + t->sarena_len + la, t->sarena + t->syms[b].off, lb);
    t->syms[t->n_syms++] = (TrSym){ (uint32_t)t->sarena_len, (uint32_t)(la + lb),
                                    (uint16_t)(t->syms[a].nchars + t->syms[b].nchars) };
    t->sarena_len += la + lb;
    return true;
}

/* Script of c as IsValidSentencePiece sees it: hiragana, katakana and U+30FC
 * are Han; inherited marks take the script before them. */
static int char_script(uint32_t c, int prev)
{
    UErrorCode e = U_ZERO_ERROR;
    int s = (int)uscript_getScript((UChar32)c, &e);
    if (U_FAILURE(e)) s = USCRIPT_UNKNOWN;
    if (s == USCRIPT_HIRAGANA || s == USCRIPT_KATAKANA || c == 0x30FC) s = USCRIPT_HAN;
    else if (s == USCRIPT_INHERITED) s = prev;
    return s;
}

/* SentencePiece's IsValidSentencePiece for the concatenation of a and b
 * (split_by_whitespace, split_by_unicode_script, split_by_number on). */
static bool pair_is_valid(const BpeTrainer *t, uint32_t a, uint32_t b)
{
    if (a == TR_UNK_SYM || b == TR_UNK_SYM) return false;
    const TrSym *x = &t->syms[a], *y = &t->syms[b];
    size_t total = (size_t)x->nchars + y->nchars;
    if (total > (size_t)t->opt.max_piece_length) return false;
    uint32_t cps[2048];
    size_t n = 0, k;
    const TrSym *halves[2] = { x, y };   /* a may equal b */
    for (int h = 0; h < 2; h++) {
        const char *p = t->sarena + halves[h]->off;
        for (size_t i = 0; i < halves[h]->len; i += k)
            cps[n++] = decode_at(p + i, halves[h]->len - i, &k);
    }
    bool all_ws = true;
    for (size_t i = 0; i < n; i++) all_ws = all_ws && cps[i] == TR_WS;
    int prev = TR_SCRIPT_ANY;
    for (size_t pos = 0; pos < n; pos++) {
        uint32_t c = cps[pos];
        if (c == 0 || c == '\t' || c == ' ' || c == 0x2047) return false;
        if (c == TR_WS) {
            if (pos > 0 && !all_ws) return false;   /* allow_whitespace_only_pieces */
            continue;
        }
        int s = char_script(c, prev);
        if (t->opt.split_digits && u_isdigit((UChar32)c) && n > 1) return false;
        if (s != TR_SCRIPT_ANY && prev != TR_SCRIPT_ANY && prev != s) return false;
        prev = s;
    }
    return true;
}

/* ---- pairs ---- */

static uint64_t pair_hash(uint64_t key) { return key * 0x9E3779B97F4A7C15ull; }

static bool pairs_rehash(BpeTrainer *t)
{
    size_t mask = t->pmask ? t->pmask * 2 + 1 : 4095;
    uint32_t *s = jf_calloc(mask + 1, sizeof *s);
    if (!s) return false;
    for (size_t p = 0; p < t->n_pairs; p++) {
        size_t i = (pair_hash(t->pairs[p].key) >> 20) & mask;
        while (s[i]) i = (i + 1) & mask;
        s[i] = (uint32_t)p + 1;
    }
    jf_free(t->pslots);
    t->pslots = s;
    t->pmask = mask;
    return true;
}

/* @return the pair's index, creating it (validity checked once) when asked;
 * UINT32_MAX when absent (create false) or out of memory. */
static uint32_t pair_get(BpeTrainer *t, uint32_t a, uint32_t b, bool create)
{
    uint64_t key = (uint64_t)a << 32 | b;
    size_t i = (pair_hash(key) >> 20) & t->pmask;
    for (uint32_t v; (v = t->pslots[i]); i = (i + 1) & t->pmask)
        if (t->pairs[v - 1].key == key) return v - 1;
    if (!create || t->n_pairs >= UINT32_MAX - 1) return UINT32_MAX;
    if (!TR_GROW(t->pairs, t->cap_pairs, t->n_pairs + 1)) return UINT32_MAX;
    uint32_t p = (uint32_t)t->n_pairs++;
    t->pairs[p] = (TrPair){ .key = key,
                            .state = pair_is_valid(t, a, b) ? TR_PAIR_VALID : TR_PAIR_INVALID };
    t->pslots[i] = p + 1;
    if (t->n_pairs * 2 > t->pmask && !pairs_rehash(t)) return UINT32_MAX;
    return p;
}

static bool touch(BpeTrainer *t, uint32_t p)
{
    if (!TR_GROW(t->touched, t->cap_touched, t->n_touched + 1)) return false;
    t->touched[t->n_touched++] = p;
    return true;
}

/* count += d for pair (a, b) in word w; new occurrences record w. */
static bool pair_add(BpeTrainer *t, uint32_t a, uint32_t b, int64_t d, uint32_t w)
{
    uint32_t p = pair_get(t, a, b, d > 0);
    if (p == UINT32_MAX) return d <= 0;
    TrPair *q = &t->pairs[p];
    if (q->state != TR_PAIR_VALID) return true;
    q->count += d;
    if (d > 0) {
        if (!q->n_where || q->where[q->n_where - 1] != w) {
            if (q->n_where == q->cap_where) {
                uint32_t cap = q->cap_where ? q->cap_where * 2 : 4;
                uint32_t *nw = jf_realloc(q->where, cap * sizeof *nw);
                if (!nw) return false;
                q->where = nw;
                q->cap_where = cap;
            }
            q->where[q->n_where++] = w;
        }
        return touch(t, p);
    }
    return true;
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

static JfStatus words_to_symbols(BpeTrainer *t, const CpMap *map, JfError *err)
{
    t->wsym = jf_malloc((t->words.arena_len + 1) * sizeof *t->wsym);
    t->wsym_off = jf_malloc((t->words.n + 1) * sizeof *t->wsym_off);
    t->wsym_n = jf_malloc((t->words.n + 1) * sizeof *t->wsym_n);
    t->stamp = jf_calloc(t->words.n + 1, sizeof *t->stamp);
    if (!t->wsym || !t->wsym_off || !t->wsym_n || !t->stamp) return nomem(err);
    size_t n = 0;
    for (size_t w = 0; w < t->words.n; w++) {
        const char *p = bpe_words_text(&t->words, w);
        size_t len = t->words.w[w].len, k;
        t->wsym_off[w] = (uint32_t)n;
        for (size_t i = 0; i < len; i += k) {
            uint32_t cp = decode_at(p + i, len - i, &k);
            uint32_t s = cpmap_get(map, cp);
            t->wsym[n++] = s == UINT32_MAX ? TR_UNK_SYM : s;
        }
        t->wsym_n[w] = (uint32_t)(n - t->wsym_off[w]);
    }
    t->wsym_len = n;
    return JF_OK;
}

static JfStatus pairs_count(BpeTrainer *t, JfError *err)
{
    if (!pairs_rehash(t)) return nomem(err);
    for (size_t w = 0; w < t->words.n; w++) {
        const uint32_t *s = t->wsym + t->wsym_off[w];
        for (uint32_t i = 1; i < t->wsym_n[w]; i++)
            if (!pair_add(t, s[i - 1], s[i], (int64_t)t->words.w[w].count, (uint32_t)w))
                return nomem(err);
    }
    t->n_touched = 0;
    for (size_t p = 0; p < t->n_pairs; p++)
        if (t->pairs[p].state == TR_PAIR_VALID && t->pairs[p].count > 0 &&
            !heap_push(t, (TrHeapEntry){ t->pairs[p].count, (uint32_t)p }))
            return nomem(err);
    return JF_OK;
}

/* Replaces every a b in word w by c, left to right (AcceptSymbol), keeping
 * the neighbour pairs' counts exact. */
static bool word_merge(BpeTrainer *t, uint32_t w, uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t *s = t->wsym + t->wsym_off[w];
    uint32_t n = t->wsym_n[w];
    int64_t cnt = (int64_t)t->words.w[w].count;
    for (uint32_t i = 0; i + 1 < n; i++) {
        if (s[i] != a || s[i + 1] != b) continue;
        if (i > 0 && !pair_add(t, s[i - 1], a, -cnt, w)) return false;
        if (i + 2 < n && !pair_add(t, b, s[i + 2], -cnt, w)) return false;
        s[i] = c;
        memmove(s + i + 1, s + i + 2, (n - i - 2) * sizeof *s);
        n--;
        if (i > 0 && !pair_add(t, s[i - 1], c, cnt, w)) return false;
        if (i + 1 < n && !pair_add(t, c, s[i + 1], cnt, w)) return false;
    }
    t->wsym_n[w] = n;
    return true;
}

/* Pops pairs until one is current; @return its index or UINT32_MAX. */
static uint32_t best_pair(BpeTrainer *t, bool *oom)
{
    while (t->heap_len) {
        TrHeapEntry e = heap_pop(t);
        TrPair *q = &t->pairs[e.pair];
        if (q->state != TR_PAIR_VALID || q->count <= 0) continue;
        if (q->count != e.count) {   /* lowered since pushed: re-queue */
            if (!heap_push(t, (TrHeapEntry){ q->count, e.pair })) { *oom = true; return UINT32_MAX; }
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
    if (!t->piece_slots) return nomem(err);
    uint32_t iter = 0;
    bool oom = false;
    while (t->n_merged < want) {
        uint32_t p = best_pair(t, &oom);
        if (oom) return nomem(err);
        if (p == UINT32_MAX) break;
        TrPair *q = &t->pairs[p];
        uint32_t a = (uint32_t)(q->key >> 32), b = (uint32_t)q->key;
        q->state = TR_PAIR_DONE;
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
        t->n_touched = 0;
        /* q->where may move while pairs are added: walk a snapshot by index. */
        for (uint32_t k = 0; k < t->pairs[p].n_where; k++) {
            uint32_t w = t->pairs[p].where[k];
            if (t->stamp[w] == iter) continue;
            t->stamp[w] = iter;
            if (!word_merge(t, w, a, b, c)) return nomem(err);
        }
        q = &t->pairs[p];
        jf_free(q->where);
        q->where = NULL;
        q->n_where = q->cap_where = 0;
        for (size_t k = 0; k < t->n_touched; k++) {
            TrPair *r = &t->pairs[t->touched[k]];
            if (r->state == TR_PAIR_VALID && r->count > 0 &&
                !heap_push(t, (TrHeapEntry){ r->count, t->touched[k] }))
                return nomem(err);
        }
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
    ts->has_input_sentence_size = 1; ts->input_sentence_size = 0;
    ts->has_seed_sentencepiece_size = 1; ts->seed_sentencepiece_size = 1000000;
    ts->has_shrinking_factor = 1; ts->shrinking_factor = 0.75f;
    ts->has_num_threads = 1; ts->num_threads = 1;
    ts->has_num_sub_iterations = 1; ts->num_sub_iterations = 2;
    ts->has_max_sentence_length = 1; ts->max_sentence_length = o->max_sentence_length;
    ts->has_shuffle_input_sentence = 1; ts->shuffle_input_sentence = 1;
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
    t->st.unique_words = t->words.n;
    if (!t->words.n)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "no training text");
    CpMap map = { 0 };
    TrChar *kept = NULL;
    size_t n_kept = 0;
    JfStatus rc = chars_select(t, &map, &kept, &n_kept, err);
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
    bool ok = sym_add(t, "\xE2\x81\x87", 3, 1);
    for (size_t i = 0; ok && i < n_kept; i++) {
        char u[4];
        uint32_t c = kept[i].cp;
        size_t k = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        if (k == 1) u[0] = (char)c;
        else {
            static const uint8_t LEAD[5] = { 0, 0, 0xC0, 0xE0, 0xF0 };
            for (size_t j = k - 1; j > 0; j--, c >>= 6) u[j] = (char)(0x80 | (c & 0x3F));
            u[0] = (char)(LEAD[k] | c);
        }
        ok = sym_add(t, u, k, 1);
    }
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
