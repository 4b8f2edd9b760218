/* test_minhash.c: the MinHash scheme on real Japanese documents edited to
 * known Jaccard similarities of their character 5-gram shingle sets.
 *   minhash-1: the estimator (fraction of equal signature slots) is unbiased:
 *              over many seeds its mean matches the measured Jaccard, and its
 *              variance is J(1-J)/K (slots behave as independent);
 *   minhash-2: the LSH catch rate per similarity bucket (0.5 .. 0.95) matches
 *              1 - (1 - s^r)^b within sampling error (b = 10, r = 5);
 *   minhash-3: unrelated real documents (Jaccard < 0.5) never share a band
 *              under the swallow preset;
 *   minhash-4: shingling details (short texts, word n-grams, Jaccard). */
#include "dedup_testdata.h"

#include <math.h>
#include <stdint.h>

#include "minhash.h"

static char g_tmp[] = "/tmp/jf-test-minhash-XXXXXX";
static TestTexts g_texts;

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

/* Number of code points of t. */
static size_t cp_count(const char *t, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += ((uint8_t)t[i] & 0xC0) != 0x80;
    return n;
}

/* Byte offset of code point i. */
static size_t cp_offset(const char *t, size_t len, size_t i)
{
    size_t n = 0;
    for (size_t b = 0; b < len; b++)
        if (((uint8_t)t[b] & 0xC0) != 0x80 && n++ == i) return b;
    return len;
}

/* A copy of t with a block of `repl` code points at a random place replaced by
 * random CJK ideographs (which share no 5-gram with the text, barring chance). */
static char *edit_text(const char *t, size_t len, size_t repl, uint64_t *rng, size_t *out_len)
{
    size_t m = cp_count(t, len);
    if (repl > m) repl = m;
    size_t start = m > repl ? rng_next(rng) % (m - repl + 1) : 0;
    size_t b0 = cp_offset(t, len, start), b1 = cp_offset(t, len, start + repl);
    char *o = malloc(len + 3 * repl + 1);
    memcpy(o, t, b0);
    size_t w = b0;
    for (size_t i = 0; i < repl; i++) {
        uint32_t c = 0x4E00 + (uint32_t)(rng_next(rng) % 20000);
        o[w++] = (char)(0xE0 | (c >> 12));
        o[w++] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[w++] = (char)(0x80 | (c & 0x3F));
    }
    memcpy(o + w, t + b1, len - b1);
    w += len - b1;
    o[w] = 0;
    *out_len = w;
    return o;
}

/* Exact Jaccard of the 5-gram shingle sets of a and b. */
static double true_jaccard(MinHasher *m, const char *a, size_t la, const char *b, size_t lb)
{
    JfError err;
    assert_int_equal(minhash_shingle(m, a, la, &err), JF_OK);
    minhash_shingles_unique(m);
    size_t na;
    const uint64_t *sa = minhash_shingles(m, &na);
    uint64_t *ca = malloc((na + 1) * sizeof *ca);
    memcpy(ca, sa, na * sizeof *ca);
    assert_int_equal(minhash_shingle(m, b, lb, &err), JF_OK);
    minhash_shingles_unique(m);
    size_t nb;
    const uint64_t *sb = minhash_shingles(m, &nb);
    double j = minhash_jaccard(ca, na, sb, nb);
    free(ca);
    return j;
}

static void signature_of(MinHasher *m, const char *t, size_t len, uint64_t *sig)
{
    JfError err;
    assert_int_equal(minhash_shingle(m, t, len, &err), JF_OK);
    minhash_signature(m, sig);
}

/* Replacement length for a target Jaccard s of a text of m code points:
 * shared shingles c = 2ms/(1+s), and each replaced code point (plus n-1 at
 * the block's edge) removes one shingle from each side. */
static size_t repl_for(size_t m, double s)
{
    double gone = (double)m * (1 - s) / (1 + s) - 4;
    return gone < 1 ? 1 : (size_t)(gone + 0.5);
}

static void test_unbiased(void **state)
{
    (void)state;
    enum { K = 128, SEEDS = 150 };
    MinHashParams p = { .bands = 1, .rows = K, .ngram = 5, .shingle = MINHASH_CHAR };
    const double targets[] = { 0.3, 0.5, 0.7, 0.9 };
    uint64_t rng = 12345, sa[K], sb[K];
    MinHasher *ref = NULL;
    JfError err;
    assert_int_equal(minhash_open(&p, &ref, &err), JF_OK);
    for (size_t t = 0; t < 4; t++)
        for (size_t doc = 0; doc < 3; doc++) {
            const char *a = g_texts.text[doc * 7];
            size_t la = g_texts.len[doc * 7], lb;
            char *b = edit_text(a, la, repl_for(cp_count(a, la) - 4, targets[t]), &rng, &lb);
            double j = true_jaccard(ref, a, la, b, lb);
            double sum = 0, sum2 = 0;
            for (uint64_t seed = 1; seed <= SEEDS; seed++) {
                p.seed = seed * 7919;
                MinHasher *m = NULL;
                assert_int_equal(minhash_open(&p, &m, &err), JF_OK);
                signature_of(m, a, la, sa);
                signature_of(m, b, lb, sb);
                int eq = 0;
                for (int k = 0; k < K; k++) eq += sa[k] == sb[k];
                double est = (double)eq / K;
                sum += est, sum2 += est * est;
                minhash_close(m);
            }
            double mean = sum / SEEDS, var = sum2 / SEEDS - mean * mean;
            double sd_mean = sqrt(j * (1 - j) / ((double)K * SEEDS));
            printf("minhash-1: J=%.4f mean estimate %.4f (sd %.4f) var %.5f expected %.5f\n", j, mean,
                   sd_mean, var, j * (1 - j) / K);
            assert_true(fabs(mean - j) < 4 * sd_mean + 1e-3);
            assert_true(var > 0.6 * j * (1 - j) / K && var < 1.6 * j * (1 - j) / K);
            free(b);
        }
    minhash_close(ref);
}

static void test_catch_rate(void **state)
{
    (void)state;
    enum { B = 10, R = 5, SEEDS = 4 };
    const double targets[] = { 0.5, 0.6, 0.7, 0.8, 0.9, 0.95 };
    MinHashParams p = { .bands = B, .rows = R, .ngram = 5, .shingle = MINHASH_CHAR };
    MinHasher *ref = NULL;
    JfError err;
    assert_int_equal(minhash_open(&p, &ref, &err), JF_OK);
    MinHasher *ms[SEEDS];
    for (int s = 0; s < SEEDS; s++) {
        p.seed = 1000 + (uint64_t)s;
        assert_int_equal(minhash_open(&p, &ms[s], &err), JF_OK);
    }
    uint64_t rng = 777, sa[B * R], sb[B * R], ka[B], kb[B];
    for (size_t t = 0; t < 6; t++) {
        double expect = 0, var = 0, jsum = 0;
        size_t caught = 0, trials = 0;
        for (size_t doc = 0; doc < g_texts.n; doc++) {
            const char *a = g_texts.text[doc];
            size_t la = g_texts.len[doc], lb, m = cp_count(a, la);
            if (m < 400) continue;
            char *b = edit_text(a, la, repl_for(m - 4, targets[t]), &rng, &lb);
            double j = true_jaccard(ref, a, la, b, lb);
            double pc = 1 - pow(1 - pow(j, R), B);
            for (int s = 0; s < SEEDS; s++) {
                signature_of(ms[s], a, la, sa);
                minhash_band_keys(ms[s], sa, ka);
                signature_of(ms[s], b, lb, sb);
                minhash_band_keys(ms[s], sb, kb);
                bool hit = false;
                for (int k = 0; k < B; k++) hit |= ka[k] == kb[k];
                caught += hit;
                trials++;
                expect += pc, var += pc * (1 - pc), jsum += j;
            }
            free(b);
        }
        double z = ((double)caught - expect) / sqrt(var);
        printf("minhash-2: target %.2f: %zu trials, mean J %.4f, caught %.4f, 1-(1-s^r)^b %.4f, z %.2f\n",
               targets[t], trials, jsum / (double)trials, (double)caught / (double)trials,
               expect / (double)trials, z);
        assert_true(trials >= 400);
        assert_true(fabs(z) < 4);
    }
    for (int s = 0; s < SEEDS; s++) minhash_close(ms[s]);
    minhash_close(ref);
}

static void test_unrelated(void **state)
{
    (void)state;
    MinHashParams p = { .seed = 42 };
    assert_true(minhash_params_preset("swallow", &p));
    MinHasher *m = NULL;
    JfError err;
    assert_int_equal(minhash_open(&p, &m, &err), JF_OK);
    size_t n = g_texts.n;
    uint64_t *keys = malloc(n * 40 * sizeof *keys), sig[800];
    for (size_t i = 0; i < n; i++) {
        signature_of(m, g_texts.text[i], g_texts.len[i], sig);
        minhash_band_keys(m, sig, keys + i * 40);
    }
    size_t pairs = 0, low = 0, collide_low = 0, collide_high = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++) {
            bool hit = false;
            for (int b = 0; b < 40; b++) hit |= keys[i * 40 + b] == keys[k * 40 + b];
            pairs++;
            double j = hit ? true_jaccard(m, g_texts.text[i], g_texts.len[i], g_texts.text[k], g_texts.len[k]) : 0;
            if (hit && j < 0.5) collide_low++;
            if (hit && j >= 0.5) collide_high++;
            low += !hit;
        }
    printf("minhash-3: %zu pairs of distinct real documents; band collisions at J < 0.5: %zu, at J >= 0.5: %zu\n",
           pairs, collide_low, collide_high);
    assert_true(pairs > 5000);
    assert_int_equal(collide_low, 0);
    free(keys);
    minhash_close(m);
}

static void test_shingles(void **state)
{
    (void)state;
    MinHashParams p = { .bands = 2, .rows = 2, .ngram = 5, .shingle = MINHASH_CHAR };
    MinHasher *m = NULL;
    JfError err;
    assert_int_equal(minhash_open(&p, &m, &err), JF_OK);
    size_t n;
    assert_int_equal(minhash_shingle(m, "", 0, &err), JF_OK);
    minhash_shingles(m, &n);
    assert_int_equal(n, 0);
    assert_int_equal(minhash_shingle(m, "日本語", strlen("日本語"), &err), JF_OK);
    minhash_shingles(m, &n);
    assert_int_equal(n, 1);                       /* shorter than a shingle: the whole text */
    const char *t = "あいうえおかきくけこ";      /* 10 code points: 6 shingles */
    assert_int_equal(minhash_shingle(m, t, strlen(t), &err), JF_OK);
    minhash_shingles(m, &n);
    assert_int_equal(n, 6);
    minhash_close(m);
    /* word 2-grams: "a b c a b" has shingles ab bc ca ab: set of 3 */
    MinHashParams w = { .bands = 1, .rows = 4, .ngram = 2, .shingle = MINHASH_WORD };
    assert_int_equal(minhash_open(&w, &m, &err), JF_OK);
    assert_int_equal(minhash_shingle(m, " a b\tc a\nb ", 11, &err), JF_OK);
    minhash_shingles(m, &n);
    assert_int_equal(n, 4);
    minhash_shingles_unique(m);
    minhash_shingles(m, &n);
    assert_int_equal(n, 3);
    minhash_close(m);
    const uint64_t a[] = { 1, 2, 3, 4 }, b[] = { 3, 4, 5, 6 };
    assert_true(fabs(minhash_jaccard(a, 4, b, 4) - 2.0 / 6.0) < 1e-12);
    assert_int_equal(minhash_open(&(MinHashParams){ .bands = 0, .rows = 1, .ngram = 5 }, &m, &err), JF_EUSAGE);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(g_tmp)) return -1;
    testdata_load_ja(g_tmp, 1500, &g_texts);
    printf("real documents: %zu Japanese texts of >= 1500 bytes\n", g_texts.n);
    return g_texts.n >= 100 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    testdata_free(&g_texts);
    rmdir(g_tmp);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shingles),
        cmocka_unit_test(test_unbiased),
        cmocka_unit_test(test_catch_rate),
        cmocka_unit_test(test_unrelated),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
