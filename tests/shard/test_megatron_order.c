/* test_megatron_order.c: the golden vectors of formats.md §4 (blending index
 * 9:1, 0.7:0.3, 2:1:1, exactly 900000/100000 over 1e6 samples; the sample
 * index of lengths [4,6,8,10,12] at seq_len 8), MT19937's reference outputs,
 * --split ranges with half-to-even rounding, bad weights and splits, and
 * invariants of GPTDataset's indices. numpy parity is test_numpy_parity.py's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jf_alloc.h"
#include "megatron_order.h"

static void blend_expect(const double *raw, size_t n, const uint32_t *want, size_t len)
{
    double w[8];
    JfError err;
    MegatronBlender b;
    assert_int_equal(megatron_weights_normalize(raw, n, w, &err), JF_OK);
    assert_int_equal(megatron_blender_init(&b, w, n, len, &err), JF_OK);
    uint64_t count[8] = { 0 };
    for (size_t s = 0; s < len; s++) {
        uint32_t d;
        uint64_t k;
        assert_true(megatron_blender_next(&b, &d, &k));
        if (d != want[s]) fail_msg("sample %zu: dataset %u, expected %u", s, d, want[s]);
        assert_int_equal(k, count[d]++);
    }
    uint32_t d;
    uint64_t k;
    assert_false(megatron_blender_next(&b, &d, &k));
    megatron_blender_free(&b);
}

/* order-1.1: formats.md's blending golden vectors. */
static void blending_golden_vectors(void **state)
{
    (void)state;
    const double w91[] = { 9, 1 }, w73[] = { 0.7, 0.3 }, w211[] = { 2, 1, 1 };
    const uint32_t g91[] = { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
    const uint32_t g73[] = { 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0 };
    const uint32_t g211[] = { 0, 1, 2, 0, 0, 1, 2, 0, 0, 1, 2, 0 };
    blend_expect(w91, 2, g91, 13);
    blend_expect(w73, 2, g73, 20);
    blend_expect(w211, 3, g211, 12);
}

/* order-1.2: 9:1 over 1e6 samples gives exactly 900000 and 100000; the shares
 * sum to the blend size and the 0.5% surplus covers what is drawn. */
static void blending_million(void **state)
{
    (void)state;
    const double raw[] = { 9, 1 };
    double w[2];
    JfError err;
    MegatronBlender b;
    assert_int_equal(megatron_weights_normalize(raw, 2, w, &err), JF_OK);
    uint64_t n = 1000000;
    uint64_t size = megatron_blend_share(n, w[0]) + megatron_blend_share(n, w[1]);
    assert_int_equal(size, n);
    assert_int_equal(megatron_dataset_samples(n, w[0]), 904500);
    assert_int_equal(megatron_dataset_samples(n, w[1]), 100500);
    assert_int_equal(megatron_blender_init(&b, w, 2, size, &err), JF_OK);
    uint64_t count[2] = { 0, 0 }, last[2] = { 0, 0 };
    uint32_t d;
    uint64_t k;
    while (megatron_blender_next(&b, &d, &k)) {
        count[d]++;
        last[d] = k;
    }
    assert_int_equal(count[0], 900000);
    assert_int_equal(count[1], 100000);
    assert_int_equal(last[0], 899999);
    assert_true(count[1] <= megatron_dataset_samples(n, w[1]));
    megatron_blender_free(&b);
}

/* order-1.3: weights that are not usable are refused. */
static void bad_weights(void **state)
{
    (void)state;
    double out[4];
    JfError err;
    const double zero[] = { 0, 0 }, neg[] = { 1, -1 }, nan_w[] = { NAN, 1 }, inf_w[] = { INFINITY };
    assert_int_equal(megatron_weights_normalize(zero, 2, out, &err), JF_EUSAGE);
    assert_non_null(strstr(err.msg, "sum"));
    assert_int_equal(megatron_weights_normalize(neg, 2, out, &err), JF_EUSAGE);
    assert_int_equal(megatron_weights_normalize(nan_w, 2, out, &err), JF_EUSAGE);
    assert_int_equal(megatron_weights_normalize(inf_w, 1, out, &err), JF_EUSAGE);
    assert_int_equal(megatron_weights_normalize(zero, 0, out, &err), JF_EUSAGE);
    double *many = calloc(256, sizeof *many), *o = calloc(256, sizeof *o);
    many[0] = 1;
    assert_int_equal(megatron_weights_normalize(many, 256, o, &err), JF_EUSAGE);
    assert_int_equal(megatron_weights_normalize(many, 255, o, &err), JF_OK);
    free(many);
    free(o);
}

/* order-2.1: MT19937 init_genrand(5489), the reference generator's outputs. */
static void mt19937_reference(void **state)
{
    (void)state;
    MtRng r;
    mt_rng_seed(&r, 5489);
    const uint32_t want[] = { 3499211612u, 581869302u, 3890346734u, 3586334585u, 545404204u };
    for (size_t i = 0; i < 5; i++) assert_int_equal(mt_rng_next32(&r), want[i]);
    mt_rng_seed(&r, 5489);
    uint32_t v = 0;
    for (int i = 0; i < 10000; i++) v = mt_rng_next32(&r);
    assert_int_equal(v, 4123659995u);
}

/* order-2.2: interval stays in range, 0 draws nothing; shuffle permutes. */
static void interval_and_shuffle(void **state)
{
    (void)state;
    MtRng r, r2;
    mt_rng_seed(&r, 1);
    mt_rng_seed(&r2, 1);
    assert_int_equal(mt_rng_interval(&r, 0), 0);
    assert_int_equal(mt_rng_next32(&r), mt_rng_next32(&r2));   /* no draw for max 0 */
    for (int i = 0; i < 1000; i++) {
        assert_true(mt_rng_interval(&r, 5) <= 5);
        assert_true(mt_rng_interval(&r, 0x100000000ULL) <= 0x100000000ULL);
    }
    int32_t a[1000];
    int seen[1000] = { 0 };
    for (int i = 0; i < 1000; i++) a[i] = i;
    mt_rng_shuffle_i32(&r, a, 1000);
    for (int i = 0; i < 1000; i++) seen[a[i]]++;
    for (int i = 0; i < 1000; i++) assert_int_equal(seen[i], 1);
    mt_rng_shuffle_i32(&r, a, 0);
    mt_rng_shuffle_i32(&r, a, 1);
}

/* order-3.1: the sample index golden vector, doc_index in order. */
static void sample_index_golden(void **state)
{
    (void)state;
    const uint32_t sizes[] = { 4, 6, 8, 10, 12 };
    const int32_t docs[] = { 0, 1, 2, 3, 4 };
    const int64_t want[] = { 0, 0, 1, 4, 2, 6, 3, 6, 4, 4 };
    int64_t got[10];
    /* tpe 40, seq_len 8: (40 - 1) // 8 = 4 samples, 5 rows */
    assert_int_equal(megatron_num_epochs(40, 8, 4), 1);
    megatron_sample_index_fill(got, sizes, docs, 5, 8);
    assert_memory_equal(got, want, sizeof want);
}

/* order-3.2: epochs: smallest e with e·tpe >= n·seq_len + 1. */
static void num_epochs(void **state)
{
    (void)state;
    assert_int_equal(megatron_num_epochs(40, 8, 0), 1);
    assert_int_equal(megatron_num_epochs(40, 8, 5), 2);
    assert_int_equal(megatron_num_epochs(41, 8, 5), 1);
    assert_int_equal(megatron_num_epochs(10, 2048, 1000), 204801);
}

/* order-3.3: the built indices hold together: every sample spans seq_len + 1
 * tokens, the doc index is each document e times, the shuffle a permutation. */
static void gpt_index_invariants(void **state)
{
    (void)state;
    uint32_t sizes[50];
    for (int i = 0; i < 50; i++) sizes[i] = (uint32_t)(1 + (i * 37) % 23);
    MegatronGptIndex x;
    JfError err;
    /* documents 5..44, 100 samples of 16: several epochs, last one separate or not */
    for (uint64_t n = 1; n < 200; n += 33) {
        assert_int_equal(megatron_gpt_index_build(sizes, 5, 45, n, 16, 1234, &x, &err), JF_OK);
        assert_true(x.sample_rows - 1 >= n);
        assert_int_equal(x.doc_count, x.num_epochs * 40);
        int count[50] = { 0 };
        for (size_t i = 0; i < x.doc_count; i++) count[x.doc_index[i]]++;
        for (int d = 5; d < 45; d++) assert_int_equal(count[d], (int)x.num_epochs);
        for (size_t s = 0; s + 1 < x.sample_rows; s++) {
            uint64_t tokens = 0;
            int64_t p = x.sample_index[2 * s], o = x.sample_index[2 * s + 1];
            int64_t p1 = x.sample_index[2 * s + 2], o1 = x.sample_index[2 * s + 3];
            for (int64_t q = p; q < p1; q++) tokens += sizes[x.doc_index[q]];
            tokens = tokens - (uint64_t)o + (uint64_t)o1 + 1;
            assert_int_equal(tokens, 17);
        }
        char *seen = calloc(x.shuffle_count, 1);
        for (size_t i = 0; i < x.shuffle_count; i++) seen[x.shuffle_index[i]]++;
        for (size_t i = 0; i < x.shuffle_count; i++) assert_int_equal(seen[i], 1);
        free(seen);
        megatron_gpt_index_free(&x);
    }
    assert_int_equal(megatron_gpt_index_build(sizes, 5, 5, 10, 16, 1, &x, &err), JF_EUSAGE);
    assert_int_equal(megatron_gpt_index_build(sizes, 5, 6, 10, 0, 1, &x, &err), JF_EUSAGE);
}

/* order-4.1: --split ranges, the default and half-to-even rounding. */
static void split_ranges(void **state)
{
    (void)state;
    double sp[3];
    uint64_t b[3], e[3];
    JfError err;
    assert_int_equal(megatron_split_parse("969,30,1", sp, &err), JF_OK);
    megatron_split_ranges(sp, 1000, b, e);
    assert_int_equal(b[0], 0);
    assert_int_equal(e[0], 969);
    assert_int_equal(b[1], 969);
    assert_int_equal(e[1], 999);
    assert_int_equal(b[2], 999);
    assert_int_equal(e[2], 1000);
    assert_int_equal(megatron_split_parse("1/1", sp, &err), JF_OK);    /* padded with 0 */
    megatron_split_ranges(sp, 5, b, e);
    assert_int_equal(e[0], 2);                                         /* round(2.5) = 2 */
    megatron_split_ranges(sp, 3, b, e);
    assert_int_equal(e[0], 2);                                         /* round(1.5) = 2 */
    assert_int_equal(e[1], 3);
    assert_int_equal(b[2], 3);
    assert_int_equal(e[2], 3);
    const char *bad[] = { "", "a,b", "1,2,3,4", "0,0,0", "-1,2", "1,,2", "1;2", "1,2," };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (megatron_split_parse(bad[i], sp, &err) != JF_EUSAGE) fail_msg("accepted '%s'", bad[i]);
}

/* order-5.1: failed allocations are reported and leak nothing. */
static void out_of_memory(void **state)
{
    (void)state;
    uint32_t sizes[] = { 5, 7, 9 };
    size_t base = jf_alloc_live_bytes();
    for (uint64_t n = 1; n < 10; n++) {
        MegatronGptIndex x;
        JfError err;
        jf_alloc_fail_at(n);
        JfStatus rc = megatron_gpt_index_build(sizes, 0, 3, 20, 4, 1, &x, &err);
        jf_alloc_fail_at(0);
        if (rc == JF_OK) megatron_gpt_index_free(&x);
        assert_int_equal(jf_alloc_live_bytes(), base);
        if (rc == JF_OK) return;
        assert_int_equal(rc, JF_ENOMEM);
    }
    fail_msg("never succeeded");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blending_golden_vectors),
        cmocka_unit_test(blending_million),
        cmocka_unit_test(bad_weights),
        cmocka_unit_test(mt19937_reference),
        cmocka_unit_test(interval_and_shuffle),
        cmocka_unit_test(sample_index_golden),
        cmocka_unit_test(num_epochs),
        cmocka_unit_test(gpt_index_invariants),
        cmocka_unit_test(split_ranges),
        cmocka_unit_test(out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
