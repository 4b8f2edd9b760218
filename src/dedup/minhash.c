/* minhash.c: shingling and MinHash signatures (see minhash.h and the scheme
 * in docs/dedup.md). One XXH3-64 per shingle, folded to 32 bits x; then,
 * for each of the K signature slots j, the value fmix32(x ^ s_j), where s_j
 * is a 32-bit key drawn from the seed and fmix32 is MurmurHash3's 32-bit
 * finalizer, a bijection of 32-bit words. The inner loop over j is
 * branch-free 32-bit arithmetic that the compiler vectorizes (AVX2 and
 * AVX-512 clones chosen where the CPU has them). Does not band-sort or
 * cluster. */
#include "minhash.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "jf_alloc.h"

#define MINHASH_MAX_K 65536u

struct MinHasher {
    MinHashParams p;
    size_t        k;
    uint32_t     *keys;     /* s_j, K of them */
    size_t       *starts;   /* code point or word boundaries of the text */
    size_t       *ends;     /* word ends (word shingles only) */
    size_t        starts_cap;
    uint64_t     *sh;       /* shingle hashes */
    size_t        n_sh;
    size_t        sh_cap;
};

bool minhash_params_preset(const char *name, MinHashParams *p)
{
    if (!strcmp(name, "swallow")) {
        p->bands = 40, p->rows = 20, p->ngram = 5, p->shingle = MINHASH_CHAR;
        return true;
    }
    if (!strcmp(name, "fineweb")) {
        p->bands = 14, p->rows = 8, p->ngram = 5, p->shingle = MINHASH_WORD;
        return true;
    }
    return false;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

JfStatus minhash_open(const MinHashParams *p, MinHasher **out, JfError *err)
{
    *out = NULL;
    if (!p->bands || !p->rows || !p->ngram || (uint64_t)p->bands * p->rows > MINHASH_MAX_K)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "minhash: bands (%u), rows (%u), ngram (%u) must be > 0, K <= %u",
                            p->bands, p->rows, p->ngram, MINHASH_MAX_K);
    MinHasher *m = jf_calloc(1, sizeof *m);
    if (!m) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "minhash: out of memory");
    m->p = *p;
    m->k = (size_t)p->bands * p->rows;
    m->keys = jf_malloc(m->k * sizeof *m->keys);
    if (!m->keys) {
        minhash_close(m);
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "minhash: out of memory");
    }
    uint64_t state = p->seed;
    for (size_t j = 0; j < m->k; j++) m->keys[j] = (uint32_t)(splitmix64(&state) >> 32);
    *out = m;
    return JF_OK;
}

void minhash_close(MinHasher *m)
{
    if (!m) return;
    jf_free(m->keys);
    jf_free(m->starts);
    jf_free(m->ends);
    jf_free(m->sh);
    jf_free(m);
}

size_t minhash_k(const MinHasher *m) { return m->k; }

/* Grows the scratch arrays to hold n boundaries and n shingles. Growth is
 * geometric, so a corpus costs O(log(largest document)) allocations. */
static JfStatus scratch_reserve(MinHasher *m, size_t n, JfError *err)
{
    if (n <= m->starts_cap && n <= m->sh_cap) return JF_OK;
    size_t cap = m->starts_cap ? m->starts_cap : 1024;
    while (cap < n) cap *= 2;
    size_t *s = jf_realloc(m->starts, cap * sizeof *s);
    if (s) m->starts = s;
    size_t *e = s ? jf_realloc(m->ends, cap * sizeof *e) : NULL;
    if (e) m->ends = e;
    uint64_t *h = e ? jf_realloc(m->sh, cap * sizeof *h) : NULL;
    if (!h) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "minhash: out of memory");
    m->sh = h;
    m->starts_cap = m->sh_cap = cap;
    return JF_OK;
}

static void shingle_chars(MinHasher *m, const char *text, size_t len)
{
    const uint8_t *t = (const uint8_t *)text;
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if ((t[i] & 0xC0) != 0x80) m->starts[n++] = i;   /* not a continuation byte */
    m->starts[n] = len;
    size_t g = m->p.ngram;
    uint64_t seed = m->p.seed;
    if (n == 0) { m->n_sh = 0; return; }
    if (n < g) {
        m->sh[0] = XXH3_64bits_withSeed(text, len, seed);
        m->n_sh = 1;
        return;
    }
    for (size_t i = 0; i + g <= n; i++)
        m->sh[i] = XXH3_64bits_withSeed(text + m->starts[i], m->starts[i + g] - m->starts[i], seed);
    m->n_sh = n - g + 1;
}

static bool is_space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static void shingle_words(MinHasher *m, const char *text, size_t len)
{
    const uint8_t *t = (const uint8_t *)text;
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && is_space(t[i])) i++;
        if (i == len) break;
        m->starts[n] = i;
        while (i < len && !is_space(t[i])) i++;
        m->ends[n++] = i;
    }
    uint64_t seed = m->p.seed;
    for (size_t w = 0; w < n; w++)
        m->sh[w] = XXH3_64bits_withSeed(text + m->starts[w], m->ends[w] - m->starts[w], seed);
    size_t g = m->p.ngram;
    if (n == 0) { m->n_sh = 0; return; }
    if (n < g) g = n;
    /* In place: shingle i reads word hashes i..i+g-1, and sh[i] is not read again. */
    for (size_t i = 0; i + g <= n; i++) m->sh[i] = XXH3_64bits_withSeed(&m->sh[i], g * 8, seed);
    m->n_sh = n - g + 1;
}

JfStatus minhash_shingle(MinHasher *m, const char *text, size_t len, JfError *err)
{
    JfStatus rc = scratch_reserve(m, len + 1, err);   /* at most one boundary per byte */
    if (rc != JF_OK) return rc;
    if (m->p.shingle == MINHASH_WORD) shingle_words(m, text, len);
    else shingle_chars(m, text, len);
    return JF_OK;
}

const uint64_t *minhash_shingles(const MinHasher *m, size_t *n)
{
    *n = m->n_sh;
    return m->sh;
}

/* MurmurHash3's 32-bit finalizer: a bijection of 32-bit words (xor-shifts
 * and odd multiplications are invertible) with full avalanche. */
static inline uint32_t fmix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x85EBCA6Bu;
    x ^= x >> 13;
    x *= 0xC2B2AE35u;
    x ^= x >> 16;
    return x;
}

/* The hot loop: sig[j] = min over shingles of fmix32(x ^ keys[j]), x the
 * 64-bit shingle hash folded to 32 bits. Slots in the inner loop are
 * independent, so it vectorizes (16 slots per AVX-512 register; 32-bit
 * lanes need no 64-bit multiply, which AVX-512 does slowly and AVX2 not at
 * all); a blocked order keeps a block of sig in registers while the
 * shingles stream by. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#endif
static void signature_kernel(uint64_t *restrict sig, const uint32_t *restrict keys, size_t k,
                             const uint64_t *restrict sh, size_t n)
{
    enum { BLOCK = 64 };
    for (size_t j0 = 0; j0 < k; j0 += BLOCK) {
        size_t jn = k - j0 < BLOCK ? k - j0 : BLOCK;
        uint32_t acc[BLOCK], key[BLOCK];
        for (size_t j = 0; j < BLOCK; j++) {
            acc[j] = UINT32_MAX;
            key[j] = j < jn ? keys[j0 + j] : 0;
        }
        for (size_t i = 0; i < n; i++) {
            uint32_t x = (uint32_t)(sh[i] ^ (sh[i] >> 32));
            for (size_t j = 0; j < BLOCK; j++) {
                uint32_t v = fmix32(x ^ key[j]);
                acc[j] = v < acc[j] ? v : acc[j];
            }
        }
        for (size_t j = 0; j < jn; j++) sig[j0 + j] = acc[j];
    }
}

void minhash_signature(const MinHasher *m, uint64_t *sig)
{
    signature_kernel(sig, m->keys, m->k, m->sh, m->n_sh);
}

void minhash_band_keys(const MinHasher *m, const uint64_t *sig, uint64_t *keys)
{
    size_t r = m->p.rows;
    for (size_t b = 0; b < m->p.bands; b++)
        keys[b] = XXH3_64bits_withSeed(sig + b * r, r * sizeof *sig, (uint64_t)b);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void minhash_shingles_unique(MinHasher *m)
{
    if (m->n_sh < 2) return;
    qsort(m->sh, m->n_sh, sizeof *m->sh, cmp_u64);
    size_t w = 1;
    for (size_t i = 1; i < m->n_sh; i++)
        if (m->sh[i] != m->sh[w - 1]) m->sh[w++] = m->sh[i];
    m->n_sh = w;
}

double minhash_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    if (na == 0 && nb == 0) return 1.0;
    size_t i = 0, j = 0, both = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) i++;
        else if (a[i] > b[j]) j++;
        else both++, i++, j++;
    }
    return (double)both / (double)(na + nb - both);
}
