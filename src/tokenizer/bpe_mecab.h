/* bpe_mecab.h: morpheme boundaries of a sentence by MeCab (libmecab, lattice
 * API), for MeCab pre-tokenization in BPE training and extension: a word is
 * also cut where a morpheme starts, so merges never cross a morpheme. The
 * dictionary is always passed with -d (ipadic-utf8 unless told otherwise),
 * never taken from a mecabrc. One BpeMecab (model, tagger, lattice) belongs to
 * one thread.
 *
 * Does not keep features (part of speech), split sentences or normalize. */
#ifndef JF_BPE_MECAB_H
#define JF_BPE_MECAB_H

#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"

#define BPE_MECAB_DICDIR "/var/lib/mecab/dic/ipadic-utf8"

/* How sentences are cut into words before BPE (train and extend). */
typedef enum {
    BPE_PRETOK_SENTENCEPIECE = 0,   /* SentencePiece's: before each U+2581 run */
    BPE_PRETOK_MECAB,               /* the same, plus every MeCab morpheme */
} BpePretok;

typedef struct BpeMecab BpeMecab;   /* opaque */

/* dicdir NULL: BPE_MECAB_DICDIR. Errors: JF_EIO (MeCab cannot open the
 * dictionary, with its reason), JF_ENOMEM. */
JfStatus bpe_mecab_open(const char *dicdir, BpeMecab **out, JfError *err);
void     bpe_mecab_close(BpeMecab *m);   /* accepts NULL */

/* Byte offsets in s[0..n) (one line, any bytes; only s[0..n) is read, no NUL
 * needed after it) where a morpheme starts, the white space MeCab skipped
 * before it included (a space goes with the word after it, as U+2581 does in
 * SentencePiece); ascending, 0 left out. A line over 64 KiB is analysed in
 * pieces cut at character starts (bounded lattice memory), each piece start
 * being a cut. *cuts is borrowed from m until the next call. Errors:
 * JF_ENOMEM. */
JfStatus bpe_mecab_cuts(BpeMecab *m, const char *s, size_t n, const uint32_t **cuts,
                        size_t *n_cuts, JfError *err);

#endif
