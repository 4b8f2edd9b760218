/* filter_rules_repetition.c: Gopher's repetition rules, shared by the
 * Japanese (unit = character) and English (unit = word) profiles:
 * duplicate lines / sentences / paragraphs (as a fraction of pieces and of
 * characters), the share of characters in the most frequent 2/3/4-gram, and
 * the share of characters covered by 5..10-grams that occur more than once.
 * N-grams are identified by a 64-bit hash (collisions are ignored: at these
 * sizes they are far rarer than one per corpus). Linear in the text.
 *
 * Speed: the n-gram rules of one document share their work. Level n gives
 * every start a class (a dense id found through a hash table, with its
 * number of occurrences); an n-gram that occurs once makes every longer one
 * at the same start unique too, so level n+1 hashes and counts only the
 * starts whose n-gram repeats (on the sample's manuals 86 % of the starts at
 * level 3, 19 % at level 10; fewer on prose). The rules then scan classes
 * (array lookups) instead of hashing. */
#include <string.h>

#include "filter_int.h"
#include "jf_alloc.h"

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0.0;
}

/* Pieces equal (byte for byte) to an earlier piece: how many, and their
 * characters; counted once per document and kind. */
static JfStatus dup_pieces(FilterText *t, int kind, const FilterSpan *v, size_t n)
{
    if (t->have_dup[kind]) return JF_OK;
    size_t dups = 0, dup_chars = 0;
    if (filter_counter_reset(&t->counter, n) != JF_OK) return JF_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        uint64_t h = filter_hash_bytes(t->text + v[i].start, v[i].end - v[i].start);
        if (filter_counter_add(&t->counter, h) > 1) {
            dups++;
            dup_chars += v[i].chars;
        }
    }
    t->dup_n[kind] = dups;
    t->dup_chars[kind] = dup_chars;
    t->have_dup[kind] = true;
    return JF_OK;
}

static JfStatus dup_measure(FilterText *t, int kind, bool by_chars, double *value)
{
    JfStatus rc = kind == FILTER_PIECE_LINE ? filter_text_lines(t)
                : kind == FILTER_PIECE_SENT ? filter_text_sentences(t)
                                            : filter_text_paragraphs(t);
    if (rc != JF_OK) return rc;
    const FilterSpan *v = kind == FILTER_PIECE_LINE ? t->lines
                        : kind == FILTER_PIECE_SENT ? t->sents : t->paras;
    size_t n = kind == FILTER_PIECE_LINE ? t->n_lines
             : kind == FILTER_PIECE_SENT ? t->n_sents : t->n_paras;
    if (dup_pieces(t, kind, v, n) != JF_OK) return JF_ENOMEM;
    *value = by_chars ? ratio((double)t->dup_chars[kind], (double)t->n_cp)
                      : ratio((double)t->dup_n[kind], (double)n);
    return JF_OK;
}

JfStatus filter_m_dup_line_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    return dup_measure(t, FILTER_PIECE_LINE, false, value);
}

JfStatus filter_m_dup_line_char_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    return dup_measure(t, FILTER_PIECE_LINE, true, value);
}

JfStatus filter_m_dup_sent_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    return dup_measure(t, FILTER_PIECE_SENT, false, value);
}

JfStatus filter_m_dup_sent_char_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    return dup_measure(t, FILTER_PIECE_SENT, true, value);
}

JfStatus filter_m_dup_para_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    return dup_measure(t, FILTER_PIECE_PARA, false, value);
}

JfStatus filter_m_dup_para_char_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    (void)rc;
    return dup_measure(t, FILTER_PIECE_PARA, true, value);
}

/* Grows a pair of parallel arrays to hold need entries (contents are lost). */
static JfStatus grow2(void **a, size_t asz, void **b, size_t bsz, size_t *cap, size_t need)
{
    if (*cap >= need) return JF_OK;
    void *x = jf_malloc(need * asz), *y = jf_malloc(need * bsz);
    if (!x || !y) {
        jf_free(x);
        jf_free(y);
        return JF_ENOMEM;
    }
    jf_free(*a);
    jf_free(*b);
    *a = x;
    *b = y;
    *cap = need;
    return JF_OK;
}

/* Makes t->tok / t->tok_len the tokens of the unit: code points (length 1),
 * words or morphemes (their hash, their length in characters); tok_chars is
 * the denominator of the rules. Once per document and unit. */
static JfStatus unit_tokens(FilterText *t, int unit)
{
    if (t->tok_unit == unit) return JF_OK;
    const uint64_t *h = NULL;
    const uint32_t *len = NULL;
    size_t n;
    if (unit == FILTER_UNIT_MORPH) {   /* filter_text_morphs ran (the rule's measure) */
        h = t->morph_hash;
        len = t->morph_len;
        n = t->n_morphs;
    } else if (unit == FILTER_UNIT_WORD) {
        if (filter_text_words(t) != JF_OK) return JF_ENOMEM;
        h = t->word_hash;
        len = t->word_len;
        n = t->n_words;
    } else {
        n = t->n_cp;
    }
    if (grow2((void **)&t->tok, sizeof *t->tok, (void **)&t->tok_len, sizeof *t->tok_len,
              &t->tok_cap, n + 1) != JF_OK)
        return JF_ENOMEM;
    size_t s = 0;
    if (h) {
        memcpy(t->tok, h, n * sizeof *h);
        memcpy(t->tok_len, len, n * sizeof *len);
        for (size_t i = 0; i < n; i++) s += len[i];
    } else {
        for (size_t i = 0; i < n; i++) {
            t->tok[i] = t->cp[i];
            t->tok_len[i] = 1;
        }
        s = n;
    }
    t->n_tok = n;
    /* morpheme n-grams are shared over the document's characters (white
     * space inside a surface is not counted, so s may fall short of n_cp) */
    t->tok_chars = unit == FILTER_UNIT_MORPH && t->n_cp > s ? t->n_cp : s;
    t->tok_unit = unit;
    t->gram_unit = -1;
    if (n > UINT32_MAX) return JF_ENOMEM;   /* starts are 32-bit */
    return JF_OK;
}

/* One more token into an n-gram hash (the table mixes the result). */
static inline uint64_t gram_step(uint64_t h, uint64_t tok)
{
    h ^= tok + 0x632BE59BD9B4E019ULL;
    h *= 0x100000001B3ULL;
    return h ^ (h >> 29);
}

#define GRAM_SEED 0x9E3779B97F4A7C15ULL

/* The counter's mix (filter_text.c): the identity of an n-gram is this value. */
static inline uint64_t gram_key(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h | 1;
}

/* Starts a level of `items` insertions: a table of at least 2 x items slots
 * (a power of two) and class arrays for `items` classes. Slots of earlier
 * levels are invalidated by the epoch, not cleared. @return the slot mask. */
static JfStatus gram_table_start(FilterText *t, size_t items, size_t *mask)
{
    size_t cap = 64;
    while (cap < items * 2) cap *= 2;
    if (cap > t->slots_cap) {
        FilterGramSlot *s = jf_calloc(cap, sizeof *s);
        if (!s) return JF_ENOMEM;
        jf_free(t->gram_slots);
        t->gram_slots = s;
        t->slots_cap = cap;
        t->gram_epoch = 0;
    }
    if (++t->gram_epoch == 0) {   /* wrapped: stale slots could look current */
        memset(t->gram_slots, 0, t->slots_cap * sizeof *t->gram_slots);
        t->gram_epoch = 1;
    }
    if (grow2((void **)&t->gram_count, sizeof *t->gram_count, (void **)&t->gram_aux,
              sizeof *t->gram_aux, &t->count_cap, items + 1) != JF_OK)
        return JF_ENOMEM;
    memset(t->gram_count, 0, (items + 1) * sizeof *t->gram_count);
    t->n_classes = 0;
    *mask = cap - 1;
    return JF_OK;
}

/* Counts one n-gram of key k (gram_key). @return its class id. Whether the
 * n-gram is new is unpredictable (about half are at every level), so that
 * case is selected, not branched on: gram_count is zeroed ahead of the
 * classes. */
static inline uint32_t gram_add(FilterText *t, size_t mask, uint64_t k)
{
    uint32_t ep = t->gram_epoch;
    size_t i = k & mask;
    while (t->gram_slots[i].epoch == ep && t->gram_slots[i].key != k) i = (i + 1) & mask;
    FilterGramSlot *s = &t->gram_slots[i];
    bool fresh = s->epoch != ep;
    uint32_t id = fresh ? (uint32_t)t->n_classes : s->id;
    s->key = k;
    s->epoch = ep;
    s->id = id;
    t->gram_count[id]++;
    t->n_classes += fresh;
    return id;
}

/* Slots are touched in random order and most tables outgrow the L2 cache:
 * the slot of the entry GRAM_AHEAD places later is fetched while this one is
 * counted (hashes are all known before counting starts). */
#define GRAM_AHEAD 16

/* Counts the n-grams of l[0..n) (their hashes set) in order, filling cls. */
static void gram_count_all(FilterText *t, FilterGramLive *l, size_t n, size_t mask)
{
    for (size_t j = 0; j < n; j++) {
        if (j + GRAM_AHEAD < n)
            __builtin_prefetch(&t->gram_slots[gram_key(l[j + GRAM_AHEAD].h) & mask], 1);
        l[j].cls = gram_add(t, mask, gram_key(l[j].h));
    }
}

/* Level g from nothing: every start hashed and counted. */
static JfStatus grams_fresh(FilterText *t, size_t m, size_t g)
{
    const uint64_t *tok = t->tok;
    size_t mask;
    if (t->live_cap < m) {
        FilterGramLive *l = jf_realloc(t->gram_live, m * sizeof *l);
        if (!l) return JF_ENOMEM;
        t->gram_live = l;
        t->live_cap = m;
    }
    if (gram_table_start(t, m, &mask) != JF_OK) return JF_ENOMEM;
    FilterGramLive *l = t->gram_live;
    for (size_t i = 0; i < m; i++) {
        uint64_t h = GRAM_SEED;
        for (size_t k = 0; k < g; k++) h = gram_step(h, tok[i + k]);
        l[i].h = h;
        l[i].pos = (uint32_t)i;
    }
    gram_count_all(t, l, m, mask);
    t->n_live = m;
    return JF_OK;
}

/* Level g from level a < g: starts whose a-gram occurs once are dropped; the
 * others (with a g-gram: start < m) are extended by g - a tokens and counted. */
static JfStatus grams_extend(FilterText *t, size_t m, size_t a, size_t g)
{
    const uint64_t *tok = t->tok;
    FilterGramLive *l = t->gram_live;
    size_t live = 0, mask;
    for (size_t j = 0; j < t->n_live && l[j].pos < m; j++) {   /* kept or not: no branch */
        uint32_t pos = l[j].pos;
        uint64_t h = l[j].h;
        for (size_t k = a; k < g; k++) h = gram_step(h, tok[pos + k]);
        bool keep = t->gram_count[l[j].cls] > 1;
        l[live].h = h;
        l[live].pos = pos;
        live += keep;
    }
    if (gram_table_start(t, live, &mask) != JF_OK) return JF_ENOMEM;
    gram_count_all(t, l, live, mask);
    t->n_live = live;
    return JF_OK;
}

/* Makes level g current for the unit's tokens (t->n_tok >= g) and zeroes
 * gram_aux. @return JF_OK or JF_ENOMEM. */
static JfStatus grams(FilterText *t, int unit, size_t g)
{
    size_t m = t->n_tok - g + 1;
    JfStatus rc = JF_OK;
    if (t->gram_unit != unit || t->gram_n > g) rc = grams_fresh(t, m, g);
    else if (t->gram_n < g) rc = grams_extend(t, m, t->gram_n, g);
    if (rc != JF_OK) {
        t->gram_unit = -1;
        return rc;
    }
    t->gram_unit = unit;
    t->gram_n = g;
    memset(t->gram_aux, 0, t->n_classes * sizeof *t->gram_aux);
    return JF_OK;
}

/* Characters in the most frequent n-gram (one that occurs at least twice),
 * times its count, over all characters. Among n-grams of the same count, the
 * one whose last occurrence comes first (the first to reach that count). */
JfStatus filter_m_top_ngram_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    size_t g = (size_t)rc->def->arg;
    *value = 0;
    if (unit_tokens(t, rc->def->unit) != JF_OK) return JF_ENOMEM;
    if (t->n_tok < g) return JF_OK;
    if (grams(t, rc->def->unit, g) != JF_OK) return JF_ENOMEM;
    uint32_t best = 1, *run = t->gram_aux;
    size_t best_at = 0;
    for (size_t j = 0; j < t->n_live; j++) {
        uint32_t c = t->gram_live[j].cls;
        if (++run[c] > best) {
            best = run[c];
            best_at = t->gram_live[j].pos;
        }
    }
    if (best < 2) return JF_OK;
    size_t chars = 0;
    for (size_t k = 0; k < g; k++) chars += t->tok_len[best_at + k];
    *value = ratio((double)chars * best, (double)t->tok_chars);
    return JF_OK;
}

/* Gopher's duplicate n-gram share, as datatrove computes it
 * (find_all_duplicate): scanning left to right, an n-gram seen before adds its
 * characters and the scan jumps past it; a new one is remembered and the scan
 * moves one unit. First occurrences never count and counted n-grams never
 * overlap. Over all characters. An n-gram that occurs once is never "seen
 * before" and remembering it changes nothing, so the scan visits only the
 * listed (repeating) starts, skipping those inside a counted n-gram. */
JfStatus filter_m_dup_ngram_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    size_t g = (size_t)rc->def->arg;
    *value = 0;
    if (unit_tokens(t, rc->def->unit) != JF_OK) return JF_ENOMEM;
    if (t->n_tok < g) return JF_OK;
    if (grams(t, rc->def->unit, g) != JF_OK) return JF_ENOMEM;
    uint32_t *seen = t->gram_aux;
    size_t repeated = 0, next = 0;   /* next: first start not inside a counted n-gram */
    for (size_t j = 0; j < t->n_live; j++) {
        const FilterGramLive *l = &t->gram_live[j];
        if (l->pos < next) continue;
        if (seen[l->cls]) {
            for (size_t k = 0; k < g; k++) repeated += t->tok_len[l->pos + k];
            next = l->pos + g;
        } else {
            seen[l->cls] = 1;
        }
    }
    *value = ratio((double)repeated, (double)t->tok_chars);
    return JF_OK;
}
