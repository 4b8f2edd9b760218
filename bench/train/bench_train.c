/* bench_train.c: tokens/s and MFU of the trainer's step (forward, backward,
 * gradient reduction under MPI, clip, AdamW) for a LLaMA shape given on the
 * command line. MFU = tokens/s x (6N + 12 L d T) / peak, N = parameters
 * without the embedding, peak = a timed 2048^3 sgemm on the same threads
 * (times ranks under MPI). Under mpirun each rank runs B sequences and the
 * gradients are reduced as train.c does (train_comm.h): in buckets of
 * BUCKET_MB MiB (environment, default 8) started during backward, or with
 * BUCKET_MB=0 one MPI_Allreduce after it. "exposed" is the time from the end
 * of backward to the end of the reduction: what overlap did not hide.
 *
 * Both wall and CPU time are measured. On a machine shared with other work,
 * wall-clock tokens/s falls with the load; FLOPs per CPU-second against the
 * peak sgemm's FLOPs per CPU-second (MFU(cpu)) is what the load disturbs
 * least (OpenBLAS threads that spin while waiting count as CPU time, so
 * compare it at one BLAS thread per rank). Not a test.
 * Usage: bench_train DIM HIDDEN LAYERS HEADS VOCAB T B [STEPS] */
#include <cblas.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "jf_alloc.h"
#include "llama_model.h"
#include "train_comm.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu_now(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

enum { PEAK_N = 2048, PEAK_REPS = 4 };

/* FLOP/s of PEAK_REPS sgemms PEAK_N^3; *cpu receives their CPU seconds. */
static double peak_flops(double *cpu)
{
    size_t N = PEAK_N;
    float *a = jf_malloc(3 * N * N * sizeof *a);
    for (size_t i = 0; i < 3 * N * N; i++) a[i] = (float)(i % 7) * 0.01f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, PEAK_N, PEAK_N, PEAK_N, 1, a, PEAK_N,
                a + N * N, PEAK_N, 0, a + 2 * N * N, PEAK_N);
    double t0 = now(), c0 = cpu_now();
    for (int r = 0; r < PEAK_REPS; r++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, PEAK_N, PEAK_N, PEAK_N, 1, a,
                    PEAK_N, a + N * N, PEAK_N, 0, a + 2 * N * N, PEAK_N);
    double dt = now() - t0;
    *cpu = cpu_now() - c0;
    jf_free(a);
    return 2.0 * (double)(N * N * N) * PEAK_REPS / dt;
}

typedef struct {
    double wall, cpu, exposed;   /* sums over the timed steps */
} StepTimes;

static int step(LlamaModel *m, TrainComm *comm, const int32_t *tok, const int32_t *tgt,
                size_t B, size_t T, float scale, StepTimes *st)
{
    JfError err;
    LlamaAdamW opt = llama_adamw_defaults();
    double t0 = now(), c0 = cpu_now();
    llama_model_zero_grad(m);
    LlamaBackwardHooks hk = comm ? train_comm_hooks(comm) : (LlamaBackwardHooks){ 0 };
    if (llama_model_forward(m, tok, tgt, B, T, &err) != JF_OK ||
        llama_model_backward_hooked(m, scale, &hk, &err) != JF_OK) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return -1;
    }
    double t1 = now();
    if (comm) train_comm_finish(comm);
    double t2 = now();
    llama_model_clip_grad_norm(m, 1.0);
    llama_model_adamw_step(m, &opt, 3e-4f, &err);
    st->wall += now() - t0;
    st->cpu += cpu_now() - c0;
    st->exposed += t2 - t1;
    return 0;
}

static void report(const LlamaModel *m, const LlamaConfig *cfg, size_t B, size_t T, int size,
                   int steps, const StepTimes *st, const double peak[2], const TrainComm *comm)
{
    double dt = st->wall / steps;
    double n = (double)(m->num_params - cfg->vocab_size * cfg->dim);
    double fpt = 6 * n + 12.0 * (double)(cfg->n_layers * cfg->dim * T);
    double tokens = (double)(B * T * (size_t)size), tps = tokens / dt;
    double tpc = tokens / (st->cpu / steps);   /* st->cpu: summed over ranks */
    double peak_per_cpu = 2.0 * PEAK_N * PEAK_N * PEAK_N * PEAK_REPS * size / peak[1];
    printf("d %zu ffn %zu L %zu heads %zu V %zu T %zu B %zu x %d ranks: %zu params "
           "(%.1fM without embedding)\n", cfg->dim, cfg->hidden_dim, cfg->n_layers,
           cfg->n_heads, cfg->vocab_size, T, B, size, m->num_params, n / 1e6);
    printf("OpenBLAS %s, kernels %s, %d BLAS threads per rank", openblas_get_config(),
           openblas_get_corename(), openblas_get_num_threads());
    if (comm && train_comm_buckets(comm))
        printf("; %zu buckets, %zu collectives per step", train_comm_buckets(comm),
               train_comm_pieces(comm));
    else if (comm)
        printf("; one all-reduce after backward");
    printf("\nstep %.3f s (exposed reduction %.3f s), %.0f tokens/s, %.1f GFLOP/s, peak %.1f "
           "GFLOP/s, MFU %.1f%%\n", dt, st->exposed / steps, tps, tps * fpt / 1e9, peak[0] / 1e9,
           100 * tps * fpt / peak[0]);
    printf("cpu %.3f s per step (all ranks): %.0f tokens per CPU-second, %.1f GFLOP per "
           "CPU-second, peak %.1f, MFU(cpu) %.1f%%\n", st->cpu / steps, tpc, tpc * fpt / 1e9,
           peak_per_cpu / 1e9, 100 * tpc * fpt / peak_per_cpu);
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
    const char *bmb = getenv("BUCKET_MB");
    double bucket_mb = bmb ? atof(bmb) : 8.0;
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
    TrainComm *comm = NULL;
    TrainCommOpts co = { .comm = MPI_COMM_WORLD,
                         .bucket_floats = (size_t)(bucket_mb * 1048576.0 / sizeof(float)) };
    if (mpi && size > 1 && train_comm_create(&m, &co, &comm, &err) != JF_OK) return 1;
    double peak[2];   /* FLOP/s, CPU seconds of the peak run */
    peak[0] = peak_flops(&peak[1]);
    StepTimes st = { 0 };
    for (int s = 0; s <= steps; s++) {
        if (mpi) MPI_Barrier(MPI_COMM_WORLD);
        StepTimes one = { 0 };
        if (step(&m, comm, tok, tgt, B, T, 1.0f / (float)size, &one) != 0) return 1;
        if (s == 0) continue;   /* warm-up */
        st.wall += one.wall;
        st.cpu += one.cpu;
        st.exposed += one.exposed;
    }
    if (mpi) {
        MPI_Allreduce(MPI_IN_PLACE, peak, 2, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &st.cpu, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &st.wall, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    }
    if (rank == 0) report(&m, &cfg, B, T, size, steps, &st, peak, comm);
    train_comm_free(comm);
    jf_free(tok);
    llama_model_free(&m);
    if (mpi) MPI_Finalize();
    return 0;
}
