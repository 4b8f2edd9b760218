/* train_data.h: the trainer's samples, in Megatron's order. Opens the plan
 * written by `jaforge blend` (blend_plan.h) and its Megatron datasets
 * (mmidx.h), rebuilds the BlendedDataset index (sample i of the blend ->
 * dataset d, sample s of d) and each dataset's GPTDataset indices over its
 * train split (megatron_order.h), and copies out sample windows of
 * seq_len + 1 tokens exactly as GPTDataset.__getitem__ does (shuffle index ->
 * sample index rows -> documents of the document index, spanning documents).
 *
 * Held-out data: per dataset, a GPTDataset over the valid range of the plan's
 * split ([begin[1], end[1]) of megatron_split_ranges); when that range is
 * empty, the last 1% of sequences (at least one). Validation samples are
 * taken in that dataset's shuffle order.
 *
 * Does not: tokenize, batch across ranks (train.c does), or print. */
#ifndef TRAIN_DATA_H
#define TRAIN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "blend_plan.h"
#include "jf_error.h"

typedef struct TrainData TrainData;

/* Opens plan_path, its datasets and builds all indices. val_samples is the
 * number of validation samples wanted per dataset (0: none).
 * @return JF_OK, JF_EIO / JF_EFORMAT / JF_ETRUNC (plan or dataset, err names
 * the file), JF_EUSAGE (a dataset whose split has no tokens), JF_ENOMEM. */
JfStatus train_data_open(const char *plan_path, uint64_t val_samples, TrainData **out,
                         JfError *err);
void     train_data_close(TrainData *d);                 /* accepts NULL */

/* The plan (borrowed, valid until close). */
const BlendPlan *train_data_plan(const TrainData *d);
uint64_t train_data_samples(const TrainData *d);         /* blend size */
uint32_t train_data_seq_len(const TrainData *d);         /* T; samples are T + 1 tokens */
size_t   train_data_datasets(const TrainData *d);
/* Largest token id in any dataset (scanned at open). */
uint32_t train_data_max_token(const TrainData *d);

/* Dataset and sample-in-dataset of blended sample i (i < samples). */
void     train_data_locate(const TrainData *d, uint64_t i, uint32_t *dataset, uint64_t *sample);

/* Copies the seq_len + 1 tokens of blended sample i into out.
 * @return JF_OK, JF_EUSAGE (i out of range), JF_EFORMAT (bad dataset bytes). */
JfStatus train_data_sample(TrainData *d, uint64_t i, int32_t *out, JfError *err);
/* The same for sample s (< the dataset's sample count) of dataset ds's train
 * GPTDataset, bypassing the blend. */
JfStatus train_data_dataset_sample(TrainData *d, size_t ds, uint64_t s, int32_t *out,
                                   JfError *err);
/* Validation sample j (j < val_samples) of dataset ds. */
JfStatus train_data_val_sample(TrainData *d, size_t ds, uint64_t j, int32_t *out,
                               JfError *err);

#endif
