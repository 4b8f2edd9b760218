/* megatron_order.h: the order in which Megatron-LM / Megatron-DeepSpeed feed
 * samples, reproduced exactly (formats.md §4): weight normalization in
 * float64, per-dataset sample counts with the 0.5% surplus, the greedy
 * blending index, numpy RandomState's MT19937 and shuffle, GPTDataset's
 * document / sample / shuffle indices and the --split ranges.
 * Does not read datasets (mmidx.h does) and does no I/O at all. */
#ifndef JF_MEGATRON_ORDER_H
#define JF_MEGATRON_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"

/* ------------------------------------------ numpy RandomState (MT19937) ---- */

#define MT_STATE_LEN 624

typedef struct {
    uint32_t key[MT_STATE_LEN];
    int      pos;
} MtRng;

/* numpy.random.RandomState(seed): MT19937 init_genrand(seed). */
void     mt_rng_seed(MtRng *r, uint32_t seed);
uint32_t mt_rng_next32(MtRng *r);
/* Two 32-bit draws, the first one high (numpy's next_uint64 for MT19937). */
uint64_t mt_rng_next64(MtRng *r);
/* A value in [0, max] as numpy's random_interval: mask to the next power of
 * two minus one, reject above max; 32-bit draws while max fits 32 bits, else
 * 64-bit draws. */
uint64_t mt_rng_interval(MtRng *r, uint64_t max);
/* RandomState.shuffle of a 1-D array: for i = n-1..1, swap a[i] and
 * a[interval(i)]. */
void     mt_rng_shuffle_i32(MtRng *r, int32_t *a, size_t n);
void     mt_rng_shuffle_i64(MtRng *r, int64_t *a, size_t n);

/* ------------------------------------------------------------ blending ---- */

/* Megatron keeps a dataset's index in a uint8. */
#define MEGATRON_MAX_DATASETS 255

/* numpy.sum of n doubles (pairwise summation, bit-exact). */
double   megatron_sum(const double *a, size_t n);
/* out[i] = w[i] / sum(w) in float64. @return JF_EUSAGE when a weight is
 * negative or not finite, the sum is not positive, or n is 0 or too large. */
JfStatus megatron_weights_normalize(const double *w, size_t n, double *out, JfError *err);
/* ceil(n·w): the samples dataset i contributes to a blend of n. */
uint64_t megatron_blend_share(uint64_t n, double w);
/* ceil(ceil(n·w)·1.005): the samples dataset i is asked to provide. */
uint64_t megatron_dataset_samples(uint64_t n, double w);

/* The blending index, one sample at a time (Megatron's build_blending_indices:
 * x = max(s, 1); pick argmax_i w_i·x - count_i, strict '>', ties to the lowest). */
typedef struct {
    const double *w;          /* normalized weights, borrowed */
    uint64_t     *count;      /* samples taken from each dataset so far (owned) */
    size_t        n;          /* datasets */
    uint64_t      s, size;    /* next sample, blend size */
} MegatronBlender;

/* w (normalized) must outlive b. @return JF_OK, JF_ENOMEM, JF_EUSAGE. */
JfStatus megatron_blender_init(MegatronBlender *b, const double *w, size_t n, uint64_t size,
                               JfError *err);
/* @return false once size samples were produced; else fills the dataset and
 * the sample index inside it. */
bool     megatron_blender_next(MegatronBlender *b, uint32_t *dataset, uint64_t *sample);
void     megatron_blender_free(MegatronBlender *b);

/* ------------------------------------------------------------- --split ---- */

/* Parses "969,30,1" (or "a/b/c", fewer parts padded with 0) into normalized
 * weights. @return JF_EUSAGE for non-numbers, negatives, > 3 parts, zero sum. */
JfStatus megatron_split_parse(const char *text, double split[3], JfError *err);
/* Sequence ranges [begin[i], end[i]) of train, valid, test over S sequences:
 * round(sum(split[:i])·S) .. round(sum(split[:i+1])·S), half to even. */
void     megatron_split_ranges(const double split[3], uint64_t s, uint64_t begin[3],
                               uint64_t end[3]);

/* ---------------------------------------------------------- GPTDataset ---- */

/* Smallest e with (e·tokens_per_epoch - 1) // seq_len >= num_samples;
 * tokens_per_epoch and seq_len must be > 0. */
uint64_t megatron_num_epochs(uint64_t tokens_per_epoch, uint32_t seq_len, uint64_t num_samples);

typedef struct {
    uint64_t num_epochs;
    uint64_t tokens_per_epoch;
    bool     separate_last_epoch;
    int32_t *doc_index;       /* (doc_count) document ids, shuffled */
    size_t   doc_count;
    int64_t *sample_index;    /* (sample_rows, 2): position in doc_index, token offset */
    size_t   sample_rows;     /* samples + 1 */
    int64_t *shuffle_index;   /* (sample_rows - 1) */
    size_t   shuffle_count;
} MegatronGptIndex;

/* helpers.cpp build_sample_idx: fills rows pairs (position in doc_index,
 * token offset) into out (rows × 2); samples are seq_len + 1 tokens and
 * consecutive ones share a token. doc_index must hold enough tokens for
 * rows - 1 samples. */
void     megatron_sample_index_fill(int64_t *out, const uint32_t *sizes, const int32_t *doc_index,
                                    uint64_t rows, uint32_t seq_len);

/* GPTDataset's three indices for documents [doc_begin, doc_end) whose lengths
 * are sizes[doc] (all sequences of the dataset), asked for num_samples
 * samples of seq_len + 1 tokens, numpy RandomState(seed).
 * @return JF_OK (out filled, free with megatron_gpt_index_free), JF_EUSAGE
 * when the range has no tokens or seq_len is 0, JF_ETOOBIG past int32
 * document ids, JF_ENOMEM. */
JfStatus megatron_gpt_index_build(const uint32_t *sizes, uint64_t doc_begin, uint64_t doc_end,
                                  uint64_t num_samples, uint32_t seq_len, uint32_t seed,
                                  MegatronGptIndex *out, JfError *err);
void     megatron_gpt_index_free(MegatronGptIndex *x);

#endif
