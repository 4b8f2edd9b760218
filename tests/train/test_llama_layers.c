/* test_llama_layers.c: every layer's backward against double-sided finite
 * differences of its forward, in fp32. Each case reduces the layer's output
 * to a scalar f = sum(out * r) with a fixed random r (accumulated in double),
 * so backward is called with dout = r; then each input element is moved by
 * +-h and (f(x+h) - f(x-h)) / 2h is compared with the analytic gradient.
 * Error measure: |fd - an| / max(1, |an|); inputs and r are O(1). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "llama_layers.h"

enum { B = 2, T = 5, NH = 2, HS = 4, C = NH * HS, H = 12, V = 11, N = B * T };
#define FD_H 1e-2f
#define FD_TOL 2e-3

static uint64_t rng = 42;
static float urand(void)   /* uniform in [-1,1) */
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(rng >> 11) / 4503599627370496.0 - 1.0);
}
static void fill(float *p, size_t n, float s)
{
    for (size_t i = 0; i < n; i++)
        p[i] = s * urand();
}
static double dot(const float *a, const float *r, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * r[i];
    return s;
}

/* A case: forward() fills out (nout floats) from the inputs it closes over. */
typedef struct {
    void (*forward)(void);
    float *out;
    size_t nout;
    const float *r;
} Case;

static double eval(const Case *c)
{
    c->forward();
    return dot(c->out, c->r, c->nout);
}

/* @return the max error of the analytic gradient an (n) of input x (n). */
static double check_input(const Case *c, const char *name, float *x, const float *an, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        float x0 = x[i];
        x[i] = x0 + FD_H;
        double fp = eval(c);
        x[i] = x0 - FD_H;
        double fm = eval(c);
        x[i] = x0;
        double fd = (fp - fm) / (2.0 * (double)FD_H);
        double e = fabs(fd - an[i]) / fmax(1.0, fabs(an[i]));
        if (e > worst)
            worst = e;
    }
    print_message("  %-12s d%-6s max error %.2e over %zu elements\n", "", name, worst, n);
    return worst;
}

/* ---- shared buffers (small, static) ------------------------------------- */
static float xa[N * H], xb[N * H], xc[N * H], w[V * C], wbig[H * C];
enum { BIG = N * (H > V ? H : V) };
static float out[BIG], out2[BIG], rr[BIG];
static float da[N * H], db[N * H], dc[N * H], dw[V * C], dwbig[H * C];
static float att[B * NH * T * T], scratch[B * NH * T * T], rstd[N];
static float cos_t[T * HS / 2], sin_t[T * HS / 2];
static int32_t tok[N] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
static int32_t tgt[N] = {1, 0, 10, 7, -1, 2, 2, 9, 4, 6};

static void reset(void)
{
    memset(da, 0, sizeof(da));
    memset(db, 0, sizeof(db));
    memset(dc, 0, sizeof(dc));
    memset(dw, 0, sizeof(dw));
    memset(dwbig, 0, sizeof(dwbig));
    fill(rr, BIG, 1.0f);
}

static void fwd_embedding(void) { embedding_forward(out, tok, w, N, C); }
static void layers_1_embedding(void **state)
{
    (void)state;
    reset();
    fill(w, V * C, 1.0f);
    Case c = {fwd_embedding, out, N * C, rr};
    c.forward();
    embedding_backward(dw, rr, tok, N, C);
    assert_true(check_input(&c, "wte", w, dw, V * C) < FD_TOL);
}

static void fwd_rmsnorm(void) { rmsnorm_forward(out, rstd, xa, w, N, C); }
static void layers_2_rmsnorm(void **state)
{
    (void)state;
    reset();
    fill(xa, N * C, 1.0f);
    fill(w, C, 1.0f);
    Case c = {fwd_rmsnorm, out, N * C, rr};
    c.forward();
    rmsnorm_backward(da, dw, rr, xa, w, rstd, N, C);
    assert_true(check_input(&c, "x", xa, da, N * C) < FD_TOL);
    assert_true(check_input(&c, "w", w, dw, C) < FD_TOL);
}

static void fwd_linear(void) { linear_forward(out, xa, wbig, N, C, H); }
static void layers_3_linear(void **state)
{
    (void)state;
    reset();
    fill(xa, N * C, 1.0f);
    fill(wbig, H * C, 1.0f);
    Case c = {fwd_linear, out, N * H, rr};
    c.forward();
    linear_backward(da, dwbig, rr, xa, wbig, N, C, H);
    assert_true(check_input(&c, "inp", xa, da, N * C) < FD_TOL);
    assert_true(check_input(&c, "W", wbig, dwbig, H * C) < FD_TOL);
    /* dinp NULL: only dW */
    memset(dc, 0, sizeof(dc));
    linear_backward(NULL, dc, rr, xa, wbig, N, C, H);
    assert_memory_equal(dc, dwbig, H * C * sizeof(float));
}

static void fwd_rope(void) { rope_forward(out, xa, cos_t, sin_t, B, T, NH, HS); }
static void layers_4_rope(void **state)
{
    (void)state;
    reset();
    rope_table_init(cos_t, sin_t, T, HS);
    /* llama2.c's table: pair i of a head turns by t * 10000^(-2i/HS) */
    assert_float_equal(cos_t[3 * HS / 2 + 1], cos(3.0 * pow(10000.0, -2.0 / HS)), 1e-6);
    fill(xa, N * C, 1.0f);
    Case c = {fwd_rope, out, N * C, rr};
    c.forward();
    /* pairs (2i, 2i+1) within each head: position 0 is untouched, norms kept */
    assert_memory_equal(out, xa, C * sizeof(float));
    size_t p = (1 * T + 3) * C + HS + 2;
    assert_float_equal(hypotf(out[p], out[p + 1]), hypotf(xa[p], xa[p + 1]), 1e-5);
    rope_backward(da, rr, cos_t, sin_t, B, T, NH, HS);
    assert_true(check_input(&c, "inp", xa, da, N * C) < FD_TOL);
    /* in place gives the same result */
    c.forward();
    memcpy(out2, xa, N * C * sizeof(float));
    rope_forward(out2, out2, cos_t, sin_t, B, T, NH, HS);
    assert_memory_equal(out2, out, N * C * sizeof(float));
}

static void fwd_attention(void) { attention_forward(out, att, xa, xb, xc, B, T, NH, HS); }
static void layers_5_attention(void **state)
{
    (void)state;
    reset();
    fill(xa, N * C, 1.5f);
    fill(xb, N * C, 1.5f);
    fill(xc, N * C, 1.0f);
    Case c = {fwd_attention, out, N * C, rr};
    c.forward();
    /* causal: rows sum to 1, nothing above the diagonal; the first position
     * sees only itself, so its output is its own v */
    for (size_t r = 0; r < B * NH * T; r++) {
        size_t t = r % T;
        double s = 0.0;
        for (size_t t2 = 0; t2 < T; t2++) {
            s += att[r * T + t2];
            if (t2 > t)
                assert_true(att[r * T + t2] == 0.0f);
        }
        assert_float_equal(s, 1.0, 1e-5);
    }
    assert_memory_equal(out, xc, C * sizeof(float));
    attention_backward(da, db, dc, scratch, rr, xa, xb, xc, att, B, T, NH, HS);
    assert_true(check_input(&c, "q", xa, da, N * C) < FD_TOL);
    assert_true(check_input(&c, "k", xb, db, N * C) < FD_TOL);
    assert_true(check_input(&c, "v", xc, dc, N * C) < FD_TOL);
}

static void fwd_swiglu(void) { swiglu_forward(out, xa, xb, N, H); }
static void layers_6_swiglu(void **state)
{
    (void)state;
    reset();
    fill(xa, N * H, 3.0f);
    fill(xb, N * H, 1.0f);
    Case c = {fwd_swiglu, out, N * H, rr};
    c.forward();
    swiglu_backward(da, db, rr, xa, xb, N, H);
    assert_true(check_input(&c, "h1", xa, da, N * H) < FD_TOL);
    assert_true(check_input(&c, "h3", xb, db, N * H) < FD_TOL);
}

static void fwd_residual(void) { residual_forward(out, xa, xb, N, C); }
static void layers_7_residual(void **state)
{
    (void)state;
    reset();
    fill(xa, N * C, 1.0f);
    fill(xb, N * C, 1.0f);
    Case c = {fwd_residual, out, N * C, rr};
    c.forward();
    residual_backward(da, db, rr, N, C);
    assert_true(check_input(&c, "a", xa, da, N * C) < FD_TOL);
    assert_true(check_input(&c, "b", xb, db, N * C) < FD_TOL);
}

/* The loss itself is the scalar: r = the single weight 1 on the mean. */
static double ce_loss;
static float one = 1.0f;
static float ce_out;
static void fwd_ce(void)
{
    ce_loss = crossentropy_forward(out2, out, xa, tgt, N, V);
    ce_out = (float)ce_loss;
}
static void layers_8_crossentropy(void **state)
{
    (void)state;
    reset();
    fill(xa, N * V, 4.0f);
    Case c = {fwd_ce, &ce_out, 1, &one};
    c.forward();
    /* the loss is the mean of -log p over the 9 labelled positions */
    double s = 0.0;
    for (size_t n = 0; n < N; n++)
        if (tgt[n] >= 0)
            s += -log(out[n * V + (size_t)tgt[n]]);
    assert_float_equal(ce_loss, s / 9.0, 1e-5);
    assert_true(out2[4] == 0.0f);
    crossentropy_backward(da, out, tgt, 1.0f / 9.0f, N, V);
    assert_true(check_input(&c, "logits", xa, da, N * V) < FD_TOL);
}

/* ---- attention over several causal tiles, against a double reference ----
 * T = 2 tiles + 9 rows, so full, diagonal and partial tiles all occur. att
 * and scratch start as NaN: an entry the tiled products read without having
 * written it (right of a row's tile) would make the outputs NaN. */
enum { TB = 2, TT = 2 * LLAMA_ATT_TILE + 9, TNH = 2, THS = 4, TC = TNH * THS, TN = TB * TT };
static float tq[TN * TC], tk[TN * TC], tv[TN * TC], tdo[TN * TC], tout[TN * TC];
static float tdq[TN * TC], tdk[TN * TC], tdv[TN * TC];
static float tatt[TB * TNH * TT * TT], tscr[TB * TNH * TT * TT];
static double rp[TT * TT], rdp[TT * TT];
static double rout[TN * TC], rdq[TN * TC], rdk[TN * TC], rdv[TN * TC];

/* Plain causal attention of one (b,h) in double: out, then dq, dk, dv. */
static void attention_ref(size_t o)
{
    double scale = 1.0 / sqrt((double)THS);
    for (size_t t = 0; t < TT; t++) {
        double mx = -INFINITY, sum = 0.0;
        for (size_t u = 0; u <= t; u++) {
            double s = 0.0;
            for (size_t d = 0; d < THS; d++)
                s += (double)tq[o + t * TC + d] * tk[o + u * TC + d];
            rp[t * TT + u] = s * scale;
            mx = fmax(mx, s * scale);
        }
        for (size_t u = 0; u <= t; u++)
            sum += (rp[t * TT + u] = exp(rp[t * TT + u] - mx));
        for (size_t u = 0; u <= t; u++)
            rp[t * TT + u] /= sum;
        for (size_t d = 0; d < THS; d++) {
            double y = 0.0;
            for (size_t u = 0; u <= t; u++)
                y += rp[t * TT + u] * tv[o + u * TC + d];
            rout[o + t * TC + d] = y;
        }
    }
    for (size_t t = 0; t < TT; t++) {
        double rs = 0.0;
        for (size_t u = 0; u <= t; u++) {
            double g = 0.0;
            for (size_t d = 0; d < THS; d++) {
                g += (double)tdo[o + t * TC + d] * tv[o + u * TC + d];
                rdv[o + u * TC + d] += rp[t * TT + u] * tdo[o + t * TC + d];
            }
            rdp[t * TT + u] = g;
            rs += g * rp[t * TT + u];
        }
        for (size_t u = 0; u <= t; u++) {
            double ds = rp[t * TT + u] * (rdp[t * TT + u] - rs) * scale;
            for (size_t d = 0; d < THS; d++) {
                rdq[o + t * TC + d] += ds * tk[o + u * TC + d];
                rdk[o + u * TC + d] += ds * tq[o + t * TC + d];
            }
        }
    }
}

static double max_diff(const float *a, const double *r, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = isnan(a[i]) ? INFINITY : fabs(a[i] - r[i]) / fmax(1.0, fabs(r[i]));
        worst = fmax(worst, e);
    }
    return worst;
}

static void layers_9_attention_tiles(void **state)
{
    (void)state;
    fill(tq, TN * TC, 1.5f);
    fill(tk, TN * TC, 1.5f);
    fill(tv, TN * TC, 1.0f);
    fill(tdo, TN * TC, 1.0f);
    for (size_t i = 0; i < TB * TNH * TT * TT; i++)
        tatt[i] = tscr[i] = NAN;
    attention_forward(tout, tatt, tq, tk, tv, TB, TT, TNH, THS);
    attention_backward(tdq, tdk, tdv, tscr, tdo, tq, tk, tv, tatt, TB, TT, TNH, THS);
    for (size_t bh = 0; bh < TB * TNH; bh++)
        attention_ref((bh / TNH) * TT * TC + (bh % TNH) * THS);
    double e[4] = {max_diff(tout, rout, TN * TC), max_diff(tdq, rdq, TN * TC),
                   max_diff(tdk, rdk, TN * TC), max_diff(tdv, rdv, TN * TC)};
    print_message("  T %d (tiles of %d): max error out %.2e dq %.2e dk %.2e dv %.2e\n", TT,
                  LLAMA_ATT_TILE, e[0], e[1], e[2], e[3]);
    for (int i = 0; i < 4; i++)
        assert_true(e[i] < 1e-5);
    /* the last row of a tile sees every key of it; the row after starts a new tile */
    size_t t = LLAMA_ATT_TILE - 1;
    assert_true(tatt[t * TT + t] > 0.0f && tatt[(t + 1) * TT + t + 1] > 0.0f);
    assert_true(tatt[0 * TT + 1] == 0.0f && isnan(tatt[0 * TT + LLAMA_ATT_TILE]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layers_1_embedding),   cmocka_unit_test(layers_2_rmsnorm),
        cmocka_unit_test(layers_3_linear),      cmocka_unit_test(layers_4_rope),
        cmocka_unit_test(layers_5_attention),   cmocka_unit_test(layers_6_swiglu),
        cmocka_unit_test(layers_7_residual),    cmocka_unit_test(layers_8_crossentropy),
        cmocka_unit_test(layers_9_attention_tiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
