/* filter.h: document quality filters. A profile (an INI file in filters/,
 * e.g. filters/swallow-ja.ini) lists rules by name with their thresholds; a
 * Filter evaluates documents against it and gives a verdict that carries every
 * rule's measured value, its bounds and its outcome, and keeps per-rule
 * statistics (documents and characters removed as first failing rule and as
 * any failing rule, a few sample ids).
 *
 * Rule definitions are in docs/filters.md; the rule table is filter_rules.c.
 * This file does not read or write document files: the CLI does I/O. Editing
 * rules rewrite a document before it is measured: footer_trim cuts the tail
 * (the text stays a prefix of the input), C4's line rules drop lines and
 * citations (the text is rebuilt in the Filter's buffer). The verdict carries
 * the edited text; the other rules measure it.
 *
 * A Filter is single-threaded (it owns per-document scratch memory): open one
 * per thread. */
#ifndef JF_FILTER_H
#define JF_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_config.h"
#include "jf_doc.h"
#include "jf_error.h"

typedef struct Filter Filter;   /* opaque: profile + compiled word lists + scratch + stats */

typedef enum {
    FILTER_PASS = 0,
    FILTER_FAIL = 1,
    FILTER_SKIP = 2,   /* not measured: the document failed filter_max_bytes */
} FilterOutcome;

/* One rule's outcome for one document. A rule passes when
 * (isnan(min) || value >= min) && (isnan(max) || value <= max), except that a
 * rule with max_strict passes only when value < max. */
typedef struct {
    const char   *rule;        /* borrowed from the Filter */
    double        value;       /* NAN when skipped */
    double        min, max;    /* NAN: no such bound */
    bool          max_strict;
    FilterOutcome outcome;
    uint64_t      cut_lines;   /* editing rules: lines this rule removed (else 0) */
    uint64_t      cut_chars;   /* editing rules: characters this rule removed (else 0) */
} FilterRuleResult;

/* The verdict on one document; results are in profile order.
 * Borrowed from the Filter: valid until the next filter_eval or filter_close. */
typedef struct {
    bool                    keep;
    size_t                  first_fail;   /* index in results; SIZE_MAX when kept */
    size_t                  n_fail;
    size_t                  n_results;
    const FilterRuleResult *results;
    uint64_t                chars;        /* code points of the text as given */
    const char             *text;         /* the text after the editing rules: the input
                                             (then a prefix of it) or the Filter's buffer
                                             (valid until the next evaluation) */
    size_t                  text_len;     /* bytes of text */
    bool                    edited;       /* text differs from the input */
    uint64_t                trimmed_chars;/* characters (non-white-space) removed by editing */
    uint64_t                cut_lines;    /* lines removed by editing */
} FilterVerdict;

#define FILTER_SAMPLES 3
#define FILTER_SAMPLE_ID 128

typedef struct {
    char     name[64];
    uint64_t docs_first, chars_first;   /* removed with this rule as the first failing one */
    uint64_t docs_any, chars_any;       /* removed with this rule among the failing ones */
    uint64_t docs_edited;               /* kept documents this editing rule changed */
    uint64_t lines_cut, chars_cut;      /* lines and characters it removed from them */
    size_t   n_samples;
    char     samples[FILTER_SAMPLES][FILTER_SAMPLE_ID];   /* ids of rejected documents */
} FilterRuleStats;

/* Statistics over the documents evaluated. rules[] is in profile order. */
typedef struct {
    uint64_t         docs, chars;
    uint64_t         kept_docs, kept_chars;
    size_t           n_rules;
    FilterRuleStats *rules;   /* owned (jf_malloc) */
} FilterStats;

/* Finds a profile: an existing path is taken as is; otherwise a name such as
 * "swallow-ja" means DIR/swallow-ja.ini with DIR = $JAFORGE_FILTERS_DIR, or
 * else the source tree's filters/ (compile-time JF_FILTERS_DIR).
 * @return JF_OK with path filled, JF_EUSAGE when not found (err says where it
 * looked), JF_ETOOBIG when path does not fit. */
JfStatus filter_profile_find(const char *name_or_path, char *path, size_t cap, JfError *err);

/* Opens a Filter on a profile file (found with filter_profile_find).
 * Relative paths inside the profile (word lists) are relative to the
 * profile's folder. overrides: "section.key=value" strings (--set), may be NULL.
 * @return JF_OK, JF_EUSAGE (not found), JF_EIO, JF_EFORMAT (unknown rule or
 * key, bad number, unreadable word list: err names the file and key), JF_ENOMEM. */
JfStatus filter_open(const char *name_or_path, const char *const *overrides, size_t n_overrides,
                     Filter **out, JfError *err);
/* Same over a configuration already loaded; base_dir resolves relative paths.
 * The Filter keeps no reference to cfg. */
JfStatus filter_open_config(const JfConfig *cfg, const char *base_dir, Filter **out, JfError *err);
void     filter_close(Filter *f);   /* accepts NULL */

const char *filter_name(const Filter *f);   /* [profile] name */
const char *filter_lang(const Filter *f);   /* [profile] lang, "" when unset */
size_t      filter_rule_count(const Filter *f);
const char *filter_rule_name(const Filter *f, size_t i);

/* Evaluates one document (text: UTF-8, any bytes accepted; url may be NULL)
 * and adds it to the statistics (id names it among the samples; may be NULL).
 * @return JF_OK (v filled) or JF_ENOMEM (statistics unchanged). */
JfStatus filter_eval(Filter *f, const char *id, const char *text, size_t len, const char *url,
                     FilterVerdict *v, JfError *err);
/* Like filter_eval but leaves the statistics alone (for --explain). */
JfStatus filter_measure(Filter *f, const char *text, size_t len, const char *url,
                        FilterVerdict *v, JfError *err);

/* Adds one verdict to s (id names it among the samples; may be NULL): what
 * filter_eval does, for callers that measure in other threads and count in
 * document order. A rejected document counts for its failing rules (whole,
 * chars as given); a kept one adds its edits to each editing rule
 * (docs_edited, lines_cut, chars_cut). */
void filter_stats_count(FilterStats *s, const char *id, const FilterVerdict *v);
/* filter_stats_count into this Filter's own statistics. */
void filter_count(Filter *f, const char *id, const FilterVerdict *v);

/* Statistics of this Filter since open or the last reset (borrowed). */
const FilterStats *filter_stats(const Filter *f);
void               filter_stats_reset(Filter *f);

/* A caller-owned copy: init with the Filter's rule names, zero counts. */
JfStatus filter_stats_init(FilterStats *s, const Filter *f);
void     filter_stats_free(FilterStats *s);
/* Adds src into dst, matching rules by name (rules dst lacks are ignored). */
void     filter_stats_add(FilterStats *dst, const FilterStats *src);
/* JSON object {"docs":..,"chars":..,"kept_docs":..,"kept_chars":..,"rules":{NAME:{
 * "docs_first":..,"chars_first":..,"docs_any":..,"chars_any":..,"docs_edited":..,
 * "lines_cut":..,"chars_cut":..,"samples":[..]}}}.
 * @return a string to free with free(), or NULL on OOM. */
char    *filter_stats_to_json(const FilterStats *s);
/* Adds statistics stored by filter_stats_to_json into dst (rules by name).
 * @return JF_OK or JF_EFORMAT. */
JfStatus filter_stats_add_json(FilterStats *dst, const char *json, JfError *err);

/* ---- documents (filter_doc.c) ---- */

/* Counts v into f's statistics and applies it to d as the filter stage
 * writes documents: a kept one gets the edited text (v->text must be d->text
 * or a prefix of it) and meta.trimmed_chars / meta.removed_lines, a rejected
 * one meta.rejected_by and meta.filter_profile. */
void     filter_doc_apply(Filter *f, JfDoc *d, const FilterVerdict *v);
/* filter_measure, then filter_doc_apply: d is ready to be written to the
 * kept (*keep) or rejected documents. @return JF_OK or JF_ENOMEM. */
JfStatus filter_doc_judge(Filter *f, JfDoc *d, bool *keep, JfError *err);

#endif
