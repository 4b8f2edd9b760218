/* cli_extract_out.h: where `jaforge extract` puts the documents of one input.
 * A language either goes to DIR/<lang>/<input>.jsonl.zst as extracted, or,
 * with --filter LANG=PROFILE, streams through that quality filter right away:
 * kept documents to FILTER_OUT/<lang>/kept/<input>.jsonl.zst, rejected ones
 * to FILTER_OUT/<lang>/rejected/, the same bytes `jaforge filter` writes, in
 * one pass with no intermediate file. Filters belong to a thread (one per
 * language, reused across inputs); writers to one input. */
#ifndef JF_CLI_EXTRACT_OUT_H
#define JF_CLI_EXTRACT_OUT_H

#include <limits.h>
#include <stdbool.h>

#include "extract.h"

#define EXTRACT_OUT_MAX_SETS 64

typedef struct {
    const char *out_dir;                                 /* DIR */
    const char *filter_out;                              /* FILTER_OUT (with a profile) */
    bool        want[EXTRACT_LANG_COUNT];
    const char *profile[EXTRACT_LANG_COUNT];             /* NULL: not filtered */
    const char *sets[EXTRACT_LANG_COUNT][EXTRACT_OUT_MAX_SETS];   /* RULE.KEY=VALUE */
    size_t      n_sets[EXTRACT_LANG_COUNT];
} ExtractOutSpec;

/* One thread's filters (opaque handles; NULL where not filtered). */
typedef struct {
    void *f[EXTRACT_LANG_COUNT];
} ExtractFilters;

typedef struct {
    const ExtractOutSpec *spec;
    ExtractFilters       *filters;
    char                  paths[EXTRACT_LANG_COUNT][2][PATH_MAX];   /* out or kept; rejected */
    JfDocWriter          *w[EXTRACT_LANG_COUNT][2];
} ExtractOutputs;

/* Any language filtered? (The run database then names the stage
 * "extract+filter", so a plain extract never passes for a filtered one.) */
bool     extract_out_filtered(const ExtractOutSpec *s);
/* "LANG=PROFILE" and "LANG:RULE.KEY=VALUE" options. @return 0, or -1 after reporting. */
int      extract_out_parse_filter(ExtractOutSpec *s, const char *arg);
int      extract_out_parse_set(ExtractOutSpec *s, const char *arg);
/* Creates the output folders. */
JfStatus extract_out_mkdirs(const ExtractOutSpec *s, JfError *err);

JfStatus extract_filters_open(const ExtractOutSpec *s, ExtractFilters *fs, JfError *err);
void     extract_filters_close(ExtractFilters *fs);

/* Opens the writers for the input called stem and points sink at them. */
JfStatus extract_outputs_open(const ExtractOutSpec *s, ExtractFilters *fs, const char *stem,
                              ExtractOutputs *o, ExtractSink *sink, JfError *err);
/* Commits every writer; *paths_json (a JSON array) and *filter_json (an
 * object of each filtered language's statistics, "{}" without filters) are
 * malloc'ed. */
JfStatus extract_outputs_commit(ExtractOutputs *o, char **paths_json, char **filter_json,
                                JfError *err);
/* Frees the writers; uncommitted ones leave no file behind. */
void     extract_outputs_close(ExtractOutputs *o);

#endif
