/* hf_export.h: a Hugging Face tokenizer.json and tokenizer_config.json for a
 * SentencePiece BPE model (LLaMA-style: formats.md section 2): the vocabulary
 * with ids as in the model, merges derived from scores (every split of a
 * NORMAL piece into two pieces symbols can be, ordered by the merged piece's
 * score, highest first; within one piece by left id, then right id), the
 * normalizer (the precompiled charsmap as a Precompiled normalizer when the
 * model has one; extra whitespace removed by regular expressions when the
 * model removes it; Prepend U+2581 when add_dummy_prefix, spaces to U+2581),
 * byte fallback as the model says, <s> prepended by the post-processor, and
 * the LLaMA decoder. USER_DEFINED pieces: a Split pre-tokenizer isolates them
 * in the normalized text and ignore_merges gives each its id (not added
 * tokens: hf_export.c says why); UNUSED pieces: in the vocabulary, made by no
 * merge.
 * Refuses (JF_EUSAGE, with the piece and the reason) what Hugging Face cannot
 * encode as SentencePiece: unescaped or suffix whitespace; a user piece the
 * normalization changes, one holding a control piece, one with a run of
 * spaces when extra whitespace is removed; an UNUSED piece SentencePiece's
 * merges can reach (it splits it back); with user pieces, an UNUSED piece of
 * several characters or a NORMAL piece the merges never make of its own text.
 * Does not: unigram models. Ids equal SentencePiece's when the reader applies
 * the charsmap as SentencePiece does (tokenizers.js approximates it with NFKC
 * plus fixed rules), except on text that spells control pieces (special
 * tokens to Hugging Face), a byte piece's "<0xNN>" text alone between user
 * pieces (ignore_merges gives the byte piece), and, with a charsmap, a rule
 * running from inside a user piece past its end (a combining mark after it:
 * Hugging Face normalizes across, SentencePiece keeps the piece). */
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
