/* bpe_extend.c: continuing BPE from a base SentencePiece vocabulary (see
 * bpe_extend.h for the algorithm and the score placement).
 *
 * Data: the table of unique Japanese words (bpe_words.h); after
 * the character choice every word becomes segments of symbol ids (base ids,
 * then new ids), cut where a character has no piece. A pair table keeps each
 * pair's validity (computed once), count and the segments it occurs in; a
 * max-heap of (count, pair) is re-checked lazily, so a merge rewrites only the
 * segments that hold its pair. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpe_count.h"
#include "bpe_encode.h"
#include "bpe_extend.h"
#include "bpe_words.h"
#include "jf_alloc.h"
#include "sentencepiece_model.pb-c.h"
#include "sp_model_int.h"

#define EX_WS 0x2581u
#define EX_MAX_PIECE_BYTES 256
#define EX_BARRIER UINT32_MAX

typedef struct { uint32_t off, len, nchars; } ExSym;

typedef struct {
    uint64_t  key;      /* left << 32 | right; UINT64_MAX: free */
    int64_t   count;
    uint32_t *segs;     /* segments holding the pair (duplicates possible) */
    uint32_t  n_segs, cap_segs;
    int8_t    valid;
} ExPair;

typedef struct { int64_t count; uint64_t key; } ExHeap;

typedef struct { uint32_t start, len; uint64_t freq; } ExSeg;

/* the counters of bpe_count.h: lines cut, of them Japanese, lines read by the
 * sampling filter */
enum { EX_CTR_SENTENCES, EX_CTR_JA, EX_CTR_READ };

/* What one counting thread owns: its MeCab and its line buffers. */
typedef struct {
    const BpeExtender *x;                   /* options, read only while counting */
    BpeMecab *mecab;                        /* MeCab pre-tokenization, else NULL */
    uint32_t *ncuts;    size_t ncuts_cap;   /* morpheme starts in the normalized line */
    char     *line;     size_t line_cap;    /* normalized line */
} ExCutter;

struct BpeExtender {
    const SpModel   *base;
    SpModel         *raw;          /* base without dummy prefix: encodes words as they are */
    BpeExtendOptions opt;
    BpeExtendStats   st;
    bool             done;
    BpeWords  words;      /* unique Japanese words and their counts */
    ExCutter *cutters;  size_t n_cutters;   /* one per counting thread */
    BpeCounter *counter;
    uint64_t  ctr[BPE_COUNTERS];
    /* symbols: base ids first, then new pieces; texts in sarena */
    char     *sarena;   size_t sarena_len, sarena_cap;
    ExSym    *syms;     size_t n_syms, cap_syms;
    uint32_t *nslots;   size_t nmask;     /* new piece texts -> symbol id + 1 */
    uint32_t *added;    size_t n_added, cap_added;   /* new symbols in vocabulary order */
    /* segments */
    uint32_t *seq;      size_t n_seq, cap_seq;
    ExSeg    *segs;     size_t n_segs, cap_segsv;
    uint32_t *stamp;
    /* pairs and heap */
    ExPair   *pairs;    size_t pmask, n_pairs;
    ExHeap   *heap;     size_t n_heap, cap_heap;
    bool      counting;   /* initial count: no heap pushes */
};

static JfStatus nomem(JfError *err)
{
    return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
}

static JfStatus extender_cut(void *cutter, const char *text, size_t len, BpeWords *words,
                             uint64_t *ctr, JfError *err);
static bool extender_sample_filter(void *ctx, const char *s, size_t n, uint64_t *ctr);

static uint64_t text_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h ^ h >> 29;
}

/* Decodes the character at p (left bytes); *k gets its length (1 for a bad byte). */
static uint32_t decode_at(const char *p, size_t left, size_t *k)
{
    size_t n = sp_utf8_valid_len((const uint8_t *)p, left);
    if (!n) { *k = 1; return 0xFFFD; }
    *k = n;
    return sp_utf8_decode((const uint8_t *)p, n);
}

bool bpe_char_is_japanese(uint32_t c)
{
    return (c >= 0x3040 && c <= 0x30FF) ||      /* hiragana, katakana, U+30FC */
           (c >= 0x3005 && c <= 0x3007) ||      /* 々 〆 〇 */
           (c >= 0x31F0 && c <= 0x31FF) ||      /* katakana phonetic extensions */
           (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3134F) ||
           (c >= 0xFF66 && c <= 0xFF9F);        /* half-width katakana */
}

void bpe_extend_options_default(BpeExtendOptions *o, size_t n_add)
{
    *o = (BpeExtendOptions){ .n_add = n_add, .character_coverage = 0.9995f,
                             .min_frequency = 2, .threads = 1,
                             .shuffle_input_sentence = true };
}

/* ---- raw model: the base without dummy prefix ---- */

static JfStatus raw_model_open(const SpModel *base, SpModel **out, JfError *err)
{
    uint8_t *buf;
    size_t len;
    JfStatus rc = sp_model_serialize(base, &buf, &len, err);
    if (rc != JF_OK) return rc;
    rc = sp_model_load_buffer(buf, len, "<base model>", out, err);
    jf_free(buf);
    /* Words and pieces carry their U+2581 already: nothing is prepended. */
    if (rc == JF_OK) (*out)->info.add_dummy_prefix = false;
    return rc;
}

JfStatus bpe_base_split(const SpModel *base, const char *piece, size_t len, uint32_t **ids,
                        size_t *n, JfError *err)
{
    SpModel *raw = NULL;
    BpeScratch *s = NULL;
    *ids = NULL;
    *n = 0;
    JfStatus rc = raw_model_open(base, &raw, err);
    if (rc == JF_OK) rc = bpe_scratch_open(&s, err);
    const BpeToken *t;
    size_t nt;
    if (rc == JF_OK) rc = bpe_encode(raw, s, piece, len, &t, &nt, err);
    if (rc == JF_OK) {
        *ids = jf_malloc((nt ? nt : 1) * sizeof **ids);
        if (!*ids) rc = nomem(err);
        for (size_t i = 0; rc == JF_OK && i < nt; i++) (*ids)[i] = t[i].id;
        if (rc == JF_OK) *n = nt;
    }
    bpe_scratch_close(s);
    sp_model_close(raw);
    return rc;
}

/* ---- open / close / add text ---- */

JfStatus bpe_extender_open(const SpModel *base, const BpeExtendOptions *o, BpeExtender **out,
                           JfError *err)
{
    *out = NULL;
    const SpModelInfo *in = sp_model_info(base);
    if (o->n_add == 0 || o->n_add > (size_t)1 << 24)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "number of pieces to add must be 1..16777216");
    if (o->threads < 1 || o->threads > BPE_COUNT_MAX_THREADS)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "threads must be 1..%d",
                            BPE_COUNT_MAX_THREADS);
    if (bpe_model_check(base, err) != JF_OK) return JF_EUSAGE;
    /* the corpus is read as the identity rule sees it: a base that normalizes
     * (NFKC charsmap) would learn pieces from text it never gets */
    if (in->charsmap_len || !in->add_dummy_prefix || in->remove_extra_whitespaces ||
        !in->escape_whitespaces || in->treat_whitespace_as_suffix)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "only LLaMA-style base models can be extended (identity normalizer, "
                            "dummy prefix, whitespace kept and escaped)");
    BpeExtender *x = jf_calloc(1, sizeof *x);
    if (!x) return nomem(err);
    x->base = base;
    x->opt = *o;
    if (x->opt.max_piece_length <= 0)
        x->opt.max_piece_length = in->max_sentencepiece_length > 0 ? in->max_sentencepiece_length : 16;
    bpe_words_init(&x->words);
    if (o->pretokenize == BPE_PRETOK_MECAB && !o->keep_prefix) x->opt.strip_prefix = true;
    x->opt.mecab_dicdir = NULL;   /* not kept: used here only */
    JfStatus rc = raw_model_open(base, &x->raw, err);
    void *cut[BPE_COUNT_MAX_THREADS];
    x->cutters = rc == JF_OK ? jf_calloc((size_t)o->threads, sizeof *x->cutters) : NULL;
    if (rc == JF_OK && !x->cutters) rc = nomem(err);
    if (rc == JF_OK) x->n_cutters = (size_t)o->threads;
    for (size_t i = 0; i < x->n_cutters; i++) {
        x->cutters[i].x = x;
        cut[i] = &x->cutters[i];
        if (o->pretokenize == BPE_PRETOK_MECAB && rc == JF_OK)
            rc = bpe_mecab_open(o->mecab_dicdir, &x->cutters[i].mecab, err);
    }
    if (rc == JF_OK)
        rc = bpe_counter_open(x->n_cutters, extender_cut, cut, &x->words, x->ctr, &x->counter, err);
    BpeSampleOptions so = { o->input_sentence_size, o->input_sentence_bytes,
                            o->shuffle_input_sentence, o->seed };
    if (rc == JF_OK) rc = bpe_counter_sample(x->counter, &so, extender_sample_filter, x, err);
    if (rc != JF_OK) {
        bpe_extender_close(x);
        return rc;
    }
    *out = x;
    return JF_OK;
}

void bpe_extender_close(BpeExtender *x)
{
    if (!x) return;
    bpe_counter_close(x->counter);   /* first: stops the threads using the cutters */
    for (size_t i = 0; i < x->n_cutters; i++) {
        bpe_mecab_close(x->cutters[i].mecab);
        jf_free(x->cutters[i].ncuts);
        jf_free(x->cutters[i].line);
    }
    jf_free(x->cutters);
    sp_model_close(x->raw);
    bpe_words_free(&x->words);
    jf_free(x->sarena); jf_free(x->syms); jf_free(x->nslots); jf_free(x->added);
    jf_free(x->seq); jf_free(x->segs); jf_free(x->stamp);
    for (size_t i = 0; x->pairs && i <= x->pmask; i++) jf_free(x->pairs[i].segs);
    jf_free(x->pairs);
    jf_free(x->heap);
    jf_free(x);
}

const BpeExtendStats *bpe_extender_stats(const BpeExtender *x) { return &x->st; }

bool bpe_extender_sample_full(const BpeExtender *x)
{
    const BpeSampleStats *ss = bpe_counter_sample_stats(x->counter);
    return ss && ss->full;
}

/* The figures so far (the counts of the batches merged). */
static void extender_stats_update(BpeExtender *x)
{
    const BpeSampleStats *ss = bpe_counter_sample_stats(x->counter);
    x->st.sentences = ss ? x->ctr[EX_CTR_READ] : x->ctr[EX_CTR_SENTENCES];
    x->st.ja_sentences = ss ? ss->seen : x->ctr[EX_CTR_JA];
    x->st.used_sentences = x->ctr[EX_CTR_JA];
    x->st.sample_bytes = ss ? ss->kept_bytes : 0;
}

/* One sentence: spaces to U+2581, a dummy prefix; words cut before each
 * U+2581 run (and with MeCab at each morpheme); words with a Japanese
 * character are counted, without their leading U+2581 run with strip_prefix
 * (implied by MeCab): the base then cannot give a word's first character to a
 * U+2581 piece that no new piece could start from. */
static JfStatus sentence_add(ExCutter *cu, BpeWords *words, const char *s, size_t n,
                             uint64_t *ctr, JfError *err)
{
    const uint32_t *cuts = NULL;
    size_t n_cuts = 0, n_norm = 0, j = 0, k;
    unsigned flags = BPE_SPLIT_JA_ONLY | (cu->x->opt.strip_prefix ? BPE_SPLIT_STRIP_WS : 0);
    if (cu->mecab) {
        JfStatus rc = bpe_mecab_cuts(cu->mecab, s, n, &cuts, &n_cuts, err);
        if (rc != JF_OK) return rc;
        if (!BPE_GROW(cu->ncuts, cu->ncuts_cap, n_cuts + 1)) return nomem(err);
    }
    /* a space (1 byte) becomes 3; the prefix adds 3 */
    if (!BPE_GROW(cu->line, cu->line_cap, n * 3 + 4)) return nomem(err);
    char *buf = cu->line;
    size_t m = SP_SPACE_LEN;
    bool ja = false;
    memcpy(buf, SP_SPACE, SP_SPACE_LEN);
    for (size_t i = 0; i < n; i += k) {
        while (j < n_cuts && cuts[j] < i) j++;
        if (j < n_cuts && cuts[j] == i) cu->ncuts[n_norm++] = (uint32_t)m;
        uint32_t c = decode_at(s + i, n - i, &k);
        if (c == ' ') { memcpy(buf + m, SP_SPACE, SP_SPACE_LEN); m += SP_SPACE_LEN; continue; }
        ja = ja || bpe_char_is_japanese(c);
        memcpy(buf + m, s + i, k);
        m += k;
    }
    ctr[EX_CTR_SENTENCES]++;
    if (!ja) return JF_OK;
    ctr[EX_CTR_JA]++;
    return bpe_words_add_sentence(words, buf, m, cu->ncuts, n_norm, flags) ? JF_OK : nomem(err);
}

/* BpeSampleFilter: only lines with a Japanese character are sampled (the
 * others add no word). A byte scan: a Japanese character is 3 or 4 bytes, so
 * ASCII and 2-byte text is passed over without decoding. */
static bool extender_sample_filter(void *ctx, const char *s, size_t n, uint64_t *ctr)
{
    (void)ctx;
    ctr[EX_CTR_READ]++;
    for (size_t i = 0; i < n; i++) {
        if ((uint8_t)s[i] < 0xE3) continue;
        size_t k;
        if (bpe_char_is_japanese(decode_at(s + i, n - i, &k))) return true;
        i += k - 1;
    }
    return false;
}

/* BpeCutFn: every line is a sentence (a trailing '\r' dropped). */
static JfStatus extender_cut(void *cutter, const char *text, size_t len, BpeWords *words,
                             uint64_t *ctr, JfError *err)
{
    JfStatus rc = JF_OK;
    for (size_t p = 0; p < len && rc == JF_OK;) {
        const char *nl = memchr(text + p, '\n', len - p);
        size_t n = nl ? (size_t)(nl - (text + p)) : len - p;
        size_t line = n;
        if (line && text[p + line - 1] == '\r') line--;
        if (line) rc = sentence_add(cutter, words, text + p, line, ctr, err);
        p += n + 1;
    }
    return rc;
}

JfStatus bpe_extender_add_text(BpeExtender *x, const char *text, size_t len, JfError *err)
{
    if (x->done)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "extender already ran");
    JfStatus rc = bpe_counter_add(x->counter, text, len, err);
    extender_stats_update(x);
    return rc;
}

/* ---- symbols ---- */

static bool sym_add(BpeExtender *x, const char *p, size_t len)
{
    if (!bpe_grow((void **)&x->sarena, &x->sarena_cap, x->sarena_len + len + 1, 1) ||
        !bpe_grow((void **)&x->syms, &x->cap_syms, x->n_syms + 1, sizeof *x->syms))
        return false;
    size_t nc = 0, k;
    for (size_t i = 0; i < len; i += k) { decode_at(p + i, len - i, &k); nc++; }
    memcpy(x->sarena + x->sarena_len, p, len);
    x->sarena[x->sarena_len + len] = 0;
    x->syms[x->n_syms++] = (ExSym){ (uint32_t)x->sarena_len, (uint32_t)len, (uint32_t)nc };
    x->sarena_len += len + 1;
    return true;
}

/* @return the new symbol whose text is p[0..len), or -1. */
static int64_t new_find(const BpeExtender *x, const char *p, size_t len)
{
    if (!x->nslots) return -1;
    for (size_t i = text_hash(p, len) & x->nmask; x->nslots[i]; i = (i + 1) & x->nmask) {
        const ExSym *s = &x->syms[x->nslots[i] - 1];
        if (s->len == len && !memcmp(x->sarena + s->off, p, len)) return x->nslots[i] - 1;
    }
    return -1;
}

/* Adds p[0..len) as a new piece (symbol and vocabulary entry). */
static bool new_add(BpeExtender *x, const char *p, size_t len)
{
    if (!sym_add(x, p, len)) return false;
    uint32_t id = (uint32_t)x->n_syms - 1;
    if (!BPE_GROW(x->added, x->cap_added, x->n_added + 1)) return false;
    x->added[x->n_added++] = id;
    if (!x->nslots || (x->n_added + 1) * 2 > x->nmask) {
        size_t mask = x->nmask ? x->nmask * 2 + 1 : 1023;
        uint32_t *s = jf_calloc(mask + 1, sizeof *s);
        if (!s) return false;
        for (size_t k = 0; k < x->n_added; k++) {
            const ExSym *y = &x->syms[x->added[k]];
            size_t i = text_hash(x->sarena + y->off, y->len) & mask;
            while (s[i]) i = (i + 1) & mask;
            s[i] = x->added[k] + 1;
        }
        jf_free(x->nslots);
        x->nslots = s;
        x->nmask = mask;
        return true;
    }
    size_t i = text_hash(p, len) & x->nmask;
    while (x->nslots[i]) i = (i + 1) & x->nmask;
    x->nslots[i] = id + 1;
    return true;
}

/* ---- characters ---- */

typedef struct { uint32_t cp; uint64_t count; bool missing; } ExChar;

static int char_cmp(const void *a, const void *b)
{
    const ExChar *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->cp < y->cp ? -1 : x->cp > y->cp;
}

static size_t utf8_put(char *u, uint32_t c)
{
    size_t k = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    static const uint8_t LEAD[5] = { 0, 0, 0xC0, 0xE0, 0xF0 };
    if (k == 1) { u[0] = (char)c; return 1; }
    for (size_t j = k - 1; j > 0; j--, c >>= 6) u[j] = (char)(0x80 | (c & 0x3F));
    u[0] = (char)(LEAD[k] | c);
    return k;
}

/* @return true when the one-character text is a piece merges can use. */
static bool base_has_piece(const SpModel *m, const char *p, size_t len)
{
    int32_t id = sp_model_find(m, p, len);
    return id >= 0 && sp_piece_is_mergeable((uint8_t)sp_model_type(m, (uint32_t)id));
}

/* Counts Japanese characters over the words; those the base lacks and that
 * fall within the coverage become new pieces, most frequent first. */
static JfStatus chars_add(BpeExtender *x, JfError *err)
{
    ExChar *c = NULL;
    size_t n = 0, cap = 0, mask = 4095;
    uint32_t *slot = jf_calloc(mask + 1, sizeof *slot);
    JfStatus rc = JF_OK;
    uint64_t total = 0;
    if (!slot) return nomem(err);
    for (size_t w = 0; w < x->words.n; w++) {
        const char *p = bpe_words_text(&x->words, w);
        size_t k;
        for (size_t i = 0; i < x->words.w[w].len; i += k) {
            uint32_t cp = decode_at(p + i, x->words.w[w].len - i, &k);
            if (!bpe_char_is_japanese(cp)) continue;
            total += x->words.w[w].count;
            size_t h = (cp * 0x9E3779B1u) & mask;
            while (slot[h] && c[slot[h] - 1].cp != cp) h = (h + 1) & mask;
            if (slot[h]) { c[slot[h] - 1].count += x->words.w[w].count; continue; }
            if (!bpe_grow((void **)&c, &cap, n + 1, sizeof *c)) { rc = nomem(err); goto out; }
            c[n] = (ExChar){ cp, x->words.w[w].count, !base_has_piece(x->base, p + i, k) };
            slot[h] = (uint32_t)++n;
            if (n * 2 > mask) {   /* grow: rebuild the slots */
                size_t nm = mask * 2 + 1;
                uint32_t *ns = jf_calloc(nm + 1, sizeof *ns);
                if (!ns) { rc = nomem(err); goto out; }
                for (size_t j = 0; j < n; j++) {
                    size_t g = (c[j].cp * 0x9E3779B1u) & nm;
                    while (ns[g]) g = (g + 1) & nm;
                    ns[g] = (uint32_t)j + 1;
                }
                jf_free(slot);
                slot = ns;
                mask = nm;
            }
        }
    }
    qsort(c, n, sizeof *c, char_cmp);
    uint64_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        bool covered = (double)acc < (double)x->opt.character_coverage * (double)total;
        acc += c[i].count;
        if (!c[i].missing) continue;
        if (!covered || x->n_added >= x->opt.n_add) { x->st.dropped_chars++; continue; }
        char u[4];
        if (!new_add(x, u, utf8_put(u, c[i].cp))) { rc = nomem(err); goto out; }
        x->st.new_chars++;
    }
out:
    jf_free(slot);
    jf_free(c);
    return rc;
}

/* ---- segments: words as base pieces ---- */

static bool seg_close(BpeExtender *x, size_t start, uint64_t freq)
{
    size_t len = x->n_seq - start;
    if (len < 2) { x->n_seq = start; return true; }
    if (!bpe_grow((void **)&x->segs, &x->cap_segsv, x->n_segs + 1, sizeof *x->segs)) return false;
    x->segs[x->n_segs++] = (ExSeg){ (uint32_t)start, (uint32_t)len, freq };
    return true;
}

static bool seq_put(BpeExtender *x, uint32_t id)
{
    if (!bpe_grow((void **)&x->seq, &x->cap_seq, x->n_seq + 1, sizeof *x->seq)) return false;
    x->seq[x->n_seq++] = id;
    return true;
}

/* Symbol of one character the base has no mergeable piece for. */
static uint32_t char_symbol(const BpeExtender *x, const char *p, size_t len)
{
    int64_t id = new_find(x, p, len);
    return id >= 0 ? (uint32_t)id : EX_BARRIER;
}

static JfStatus words_segment(BpeExtender *x, JfError *err)
{
    BpeScratch *s;
    JfStatus rc = bpe_scratch_open(&s, err);
    if (rc != JF_OK) return rc;
    for (size_t w = 0; w < x->words.n && rc == JF_OK; w++) {
        const BpeToken *t;
        size_t nt, start = x->n_seq;
        rc = bpe_encode(x->raw, s, bpe_words_text(&x->words, w), x->words.w[w].len, &t, &nt, err);
        bool ok = true;
        for (size_t i = 0; rc == JF_OK && ok && i < nt;) {
            uint32_t id = t[i].id, sym;
            uint8_t type = (uint8_t)sp_model_type(x->base, id);
            size_t step = 1;
            if (type == SP_PIECE_BYTE) {
                /* byte fallback: the pieces' bytes make up one character */
                char u[4];
                size_t k = 0;
                while (i + k < nt && k < 4 && sp_model_type(x->base, t[i + k].id) == SP_PIECE_BYTE) {
                    u[k] = (char)strtol(sp_model_piece(x->base, t[i + k].id, NULL) + 3, NULL, 16);
                    k++;
                    if (sp_utf8_valid_len((const uint8_t *)u, k) == k) break;
                }
                step = k ? k : 1;
                sym = sp_utf8_valid_len((const uint8_t *)u, k) == k ? char_symbol(x, u, k)
                                                                    : EX_BARRIER;
            } else if (!sp_piece_is_mergeable(type)) {
                sym = char_symbol(x, t[i].piece, t[i].len);   /* <unk>: its raw text */
            } else {
                sym = id;
            }
            i += step;
            if (sym == EX_BARRIER) {
                ok = seg_close(x, start, x->words.w[w].count);
                start = x->n_seq;
            } else {
                ok = seq_put(x, sym);
            }
        }
        if (rc == JF_OK && !(ok && seg_close(x, start, x->words.w[w].count))) rc = nomem(err);
    }
    bpe_scratch_close(s);
    if (rc == JF_OK && !(x->stamp = jf_calloc(x->n_segs + 1, sizeof *x->stamp))) rc = nomem(err);
    return rc;
}

/* ---- pairs ---- */

/* A new piece: Japanese characters, at most one leading U+2581 (none with
 * strip_prefix), at most max_piece_length characters, not a piece yet. */
static bool pair_is_valid(const BpeExtender *x, uint32_t a, uint32_t b)
{
    const ExSym *l = &x->syms[a], *r = &x->syms[b];
    if (l->nchars + r->nchars > (uint32_t)x->opt.max_piece_length) return false;
    size_t len = (size_t)l->len + r->len;
    if (len > EX_MAX_PIECE_BYTES) return false;
    char buf[EX_MAX_PIECE_BYTES];
    memcpy(buf, x->sarena + l->off, l->len);
    memcpy(buf + l->len, x->sarena + r->off, r->len);
    size_t k;
    for (size_t i = 0; i < len; i += k) {
        uint32_t c = decode_at(buf + i, len - i, &k);
        if (c == EX_WS && i == 0 && !x->opt.strip_prefix) continue;
        if (!bpe_char_is_japanese(c)) return false;
    }
    return sp_model_find(x->base, buf, len) < 0 && new_find(x, buf, len) < 0;
}

static size_t pair_slot(const ExPair *t, size_t mask, uint64_t key)
{
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
    while (t[i].key != key && t[i].key != UINT64_MAX) i = (i + 1) & mask;
    return i;
}

static bool pairs_grow(BpeExtender *x)
{
    size_t mask = x->pmask ? x->pmask * 2 + 1 : 65535;
    ExPair *t = jf_malloc((mask + 1) * sizeof *t);
    if (!t) return false;
    for (size_t i = 0; i <= mask; i++) t[i] = (ExPair){ .key = UINT64_MAX };
    for (size_t i = 0; x->pairs && i <= x->pmask; i++)
        if (x->pairs[i].key != UINT64_MAX) t[pair_slot(t, mask, x->pairs[i].key)] = x->pairs[i];
    jf_free(x->pairs);
    x->pairs = t;
    x->pmask = mask;
    return true;
}

static bool heap_push(BpeExtender *x, int64_t count, uint64_t key)
{
    if (!bpe_grow((void **)&x->heap, &x->cap_heap, x->n_heap + 1, sizeof *x->heap)) return false;
    size_t i = x->n_heap++;
    ExHeap e = { count, key };
    while (i) {
        size_t p = (i - 1) / 2;
        const ExHeap *q = &x->heap[p];
        if (q->count > e.count || (q->count == e.count && q->key < e.key)) break;
        x->heap[i] = *q;
        i = p;
    }
    x->heap[i] = e;
    return true;
}

static ExHeap heap_pop(BpeExtender *x)
{
    ExHeap top = x->heap[0], e = x->heap[--x->n_heap];
    size_t i = 0, n = x->n_heap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && (x->heap[c + 1].count > x->heap[c].count ||
                          (x->heap[c + 1].count == x->heap[c].count &&
                           x->heap[c + 1].key < x->heap[c].key)))
            c++;
        if (e.count > x->heap[c].count || (e.count == x->heap[c].count && e.key < x->heap[c].key))
            break;
        x->heap[i] = x->heap[c];
        i = c;
    }
    if (n) x->heap[i] = e;
    return top;
}

/* Adds d to the count of pair (a, b); a positive d records segment seg. */
static bool pair_add(BpeExtender *x, uint32_t a, uint32_t b, int64_t d, uint32_t seg)
{
    uint64_t key = (uint64_t)a << 32 | b;
    size_t i = pair_slot(x->pairs, x->pmask, key);
    ExPair *p = &x->pairs[i];
    if (p->key == UINT64_MAX) {
        if ((x->n_pairs + 1) * 2 > x->pmask) {
            if (!pairs_grow(x)) return false;
            p = &x->pairs[pair_slot(x->pairs, x->pmask, key)];
        }
        *p = (ExPair){ .key = key, .valid = pair_is_valid(x, a, b) };
        x->n_pairs++;
    }
    if (!p->valid) return true;
    p->count += d;
    if (d <= 0) return true;
    if (p->n_segs == p->cap_segs) {
        size_t cap = p->cap_segs;
        if (!bpe_grow((void **)&p->segs, &cap, (size_t)p->n_segs + 1, sizeof *p->segs))
            return false;
        p->cap_segs = (uint32_t)cap;
    }
    p->segs[p->n_segs++] = seg;
    return x->counting || heap_push(x, p->count, key);
}

static JfStatus pairs_count(BpeExtender *x, JfError *err)
{
    if (!pairs_grow(x)) return nomem(err);
    x->counting = true;
    for (size_t s = 0; s < x->n_segs; s++) {
        const ExSeg *g = &x->segs[s];
        for (uint32_t i = 0; i + 1 < g->len; i++)
            if (!pair_add(x, x->seq[g->start + i], x->seq[g->start + i + 1], (int64_t)g->freq,
                          (uint32_t)s))
                return nomem(err);
    }
    x->counting = false;
    for (size_t i = 0; i <= x->pmask; i++) {
        const ExPair *p = &x->pairs[i];
        if (p->key != UINT64_MAX && p->valid && p->count > 0 && !heap_push(x, p->count, p->key))
            return nomem(err);
    }
    return JF_OK;
}

/* Rewrites segment s with every (a, b) replaced by c, adjusting neighbours. */
static bool seg_merge(BpeExtender *x, uint32_t s, uint32_t a, uint32_t b, uint32_t c)
{
    ExSeg *g = &x->segs[s];
    uint32_t *sym = x->seq + g->start;
    int64_t f = (int64_t)g->freq;
    size_t n = g->len, out = 0;
    for (size_t i = 0; i < n;) {
        if (i + 1 < n && sym[i] == a && sym[i + 1] == b) {
            if (out && !(pair_add(x, sym[out - 1], a, -f, s) && pair_add(x, sym[out - 1], c, f, s)))
                return false;
            if (i + 2 < n && !(pair_add(x, b, sym[i + 2], -f, s) && pair_add(x, c, sym[i + 2], f, s)))
                return false;
            if (!pair_add(x, a, b, -f, s)) return false;
            sym[out++] = c;
            i += 2;
        } else {
            sym[out++] = sym[i++];
        }
    }
    g->len = (uint32_t)out;
    return true;
}

static JfStatus merges_run(BpeExtender *x, JfError *err)
{
    uint32_t round = 0;
    while (x->n_added < x->opt.n_add && x->n_heap) {
        ExHeap e = heap_pop(x);
        ExPair *p = &x->pairs[pair_slot(x->pairs, x->pmask, e.key)];
        if (p->count != e.count) {   /* stale: re-queue with the current count */
            if (p->count > 0 && p->count < e.count && !heap_push(x, p->count, e.key)) return nomem(err);
            continue;
        }
        if ((uint64_t)p->count < x->opt.min_frequency) break;
        uint32_t a = (uint32_t)(e.key >> 32), b = (uint32_t)e.key;
        const ExSym *l = &x->syms[a], *r = &x->syms[b];
        char buf[EX_MAX_PIECE_BYTES];
        size_t len = (size_t)l->len + r->len;
        memcpy(buf, x->sarena + l->off, l->len);
        memcpy(buf + l->len, x->sarena + r->off, r->len);
        if (new_find(x, buf, len) >= 0) {   /* made by another path meanwhile */
            p->valid = 0;
            x->st.duplicates++;
            continue;
        }
        if (!new_add(x, buf, len)) return nomem(err);
        uint32_t c = (uint32_t)x->n_syms - 1;
        x->st.merges++;
        round++;
        /* Detach the list: the merge adds to other pairs' lists, never to this one. */
        uint32_t *segs = p->segs, n = p->n_segs;
        p->segs = NULL;
        p->n_segs = p->cap_segs = 0;
        bool ok = true;
        for (uint32_t i = 0; ok && i < n; i++) {
            if (x->stamp[segs[i]] == round) continue;
            x->stamp[segs[i]] = round;
            ok = seg_merge(x, segs[i], a, b, c);
        }
        jf_free(segs);
        if (!ok) return nomem(err);
    }
    return JF_OK;
}

/* ---- the extended model ---- */

static void *pb_alloc(void *data, size_t n) { (void)data; return jf_malloc(n ? n : 1); }
static void pb_free(void *data, void *p) { (void)data; jf_free(p); }

/* The lowest base score, ignoring the -1e9 of whitespace-only pieces. */
static float base_lowest_score(const SpModel *m)
{
    float lo = 0;
    for (uint32_t i = 0; i < sp_model_size(m); i++) {
        float s = sp_model_score(m, i);
        if (s > -1e8f && s < lo) lo = s;
    }
    return lo;
}

/* Order of the new pieces in the vocabulary: merged pieces in merge order,
 * then characters (SentencePiece puts characters after merged pieces). */
static JfStatus model_build(BpeExtender *x, size_t n_chars, SpModel **out, JfError *err)
{
    uint8_t *buf = NULL;
    size_t len;
    JfStatus rc = sp_model_serialize(x->base, &buf, &len, err);
    if (rc != JF_OK) return rc;
    ProtobufCAllocator alloc = { pb_alloc, pb_free, NULL };
    JfSp__ModelProto *mp = jf_sp__model_proto__unpack(&alloc, len, buf);
    jf_free(buf);
    buf = NULL;
    if (!mp) return nomem(err);
    size_t n_old = mp->n_pieces, n_new = x->n_added;
    JfSp__ModelProto__SentencePiece **old = mp->pieces;
    JfSp__ModelProto__SentencePiece *sp = jf_calloc(n_new ? n_new : 1, sizeof *sp);
    JfSp__ModelProto__SentencePiece **ptr = jf_calloc(n_old + n_new, sizeof *ptr);
    if (!sp || !ptr) { rc = nomem(err); goto out; }
    memcpy(ptr, old, n_old * sizeof *ptr);
    float lo = base_lowest_score(x->base);
    size_t n_merged = n_new - n_chars;
    for (size_t k = 0; k < n_new; k++) {
        uint32_t id = x->added[k < n_merged ? n_chars + k : k - n_merged];
        jf_sp__model_proto__sentence_piece__init(&sp[k]);
        sp[k].piece = x->sarena + x->syms[id].off;
        sp[k].has_score = 1;
        sp[k].score = lo - 1.0f - (float)k;
        ptr[n_old + k] = &sp[k];
    }
    mp->pieces = ptr;
    mp->n_pieces = n_old + n_new;
    int32_t old_vocab = 0;
    protobuf_c_boolean had_vocab = 0;
    if (mp->trainer_spec) {
        had_vocab = mp->trainer_spec->has_vocab_size;
        old_vocab = mp->trainer_spec->vocab_size;
        mp->trainer_spec->has_vocab_size = 1;
        mp->trainer_spec->vocab_size = (int32_t)(n_old + n_new);
    }
    len = jf_sp__model_proto__get_packed_size(mp);
    buf = jf_malloc(len ? len : 1);
    if (!buf) rc = nomem(err);
    else {
        jf_sp__model_proto__pack(mp, buf);
        rc = sp_model_load_buffer(buf, len, "<extended model>", out, err);
    }
    if (mp->trainer_spec) {
        mp->trainer_spec->has_vocab_size = had_vocab;
        mp->trainer_spec->vocab_size = old_vocab;
    }
    mp->pieces = old;   /* the new entries are ours, not the message's */
    mp->n_pieces = n_old;
out:
    jf_sp__model_proto__free_unpacked(mp, &alloc);
    jf_free(sp);
    jf_free(ptr);
    jf_free(buf);
    return rc;
}

JfStatus bpe_extender_run(BpeExtender *x, SpModel **out, JfError *err)
{
    *out = NULL;
    if (x->done) return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "extender already ran");
    x->done = true;
    JfStatus rc = bpe_counter_finish(x->counter, err);
    if (rc != JF_OK) return rc;
    extender_stats_update(x);
    x->st.unique_words = x->words.n;
    if (!x->words.n)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "no Japanese text to learn new pieces from");
    /* Base symbols 0..n-1 keep their ids. */
    for (uint32_t i = 0; i < sp_model_size(x->base); i++) {
        size_t len;
        const char *p = sp_model_piece(x->base, i, &len);
        if (!sym_add(x, p, len)) return nomem(err);
    }
    rc = chars_add(x, err);
    size_t n_chars = x->n_added;
    if (rc == JF_OK) rc = words_segment(x, err);
    if (rc == JF_OK) rc = pairs_count(x, err);
    if (rc == JF_OK) rc = merges_run(x, err);
    if (rc == JF_OK && !x->n_added)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "the text gives no new piece (too little Japanese text?)");
    if (rc == JF_OK) rc = model_build(x, n_chars, out, err);
    return rc;
}

/* ---- new_pieces.tsv ---- */

JfStatus bpe_new_pieces_write(const SpModel *base, const SpModel *ext, const char *path,
                              JfError *err)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return jf_error_set(err, JF_EUSAGE, path, JF_OFFSET_UNKNOWN, "path too long");
    SpModel *raw = NULL;
    BpeScratch *s = NULL;
    JfStatus rc = raw_model_open(base, &raw, err);
    if (rc == JF_OK) rc = bpe_scratch_open(&s, err);
    FILE *f = rc == JF_OK ? fopen(tmp, "wb") : NULL;
    if (rc == JF_OK && !f) rc = jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "cannot create");
    bool ok = true;
    for (uint32_t id = (uint32_t)sp_model_size(base); rc == JF_OK && ok && id < sp_model_size(ext);
         id++) {
        size_t len, nt;
        const char *p = sp_model_piece(ext, id, &len);
        const BpeToken *t;
        if ((rc = bpe_encode(raw, s, p, len, &t, &nt, err)) != JF_OK) break;
        ok = fprintf(f, "%u\t%s\t", id, p) > 0;
        for (size_t i = 0; ok && i < nt; i++) ok = fprintf(f, i ? " %u" : "%u", t[i].id) > 0;
        ok = ok && fputc('\n', f) != EOF;
    }
    if (f) {
        ok = (fclose(f) == 0) && ok;
        if (rc == JF_OK && (!ok || rename(tmp, path) != 0))
            rc = jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot write");
        if (rc != JF_OK) remove(tmp);
    }
    bpe_scratch_close(s);
    sp_model_close(raw);
    return rc;
}
