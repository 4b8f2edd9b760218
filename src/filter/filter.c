/* filter.c: profiles (INI, read with jf_config) turned into a list of
 * configured rules, the evaluation of one document against them, and the
 * per-rule statistics. A profile is one section per rule plus [profile]:
 *
 *   [profile]
 *   name = swallow-ja
 *   lang = ja
 *   [ja_hiragana_ratio]
 *   enabled = true
 *   min = 0.2            ; "none" removes a default bound
 *
 * Rules run in the order of their sections, after the editing rules:
 * footer_trim (which cuts the tail) and then C4's line pass (filter_c4.c),
 * which rewrite the text the measuring rules see. max_bytes always runs
 * first (added with its default when the profile omits it): a document over
 * it is not analysed further, its other rules are FILTER_SKIP. Measuring is
 * the rule files' work; this file does no text analysis. */
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "filter_int.h"
#include "jf_alloc.h"

#ifndef JF_FILTERS_DIR
#define JF_FILTERS_DIR "filters"
#endif

struct Filter {
    char              name[64];
    char              lang[16];
    FilterRuleConf   *rules;
    size_t            n_rules;
    FilterRuleResult *results;
    FilterText        text;
    FilterStats       stats;
    bool              has_trim;   /* a rule cuts documents' tails (footer_trim) */
    FilterC4         *c4;         /* C4's line pass, NULL when no rule of it is on */
    size_t            bytes_rule; /* index of max_bytes, SIZE_MAX when disabled */
};

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

JfStatus filter_profile_find(const char *name_or_path, char *path, size_t cap, JfError *err)
{
    if (file_exists(name_or_path)) {
        if ((size_t)snprintf(path, cap, "%s", name_or_path) >= cap)
            return jf_error_set(err, JF_ETOOBIG, name_or_path, JF_OFFSET_UNKNOWN, "path too long");
        return JF_OK;
    }
    const char *env = getenv("JAFORGE_FILTERS_DIR");
    const char *dir = env && *env ? env : JF_FILTERS_DIR;
    if (!strchr(name_or_path, '/')) {
        const char *ext = strstr(name_or_path, ".ini") ? "" : ".ini";
        if ((size_t)snprintf(path, cap, "%s/%s%s", dir, name_or_path, ext) >= cap)
            return jf_error_set(err, JF_ETOOBIG, name_or_path, JF_OFFSET_UNKNOWN, "path too long");
        if (file_exists(path)) return JF_OK;
    }
    return jf_error_set(err, JF_EUSAGE, name_or_path, JF_OFFSET_UNKNOWN,
                        "no such profile (not a file, not in %s)", dir);
}

/* ---- loading ---- */

static JfStatus parse_bound(const JfConfig *cfg, const char *key, double def, double *out,
                            JfError *err)
{
    const char *v = jf_config_get(cfg, key);
    if (v && (!strcmp(v, "none") || !*v)) {
        *out = NAN;
        return JF_OK;
    }
    if (!v) {
        *out = def;
        return JF_OK;
    }
    return jf_config_get_double(cfg, key, def, out, err);
}

static bool rule_listed(const Filter *f, const FilterRuleDef *d)
{
    for (size_t i = 0; i < f->n_rules; i++)
        if (f->rules[i].def == d) return true;
    return false;
}

/* Adds rule d configured from section d->name (present or not). */
static JfStatus rule_add(Filter *f, const FilterRuleDef *d, const JfConfig *cfg,
                         const char *base_dir, JfError *err)
{
    char key[160];
    bool enabled;
    snprintf(key, sizeof key, "%s.enabled", d->name);
    JfStatus rc = jf_config_get_bool(cfg, key, true, &enabled, err);
    if (rc != JF_OK || !enabled) return rc;
    FilterRuleConf *r = &f->rules[f->n_rules];
    *r = (FilterRuleConf){ .def = d };
    snprintf(key, sizeof key, "%s.min", d->name);
    if ((rc = parse_bound(cfg, key, d->min, &r->min, err)) != JF_OK) return rc;
    snprintf(key, sizeof key, "%s.max", d->name);
    if ((rc = parse_bound(cfg, key, d->max, &r->max, err)) != JF_OK) return rc;
    if (d->setup && (rc = d->setup(r, cfg, base_dir, err)) != JF_OK) return rc;
    if (d->trim) f->has_trim = true;
    f->n_rules++;
    return JF_OK;
}

static bool key_known(const FilterRuleDef *d, const char *k)
{
    if (!strcmp(k, "enabled") || !strcmp(k, "min") || !strcmp(k, "max")) return true;
    size_t n = strlen(k);
    for (const char *p = d->extra_keys; p && *p;) {   /* a space-separated list */
        size_t w = strcspn(p, " ");
        if (w == n && !memcmp(p, k, n)) return true;
        p += w + (p[w] == ' ');
    }
    return false;
}

/* Checks one "section.key" of the profile. */
static JfStatus key_check(const JfConfig *cfg, const char *full, const FilterRuleDef **d,
                          JfError *err)
{
    const char *dot = strchr(full, '.');
    char sec[96];
    *d = NULL;
    if (!dot || (size_t)(dot - full) >= sizeof sec)
        return jf_error_set(err, JF_EFORMAT, jf_config_path(cfg), JF_OFFSET_UNKNOWN,
                            "%s: key outside a section", full);
    memcpy(sec, full, (size_t)(dot - full));
    sec[dot - full] = '\0';
    if (!strcmp(sec, "profile")) {
        const char *k = dot + 1;
        if (!strcmp(k, "name") || !strcmp(k, "lang") || !strcmp(k, "description")) return JF_OK;
        return jf_error_set(err, JF_EFORMAT, jf_config_path(cfg), JF_OFFSET_UNKNOWN,
                            "%s: unknown key (name, lang, description)", full);
    }
    *d = filter_rule_find(sec);
    if (!*d)
        return jf_error_set(err, JF_EFORMAT, jf_config_path(cfg), JF_OFFSET_UNKNOWN,
                            "[%s]: unknown rule (see docs/filters.md)", sec);
    if (!key_known(*d, dot + 1))
        return jf_error_set(err, JF_EFORMAT, jf_config_path(cfg), JF_OFFSET_UNKNOWN,
                            "%s: unknown key (enabled, min, max%s%s)", full,
                            (*d)->extra_keys ? " " : "", (*d)->extra_keys ? (*d)->extra_keys : "");
    return JF_OK;
}

static JfStatus rules_load(Filter *f, const JfConfig *cfg, const char *base_dir, JfError *err)
{
    size_t n = jf_config_count(cfg);
    f->rules = jf_calloc(n + 1, sizeof *f->rules);
    if (!f->rules) return JF_ENOMEM;
    JfStatus rc = rule_add(f, filter_rule_find("max_bytes"), cfg, base_dir, err);
    for (size_t i = 0; rc == JF_OK && i < n; i++) {
        const FilterRuleDef *d;
        rc = key_check(cfg, jf_config_key_at(cfg, i), &d, err);
        if (rc == JF_OK && d && !rule_listed(f, d)) rc = rule_add(f, d, cfg, base_dir, err);
    }
    return rc;
}

JfStatus filter_open_config(const JfConfig *cfg, const char *base_dir, Filter **out, JfError *err)
{
    *out = NULL;
    Filter *f = jf_calloc(1, sizeof *f);
    if (!f) return JF_ENOMEM;
    filter_text_init(&f->text);
    const char *v = jf_config_get(cfg, "profile.name");
    snprintf(f->name, sizeof f->name, "%s", v ? v : "unnamed");
    v = jf_config_get(cfg, "profile.lang");
    snprintf(f->lang, sizeof f->lang, "%s", v ? v : "");
    JfStatus rc = rules_load(f, cfg, base_dir, err);
    if (rc == JF_OK) rc = filter_c4_open(f->rules, f->n_rules, &f->c4);
    f->bytes_rule = SIZE_MAX;
    for (size_t i = 0; i < f->n_rules; i++)
        if (f->rules[i].def->measure == filter_m_bytes) f->bytes_rule = i;
    if (rc == JF_OK) {
        f->results = jf_calloc(f->n_rules, sizeof *f->results);
        if (!f->results) rc = JF_ENOMEM;
    }
    if (rc == JF_OK) rc = filter_stats_init(&f->stats, f);
    if (rc != JF_OK) {
        if (rc == JF_ENOMEM)
            jf_error_set(err, rc, jf_config_path(cfg), JF_OFFSET_UNKNOWN, "out of memory");
        filter_close(f);
        return rc;
    }
    *out = f;
    return JF_OK;
}

JfStatus filter_open(const char *name_or_path, const char *const *overrides, size_t n_overrides,
                     Filter **out, JfError *err)
{
    char path[PATH_MAX];
    *out = NULL;
    JfStatus rc = filter_profile_find(name_or_path, path, sizeof path, err);
    JfConfig *cfg = NULL;
    if (rc == JF_OK) rc = jf_config_load(path, &cfg, err);
    for (size_t i = 0; rc == JF_OK && i < n_overrides; i++)
        rc = jf_config_set(cfg, overrides[i], err);
    if (rc == JF_OK) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash) *slash = '\0';
        else snprintf(dir, sizeof dir, ".");
        rc = filter_open_config(cfg, dir, out, err);
    }
    jf_config_close(cfg);
    return rc;
}

void filter_close(Filter *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->n_rules; i++)
        if (f->rules[i].def->teardown) f->rules[i].def->teardown(&f->rules[i]);
    jf_free(f->rules);
    jf_free(f->results);
    filter_c4_close(f->c4);
    filter_text_free(&f->text);
    filter_stats_free(&f->stats);
    jf_free(f);
}

const char *filter_name(const Filter *f) { return f->name; }
const char *filter_lang(const Filter *f) { return f->lang; }
size_t filter_rule_count(const Filter *f) { return f->n_rules; }

const char *filter_rule_name(const Filter *f, size_t i)
{
    return i < f->n_rules ? f->rules[i].def->name : NULL;
}

/* ---- evaluation ---- */

static bool bound_pass(const FilterRuleConf *r, double v)
{
    if (!isnan(r->min) && !(v >= r->min)) return false;
    if (!isnan(r->max) && (r->def->max_strict ? !(v < r->max) : !(v <= r->max))) return false;
    return true;
}

static uint64_t utf8_count(const char *s, size_t len)
{
    uint64_t n = 0;
    for (size_t i = 0; i < len; i++) n += ((uint8_t)s[i] & 0xC0) != 0x80;
    return n;
}

/* Runs the trimming rules (in profile order) on text[0..len).
 * @return the kept length, a prefix of the text. */
static size_t trim_all(Filter *f, const char *text, size_t len, FilterVerdict *v)
{
    size_t in = len;
    for (size_t i = 0; i < f->n_rules; i++) {
        const FilterRuleConf *r = &f->rules[i];
        if (!r->def->trim) continue;
        FilterRuleResult *res = &f->results[i];
        len = r->def->trim(r, text, len, &res->value, &res->cut_lines);
        res->cut_chars = (uint64_t)res->value;
        res->outcome = bound_pass(r, res->value) ? FILTER_PASS : FILTER_FAIL;
        v->trimmed_chars += res->cut_chars;
        v->cut_lines += res->cut_lines;
    }
    v->text_len = len;
    v->edited = len < in;
    return len;
}

static void verdict_fail(FilterVerdict *v, size_t i)
{
    if (v->first_fail == SIZE_MAX || i < v->first_fail) v->first_fail = i;
    v->n_fail++;
    v->keep = false;
}

/* C4's line pass over the verdict's text: the results of its rules, and the
 * text becomes the pass's. @return JF_OK or JF_ENOMEM. */
static JfStatus c4_all(Filter *f, FilterVerdict *v)
{
    FilterC4Result r;
    if (filter_c4_run(f->c4, v->text, v->text_len, &r) != JF_OK) return JF_ENOMEM;
    for (int step = FILTER_C4_NONE + 1; step < FILTER_C4_STEPS; step++) {
        size_t i = filter_c4_rule(f->c4, step);
        if (i == SIZE_MAX) continue;
        FilterRuleResult *res = &f->results[i];
        res->value = r.value[step];
        res->cut_lines = r.cut_lines[step];
        res->cut_chars = r.cut_chars[step];
        res->outcome = bound_pass(&f->rules[i], res->value) ? FILTER_PASS : FILTER_FAIL;
        v->trimmed_chars += res->cut_chars;
        v->cut_lines += res->cut_lines;
    }
    if (r.edited) {
        v->text = r.text;
        v->text_len = r.len;
        v->edited = true;
    }
    return JF_OK;
}

static bool is_measured(const FilterRuleDef *d)
{
    return !d->trim && d->c4 == FILTER_C4_NONE && d->measure != filter_m_bytes;
}

JfStatus filter_measure(Filter *f, const char *text, size_t len, const char *url,
                        FilterVerdict *v, JfError *err)
{
    if (!text) { text = ""; len = 0; }
    *v = (FilterVerdict){ .keep = true, .first_fail = SIZE_MAX, .n_results = f->n_rules,
                          .results = f->results, .chars = utf8_count(text, len),
                          .text = text, .text_len = len };
    for (size_t i = 0; i < f->n_rules; i++) {
        const FilterRuleConf *r = &f->rules[i];
        f->results[i] = (FilterRuleResult){ r->def->name, NAN, r->min, r->max,
                                            r->def->max_strict, FILTER_SKIP, 0, 0 };
    }
    if (f->has_trim) trim_all(f, text, len, v);
    if (f->bytes_rule != SIZE_MAX) {   /* bounds the work on the document as given */
        FilterRuleResult *res = &f->results[f->bytes_rule];
        res->value = (double)len;
        res->outcome = bound_pass(&f->rules[f->bytes_rule], res->value) ? FILTER_PASS : FILTER_FAIL;
    }
    bool big = f->bytes_rule != SIZE_MAX && f->results[f->bytes_rule].outcome == FILTER_FAIL;
    if (!big && f->c4 && c4_all(f, v) != JF_OK) goto oom;
    bool loaded = false;
    for (size_t i = 0; !big && i < f->n_rules; i++) {
        const FilterRuleConf *r = &f->rules[i];
        if (!is_measured(r->def)) continue;
        if (!loaded && filter_text_load(&f->text, v->text, v->text_len, url) != JF_OK) goto oom;
        loaded = true;
        FilterRuleResult *res = &f->results[i];
        if (r->def->measure(&f->text, r, &res->value) != JF_OK) goto oom;
        res->outcome = bound_pass(r, res->value) ? FILTER_PASS : FILTER_FAIL;
    }
    for (size_t i = 0; i < f->n_rules; i++)
        if (f->results[i].outcome == FILTER_FAIL) verdict_fail(v, i);
    return JF_OK;
oom:
    return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN,
                        "out of memory measuring a document");
}

void filter_stats_count(FilterStats *s, const char *id, const FilterVerdict *v)
{
    s->docs++;
    s->chars += v->chars;
    if (v->keep) {
        s->kept_docs++;
        s->kept_chars += v->chars;
        for (size_t i = 0; i < v->n_results && i < s->n_rules; i++) {
            const FilterRuleResult *res = &v->results[i];
            if (!res->cut_lines && !res->cut_chars) continue;
            s->rules[i].docs_edited++;
            s->rules[i].lines_cut += res->cut_lines;
            s->rules[i].chars_cut += res->cut_chars;
        }
        return;
    }
    for (size_t i = 0; i < v->n_results && i < s->n_rules; i++) {
        if (v->results[i].outcome != FILTER_FAIL) continue;
        FilterRuleStats *r = &s->rules[i];
        r->docs_any++;
        r->chars_any += v->chars;
        if (i == v->first_fail) {
            r->docs_first++;
            r->chars_first += v->chars;
        }
        if (id && r->n_samples < FILTER_SAMPLES)
            snprintf(r->samples[r->n_samples++], FILTER_SAMPLE_ID, "%s", id);
    }
}

void filter_count(Filter *f, const char *id, const FilterVerdict *v)
{
    filter_stats_count(&f->stats, id, v);
}

JfStatus filter_eval(Filter *f, const char *id, const char *text, size_t len, const char *url,
                     FilterVerdict *v, JfError *err)
{
    JfStatus rc = filter_measure(f, text, len, url, v, err);
    if (rc == JF_OK) filter_stats_count(&f->stats, id, v);
    return rc;
}

/* ---- statistics ---- */

const FilterStats *filter_stats(const Filter *f)
{
    return &f->stats;
}

void filter_stats_reset(Filter *f)
{
    FilterStats *s = &f->stats;
    s->docs = s->chars = s->kept_docs = s->kept_chars = 0;
    for (size_t i = 0; i < s->n_rules; i++) {
        FilterRuleStats *r = &s->rules[i];
        char name[sizeof r->name];
        memcpy(name, r->name, sizeof name);
        memset(r, 0, sizeof *r);
        memcpy(r->name, name, sizeof name);
    }
}

JfStatus filter_stats_init(FilterStats *s, const Filter *f)
{
    memset(s, 0, sizeof *s);
    s->rules = jf_calloc(f->n_rules ? f->n_rules : 1, sizeof *s->rules);
    if (!s->rules) return JF_ENOMEM;
    s->n_rules = f->n_rules;
    for (size_t i = 0; i < f->n_rules; i++)
        snprintf(s->rules[i].name, sizeof s->rules[i].name, "%s", f->rules[i].def->name);
    return JF_OK;
}

void filter_stats_free(FilterStats *s)
{
    jf_free(s->rules);
    memset(s, 0, sizeof *s);
}

static FilterRuleStats *stats_rule(FilterStats *s, const char *name)
{
    for (size_t i = 0; i < s->n_rules; i++)
        if (!strcmp(s->rules[i].name, name)) return &s->rules[i];
    return NULL;
}

static void rule_add_counts(FilterRuleStats *d, const FilterRuleStats *r)
{
    d->docs_first += r->docs_first;
    d->chars_first += r->chars_first;
    d->docs_any += r->docs_any;
    d->chars_any += r->chars_any;
    d->docs_edited += r->docs_edited;
    d->lines_cut += r->lines_cut;
    d->chars_cut += r->chars_cut;
    for (size_t k = 0; k < r->n_samples && d->n_samples < FILTER_SAMPLES; k++)
        memcpy(d->samples[d->n_samples++], r->samples[k], FILTER_SAMPLE_ID);
}

void filter_stats_add(FilterStats *dst, const FilterStats *src)
{
    dst->docs += src->docs;
    dst->chars += src->chars;
    dst->kept_docs += src->kept_docs;
    dst->kept_chars += src->kept_chars;
    for (size_t i = 0; i < src->n_rules; i++) {
        FilterRuleStats *d = stats_rule(dst, src->rules[i].name);
        if (d) rule_add_counts(d, &src->rules[i]);
    }
}

char *filter_stats_to_json(const FilterStats *s)
{
    json_t *rules = json_object();
    for (size_t i = 0; rules && i < s->n_rules; i++) {
        const FilterRuleStats *r = &s->rules[i];
        json_t *samples = json_array();
        for (size_t k = 0; samples && k < r->n_samples; k++)
            json_array_append_new(samples, json_string(r->samples[k]));
        json_object_set_new(rules, r->name,
                            json_pack("{sIsIsIsIsIsIsIso}", "docs_first", (json_int_t)r->docs_first,
                                      "chars_first", (json_int_t)r->chars_first, "docs_any",
                                      (json_int_t)r->docs_any, "chars_any",
                                      (json_int_t)r->chars_any, "docs_edited",
                                      (json_int_t)r->docs_edited, "lines_cut",
                                      (json_int_t)r->lines_cut, "chars_cut",
                                      (json_int_t)r->chars_cut, "samples", samples));
    }
    json_t *o = json_pack("{sIsIsIsIso}", "docs", (json_int_t)s->docs, "chars",
                          (json_int_t)s->chars, "kept_docs", (json_int_t)s->kept_docs,
                          "kept_chars", (json_int_t)s->kept_chars, "rules", rules);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

static uint64_t jint(const json_t *o, const char *k)
{
    json_int_t v = json_integer_value(json_object_get(o, k));
    return v > 0 ? (uint64_t)v : 0;
}

JfStatus filter_stats_add_json(FilterStats *dst, const char *text, JfError *err)
{
    json_t *o = json_loads(text, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return jf_error_set(err, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN,
                            "filter statistics are not a JSON object");
    }
    dst->docs += jint(o, "docs");
    dst->chars += jint(o, "chars");
    dst->kept_docs += jint(o, "kept_docs");
    dst->kept_chars += jint(o, "kept_chars");
    const char *name;
    json_t *r;
    json_object_foreach(json_object_get(o, "rules"), name, r) {
        FilterRuleStats *d = stats_rule(dst, name);
        if (!d) continue;
        FilterRuleStats add = { .docs_first = jint(r, "docs_first"),
                                .chars_first = jint(r, "chars_first"),
                                .docs_any = jint(r, "docs_any"),
                                .chars_any = jint(r, "chars_any"),
                                .docs_edited = jint(r, "docs_edited"),
                                .lines_cut = jint(r, "lines_cut"),
                                .chars_cut = jint(r, "chars_cut") };
        json_t *smp = json_object_get(r, "samples");
        for (size_t k = 0; k < json_array_size(smp) && add.n_samples < FILTER_SAMPLES; k++) {
            const char *sid = json_string_value(json_array_get(smp, k));
            if (sid) snprintf(add.samples[add.n_samples++], FILTER_SAMPLE_ID, "%s", sid);
        }
        rule_add_counts(d, &add);
    }
    json_decref(o);
    return JF_OK;
}
