/* llama_layers.c: forward and backward of each LLaMA layer, side by side.
 * See llama_layers.h for shapes and conventions. Sums that decide a
 * normalisation (RMS, softmax denominators, the loss) are accumulated in
 * double: it costs nothing next to the matrix products and keeps the
 * finite-difference checks meaningful in fp32. */
#include "llama_layers.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* ---- token embedding ---------------------------------------------------- */

void embedding_forward(float *out, const int32_t *tokens, const float *wte, size_t N, size_t C)
{
#pragma omp parallel for
    for (size_t n = 0; n < N; n++)
        memcpy(out + n * C, wte + (size_t)tokens[n] * C, C * sizeof(float));
}

void embedding_backward(float *dwte, const float *dout, const int32_t *tokens, size_t N, size_t C)
{
    /* Serial: two positions may share a token, and the scatter is cheap. */
    for (size_t n = 0; n < N; n++) {
        float *row = dwte + (size_t)tokens[n] * C;
        const float *d = dout + n * C;
        for (size_t c = 0; c < C; c++)
            row[c] += d[c];
    }
}

/* ---- RMSNorm ------------------------------------------------------------ */

void rmsnorm_forward(float *out, float *rstd, const float *x, const float *w, size_t N, size_t C)
{
#pragma omp parallel for
    for (size_t n = 0; n < N; n++) {
        const float *xn = x + n * C;
        double ss = 0.0;
        for (size_t c = 0; c < C; c++)
            ss += (double)xn[c] * xn[c];
        float r = (float)(1.0 / sqrt(ss / (double)C + LLAMA_RMS_EPS));
        float *on = out + n * C;
        for (size_t c = 0; c < C; c++)
            on[c] = xn[c] * r * w[c];
        rstd[n] = r;
    }
}

/* With xhat = x * rstd and g = dout * w:
 *   dx = rstd * (g - xhat * mean(g * xhat)),  dw = sum over n of dout * xhat. */
void rmsnorm_backward(float *dx, float *dw, const float *dout, const float *x, const float *w,
                      const float *rstd, size_t N, size_t C)
{
#pragma omp parallel for
    for (size_t n = 0; n < N; n++) {
        const float *xn = x + n * C, *dn = dout + n * C;
        float r = rstd[n];
        double dot = 0.0;
        for (size_t c = 0; c < C; c++)
            dot += (double)dn[c] * w[c] * xn[c] * r;
        float m = (float)(dot / (double)C);
        float *dxn = dx + n * C;
        for (size_t c = 0; c < C; c++)
            dxn[c] += r * (dn[c] * w[c] - xn[c] * r * m);
    }
    /* dw sums over positions, per column in position order: 64 columns at a
     * time, so each pass reads rows in contiguous runs (a column at a time
     * strides through memory) and threads own separate columns. */
    enum { CB = 64 };
#pragma omp parallel for
    for (size_t c0 = 0; c0 < C; c0 += CB) {
        size_t nb = C - c0 < CB ? C - c0 : CB;
        double s[CB] = {0.0};
        for (size_t n = 0; n < N; n++) {
            const float *dn = dout + n * C + c0, *xn = x + n * C + c0;
            for (size_t j = 0; j < nb; j++)
                s[j] += (double)dn[j] * xn[j] * rstd[n];
        }
        for (size_t j = 0; j < nb; j++)
            dw[c0 + j] += (float)s[j];
    }
}

/* ---- linear ------------------------------------------------------------- */

void linear_forward(float *out, const float *inp, const float *W, size_t N, size_t C, size_t OC)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)N, (int)OC, (int)C,
                1.0f, inp, (int)C, W, (int)C, 0.0f, out, (int)OC);
}

void linear_backward(float *dinp, float *dW, const float *dout, const float *inp, const float *W,
                     size_t N, size_t C, size_t OC)
{
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)N, (int)C, (int)OC,
                    1.0f, dout, (int)OC, W, (int)C, 1.0f, dinp, (int)C);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)OC, (int)C, (int)N,
                1.0f, dout, (int)OC, inp, (int)C, 1.0f, dW, (int)C);
}

/* ---- rotary position embedding ------------------------------------------ */

void rope_table_init(float *cos_t, float *sin_t, size_t T, size_t HS)
{
    size_t half = HS / 2;
    for (size_t t = 0; t < T; t++) {
        for (size_t i = 0; i < half; i++) {
            double freq = pow(LLAMA_ROPE_THETA, -(double)(2 * i) / (double)HS);
            double a = (double)t * freq;
            cos_t[t * half + i] = (float)cos(a);
            sin_t[t * half + i] = (float)sin(a);
        }
    }
}

void rope_forward(float *out, const float *inp, const float *cos_t, const float *sin_t,
                  size_t B, size_t T, size_t NH, size_t HS)
{
    size_t half = HS / 2, C = NH * HS;
#pragma omp parallel for collapse(2)
    for (size_t b = 0; b < B; b++) {
        for (size_t t = 0; t < T; t++) {
            const float *ct = cos_t + t * half, *st = sin_t + t * half;
            const float *x = inp + (b * T + t) * C;
            float *y = out + (b * T + t) * C;
            for (size_t h = 0; h < NH; h++) {
                for (size_t i = 0; i < half; i++) {
                    size_t j = h * HS + 2 * i;
                    float x0 = x[j], x1 = x[j + 1];
                    y[j]     = x0 * ct[i] - x1 * st[i];
                    y[j + 1] = x0 * st[i] + x1 * ct[i];
                }
            }
        }
    }
}

void rope_backward(float *dinp, const float *dout, const float *cos_t, const float *sin_t,
                   size_t B, size_t T, size_t NH, size_t HS)
{
    size_t half = HS / 2, C = NH * HS;
#pragma omp parallel for collapse(2)
    for (size_t b = 0; b < B; b++) {
        for (size_t t = 0; t < T; t++) {
            const float *ct = cos_t + t * half, *st = sin_t + t * half;
            const float *d = dout + (b * T + t) * C;
            float *dx = dinp + (b * T + t) * C;
            for (size_t h = 0; h < NH; h++) {
                for (size_t i = 0; i < half; i++) {
                    size_t j = h * HS + 2 * i;
                    float d0 = d[j], d1 = d[j + 1];
                    dx[j]     +=  d0 * ct[i] + d1 * st[i];
                    dx[j + 1] += -d0 * st[i] + d1 * ct[i];
                }
            }
        }
    }
}

/* ---- causal multi-head attention ---------------------------------------- */

/* Each (b,h) is a (T,HS) slice with row stride C of q, k, v. Only the causal
 * part of the (T,T) score block is computed: rows go by tiles of
 * LLAMA_ATT_TILE queries, and tile i's scores against keys [0, end of tile i)
 * are one cblas_sgemm, so the work is the lower triangle plus half a tile per
 * row (56% of the full block at T = 512) while each product stays large
 * enough for the BLAS kernels. Entries of a diagonal tile above the diagonal
 * are written as zero (the products read them); entries right of a row's tile
 * are never written nor read. OpenBLAS threads inside each call, so the
 * (b,h) loop is serial: the pthread OpenBLAS must not run inside an OpenMP
 * team. */

/* Queries [t0, t0 + *rows) form a tile; their keys are [0, t0 + *rows). */
static size_t att_tile(size_t t0, size_t T, size_t *rows)
{
    *rows = T - t0 < LLAMA_ATT_TILE ? T - t0 : LLAMA_ATT_TILE;
    return t0 + *rows;
}

/* End of the tile row t belongs to: the columns its products read. */
static size_t att_row_end(size_t t, size_t T)
{
    size_t e = (t / LLAMA_ATT_TILE + 1) * LLAMA_ATT_TILE;
    return e < T ? e : T;
}

void attention_forward(float *out, float *att, const float *q, const float *k, const float *v,
                       size_t B, size_t T, size_t NH, size_t HS)
{
    size_t C = NH * HS, rows;
    float scale = 1.0f / sqrtf((float)HS);
    for (size_t bh = 0; bh < B * NH; bh++) {
        size_t o = (bh / NH) * T * C + (bh % NH) * HS;
        for (size_t t0 = 0; t0 < T; t0 += LLAMA_ATT_TILE) {
            size_t keys = att_tile(t0, T, &rows);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)keys, (int)HS,
                        scale, q + o + t0 * C, (int)C, k + o, (int)C, 0.0f,
                        att + bh * T * T + t0 * T, (int)T);
        }
    }
    size_t nrows = B * NH * T;
#pragma omp parallel for
    for (size_t r = 0; r < nrows; r++) {
        size_t t = r % T, end = att_row_end(t, T);
        float *row = att + r * T;
        float maxv = -INFINITY;
        for (size_t t2 = 0; t2 <= t; t2++)
            if (row[t2] > maxv)
                maxv = row[t2];
        double sum = 0.0;
        for (size_t t2 = 0; t2 <= t; t2++) {
            float e = expf(row[t2] - maxv);
            row[t2] = e;
            sum += e;
        }
        float inv = (float)(1.0 / sum);
        for (size_t t2 = 0; t2 <= t; t2++)
            row[t2] *= inv;
        for (size_t t2 = t + 1; t2 < end; t2++)
            row[t2] = 0.0f;   /* masked, inside the tile the products read */
    }
    for (size_t bh = 0; bh < B * NH; bh++) {
        size_t o = (bh / NH) * T * C + (bh % NH) * HS;
        for (size_t t0 = 0; t0 < T; t0 += LLAMA_ATT_TILE) {
            size_t keys = att_tile(t0, T, &rows);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)HS,
                        (int)keys, 1.0f, att + bh * T * T + t0 * T, (int)T, v + o, (int)C,
                        0.0f, out + o + t0 * C, (int)C);
        }
    }
}

/* Key tile j's gradients: rows [j0, T) of the (T,T) block g, columns
 * [j0, j0 + cols), transposed, times rows [j0, T) of x, added into dx's rows
 * [j0, j0 + cols): dV += P^T dO and dK += dS^T Q restricted to the rows whose
 * causal window reaches those keys. */
static void att_key_tiles(float *dx, const float *g, const float *x, size_t T, size_t C,
                          size_t HS)
{
    for (size_t j0 = 0; j0 < T; j0 += LLAMA_ATT_TILE) {
        size_t cols = T - j0 < LLAMA_ATT_TILE ? T - j0 : LLAMA_ATT_TILE;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)cols, (int)HS, (int)(T - j0),
                    1.0f, g + j0 * T + j0, (int)T, x + j0 * C, (int)C, 1.0f, dx + j0 * C,
                    (int)C);
    }
}

/* With P = att (T,T) per (b,h), O = P V, S = scale Q K^T, P = softmax(S):
 *   dV += P^T dO;  dP = dO V^T;  dS = P * (dP - rowsum(P * dP)) * scale;
 *   dQ += dS K;    dK += dS^T Q;
 * each over the causal tiles only (see attention_forward). scratch holds dP,
 * then dS, for every (b,h). */
void attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                        const float *q, const float *k, const float *v, const float *att,
                        size_t B, size_t T, size_t NH, size_t HS)
{
    size_t C = NH * HS, rows;
    float scale = 1.0f / sqrtf((float)HS);
    for (size_t bh = 0; bh < B * NH; bh++) {
        size_t o = (bh / NH) * T * C + (bh % NH) * HS;
        att_key_tiles(dv + o, att + bh * T * T, dout + o, T, C, HS);
        for (size_t t0 = 0; t0 < T; t0 += LLAMA_ATT_TILE) {
            size_t keys = att_tile(t0, T, &rows);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)keys, (int)HS,
                        1.0f, dout + o + t0 * C, (int)C, v + o, (int)C, 0.0f,
                        scratch + bh * T * T + t0 * T, (int)T);
        }
    }
    size_t nrows = B * NH * T;
#pragma omp parallel for
    for (size_t r = 0; r < nrows; r++) {
        size_t t = r % T, end = att_row_end(t, T);
        const float *p = att + r * T;
        float *d = scratch + r * T;
        double sum = 0.0;
        for (size_t t2 = 0; t2 <= t; t2++)
            sum += (double)p[t2] * d[t2];
        for (size_t t2 = 0; t2 <= t; t2++)
            d[t2] = p[t2] * (d[t2] - (float)sum) * scale;
        for (size_t t2 = t + 1; t2 < end; t2++)
            d[t2] = 0.0f;
    }
    for (size_t bh = 0; bh < B * NH; bh++) {
        size_t o = (bh / NH) * T * C + (bh % NH) * HS;
        const float *ds = scratch + bh * T * T;
        for (size_t t0 = 0; t0 < T; t0 += LLAMA_ATT_TILE) {
            size_t keys = att_tile(t0, T, &rows);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)HS,
                        (int)keys, 1.0f, ds + t0 * T, (int)T, k + o, (int)C, 1.0f,
                        dq + o + t0 * C, (int)C);
        }
        att_key_tiles(dk + o, ds, q + o, T, C, HS);
    }
}

/* ---- SwiGLU gate -------------------------------------------------------- */

static inline float sigmoidf(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

void swiglu_forward(float *out, const float *h1, const float *h3, size_t N, size_t H)
{
    size_t n = N * H;
#pragma omp parallel for
    for (size_t i = 0; i < n; i++)
        out[i] = h1[i] * sigmoidf(h1[i]) * h3[i];
}

/* silu(x) = x s(x); silu'(x) = s(x) (1 + x (1 - s(x))). */
void swiglu_backward(float *dh1, float *dh3, const float *dout, const float *h1, const float *h3,
                     size_t N, size_t H)
{
    size_t n = N * H;
#pragma omp parallel for
    for (size_t i = 0; i < n; i++) {
        float s = sigmoidf(h1[i]);
        dh1[i] += dout[i] * h3[i] * s * (1.0f + h1[i] * (1.0f - s));
        dh3[i] += dout[i] * h1[i] * s;
    }
}

/* ---- residual ----------------------------------------------------------- */

void residual_forward(float *out, const float *a, const float *b, size_t N, size_t C)
{
    size_t n = N * C;
#pragma omp parallel for
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] + b[i];
}

void residual_backward(float *da, float *db, const float *dout, size_t N, size_t C)
{
    size_t n = N * C;
#pragma omp parallel for
    for (size_t i = 0; i < n; i++) {
        da[i] += dout[i];
        db[i] += dout[i];
    }
}

/* ---- softmax cross-entropy ---------------------------------------------- */

double crossentropy_forward(float *losses, float *probs, const float *logits,
                            const int32_t *targets, size_t N, size_t V)
{
    double total = 0.0;
    size_t labelled = 0;
#pragma omp parallel for reduction(+ : total, labelled)
    for (size_t n = 0; n < N; n++) {
        const float *ln = logits + n * V;
        float *pn = probs + n * V;
        float maxv = -INFINITY;
        for (size_t i = 0; i < V; i++)
            if (ln[i] > maxv)
                maxv = ln[i];
        double sum = 0.0;
        for (size_t i = 0; i < V; i++) {
            float e = expf(ln[i] - maxv);
            pn[i] = e;
            sum += e;
        }
        float inv = (float)(1.0 / sum);
        for (size_t i = 0; i < V; i++)
            pn[i] *= inv;
        if (targets[n] < 0) {
            losses[n] = 0.0f;
            continue;
        }
        /* log-sum-exp form: exact even when the target's probability underflows */
        double l = log(sum) + maxv - ln[targets[n]];
        losses[n] = (float)l;
        total += l;
        labelled++;
    }
    return labelled ? total / (double)labelled : 0.0;
}

void crossentropy_backward(float *dlogits, const float *probs, const int32_t *targets,
                           float dloss, size_t N, size_t V)
{
#pragma omp parallel for
    for (size_t n = 0; n < N; n++) {
        if (targets[n] < 0)
            continue;
        const float *pn = probs + n * V;
        float *dn = dlogits + n * V;
        for (size_t i = 0; i < V; i++)
            dn[i] += pn[i] * dloss;
        dn[targets[n]] -= dloss;
    }
}
