/* filter_rules_hojichar.c: the optional Japanese rules of the LLM-jp /
 * HojiChar family:
 *   - noun ratio and duplicate morpheme 7-gram share (MeCab morphemes,
 *     filter_mecab.c; the n-gram counting is filter_rules_repetition.c's);
 *   - zstd compression ratio (compressed / raw bytes, level 3);
 *   - BBS / advertisement pattern count (a word list in dicts/).
 * Exact definitions in docs/filters.md. Footer trimming is filter_footer.c. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <zstd.h>

#include "filter_int.h"
#include "jf_alloc.h"

#define FILTER_ZSTD_LEVEL 3

/* ---- MeCab rules ---- */

/* SECTION.mecab names an INI file with [mecab] dicdir (dicts/mecab.ini);
 * without it the dictionary is FILTER_MECAB_DICDIR (ipadic-utf8). */
JfStatus filter_setup_mecab(FilterRuleConf *rc, const JfConfig *cfg, const char *base_dir,
                            JfError *err)
{
    char key[128], path[PATH_MAX], dicdir[PATH_MAX];
    snprintf(key, sizeof key, "%s.mecab", rc->def->name);
    snprintf(dicdir, sizeof dicdir, "%s", FILTER_MECAB_DICDIR);
    const char *v = jf_config_get(cfg, key);
    if (v && *v) {
        if (v[0] == '/' || !base_dir) snprintf(path, sizeof path, "%s", v);
        else snprintf(path, sizeof path, "%s/%s", base_dir, v);
        JfConfig *mc = NULL;
        JfStatus st = jf_config_load(path, &mc, err);
        if (st != JF_OK) return st;
        const char *d = jf_config_get(mc, "mecab.dicdir");
        if (d && *d) snprintf(dicdir, sizeof dicdir, "%s", d);
        jf_config_close(mc);
    }
    FilterMecab *m;
    JfStatus st = filter_mecab_open(dicdir, &m, err);
    if (st == JF_OK) rc->data = m;
    return st;
}

void filter_teardown_mecab(FilterRuleConf *rc)
{
    filter_mecab_close(rc->data);
    rc->data = NULL;
}

/* Morphemes whose POS is 名詞, over morphemes. */
JfStatus filter_m_noun_ratio(FilterText *t, const FilterRuleConf *rc, double *value)
{
    if (filter_text_morphs(t, rc->data) != JF_OK) return JF_ENOMEM;
    *value = t->n_morphs ? (double)t->n_nouns / (double)t->n_morphs : 0.0;
    return JF_OK;
}

JfStatus filter_m_morph_dup_ngram_frac(FilterText *t, const FilterRuleConf *rc, double *value)
{
    if (filter_text_morphs(t, rc->data) != JF_OK) return JF_ENOMEM;
    return filter_m_dup_ngram_frac(t, rc, value);
}

/* ---- zstd compression ratio ---- */

typedef struct {
    ZSTD_CCtx *cctx;
    void      *buf;
    size_t     cap;
} ZstdScratch;

JfStatus filter_setup_zstd(FilterRuleConf *rc, const JfConfig *cfg, const char *base_dir,
                           JfError *err)
{
    (void)cfg; (void)base_dir; (void)err;
    ZstdScratch *z = jf_calloc(1, sizeof *z);
    if (!z) return JF_ENOMEM;
    z->cctx = ZSTD_createCCtx();
    if (!z->cctx) {
        jf_free(z);
        return JF_ENOMEM;
    }
    rc->data = z;
    return JF_OK;
}

void filter_teardown_zstd(FilterRuleConf *rc)
{
    ZstdScratch *z = rc->data;
    if (z) {
        ZSTD_freeCCtx(z->cctx);
        jf_free(z->buf);
        jf_free(z);
    }
    rc->data = NULL;
}

/* zstd (level 3, one frame) size of the text over its size in bytes. */
JfStatus filter_m_zstd_ratio(FilterText *t, const FilterRuleConf *rc, double *value)
{
    ZstdScratch *z = rc->data;
    *value = 0;
    if (t->len == 0) return JF_OK;
    size_t need = ZSTD_compressBound(t->len);
    if (z->cap < need) {
        void *b = jf_malloc(need);
        if (!b) return JF_ENOMEM;
        jf_free(z->buf);
        z->buf = b;
        z->cap = need;
    }
    size_t n = ZSTD_compressCCtx(z->cctx, z->buf, z->cap, t->text, t->len, FILTER_ZSTD_LEVEL);
    if (ZSTD_isError(n)) return JF_ENOMEM;   /* only allocation can fail with a bound-sized buffer */
    *value = (double)n / (double)t->len;
    return JF_OK;
}

/* ---- pattern count (BBS / ads) ---- */

typedef struct {
    size_t done;    /* end of the last counted match */
    size_t count;
} PatternCount;

static void pattern_hit(void *ctx, size_t end, size_t len)
{
    PatternCount *c = ctx;
    if (end - len < c->done) return;   /* overlaps the previous counted match */
    c->count++;
    c->done = end;
}

/* Non-overlapping occurrences of the list's patterns, scanning left to right. */
JfStatus filter_m_pattern_count(FilterText *t, const FilterRuleConf *rc, double *value)
{
    PatternCount c = { 0, 0 };
    filter_matcher_scan(rc->data, t->text, t->len, pattern_hit, &c);
    *value = (double)c.count;
    return JF_OK;
}
