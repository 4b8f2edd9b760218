/* bench_llama.c: tokens/s of one training step (forward, backward, clip,
 * AdamW) of environment.md's config a (d 384, 6 layers, 6 heads, FFN 1024,
 * vocab 32000, T 256, batch 8). Not a test: prints figures, asserts nothing.
 * Usage: bench_llama [steps]  (default 3 timed steps after one warm-up).
 * Reports the OpenBLAS kernel in use (openblas_get_corename); set
 * OPENBLAS_CORETYPE yourself to compare kernels and say so with the figure. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "llama_model.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int steps = argc > 1 ? atoi(argv[1]) : 3;
    enum { B = 8, T = 256 };
    LlamaConfig cfg = {.dim = 384, .hidden_dim = 1024, .n_layers = 6, .n_heads = 6,
                       .vocab_size = 32000, .seq_len = T};
    LlamaModel m;
    JfError err;
    if (llama_model_init(&m, &cfg, &err) != JF_OK) {
        fprintf(stderr, "bench_llama: %s\n", err.msg);
        return 1;
    }
    llama_model_init_weights(&m, 1);
    static int32_t tok[B * T], tgt[B * T];
    for (size_t i = 0; i < B * T; i++) {
        tok[i] = (int32_t)((i * 2654435761u) % cfg.vocab_size);
        tgt[i] = (int32_t)(((i + 1) * 2654435761u) % cfg.vocab_size);
    }
    LlamaAdamW opt = llama_adamw_defaults();
    double t_fwd = 0, t_bwd = 0, t_opt = 0;
    for (int s = 0; s <= steps; s++) {
        double t0 = now();
        if (llama_model_forward(&m, tok, tgt, B, T, &err) != JF_OK)
            return 1;
        double t1 = now();
        llama_model_zero_grad(&m);
        if (llama_model_backward(&m, 1.0f, &err) != JF_OK)
            return 1;
        double t2 = now();
        llama_model_clip_grad_norm(&m, 1.0);
        if (llama_model_adamw_step(&m, &opt, 3e-4f, &err) != JF_OK)
            return 1;
        double t3 = now();
        if (s == 0)
            continue;   /* warm-up: first touch of the activations */
        t_fwd += t1 - t0;
        t_bwd += t2 - t1;
        t_opt += t3 - t2;
        printf("step %d loss %.4f  %.3f s\n", s, m.loss, t3 - t0);
    }
    double t = (t_fwd + t_bwd + t_opt) / steps, N = (double)m.num_params;
    double flops = 6.0 * N + 12.0 * (double)(cfg.n_layers * cfg.dim * T);
    printf("config a: %zu parameters, B %d T %d, OpenBLAS %s (%s), %d threads\n",
           m.num_params, B, T, openblas_get_corename(), openblas_get_config(),
           openblas_get_num_threads());
    printf("per step: forward %.3f s, backward %.3f s, clip+AdamW %.3f s\n", t_fwd / steps,
           t_bwd / steps, t_opt / steps);
    printf("%.0f tokens/s, %.1f GFLOP/s (6N + 12LdT per token)\n", B * T / t,
           flops * B * T / t / 1e9);
    llama_model_free(&m);
    return 0;
}
