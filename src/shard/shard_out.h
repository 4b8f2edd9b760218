/* shard_out.h: the outputs of the shard writer (shard_encode.h): one dataset
 * PREFIX, or one per (lang, source) under a folder, each with numbered parts
 * past max_tokens. Writers are opened at a group's first document and all
 * committed together at the end; closing without commit leaves nothing under
 * the final names. Single-threaded: the writer thread owns it. */
#ifndef JF_SHARD_OUT_H
#define JF_SHARD_OUT_H

#include <stdbool.h>
#include <stdint.h>

#include "jf_error.h"
#include "shard_encode.h"

typedef struct ShardOut ShardOut;

/* vocab fixes the dtype. Without by_group the dataset is created at once
 * (an input without documents gives an empty dataset). */
JfStatus shard_out_open(const char *out, bool by_group, uint64_t max_tokens, uint64_t vocab,
                        ShardOut **res, JfError *err);
/* One document of n ids (EOD included) into its group's dataset. */
JfStatus shard_out_add(ShardOut *o, const char *lang, const char *source, const uint32_t *ids,
                       uint64_t n, uint64_t bytes, uint64_t chars, JfError *err);
/* Commits every dataset and fills st->outputs and st->datasets. */
JfStatus shard_out_commit(ShardOut *o, ShardEncodeStats *st, JfError *err);
void     shard_out_close(ShardOut *o);    /* accepts NULL */

#endif
