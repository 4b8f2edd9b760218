/* train.c: the training loop (see train.h). One step: each rank runs its
 * grad_accum micro-batches of the global batch, scaled by
 * 1 / (ranks * grad_accum); during the last one's backward the gradients are
 * summed across ranks bucket by bucket (train_comm.h); then clipping, and
 * AdamW updates every rank's identical copy of the parameters (or, ZeRO-1,
 * each rank its slice, then all-gather). */
#include "train.h"

#include <cblas.h>
#include <errno.h>
#include <limits.h>
#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jf_alloc.h"
#include "llama_ckpt.h"
#include "llama_model.h"
#include "llama_vocab.h"
#include "megatron_order.h"
#include "train_chart.h"
#include "train_comm.h"
#include "train_data.h"

typedef struct {
    const char *plan, *out_dir, *init_ckpt, *new_pieces;
    LlamaConfig model;
    int64_t  steps, micro_batch, grad_accum, warmup, seed, eval_interval, eval_batches;
    int64_t  ckpt_interval, stop_at, zero;
    double   lr, min_lr, weight_decay, clip, peak_gflops, bucket_mb;
} TrainOpts;

typedef struct {
    TrainOpts   o;
    const TrainHooks *hooks;
    int         rank, size;
    TrainData  *data;
    LlamaModel  m;
    size_t      T, B;
    uint64_t    global_batch;
    int32_t    *win, *tok, *tgt;          /* (B,T+1), (B,T), (B,T) */
    int         lang[MEGATRON_MAX_DATASETS];   /* -1, 0 ja, 1 en */
    double     *val_ds;                    /* (datasets) last validation losses */
    double      flops_per_token, peak_flops;
    FILE       *log;
    /* ZeRO-1 (train.zero = 1 on more than one rank): this rank owns the flat
     * parameter slice [sh_off, sh_off + sh_n) and its AdamW moments only. */
    bool        zero;
    size_t      sh_off, sh_n;
    int        *counts, *displs;           /* (ranks) slice sizes and offsets */
    float      *sh_grad, *sh_m, *sh_v;     /* (sh_n) each, one allocation */
    TrainComm  *comm;                      /* gradient reduction; NULL on one rank */
    bool        chart_failed;              /* loss.svg could not be drawn: warned once */
} Trainer;

static const char *const LANG_NAMES[TRAIN_MAX_LANGS] = { "ja", "en" };

static void note(const Trainer *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const Trainer *t, const char *fmt, ...)
{
    if (t->rank != 0 || !t->hooks || !t->hooks->on_note) return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    t->hooks->on_note(buf, t->hooks->user);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ------------------------------------------------------------ options ---- */

static JfStatus opts_int(const JfConfig *c, const char *key, int64_t def, int64_t min,
                         int64_t *out, JfError *err)
{
    JfStatus st = jf_config_get_int(c, key, def, out, err);
    if (st == JF_OK && *out < min)
        return jf_error_set(err, JF_EUSAGE, jf_config_path(c), JF_OFFSET_UNKNOWN,
                            "%s: must be >= %lld", key, (long long)min);
    return st;
}

static JfStatus opts_size(const JfConfig *c, const char *key, int64_t def, size_t *out,
                          JfError *err)
{
    int64_t v;
    JfStatus st = opts_int(c, key, def, 0, &v, err);
    *out = (size_t)v;
    return st;
}

static JfStatus opts_read(const JfConfig *c, TrainOpts *o, JfError *err)
{
    memset(o, 0, sizeof *o);
    o->plan = jf_config_get(c, "data.plan");
    o->out_dir = jf_config_get(c, "out.dir");
    o->init_ckpt = jf_config_get(c, "init.checkpoint");
    o->new_pieces = jf_config_get(c, "init.new_pieces");
    const char *missing = !o->plan ? "data.plan" : !o->out_dir ? "out.dir"
                        : !jf_config_has(c, "train.steps") ? "train.steps" : NULL;
    if (missing)
        return jf_error_set(err, JF_EUSAGE, jf_config_path(c), JF_OFFSET_UNKNOWN,
                            "%s: required key missing", missing);
    JfStatus st = JF_OK;
    if (st == JF_OK) st = opts_int(c, "train.steps", 0, 1, &o->steps, err);
    if (st == JF_OK) st = opts_int(c, "train.micro_batch", 4, 1, &o->micro_batch, err);
    if (st == JF_OK) st = opts_int(c, "train.grad_accum", 1, 1, &o->grad_accum, err);
    if (st == JF_OK) st = opts_int(c, "train.warmup_steps", 0, 0, &o->warmup, err);
    if (st == JF_OK) st = opts_int(c, "train.seed", 1234, 0, &o->seed, err);
    if (st == JF_OK) st = opts_int(c, "train.eval_interval", 0, 0, &o->eval_interval, err);
    if (st == JF_OK) st = opts_int(c, "train.eval_batches", 4, 1, &o->eval_batches, err);
    if (st == JF_OK) st = opts_int(c, "train.ckpt_interval", 0, 0, &o->ckpt_interval, err);
    if (st == JF_OK) st = opts_int(c, "train.stop_at", 0, 0, &o->stop_at, err);
    if (st == JF_OK) st = opts_int(c, "train.zero", 0, 0, &o->zero, err);
    if (st == JF_OK && o->zero > 1)
        st = jf_error_set(err, JF_EUSAGE, jf_config_path(c), JF_OFFSET_UNKNOWN,
                          "train.zero: 0 (replicated optimizer) or 1 (ZeRO stage 1)");
    if (st == JF_OK) st = jf_config_get_double(c, "train.lr", 3e-4, &o->lr, err);
    if (st == JF_OK) st = jf_config_get_double(c, "train.min_lr", o->lr / 10, &o->min_lr, err);
    if (st == JF_OK) st = jf_config_get_double(c, "train.weight_decay", 0.1, &o->weight_decay, err);
    if (st == JF_OK) st = jf_config_get_double(c, "train.clip", 1.0, &o->clip, err);
    if (st == JF_OK) st = jf_config_get_double(c, "train.peak_gflops", 0, &o->peak_gflops, err);
    if (st == JF_OK) st = jf_config_get_double(c, "train.bucket_mb", 8, &o->bucket_mb, err);
    if (st == JF_OK && !(o->bucket_mb >= 0 && o->bucket_mb <= 1e6))
        st = jf_error_set(err, JF_EUSAGE, jf_config_path(c), JF_OFFSET_UNKNOWN,
                          "train.bucket_mb: 0 (no overlap) to 1e6");
    if (st == JF_OK) st = opts_size(c, "model.dim", 128, &o->model.dim, err);
    if (st == JF_OK) st = opts_size(c, "model.hidden_dim", 352, &o->model.hidden_dim, err);
    if (st == JF_OK) st = opts_size(c, "model.n_layers", 4, &o->model.n_layers, err);
    if (st == JF_OK) st = opts_size(c, "model.n_heads", 4, &o->model.n_heads, err);
    if (st == JF_OK) st = opts_size(c, "model.vocab_size", 0, &o->model.vocab_size, err);
    if (st == JF_OK) st = opts_size(c, "model.seq_len", 0, &o->model.seq_len, err);
    return st;
}

/* Linear warmup over warmup steps, then cosine from lr down to min_lr at the
 * last step. step counts from 1. */
static double train_lr(const TrainOpts *o, int64_t step)
{
    if (o->warmup > 0 && step <= o->warmup) return o->lr * (double)step / (double)o->warmup;
    int64_t span = o->steps - o->warmup;
    double p = span > 0 ? (double)(step - o->warmup) / (double)span : 1.0;
    if (p > 1) p = 1;
    return o->min_lr + 0.5 * (o->lr - o->min_lr) * (1 + cos(M_PI * p));
}

/* "ja" or "en" as a word of the prefix's file name ("wiki_ja", "cc-en-2023"). */
static int lang_of_prefix(const char *prefix)
{
    const char *base = strrchr(prefix, '/');
    base = base ? base + 1 : prefix;
    for (const char *s = base; *s;) {
        while (*s && !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9'))) s++;
        const char *w = s;
        while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')) s++;
        for (int l = 0; l < TRAIN_MAX_LANGS; l++)
            if (s - w == 2 && (w[0] | 0x20) == LANG_NAMES[l][0] && (w[1] | 0x20) == LANG_NAMES[l][1])
                return l;
    }
    return -1;
}

/* ------------------------------------------------------------ MPI ---- */

static bool mpi_on(const Trainer *t) { return t->size > 1; }

static void mpi_sum_d(Trainer *t, double *x, size_t n)
{
    if (mpi_on(t)) MPI_Allreduce(MPI_IN_PLACE, x, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

/* ------------------------------------------------------------ files ---- */

static void path_in(char *buf, size_t cap, const char *dir, const char *name, int64_t step)
{
    if (step >= 0) snprintf(buf, cap, "%s/%s-%lld.bin", dir, name, (long long)step);
    else snprintf(buf, cap, "%s/%s", dir, name);
}

static JfStatus file_commit(FILE *f, const char *tmp, const char *path, JfError *err)
{
    bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int why = errno;   /* remove may change it */
        remove(tmp);
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "write: %s", strerror(why));
    }
    return JF_OK;
}

/* ZeRO-1: rank 0 writes the same file as the replicated optimizer, the
 * moments gathered slice by slice (MPI_Gatherv), so a run may resume with
 * train.zero on or off and any rank count of the same global batch. Every
 * rank must call; only rank 0 reports a write error. */
static JfStatus optim_write_zero(const Trainer *t, const char *path, JfError *err)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    size_t P = t->m.num_params;
    FILE *f = NULL;
    float *buf = NULL;
    bool ok = true;
    int why = 0;   /* errno of the failed fopen or fwrite (MPI may change errno since) */
    if (t->rank == 0) {
        f = fopen(tmp, "wb");
        buf = jf_malloc(P * sizeof *buf);
        uint64_t hdr[2] = { P, t->m.step };
        if (!buf) {   /* the other ranks wait in MPI_Gatherv: the caller aborts */
            if (f) fclose(f);
            remove(tmp);
            return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "optimizer gather");
        }
        ok = f && fwrite("JFOPTIM1", 1, 8, f) == 8 && fwrite(hdr, sizeof hdr, 1, f) == 1;
        if (!ok) why = errno;
    }
    float *parts[2] = { t->sh_m, t->sh_v };
    for (int k = 0; k < 2; k++) {
        MPI_Gatherv(parts[k], (int)t->sh_n, MPI_FLOAT, buf, t->counts, t->displs, MPI_FLOAT, 0,
                    MPI_COMM_WORLD);
        if (t->rank == 0 && ok && !(ok = fwrite(buf, sizeof *buf, P, f) == P)) why = errno;
    }
    jf_free(buf);
    if (t->rank != 0) return JF_OK;
    if (!ok) {
        if (f) fclose(f);
        remove(tmp);
        return jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "write failed: %s", strerror(why));
    }
    return file_commit(f, tmp, path, err);
}

static JfStatus optim_write(const Trainer *t, const char *path, JfError *err)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
    uint64_t hdr[2] = { t->m.num_params, t->m.step };
    bool ok = fwrite("JFOPTIM1", 1, 8, f) == 8 && fwrite(hdr, sizeof hdr, 1, f) == 1;
    if (ok && t->m.adam_m) {
        ok = fwrite(t->m.adam_m, sizeof(float), t->m.num_params, f) == t->m.num_params &&
             fwrite(t->m.adam_v, sizeof(float), t->m.num_params, f) == t->m.num_params;
    }
    if (!ok) {
        int why = errno;   /* of the failed fwrite, before fclose and remove */
        fclose(f);
        remove(tmp);
        return jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "write failed: %s", strerror(why));
    }
    return file_commit(f, tmp, path, err);
}

static JfStatus optim_read(Trainer *t, const char *path, JfError *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
    char magic[8];
    uint64_t hdr[2];
    JfStatus st = JF_OK;
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "JFOPTIM1", 8) ||
        fread(hdr, sizeof hdr, 1, f) != 1 || hdr[0] != t->m.num_params) {
        st = jf_error_set(err, JF_EFORMAT, path, 0, "not an optimizer state of this model");
        goto out_close;
    }
    t->m.step = hdr[1];
    if (hdr[1] == 0) goto out_close;
    if (!t->m.adam_m) {
        t->m.adam_m = jf_malloc(2 * t->m.num_params * sizeof(float));
        if (!t->m.adam_m) {
            st = jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
            goto out_close;
        }
        t->m.adam_v = t->m.adam_m + t->m.num_params;
    }
    if (fread(t->m.adam_m, sizeof(float), t->m.num_params, f) != t->m.num_params ||
        fread(t->m.adam_v, sizeof(float), t->m.num_params, f) != t->m.num_params)
        st = jf_error_set(err, JF_ETRUNC, path, 24, "optimizer state truncated");
out_close:
    fclose(f);
    return st;
}

/* state.json last, so it only ever names files that are complete. Every
 * rank calls (ZeRO-1 gathers the moments); only rank 0 writes. */
static JfStatus checkpoint_write(Trainer *t, int64_t step, JfError *err)
{
    char ck[1024], op[1024], sp[1024], tmp[1100];
    path_in(ck, sizeof ck, t->o.out_dir, "ckpt", step);
    path_in(op, sizeof op, t->o.out_dir, "optim", step);
    path_in(sp, sizeof sp, t->o.out_dir, "state.json", -1);
    JfStatus st = t->zero ? optim_write_zero(t, op, err) : JF_OK;
    if (t->rank != 0 || st != JF_OK) return st;
    st = llama_ckpt_write(ck, &t->m, err);
    if (st == JF_OK && !t->zero) st = optim_write(t, op, err);
    if (st != JF_OK) return st;
    snprintf(tmp, sizeof tmp, "%s.tmp", sp);
    FILE *f = fopen(tmp, "w");
    if (!f) return jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
    fprintf(f, "{\"step\": %lld, \"samples\": %llu, \"global_batch\": %llu, "
               "\"ckpt\": \"ckpt-%lld.bin\", \"optim\": \"optim-%lld.bin\"}\n",
            (long long)step, (unsigned long long)((uint64_t)step * t->global_batch),
            (unsigned long long)t->global_batch, (long long)step, (long long)step);
    return file_commit(f, tmp, sp, err);
}

/* @return the step of out.dir/state.json, 0 when there is none. */
static JfStatus state_read(const Trainer *t, int64_t *step, JfError *err)
{
    char sp[1024];
    path_in(sp, sizeof sp, t->o.out_dir, "state.json", -1);
    *step = 0;
    struct stat sb;
    if (stat(sp, &sb) != 0) return JF_OK;
    json_error_t je;
    json_t *j = json_load_file(sp, 0, &je);
    json_t *js = j ? json_object_get(j, "step") : NULL;
    json_t *jg = j ? json_object_get(j, "global_batch") : NULL;
    JfStatus st = JF_OK;
    if (!json_is_integer(js) || !json_is_integer(jg) || json_integer_value(js) < 1)
        st = jf_error_set(err, JF_EFORMAT, sp, JF_OFFSET_UNKNOWN, "not a trainer state: %s",
                          j ? "missing step or global_batch" : je.text);
    else if ((uint64_t)json_integer_value(jg) != t->global_batch)
        st = jf_error_set(err, JF_EUSAGE, sp, JF_OFFSET_UNKNOWN,
                          "saved with global batch %lld, now %llu (ranks x micro_batch x "
                          "grad_accum must not change on resume)",
                          (long long)json_integer_value(jg), (unsigned long long)t->global_batch);
    else
        *step = json_integer_value(js);
    json_decref(j);
    return st;
}

/* ------------------------------------------------------------ log ---- */

static bool has_lang(const Trainer *t, int l)
{
    for (size_t d = 0; d < train_data_datasets(t->data); d++)
        if (t->lang[d] == l) return true;
    return false;
}

/* Fresh run: a new log with its header. Resume: keeps the rows up to step. */
static JfStatus log_open(Trainer *t, int64_t step, JfError *err)
{
    char lp[1024];
    path_in(lp, sizeof lp, t->o.out_dir, "log.csv", -1);
    char *kept = NULL;
    size_t kept_len = 0;
    if (step > 0) {
        FILE *in = fopen(lp, "r");
        char line[4096];
        while (in && fgets(line, sizeof line, in)) {
            bool header = !strncmp(line, "step,", 5);
            if (!header && strtoll(line, NULL, 10) > step) break;
            if (header) continue;
            size_t n = strlen(line);
            if (line[n - 1] != '\n') break;   /* a row cut short (a full disk): not kept */
            char *k = jf_realloc(kept, kept_len + n + 1);
            if (!k) break;
            kept = k;
            memcpy(kept + kept_len, line, n + 1);
            kept_len += n;
        }
        if (in) fclose(in);
    }
    t->log = fopen(lp, "w");
    if (!t->log) {
        jf_free(kept);
        return jf_error_set(err, JF_EIO, lp, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
    }
    fputs("step,loss,lr,grad_norm,tokens_per_s,mfu,val_loss", t->log);
    for (int l = 0; l < TRAIN_MAX_LANGS; l++)
        if (has_lang(t, l)) fprintf(t->log, ",val_loss_%s", LANG_NAMES[l]);
    for (size_t d = 0; d < train_data_datasets(t->data); d++) fprintf(t->log, ",val_loss_ds%zu", d);
    fputc('\n', t->log);
    if (kept) fputs(kept, t->log);
    jf_free(kept);
    fflush(t->log);
    return JF_OK;
}

/* One row of OUT/log.csv (rank 0). A write that fails (a full disk) ends the
 * run now, not at the next checkpoint. */
static JfStatus log_row(Trainer *t, const TrainStepInfo *s, JfError *err)
{
    FILE *f = t->log;
    fprintf(f, "%llu,%.17g,%.9g,%.9g,%.1f,%.4f,", (unsigned long long)s->step, s->loss, s->lr,
            s->grad_norm, s->tokens_per_s, s->mfu);
    bool val = !isnan(s->val_loss);
    if (val) fprintf(f, "%.9g", s->val_loss);
    for (int l = 0; l < TRAIN_MAX_LANGS; l++) {
        if (!has_lang(t, l)) continue;
        fputc(',', f);
        if (val) fprintf(f, "%.9g", s->val_lang[l]);
    }
    for (size_t d = 0; d < train_data_datasets(t->data); d++) {
        fputc(',', f);
        if (val) fprintf(f, "%.9g", t->val_ds[d]);
    }
    fputc('\n', f);
    if (fflush(f) == 0 && !ferror(f)) return JF_OK;
    char lp[1024];
    path_in(lp, sizeof lp, t->o.out_dir, "log.csv", -1);
    return jf_error_set(err, JF_EIO, lp, JF_OFFSET_UNKNOWN, "cannot write the training log: %s",
                        strerror(errno));
}

/* OUT/loss.svg from OUT/log.csv (rank 0). The chart is a view of the log:
 * failing to draw it is a warning, not a reason to stop training. */
static void chart_update(Trainer *t)
{
    char csv[1024], svg[1024], title[1100];
    path_in(csv, sizeof csv, t->o.out_dir, "log.csv", -1);
    path_in(svg, sizeof svg, t->o.out_dir, "loss.svg", -1);
    snprintf(title, sizeof title, "jaforge train %s: loss per token", t->o.out_dir);
    JfError e;
    if (train_chart_write(csv, svg, title, NULL, &e) != JF_OK && !t->chart_failed) {
        t->chart_failed = true;
        note(t, "warning: loss chart not written: %s: %s", e.path, e.msg);
    }
}

/* ------------------------------------------------------------ steps ---- */

/* Splits B windows of T + 1 tokens into inputs and next-token targets. */
static void batch_split(Trainer *t)
{
    size_t T = t->T;
    for (size_t b = 0; b < t->B; b++) {
        memcpy(t->tok + b * T, t->win + b * (T + 1), T * sizeof *t->tok);
        memcpy(t->tgt + b * T, t->win + b * (T + 1) + 1, T * sizeof *t->tgt);
    }
}

/* ZeRO-1 step, once sh_grad holds the summed gradient of this rank's slice
 * (train_comm: reduce-scatter): the global norm from every slice's squared
 * norm (allreduce), clipping and AdamW on the slice, then every rank gathers
 * all slices' parameters. */
static JfStatus zero_update(Trainer *t, int64_t step, TrainStepInfo *info)
{
    double ss = 0;
    const float *g = t->sh_grad;
    size_t n = t->sh_n;
#pragma omp parallel for reduction(+ : ss)
    for (size_t i = 0; i < n; i++) ss += (double)g[i] * g[i];
    MPI_Allreduce(MPI_IN_PLACE, &ss, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    double norm = sqrt(ss);
    if (t->o.clip > 0 && norm > t->o.clip) {   /* llama_model_clip_grad_norm's rule */
        float s = (float)(t->o.clip / (norm + 1e-6));
#pragma omp parallel for
        for (size_t i = 0; i < n; i++) t->sh_grad[i] *= s;
    }
    info->grad_norm = norm;
    info->lr = train_lr(&t->o, step);
    LlamaAdamW opt = llama_adamw_defaults();
    opt.weight_decay = (float)t->o.weight_decay;
    t->m.step++;
    llama_model_adamw_range(&t->m, &opt, (float)info->lr, t->m.step, t->sh_off, t->sh_n,
                            t->sh_grad, t->sh_m, t->sh_v);
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, t->m.params_mem, t->counts, t->displs,
                   MPI_FLOAT, MPI_COMM_WORLD);
    return JF_OK;
}

/* Global batch of step (from 1): samples (step-1)·G ... step·G - 1 of the
 * blend. Micro-batch a of rank r holds samples (a·ranks + r)·B + [0, B) of it,
 * so the batch is the same set for any number of ranks. */
static JfStatus step_run(Trainer *t, int64_t step, TrainStepInfo *info, JfError *err)
{
    JfStatus st = JF_OK;
    uint64_t A = (uint64_t)t->o.grad_accum, R = (uint64_t)t->size;
    double loss = 0;
    llama_model_zero_grad(&t->m);
    for (uint64_t a = 0; a < A && st == JF_OK; a++) {
        uint64_t base = (uint64_t)(step - 1) * t->global_batch + (a * R + (uint64_t)t->rank) * t->B;
        for (size_t b = 0; b < t->B && st == JF_OK; b++)
            st = train_data_sample(t->data, base + b, t->win + b * (t->T + 1), err);
        if (st != JF_OK) break;
        batch_split(t);
        st = llama_model_forward(&t->m, t->tok, t->tgt, t->B, t->T, err);
        /* the last micro-batch finishes the gradients: its backward starts
         * their reduction bucket by bucket (train_comm.h) */
        LlamaBackwardHooks hk = t->comm && a + 1 == A ? train_comm_hooks(t->comm)
                                                      : (LlamaBackwardHooks){ 0 };
        if (st == JF_OK)
            st = llama_model_backward_hooked(&t->m, (float)(1.0 / (double)(A * R)), &hk, err);
        loss += t->m.loss;
    }
    if (st != JF_OK) return st;   /* the caller aborts: no rank waits on the others' buckets */
    if (t->comm) train_comm_finish(t->comm);
    mpi_sum_d(t, &loss, 1);
    info->loss = loss / (double)(A * R);
    if (t->zero) return zero_update(t, step, info);
    info->grad_norm = llama_model_clip_grad_norm(&t->m, t->o.clip);
    info->lr = train_lr(&t->o, step);
    LlamaAdamW opt = llama_adamw_defaults();
    opt.weight_decay = (float)t->o.weight_decay;
    return llama_model_adamw_step(&t->m, &opt, (float)info->lr, err);
}

/* Mean loss over eval_batches batches of each dataset's held-out samples
 * (batch j on rank j % ranks); then the mean over datasets, and per language. */
static JfStatus eval_run(Trainer *t, TrainStepInfo *info, JfError *err)
{
    size_t nd = train_data_datasets(t->data);
    JfStatus st = JF_OK;
    for (size_t d = 0; d < nd; d++) {
        double sum = 0;
        for (int64_t j = t->rank; j < t->o.eval_batches && st == JF_OK; j += t->size) {
            for (size_t b = 0; b < t->B && st == JF_OK; b++)
                st = train_data_val_sample(t->data, d, (uint64_t)j * t->B + b,
                                           t->win + b * (t->T + 1), err);
            if (st != JF_OK) break;
            batch_split(t);
            st = llama_model_forward(&t->m, t->tok, t->tgt, t->B, t->T, err);
            sum += t->m.loss;
        }
        if (st != JF_OK) return st;
        mpi_sum_d(t, &sum, 1);
        t->val_ds[d] = sum / (double)t->o.eval_batches;
    }
    double all = 0, lang[TRAIN_MAX_LANGS] = { 0 };
    size_t nl[TRAIN_MAX_LANGS] = { 0 };
    for (size_t d = 0; d < nd; d++) {
        all += t->val_ds[d];
        if (t->lang[d] >= 0) {
            lang[t->lang[d]] += t->val_ds[d];
            nl[t->lang[d]]++;
        }
    }
    info->val_loss = all / (double)nd;
    for (int l = 0; l < TRAIN_MAX_LANGS; l++) info->val_lang[l] = nl[l] ? lang[l] / (double)nl[l] : NAN;
    return JF_OK;
}

/* sgemm FLOP/s of this rank on a 512^3 product (the peak MFU divides by). */
static double peak_measure(void)
{
    enum { N = 512, REPS = 8 };
    float *a = jf_malloc(3 * (size_t)N * N * sizeof *a);
    if (!a) return 0;
    for (size_t i = 0; i < 3 * (size_t)N * N; i++) a[i] = (float)(i % 7) * 0.01f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, N, 1, a, N, a + N * N, N, 0,
                a + 2 * N * N, N);   /* warm the thread pool */
    double t0 = now_s();
    for (int r = 0; r < REPS; r++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, N, 1, a, N, a + N * N, N, 0,
                    a + 2 * N * N, N);
    double dt = now_s() - t0;
    jf_free(a);
    return dt > 0 ? 2.0 * N * N * N * REPS / dt : 0;
}

static void blas_report(Trainer *t)
{
    const char *core = openblas_get_corename();
    note(t, "BLAS: %s, kernels %s", openblas_get_config(), core ? core : "?");
    __builtin_cpu_init();
    if (core && (!strcmp(core, "Prescott") || !strcmp(core, "Core2")) &&
        (__builtin_cpu_supports("avx2") || __builtin_cpu_supports("avx512f")))
        note(t, "warning: OpenBLAS uses generic %s kernels on a CPU with AVX2/AVX-512 "
                "(several times slower; see OPENBLAS_CORETYPE)", core);
}

/* ------------------------------------------------------------ setup ---- */

static JfStatus model_check_shape(const Trainer *t, const char *path, JfError *err)
{
    const LlamaConfig *a = &t->m.cfg, *b = &t->o.model;
    if (a->dim != b->dim || a->hidden_dim != b->hidden_dim || a->n_layers != b->n_layers ||
        a->n_heads != b->n_heads || (b->vocab_size && a->vocab_size != b->vocab_size))
        return jf_error_set(err, JF_EUSAGE, path, JF_OFFSET_UNKNOWN,
                            "checkpoint is dim %zu hidden %zu layers %zu heads %zu vocab %zu; the "
                            "config asks for %zu %zu %zu %zu %zu", a->dim, a->hidden_dim,
                            a->n_layers, a->n_heads, a->vocab_size, b->dim, b->hidden_dim,
                            b->n_layers, b->n_heads, b->vocab_size);
    return JF_OK;
}

/* init.new_pieces: grows the base checkpoint's vocabulary to model.vocab_size. */
static JfStatus vocab_setup(Trainer *t, JfError *err)
{
    size_t V0 = t->m.cfg.vocab_size, V1 = t->o.model.vocab_size;
    if (!t->o.new_pieces) {
        if (V1 && V1 != V0)
            return jf_error_set(err, JF_EUSAGE, t->o.init_ckpt, JF_OFFSET_UNKNOWN,
                                "the checkpoint's vocabulary is %zu, model.vocab_size %zu "
                                "(init.new_pieces resizes it)", V0, V1);
        return JF_OK;
    }
    if (V1 <= V0)
        return jf_error_set(err, JF_EUSAGE, t->o.new_pieces, JF_OFFSET_UNKNOWN,
                            "init.new_pieces needs model.vocab_size = base %zu + new pieces", V0);
    LlamaNewPieces np;
    JfStatus st = llama_new_pieces_read(t->o.new_pieces, V0, V1, &np, err);
    if (st != JF_OK) return st;
    st = llama_model_resize_vocab(&t->m, &np, err);
    size_t missing = 0;
    for (size_t i = 0; i < V1 - V0; i++) missing += np.split_off[i] == np.split_off[i + 1];
    if (st == JF_OK)
        note(t, "vocabulary %zu -> %zu: %zu new rows from %s, %zu without a line (mean of all "
                "base rows)", V0, V1, V1 - V0 - missing, t->o.new_pieces, missing);
    if (st == JF_OK && np.bad)
        note(t, "warning: %s: %zu bad lines skipped, the first at byte %llu", t->o.new_pieces,
             np.bad, (unsigned long long)np.first_bad_offset);
    llama_new_pieces_free(&np);
    return st;
}

/* init.checkpoint names a llama2.c file, or the out.dir of an earlier
 * jaforge train run: then its state.json's latest checkpoint. */
static JfStatus init_ckpt_path(const Trainer *t, char *path, size_t cap, JfError *err)
{
    struct stat sb;
    snprintf(path, cap, "%s", t->o.init_ckpt);
    if (stat(t->o.init_ckpt, &sb) != 0 || !S_ISDIR(sb.st_mode)) return JF_OK;
    char sp[1024];
    path_in(sp, sizeof sp, t->o.init_ckpt, "state.json", -1);
    json_error_t je;
    json_t *j = json_load_file(sp, 0, &je);
    const char *ck = j ? json_string_value(json_object_get(j, "ckpt")) : NULL;
    JfStatus st = JF_OK;
    if (!ck || !*ck || strchr(ck, '/'))
        st = jf_error_set(err, JF_EFORMAT, sp, JF_OFFSET_UNKNOWN,
                          "init.checkpoint is a directory without a trainer state: %s",
                          j ? "no \"ckpt\" file name" : je.text);
    else
        path_in(path, cap, t->o.init_ckpt, ck, -1);
    json_decref(j);
    return st;
}

/* Resume from out.dir (step > 0), else init.checkpoint, else fresh weights. */
static JfStatus model_setup(Trainer *t, int64_t step, JfError *err)
{
    JfStatus st;
    char path[1024];
    if (step > 0) {
        path_in(path, sizeof path, t->o.out_dir, "ckpt", step);
        st = llama_ckpt_read(path, &t->m, err);
        if (st == JF_OK) st = model_check_shape(t, path, err);
        path_in(path, sizeof path, t->o.out_dir, "optim", step);
        if (st == JF_OK) st = optim_read(t, path, err);
        if (st == JF_OK) note(t, "resuming from %s/ckpt-%lld.bin", t->o.out_dir, (long long)step);
    } else if (t->o.init_ckpt) {
        st = init_ckpt_path(t, path, sizeof path, err);
        if (st == JF_OK) st = llama_ckpt_read(path, &t->m, err);
        if (st == JF_OK) note(t, "starting from %s", path);
        if (st == JF_OK) st = vocab_setup(t, err);
    } else {
        LlamaConfig c = t->o.model;
        if (c.vocab_size == 0)
            return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                                "model.vocab_size: required without init.checkpoint");
        if (c.seq_len == 0) c.seq_len = t->T;
        st = llama_model_init(&t->m, &c, err);
        if (st == JF_OK) llama_model_init_weights(&t->m, (uint64_t)t->o.seed);
    }
    if (st != JF_OK) return st;
    if (t->m.cfg.seq_len < t->T)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "the model's seq_len %zu is shorter than the plan's %zu",
                            t->m.cfg.seq_len, t->T);
    if (train_data_max_token(t->data) >= t->m.cfg.vocab_size)
        return jf_error_set(err, JF_EUSAGE, t->o.plan, JF_OFFSET_UNKNOWN,
                            "token id %u in the data, the model's vocabulary has %zu ids",
                            train_data_max_token(t->data), t->m.cfg.vocab_size);
    const LlamaConfig *c = &t->m.cfg;
    double n = (double)(t->m.num_params - c->vocab_size * c->dim);   /* no FLOPs in the lookup */
    t->flops_per_token = 6 * n + 12.0 * (double)(c->n_layers * c->dim * t->T);
    return JF_OK;
}

/* train.zero = 1 on more than one rank: slices as even as possible; the
 * moments of a resumed optimizer file are cut to this rank's slice. */
static JfStatus zero_setup(Trainer *t, JfError *err)
{
    size_t P = t->m.num_params, R = (size_t)t->size;
    if (P > (size_t)INT_MAX)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "train.zero: %zu parameters exceed MPI's int counts", P);
    t->counts = jf_malloc(2 * R * sizeof *t->counts);
    if (!t->counts) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    t->displs = t->counts + R;
    for (size_t r = 0, off = 0; r < R; r++) {
        t->counts[r] = (int)(P / R + (r < P % R));
        t->displs[r] = (int)off;
        off += (size_t)t->counts[r];
    }
    t->sh_off = (size_t)t->displs[t->rank];
    t->sh_n = (size_t)t->counts[t->rank];
    t->sh_grad = jf_calloc(3 * t->sh_n + 1, sizeof(float));
    if (!t->sh_grad) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    t->sh_m = t->sh_grad + t->sh_n;
    t->sh_v = t->sh_m + t->sh_n;
    if (t->m.adam_m) {   /* resumed: keep this rank's slice only */
        memcpy(t->sh_m, t->m.adam_m + t->sh_off, t->sh_n * sizeof(float));
        memcpy(t->sh_v, t->m.adam_v + t->sh_off, t->sh_n * sizeof(float));
        jf_free(t->m.adam_m);
        t->m.adam_m = t->m.adam_v = NULL;
    }
    t->zero = true;
    note(t, "ZeRO-1: AdamW state %.2f MiB per rank (%.2f MiB replicated), parameters %zu..%zu "
            "on rank 0", 2.0 * (double)t->sh_n * 4 / 1048576, 2.0 * (double)P * 4 / 1048576,
         t->sh_off, t->sh_off + t->sh_n);
    return JF_OK;
}

/* More than one rank: gradient buckets of train.bucket_mb, reduced while
 * backward runs (0: one collective after backward). */
static JfStatus comm_setup(Trainer *t, JfError *err)
{
    TrainCommOpts co = { .comm = MPI_COMM_WORLD,
                         .bucket_floats = (size_t)(t->o.bucket_mb * 1048576.0 / sizeof(float)),
                         .counts = t->zero ? t->counts : NULL,
                         .displs = t->zero ? t->displs : NULL,
                         .shard_grad = t->zero ? t->sh_grad : NULL };
    if (t->o.bucket_mb > 0 && co.bucket_floats == 0) co.bucket_floats = 1;
    JfStatus st = train_comm_create(&t->m, &co, &t->comm, err);
    if (st != JF_OK) return st;
    if (train_comm_buckets(t->comm))
        note(t, "gradients in %zu buckets of >= %g MiB (%zu collectives per step), reduced "
                "during backward", train_comm_buckets(t->comm), t->o.bucket_mb,
             train_comm_pieces(t->comm));
    else
        note(t, "gradients reduced in one collective after backward (train.bucket_mb = 0)");
    return JF_OK;
}

static JfStatus trainer_setup(Trainer *t, int64_t *start, JfError *err)
{
    int inited = 0;
    MPI_Initialized(&inited);
    t->rank = 0;
    t->size = 1;
    if (inited) {
        MPI_Comm_rank(MPI_COMM_WORLD, &t->rank);
        MPI_Comm_size(MPI_COMM_WORLD, &t->size);
    }
    t->B = (size_t)t->o.micro_batch;
    t->global_batch = (uint64_t)t->size * t->B * (uint64_t)t->o.grad_accum;
    JfStatus st = train_data_open(t->o.plan, (uint64_t)t->o.eval_batches * t->B, &t->data, err);
    if (st != JF_OK) return st;
    t->T = train_data_seq_len(t->data);
    size_t nd = train_data_datasets(t->data);
    for (size_t d = 0; d < nd; d++) t->lang[d] = lang_of_prefix(train_data_plan(t->data)->ds[d].prefix);
    uint64_t need = (uint64_t)t->o.steps * t->global_batch;
    if (need > train_data_samples(t->data))
        return jf_error_set(err, JF_EUSAGE, t->o.plan, JF_OFFSET_UNKNOWN,
                            "%lld steps of %llu samples need %llu, the plan has %llu (jaforge "
                            "blend --samples %llu)", (long long)t->o.steps,
                            (unsigned long long)t->global_batch, (unsigned long long)need,
                            (unsigned long long)train_data_samples(t->data),
                            (unsigned long long)need);
    t->win = jf_malloc(t->B * (t->T + 1) * sizeof *t->win);
    t->tok = jf_malloc(t->B * t->T * sizeof *t->tok);
    t->tgt = jf_malloc(t->B * t->T * sizeof *t->tgt);
    t->val_ds = jf_calloc(nd + 1, sizeof *t->val_ds);
    if (!t->win || !t->tok || !t->tgt || !t->val_ds)
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    if (mkdir(t->o.out_dir, 0777) != 0 && errno != EEXIST)
        return jf_error_set(err, JF_EIO, t->o.out_dir, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
    st = state_read(t, start, err);
    if (st == JF_OK) st = model_setup(t, *start, err);
    if (st == JF_OK && t->o.zero && t->size > 1) st = zero_setup(t, err);
    if (st == JF_OK && t->size > 1) st = comm_setup(t, err);
    if (st == JF_OK && t->rank == 0) st = log_open(t, *start, err);
    if (st != JF_OK) return st;
    blas_report(t);
    double peak = t->o.peak_gflops > 0 ? t->o.peak_gflops * 1e9 : peak_measure();
    t->peak_flops = peak * t->size;
    note(t, "%d rank(s), %zu parameters, global batch %llu x %zu tokens, peak %.1f GFLOP/s "
            "per rank%s", t->size, t->m.num_params, (unsigned long long)t->global_batch, t->T,
         peak / 1e9, t->o.peak_gflops > 0 ? " (train.peak_gflops)" : " (measured sgemm)");
    return JF_OK;
}

static void trainer_free(Trainer *t)
{
    if (t->log) fclose(t->log);
    llama_model_free(&t->m);
    train_data_close(t->data);
    jf_free(t->win);
    jf_free(t->tok);
    jf_free(t->tgt);
    jf_free(t->val_ds);
    jf_free(t->counts);
    jf_free(t->sh_grad);
    train_comm_free(t->comm);
}

JfStatus train_run(const JfConfig *cfg, const TrainHooks *hooks, JfError *err)
{
    /* Debian's default OpenBLAS runs its own thread pool; an OpenMP team of
     * the same size beside it fights it for the cores (2-3x slower measured,
     * bench/train/README.md). Unless the user chose, the OpenMP loops (the
     * small part) run on one thread and BLAS keeps the cores. */
    if (!getenv("OMP_NUM_THREADS")) omp_set_num_threads(1);
    Trainer t;
    memset(&t, 0, sizeof t);
    t.hooks = hooks;
    int64_t start = 0;
    JfStatus st = opts_read(cfg, &t.o, err);
    if (st == JF_OK) st = trainer_setup(&t, &start, err);
    int64_t last = t.o.stop_at > 0 && t.o.stop_at < t.o.steps ? t.o.stop_at : t.o.steps;
    for (int64_t step = start + 1; st == JF_OK && step <= last; step++) {
        TrainStepInfo info = { .step = (uint64_t)step, .steps = (uint64_t)t.o.steps,
                               .val_loss = NAN, .val_lang = { NAN, NAN } };
        double t0 = now_s();
        st = step_run(&t, step, &info, err);
        double dt = now_s() - t0;
        info.tokens_per_s = dt > 0 ? (double)(t.global_batch * t.T) / dt : 0;
        info.mfu = t.peak_flops > 0 ? info.tokens_per_s * t.flops_per_token / t.peak_flops : 0;
        if (st == JF_OK && t.o.eval_interval > 0 &&
            (step % t.o.eval_interval == 0 || step == t.o.steps))
            st = eval_run(&t, &info, err);
        if (st != JF_OK) break;
        bool ck = (t.o.ckpt_interval > 0 && step % t.o.ckpt_interval == 0) || step == last;
        if (t.rank == 0 && (st = log_row(&t, &info, err)) == JF_OK) {
            if (hooks && hooks->on_step) hooks->on_step(&info, hooks->user);
            if (ck || !isnan(info.val_loss)) chart_update(&t);
        }
        if (st == JF_OK && ck) st = checkpoint_write(&t, step, err);
    }
    trainer_free(&t);
    return st;
}
