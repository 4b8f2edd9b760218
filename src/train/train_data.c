/* train_data.c: Megatron's BlendedDataset + GPTDataset order over the
 * datasets of a blend plan (see train_data.h). */
#include "train_data.h"

#include <string.h>

#include "jf_alloc.h"
#include "megatron_order.h"
#include "mmidx.h"

typedef struct {
    MmidxReader     *reader;
    uint32_t        *sizes;     /* (S) sequence lengths */
    MegatronGptIndex train;     /* over the train split */
    MegatronGptIndex val;       /* over the held-out range; zeroed when none */
    uint64_t         val_samples;
} DataSet;

struct TrainData {
    BlendPlan  plan;
    DataSet   *ds;              /* (plan.n) */
    uint8_t   *blend_ds;        /* (plan.samples) dataset of each blended sample */
    uint64_t  *blend_sample;    /* (plan.samples) sample inside that dataset */
    uint32_t  *seq;             /* scratch: one sequence, max length */
    size_t     seq_cap;
    uint32_t   max_token;
};

static JfStatus data_blend_build(TrainData *d, JfError *err)
{
    double w[MEGATRON_MAX_DATASETS];
    for (size_t i = 0; i < d->plan.n; i++) w[i] = d->plan.ds[i].weight_normalized;
    d->blend_ds = jf_malloc(d->plan.samples * sizeof *d->blend_ds + 1);
    d->blend_sample = jf_malloc(d->plan.samples * sizeof *d->blend_sample + 1);
    if (!d->blend_ds || !d->blend_sample)
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    MegatronBlender b;
    JfStatus st = megatron_blender_init(&b, w, d->plan.n, d->plan.samples, err);
    if (st != JF_OK) return st;
    uint32_t ds;
    uint64_t s, i = 0;
    while (megatron_blender_next(&b, &ds, &s)) {
        d->blend_ds[i] = (uint8_t)ds;
        d->blend_sample[i++] = s;
    }
    megatron_blender_free(&b);
    return JF_OK;
}

/* Held-out range: the plan's valid split, else the last 1% of sequences. */
static void data_val_range(const BlendPlan *p, uint64_t seqs, uint64_t *b, uint64_t *e)
{
    uint64_t begin[3], end[3];
    megatron_split_ranges(p->split, seqs, begin, end);
    if (end[1] > begin[1]) {
        *b = begin[1];
        *e = end[1];
        return;
    }
    uint64_t n = seqs / 100 ? seqs / 100 : 1;
    *b = seqs - n;
    *e = seqs;
}

static JfStatus data_set_open(TrainData *d, size_t i, uint64_t val_samples, JfError *err)
{
    DataSet *x = &d->ds[i];
    const BlendPlanDataset *pd = &d->plan.ds[i];
    JfStatus st = mmidx_reader_open(pd->prefix, &x->reader, err);
    if (st != JF_OK) return st;
    uint64_t S = mmidx_reader_sequences(x->reader);
    x->sizes = jf_malloc(S * sizeof *x->sizes + 1);
    if (!x->sizes) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    size_t longest = 0;
    for (uint64_t s = 0; s < S; s++) {
        x->sizes[s] = mmidx_reader_length(x->reader, s);
        if (x->sizes[s] > longest) longest = x->sizes[s];
    }
    if (longest > d->seq_cap) {
        jf_free(d->seq);
        d->seq = jf_malloc(longest * sizeof *d->seq);
        if (!d->seq) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
        d->seq_cap = longest;
    }
    for (uint64_t s = 0; s < S; s++) {   /* largest id, for the vocabulary check */
        st = mmidx_reader_read(x->reader, s, d->seq, err);
        if (st != JF_OK) return st;
        for (uint32_t k = 0; k < x->sizes[s]; k++)
            if (d->seq[k] > d->max_token) d->max_token = d->seq[k];
    }
    st = megatron_gpt_index_build(x->sizes, pd->train_begin, pd->train_end,
                                  pd->samples_requested, d->plan.seq_len, d->plan.seed,
                                  &x->train, err);
    if (st != JF_OK) {
        jf_error_set(err, st, pd->prefix, JF_OFFSET_UNKNOWN, "train split: %s", err->msg);
        return st;
    }
    if (val_samples == 0) return JF_OK;
    uint64_t vb, ve;
    data_val_range(&d->plan, S, &vb, &ve);
    st = megatron_gpt_index_build(x->sizes, vb, ve, val_samples, d->plan.seq_len, d->plan.seed,
                                  &x->val, err);
    if (st != JF_OK) {
        jf_error_set(err, st, pd->prefix, JF_OFFSET_UNKNOWN, "held-out range: %s", err->msg);
        return st;
    }
    x->val_samples = val_samples;
    return JF_OK;
}

JfStatus train_data_open(const char *plan_path, uint64_t val_samples, TrainData **out,
                         JfError *err)
{
    *out = NULL;
    TrainData *d = jf_calloc(1, sizeof *d);
    if (!d) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    JfStatus st = blend_plan_read(plan_path, &d->plan, err);
    if (st != JF_OK) {
        jf_free(d);
        return st;
    }
    d->ds = jf_calloc(d->plan.n ? d->plan.n : 1, sizeof *d->ds);
    if (!d->ds) {
        st = jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
        goto out_close;
    }
    for (size_t i = 0; i < d->plan.n && st == JF_OK; i++)
        st = data_set_open(d, i, val_samples, err);
    if (st == JF_OK) st = data_blend_build(d, err);
out_close:
    if (st != JF_OK) {
        train_data_close(d);
        return st;
    }
    *out = d;
    return JF_OK;
}

void train_data_close(TrainData *d)
{
    if (!d) return;
    for (size_t i = 0; d->ds && i < d->plan.n; i++) {
        mmidx_reader_close(d->ds[i].reader);
        jf_free(d->ds[i].sizes);
        megatron_gpt_index_free(&d->ds[i].train);
        megatron_gpt_index_free(&d->ds[i].val);
    }
    jf_free(d->ds);
    jf_free(d->blend_ds);
    jf_free(d->blend_sample);
    jf_free(d->seq);
    blend_plan_free(&d->plan);
    jf_free(d);
}

const BlendPlan *train_data_plan(const TrainData *d) { return &d->plan; }
uint64_t train_data_samples(const TrainData *d) { return d->plan.samples; }
uint32_t train_data_seq_len(const TrainData *d) { return d->plan.seq_len; }
size_t   train_data_datasets(const TrainData *d) { return d->plan.n; }
uint32_t train_data_max_token(const TrainData *d) { return d->max_token; }

void train_data_locate(const TrainData *d, uint64_t i, uint32_t *dataset, uint64_t *sample)
{
    *dataset = d->blend_ds[i];
    *sample = d->blend_sample[i];
}

/* Appends tokens [from, to) of sequence seq of x to out. */
static JfStatus data_copy(TrainData *d, const DataSet *x, int32_t seq, uint64_t from,
                          uint64_t to, int32_t *out, JfError *err)
{
    JfStatus st = mmidx_reader_read(x->reader, (uint64_t)seq, d->seq, err);
    if (st != JF_OK) return st;
    for (uint64_t k = from; k < to; k++) out[k - from] = (int32_t)d->seq[k];
    return JF_OK;
}

/* GPTDataset.__getitem__(s): seq_len + 1 tokens starting at sample_index row
 * shuffle[s], through row shuffle[s] + 1 (inclusive of its offset). */
static JfStatus data_gpt_get(TrainData *d, const DataSet *x, const MegatronGptIndex *g,
                             uint64_t s, int32_t *out, JfError *err)
{
    if (s >= g->shuffle_count)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "sample %llu past the dataset's %zu", (unsigned long long)s,
                            g->shuffle_count);
    int64_t row = g->shuffle_index[s];
    int64_t df = g->sample_index[2 * row], of = g->sample_index[2 * row + 1];
    int64_t dl = g->sample_index[2 * row + 2], ol = g->sample_index[2 * row + 3];
    if (df == dl) return data_copy(d, x, g->doc_index[df], (uint64_t)of, (uint64_t)ol + 1, out, err);
    size_t n = 0;
    int32_t doc = g->doc_index[df];
    JfStatus st = data_copy(d, x, doc, (uint64_t)of, x->sizes[doc], out, err);
    n += x->sizes[doc] - (uint64_t)of;
    for (int64_t k = df + 1; k < dl && st == JF_OK; k++) {
        doc = g->doc_index[k];
        st = data_copy(d, x, doc, 0, x->sizes[doc], out + n, err);
        n += x->sizes[doc];
    }
    if (st == JF_OK) st = data_copy(d, x, g->doc_index[dl], 0, (uint64_t)ol + 1, out + n, err);
    return st;
}

JfStatus train_data_dataset_sample(TrainData *d, size_t ds, uint64_t s, int32_t *out,
                                   JfError *err)
{
    if (ds >= d->plan.n)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "no dataset %zu", ds);
    return data_gpt_get(d, &d->ds[ds], &d->ds[ds].train, s, out, err);
}

JfStatus train_data_sample(TrainData *d, uint64_t i, int32_t *out, JfError *err)
{
    if (i >= d->plan.samples)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "sample %llu past the blend's %llu (plan more samples with "
                            "jaforge blend --samples)", (unsigned long long)i,
                            (unsigned long long)d->plan.samples);
    return train_data_dataset_sample(d, d->blend_ds[i], d->blend_sample[i], out, err);
}

JfStatus train_data_val_sample(TrainData *d, size_t ds, uint64_t j, int32_t *out,
                               JfError *err)
{
    if (ds >= d->plan.n || j >= d->ds[ds].val_samples)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "no validation sample %llu of dataset %zu", (unsigned long long)j, ds);
    return data_gpt_get(d, &d->ds[ds], &d->ds[ds].val, j, out, err);
}
