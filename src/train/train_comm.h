/* train_comm.h: the gradient reduction of the data-parallel trainer over MPI,
 * overlapped with backward. The model's gradient groups
 * (llama_model_group_ranges: the LM head, then each block from the last,
 * then the embedding) are packed, in the order backward finishes them, into
 * buckets of at least bucket_floats floats; when a bucket's last group is
 * final (the ready hook of llama_model_backward_hooked, on the last
 * micro-batch of a step), non-blocking collectives on its ranges start, and
 * the poll hook (MPI_Testall, a few times per block) lets them progress:
 * Open MPI moves non-blocking collectives only inside MPI calls.
 * train_comm_finish waits for all of them.
 *
 * Two modes, as the optimizer needs:
 *   - replicated: each range is summed in place on every rank
 *     (MPI_Iallreduce, MPI_IN_PLACE);
 *   - ZeRO-1 (slices given): the part of a range inside rank r's parameter
 *     slice is summed onto rank r only (MPI_Ireduce, root r), into that
 *     rank's slice gradient buffer: the reduce-scatter, piece by piece.
 * With bucket_floats = 0, nothing happens during backward and finish runs
 * one blocking MPI_Allreduce (or MPI_Reduce_scatter) over all gradients, the
 * path before buckets existed. Every element is the same sum of the same
 * rank contributions either way, so on 2 ranks (a + b = b + a) the two
 * paths give bit-identical gradients; on more ranks MPI may sum in another
 * order (float rounding).
 *
 * Does not do: scaling, clipping, the optimizer, gathering parameters.
 * Every rank must create the same buckets and call the same sequence.
 * Never prints. */
#ifndef TRAIN_COMM_H
#define TRAIN_COMM_H

#include <mpi.h>
#include <stddef.h>

#include "jf_error.h"
#include "llama_model.h"

typedef struct TrainComm TrainComm;

typedef struct {
    MPI_Comm comm;
    size_t bucket_floats;        /* 0: one blocking collective in train_comm_finish */
    const int *counts, *displs;  /* ZeRO-1: every rank's parameter slice; NULL: replicated */
    float *shard_grad;           /* ZeRO-1: this rank's slice gradient (counts[rank] floats) */
} TrainCommOpts;

/* Plans the buckets of model m (its gradients, m->grads_mem, are what is
 * reduced; ranges over 2^30 floats are cut for MPI's int counts).
 * @return JF_OK or JF_ENOMEM. */
JfStatus train_comm_create(LlamaModel *m, const TrainCommOpts *o, TrainComm **out, JfError *err);
void train_comm_free(TrainComm *c);

/* Hooks for llama_model_backward_hooked on the step's last micro-batch
 * (both NULL with bucket_floats = 0). */
LlamaBackwardHooks train_comm_hooks(TrainComm *c);

/* Starts what has not started (all of it without buckets, or when backward
 * ran without the hooks), waits for every reduction of this step and
 * rearms the buckets for the next. */
void train_comm_finish(TrainComm *c);

/* Buckets planned (0 without buckets); collectives per step. */
size_t train_comm_buckets(const TrainComm *c);
size_t train_comm_pieces(const TrainComm *c);

#endif
