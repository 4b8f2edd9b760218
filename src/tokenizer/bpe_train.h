/* bpe_train.h: training a SentencePiece-compatible BPE vocabulary.
 *
 * Text is fed sentence by sentence (one line each) and pre-tokenized as
 * SentencePiece's BPE trainer does: identity normalization, spaces become
 * U+2581 with a dummy prefix (extra whitespace kept), the sentence is cut into
 * words before each U+2581 (a run of U+2581 stays one word start), and a merge
 * is never allowed to make a piece that SentencePiece's IsValidSentencePiece
 * refuses: longer than max_piece_length characters, U+2581 after the first
 * character (unless the piece is only U+2581), two Unicode scripts (hiragana,
 * katakana and U+30FC count as Han), a digit in a longer piece with
 * split_digits, a control character or a rare character. Characters are kept
 * up to character_coverage of all characters (most frequent first); the rest
 * are left to byte fallback. Merges pick the most frequent valid pair (64-bit
 * counts, updated incrementally, a heap with lazy re-checks, no rescans); a
 * merge whose piece already exists by another path is skipped as SentencePiece
 * does. The vocabulary is <unk> <s> </s>, user symbols, <0x00>..<0xFF> (with
 * byte_fallback), the merged pieces with score -i for the i-th, then the kept
 * characters, most frequent first, continuing the scores.
 *
 * With pretokenize BPE_PRETOK_MECAB, words are also cut where MeCab says a
 * morpheme starts (bpe_mecab.h), so no merge crosses a morpheme; the model
 * is an ordinary SentencePiece model (MeCab is not needed to encode).
 *
 * Reading, normalizing, cutting into words and MeCab run on opt.threads
 * threads (bpe_count.h): the model is byte-identical for any count. The
 * merges run on the caller's thread.
 *
 * With input_sentence_size (or input_sentence_bytes), only a sample of the
 * sentences is learned from (bpe_count.h: shuffled, the sentences with the
 * smallest seeded keys, a uniform sample; else the first ones); the sentences
 * over max_sentence_length are not part of the population. The model is the
 * same for any thread count, and equals the unsampled one (but for
 * trainer_spec) when the sample holds every sentence. trainer_spec records
 * input_sentence_size (the size in effect) and shuffle_input_sentence.
 *
 * Does not: NFKC or other charsmap normalization, merging on several threads,
 * extending a base vocabulary. Memory is the table of unique words plus the
 * pair table (and threads + 2 batches of about 1 MiB while counting); when
 * sampling, the kept sentences too (bpe_count.h), and the words are those of
 * the sample only. */
#ifndef JF_BPE_TRAIN_H
#define JF_BPE_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpe_mecab.h"
#include "jf_error.h"
#include "sp_model.h"

typedef struct {
    int32_t      vocab_size;           /* all pieces, control and byte pieces included */
    float        character_coverage;   /* 0.9995 is SentencePiece's default */
    int32_t      max_piece_length;     /* in characters; 16 */
    int32_t      max_sentence_length;  /* bytes; longer sentences are skipped (4192) */
    bool         byte_fallback;
    bool         split_digits;
    const char *const *user_symbols;   /* USER_DEFINED pieces, never learned from text */
    size_t       n_user_symbols;
    const char *const *inputs;         /* recorded in trainer_spec.input only */
    size_t       n_inputs;
    BpePretok    pretokenize;          /* BPE_PRETOK_MECAB: words also cut at morphemes */
    const char  *mecab_dicdir;         /* NULL: BPE_MECAB_DICDIR */
    int32_t      threads;              /* threads counting words (1..256), see bpe_count.h */
    uint64_t     input_sentence_size;  /* sentences sampled; 0: all (or input_sentence_bytes) */
    uint64_t     input_sentence_bytes; /* cap on the sampled sentences' bytes; 0: none */
    bool         shuffle_input_sentence;   /* a seeded uniform sample; false: the first ones */
    uint64_t     seed;                 /* of the sample's keys */
} BpeTrainOptions;

/* The LLaMA settings (formats.md section 1) with the given vocabulary size,
 * one thread, no sampling (shuffled when asked, seed 0). */
void bpe_train_options_default(BpeTrainOptions *o, int32_t vocab_size);

typedef struct {
    uint64_t sentences;        /* sentences used (the sample when sampling) */
    uint64_t seen_sentences;   /* sentences read (not over max_sentence_length) */
    uint64_t sample_bytes;     /* bytes of the sentences used, when sampling */
    uint64_t skipped_long;     /* over max_sentence_length */
    uint64_t unique_words;
    uint64_t chars;            /* characters counted (U+2581 included) */
    uint64_t kept_chars;       /* distinct characters in the vocabulary */
    uint64_t rare_chars;       /* distinct characters left to byte fallback */
    uint64_t merges;           /* merged pieces in the vocabulary */
    uint64_t duplicates;       /* merges skipped: the piece existed already */
} BpeTrainStats;

typedef struct BpeTrainer BpeTrainer;   /* opaque */

/* Errors: JF_EUSAGE (bad options), JF_EIO (MeCab's dictionary), JF_ENOMEM.
 * *out is owned by the caller. */
JfStatus bpe_trainer_open(const BpeTrainOptions *o, BpeTrainer **out, JfError *err);
void     bpe_trainer_close(BpeTrainer *t);   /* accepts NULL */

/* Adds text[0..len): every line (split at '\n', a trailing '\r' dropped) is
 * one sentence; empty lines are ignored. Invalid UTF-8 bytes count as U+FFFD.
 * Errors: JF_ENOMEM. */
JfStatus bpe_trainer_add_text(BpeTrainer *t, const char *text, size_t len, JfError *err);

/* Learns the vocabulary and builds the model (checked by loading it back).
 * Errors: JF_EUSAGE (vocab_size not above control + byte pieces + kept
 * characters, or no text), JF_ENOMEM. Call once. *out: sp_model_close. */
JfStatus bpe_trainer_run(BpeTrainer *t, SpModel **out, JfError *err);

/* Complete after bpe_trainer_run; before, sentences and skipped_long count the
 * text cut so far (all of it with one thread). */
const BpeTrainStats *bpe_trainer_stats(const BpeTrainer *t);

/* true once a first-sentences sample (shuffle_input_sentence false) is
 * complete: later text would be ignored, so the caller may stop reading. */
bool bpe_trainer_sample_full(const BpeTrainer *t);

#endif
