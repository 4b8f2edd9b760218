/* shard_encode.h: documents (*.jsonl.zst) to a Megatron indexed dataset, the
 * way Megatron's preprocess_data.py does it with a SentencePiece tokenizer:
 * each document's whole text is encoded (newlines included), the EOD id
 * (</s>) appended, one sequence per document. Encoding runs on several
 * threads over batches of documents, and documents are written in input
 * order, so the bytes do not depend on the thread count.
 * With max_tokens the output is split into numbered datasets at document
 * boundaries (mmidx.h merges datasets back). */
#ifndef JF_SHARD_ENCODE_H
#define JF_SHARD_ENCODE_H

#include <stdbool.h>
#include <stdint.h>

#include "jf_error.h"
#include "jf_fs.h"
#include "sp_model.h"

typedef struct {
    int      threads;      /* encoding threads (default 1) */
    bool     append_eod;   /* default true */
    int64_t  eod_id;       /* default -1: the model's eos id */
    size_t   batch_docs;   /* documents per batch (default 512) */
    uint64_t max_tokens;   /* 0: one dataset PREFIX; else datasets PREFIX_000, PREFIX_001, ...
                              each closed at the first document boundary past max_tokens */
} ShardEncodeOptions;

void shard_encode_options_init(ShardEncodeOptions *o);

typedef struct {
    uint64_t docs;         /* documents written */
    uint64_t tokens;       /* tokens written, EOD included */
    uint64_t bytes;        /* UTF-8 bytes of text encoded */
    uint64_t chars;        /* code points of text encoded */
    uint64_t bad_lines;    /* input lines that were not documents (reported) */
    uint64_t datasets;     /* datasets written (1 without max_tokens) */
} ShardEncodeStats;

/* Encodes every document of inputs (in order) into PREFIX.bin/.idx
 * (atomic: nothing under the final names unless all went well). Bad input
 * lines are passed to on_error (may be NULL) and skipped.
 * @return JF_OK, JF_EUSAGE (model not usable for BPE encoding), JF_EIO,
 * JF_ENOMEM, or a writer error. */
JfStatus shard_encode_files(const SpModel *m, const JfPathList *inputs, const char *prefix,
                            const ShardEncodeOptions *opt, ShardEncodeStats *st,
                            void (*on_error)(void *ctx, const JfError *err), void *ctx,
                            JfError *err);

#endif
