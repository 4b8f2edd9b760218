/* blend_plan.h: a mixture of Megatron datasets planned the way Megatron will
 * draw it, and the plan file (JSON) that `jaforge blend` writes and the
 * trainer reads. The plan holds everything needed to rebuild Megatron's
 * order: prefixes, weights (as given and normalized), sizes of each dataset,
 * seq_len, seed, split, blend size. Does not print; the CLI does.
 *
 * Plan file, one JSON object (numbers exact: doubles with 17 digits):
 *   format "jaforge-blend-plan", version 1,
 *   samples_requested N (samples asked for), samples (blend size = sum ceil(N·w_i)),
 *   seq_len, seed, split (text as given), split_weights [3 normalized],
 *   data_path (Megatron's --data-path string),
 *   datasets: [ { prefix, weight_text, weight, weight_normalized, dtype,
 *       sequences, documents, tokens, train_begin, train_end, train_tokens,
 *       samples_requested (ceil(ceil(N·w)·1.005)), samples_drawn (in the blend),
 *       tokens_drawn (samples_drawn · seq_len), epochs (GPTDataset's num_epochs),
 *       epochs_drawn (tokens_drawn / train_tokens) } ... ] */
#ifndef JF_BLEND_PLAN_H
#define JF_BLEND_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"

typedef struct {
    char    *prefix;              /* owned; PREFIX of PREFIX.bin / PREFIX.idx */
    char    *weight_text;         /* owned; as the user wrote it (for --data-path) */
    double   weight;
    double   weight_normalized;   /* w / sum(w), float64 as numpy */
    int      dtype;               /* MMIDX code */
    uint64_t sequences, documents, tokens;
    uint64_t train_begin, train_end;   /* sequences of the train split */
    uint64_t train_tokens;             /* tokens per epoch */
    uint64_t samples_requested;        /* what Megatron asks the dataset for */
    uint64_t samples_drawn;            /* what the blend takes from it */
    uint64_t epochs;                   /* GPTDataset's num_epochs for samples_requested */
} BlendPlanDataset;

typedef struct {
    uint64_t          samples_requested;  /* N */
    uint64_t          samples;            /* blend size */
    uint32_t          seq_len;
    uint32_t          seed;
    char              split_text[64];
    double            split[3];
    size_t            n;
    BlendPlanDataset *ds;                 /* (n), owned */
} BlendPlan;

/* p zeroed; n datasets with prefix and weight_text owned (jf_strdup). */
JfStatus blend_plan_init(BlendPlan *p, size_t n, JfError *err);
void     blend_plan_free(BlendPlan *p);

/* From prefixes, weight texts, samples_requested, seq_len, seed and
 * split_text: parses weights and split (JF_EUSAGE on bad ones), opens and
 * checks every dataset (JF_EIO when absent, JF_EFORMAT/JF_ETRUNC when damaged;
 * err names the file), and fills everything else, running the blending index
 * once to count what each dataset gives. */
JfStatus blend_plan_build(BlendPlan *p, JfError *err);

/* Writes the plan as JSON to path atomically (path.tmp, renamed). */
JfStatus blend_plan_write(const BlendPlan *p, const char *path, JfError *err);
/* Reads a plan; p must be freed with blend_plan_free. @return JF_EFORMAT for
 * a file that is not a plan of version 1, JF_EIO when unreadable. */
JfStatus blend_plan_read(const char *path, BlendPlan *p, JfError *err);

/* Megatron's --data-path string ("W1 P1 W2 P2 ..."), jf_malloc'd. */
char    *blend_plan_data_path(const BlendPlan *p);

#endif
