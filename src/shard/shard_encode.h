/* shard_encode.h: documents (*.jsonl.zst) to Megatron indexed datasets, the
 * way Megatron's preprocess_data.py does it with a SentencePiece tokenizer:
 * each document's whole text is encoded (newlines included), the EOD id
 * (</s>) appended, one sequence per document.
 *
 * Output: one dataset PREFIX, or (by_group) one dataset per (lang, source)
 * of the documents, OUT/{lang}_{source}_text_document, as Megatron users name
 * them. With max_tokens each output is split into numbered parts at document
 * boundaries (PREFIX_000, ...; OUT/{lang}_{source}_000_text_document, ...).
 *
 * Work: one thread reads and cuts the input into chunks of lines, `threads`
 * workers parse the JSON and encode whole chunks, the caller's thread writes
 * them in input order. Under MPI (ranks > 1, MPI initialized by the caller)
 * every rank reads every input, encodes the chunks numbered rank mod ranks,
 * and sends the ids to rank 0, which writes everything. The bytes written do
 * not depend on threads or ranks.
 * Bad lines (not JSON, no string id/text, a line past max_line, a truncated
 * stream) are reported through on_error, in input order, and skipped. */
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
    uint64_t max_tokens;   /* 0: one dataset per output; else parts closed at the first
                              document boundary past max_tokens */
    bool     by_group;     /* out is a folder: a dataset per (lang, source) */
    size_t   max_line;     /* longest input line in bytes (default 256 MiB) */
    int      rank, ranks;  /* MPI rank and size (default 0, 1) */
} ShardEncodeOptions;

void shard_encode_options_init(ShardEncodeOptions *o);

/* One output: a (lang, source) group, or the single PREFIX. */
typedef struct {
    char    *prefix;       /* the dataset; with parts, the name of part 0 */
    char     lang[48];     /* as in the file name: "und" when absent */
    char     source[48];   /* "unknown" when absent */
    uint64_t docs, tokens, bytes, chars;
    unsigned parts;        /* datasets written for it */
} ShardOutputStats;

typedef struct {
    uint64_t docs;         /* documents written */
    uint64_t tokens;       /* tokens written, EOD included */
    uint64_t bytes;        /* UTF-8 bytes of text encoded */
    uint64_t chars;        /* code points of text encoded */
    uint64_t bad_lines;    /* input lines that were not documents (reported) */
    uint64_t datasets;     /* datasets written */
    ShardOutputStats *outputs;   /* (n_outputs) sorted by prefix; shard_encode_stats_free */
    size_t   n_outputs;
} ShardEncodeStats;

void shard_encode_stats_free(ShardEncodeStats *st);

/* Encodes every document of inputs (in order) into out (a PREFIX, or a folder
 * with by_group), atomically: nothing under the final names unless all went
 * well. On ranks other than 0 nothing is written and st counts nothing.
 * @return JF_OK, JF_EUSAGE (model not usable for BPE encoding), JF_EIO,
 * JF_ENOMEM, or a writer error; under MPI also another rank's error. */
JfStatus shard_encode_files(const SpModel *m, const JfPathList *inputs, const char *out,
                            const ShardEncodeOptions *opt, ShardEncodeStats *st,
                            void (*on_error)(void *ctx, const JfError *err), void *ctx,
                            JfError *err);

#endif
