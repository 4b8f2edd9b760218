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
 * Does not read files, split sentences into words itself or learn anything.
 * Internal to src/tokenizer. */
#ifndef JF_BPE_COUNT_H
#define JF_BPE_COUNT_H

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

#endif
