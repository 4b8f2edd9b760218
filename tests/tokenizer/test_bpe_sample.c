/* test_bpe_sample.c: the sampling of sentences before counting (bpe_count.h,
 * SentencePiece's input_sentence_size / shuffle_input_sentence) on real text
 * (big.txt of the tokenizer fixture, about 51,000 lines of Japanese and
 * English). The cutter here keeps each line whole as one "word", so the
 * result table is exactly the multiset of sampled lines, in order.
 * Checks: a shuffled sample is the bottom-k of the documented keys
 * (XXH3_64bits_withSeed of the sentence number), in input order, the same
 * for 1, 2 and 5 threads and whether the text comes whole or line by line;
 * N at least the sentence count gives the unsampled table; another seed
 * another sample; the sample is spread evenly over the input; not shuffled,
 * the first N; the byte cap (both modes); the filter's population and
 * tallies; sampling set after text is refused; nothing leaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "bpe_count.h"
#include "bpe_words.h"
#include "jf_alloc.h"
#include "tok_fixture.h"
#include "words_check.h"

/* A cutter: every non-empty line (a trailing '\r' dropped) is one word.
 * counters[0] counts lines, [1] their bytes. */
static JfStatus whole_line_cut(void *cutter, const char *text, size_t len, BpeWords *words,
                               uint64_t *ctr, JfError *err)
{
    (void)cutter;
    (void)err;
    for (size_t p = 0; p < len;) {
        const char *nl = memchr(text + p, '\n', len - p);
        size_t n = nl ? (size_t)(nl - (text + p)) : len - p, k = n;
        if (k && text[p + k - 1] == '\r') k--;
        if (k) {
            if (!bpe_words_add(words, text + p, k, 1)) return JF_ENOMEM;
            ctr[0]++;
            ctr[1] += k;
        }
        p += n + 1;
    }
    return JF_OK;
}

/* A filter: lines starting with an ASCII letter only; counters[2] counts the
 * others. */
static bool latin_filter(void *ctx, const char *s, size_t n, uint64_t *ctr)
{
    (void)ctx;
    (void)n;
    bool ok = (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z');
    ctr[2] += !ok;
    return ok;
}

typedef struct {
    const char *s;
    size_t      n;
    uint64_t    key, ord;
} Line;

typedef struct {
    char  *text;
    size_t len;
    Line  *lines;      /* the sentences (non-empty lines), in order */
    size_t n;
} Corpus;

static Corpus corpus;

static uint64_t key_of(uint64_t ord, uint64_t seed)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(ord >> 8 * i);
    return XXH3_64bits_withSeed(b, 8, seed);
}

static int setup(void **state)
{
    (void)state;
    corpus.text = (char *)tok_read("big.txt", &corpus.len);
    if (!corpus.text) return -1;
    corpus.lines = calloc(corpus.len / 2 + 1, sizeof *corpus.lines);
    for (size_t p = 0; p < corpus.len;) {
        const char *nl = memchr(corpus.text + p, '\n', corpus.len - p);
        size_t n = nl ? (size_t)(nl - (corpus.text + p)) : corpus.len - p, k = n;
        if (k && corpus.text[p + k - 1] == '\r') k--;
        if (k) corpus.lines[corpus.n++] = (Line){ corpus.text + p, k, 0, 0 };
        p += n + 1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(corpus.text);
    free(corpus.lines);
    return 0;
}

static int line_key_cmp(const void *a, const void *b)
{
    const Line *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->ord < y->ord ? -1 : x->ord > y->ord;
}

static int line_ord_cmp(const void *a, const void *b)
{
    const Line *x = a, *y = b;
    return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* The expected sample: the population (lines the filter takes, numbered from
 * 0), its k smallest (key, number), back in input order. *pop: its size. */
static Line *reference(uint64_t k, uint64_t seed, bool latin_only, size_t *n_out, size_t *pop)
{
    Line *v = malloc(corpus.n * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < corpus.n; i++) {
        const Line *l = &corpus.lines[i];
        if (latin_only && !latin_filter(NULL, l->s, l->n, (uint64_t[BPE_COUNTERS]){ 0 }))
            continue;
        v[n] = *l;
        v[n].ord = n;
        v[n].key = key_of(n, seed);
        n++;
    }
    *pop = n;
    qsort(v, n, sizeof *v, line_key_cmp);
    if (k < n) n = k;
    qsort(v, n, sizeof *v, line_ord_cmp);
    *n_out = n;
    return v;
}

static void table_of(const Line *v, size_t n, BpeWords *t)
{
    bpe_words_init(t);
    for (size_t i = 0; i < n; i++) assert_true(bpe_words_add(t, v[i].s, v[i].n, 1));
}

typedef struct {
    BpeWords       words;
    uint64_t       ctr[BPE_COUNTERS];
    BpeSampleStats ss;
} Result;

/* Counts the corpus with sampling o on threads threads, fed whole (pieces 0)
 * or in pieces of a few lines each, the last '\n' left out. */
static void run(const BpeSampleOptions *o, BpeSampleFilter filter, size_t threads, bool pieces,
                Result *r)
{
    memset(r, 0, sizeof *r);
    bpe_words_init(&r->words);
    void *cutters[8] = { 0 };
    BpeCounter *c;
    JfError err;
    assert_int_equal(bpe_counter_open(threads, whole_line_cut, cutters, &r->words, r->ctr, &c,
                                      &err), JF_OK);
    assert_int_equal(bpe_counter_sample(c, o, filter, NULL, &err), JF_OK);
    if (!pieces) {
        assert_int_equal(bpe_counter_add(c, corpus.text, corpus.len, &err), JF_OK);
    } else {
        const char *t = corpus.text;
        for (size_t p = 0, k = 0; p < corpus.len; k++) {
            size_t q = p;
            for (size_t i = 0; i < k % 7 + 1 && q < corpus.len; i++) {
                const char *nl = memchr(t + q, '\n', corpus.len - q);
                q = nl ? (size_t)(nl - t) + 1 : corpus.len;
            }
            assert_int_equal(bpe_counter_add(c, t + p, q - p - (t[q - 1] == '\n'), &err), JF_OK);
            p = q;
        }
    }
    assert_int_equal(bpe_counter_finish(c, &err), JF_OK);
    const BpeSampleStats *ss = bpe_counter_sample_stats(c);
    if (ss) r->ss = *ss;
    bpe_counter_close(c);
}

/* sample-1.1: shuffled, N below the sentence count: exactly the reference
 * bottom-k in input order, N kept, every sentence seen, for 1, 2 and 5
 * threads, whole or in pieces. */
static void test_sample_1_1_bottom_k(void **state)
{
    (void)state;
    size_t base = jf_alloc_live_bytes();
    assert_true(corpus.n > 40000);
    BpeSampleOptions o = { .size = 12345, .shuffle = true, .seed = 7 };
    size_t n, pop;
    Line *want = reference(o.size, o.seed, false, &n, &pop);
    BpeWords ref;
    table_of(want, n, &ref);
    uint64_t bytes = 0;
    for (size_t i = 0; i < n; i++) bytes += want[i].n;
    static const size_t THREADS[] = { 1, 2, 5, 2 };
    for (size_t k = 0; k < 4; k++) {
        Result r;
        run(&o, NULL, THREADS[k], k >= 2, &r);
        tables_equal(&ref, &r.words);
        assert_int_equal(r.ctr[0], 12345);
        assert_int_equal(r.ctr[1], bytes);
        assert_int_equal(r.ss.kept, 12345);
        assert_int_equal(r.ss.kept_bytes, bytes);
        assert_int_equal(r.ss.seen, corpus.n);
        assert_int_equal(r.ss.limit, 12345);
        assert_false(r.ss.full);
        bpe_words_free(&r.words);
    }
    print_message("%zu of %zu sentences, %llu bytes\n", n, corpus.n, (unsigned long long)bytes);
    bpe_words_free(&ref);
    free(want);
    assert_int_equal(jf_alloc_live_bytes(), base);
}

/* sample-1.2: N at least the sentence count (both modes) gives the table
 * of no sampling; so do size 0 and byte cap 0 (sampling off, no stats). */
static void test_sample_1_2_all(void **state)
{
    (void)state;
    Result full, r;
    run(&(BpeSampleOptions){ 0 }, NULL, 2, false, &full);
    assert_int_equal(full.ctr[0], corpus.n);
    for (int shuffle = 0; shuffle < 2; shuffle++) {
        BpeSampleOptions o = { .size = corpus.n + (size_t)shuffle, .shuffle = shuffle, .seed = 3 };
        run(&o, NULL, 3, false, &r);
        tables_equal(&full.words, &r.words);
        assert_int_equal(r.ss.kept, corpus.n);
        bpe_words_free(&r.words);
    }
    run(&(BpeSampleOptions){ .shuffle = true, .seed = 9 }, NULL, 1, false, &r);
    assert_int_equal(r.ss.seen, 0);   /* off: no stats */
    tables_equal(&full.words, &r.words);
    bpe_words_free(&r.words);
    bpe_words_free(&full.words);
}

/* sample-1.3: another seed, another sample (same size); the same seed, the
 * same one; a sample is spread over the whole input (about half of it from
 * each half: ±0.05 is over 7 standard deviations for 6000 draws). */
static void test_sample_1_3_seed(void **state)
{
    (void)state;
    Result a, b, c;
    run(&(BpeSampleOptions){ .size = 6000, .shuffle = true, .seed = 1 }, NULL, 2, false, &a);
    run(&(BpeSampleOptions){ .size = 6000, .shuffle = true, .seed = 2 }, NULL, 2, false, &b);
    run(&(BpeSampleOptions){ .size = 6000, .shuffle = true, .seed = 1 }, NULL, 1, true, &c);
    tables_equal(&a.words, &c.words);
    assert_int_equal(a.ctr[0], 6000);
    assert_int_equal(b.ctr[0], 6000);
    size_t same = 0;
    for (size_t i = 0; i < a.words.n && i < b.words.n; i++)
        same += a.words.w[i].len == b.words.w[i].len &&
                !memcmp(bpe_words_text(&a.words, i), bpe_words_text(&b.words, i), a.words.w[i].len);
    assert_true(same < a.words.n / 2);
    size_t n, pop, first_half = 0;
    Line *v = reference(6000, 2, false, &n, &pop);
    for (size_t i = 0; i < n; i++) first_half += v[i].ord < pop / 2;
    double f = (double)first_half / (double)n;
    print_message("seed 2: %.3f of the sample from the first half\n", f);
    assert_true(f > 0.45 && f < 0.55);
    free(v);
    bpe_words_free(&a.words);
    bpe_words_free(&b.words);
    bpe_words_free(&c.words);
}

/* sample-1.4: not shuffled: exactly the first N sentences, then full (later
 * text ignored); with a filter, the first N the filter takes, its tallies
 * counted up to there. */
static void test_sample_1_4_first(void **state)
{
    (void)state;
    for (size_t threads = 1; threads <= 2; threads++) {
        Result r;
        run(&(BpeSampleOptions){ .size = 777 }, NULL, threads, threads == 2, &r);
        BpeWords ref;
        table_of(corpus.lines, 777, &ref);
        tables_equal(&ref, &r.words);
        assert_true(r.ss.full);
        assert_int_equal(r.ss.kept, 777);
        assert_int_equal(r.ss.seen, 777);
        bpe_words_free(&ref);
        bpe_words_free(&r.words);
    }
    Result r;
    run(&(BpeSampleOptions){ .size = 2000 }, latin_filter, 2, false, &r);
    size_t n, pop;
    Line *v = reference(UINT64_MAX, 0, true, &n, &pop);
    BpeWords ref;
    table_of(v, 2000, &ref);
    tables_equal(&ref, &r.words);
    size_t skipped = 0, i = 0;
    for (size_t got = 0; got < 2000; i++)
        if (latin_filter(NULL, corpus.lines[i].s, corpus.lines[i].n,
                         (uint64_t[BPE_COUNTERS]){ 0 })) got++;
        else skipped++;
    assert_int_equal(r.ctr[2], skipped);
    assert_true(skipped > 100);
    free(v);
    bpe_words_free(&ref);
    bpe_words_free(&r.words);
}

/* sample-1.5: the byte cap. Shuffled: the kept bytes fit, the size in effect
 * was lowered and the sample is the reference bottom-k for that size; cap
 * alone (size 0) works too. Not shuffled: the longest prefix that fits. A
 * filter's population is sampled shuffled the same way. */
static void test_sample_1_5_bytes(void **state)
{
    (void)state;
    size_t base = jf_alloc_live_bytes();
    for (int alone = 0; alone < 2; alone++) {
        BpeSampleOptions o = { .size = alone ? 0 : 20000, .max_bytes = 200000, .shuffle = true,
                               .seed = 5 };
        Result r;
        run(&o, NULL, 2, false, &r);
        print_message("cap 200000 bytes: %llu sentences, %llu bytes\n",
                      (unsigned long long)r.ss.kept, (unsigned long long)r.ss.kept_bytes);
        assert_true(r.ss.kept_bytes <= o.max_bytes && r.ss.kept_bytes > o.max_bytes / 2);
        assert_true(r.ss.limit == r.ss.kept && r.ss.kept < 20000 && r.ss.kept > 1000);
        size_t n, pop;
        Line *v = reference(r.ss.kept, o.seed, false, &n, &pop);
        BpeWords ref;
        table_of(v, n, &ref);
        tables_equal(&ref, &r.words);
        free(v);
        bpe_words_free(&ref);
        bpe_words_free(&r.words);
    }
    Result r;
    run(&(BpeSampleOptions){ .size = 20000, .max_bytes = 100000 }, NULL, 1, false, &r);
    size_t k = 0, bytes = 0;
    while (bytes + corpus.lines[k].n <= 100000) bytes += corpus.lines[k++].n;
    BpeWords ref;
    table_of(corpus.lines, k, &ref);
    tables_equal(&ref, &r.words);
    assert_true(r.ss.full);
    assert_int_equal(r.ss.limit, k);
    assert_int_equal(r.ss.kept_bytes, bytes);
    bpe_words_free(&ref);
    bpe_words_free(&r.words);
    /* one sentence over the cap alone is still kept (never an empty sample) */
    run(&(BpeSampleOptions){ .size = 10, .max_bytes = 1, .shuffle = true }, NULL, 2, false, &r);
    assert_int_equal(r.ss.kept, 1);
    assert_int_equal(r.words.n, 1);
    bpe_words_free(&r.words);
    /* the filter's population */
    run(&(BpeSampleOptions){ .size = 3000, .shuffle = true, .seed = 11 }, latin_filter, 5, true,
        &r);
    size_t n, pop;
    Line *v = reference(3000, 11, true, &n, &pop);
    table_of(v, n, &ref);
    tables_equal(&ref, &r.words);
    assert_int_equal(r.ss.seen, pop);
    assert_int_equal(r.ctr[2], corpus.n - pop);
    free(v);
    bpe_words_free(&ref);
    bpe_words_free(&r.words);
    assert_int_equal(jf_alloc_live_bytes(), base);
}

/* sample-1.6: sampling set after text is refused; closing a counter with a
 * sample that was never finished frees it. */
static void test_sample_1_6_misuse(void **state)
{
    (void)state;
    size_t base = jf_alloc_live_bytes();
    BpeWords w;
    bpe_words_init(&w);
    uint64_t ctr[BPE_COUNTERS] = { 0 };
    void *cutters[2] = { 0 };
    BpeCounter *c;
    JfError err;
    BpeSampleOptions o = { .size = 10, .shuffle = true };
    assert_int_equal(bpe_counter_open(2, whole_line_cut, cutters, &w, ctr, &c, &err), JF_OK);
    assert_int_equal(bpe_counter_add(c, "a\nb\n", 4, &err), JF_OK);
    assert_int_equal(bpe_counter_sample(c, &o, NULL, NULL, &err), JF_EUSAGE);
    bpe_counter_close(c);
    assert_int_equal(bpe_counter_open(2, whole_line_cut, cutters, &w, ctr, &c, &err), JF_OK);
    assert_int_equal(bpe_counter_sample(c, &o, NULL, NULL, &err), JF_OK);
    assert_int_equal(bpe_counter_add(c, corpus.text, corpus.len, &err), JF_OK);
    bpe_counter_close(c);
    bpe_words_free(&w);
    assert_int_equal(jf_alloc_live_bytes(), base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_1_1_bottom_k),
        cmocka_unit_test(test_sample_1_2_all),
        cmocka_unit_test(test_sample_1_3_seed),
        cmocka_unit_test(test_sample_1_4_first),
        cmocka_unit_test(test_sample_1_5_bytes),
        cmocka_unit_test(test_sample_1_6_misuse),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
