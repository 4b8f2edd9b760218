/* bench_attention.c: CPU time of the causal attention layer (llama_layers.c,
 * tiles of LLAMA_ATT_TILE queries over the lower triangle) against its peer,
 * the full T x T block version it replaced (below: the score and att.V
 * products and the four of backward over the whole block, the softmax masked),
 * in the same run, on one thread. Both are checked to give the same output
 * to 1e-4 first. CPU time, so other load on the machine disturbs it little.
 * Not a test. Usage: bench_attention B T NH HS [REPS] */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llama_layers.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the peer: full-block attention (llama_layers.c before the tiles) ---- */

static void full_softmax(float *att, size_t rows, size_t T)
{
    for (size_t r = 0; r < rows; r++) {
        size_t t = r % T;
        float *row = att + r * T, maxv = -INFINITY;
        for (size_t u = 0; u <= t; u++) maxv = row[u] > maxv ? row[u] : maxv;
        double sum = 0.0;
        for (size_t u = 0; u <= t; u++) sum += (row[u] = expf(row[u] - maxv));
        for (size_t u = 0; u <= t; u++) row[u] *= (float)(1.0 / sum);
        for (size_t u = t + 1; u < T; u++) row[u] = 0.0f;
    }
}

static void full_forward(float *out, float *att, const float *q, const float *k, const float *v,
                         size_t B, size_t T, size_t NH, size_t HS)
{
    size_t C = NH * HS;
    float scale = 1.0f / sqrtf((float)HS);
    for (size_t bh = 0; bh < B * NH; bh++) {
        size_t o = (bh / NH) * T * C + (bh % NH) * HS;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)T, (int)HS, scale,
                    q + o, (int)C, k + o, (int)C, 0.0f, att + bh * T * T, (int)T);
    }
    full_softmax(att, B * NH * T, T);
    for (size_t bh = 0; bh < B * NH; bh++) {
        size_t o = (bh / NH) * T * C + (bh % NH) * HS;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)T, (int)HS, (int)T, 1.0f,
                    att + bh * T * T, (int)T, v + o, (int)C, 0.0f, out + o, (int)C);
    }
}

static void full_backward(float *dq, float *dk, float *dv, float *scr, const float *dout,
                          const float *q, const float *k, const float *v, const float *att,
                          size_t B, size_t T, size_t NH, size_t HS)
{
    size_t C = NH * HS;
    float scale = 1.0f / sqrtf((float)HS);
    for (size_t bh = 0; bh < B * NH; bh++) {
        size_t o = (bh / NH) * T * C + (bh % NH) * HS;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)T, (int)HS, (int)T, 1.0f,
                    att + bh * T * T, (int)T, dout + o, (int)C, 1.0f, dv + o, (int)C);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)T, (int)HS, 1.0f,
                    dout + o, (int)C, v + o, (int)C, 0.0f, scr + bh * T * T, (int)T);
    }
    for (size_t r = 0; r < B * NH * T; r++) {
        size_t t = r % T;
        const float *p = att + r * T;
        float *d = scr + r * T;
        double sum = 0.0;
        for (size_t u = 0; u <= t; u++) sum += (double)p[u] * d[u];
        for (size_t u = 0; u <= t; u++) d[u] = p[u] * (d[u] - (float)sum) * scale;
        for (size_t u = t + 1; u < T; u++) d[u] = 0.0f;
    }
    for (size_t bh = 0; bh < B * NH; bh++) {
        size_t o = (bh / NH) * T * C + (bh % NH) * HS;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)T, (int)HS, (int)T, 1.0f,
                    scr + bh * T * T, (int)T, k + o, (int)C, 1.0f, dq + o, (int)C);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)T, (int)HS, (int)T, 1.0f,
                    scr + bh * T * T, (int)T, q + o, (int)C, 1.0f, dk + o, (int)C);
    }
}

/* ---- timing ---------------------------------------------------------------- */

typedef struct {
    float *q, *k, *v, *dout, *out, *dq, *dk, *dv, *att, *scr;
} Bufs;

/* CPU seconds of forward and backward, summed over reps. */
static void timed(int full, const Bufs *b, size_t B, size_t T, size_t NH, size_t HS, int reps,
                  double *fwd, double *bwd)
{
    size_t n = B * T * NH * HS;
    *fwd = *bwd = 0;
    for (int r = 0; r < reps; r++) {
        memset(b->dq, 0, 3 * n * sizeof(float));
        double c0 = cpu_now();
        if (full) full_forward(b->out, b->att, b->q, b->k, b->v, B, T, NH, HS);
        else attention_forward(b->out, b->att, b->q, b->k, b->v, B, T, NH, HS);
        double c1 = cpu_now();
        if (full) full_backward(b->dq, b->dk, b->dv, b->scr, b->dout, b->q, b->k, b->v, b->att,
                                B, T, NH, HS);
        else attention_backward(b->dq, b->dk, b->dv, b->scr, b->dout, b->q, b->k, b->v, b->att,
                                B, T, NH, HS);
        *fwd += c1 - c0;
        *bwd += cpu_now() - c1;
    }
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: bench_attention B T NH HS [REPS]\n");
        return 2;
    }
    size_t B = (size_t)atol(argv[1]), T = (size_t)atol(argv[2]), NH = (size_t)atol(argv[3]);
    size_t HS = (size_t)atol(argv[4]), n = B * T * NH * HS;
    int reps = argc > 5 ? atoi(argv[5]) : 5;
    Bufs b;
    float *mem = malloc((8 * n + 2 * B * NH * T * T) * sizeof(float));
    if (!mem) return 1;
    float **p[] = { &b.q, &b.k, &b.v, &b.dout, &b.out, &b.dq, &b.dk, &b.dv };
    for (size_t i = 0; i < 8; i++) *p[i] = mem + i * n;
    b.att = mem + 8 * n;
    b.scr = b.att + B * NH * T * T;
    for (size_t i = 0; i < 4 * n; i++) mem[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    float *ref = malloc(4 * n * sizeof(float));   /* the peer's out, dq, dk, dv */
    double f[2], g[2];
    timed(1, &b, B, T, NH, HS, 1, &f[0], &g[0]);
    memcpy(ref, b.out, 4 * n * sizeof(float));
    timed(0, &b, B, T, NH, HS, 1, &f[1], &g[1]);
    double worst = 0;
    for (size_t i = 0; i < 4 * n; i++) worst = fmax(worst, fabs(ref[i] - b.out[i]));
    printf("B %zu T %zu heads %zu x %zu, tile %d, %d reps, 1 thread: max difference %.2g\n", B,
           T, NH, HS, LLAMA_ATT_TILE, reps, worst);
    if (worst > 1e-4) return 1;
    timed(1, &b, B, T, NH, HS, reps, &f[0], &g[0]);
    timed(0, &b, B, T, NH, HS, reps, &f[1], &g[1]);
    printf("full block: forward %.1f ms, backward %.1f ms\n", 1e3 * f[0] / reps,
           1e3 * g[0] / reps);
    printf("causal tiles: forward %.1f ms, backward %.1f ms (%.0f%% of the full block's "
           "CPU time)\n", 1e3 * f[1] / reps, 1e3 * g[1] / reps,
           100 * (f[1] + g[1]) / (f[0] + g[0]));
    free(ref);
    free(mem);
    return 0;
}
