/* bpe_words.c: the unique-word table of BPE training and extension, and the
 * cutting of a normalized sentence into words (see bpe_words.h). */
#include <string.h>

#include <xxhash.h>

#include "bpe_extend.h"
#include "bpe_words.h"
#include "jf_alloc.h"
#include "sp_model_int.h"

bool bpe_grow(void **arr, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *p = jf_realloc(*arr, c * sz);
    if (!p) return false;
    *arr = p;
    *cap = c;
    return true;
}

void bpe_words_init(BpeWords *t) { memset(t, 0, sizeof *t); }

void bpe_words_free(BpeWords *t)
{
    jf_free(t->w);
    jf_free(t->arena);
    jf_free(t->slots);
    memset(t, 0, sizeof *t);
}

static size_t word_slot0(const char *p, size_t n, size_t mask)
{
    return (size_t)XXH3_64bits(p, n) & mask;
}

static bool words_rehash(BpeWords *t)
{
    size_t mask = t->mask ? t->mask * 2 + 1 : 4095;
    uint32_t *s = jf_calloc(mask + 1, sizeof *s);
    if (!s) return false;
    for (size_t w = 0; w < t->n; w++) {
        size_t i = word_slot0(bpe_words_text(t, w), t->w[w].len, mask);
        while (s[i]) i = (i + 1) & mask;
        s[i] = (uint32_t)w + 1;
    }
    jf_free(t->slots);
    t->slots = s;
    t->mask = mask;
    return true;
}

bool bpe_words_add(BpeWords *t, const char *p, size_t n, uint64_t count)
{
    if (!t->slots && !words_rehash(t)) return false;
    size_t i = word_slot0(p, n, t->mask);
    for (uint32_t v; (v = t->slots[i]); i = (i + 1) & t->mask) {
        BpeWord *w = &t->w[v - 1];
        if (w->len == n && !memcmp(t->arena + w->off, p, n)) {
            w->count += count;
            return true;
        }
    }
    if (t->n >= UINT32_MAX - 1 || t->arena_len + n > UINT32_MAX) return false;
    if (!BPE_GROW(t->w, t->cap, t->n + 1) || !BPE_GROW(t->arena, t->arena_cap, t->arena_len + n))
        return false;
    memcpy(t->arena + t->arena_len, p, n);
    t->w[t->n] = (BpeWord){ count, (uint32_t)t->arena_len, (uint32_t)n };
    t->arena_len += n;
    t->slots[i] = (uint32_t)++t->n;
    return t->n * 2 <= t->mask || words_rehash(t);
}

bool bpe_words_merge(BpeWords *t, const BpeWords *src)
{
    for (size_t i = 0; i < src->n; i++)
        if (!bpe_words_add(t, bpe_words_text(src, i), src->w[i].len, src->w[i].count)) return false;
    return true;
}

void bpe_words_clear(BpeWords *t)
{
    if (t->slots) memset(t->slots, 0, (t->mask + 1) * sizeof *t->slots);
    t->n = 0;
    t->arena_len = 0;
}

static bool word_put(BpeWords *t, const char *s, size_t start, size_t end, bool ja,
                     unsigned flags)
{
    if ((flags & BPE_SPLIT_JA_ONLY) && !ja) return true;
    if (flags & BPE_SPLIT_STRIP_WS)
        while (end - start >= SP_SPACE_LEN && !memcmp(s + start, SP_SPACE, SP_SPACE_LEN))
            start += SP_SPACE_LEN;
    return start == end || bpe_words_add(t, s + start, end - start, 1);
}

bool bpe_words_add_sentence(BpeWords *t, const char *s, size_t n, const uint32_t *cuts,
                            size_t n_cuts, unsigned flags)
{
    size_t start = 0, j = 0, k;
    bool prev_ws = false, ja = false;
    for (size_t i = 0; i < n; i += k) {
        k = sp_utf8_valid_len((const uint8_t *)s + i, n - i);
        uint32_t c = k ? sp_utf8_decode((const uint8_t *)s + i, k) : 0xFFFD;
        k = k ? k : 1;
        bool ws = c == 0x2581;
        while (j < n_cuts && cuts[j] < i) j++;
        bool cut = ws ? !prev_ws : (j < n_cuts && cuts[j] == i && !prev_ws);
        if (cut && i > start) {
            if (!word_put(t, s, start, i, ja, flags)) return false;
            start = i;
            ja = false;
        }
        ja = ja || bpe_char_is_japanese(c);
        prev_ws = ws;
    }
    return n == start || word_put(t, s, start, n, ja, flags);
}
