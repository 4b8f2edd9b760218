/* bench_train.c: tokens/s and MFU of the trainer's step (forward, backward,
 * gradient all-reduce under MPI, clip, AdamW) for a LLaMA shape given on the
 * command line; MFU = tokens/s x (6N + 12 L d T) / peak, N = parameters
 * without the embedding, peak = a timed 2048^3 sgemm on the same threads
 * (times ranks under MPI). Under mpirun each rank runs B sequences and the
 * gradients are summed with one MPI_Allreduce, as train.c does. Not a test.
 * Usage: bench_train DIM HIDDEN LAYERS HEADS VOCAB T B [STEPS] */
#include <cblas.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "jf_alloc.h"
#include "llama_model.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double peak_flops(void)
{
    enum { N = 2048, REPS = 4 };
    float *a = jf_malloc(3 * (size_t)N * N * sizeof *a);
    for (size_t i = 0; i < 3 * (size_t)N * N; i++) a[i] = (float)(i % 7) * 0.01f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, N, 1, a, N, a + N * N, N, 0,
                a + 2 * (size_t)N * N, N);
    double t0 = now();
    for (int r = 0; r < REPS; r++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, N, 1, a, N, a + N * N, N, 0,
                    a + 2 * (size_t)N * N, N);
    double dt = now() - t0;
    jf_free(a);
    return 2.0 * N * N * N * REPS / dt;
}

int main(int argc, char **argv)
{
    if (argc < 8) {
        fprintf(stderr, "usage: bench_train DIM HIDDEN LAYERS HEADS VOCAB T B [STEPS]\n");
        return 2;
    }
    int rank = 0, size = 1;
    bool mpi = getenv("OMPI_COMM_WORLD_SIZE") != NULL;
    if (mpi) {
        MPI_Init(&argc, &argv);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
    }
    LlamaConfig cfg = { .dim = (size_t)atol(argv[1]), .hidden_dim = (size_t)atol(argv[2]),
                        .n_layers = (size_t)atol(argv[3]), .n_heads = (size_t)atol(argv[4]),
                        .vocab_size = (size_t)atol(argv[5]), .seq_len = (size_t)atol(argv[6]) };
    size_t T = cfg.seq_len, B = (size_t)atol(argv[7]), N = B * T;
    int steps = argc > 8 ? atoi(argv[8]) : 3;
    LlamaModel m;
    JfError err;
    if (llama_model_init(&m, &cfg, &err) != JF_OK) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return 1;
    }
    llama_model_init_weights(&m, 1);
    int32_t *tok = jf_malloc(2 * N * sizeof *tok), *tgt = tok + N;
    for (size_t i = 0; i < N; i++) {
        tok[i] = (int32_t)(((i + (size_t)rank * N) * 2654435761u) % cfg.vocab_size);
        tgt[i] = (int32_t)(((i + 1 + (size_t)rank * N) * 2654435761u) % cfg.vocab_size);
    }
    double peak = peak_flops();
    if (mpi) MPI_Allreduce(MPI_IN_PLACE, &peak, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    LlamaAdamW opt = llama_adamw_defaults();
    double t_all = 0, t_comm = 0;
    for (int s = 0; s <= steps; s++) {
        if (mpi) MPI_Barrier(MPI_COMM_WORLD);
        double t0 = now();
        llama_model_zero_grad(&m);
        if (llama_model_forward(&m, tok, tgt, B, T, &err) != JF_OK ||
            llama_model_backward(&m, 1.0f / (float)size, &err) != JF_OK)
            return 1;
        double t1 = now();
        if (mpi)
            MPI_Allreduce(MPI_IN_PLACE, m.grads_mem, (int)m.num_params, MPI_FLOAT, MPI_SUM,
                          MPI_COMM_WORLD);
        double t2 = now();
        llama_model_clip_grad_norm(&m, 1.0);
        llama_model_adamw_step(&m, &opt, 3e-4f, &err);
        double t3 = now();
        if (s == 0) continue;   /* warm-up */
        t_all += t3 - t0;
        t_comm += t2 - t1;
    }
    double dt = t_all / steps;
    double n = (double)(m.num_params - cfg.vocab_size * cfg.dim);
    double fpt = 6 * n + 12.0 * (double)(cfg.n_layers * cfg.dim * T);
    double tps = (double)(N * (size_t)size) / dt;
    if (rank == 0) {
        printf("d %zu ffn %zu L %zu heads %zu V %zu T %zu B %zu x %d ranks: %zu params "
               "(%.1fM without embedding)\n", cfg.dim, cfg.hidden_dim, cfg.n_layers,
               cfg.n_heads, cfg.vocab_size, T, B, size, m.num_params, n / 1e6);
        printf("OpenBLAS %s, kernels %s, %d BLAS threads per rank\n", openblas_get_config(),
               openblas_get_corename(), openblas_get_num_threads());
        printf("step %.3f s (all-reduce %.3f s), %.0f tokens/s, %.1f GFLOP/s, peak %.1f "
               "GFLOP/s, MFU %.1f%%\n", dt, t_comm / steps, tps, tps * fpt / 1e9, peak / 1e9,
               100 * tps * fpt / peak);
    }
    jf_free(tok);
    llama_model_free(&m);
    if (mpi) MPI_Finalize();
    return 0;
}
