/* test_llama_model.c: the whole model. Gradients of every parameter against
 * double-sided finite differences of the loss on the tiny configuration
 * (dim 16, 2 layers, 2 heads, hidden 32, vocab 37, T 8, B 2); AdamW drives
 * the loss on one batch near zero; accumulation, clipping, deterministic
 * init, bad input and out-of-memory paths; gradient groups and the hooks
 * of the bucketed reduction. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "jf_alloc.h"
#include "llama_model.h"

enum { B = 2, T = 8, N = B * T };
static const LlamaConfig TINY = {.dim = 16, .hidden_dim = 32, .n_layers = 2, .n_heads = 2,
                                 .vocab_size = 37, .seq_len = 8};

static void batch(int32_t *tok, int32_t *tgt)
{
    uint64_t s = 7;
    for (size_t n = 0; n < N; n++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        tok[n] = (int32_t)((s >> 33) % TINY.vocab_size);
    }
    for (size_t n = 0; n < N; n++)   /* next token; the last of each row unlabelled */
        tgt[n] = (n % T == T - 1) ? -1 : tok[n + 1];
}

/* Weights 10x the init scale, so attention and the gates are not linear. */
static void model_tiny(LlamaModel *m, uint64_t seed)
{
    JfError err;
    assert_int_equal(llama_model_init(m, &TINY, &err), JF_OK);
    llama_model_init_weights(m, seed);
    for (int t = 0; t < LLAMA_NUM_TENSORS; t++) {
        float *p = m->params_mem;
        size_t off = 0;
        for (int u = 0; u < t; u++)
            off += m->sizes[u];
        for (size_t i = 0; i < m->sizes[t]; i++)
            p[off + i] = llama_tensor_is_decayed(t) ? 10.0f * p[off + i]
                                                    : 1.0f + 0.3f * sinf((float)i);
    }
}

static double loss_at(LlamaModel *m, const int32_t *tok, const int32_t *tgt)
{
    JfError err;
    assert_int_equal(llama_model_forward(m, tok, tgt, B, T, &err), JF_OK);
    return m->loss;
}

static void model_1_init(void **state)
{
    (void)state;
    LlamaModel a, b;
    JfError err;
    assert_int_equal(llama_model_init(&a, &TINY, &err), JF_OK);
    size_t C = 16, H = 32, L = 2, V = 37;
    assert_int_equal(a.num_params, 2 * V * C + L * (2 * C + 4 * C * C + 3 * H * C) + C);
    llama_model_init_weights(&a, 1234);
    assert_int_equal(llama_model_init(&b, &TINY, &err), JF_OK);
    llama_model_init_weights(&b, 1234);
    assert_memory_equal(a.params_mem, b.params_mem, a.num_params * sizeof(float));
    assert_true(a.params.rms_att[5] == 1.0f && a.params.rms_final[15] == 1.0f);
    /* std 0.02 for wq, 0.02/sqrt(2L) = 0.01 for wo */
    double s = 0.0, so = 0.0;
    for (size_t i = 0; i < L * C * C; i++) {
        s += (double)a.params.wq[i] * a.params.wq[i];
        so += (double)a.params.wo[i] * a.params.wo[i];
    }
    assert_float_equal(sqrt(s / (double)(L * C * C)), 0.02, 0.003);
    assert_float_equal(sqrt(so / (double)(L * C * C)), 0.01, 0.0015);
    llama_model_init_weights(&b, 1235);
    assert_true(memcmp(a.params_mem, b.params_mem, a.num_params * sizeof(float)) != 0);
    llama_model_free(&a);
    llama_model_free(&b);
    llama_model_free(&b);   /* a second free is harmless */
}

static void model_2_gradcheck(void **state)
{
    (void)state;
    LlamaModel m;
    JfError err;
    int32_t tok[N], tgt[N];
    batch(tok, tgt);
    model_tiny(&m, 99);
    loss_at(&m, tok, tgt);
    llama_model_zero_grad(&m);
    assert_int_equal(llama_model_backward(&m, 1.0f, &err), JF_OK);
    /* h = 3e-3: the truncation error (h^2) of wo and w2 is ~1e-3 at h = 1e-2
     * and ~8e-5 here; smaller h lets fp32 rounding of the loss dominate. */
    const float h = 3e-3f;
    double worst_abs = 0.0, worst_rel = 0.0, gmax = 0.0;
    size_t off = 0;
    for (int t = 0; t < LLAMA_NUM_TENSORS; t++) {
        double tabs = 0.0;
        for (size_t i = off; i < off + m.sizes[t]; i++) {
            float p0 = m.params_mem[i];
            m.params_mem[i] = p0 + h;
            double fp = loss_at(&m, tok, tgt);
            m.params_mem[i] = p0 - h;
            double fm = loss_at(&m, tok, tgt);
            m.params_mem[i] = p0;
            double fd = (fp - fm) / (2.0 * (double)h), an = m.grads_mem[i];
            double e = fabs(fd - an);
            tabs = fmax(tabs, e);
            gmax = fmax(gmax, fabs(an));
            if (fabs(an) > 1e-3)
                worst_rel = fmax(worst_rel, e / fabs(an));
        }
        print_message("  %-10s %6zu params, max |fd - analytic| %.2e\n",
                      LLAMA_TENSOR_NAMES[t], m.sizes[t], tabs);
        worst_abs = fmax(worst_abs, tabs);
        off += m.sizes[t];
    }
    print_message("  all: max abs error %.2e (largest gradient %.2e), max rel error %.2e "
                  "where |g| > 1e-3\n", worst_abs, gmax, worst_rel);
    assert_true(worst_abs < 3e-4);
    assert_true(worst_rel < 3e-2);
    llama_model_free(&m);
}

static void model_3_accumulate(void **state)
{
    (void)state;
    LlamaModel m;
    JfError err;
    int32_t tok[N], tgt[N];
    batch(tok, tgt);
    model_tiny(&m, 5);
    loss_at(&m, tok, tgt);
    llama_model_zero_grad(&m);
    assert_int_equal(llama_model_backward(&m, 1.0f, &err), JF_OK);
    float *once = jf_malloc(m.num_params * sizeof(float));
    assert_non_null(once);
    memcpy(once, m.grads_mem, m.num_params * sizeof(float));
    llama_model_zero_grad(&m);
    assert_int_equal(llama_model_backward(&m, 0.5f, &err), JF_OK);
    assert_int_equal(llama_model_backward(&m, 0.5f, &err), JF_OK);
    for (size_t i = 0; i < m.num_params; i++)
        assert_float_equal(m.grads_mem[i], once[i], 1e-6 + 1e-5 * fabsf(once[i]));
    /* clipping: returns the norm before, leaves the norm at max_norm */
    double n0 = llama_model_clip_grad_norm(&m, 0.0);
    assert_true(n0 > 0.5);
    assert_float_equal(llama_model_clip_grad_norm(&m, 0.25), n0, 1e-9 * n0);
    assert_float_equal(llama_model_clip_grad_norm(&m, 0.0), 0.25, 1e-5);
    jf_free(once);
    llama_model_free(&m);
}

static void model_4_overfit(void **state)
{
    (void)state;
    LlamaModel m;
    JfError err;
    int32_t tok[N], tgt[N];
    batch(tok, tgt);
    assert_int_equal(llama_model_init(&m, &TINY, &err), JF_OK);
    llama_model_init_weights(&m, 2024);
    LlamaAdamW opt = llama_adamw_defaults();
    double first = 0.0, last = 0.0;
    for (int step = 0; step < 300; step++) {
        last = loss_at(&m, tok, tgt);
        if (step == 0)
            first = last;
        llama_model_zero_grad(&m);
        assert_int_equal(llama_model_backward(&m, 1.0f, &err), JF_OK);
        llama_model_clip_grad_norm(&m, 1.0);
        assert_int_equal(llama_model_adamw_step(&m, &opt, 1e-2f, &err), JF_OK);
    }
    last = loss_at(&m, tok, tgt);
    print_message("  loss %.4f -> %.4f after 300 AdamW steps (ln 37 = %.4f)\n", first, last,
                  log(37.0));
    assert_float_equal(first, log(37.0), 0.1);
    assert_true(last < 0.05);
    assert_int_equal(m.step, 300);
    llama_model_free(&m);
}

static void model_5_bad_input(void **state)
{
    (void)state;
    LlamaModel m;
    JfError err;
    int32_t tok[N], tgt[N];
    batch(tok, tgt);
    LlamaConfig bad = TINY;
    bad.n_heads = 3;   /* 16 does not split into 3 heads */
    assert_int_equal(llama_model_init(&m, &bad, &err), JF_EUSAGE);
    bad = TINY;
    bad.n_heads = 16;  /* head size 1: RoPE needs pairs */
    assert_int_equal(llama_model_init(&m, &bad, &err), JF_EUSAGE);
    model_tiny(&m, 1);
    assert_int_equal(llama_model_backward(&m, 1.0f, &err), JF_EUSAGE);   /* no forward yet */
    tok[3] = 37;
    assert_int_equal(llama_model_forward(&m, tok, tgt, B, T, &err), JF_EUSAGE);
    tok[3] = -1;
    assert_int_equal(llama_model_forward(&m, tok, tgt, B, T, &err), JF_EUSAGE);
    tok[3] = 0;
    assert_int_equal(llama_model_forward(&m, tok, tgt, 1, 2 * T, &err), JF_EUSAGE);
    /* logits only: no loss, no backward */
    assert_int_equal(llama_model_forward(&m, tok, NULL, B, T, &err), JF_OK);
    assert_true(isnan(m.loss));
    assert_int_equal(llama_model_backward(&m, 1.0f, &err), JF_EUSAGE);
    /* a shorter batch reuses the model; positions are causal, so the first
     * T/2 logits of a half-length row equal those of the full row */
    float full[T / 2 * 37];
    assert_int_equal(llama_model_forward(&m, tok, NULL, 1, T, &err), JF_OK);
    memcpy(full, m.acts.logits, sizeof(full));
    assert_int_equal(llama_model_forward(&m, tok, NULL, 1, T / 2, &err), JF_OK);
    for (size_t i = 0; i < T / 2 * 37; i++)
        assert_float_equal(m.acts.logits[i], full[i], 1e-5);
    llama_model_free(&m);
}

static void model_6_oom(void **state)
{
    (void)state;
    LlamaModel m;
    JfError err;
    int32_t tok[N], tgt[N];
    batch(tok, tgt);
    for (uint64_t k = 1; k <= 2; k++) {
        jf_alloc_fail_at(k);
        assert_int_equal(llama_model_init(&m, &TINY, &err), JF_ENOMEM);
        jf_alloc_fail_at(0);
    }
    model_tiny(&m, 3);
    for (uint64_t k = 1; k <= 3; k++) {
        jf_alloc_fail_at(k);
        assert_int_equal(llama_model_forward(&m, tok, tgt, B, T, &err), JF_ENOMEM);
        jf_alloc_fail_at(0);
    }
    assert_int_equal(llama_model_forward(&m, tok, tgt, B, T, &err), JF_OK);
    assert_int_equal(llama_model_backward(&m, 1.0f, &err), JF_OK);
    LlamaAdamW opt = llama_adamw_defaults();
    jf_alloc_fail_at(1);
    assert_int_equal(llama_model_adamw_step(&m, &opt, 1e-3f, &err), JF_ENOMEM);
    jf_alloc_fail_at(0);
    assert_int_equal(m.step, 0);
    assert_int_equal(llama_model_adamw_step(&m, &opt, 1e-3f, &err), JF_OK);
    llama_model_free(&m);
}

/* Weight decay touches matrices only: with zero gradients, one step scales a
 * matrix by (1 - lr wd) and leaves the RMSNorm weights alone. */
static void model_7_weight_decay(void **state)
{
    (void)state;
    LlamaModel m;
    JfError err;
    model_tiny(&m, 8);
    float wq0 = m.params.wq[7], wte0 = m.params.wte[3], wcls0 = m.params.wcls[3];
    float rms0 = m.params.rms_ffn[2];
    LlamaAdamW opt = llama_adamw_defaults();
    assert_int_equal(llama_model_adamw_step(&m, &opt, 0.5f, &err), JF_OK);
    assert_float_equal(m.params.wq[7], wq0 * (1.0f - 0.05f), 1e-7);
    assert_float_equal(m.params.wte[3], wte0 * (1.0f - 0.05f), 1e-7);
    assert_float_equal(m.params.wcls[3], wcls0 * (1.0f - 0.05f), 1e-7);
    assert_true(m.params.rms_ffn[2] == rms0);
    llama_model_free(&m);
}

/* Gradient groups partition the parameters; the hooked backward calls
 * ready(g) in order 0..L+1 only once group g's gradients are final: the
 * values seen then are the values after backward, bit for bit (so a
 * reduction started at ready(g) reduces the right numbers). */
typedef struct {
    LlamaModel *m;
    float *seen;        /* (P) group values copied at ready */
    size_t next, polls;
} HookLog;

static void on_ready(void *user, size_t g)
{
    HookLog *h = user;
    size_t off[LLAMA_GROUP_MAX_RANGES], len[LLAMA_GROUP_MAX_RANGES];
    assert_int_equal(g, h->next);
    h->next++;
    size_t n = llama_model_group_ranges(h->m, g, off, len);
    for (size_t i = 0; i < n; i++)
        memcpy(h->seen + off[i], h->m->grads_mem + off[i], len[i] * sizeof(float));
}

static void on_poll(void *user)
{
    ((HookLog *)user)->polls++;
}

static void model_8_groups(void **state)
{
    (void)state;
    LlamaModel m;
    JfError err;
    int32_t tok[N], tgt[N];
    batch(tok, tgt);
    model_tiny(&m, 9);
    size_t P = m.num_params, G = llama_model_num_groups(&m);
    assert_int_equal(G, TINY.n_layers + 2);
    unsigned char *cover = jf_calloc(P, 1);
    float *plain = jf_malloc(2 * P * sizeof(float));
    assert_non_null(cover);
    assert_non_null(plain);
    for (size_t g = 0; g < G; g++) {
        size_t off[LLAMA_GROUP_MAX_RANGES], len[LLAMA_GROUP_MAX_RANGES];
        size_t n = llama_model_group_ranges(&m, g, off, len);
        assert_true(n >= 1 && n <= LLAMA_GROUP_MAX_RANGES);
        for (size_t i = 0; i < n; i++) {
            assert_true(i == 0 || off[i] >= off[i - 1] + len[i - 1]);
            for (size_t j = off[i]; j < off[i] + len[i]; j++)
                cover[j]++;
        }
    }
    for (size_t j = 0; j < P; j++)
        assert_int_equal(cover[j], 1);
    loss_at(&m, tok, tgt);
    llama_model_zero_grad(&m);
    assert_int_equal(llama_model_backward(&m, 0.5f, &err), JF_OK);
    memcpy(plain, m.grads_mem, P * sizeof(float));
    HookLog h = {.m = &m, .seen = plain + P};
    LlamaBackwardHooks hooks = {.ready = on_ready, .poll = on_poll, .user = &h};
    llama_model_zero_grad(&m);
    assert_int_equal(llama_model_backward_hooked(&m, 0.5f, &hooks, &err), JF_OK);
    assert_int_equal(h.next, G);
    assert_true(h.polls >= 3 * TINY.n_layers);
    assert_memory_equal(m.grads_mem, plain, P * sizeof(float));
    assert_memory_equal(h.seen, plain, P * sizeof(float));
    jf_free(cover);
    jf_free(plain);
    llama_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_1_init),       cmocka_unit_test(model_2_gradcheck),
        cmocka_unit_test(model_3_accumulate), cmocka_unit_test(model_4_overfit),
        cmocka_unit_test(model_5_bad_input),  cmocka_unit_test(model_6_oom),
        cmocka_unit_test(model_7_weight_decay), cmocka_unit_test(model_8_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
