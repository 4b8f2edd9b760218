/* pipeline.h: declarative recipes (the INI files in pipelines/) turned into the
 * ordered steps that `jaforge run` executes: extract -> filter -> dedup ->
 * tokenizer -> shard -> blend -> train, each step one jaforge command with
 * its arguments, reading the previous step's outputs from the work
 * directory's fixed layout:
 *
 *   WORKDIR/extract/{ja,en}/       documents          (jaforge extract)
 *   WORKDIR/filter/<lang>/kept/    filtered documents (jaforge extract --filter:
 *                                  streamed; jaforge filter if filter.stream = false)
 *   WORKDIR/dedup/<lang>/          deduplicated       (jaforge dedup)
 *   WORKDIR/tokenizer/             tokenizer.model, tokenizer.json
 *   WORKDIR/shards/<lang>.bin/.idx Megatron datasets  (jaforge shard)
 *   WORKDIR/blend/plan.json        the mixture        (jaforge blend)
 *   WORKDIR/train/                 log.csv, checkpoints (jaforge train)
 *   WORKDIR/logs/STEP.out          what each step printed on standard output
 *
 * Values may use ${DATA} (--set data=DIR, else $JF_DATA_DIR), ${WORKDIR} and
 * ${PIPELINE_DIR} (the recipe's folder). Only planning lives here: running
 * the steps (processes, the run database) is pipeline_run.c's. */
#ifndef JF_PIPELINE_H
#define JF_PIPELINE_H

#include <stddef.h>

#include "jf_config.h"
#include "jf_error.h"

#define PIPELINE_MAX_ARGS 128

typedef struct {
    char   name[64];                 /* "extract", "filter-ja", ... (unique) */
    char  *argv[PIPELINE_MAX_ARGS];  /* jaforge's arguments after the program name; owned */
    size_t argc;
} PipelineStep;

typedef struct {
    char          name[64];
    PipelineStep *steps;
    size_t        count;
} Pipeline;

/* Plans the steps of cfg (a loaded recipe) for workdir. pipeline_dir is the
 * recipe's folder. @return JF_OK, JF_EFORMAT (bad or missing keys, with the
 * key named), JF_ENOMEM. */
JfStatus pipeline_plan(const JfConfig *cfg, const char *pipeline_dir, const char *workdir,
                       Pipeline *out, JfError *err);
void     pipeline_free(Pipeline *p);
/* Keeps the first n steps (frees the others). */
void     pipeline_truncate(Pipeline *p, size_t n);

/* Runs the steps in order, skipping those the run database
 * (WORKDIR/jaforge.db) records as done with the same arguments. Each step
 * runs through exec (its standard output going to log, WORKDIR/logs/STEP.out)
 * or, when exec is NULL, as a child process of exe (the jaforge binary).
 * on_step (may be NULL) is told before each step whether it runs or is
 * skipped. @return JF_OK when every step succeeded; JF_EIO (a step failed:
 * err names it and its exit status); JF_EDB. */
typedef void PipelineStepFn(void *ctx, const PipelineStep *s, size_t i, size_t n, int skipped);
/* @return the step's exit status (0: success). */
typedef int PipelineExecFn(void *ctx, const PipelineStep *s, size_t i, const char *log);
JfStatus pipeline_run(const Pipeline *p, const char *exe, const char *workdir,
                      PipelineStepFn *on_step, PipelineExecFn *exec, void *ctx, JfError *err);

/* WORKDIR/logs/NAME.out (creating WORKDIR/logs) into path. */
JfStatus pipeline_log_path(const char *workdir, const char *name, char *path, size_t cap,
                           JfError *err);

#endif
