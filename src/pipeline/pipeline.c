/* pipeline.c: recipe (INI) to steps. Each stage section becomes one step
 * per language where the stage works per language; keys map to the stage
 * command's options one to one, so a recipe reads like the commands it runs. */
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jf_alloc.h"

typedef struct {
    const JfConfig *cfg;
    const char     *pipeline_dir;
    const char     *workdir;
    const char     *data;
    Pipeline       *p;
    JfError        *err;
} Planner;

/* ${NAME} expansion into out. @return false when a variable is unknown. */
static bool expand(const Planner *pl, const char *in, char *out, size_t cap)
{
    size_t n = 0;
    while (*in && n + 1 < cap) {
        if (in[0] == '$' && in[1] == '{') {
            const char *end = strchr(in, '}');
            if (!end) return false;
            size_t len = (size_t)(end - in - 2);
            const char *v = NULL;
            if (len == 4 && !strncmp(in + 2, "DATA", 4)) v = pl->data;
            else if (len == 7 && !strncmp(in + 2, "WORKDIR", 7)) v = pl->workdir;
            else if (len == 12 && !strncmp(in + 2, "PIPELINE_DIR", 12)) v = pl->pipeline_dir;
            if (!v) return false;
            n += (size_t)snprintf(out + n, cap - n, "%s", v);
            if (n >= cap) n = cap - 1;
            in = end + 1;
            continue;
        }
        out[n++] = *in++;
    }
    out[n] = '\0';
    return true;
}

static PipelineStep *step_new(Planner *pl, const char *name)
{
    Pipeline *p = pl->p;
    PipelineStep *s = jf_realloc(p->steps, (p->count + 1) * sizeof *s);
    if (!s) return NULL;
    p->steps = s;
    s = &p->steps[p->count++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

static JfStatus arg(Planner *pl, PipelineStep *s, const char *value)
{
    char buf[4096];
    if (!expand(pl, value, buf, sizeof buf))
        return jf_error_set(pl->err, JF_EFORMAT, jf_config_path(pl->cfg), JF_OFFSET_UNKNOWN,
                            "step %s: unknown ${...} variable in '%s' (DATA, WORKDIR, PIPELINE_DIR)",
                            s->name, value);
    if (s->argc + 1 >= PIPELINE_MAX_ARGS)
        return jf_error_set(pl->err, JF_EFORMAT, jf_config_path(pl->cfg), JF_OFFSET_UNKNOWN,
                            "step %s: too many arguments", s->name);
    if (!(s->argv[s->argc] = jf_strdup(buf))) return JF_ENOMEM;
    s->argc++;
    return JF_OK;
}

/* Adds every space-separated word of value as an argument. */
static JfStatus args_words(Planner *pl, PipelineStep *s, const char *value)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", value);
    JfStatus rc = JF_OK;
    for (char *save, *w = strtok_r(buf, " \t", &save); w && rc == JF_OK; w = strtok_r(NULL, " \t", &save))
        rc = arg(pl, s, w);
    return rc;
}

/* "--name VALUE" when section.key is set. */
static JfStatus opt(Planner *pl, PipelineStep *s, const char *section, const char *key,
                    const char *flag)
{
    char k[128];
    snprintf(k, sizeof k, "%s.%s", section, key);
    const char *v = jf_config_get(pl->cfg, k);
    if (!v) return JF_OK;
    JfStatus rc = arg(pl, s, flag);
    return rc == JF_OK ? arg(pl, s, v) : rc;
}

static const char *get(const Planner *pl, const char *key)
{
    return jf_config_get(pl->cfg, key);
}

static JfStatus missing(Planner *pl, const char *key)
{
    return jf_error_set(pl->err, JF_EFORMAT, jf_config_path(pl->cfg), JF_OFFSET_UNKNOWN,
                        "%s is required", key);
}

/* Languages of the recipe: extract.lang (default "ja,en"). */
static size_t langs(const Planner *pl, char out[2][4])
{
    const char *l = get(pl, "extract.lang");
    size_t n = 0;
    if (!l || strstr(l, "ja")) snprintf(out[n++], 4, "ja");
    if (!l || strstr(l, "en")) snprintf(out[n++], 4, "en");
    return n;
}

static bool has_section(const Planner *pl, const char *section)
{
    size_t n = strlen(section);
    for (size_t i = 0; i < jf_config_count(pl->cfg); i++) {
        const char *k = jf_config_key_at(pl->cfg, i);
        if (!strncmp(k, section, n) && k[n] == '.') return true;
    }
    return false;
}

/* Where a language's documents are after the last document step so far. */
static void docs_dir(const Planner *pl, const char *lang, bool filtered, bool deduped, char *out,
                     size_t cap)
{
    if (deduped) snprintf(out, cap, "%s/dedup/%s", pl->workdir, lang);
    else if (filtered) snprintf(out, cap, "%s/filter/%s/kept", pl->workdir, lang);
    else snprintf(out, cap, "%s/extract/%s", pl->workdir, lang);
}

/* [fetch]: manifest = FILE, or cc_snapshot = ID with cc_count = N (a manifest
 * of that snapshot's first N WARC files is made first). Files land in
 * WORKDIR/fetch, which extract then reads unless extract.inputs says otherwise. */
static JfStatus plan_fetch(Planner *pl)
{
    const char *manifest = get(pl, "fetch.manifest"), *snap = get(pl, "fetch.cc_snapshot");
    if (!manifest && !snap) return missing(pl, "fetch.manifest or fetch.cc_snapshot");
    char made[4096], out[4096];
    JfStatus rc = JF_OK;
    if (!manifest) {
        PipelineStep *s = step_new(pl, "cc-manifest");
        if (!s) return JF_ENOMEM;
        snprintf(made, sizeof made, "%s/manifests/cc.tsv", pl->workdir);
        rc = args_words(pl, s, "fetch cc-manifest");
        if (rc == JF_OK) rc = arg(pl, s, snap);
        if (rc == JF_OK) rc = arg(pl, s, "--count");
        if (rc == JF_OK) rc = arg(pl, s, get(pl, "fetch.cc_count") ? get(pl, "fetch.cc_count") : "1");
        if (rc == JF_OK) rc = opt(pl, s, "fetch", "cc_base", "--base");
        if (rc == JF_OK) rc = arg(pl, s, "--out");
        if (rc == JF_OK) rc = arg(pl, s, made);
        manifest = made;
    }
    PipelineStep *s = step_new(pl, "fetch");
    if (!s) return JF_ENOMEM;
    snprintf(out, sizeof out, "%s/fetch", pl->workdir);
    if (rc == JF_OK) rc = args_words(pl, s, "fetch -q");
    if (rc == JF_OK) rc = arg(pl, s, manifest);
    if (rc == JF_OK) rc = arg(pl, s, "--out");
    if (rc == JF_OK) rc = arg(pl, s, out);
    if (rc == JF_OK) rc = opt(pl, s, "fetch", "jobs", "--jobs");
    return rc;
}

/* Filtering streams inside extract (one pass per input, no intermediate
 * documents) unless the recipe says filter.stream = false, which keeps the
 * extracted documents for re-filtering with other settings. */
static bool filter_streams(const Planner *pl)
{
    const char *v = get(pl, "filter.stream");
    return !v || (strcmp(v, "false") && strcmp(v, "0") && strcmp(v, "no"));
}

/* filter.set_<lang> = "rule.key=v ...": each word as flag VALUE, with
 * prefix ("ja:") before the value. */
static JfStatus filter_sets(Planner *pl, PipelineStep *s, const char *lang, const char *flag,
                            const char *prefix)
{
    char key[64], buf[4096], w2[4200];
    snprintf(key, sizeof key, "filter.set_%s", lang);
    const char *sets = get(pl, key);
    snprintf(buf, sizeof buf, "%s", sets ? sets : "");
    JfStatus rc = JF_OK;
    for (char *save, *w = strtok_r(buf, " \t", &save); w && rc == JF_OK; w = strtok_r(NULL, " \t", &save)) {
        snprintf(w2, sizeof w2, "%s%s", prefix, w);
        rc = arg(pl, s, flag);
        if (rc == JF_OK) rc = arg(pl, s, w2);
    }
    return rc;
}

/* --filter LANG=PROFILE for each language with a profile (streaming). */
static JfStatus extract_filters(Planner *pl, PipelineStep *s)
{
    char lang[2][4], key[64], buf[4200], out[4096];
    size_t nl = langs(pl, lang);
    bool any = false;
    JfStatus rc = JF_OK;
    for (size_t l = 0; rc == JF_OK && l < nl; l++) {
        snprintf(key, sizeof key, "filter.%s", lang[l]);
        const char *profile = get(pl, key);
        if (!profile) continue;
        any = true;
        snprintf(buf, sizeof buf, "%s=%s", lang[l], profile);
        rc = arg(pl, s, "--filter");
        if (rc == JF_OK) rc = arg(pl, s, buf);
        snprintf(buf, sizeof buf, "%s:", lang[l]);
        if (rc == JF_OK) rc = filter_sets(pl, s, lang[l], "--filter-set", buf);
    }
    snprintf(out, sizeof out, "%s/filter", pl->workdir);
    if (rc == JF_OK && any) rc = arg(pl, s, "--filter-out");
    if (rc == JF_OK && any) rc = arg(pl, s, out);
    if (rc == JF_OK && any && !get(pl, "extract.threads"))
        rc = opt(pl, s, "filter", "threads", "--threads");
    return rc;
}

static JfStatus plan_extract(Planner *pl)
{
    const char *inputs = get(pl, "extract.inputs");
    if (!inputs && has_section(pl, "fetch")) inputs = "${WORKDIR}/fetch";
    if (!inputs) return missing(pl, "extract.inputs");
    PipelineStep *s = step_new(pl, "extract");
    if (!s) return JF_ENOMEM;
    char out[4096];
    snprintf(out, sizeof out, "%s/extract", pl->workdir);
    JfStatus rc = args_words(pl, s, "extract -q --out");
    if (rc == JF_OK) rc = arg(pl, s, out);
    if (rc == JF_OK) rc = opt(pl, s, "extract", "lang", "--lang");
    if (rc == JF_OK) rc = opt(pl, s, "extract", "threads", "--threads");
    if (rc == JF_OK && filter_streams(pl)) rc = extract_filters(pl, s);
    if (rc == JF_OK) rc = args_words(pl, s, inputs);
    return rc;
}

/* filter.<lang> = PROFILE per language; filter.set_<lang> = "rule.key=v ...".
 * A step of its own only with filter.stream = false (else extract filters). */
static JfStatus plan_filter(Planner *pl, const char *lang, bool *filtered)
{
    char key[64], name[64], out[4096], in[4096];
    snprintf(key, sizeof key, "filter.%s", lang);
    const char *profile = get(pl, key);
    *filtered = profile != NULL;
    if (!profile || filter_streams(pl)) return JF_OK;
    snprintf(name, sizeof name, "filter-%s", lang);
    PipelineStep *s = step_new(pl, name);
    if (!s) return JF_ENOMEM;
    snprintf(out, sizeof out, "%s/filter/%s", pl->workdir, lang);
    docs_dir(pl, lang, false, false, in, sizeof in);
    JfStatus rc = args_words(pl, s, "filter -q --profile");
    if (rc == JF_OK) rc = arg(pl, s, profile);
    if (rc == JF_OK) rc = arg(pl, s, "--out");
    if (rc == JF_OK) rc = arg(pl, s, out);
    if (rc == JF_OK) rc = opt(pl, s, "filter", "threads", "--threads");
    if (rc == JF_OK) rc = filter_sets(pl, s, lang, "--set", "");
    if (rc == JF_OK) rc = arg(pl, s, in);
    return rc;
}

static JfStatus plan_dedup(Planner *pl, const char *lang, bool filtered, bool *deduped)
{
    *deduped = has_section(pl, "dedup");
    if (!*deduped) return JF_OK;
    char name[64], out[4096], in[4096];
    snprintf(name, sizeof name, "dedup-%s", lang);
    PipelineStep *s = step_new(pl, name);
    if (!s) return JF_ENOMEM;
    snprintf(out, sizeof out, "%s/dedup/%s", pl->workdir, lang);
    docs_dir(pl, lang, filtered, false, in, sizeof in);
    JfStatus rc = args_words(pl, s, "dedup -q --out");
    if (rc == JF_OK) rc = arg(pl, s, out);
    if (rc == JF_OK) rc = opt(pl, s, "dedup", "preset", "--preset");
    if (rc == JF_OK) rc = opt(pl, s, "dedup", "bands", "--bands");
    if (rc == JF_OK) rc = opt(pl, s, "dedup", "rows", "--rows");
    if (rc == JF_OK) rc = opt(pl, s, "dedup", "ngram", "--ngram");
    if (rc == JF_OK) rc = opt(pl, s, "dedup", "keep", "--keep");
    if (rc == JF_OK) rc = opt(pl, s, "dedup", "mem", "--mem");
    if (rc == JF_OK) rc = arg(pl, s, in);
    return rc;
}

/* tokenizer.model = an existing model (no step); tokenizer.base + tokenizer.add
 * to extend a base model (LLaMA's) with Japanese pieces learned from the
 * Japanese documents; or tokenizer.vocab_size to train one on the corpus. */
static JfStatus plan_tokenizer(Planner *pl, char lang[][4], char docs[][4096], size_t nl,
                               char *model, size_t cap)
{
    const char *given = get(pl, "tokenizer.model");
    if (given) {
        if (!expand(pl, given, model, cap)) return missing(pl, "a known variable in tokenizer.model");
        return JF_OK;
    }
    snprintf(model, cap, "%s/tokenizer/tokenizer.model", pl->workdir);
    bool extend = get(pl, "tokenizer.base") != NULL;
    if (extend && !get(pl, "tokenizer.add")) return missing(pl, "tokenizer.add (with tokenizer.base)");
    if (!extend && !get(pl, "tokenizer.vocab_size"))
        return missing(pl, "tokenizer.vocab_size, tokenizer.base + tokenizer.add, or tokenizer.model");
    PipelineStep *s = step_new(pl, "tokenizer");
    if (!s) return JF_ENOMEM;
    char out[4096];
    snprintf(out, sizeof out, "%s/tokenizer", pl->workdir);
    JfStatus rc = args_words(pl, s, extend ? "tokenizer extend --out" : "tokenizer train --out");
    if (rc == JF_OK) rc = arg(pl, s, out);
    if (rc == JF_OK) rc = opt(pl, s, "tokenizer", "vocab_size", "--vocab-size");
    if (rc == JF_OK) rc = opt(pl, s, "tokenizer", "base", "--base");
    if (rc == JF_OK) rc = opt(pl, s, "tokenizer", "add", "--add");
    if (rc == JF_OK) rc = opt(pl, s, "tokenizer", "character_coverage", "--character-coverage");
    /* a vocabulary is trained on every language; an extension learns from Japanese only */
    for (size_t l = 0; rc == JF_OK && l < nl; l++)
        if (!extend || !strcmp(lang[l], "ja")) rc = arg(pl, s, docs[l]);
    return rc;
}

static JfStatus plan_shards(Planner *pl, char lang[][4], char docs[][4096], size_t nl,
                            const char *model)
{
    JfStatus rc = JF_OK;
    for (size_t l = 0; rc == JF_OK && l < nl; l++) {
        char name[64], out[4096];
        snprintf(name, sizeof name, "shard-%s", lang[l]);
        PipelineStep *s = step_new(pl, name);
        if (!s) return JF_ENOMEM;
        snprintf(out, sizeof out, "%s/shards/%s", pl->workdir, lang[l]);
        rc = args_words(pl, s, "shard --model");
        if (rc == JF_OK) rc = arg(pl, s, model);
        if (rc == JF_OK) rc = arg(pl, s, "--out");
        if (rc == JF_OK) rc = arg(pl, s, out);
        if (rc == JF_OK) rc = opt(pl, s, "shard", "threads", "-j");
        if (rc == JF_OK) rc = arg(pl, s, docs[l]);
    }
    return rc;
}

/* blend.weights = "ja:9 en:1" (language:weight) */
static JfStatus plan_blend(Planner *pl)
{
    const char *w = get(pl, "blend.weights");
    if (!w) return missing(pl, "blend.weights");
    PipelineStep *s = step_new(pl, "blend");
    if (!s) return JF_ENOMEM;
    char out[4096], buf[1024];
    snprintf(out, sizeof out, "%s/blend/plan.json", pl->workdir);
    JfStatus rc = args_words(pl, s, "blend --out");
    if (rc == JF_OK) rc = arg(pl, s, out);
    if (rc == JF_OK) rc = opt(pl, s, "blend", "tokens", "--tokens");
    if (rc == JF_OK) rc = opt(pl, s, "blend", "samples", "--samples");
    if (rc == JF_OK) rc = opt(pl, s, "blend", "seq_len", "--seq-len");
    if (rc == JF_OK) rc = opt(pl, s, "blend", "seed", "--seed");
    if (rc == JF_OK) rc = opt(pl, s, "blend", "split", "--split");
    snprintf(buf, sizeof buf, "%s", w);
    for (char *save, *t = strtok_r(buf, " \t", &save); t && rc == JF_OK; t = strtok_r(NULL, " \t", &save)) {
        char *colon = strchr(t, ':'), prefix[4096];
        if (!colon) return missing(pl, "blend.weights as LANG:WEIGHT pairs");
        *colon = '\0';
        snprintf(prefix, sizeof prefix, "%s/shards/%s", pl->workdir, t);
        rc = arg(pl, s, colon + 1);
        if (rc == JF_OK) rc = arg(pl, s, prefix);
    }
    return rc;
}

/* train.config = FILE; train.set = "key=value ..." */
static JfStatus plan_train(Planner *pl)
{
    const char *conf = get(pl, "train.config");
    if (!conf) return missing(pl, "train.config");
    PipelineStep *s = step_new(pl, "train");
    if (!s) return JF_ENOMEM;
    char buf[4096];
    JfStatus rc = args_words(pl, s, "train --config");
    if (rc == JF_OK) rc = arg(pl, s, conf);
    snprintf(buf, sizeof buf, "data.plan=%s/blend/plan.json", pl->workdir);
    if (rc == JF_OK) rc = arg(pl, s, "--set");
    if (rc == JF_OK) rc = arg(pl, s, buf);
    snprintf(buf, sizeof buf, "out.dir=%s/train", pl->workdir);
    if (rc == JF_OK) rc = arg(pl, s, "--set");
    if (rc == JF_OK) rc = arg(pl, s, buf);
    const char *sets = get(pl, "train.set");
    snprintf(buf, sizeof buf, "%s", sets ? sets : "");
    for (char *save, *w = strtok_r(buf, " \t", &save); w && rc == JF_OK; w = strtok_r(NULL, " \t", &save)) {
        rc = arg(pl, s, "--set");
        if (rc == JF_OK) rc = arg(pl, s, w);
    }
    return rc;
}

static JfStatus plan_all(Planner *pl)
{
    JfStatus rc = has_section(pl, "fetch") ? plan_fetch(pl) : JF_OK;
    if (rc == JF_OK) rc = plan_extract(pl);
    char lang[2][4], docs[2][4096];
    size_t nl = langs(pl, lang);
    for (size_t l = 0; rc == JF_OK && l < nl; l++) {
        bool filtered = false, deduped = false;
        rc = plan_filter(pl, lang[l], &filtered);
        if (rc == JF_OK) rc = plan_dedup(pl, lang[l], filtered, &deduped);
        docs_dir(pl, lang[l], filtered, deduped, docs[l], sizeof docs[l]);
    }
    char model[4096];
    if (rc == JF_OK && has_section(pl, "tokenizer")) {
        rc = plan_tokenizer(pl, lang, docs, nl, model, sizeof model);
        if (rc == JF_OK && has_section(pl, "shard")) rc = plan_shards(pl, lang, docs, nl, model);
    }
    if (rc == JF_OK && has_section(pl, "blend")) rc = plan_blend(pl);
    if (rc == JF_OK && has_section(pl, "train")) rc = plan_train(pl);
    return rc;
}

JfStatus pipeline_plan(const JfConfig *cfg, const char *pipeline_dir, const char *workdir,
                       Pipeline *out, JfError *err)
{
    memset(out, 0, sizeof *out);
    const char *data = jf_config_get(cfg, "data");
    if (!data) data = getenv("JF_DATA_DIR");
    Planner pl = { cfg, pipeline_dir, workdir, data ? data : "data", out, err };
    const char *name = jf_config_get(cfg, "pipeline.name");
    snprintf(out->name, sizeof out->name, "%s", name ? name : "pipeline");
    JfStatus rc = plan_all(&pl);
    if (rc == JF_ENOMEM) jf_error_set(err, rc, jf_config_path(cfg), JF_OFFSET_UNKNOWN, "out of memory");
    if (rc != JF_OK) pipeline_free(out);
    return rc;
}

void pipeline_free(Pipeline *p)
{
    for (size_t i = 0; i < p->count; i++)
        for (size_t a = 0; a < p->steps[i].argc; a++) jf_free(p->steps[i].argv[a]);
    jf_free(p->steps);
    memset(p, 0, sizeof *p);
}

void pipeline_truncate(Pipeline *p, size_t n)
{
    for (size_t i = n; i < p->count; i++)
        for (size_t a = 0; a < p->steps[i].argc; a++) jf_free(p->steps[i].argv[a]);
    if (n < p->count) p->count = n;
}
