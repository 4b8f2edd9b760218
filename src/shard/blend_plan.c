/* blend_plan.c: builds a blend plan from datasets on disk (each checked with
 * the MMIDIDX reader) and Megatron's rules, and stores it as JSON with
 * jansson. Does not build GPTDataset indices for training; the trainer does
 * that from the plan with megatron_order.h. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blend_plan.h"
#include "jf_alloc.h"
#include "jf_buf.h"
#include "megatron_order.h"
#include "mmidx.h"

#define PLAN_FORMAT "jaforge-blend-plan"

/* A usage error found while reading a plan file is a format error of it. */
static JfStatus as_format_error(JfError *err, const char *path)
{
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg);
    return jf_error_set(err, JF_EFORMAT, path, JF_OFFSET_UNKNOWN, "%s", msg);
}

JfStatus blend_plan_init(BlendPlan *p, size_t n, JfError *err)
{
    memset(p, 0, sizeof *p);
    if (n == 0 || n > MEGATRON_MAX_DATASETS)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "%zu datasets (Megatron blends 1 to %d)", n, MEGATRON_MAX_DATASETS);
    if (!(p->ds = jf_calloc(n, sizeof *p->ds)))
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    p->n = n;
    return JF_OK;
}

void blend_plan_free(BlendPlan *p)
{
    for (size_t i = 0; p->ds && i < p->n; i++) {
        jf_free(p->ds[i].prefix);
        jf_free(p->ds[i].weight_text);
    }
    jf_free(p->ds);
    memset(p, 0, sizeof *p);
}

static JfStatus parse_weight(BlendPlanDataset *d, size_t i, JfError *err)
{
    const char *t = d->weight_text;
    char *end;
    errno = 0;
    d->weight = strtod(t, &end);
    if (!*t || *end || errno == ERANGE || !isfinite(d->weight) || d->weight < 0)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "weight %zu '%s' is not a non-negative number (form: W1 PREFIX1 W2 "
                            "PREFIX2 ...)", i + 1, t);
    return JF_OK;
}

/* Normalizes p's weights in place (from the raw ones). */
static JfStatus plan_normalize(BlendPlan *p, JfError *err)
{
    double w[MEGATRON_MAX_DATASETS], nw[MEGATRON_MAX_DATASETS];
    for (size_t i = 0; i < p->n; i++) w[i] = p->ds[i].weight;
    JfStatus rc = megatron_weights_normalize(w, p->n, nw, err);
    for (size_t i = 0; rc == JF_OK && i < p->n; i++) p->ds[i].weight_normalized = nw[i];
    return rc;
}

const char *blend_split_name(int split)
{
    static const char *const NAME[BLEND_SPLITS] = { "train", "valid", "test" };
    return split >= 0 && split < BLEND_SPLITS ? NAME[split] : "?";
}

/* The samples split s asks of dataset d, and its epochs. */
static JfStatus plan_split_size(const BlendPlan *p, BlendPlanDataset *d, int s, JfError *err)
{
    BlendPlanSplit *x = &d->split[s];
    uint64_t n = p->split_requested[s];
    x->samples_requested = n ? megatron_dataset_samples(n, d->weight_normalized) : 0;
    if (x->tokens == 0 && x->samples_requested > 0)
        return jf_error_set(err, JF_EFORMAT, d->prefix, JF_OFFSET_UNKNOWN,
                            "the %s split (sequences %llu..%llu of %llu, --split %s) has no tokens",
                            blend_split_name(s), (unsigned long long)x->begin,
                            (unsigned long long)x->end, (unsigned long long)d->sequences,
                            p->split_text);
    x->epochs = x->samples_requested
                    ? megatron_num_epochs(x->tokens, p->seq_len, x->samples_requested) : 0;
    return JF_OK;
}

static JfStatus plan_read_dataset(const BlendPlan *p, BlendPlanDataset *d, JfError *err)
{
    MmidxReader *r;
    JfStatus rc = mmidx_reader_open(d->prefix, &r, err);
    if (rc != JF_OK) return rc;
    d->dtype = mmidx_reader_dtype(r);
    d->sequences = mmidx_reader_sequences(r);
    d->documents = mmidx_reader_documents(r);
    d->tokens = mmidx_reader_tokens(r);
    uint64_t b[3], e[3];
    megatron_split_ranges(p->split, d->sequences, b, e);
    for (int s = 0; s < BLEND_SPLITS; s++) {
        BlendPlanSplit *x = &d->split[s];
        *x = (BlendPlanSplit){ .begin = b[s], .end = e[s] };
        for (uint64_t i = b[s]; i < e[s]; i++) x->tokens += mmidx_reader_length(r, i);
    }
    mmidx_reader_close(r);
    for (int s = 0; rc == JF_OK && s < BLEND_SPLITS; s++) rc = plan_split_size(p, d, s, err);
    d->train_begin = d->split[0].begin;
    d->train_end = d->split[0].end;
    d->train_tokens = d->split[0].tokens;
    d->samples_requested = d->split[0].samples_requested;
    d->epochs = d->split[0].epochs;
    return rc;
}

/* Runs each split's blending index once and counts each dataset's samples. */
static JfStatus plan_count_drawn(BlendPlan *p, JfError *err)
{
    double nw[MEGATRON_MAX_DATASETS];
    for (size_t i = 0; i < p->n; i++) nw[i] = p->ds[i].weight_normalized;
    for (int s = 0; s < BLEND_SPLITS; s++) {
        MegatronBlender b;
        JfStatus rc = megatron_blender_init(&b, nw, p->n, p->split_samples[s], err);
        if (rc != JF_OK) return rc;
        uint32_t d;
        uint64_t k;
        while (megatron_blender_next(&b, &d, &k)) {}
        for (size_t i = 0; i < p->n; i++) p->ds[i].split[s].samples_drawn = b.count[i];
        megatron_blender_free(&b);
    }
    for (size_t i = 0; i < p->n; i++) p->ds[i].samples_drawn = p->ds[i].split[0].samples_drawn;
    return JF_OK;
}

JfStatus blend_plan_build(BlendPlan *p, JfError *err)
{
    JfStatus rc = JF_OK;
    if (p->seq_len == 0)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "sequence length is 0");
    for (size_t i = 0; rc == JF_OK && i < p->n; i++) rc = parse_weight(&p->ds[i], i, err);
    if (rc == JF_OK) rc = plan_normalize(p, err);
    if (rc == JF_OK) rc = megatron_split_parse(p->split_text, p->split, err);
    if (rc != JF_OK) return rc;
    p->split_requested[0] = p->samples_requested;
    for (int s = 0; s < BLEND_SPLITS; s++) {
        if (p->split[s] == 0) p->split_requested[s] = 0;     /* Megatron builds no such split */
        p->split_samples[s] = 0;
        for (size_t i = 0; i < p->n; i++)
            p->split_samples[s] += megatron_blend_share(p->split_requested[s],
                                                        p->ds[i].weight_normalized);
    }
    p->samples = p->split_samples[0];
    for (size_t i = 0; rc == JF_OK && i < p->n; i++) rc = plan_read_dataset(p, &p->ds[i], err);
    if (rc == JF_OK) rc = plan_count_drawn(p, err);
    return rc;
}

char *blend_plan_data_path(const BlendPlan *p)
{
    JfBuf b;
    jf_buf_init(&b, 0);
    JfStatus rc = JF_OK;
    for (size_t i = 0; rc == JF_OK && i < p->n; i++) {
        if (i) rc = jf_buf_append_byte(&b, ' ');
        if (rc == JF_OK) rc = jf_buf_append_str(&b, p->ds[i].weight_text);
        if (rc == JF_OK) rc = jf_buf_append_byte(&b, ' ');
        if (rc == JF_OK) rc = jf_buf_append_str(&b, p->ds[i].prefix);
    }
    if (rc == JF_OK) rc = jf_buf_append_byte(&b, 0);
    if (rc != JF_OK) {
        jf_buf_free(&b);
        return NULL;
    }
    return (char *)b.data;    /* jf_malloc'd by the buffer */
}

/* ---------------------------------------------------------------- JSON ---- */

static json_t *split_to_json(const BlendPlanSplit *x)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "begin", (json_int_t)x->begin,
                     "end", (json_int_t)x->end, "tokens", (json_int_t)x->tokens,
                     "samples_requested", (json_int_t)x->samples_requested,
                     "samples_drawn", (json_int_t)x->samples_drawn,
                     "epochs", (json_int_t)x->epochs);
}

static json_t *dataset_to_json(const BlendPlan *p, const BlendPlanDataset *d)
{
    double drawn = (double)d->samples_drawn * p->seq_len;
    return json_pack("{s:s, s:s, s:f, s:f, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                     "s:I, s:f, s:o, s:o}",
                     "prefix", d->prefix, "weight_text", d->weight_text, "weight", d->weight,
                     "weight_normalized", d->weight_normalized, "dtype", mmidx_dtype_name(d->dtype),
                     "sequences", (json_int_t)d->sequences, "documents", (json_int_t)d->documents,
                     "tokens", (json_int_t)d->tokens, "train_begin", (json_int_t)d->train_begin,
                     "train_end", (json_int_t)d->train_end,
                     "train_tokens", (json_int_t)d->train_tokens,
                     "samples_requested", (json_int_t)d->samples_requested,
                     "samples_drawn", (json_int_t)d->samples_drawn,
                     "tokens_drawn", (json_int_t)(d->samples_drawn * p->seq_len),
                     "epochs", (json_int_t)d->epochs,
                     "epochs_drawn", d->train_tokens ? drawn / (double)d->train_tokens : 0.0,
                     "valid", split_to_json(&d->split[BLEND_VALID]),
                     "test", split_to_json(&d->split[BLEND_TEST]));
}

static json_t *plan_to_json(const BlendPlan *p)
{
    char *dp = blend_plan_data_path(p);
    json_t *ds = json_array();
    json_t *o = json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:s, s:[f,f,f], s:s?, "
                          "s:{s:I, s:I}, s:{s:I, s:I}, s:o}",
                          "format", PLAN_FORMAT, "version", 1,
                          "samples_requested", (json_int_t)p->samples_requested,
                          "samples", (json_int_t)p->samples, "seq_len", (json_int_t)p->seq_len,
                          "seed", (json_int_t)p->seed, "split", p->split_text, "split_weights",
                          p->split[0], p->split[1], p->split[2], "data_path", dp,
                          "valid", "samples_requested", (json_int_t)p->split_requested[BLEND_VALID],
                          "samples", (json_int_t)p->split_samples[BLEND_VALID],
                          "test", "samples_requested", (json_int_t)p->split_requested[BLEND_TEST],
                          "samples", (json_int_t)p->split_samples[BLEND_TEST], "datasets", ds);
    jf_free(dp);
    for (size_t i = 0; o && i < p->n; i++) {
        json_t *d = dataset_to_json(p, &p->ds[i]);
        if (!d || json_array_append_new(ds, d) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

JfStatus blend_plan_write(const BlendPlan *p, const char *path, JfError *err)
{
    json_t *o = plan_to_json(p);
    if (!o) return jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "out of memory");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fail = json_dump_file(o, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(17) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (fail || rename(tmp, path) != 0) {
        unlink(tmp);
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot write the plan: %s",
                            strerror(errno));
    }
    return JF_OK;
}

/* A dataset's valid or test entry (absent in older plans: not built). */
static JfStatus split_from_json(json_t *j, BlendPlanSplit *x, const char *path, JfError *err)
{
    json_int_t v[6] = { 0 };
    json_error_t je;
    memset(x, 0, sizeof *x);
    if (!j) return JF_OK;
    if (json_unpack_ex(j, &je, 0, "{s:I, s:I, s:I, s:I, s:I, s:I}", "begin", &v[0], "end", &v[1],
                       "tokens", &v[2], "samples_requested", &v[3], "samples_drawn", &v[4],
                       "epochs", &v[5]) != 0)
        return jf_error_set(err, JF_EFORMAT, path, JF_OFFSET_UNKNOWN, "split entry: %s", je.text);
    for (int i = 0; i < 6; i++)
        if (v[i] < 0)
            return jf_error_set(err, JF_EFORMAT, path, JF_OFFSET_UNKNOWN, "negative count");
    *x = (BlendPlanSplit){ (uint64_t)v[0], (uint64_t)v[1], (uint64_t)v[2], (uint64_t)v[3],
                           (uint64_t)v[4], (uint64_t)v[5] };
    return JF_OK;
}

static JfStatus dataset_from_json(json_t *j, BlendPlanDataset *d, JfError *err, const char *path)
{
    const char *prefix = NULL, *wt = NULL;
    json_int_t seq = 0, docs = 0, tok = 0, tb = 0, te = 0, tt = 0, req = 0, drawn = 0, ep = 0;
    json_error_t je;
    if (json_unpack_ex(j, &je, 0, "{s:s, s:s, s:F, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                       "prefix", &prefix, "weight_text", &wt, "weight", &d->weight,
                       "sequences", &seq, "documents", &docs, "tokens", &tok, "train_begin", &tb,
                       "train_end", &te, "train_tokens", &tt, "samples_requested", &req,
                       "samples_drawn", &drawn, "epochs", &ep) != 0)
        return jf_error_set(err, JF_EFORMAT, path, JF_OFFSET_UNKNOWN, "dataset entry: %s", je.text);
    if (!(d->prefix = jf_strdup(prefix)) || !(d->weight_text = jf_strdup(wt)))
        return jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "out of memory");
    d->sequences = (uint64_t)seq;
    d->documents = (uint64_t)docs;
    d->tokens = (uint64_t)tok;
    d->train_begin = (uint64_t)tb;
    d->train_end = (uint64_t)te;
    d->train_tokens = (uint64_t)tt;
    d->samples_requested = (uint64_t)req;
    d->samples_drawn = (uint64_t)drawn;
    d->epochs = (uint64_t)ep;
    d->split[BLEND_TRAIN] = (BlendPlanSplit){ d->train_begin, d->train_end, d->train_tokens,
                                              d->samples_requested, d->samples_drawn, d->epochs };
    JfStatus rc = split_from_json(json_object_get(j, "valid"), &d->split[BLEND_VALID], path, err);
    if (rc == JF_OK)
        rc = split_from_json(json_object_get(j, "test"), &d->split[BLEND_TEST], path, err);
    return rc;
}

/* The plan's valid or test sizes (absent in older plans: not built). */
static JfStatus plan_split_from_json(json_t *j, BlendPlan *p, int s, const char *path, JfError *err)
{
    json_int_t req = 0, n = 0;
    json_error_t je;
    if (j && (json_unpack_ex(j, &je, 0, "{s:I, s:I}", "samples_requested", &req, "samples",
                             &n) != 0 || req < 0 || n < 0))
        return jf_error_set(err, JF_EFORMAT, path, JF_OFFSET_UNKNOWN,
                            "%s: samples_requested and samples expected", blend_split_name(s));
    p->split_requested[s] = (uint64_t)req;
    p->split_samples[s] = (uint64_t)n;
    return JF_OK;
}

static JfStatus plan_from_json(json_t *o, BlendPlan *p, const char *path, JfError *err)
{
    const char *format = NULL, *split = NULL;
    json_int_t version = 0, n_req = 0, n = 0, seq_len = 0, seed = 0;
    json_t *ds = NULL;
    json_error_t je;
    if (json_unpack_ex(o, &je, 0, "{s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:o}", "format", &format,
                       "version", &version, "samples_requested", &n_req, "samples", &n,
                       "seq_len", &seq_len, "seed", &seed, "split", &split, "datasets", &ds) != 0 ||
        strcmp(format, PLAN_FORMAT) != 0 || version != 1 || !json_is_array(ds) || n_req < 0 ||
        n < 0 || seq_len <= 0 || seq_len > UINT32_MAX || seed < 0 || seed > UINT32_MAX)
        return jf_error_set(err, JF_EFORMAT, path, JF_OFFSET_UNKNOWN,
                            "not a jaforge blend plan of version 1%s%s", je.text[0] ? ": " : "",
                            je.text);
    JfStatus rc = blend_plan_init(p, json_array_size(ds), err);
    if (rc != JF_OK) return rc == JF_EUSAGE ? as_format_error(err, path) : rc;
    p->samples_requested = (uint64_t)n_req;
    p->samples = (uint64_t)n;
    p->seq_len = (uint32_t)seq_len;
    p->seed = (uint32_t)seed;
    p->split_requested[BLEND_TRAIN] = p->samples_requested;
    p->split_samples[BLEND_TRAIN] = p->samples;
    snprintf(p->split_text, sizeof p->split_text, "%s", split);
    rc = plan_split_from_json(json_object_get(o, "valid"), p, BLEND_VALID, path, err);
    if (rc == JF_OK)
        rc = plan_split_from_json(json_object_get(o, "test"), p, BLEND_TEST, path, err);
    for (size_t i = 0; rc == JF_OK && i < p->n; i++)
        rc = dataset_from_json(json_array_get(ds, i), &p->ds[i], err, path);
    /* Normalize again from the raw weights: the same float64 steps give the
     * same bits whatever the JSON printer did. */
    if (rc == JF_OK) rc = plan_normalize(p, err);
    if (rc == JF_OK) rc = megatron_split_parse(p->split_text, p->split, err);
    if (rc == JF_EUSAGE) rc = as_format_error(err, path);
    return rc;
}

JfStatus blend_plan_read(const char *path, BlendPlan *p, JfError *err)
{
    memset(p, 0, sizeof *p);
    json_error_t je;
    json_t *o = json_load_file(path, 0, &je);
    if (!o) {
        if (je.position == 0 && access(path, R_OK) != 0)
            return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot read: %s",
                                strerror(errno));
        return jf_error_set(err, JF_EFORMAT, path, (uint64_t)je.position, "not JSON: %s", je.text);
    }
    JfStatus rc = plan_from_json(o, p, path, err);
    json_decref(o);
    if (rc != JF_OK) blend_plan_free(p);
    return rc;
}
