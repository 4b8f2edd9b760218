/* cli_extract_out.c: the outputs of one extract input, filtered as they come
 * out when the language has a profile (see cli_extract_out.h). */
#include "cli_extract_out.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jf_fs.h"
#ifdef JF_HAVE_FILTER
#include "filter.h"
#endif

static int lang_of(const char *s, size_t n)
{
    for (int l = 0; l < EXTRACT_LANG_COUNT; l++)
        if (strlen(extract_lang_code(l)) == n && !strncmp(s, extract_lang_code(l), n)) return l;
    return -1;
}

bool extract_out_filtered(const ExtractOutSpec *s)
{
    for (int l = 0; l < EXTRACT_LANG_COUNT; l++)
        if (s->want[l] && s->profile[l]) return true;
    return false;
}

int extract_out_parse_filter(ExtractOutSpec *s, const char *arg)
{
#ifndef JF_HAVE_FILTER
    (void)s;
    cli_errorf("--filter %s: this jaforge was built without the filter stage", arg);
    return -1;
#else
    const char *eq = strchr(arg, '=');
    int l = eq ? lang_of(arg, (size_t)(eq - arg)) : -1;
    if (l < 0 || !eq[1]) {
        cli_errorf("--filter: expected LANG=PROFILE with LANG ja or en, got '%s'", arg);
        return -1;
    }
    s->profile[l] = eq + 1;
    return 0;
#endif
}

int extract_out_parse_set(ExtractOutSpec *s, const char *arg)
{
    const char *colon = strchr(arg, ':');
    int l = colon ? lang_of(arg, (size_t)(colon - arg)) : -1;
    if (l < 0 || !strchr(colon, '=')) {
        cli_errorf("--filter-set: expected LANG:RULE.KEY=VALUE, got '%s'", arg);
        return -1;
    }
    if (s->n_sets[l] == EXTRACT_OUT_MAX_SETS) {
        cli_errorf("--filter-set: more than %d for %s", EXTRACT_OUT_MAX_SETS, extract_lang_code(l));
        return -1;
    }
    s->sets[l][s->n_sets[l]++] = colon + 1;
    return 0;
}

JfStatus extract_out_mkdirs(const ExtractOutSpec *s, JfError *err)
{
    static const char *const SUB[] = { "kept", "rejected" };
    char path[PATH_MAX];
    JfStatus rc = jf_fs_mkdir_p(s->out_dir, err);
    for (int l = 0; rc == JF_OK && l < EXTRACT_LANG_COUNT; l++) {
        if (!s->want[l]) continue;
        if (!s->profile[l]) {
            snprintf(path, sizeof path, "%s/%s", s->out_dir, extract_lang_code(l));
            rc = jf_fs_mkdir_p(path, err);
        }
        for (int k = 0; rc == JF_OK && s->profile[l] && k < 2; k++) {
            snprintf(path, sizeof path, "%s/%s/%s", s->filter_out, extract_lang_code(l), SUB[k]);
            rc = jf_fs_mkdir_p(path, err);
        }
    }
    return rc;
}

JfStatus extract_filters_open(const ExtractOutSpec *s, ExtractFilters *fs, JfError *err)
{
    memset(fs, 0, sizeof *fs);
#ifdef JF_HAVE_FILTER
    for (int l = 0; l < EXTRACT_LANG_COUNT; l++) {
        if (!s->want[l] || !s->profile[l]) continue;
        Filter *f = NULL;
        JfStatus rc = filter_open(s->profile[l], s->sets[l], s->n_sets[l], &f, err);
        if (rc != JF_OK) {
            extract_filters_close(fs);
            return rc;
        }
        fs->f[l] = f;
    }
#else
    (void)s, (void)err;
#endif
    return JF_OK;
}

void extract_filters_close(ExtractFilters *fs)
{
#ifdef JF_HAVE_FILTER
    for (int l = 0; l < EXTRACT_LANG_COUNT; l++) filter_close(fs->f[l]);
#endif
    memset(fs, 0, sizeof *fs);
}

#ifdef JF_HAVE_FILTER
/* The sink's on_doc: judge, then kept or rejected. */
static JfStatus outputs_take(void *ctx, ExtractLang l, JfDoc *doc, JfError *err)
{
    ExtractOutputs *o = ctx;
    if (!o->filters->f[l]) return o->w[l][0] ? jf_docwriter_write(o->w[l][0], doc, err) : JF_OK;
    bool keep = false;
    JfStatus rc = filter_doc_judge(o->filters->f[l], doc, &keep, err);
    return rc == JF_OK ? jf_docwriter_write(o->w[l][keep ? 0 : 1], doc, err) : rc;
}
#endif

JfStatus extract_outputs_open(const ExtractOutSpec *s, ExtractFilters *fs, const char *stem,
                              ExtractOutputs *o, ExtractSink *sink, JfError *err)
{
    memset(o, 0, sizeof *o);
    o->spec = s;
    o->filters = fs;
    for (int l = 0; l < EXTRACT_LANG_COUNT; l++) {
        if (!s->want[l]) continue;
        const char *code = extract_lang_code(l);
        bool filtered = fs->f[l] != NULL;
        if (filtered) {
            snprintf(o->paths[l][0], PATH_MAX, "%s/%s/kept/%s.jsonl.zst", s->filter_out, code, stem);
            snprintf(o->paths[l][1], PATH_MAX, "%s/%s/rejected/%s.jsonl.zst", s->filter_out, code, stem);
        } else {
            snprintf(o->paths[l][0], PATH_MAX, "%s/%s/%s.jsonl.zst", s->out_dir, code, stem);
        }
        for (int k = 0; k < (filtered ? 2 : 1); k++) {
            JfStatus rc = jf_docwriter_open(o->paths[l][k], 3, &o->w[l][k], err);
            if (rc != JF_OK) return rc;
        }
        sink->out[l] = o->w[l][0];
    }
#ifdef JF_HAVE_FILTER
    if (extract_out_filtered(s)) {
        for (int l = 0; l < EXTRACT_LANG_COUNT; l++)
            if (fs->f[l]) filter_stats_reset(fs->f[l]);
        sink->on_doc = outputs_take;
        sink->doc_ctx = o;
    }
#endif
    return JF_OK;
}

/* {"ja": {filter statistics, "profile": NAME}, ...} */
static char *filter_stats_json(const ExtractOutputs *o)
{
    json_t *all = json_object();
#ifdef JF_HAVE_FILTER
    for (int l = 0; all && l < EXTRACT_LANG_COUNT; l++) {
        Filter *f = o->filters->f[l];
        if (!f) continue;
        char *s = filter_stats_to_json(filter_stats(f));
        json_t *st = s ? json_loads(s, 0, NULL) : NULL;
        free(s);
        if (!st) {
            json_decref(all);
            return NULL;
        }
        json_object_set_new(st, "profile", json_string(filter_name(f)));
        json_object_set_new(all, extract_lang_code(l), st);
    }
#else
    (void)o;
#endif
    char *text = all ? json_dumps(all, JSON_COMPACT) : NULL;
    json_decref(all);
    return text;
}

JfStatus extract_outputs_commit(ExtractOutputs *o, char **paths_json, char **filter_json,
                                JfError *err)
{
    *paths_json = *filter_json = NULL;
    json_t *paths = json_array();
    JfStatus rc = paths ? JF_OK : JF_ENOMEM;
    for (int l = 0; rc == JF_OK && l < EXTRACT_LANG_COUNT; l++)
        for (int k = 0; rc == JF_OK && k < 2; k++) {
            if (!o->w[l][k]) continue;
            rc = jf_docwriter_commit(o->w[l][k], err);
            if (rc == JF_OK) json_array_append_new(paths, json_string(o->paths[l][k]));
        }
    if (rc == JF_OK) {
        *paths_json = json_dumps(paths, JSON_COMPACT);
        *filter_json = filter_stats_json(o);
        if (!*paths_json || !*filter_json) {
            free(*paths_json);
            free(*filter_json);
            *paths_json = *filter_json = NULL;
            rc = jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
        }
    } else if (rc == JF_ENOMEM) {
        jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    }
    json_decref(paths);
    return rc;
}

void extract_outputs_close(ExtractOutputs *o)
{
    for (int l = 0; l < EXTRACT_LANG_COUNT; l++)
        for (int k = 0; k < 2; k++) jf_docwriter_close(o->w[l][k]);
    memset(o->w, 0, sizeof o->w);
}
