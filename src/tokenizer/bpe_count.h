/* bpe_count.h: counting the unique words of a corpus on several threads, for
 * BPE training and extension. Text (whole lines) is gathered into batches of
 * about 1 MiB in input order; worker threads cut each batch into a table of
 * its own (bpe_words.h) with a cutter (normalization, pre-tokenization,
 * MeCab) that belongs to the thread; the tables are merged into the result in
 * batch order. A word's index in the result is the order of its first
 * occurrence in the whole input, its count the sum: exactly what cutting the
 * text on one thread gives, so what is learned is byte-identical for any
 * thread count (and any batch size).
 *
 * With one thread nothing is copied or started: the text is cut straight into
 * the result, on the caller's thread.
 *
 * Sampling (bpe_counter_sample; SentencePiece's input_sentence_size and
 * shuffle_input_sentence): only some sentences (non-empty lines, a trailing
 * '\r' dropped, that the caller's filter accepts) are cut. Shuffled, sentence
 * number i (from 0, over the whole input, counting accepted sentences only)
 * gets the key XXH3_64bits_withSeed(i as 8 little-endian bytes, seed) and the
 * sample is the sentences with the size smallest keys (bottom-k: a uniform
 * sample without replacement, the same for a given seed and input). They are
 * chosen on the caller's thread as the text comes (a max-heap of the kept
 * keys; the kept sentences in an arena, in input order), and cut at
 * bpe_counter_finish in input order, so the result is again the same for any
 * thread count; with size at least the number of sentences it is the
 * unsampled result. Not shuffled, the sample is the first size sentences and
 * they are cut as they come (nothing is stored). A byte cap bounds the kept
 * sentences' bytes: shuffled, the sentences with the largest keys are dropped
 * (and the size lowered to what is left: still the smallest keys of the
 * whole input) until they fit, keeping one at least; not shuffled, the
 * sample stops before the first sentence that would pass it. Memory while
 * sampling: the kept sentences (at most twice their bytes with the arena's
 * holes) plus 24 bytes each, then the words of the sample.
 *
 * Does not read files, split sentences into words itself or learn anything.
 * Internal to src/tokenizer. */
#ifndef JF_BPE_COUNT_H
#define JF_BPE_COUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpe_words.h"
#include "jf_error.h"

#define BPE_COUNT_MAX_THREADS 256
#define BPE_COUNTERS 4   /* per-caller tallies (sentences, skipped, ...), summed */

/* Cuts every line of text[0..len) (split at '\n') into words added to *words
 * and adds its tallies to counters[0..BPE_COUNTERS). cutter is the calling
 * thread's own. Errors: whatever the cutter fails with (JF_ENOMEM, ...). */
typedef JfStatus (*BpeCutFn)(void *cutter, const char *text, size_t len, BpeWords *words,
                             uint64_t *counters, JfError *err);

typedef struct BpeCounter BpeCounter;   /* opaque */

/* threads in 1..BPE_COUNT_MAX_THREADS; cutters[0..threads), each used by one
 * thread at a time and borrowed until close; words (the result) and
 * counters[0..BPE_COUNTERS) are added to, and are only complete after
 * bpe_counter_finish. Errors: JF_EUSAGE (threads), JF_ENOMEM, JF_EIO (a
 * thread cannot be started). */
JfStatus bpe_counter_open(size_t threads, BpeCutFn fn, void *const *cutters, BpeWords *words,
                          uint64_t *counters, BpeCounter **out, JfError *err);

/* Adds text[0..len): whole lines (the last one may lack its '\n'; lines of
 * two calls never join). Errors: the cutters' (from this call or an earlier
 * batch), JF_ENOMEM; after an error the counter only accepts close. */
JfStatus bpe_counter_add(BpeCounter *c, const char *text, size_t len, JfError *err);

/* Waits for every batch and merges it; the result is then complete. Errors:
 * as bpe_counter_add. */
JfStatus bpe_counter_finish(BpeCounter *c, JfError *err);

/* Stops the threads (waiting for them) and frees the counter. Accepts NULL. */
void bpe_counter_close(BpeCounter *c);

typedef struct {
    uint64_t size;        /* sentences kept; 0: no limit on their number */
    uint64_t max_bytes;   /* bytes of the kept sentences (no '\n'); 0: no limit */
    bool     shuffle;     /* a seeded uniform sample; false: the first sentences */
    uint64_t seed;
} BpeSampleOptions;

typedef struct {
    uint64_t seen;        /* sentences the filter accepted (the sample's population) */
    uint64_t kept;        /* sentences in the sample (final after bpe_counter_finish) */
    uint64_t kept_bytes;  /* their bytes, '\n' not counted */
    uint64_t limit;       /* the size in effect: size, or lower once the byte cap
                             dropped sentences; 0 when neither limit ever bit */
    bool     full;        /* not shuffled: no later sentence can be kept */
} BpeSampleStats;

/* A sampling filter: whether the sentence s[0..n) (no '\n', no trailing
 * '\r', n > 0) belongs to the population sampled; may add to
 * counters[0..BPE_COUNTERS) (the result's tallies). Runs on the caller's
 * thread. */
typedef bool (*BpeSampleFilter)(void *ctx, const char *s, size_t n, uint64_t *counters);

/* Turns sampling on (see above); before the first bpe_counter_add. With
 * size and max_bytes both 0 nothing changes. filter NULL: every sentence.
 * Errors: JF_EUSAGE (text added already). */
JfStatus bpe_counter_sample(BpeCounter *c, const BpeSampleOptions *o, BpeSampleFilter filter,
                            void *ctx, JfError *err);

/* NULL when not sampling. */
const BpeSampleStats *bpe_counter_sample_stats(const BpeCounter *c);

#endif
