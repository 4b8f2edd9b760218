/* minhash.h: MinHash signatures of documents for near-duplicate detection.
 * A document becomes a set of shingles (Unicode character n-grams, or word
 * n-grams), each hashed once to 64 bits with XXH3; K = bands x rows keyed
 * bijections of that hash folded to 32 bits give K minima, the signature. Bands of `rows`
 * minima are hashed again to one 64-bit band key each (LSH banding).
 * The scheme and why its estimator is unbiased: docs/dedup.md.
 *
 * It does not sort, cluster or read files; dedup.h does. A MinHasher keeps
 * scratch buffers that grow with the largest document seen (never one
 * allocation per shingle); it is single-threaded: open one per thread. */
#ifndef JF_MINHASH_H
#define JF_MINHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"

typedef enum {
    MINHASH_CHAR = 0,   /* n consecutive Unicode code points (UTF-8 bytes hashed as they are) */
    MINHASH_WORD = 1,   /* n consecutive words (maximal runs without ASCII white space) */
} MinHashShingle;

typedef struct {
    uint32_t       bands;    /* b: LSH bands */
    uint32_t       rows;     /* r: minima per band; K = b * r */
    uint32_t       ngram;    /* n: shingle length in characters or words */
    MinHashShingle shingle;
    uint64_t       seed;     /* chooses the hash functions; same seed, same signatures */
} MinHashParams;

/* swallow: 40 x 20, char 5-grams. fineweb: 14 x 8, word 5-grams.
 * @return false for an unknown name (p unchanged). */
bool minhash_params_preset(const char *name, MinHashParams *p);

typedef struct MinHasher MinHasher;

/* @return JF_OK, JF_EUSAGE (bands, rows or ngram is 0, or K > 65536), JF_ENOMEM. */
JfStatus minhash_open(const MinHashParams *p, MinHasher **out, JfError *err);
void     minhash_close(MinHasher *m);   /* accepts NULL */
size_t   minhash_k(const MinHasher *m); /* bands * rows */

/* Hashes the shingles of text (len bytes of UTF-8) into the MinHasher's
 * buffer. A text shorter than one shingle is one shingle (the whole text);
 * an empty text has none. @return JF_OK or JF_ENOMEM. */
JfStatus minhash_shingle(MinHasher *m, const char *text, size_t len, JfError *err);
/* The shingle hashes of the last minhash_shingle call (with repeats, in text
 * order), borrowed until the next call. */
const uint64_t *minhash_shingles(const MinHasher *m, size_t *n);

/* sig (K values, caller's) = the minima of the last shingled text, each a
 * 32-bit value (the scheme's slots are 32-bit; stored in 64-bit words);
 * all UINT32_MAX when it had no shingle. */
void minhash_signature(const MinHasher *m, uint64_t *sig);

/* keys (b values, caller's): band i's key = XXH3-64 of sig[i*r .. i*r+r-1]
 * seeded with the band index (so equal keys mean equal rows in that band,
 * barring a 2^-64 collision). */
void minhash_band_keys(const MinHasher *m, const uint64_t *sig, uint64_t *keys);

/* Sorts the last shingled text's hashes and drops repeats, in place; after
 * it minhash_shingles gives the shingle SET (ascending). */
void minhash_shingles_unique(MinHasher *m);

/* |A ∩ B| / |A ∪ B| of two ascending sets without repeats (1 when both are empty). */
double minhash_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb);

#endif
