/* bpe_words.h: the table of unique words (chunks of pre-tokenized text that
 * BPE merges never cross) with 64-bit counts, shared by training
 * (bpe_train.c) and vocabulary extension (bpe_extend.c), and the cutting of a
 * normalized sentence into words: SentencePiece's SplitIntoWords (a word
 * starts at the first character and before each U+2581 that does not follow
 * another), plus extra cuts such as MeCab's morpheme boundaries.
 *
 * Words keep their insertion order (word i is the i-th distinct word seen),
 * so what is learned from them never depends on the hash function.
 * Does not normalize text, turn words into symbols or count pairs.
 * Internal to src/tokenizer. */
#ifndef JF_BPE_WORDS_H
#define JF_BPE_WORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t count;
    uint32_t off, len;      /* bytes in the arena */
} BpeWord;

typedef struct {
    BpeWord  *w;     size_t n, cap;
    char     *arena; size_t arena_len, arena_cap;
    uint32_t *slots; size_t mask;       /* open addressing: word index + 1, 0 empty */
} BpeWords;

/* Grows *arr (elements of sz bytes, capacity *cap) to hold need elements,
 * doubling. @return false when out of memory (*arr unchanged). */
bool bpe_grow(void **arr, size_t *cap, size_t need, size_t sz);
#define BPE_GROW(arr, cap, need) bpe_grow((void **)&(arr), &(cap), (need), sizeof *(arr))

void bpe_words_init(BpeWords *t);   /* allocates nothing */
void bpe_words_free(BpeWords *t);

/* Adds count to the word p[0..n), inserting it when new. @return false when
 * out of memory or past 2^32 words / 4 GiB of word text. */
bool bpe_words_add(BpeWords *t, const char *p, size_t n, uint64_t count);

/* Adds every word of src to t, in src's order, with its count: merging the
 * tables of consecutive parts of a text, in order, gives the table of the
 * whole text. @return false as bpe_words_add. */
bool bpe_words_merge(BpeWords *t, const BpeWords *src);

/* Empties t, keeping its memory for reuse. */
void bpe_words_clear(BpeWords *t);

static inline const char *bpe_words_text(const BpeWords *t, size_t i)
{
    return t->arena + t->w[i].off;
}

enum {
    BPE_SPLIT_JA_ONLY  = 1,   /* count only words with a Japanese character */
    BPE_SPLIT_STRIP_WS = 2,   /* drop a word's leading U+2581 run */
};

/* Cuts s[0..n) (normalized: spaces already U+2581) into words and counts
 * each once. Words start at 0, before each U+2581 that does not follow
 * another, and at each offset of cuts[0..n_cuts) (ascending; an offset that
 * is not a character start or that follows a U+2581 is ignored: a space stays
 * with the word after it, as in SentencePiece). Bytes that are
 * not UTF-8 step one at a time. flags: BPE_SPLIT_*. @return false when out
 * of memory. */
bool bpe_words_add_sentence(BpeWords *t, const char *s, size_t n, const uint32_t *cuts,
                            size_t n_cuts, unsigned flags);

#endif
