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
    d->train_begin = b[0];
    d->train_end = e[0];
    d->train_tokens = 0;
    for (uint64_t i = b[0]; i < e[0]; i++) d->train_tokens += mmidx_reader_length(r, i);
    mmidx_reader_close(r);
    d->samples_requested = megatron_dataset_samples(p->samples_requested, d->weight_normalized);
    if (d->train_tokens == 0 && d->samples_requested > 0)
        return jf_error_set(err, JF_EFORMAT, d->prefix, JF_OFFSET_UNKNOWN,
                            "the train split (sequences %llu..%llu) has no tokens",
                            (unsigned long long)b[0], (unsigned long long)e[0]);
    d->epochs = d->train_tokens ? megatron_num_epochs(d->train_tokens, p->seq_len,
                                                      d->samples_requested) : 0;
    return JF_OK;
}

/* Runs the blending index once and counts each dataset's samples. */
static JfStatus plan_count_drawn(BlendPlan *p, JfError *err)
{
    double nw[MEGATRON_MAX_DATASETS];
    for (size_t i = 0; i < p->n; i++) nw[i] = p->ds[i].weight_normalized;
    MegatronBlender b;
    JfStatus rc = megatron_blender_init(&b, nw, p->n, p->samples, err);
    if (rc != JF_OK) return rc;
    uint32_t d;
    uint64_t k;
    while (megatron_blender_next(&b, &d, &k)) {}
    for (size_t i = 0; i < p->n; i++) p->ds[i].samples_drawn = b.count[i];
    megatron_blender_free(&b);
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
    p->samples = 0;
    for (size_t i = 0; i < p->n; i++)
        p->samples += megatron_blend_share(p->samples_requested, p->ds[i].weight_normalized);
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

static json_t *dataset_to_json(const BlendPlan *p, const BlendPlanDataset *d)
{
    double drawn = (double)d->samples_drawn * p->seq_len;
    return json_pack("{s:s, s:s, s:f, s:f, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                     "s:I, s:f}",
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
                     "epochs_drawn", d->train_tokens ? drawn / (double)d->train_tokens : 0.0);
}

static json_t *plan_to_json(const BlendPlan *p)
{
    char *dp = blend_plan_data_path(p);
    json_t *ds = json_array();
    json_t *o = json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:s, s:[f,f,f], s:s?, s:o}",
                          "format", PLAN_FORMAT, "version", 1,
                          "samples_requested", (json_int_t)p->samples_requested,
                          "samples", (json_int_t)p->samples, "seq_len", (json_int_t)p->seq_len,
                          "seed", (json_int_t)p->seed, "split", p->split_text, "split_weights",
                          p->split[0], p->split[1], p->split[2], "data_path", dp,
                          "datasets", ds);
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
    snprintf(p->split_text, sizeof p->split_text, "%s", split);
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
