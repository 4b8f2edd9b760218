/* sp_charsmap.h: the precompiled_charsmap of a SentencePiece NormalizerSpec
 * (the normalization rules of nmt_nfkc, nfkc, nmt_nfkc_cf, nfkc_cf and
 * user TSV rules, compiled by spm_train): checking the blob and finding the
 * rule that applies at a point of the input.
 *
 * The blob is: a little-endian uint32 T, then T bytes of a darts-clone
 * double-array trie (T / 4 little-endian uint32 units) whose keys are the
 * source strings (UTF-8) and whose values are byte offsets into the rest of
 * the blob, NUL-separated replacement strings. SentencePiece's
 * Normalizer::NormalizePrefix does a common-prefix search of the input in
 * the trie and applies the longest of the first 32 matches.
 *
 * Written here by hand: darts-clone is a C++ header that SentencePiece
 * bundles, and no maintained C library (nor a Debian package) reads its
 * arrays. Only the search is implemented (not building a trie).
 *
 * The blob is checked whole when opened (the units' count a multiple of 256,
 * the root as darts-clone's own open() wants it, every child block inside
 * the array, every value an offset inside the strings with a NUL after it),
 * so that a search can never read outside it, whatever the file held.
 * Does not: apply the rules to a whole text (bpe_encode.c does, with the
 * whitespace handling around them), build or write a charsmap. */
#ifndef JF_SP_CHARSMAP_H
#define JF_SP_CHARSMAP_H

#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"

#define SP_CHARSMAP_MAX_RESULTS 32   /* Normalizer::kMaxTrieResultsSize */

typedef struct {
    const uint8_t *units;     /* n_units little-endian uint32, borrowed */
    size_t         n_units;   /* 0: no charsmap (identity) */
    const char    *strings;   /* the replacement strings, borrowed */
    size_t         strings_len;
} SpCharsmap;

/* Checks blob[0..len) and fills *cm, which borrows the blob (it must outlive
 * *cm). len 0 gives an empty charsmap (no rule applies, as SentencePiece
 * does with an empty precompiled_charsmap). Errors: JF_EFORMAT with what is
 * wrong (name is used in the message). */
JfStatus sp_charsmap_open(SpCharsmap *cm, const uint8_t *blob, size_t len, const char *name,
                          JfError *err);

/* The rule that applies at t[0..n) (n > 0): @return the bytes of input it
 * replaces (the longest match), with *out (NUL-terminated, borrowed from the
 * blob) and *out_len its replacement; 0 when no rule applies. */
size_t sp_charsmap_match(const SpCharsmap *cm, const uint8_t *t, size_t n, const char **out,
                         size_t *out_len);

#endif
