/* filter_footer.c: Swallow's footer trimming (footer_trim): cut the tail of a
 * document where the last lines are mostly footer keywords (a word list in
 * dicts/). The kept text is a prefix of the input. Its limits (lines looked
 * at, what counts as a long body line, the keyword share) come from the
 * profile. Exact definition in docs/filters.md. It does not judge documents
 * (its bounds are none by default) and it knows nothing of other rules. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "filter_int.h"
#include "jf_alloc.h"

typedef struct {
    FilterMatcher *keywords;
    size_t         lines;       /* non-blank lines looked at, from the end */
    size_t         long_line;   /* a line of more characters is body text: stop above it */
    double         share;       /* keyword lines from the cut to the end, at least */
} FooterConf;

/* An integer key of the rule's section within [lo, hi]. */
static JfStatus footer_key(const JfConfig *cfg, const char *rule, const char *key, int64_t def,
                           int64_t lo, int64_t hi, size_t *out, JfError *err)
{
    char full[128];
    int64_t v;
    snprintf(full, sizeof full, "%s.%s", rule, key);
    JfStatus rc = jf_config_get_int(cfg, full, def, &v, err);
    if (rc != JF_OK) return rc;
    if (v < lo || v > hi)
        return jf_error_set(err, JF_EFORMAT, jf_config_path(cfg), JF_OFFSET_UNKNOWN,
                            "%s = %lld: must be %lld..%lld", full, (long long)v, (long long)lo,
                            (long long)hi);
    *out = (size_t)v;
    return JF_OK;
}

void filter_teardown_footer(FilterRuleConf *rc);

/* Keys: files (keyword lists), lines (20), long_line (80), share (0.5). */
JfStatus filter_setup_footer(FilterRuleConf *rc, const JfConfig *cfg, const char *base_dir,
                             JfError *err)
{
    FooterConf *fc = jf_calloc(1, sizeof *fc);
    if (!fc) return JF_ENOMEM;
    rc->data = fc;
    const char *name = rc->def->name;
    char key[128];
    snprintf(key, sizeof key, "%s.share", name);
    JfStatus st = footer_key(cfg, name, "lines", 20, 1, 1000000, &fc->lines, err);
    if (st == JF_OK) st = footer_key(cfg, name, "long_line", 80, 0, 1000000000, &fc->long_line, err);
    if (st == JF_OK) st = jf_config_get_double(cfg, key, 0.5, &fc->share, err);
    if (st == JF_OK && !(fc->share >= 0 && fc->share <= 1))
        st = jf_error_set(err, JF_EFORMAT, jf_config_path(cfg), JF_OFFSET_UNKNOWN,
                          "%s: must be 0..1", key);
    if (st == JF_OK) {
        FilterRuleConf words = *rc;
        words.data = NULL;
        st = filter_setup_ng_words(&words, cfg, base_dir, err);
        fc->keywords = words.data;
    }
    if (st != JF_OK) filter_teardown_footer(rc);   /* a rule that fails setup is not added */
    return st;
}

void filter_teardown_footer(FilterRuleConf *rc)
{
    FooterConf *fc = rc->data;
    if (fc) filter_matcher_free(fc->keywords);
    jf_free(fc);
    rc->data = NULL;
}

static void flag_hit(void *ctx, size_t end, size_t len)
{
    (void)end; (void)len;
    *(bool *)ctx = true;
}

/* Characters of s[0..n), counting stops past limit. */
static size_t chars_upto(const char *s, size_t n, size_t limit)
{
    size_t c = 0;
    for (size_t i = 0; i < n && c <= limit;)
        if (!filter_cp_is_space(filter_utf8_next(s, n, &i))) c++;
    return c;
}

static bool is_ascii_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Looks at the last `lines` non-blank lines, stopping above a line of more
 * than `long_line` characters; cuts at the topmost keyword line L such that
 * keyword lines are at least `share` of the non-blank lines from L to the
 * end. Trailing ASCII white space above the cut goes too. */
size_t filter_trim_footer(const FilterRuleConf *rc, const char *text, size_t len, double *value,
                          uint64_t *lines)
{
    const FooterConf *fc = rc->data;
    size_t end = len, cut = len, nonblank = 0, kw = 0, cut_lines = 0;
    *value = 0;
    *lines = 0;
    while (nonblank < fc->lines) {
        size_t start = end;
        while (start > 0 && text[start - 1] != '\n') start--;
        size_t chars = chars_upto(text + start, end - start, fc->long_line);
        if (chars > fc->long_line) break;
        if (chars > 0) {
            bool hit = false;
            filter_matcher_scan(fc->keywords, text + start, end - start, flag_hit, &hit);
            nonblank++;
            kw += hit;
            if (hit && (double)kw >= fc->share * (double)nonblank) {
                cut = start;
                cut_lines = nonblank;
            }
        }
        if (start == 0) break;
        end = start - 1;
    }
    if (cut == len) return len;
    while (cut > 0 && is_ascii_space(text[cut - 1])) cut--;
    *value = (double)chars_upto(text + cut, len - cut, SIZE_MAX - 1);
    *lines = cut_lines;
    return cut;
}
