/* bpe_encode.h: SentencePiece BPE encoding and decoding with a loaded SpModel,
 * giving exactly what spm_encode / spm_decode give (docs formats.md section 1):
 * normalize (identity, or the longest rule of the model's precompiled charsmap
 * - nmt_nfkc, nfkc, their _cf forms, TSV rules - at each point, see
 * sp_charsmap.h; spaces -> U+2581, dummy prefix, extra-whitespace removal as
 * the model says), split into characters (USER_DEFINED pieces whole and
 * never merged), merge adjacent pairs by piece score (ties to the leftmost)
 * until none is a piece, then byte fallback (<0xXX>) or <unk>.
 * Candidate pairs are looked up by (left id, right id) in the model's merge
 * table (by text only for a symbol that is no piece). A line is cut into
 * chunks where no piece can cross; chunks of up to 64 symbols are merged by
 * scanning, longer ones with a heap with lazy deletion: O(n log n) for a line
 * of n characters, also for long lines without spaces. Recent short chunks are
 * cached per scratch by their bytes (exact: a chunk's merges depend on nothing
 * else). Models with UNUSED pieces use one heap over the whole line.
 * Does not train (bpe_train.c).
 * Thread safety: the model is only read; each thread uses its own BpeScratch. */
#ifndef JF_BPE_ENCODE_H
#define JF_BPE_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "jf_buf.h"
#include "jf_error.h"
#include "sp_model.h"

typedef struct {
    uint32_t    id;
    const char *piece;   /* what `spm_encode --output_format=piece` prints: the piece, or
                          * the raw text of an unknown symbol; not NUL-terminated */
    uint32_t    len;
} BpeToken;

typedef struct BpeScratch BpeScratch;   /* per-thread work memory, opaque */

/* @return JF_OK when bpe_encode can encode with m exactly as SentencePiece,
 * JF_EUSAGE with the reason otherwise (not BPE). */
JfStatus bpe_model_check(const SpModel *m, JfError *err);

JfStatus bpe_scratch_open(BpeScratch **out, JfError *err);
void     bpe_scratch_close(BpeScratch *s);    /* accepts NULL */

/* Encodes text[0..len) (one line, no newline; any bytes: invalid UTF-8 is
 * read as U+FFFD per bad byte, as SentencePiece does). *toks (n of them) is
 * borrowed from s and valid until the next call with s. Errors: JF_ENOMEM,
 * JF_ETOOBIG (over 256 MiB). No <s>/</s> is added. */
JfStatus bpe_encode(const SpModel *m, BpeScratch *s, const char *text, size_t len,
                    const BpeToken **toks, size_t *n, JfError *err);

/* SentencePiece's merges alone over text[0..len), taken as already
 * normalized (no normalization, no dummy prefix; USER_DEFINED pieces are
 * still split off whole and frozen): *id is the piece the text ends as when
 * the merges leave one symbol, before any UNUSED piece is split back; -1
 * when they leave several (or the text is empty, or its one symbol is no
 * piece). So a piece's own text tells whether the encoder can ever produce
 * it: a symbol that ends as exactly that text saw only the merges inside it,
 * in this order. For hf_export.c. Errors: JF_ENOMEM, JF_ETOOBIG. */
JfStatus bpe_reduce(const SpModel *m, BpeScratch *s, const char *text, size_t len, int32_t *id,
                    JfError *err);

/* Appends the text of ids[0..n) to out, as spm_decode does: U+2581 -> space,
 * the dummy-prefix space of the first piece dropped, runs of byte pieces
 * reassembled into UTF-8 (each invalid byte -> U+FFFD), CONTROL pieces
 * invisible, <unk> -> the model's unk_surface. Errors: JF_EFORMAT for an id
 * out of range, JF_ETOOBIG / JF_ENOMEM from out. */
JfStatus bpe_decode(const SpModel *m, const uint32_t *ids, size_t n, JfBuf *out, JfError *err);

#endif
