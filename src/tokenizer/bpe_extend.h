/* bpe_extend.h: extending a SentencePiece BPE vocabulary (a LLaMA-style
 * tokenizer.model) with pieces learned from Japanese text, by continuing BPE
 * from the base vocabulary's state.
 *
 * Text is pre-tokenized as SentencePiece's BPE trainer does (spaces become
 * U+2581, a dummy prefix, words cut before each U+2581 run); only words with a
 * Japanese character are kept. Each unique word is encoded by the base model
 * (its merges applied, no dummy prefix added): the base pieces are the
 * starting symbols. A Japanese character the base has no piece for (LLaMA
 * sends most kanji to byte fallback) becomes a new one-character piece when it
 * is within character_coverage of the Japanese characters; other such
 * characters cut the word (they never merge). Then the most frequent adjacent
 * pair whose concatenation is a new valid piece is merged, again and again
 * (64-bit counts, incremental updates, a heap with lazy re-checks), recording
 * the merges in order. A new piece is valid when it is made of Japanese
 * characters (hiragana, katakana, kanji, U+30FC, CJK iteration marks,
 * half-width katakana), optionally after one leading U+2581 (never with
 * strip_prefix), is at most max_piece_length characters long and is no piece
 * yet (base or new): so text without Japanese encodes exactly as before, and
 * every new piece is the merge of two pieces of the vocabulary (closed: Hugging
 * Face's BPE reaches it too).
 *
 * The extended model is the base model byte for byte (pieces, specs, unknown
 * fields) with the new pieces appended: the merged pieces in merge order,
 * then the new characters, most frequent first (SentencePiece's layout).
 * Scores go below the lowest base score, so base merges keep their priority
 * and the i-th new piece keeps its place: score = lowest - 1 - i, where
 * lowest ignores the -1e9 of whitespace-only pieces (a float cannot count
 * down from -1e9 in steps of 1). trainer_spec.vocab_size is updated.
 *
 * With pretokenize BPE_PRETOK_MECAB, words are also cut where MeCab says a
 * morpheme starts (bpe_mecab.h) and lose their leading U+2581 run, and
 * strip_prefix is implied: pieces learned over morphemes with a U+2581 rarely
 * match raw Japanese, which has no spaces (llm-jp strips that prefix too).
 * keep_prefix keeps the U+2581 of real spaces and line starts instead (our
 * MeCab mode inserts no spaces; docs/tokenizer.md has the measurements).
 *
 * Reading and cutting into words run on opt.threads threads (bpe_count.h):
 * the model is byte-identical for any count; the merges run on the caller's.
 *
 * With input_sentence_size (or input_sentence_bytes), only a sample of the
 * lines with a Japanese character is learned from (bpe_count.h: shuffled, a
 * seeded uniform sample; else the first ones): lines without one add nothing,
 * so they are not part of the population. The base model's trainer_spec is
 * kept as it is (it describes the base's training).
 *
 * Does not: models that normalize with a charsmap or remove extra whitespace
 * or have no dummy prefix (refused), merging on several threads. */
#ifndef JF_BPE_EXTEND_H
#define JF_BPE_EXTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpe_mecab.h"
#include "jf_error.h"
#include "sp_model.h"

typedef struct {
    size_t  n_add;                 /* new pieces wanted (characters and merges) */
    bool    strip_prefix;          /* new pieces never start with U+2581 (words lose theirs) */
    float   character_coverage;    /* of Japanese character occurrences; 0.9995 */
    int32_t max_piece_length;      /* characters; 0: the base model's */
    uint64_t min_frequency;        /* a pair seen fewer times is not merged (2) */
    BpePretok pretokenize;         /* BPE_PRETOK_MECAB: words also cut at morphemes */
    bool    keep_prefix;           /* with BPE_PRETOK_MECAB: strip_prefix not implied */
    const char *mecab_dicdir;      /* NULL: BPE_MECAB_DICDIR */
    int32_t threads;               /* threads counting words (1..256), see bpe_count.h */
    uint64_t input_sentence_size;  /* Japanese lines sampled; 0: all (or the byte cap) */
    uint64_t input_sentence_bytes; /* cap on the sampled lines' bytes; 0: none */
    bool    shuffle_input_sentence;   /* a seeded uniform sample; false: the first ones */
    uint64_t seed;                 /* of the sample's keys */
} BpeExtendOptions;

void bpe_extend_options_default(BpeExtendOptions *o, size_t n_add);

typedef struct {
    uint64_t sentences;        /* lines read */
    uint64_t ja_sentences;     /* lines with a Japanese character */
    uint64_t used_sentences;   /* of those, learned from (the sample when sampling) */
    uint64_t sample_bytes;     /* bytes of the sampled lines, when sampling */
    uint64_t unique_words;     /* unique words with a Japanese character */
    uint64_t new_chars;        /* characters added as pieces */
    uint64_t dropped_chars;    /* Japanese characters missing from base, left out */
    uint64_t merges;           /* merged pieces added */
    uint64_t duplicates;       /* merges skipped: the piece existed already */
} BpeExtendStats;

typedef struct BpeExtender BpeExtender;   /* opaque */

/* @return true for the characters new pieces are made of (see above). */
bool bpe_char_is_japanese(uint32_t cp);

/* base must stay loaded until bpe_extender_close. Errors: JF_EUSAGE (a model
 * that cannot be extended, with the reason; n_add 0), JF_EIO (MeCab's
 * dictionary), JF_ENOMEM. */
JfStatus bpe_extender_open(const SpModel *base, const BpeExtendOptions *o, BpeExtender **out,
                           JfError *err);
void     bpe_extender_close(BpeExtender *x);   /* accepts NULL */

/* Adds text[0..len): every line is one sentence. Errors: JF_ENOMEM. */
JfStatus bpe_extender_add_text(BpeExtender *x, const char *text, size_t len, JfError *err);

/* Learns the new pieces and builds the extended model (loaded back to check
 * it). Fewer than n_add pieces when the text runs out of pairs (the stats say
 * how many). Errors: JF_EUSAGE (no Japanese text), JF_ENOMEM. Call once. */
JfStatus bpe_extender_run(BpeExtender *x, SpModel **out, JfError *err);

/* Complete after bpe_extender_run; before, sentences and ja_sentences count
 * the text cut so far (all of it with one thread). */
const BpeExtendStats *bpe_extender_stats(const BpeExtender *x);

/* true once a first-lines sample (shuffle_input_sentence false) is complete:
 * later text would be ignored, so the caller may stop reading. */
bool bpe_extender_sample_full(const BpeExtender *x);

/* The base model's encoding of a piece's text as it is (no dummy prefix,
 * U+2581 kept): the base ids a new piece splits into. *ids (n of them) is
 * jf_malloc'ed, owned by the caller. Errors: JF_ENOMEM, JF_EUSAGE. */
JfStatus bpe_base_split(const SpModel *base, const char *piece, size_t len, uint32_t **ids,
                        size_t *n, JfError *err);

/* Writes path (atomically) with one line per new piece of ext (ids from
 * sp_model_size(base)): "id<TAB>piece<TAB>base ids separated by spaces".
 * Errors: JF_EIO, JF_ENOMEM. */
JfStatus bpe_new_pieces_write(const SpModel *base, const SpModel *ext, const char *path,
                              JfError *err);

#endif
