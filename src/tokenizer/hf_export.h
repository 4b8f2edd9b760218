/* hf_export.h: a Hugging Face tokenizer.json and tokenizer_config.json for a
 * SentencePiece BPE model (LLaMA-style: formats.md section 2): the vocabulary
 * with ids as in the model, merges derived from scores (every split of a
 * mergeable piece into two pieces of the vocabulary, ordered by the merged
 * piece's score, highest first; within one piece by left id, then right id),
 * the normalizer (the precompiled charsmap as a Precompiled normalizer when
 * the model has one; extra whitespace removed by regular expressions when the
 * model removes it; Prepend U+2581 when add_dummy_prefix, spaces to U+2581),
 * byte fallback as the model says, <s> prepended by the post-processor, and
 * the LLaMA decoder.
 * Does not: user-defined or unused pieces, unescaped or suffix whitespace
 * (the export refuses such models), unigram models. Ids equal SentencePiece's
 * when every piece is reachable by merges of pieces (true of trained
 * vocabularies) and the reader applies the charsmap as SentencePiece does
 * (tokenizers.js approximates it with NFKC plus fixed rules). */
#ifndef JF_HF_EXPORT_H
#define JF_HF_EXPORT_H

#include <stddef.h>

#include "jf_error.h"
#include "sp_model.h"

/* Writes DIR/tokenizer.json and DIR/tokenizer_config.json (each atomically:
 * a .tmp file renamed). DIR must exist. Errors: JF_EUSAGE (not an exportable
 * model, with the reason), JF_EIO, JF_ENOMEM. merges_out (may be NULL) gets
 * the number of merges written. */
JfStatus hf_export_write(const SpModel *m, const char *dir, size_t *merges_out, JfError *err);

#endif
