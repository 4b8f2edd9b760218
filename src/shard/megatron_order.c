/* megatron_order.c: Megatron's sample order, bit for bit: numpy's MT19937 and
 * RandomState.shuffle, numpy's pairwise float64 sum, the blending index of
 * megatron/core/datasets/helpers.cpp, GPTDataset's _build_doc_idx,
 * build_sample_idx and _build_shuffle_idx, and the --split ranges.
 * Floating point is kept in the order Python/numpy evaluate it; the target is
 * built with -ffp-contract=off so no FMA changes a rounding. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jf_alloc.h"
#include "megatron_order.h"

/* ------------------------------------------------------------- MT19937 ---- */

#define MT_M 397
#define MT_MATRIX_A 0x9908b0dfU
#define MT_UPPER 0x80000000U
#define MT_LOWER 0x7fffffffU

void mt_rng_seed(MtRng *r, uint32_t seed)
{
    for (int i = 0; i < MT_STATE_LEN; i++) {
        r->key[i] = seed;
        seed = 1812433253U * (seed ^ (seed >> 30)) + (uint32_t)i + 1;
    }
    r->pos = MT_STATE_LEN;
}

static uint32_t mt_twist(uint32_t a, uint32_t b, uint32_t m)
{
    uint32_t y = (a & MT_UPPER) | (b & MT_LOWER);
    return m ^ (y >> 1) ^ ((0U - (y & 1U)) & MT_MATRIX_A);
}

static void mt_generate(MtRng *r)
{
    uint32_t *k = r->key;
    int i;
    for (i = 0; i < MT_STATE_LEN - MT_M; i++) k[i] = mt_twist(k[i], k[i + 1], k[i + MT_M]);
    for (; i < MT_STATE_LEN - 1; i++) k[i] = mt_twist(k[i], k[i + 1], k[i + MT_M - MT_STATE_LEN]);
    k[MT_STATE_LEN - 1] = mt_twist(k[MT_STATE_LEN - 1], k[0], k[MT_M - 1]);
    r->pos = 0;
}

uint32_t mt_rng_next32(MtRng *r)
{
    if (r->pos >= MT_STATE_LEN) mt_generate(r);
    uint32_t y = r->key[r->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= y >> 18;
    return y;
}

uint64_t mt_rng_next64(MtRng *r)
{
    uint64_t hi = mt_rng_next32(r);
    return hi << 32 | mt_rng_next32(r);
}

uint64_t mt_rng_interval(MtRng *r, uint64_t max)
{
    if (max == 0) return 0;
    uint64_t mask = max, v;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    if (max <= 0xffffffffU) {
        while ((v = (mt_rng_next32(r) & mask)) > max) {}
    } else {
        while ((v = (mt_rng_next64(r) & mask)) > max) {}
    }
    return v;
}

void mt_rng_shuffle_i32(MtRng *r, int32_t *a, size_t n)
{
    for (size_t i = n > 0 ? n - 1 : 0; i >= 1; i--) {
        size_t j = (size_t)mt_rng_interval(r, i);
        int32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

void mt_rng_shuffle_i64(MtRng *r, int64_t *a, size_t n)
{
    for (size_t i = n > 0 ? n - 1 : 0; i >= 1; i--) {
        size_t j = (size_t)mt_rng_interval(r, i);
        int64_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* ------------------------------------------------------------ blending ---- */

/* numpy's pairwise_sum for float64 (8 accumulators, blocks of 128). */
static double pairwise_sum(const double *a, size_t n)
{
    if (n < 8) {
        double res = 0.;
        for (size_t i = 0; i < n; i++) res += a[i];
        return res;
    }
    if (n <= 128) {
        double r[8];
        size_t i;
        for (int k = 0; k < 8; k++) r[k] = a[k];
        for (i = 8; i < n - (n % 8); i += 8)
            for (int k = 0; k < 8; k++) r[k] += a[i + k];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += a[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

double megatron_sum(const double *a, size_t n)
{
    return 0. + pairwise_sum(a, n);    /* add.reduce starts from its identity */
}

JfStatus megatron_weights_normalize(const double *w, size_t n, double *out, JfError *err)
{
    if (n == 0 || n > MEGATRON_MAX_DATASETS)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "%zu datasets (Megatron blends 1 to %d)", n, MEGATRON_MAX_DATASETS);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(w[i]) || w[i] < 0)
            return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                                "weight %zu is %g (weights must be finite and >= 0)", i + 1, w[i]);
    double sum = megatron_sum(w, n);
    if (!(sum > 0) || !isfinite(sum))
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "weights sum to %g (must be positive)", sum);
    for (size_t i = 0; i < n; i++) out[i] = w[i] / sum;
    return JF_OK;
}

uint64_t megatron_blend_share(uint64_t n, double w)
{
    return (uint64_t)ceil((double)n * w);
}

uint64_t megatron_dataset_samples(uint64_t n, double w)
{
    return (uint64_t)ceil(ceil((double)n * w) * 1.005);
}

JfStatus megatron_blender_init(MegatronBlender *b, const double *w, size_t n, uint64_t size,
                               JfError *err)
{
    memset(b, 0, sizeof *b);
    if (n == 0 || n > MEGATRON_MAX_DATASETS)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "%zu datasets", n);
    if (!(b->count = jf_calloc(n, sizeof *b->count)))
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    b->w = w;
    b->n = n;
    b->size = size;
    return JF_OK;
}

bool megatron_blender_next(MegatronBlender *b, uint32_t *dataset, uint64_t *sample)
{
    if (b->s >= b->size) return false;
    double x = (double)b->s;
    if (x < 1.0) x = 1.0;
    size_t best = 0;
    double best_err = b->w[0] * x - (double)b->count[0];
    for (size_t i = 1; i < b->n; i++) {
        double e = b->w[i] * x - (double)b->count[i];
        if (e > best_err) {
            best_err = e;
            best = i;
        }
    }
    *dataset = (uint32_t)best;
    *sample = b->count[best]++;
    b->s++;
    return true;
}

void megatron_blender_free(MegatronBlender *b)
{
    jf_free(b->count);
    b->count = NULL;
}

/* ------------------------------------------------------------- --split ---- */

JfStatus megatron_split_parse(const char *text, double split[3], JfError *err)
{
    double raw[3] = { 0, 0, 0 };
    const char *p = text;
    size_t n = 0;
    for (;;) {
        char *end;
        if (n == 3 || !(isdigit((unsigned char)*p) || *p == '.'))
            return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                                "--split '%s': expected up to 3 non-negative numbers like 969,30,1",
                                text);
        raw[n++] = strtod(p, &end);
        if (end == p || !isfinite(raw[n - 1]))
            return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                                "--split '%s': not a number at '%s'", text, p);
        if (*end == '\0') break;
        if (*end != ',' && *end != '/')
            return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                                "--split '%s': unexpected '%c'", text, *end);
        p = end + 1;
    }
    double sum = megatron_sum(raw, 3);
    if (!(sum > 0))
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "--split '%s': parts sum to zero", text);
    for (int i = 0; i < 3; i++) split[i] = raw[i] / sum;
    return JF_OK;
}

void megatron_split_ranges(const double split[3], uint64_t s, uint64_t begin[3], uint64_t end[3])
{
    double acc = 0.;
    for (int i = 0; i < 3; i++) {
        /* Python: round(sum(split[:i]) * float(S)), round half to even. */
        begin[i] = (uint64_t)nearbyint(acc * (double)s);
        acc += split[i];
        end[i] = (uint64_t)nearbyint(acc * (double)s);
    }
}

/* ---------------------------------------------------------- GPTDataset ---- */

uint64_t megatron_num_epochs(uint64_t tokens_per_epoch, uint32_t seq_len, uint64_t num_samples)
{
    /* Megatron loops e = 1, 2, ... until (e·tpe - 1) // seq_len >= n, i.e.
     * e·tpe >= n·seq_len + 1; closed form so huge n over tiny data is quick. */
    unsigned __int128 need = (unsigned __int128)num_samples * seq_len + 1;
    unsigned __int128 e = (need + tokens_per_epoch - 1) / tokens_per_epoch;
    return e > UINT64_MAX ? UINT64_MAX : (uint64_t)e;
}

/* _build_doc_idx for one run of epochs: documents repeated, then shuffled. */
static void doc_index_fill(int32_t *out, uint64_t begin, uint64_t end, uint64_t epochs, MtRng *rng)
{
    size_t k = 0;
    for (uint64_t e = 0; e < epochs; e++)
        for (uint64_t d = begin; d < end; d++) out[k++] = (int32_t)d;
    mt_rng_shuffle_i32(rng, out, k);
}

void megatron_sample_index_fill(int64_t *out, const uint32_t *sizes, const int32_t *doc_index,
                                uint64_t rows, uint32_t seq_len)
{
    int64_t pos = 0, offset = 0;
    out[0] = out[1] = 0;
    for (uint64_t s = 1; s < rows; s++) {
        int64_t remaining = (int64_t)seq_len + 1;
        while (remaining != 0) {
            int64_t len = (int64_t)sizes[doc_index[pos]] - offset;
            remaining -= len;
            if (remaining <= 0) {
                offset += remaining + len - 1;
                remaining = 0;
            } else {
                pos++;
                offset = 0;
            }
        }
        out[2 * s] = pos;
        out[2 * s + 1] = offset;
    }
}

static void shuffle_index_fill(int64_t *out, uint64_t first, uint64_t total, MtRng *rng)
{
    for (uint64_t i = 0; i < total; i++) out[i] = (int64_t)i;
    mt_rng_shuffle_i64(rng, out, first);
    if (first != total) mt_rng_shuffle_i64(rng, out + first, total - first);
}

JfStatus megatron_gpt_index_build(const uint32_t *sizes, uint64_t doc_begin, uint64_t doc_end,
                                  uint64_t num_samples, uint32_t seq_len, uint32_t seed,
                                  MegatronGptIndex *out, JfError *err)
{
    memset(out, 0, sizeof *out);
    uint64_t tpe = 0;
    for (uint64_t d = doc_begin; d < doc_end; d++) tpe += sizes[d];
    if (seq_len == 0 || tpe == 0)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            seq_len ? "the split has no tokens" : "sequence length is 0");
    if (doc_end > (uint64_t)INT32_MAX)
        return jf_error_set(err, JF_ETOOBIG, NULL, JF_OFFSET_UNKNOWN,
                            "more than 2^31 documents (Megatron's int32 document index)");
    uint64_t e = megatron_num_epochs(tpe, seq_len, num_samples);
    uint64_t ndocs = doc_end - doc_begin;
    if (e > UINT64_MAX / tpe || e > (SIZE_MAX / sizeof(int32_t)) / ndocs ||
        (e * tpe - 1) / seq_len >= SIZE_MAX / (2 * sizeof(int64_t)))
        return jf_error_set(err, JF_ETOOBIG, NULL, JF_OFFSET_UNKNOWN,
                            "%llu epochs of %llu tokens do not fit in memory",
                            (unsigned long long)e, (unsigned long long)tpe);
    uint64_t before_last = 0;
    bool separate = false;
    if (e > 1) {
        before_last = ((e - 1) * tpe - 1) / seq_len;
        uint64_t last = num_samples - before_last, per_epoch = (tpe - 1) / seq_len;
        separate = last < (uint64_t)(0.80 * (double)per_epoch);
    }
    out->num_epochs = e;
    out->tokens_per_epoch = tpe;
    out->separate_last_epoch = separate;
    out->doc_count = (size_t)(e * ndocs);
    out->sample_rows = (size_t)((e * tpe - 1) / seq_len + 1);
    out->shuffle_count = out->sample_rows - 1;
    out->doc_index = jf_malloc(out->doc_count * sizeof *out->doc_index + 1);
    out->sample_index = jf_malloc(out->sample_rows * 2 * sizeof *out->sample_index);
    out->shuffle_index = jf_malloc(out->shuffle_count * sizeof *out->shuffle_index + 1);
    if (!out->doc_index || !out->sample_index || !out->shuffle_index) {
        megatron_gpt_index_free(out);
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    }
    MtRng rng;
    mt_rng_seed(&rng, seed);
    if (!separate) {
        doc_index_fill(out->doc_index, doc_begin, doc_end, e, &rng);
    } else {
        doc_index_fill(out->doc_index, doc_begin, doc_end, e - 1, &rng);
        doc_index_fill(out->doc_index + (e - 1) * ndocs, doc_begin, doc_end, 1, &rng);
    }
    megatron_sample_index_fill(out->sample_index, sizes, out->doc_index, out->sample_rows, seq_len);
    shuffle_index_fill(out->shuffle_index, separate ? before_last : out->shuffle_count,
                       out->shuffle_count, &rng);
    return JF_OK;
}

void megatron_gpt_index_free(MegatronGptIndex *x)
{
    jf_free(x->doc_index);
    jf_free(x->sample_index);
    jf_free(x->shuffle_index);
    memset(x, 0, sizeof *x);
}
