/* train.h: the training loop of `jaforge train`: config keys (docs/train.md),
 * Megatron-ordered data (train_data.h), LLaMA model (llama_model.h), AdamW
 * with linear warmup and cosine decay, gradient clipping, data parallelism
 * over MPI (gradients summed in buckets overlapped with backward,
 * train_comm.h; or ZeRO stage 1 with train.zero = 1: reduce-scatter in
 * buckets, sharded AdamW, all-gather), validation
 * per dataset and per language, atomic checkpoints and bit-exact resume,
 * continued training with an extended vocabulary (init.new_pieces,
 * llama_vocab.h).
 *
 * Outputs under out.dir (written by rank 0 only):
 *   log.csv          step,loss,lr,grad_norm,tokens_per_s,mfu,val_loss
 *                    [,val_loss_ja][,val_loss_en],val_loss_ds0,...
 *   loss.svg         the loss curves of log.csv (train_chart.h), redrawn at
 *                    every validation and checkpoint
 *   ckpt-STEP.bin    llama2.c checkpoint (llama_ckpt.h)
 *   optim-STEP.bin   AdamW state: "JFOPTIM1", u64 params, u64 adam step,
 *                    f32 m[params], f32 v[params] (little-endian); the same
 *                    file under ZeRO-1 (moments gathered on rank 0)
 *   state.json       {"step", "samples", "global_batch", "ckpt", "optim"}
 *
 * MPI: when MPI is initialised (MPI_Initialized), every rank of
 * MPI_COMM_WORLD must call train_run with the same config; otherwise it runs
 * alone with no MPI call. A rank that returns an error leaves the others in a
 * collective: the caller (the CLI) must MPI_Abort. Never prints: messages go
 * through hooks (rank 0 only). */
#ifndef TRAIN_H
#define TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "jf_config.h"
#include "jf_error.h"

#define TRAIN_MAX_LANGS 2   /* "ja", "en" */

typedef struct {
    uint64_t step, steps;
    double   loss;            /* mean over the global batch */
    double   lr, grad_norm;   /* norm before clipping */
    double   tokens_per_s;    /* all ranks */
    double   mfu;             /* (6N + 12 L C T) tokens/s over the measured peak */
    double   val_loss;        /* NAN when not measured at this step */
    double   val_lang[TRAIN_MAX_LANGS];   /* ja, en; NAN when absent */
} TrainStepInfo;

typedef struct {
    void (*on_step)(const TrainStepInfo *s, void *user);
    void (*on_note)(const char *msg, void *user);   /* one line, no newline */
    void *user;
} TrainHooks;

/* Runs (or resumes, when out.dir/state.json exists) the training the config
 * describes. hooks may be NULL.
 * @return JF_OK, JF_EUSAGE (missing or bad key, vocabulary too small, plan too
 * short for the steps), JF_EIO, JF_EFORMAT (data, checkpoint, state), JF_ENOMEM. */
JfStatus train_run(const JfConfig *cfg, const TrainHooks *hooks, JfError *err);

#endif
