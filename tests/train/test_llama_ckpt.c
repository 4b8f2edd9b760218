/* test_llama_ckpt.c: llama2.c version 0 checkpoints. Write -> read -> write
 * is bit-identical (file bytes and parameters), for untied and shared LM
 * heads; the header and size are exactly llama2.c's; damaged files (short,
 * long, other version, grouped-query heads, garbage sizes) are refused with
 * the right status and offset. Files go to the build folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "jf_alloc.h"
#include "llama_ckpt.h"

static const LlamaConfig TINY = {.dim = 16, .hidden_dim = 32, .n_layers = 2, .n_heads = 2,
                                 .vocab_size = 37, .seq_len = 8};

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = jf_malloc(*n ? *n : 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, *n, f), *n);
    fclose(f);
    return p;
}

static void spit(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void roundtrip(bool shared)
{
    LlamaModel a, b;
    JfError err;
    const char *p1 = shared ? "ckpt-shared-1.bin" : "ckpt-1.bin";
    const char *p2 = shared ? "ckpt-shared-2.bin" : "ckpt-2.bin";
    assert_int_equal(llama_model_init(&a, &TINY, &err), JF_OK);
    llama_model_init_weights(&a, 77);
    if (shared)
        memcpy(a.params.wcls, a.params.wte, a.sizes[LLAMA_NUM_TENSORS - 1] * sizeof(float));
    assert_int_equal(llama_ckpt_write(p1, &a, &err), JF_OK);
    assert_int_equal(access("ckpt-1.bin.tmp", F_OK), -1);   /* renamed into place */
    assert_int_equal(llama_ckpt_read(p1, &b, &err), JF_OK);
    assert_memory_equal(&a.cfg, &b.cfg, sizeof(a.cfg));
    assert_memory_equal(a.params_mem, b.params_mem, a.num_params * sizeof(float));
    assert_int_equal(llama_ckpt_write(p2, &b, &err), JF_OK);
    size_t n1, n2;
    unsigned char *f1 = slurp(p1, &n1), *f2 = slurp(p2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(f1, f2, n1);
    /* llama2.c's layout: 7 int32, the tensors, 2 RoPE tables, wcls if not shared */
    int32_t h[7];
    memcpy(h, f1, sizeof(h));
    int32_t want[7] = {16, 32, 2, 2, 2, shared ? 37 : -37, 8};
    assert_memory_equal(h, want, sizeof(h));
    size_t wcls = 37 * 16;
    size_t body = a.num_params - wcls + 2 * 8 * 8 / 2 + (shared ? 0 : wcls);
    assert_int_equal(n1, 28 + 4 * body);
    /* the RoPE tables hold cos and sin of t * 10000^(-2i/HS): row 0 is cos 1, sin 0 */
    float cos0, sin0;
    memcpy(&cos0, f1 + 28 + 4 * (a.num_params - wcls), 4);
    memcpy(&sin0, f1 + 28 + 4 * (a.num_params - wcls + 8 * 8 / 2), 4);
    assert_true(cos0 == 1.0f && sin0 == 0.0f);
    jf_free(f1);
    jf_free(f2);
    llama_model_free(&a);
    llama_model_free(&b);
}

static void ckpt_1_roundtrip(void **state)
{
    (void)state;
    roundtrip(false);
}

static void ckpt_2_shared(void **state)
{
    (void)state;
    roundtrip(true);
}

/* Table of damaged files made from a good one. */
static void ckpt_3_damaged(void **state)
{
    (void)state;
    LlamaModel a, b;
    JfError err;
    assert_int_equal(llama_model_init(&a, &TINY, &err), JF_OK);
    llama_model_init_weights(&a, 78);
    assert_int_equal(llama_ckpt_write("ckpt-3.bin", &a, &err), JF_OK);
    size_t n;
    unsigned char *good = slurp("ckpt-3.bin", &n);
    unsigned char *bad = jf_malloc(n + 8);
    assert_non_null(bad);
    struct {
        const char *name;
        size_t len;         /* bytes of the damaged file */
        int word;           /* header int32 to overwrite, -1 none */
        int32_t value;
        JfStatus want;
        uint64_t offset;    /* expected err.offset */
    } cases[] = {
        {"ckpt-3.1 empty", 0, -1, 0, JF_ETRUNC, 0},
        {"ckpt-3.2 half header", 14, -1, 0, JF_ETRUNC, 14},
        {"ckpt-3.3 one float short", n - 4, -1, 0, JF_ETRUNC, n - 4},
        {"ckpt-3.4 header only", 28, -1, 0, JF_ETRUNC, 28},
        {"ckpt-3.5 trailing bytes", n + 8, -1, 0, JF_EFORMAT, n},
        {"ckpt-3.6 version 1 magic", n, 0, 0x616b3432, JF_EFORMAT, 0},
        {"ckpt-3.7 n_kv_heads 1", n, 4, 1, JF_EFORMAT, 16},
        {"ckpt-3.8 zero layers", n, 2, 0, JF_EFORMAT, 0},
        {"ckpt-3.9 negative dim", n, 0, -16, JF_EFORMAT, 0},
        {"ckpt-3.10 odd head size", n, 0, 18, JF_EFORMAT, 0},
        {"ckpt-3.14 a 10^14-float model", n, 1, 1 << 20, JF_ETRUNC, n},
        {"ckpt-3.11 huge vocab", n, 5, -2000000000, JF_EFORMAT, 0},
        {"ckpt-3.12 vocab INT32_MIN", n, 5, INT32_MIN, JF_EFORMAT, 0},
        {"ckpt-3.13 larger dim, same bytes", n, 0, 32, JF_ETRUNC, n},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(bad, 0xa5, n + 8);
        memcpy(bad, good, cases[i].len < n ? cases[i].len : n);
        if (cases[i].word >= 0)
            memcpy(bad + 4 * cases[i].word, &cases[i].value, 4);
        spit("ckpt-bad.bin", bad, cases[i].len);
        JfStatus rc = llama_ckpt_read("ckpt-bad.bin", &b, &err);
        print_message("  %-34s -> %s at %llu: %s\n", cases[i].name, jf_status_text(rc),
                      (unsigned long long)err.offset, err.msg);
        assert_int_equal(rc, cases[i].want);
        assert_int_equal(err.offset, cases[i].offset);
    }
    assert_int_equal(llama_ckpt_read("no-such-ckpt.bin", &b, &err), JF_EIO);
    assert_int_equal(llama_ckpt_write("no-such-dir/x.bin", &a, &err), JF_EIO);
    /* out of memory while reading: refused cleanly, nothing to free */
    for (uint64_t k = 1; k <= 2; k++) {
        jf_alloc_fail_at(k);
        assert_int_equal(llama_ckpt_read("ckpt-3.bin", &b, &err), JF_ENOMEM);
        jf_alloc_fail_at(0);
    }
    assert_int_equal(llama_ckpt_read("ckpt-3.bin", &b, &err), JF_OK);
    llama_model_free(&b);
    jf_free(bad);
    jf_free(good);
    llama_model_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ckpt_1_roundtrip),
        cmocka_unit_test(ckpt_2_shared),
        cmocka_unit_test(ckpt_3_damaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
