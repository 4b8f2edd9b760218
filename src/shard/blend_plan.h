/* blend_plan.h: a mixture of Megatron datasets planned the way Megatron will
 * draw it, and the plan file (JSON) that `jaforge blend` writes and the
 * trainer reads. The plan holds everything needed to rebuild Megatron's
 * order: prefixes, weights (as given and normalized), sizes of each dataset,
 * seq_len, seed, split, and for each of the train, valid and test splits the
 * samples asked for and the blend size, as BlendedMegatronDatasetBuilder
 * builds one blend per split (same weights, same seed; each dataset's
 * GPTDataset over that split's sequence range). Does not print; the CLI does.
 *
 * Plan file, one JSON object (numbers exact: doubles with 17 digits):
 *   format "jaforge-blend-plan", version 1,
 *   samples_requested N (train samples asked for), samples (train blend size
 *   = sum ceil(N·w_i)), seq_len, seed, split (text as given), split_weights
 *   [3 normalized], data_path (Megatron's --data-path string),
 *   valid, test: { samples_requested, samples } (0, 0: that split not built),
 *   datasets: [ { prefix, weight_text, weight, weight_normalized, dtype,
 *       sequences, documents, tokens, train_begin, train_end, train_tokens,
 *       samples_requested (ceil(ceil(N·w)·1.005)), samples_drawn (in the blend),
 *       tokens_drawn (samples_drawn · seq_len), epochs (GPTDataset's num_epochs),
 *       epochs_drawn (tokens_drawn / train_tokens),
 *       valid, test: { begin, end, tokens, samples_requested, samples_drawn,
 *       epochs } } ... ]
 * Plans without valid/test (older ones) read as those splits not built. */
#ifndef JF_BLEND_PLAN_H
#define JF_BLEND_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"

enum { BLEND_TRAIN = 0, BLEND_VALID = 1, BLEND_TEST = 2, BLEND_SPLITS = 3 };

/* "train", "valid", "test". */
const char *blend_split_name(int split);

/* One dataset in one split. */
typedef struct {
    uint64_t begin, end;            /* sequences of the split: [begin, end) */
    uint64_t tokens;                /* tokens per epoch */
    uint64_t samples_requested;     /* what Megatron asks the dataset for (0: not built) */
    uint64_t samples_drawn;         /* what the split's blend takes from it */
    uint64_t epochs;                /* GPTDataset's num_epochs (0: not built) */
} BlendPlanSplit;

typedef struct {
    char    *prefix;              /* owned; PREFIX of PREFIX.bin / PREFIX.idx */
    char    *weight_text;         /* owned; as the user wrote it (for --data-path) */
    double   weight;
    double   weight_normalized;   /* w / sum(w), float64 as numpy */
    int      dtype;               /* MMIDX code */
    uint64_t sequences, documents, tokens;
    uint64_t train_begin, train_end;   /* sequences of the train split (= split[0]) */
    uint64_t train_tokens;             /* tokens per epoch */
    uint64_t samples_requested;        /* what Megatron asks the dataset for */
    uint64_t samples_drawn;            /* what the blend takes from it */
    uint64_t epochs;                   /* GPTDataset's num_epochs for samples_requested */
    BlendPlanSplit split[BLEND_SPLITS];   /* train (the fields above), valid, test */
} BlendPlanDataset;

typedef struct {
    uint64_t          samples_requested;  /* N (train) */
    uint64_t          samples;            /* train blend size */
    uint32_t          seq_len;
    uint32_t          seed;
    char              split_text[64];
    double            split[3];
    uint64_t          split_requested[BLEND_SPLITS];  /* samples asked for, per split ([0] = N) */
    uint64_t          split_samples[BLEND_SPLITS];    /* blend size per split ([0] = samples) */
    size_t            n;
    BlendPlanDataset *ds;                 /* (n), owned */
} BlendPlan;

/* p zeroed; n datasets with prefix and weight_text owned (jf_strdup). */
JfStatus blend_plan_init(BlendPlan *p, size_t n, JfError *err);
void     blend_plan_free(BlendPlan *p);

/* From prefixes, weight texts, samples_requested, split_requested[1..2]
 * (valid and test samples; 0: none), seq_len, seed and split_text: parses
 * weights and split (JF_EUSAGE on bad ones), opens and checks every dataset
 * (JF_EIO when absent, JF_EFORMAT/JF_ETRUNC when damaged or when a split that
 * is asked for samples has no tokens; err names the file), and fills
 * everything else, running each split's blending index once to count what
 * each dataset gives. A split whose --split part is 0 is not built (Megatron
 * builds none), whatever was asked of it. */
JfStatus blend_plan_build(BlendPlan *p, JfError *err);

/* Writes the plan as JSON to path atomically (path.tmp, renamed). */
JfStatus blend_plan_write(const BlendPlan *p, const char *path, JfError *err);
/* Reads a plan; p must be freed with blend_plan_free. @return JF_EFORMAT for
 * a file that is not a plan of version 1, JF_EIO when unreadable. */
JfStatus blend_plan_read(const char *path, BlendPlan *p, JfError *err);

/* Megatron's --data-path string ("W1 P1 W2 P2 ..."), jf_malloc'd. */
char    *blend_plan_data_path(const BlendPlan *p);

#endif
