/* filter_rules_words.c: rules driven by word lists in dicts/: the NG-word
 * share (characters inside NG-word matches over Japanese characters) and the
 * host block list (the document's URL host or a parent domain listed, UT1
 * format). A rule's lists are named by its profile key "files" (comma
 * separated; relative paths are relative to the profile's folder). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "filter_int.h"
#include "jf_alloc.h"

typedef JfStatus ListAddFn(void *ctx, const char *w, size_t n);

/* Reads every file named by SECTION.files into ctx through add. */
static JfStatus read_lists(const FilterRuleConf *rc, const JfConfig *cfg, const char *base_dir,
                           ListAddFn *add, void *ctx, JfError *err)
{
    char key[128];
    snprintf(key, sizeof key, "%s.files", rc->def->name);
    const char *v = jf_config_get(cfg, key);
    if (!v || !*v)
        return jf_error_set(err, JF_EFORMAT, jf_config_path(cfg), JF_OFFSET_UNKNOWN,
                            "%s: no word list given (files = ...)", key);
    char list[4096];
    snprintf(list, sizeof list, "%s", v);
    JfStatus rc_ = JF_OK;
    for (char *save, *f = strtok_r(list, ",", &save); f && rc_ == JF_OK;
         f = strtok_r(NULL, ",", &save)) {
        while (*f == ' ' || *f == '\t') f++;
        size_t n = strlen(f);
        while (n && (f[n - 1] == ' ' || f[n - 1] == '\t')) f[--n] = '\0';
        if (!n) continue;
        char path[PATH_MAX];
        if (f[0] == '/' || !base_dir) snprintf(path, sizeof path, "%s", f);
        else snprintf(path, sizeof path, "%s/%s", base_dir, f);
        rc_ = filter_wordlist_read(path, add, ctx, err);
    }
    return rc_;
}

/* ---- NG words ---- */

static JfStatus ng_add(void *ctx, const char *w, size_t n)
{
    return filter_matcher_add(ctx, w, n);
}

JfStatus filter_setup_ng_words(FilterRuleConf *rc, const JfConfig *cfg, const char *base_dir,
                               JfError *err)
{
    FilterMatcher *m;
    if (filter_matcher_new(&m) != JF_OK) return JF_ENOMEM;
    JfStatus st = read_lists(rc, cfg, base_dir, ng_add, m, err);
    if (st == JF_OK && filter_matcher_build(m) != JF_OK) st = JF_ENOMEM;
    if (st != JF_OK) {
        filter_matcher_free(m);
        return st;
    }
    rc->data = m;
    return JF_OK;
}

void filter_teardown_ng_words(FilterRuleConf *rc)
{
    filter_matcher_free(rc->data);
    rc->data = NULL;
}

typedef struct {
    const char *text;
    size_t      done;      /* bytes before this are counted already */
    size_t      chars;     /* non-whitespace code points inside matches */
} NgCount;

/* Matches arrive by increasing end: count only the part not yet counted, so
 * overlapping matches are counted once. */
static void ng_hit(void *ctx, size_t end, size_t len)
{
    NgCount *c = ctx;
    size_t start = end - len;
    if (start < c->done) start = c->done;
    for (size_t i = start; i < end;)
        if (!filter_cp_is_space(filter_utf8_next(c->text, end, &i))) c->chars++;
    if (end > c->done) c->done = end;
}

JfStatus filter_m_ng_word_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    NgCount c = { t->text, 0, 0 };
    filter_matcher_scan(rc->data, t->text, t->len, ng_hit, &c);
    size_t ja = t->n_hira + t->n_kata + t->n_kanji;
    *value = ja ? (double)c.chars / (double)ja : (c.chars ? 1.0 : 0.0);
    return JF_OK;
}

/* ---- host block list ---- */

static JfStatus host_add(void *ctx, const char *w, size_t n)
{
    return filter_hostset_add(ctx, w, n);
}

JfStatus filter_setup_hosts(FilterRuleConf *rc, const JfConfig *cfg, const char *base_dir,
                            JfError *err)
{
    FilterHostSet *s;
    if (filter_hostset_new(&s) != JF_OK) return JF_ENOMEM;
    JfStatus st = read_lists(rc, cfg, base_dir, host_add, s, err);
    if (st != JF_OK) {
        filter_hostset_free(s);
        return st;
    }
    filter_hostset_build(s);
    rc->data = s;
    return JF_OK;
}

void filter_teardown_hosts(FilterRuleConf *rc)
{
    filter_hostset_free(rc->data);
    rc->data = NULL;
}

JfStatus filter_m_host_blocked(FilterText *t, const FilterRuleConf *rc, double *value)
{
    char host[256];
    *value = 0;
    if (filter_url_host(t->url, host, sizeof host) &&
        filter_hostset_has_host(rc->data, host, strlen(host)))
        *value = 1;
    return JF_OK;
}
