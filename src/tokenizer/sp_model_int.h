/* sp_model_int.h: the inside of SpModel, shared by sp_model.c, bpe_encode.c and
 * bpe_decode.c only. Never included outside src/tokenizer. */
#ifndef JF_SP_MODEL_INT_H
#define JF_SP_MODEL_INT_H

#include "sp_charsmap.h"
#include "sp_model.h"

#define SP_SPACE "\xE2\x96\x81"     /* U+2581, what spaces become */
#define SP_SPACE_LEN 3
#define SP_UNK_SURFACE " \xE2\x81\x87 "

/* One entry of the merge table: the pair (left id, right id) of adjacent
 * symbols whose concatenation is the mergeable piece id. */
typedef struct {
    uint64_t key;         /* left << 32 | right; SP_PAIR_EMPTY when free */
    uint32_t id;
    float    score;       /* the piece's, here so that a lookup touches one line */
} SpPairSlot;

#define SP_PAIR_EMPTY UINT64_MAX
/* char_adj bits: the code point is followed (SP_ADJ_LEFT) or preceded (SP_ADJ_RIGHT)
 * by another character inside some mergeable piece. Without them no merge can join
 * it on that side, and the adjacency set need not be asked. */
#define SP_ADJ_LEFT  1u
#define SP_ADJ_RIGHT 2u
#define SP_CHAR_TABLE 0x10000     /* code points below this have a direct id table */

typedef struct {
    const char *text;     /* borrowed from the protobuf message, NUL-terminated */
    uint32_t    len;
    float       score;    /* 0 when absent, as SentencePiece reads it */
    uint8_t     type;     /* SpPieceType */
} SpPiece;

struct SpModel {
    void        *proto;          /* JfSp__ModelProto *, owned */
    SpModelInfo  info;
    SpPiece     *pieces;         /* [n] */
    size_t       n;
    uint32_t    *slots;          /* hash table of piece text: id + 1, 0 = empty */
    size_t       mask;           /* slots has mask + 1 entries (a power of two) */
    int32_t      unk;            /* id of the UNKNOWN piece */
    int32_t      byte_id[256];   /* id of <0xXX>, -1 when absent */
    size_t       max_user_len;   /* longest USER_DEFINED piece in bytes, 0 when none */
    /* Filters that let the encoder's user-piece lookup skip most positions
     * with one bit test (sp_model_user_match): the first bytes of 1-byte
     * pieces, the first two bytes of 2-byte ones, a hash of the first three
     * bytes of longer ones, and which lengths (3..63 bytes) occur. */
    uint64_t     user_1[256 / 64];
    uint64_t     user_2[65536 / 64];
    uint64_t     user_3[65536 / 64];
    uint64_t     user_lens;      /* bit k: some piece is k bytes (3 <= k <= 63) */
    bool         has_unused;     /* some piece is UNUSED: resegmentation needed */
    bool         low_score;      /* some piece scores -inf or NaN: the encoder's scan
                                  * uses -inf for "no pair", so it takes the heap */
    SpPairSlot  *pairs;          /* merge table, open addressing; built at load */
    unsigned     pair_bits;      /* pairs has 1 << pair_bits slots */
    size_t       n_pairs;
    uint64_t    *adj;            /* set of code point pairs (a << 32 | b) that occur
                                  * side by side inside some mergeable piece */
    unsigned     adj_bits;
    uint64_t     adj_latin[256 * 256 / 64];   /* the same set for code points < 256, as bits */
    int32_t     *char_id;        /* [SP_CHAR_TABLE]: id of the one-character piece, -1 none */
    uint8_t     *char_adj;       /* [SP_CHAR_TABLE]: SP_ADJ_* bits of each code point */
    const uint8_t *charsmap;     /* precompiled_charsmap, borrowed from proto; NULL when none */
    size_t       charsmap_len;
    SpCharsmap   cmap;           /* the same, checked at load; n_units 0 when none */
};

/* SentencePiece splits pieces into two maps: "normal" (NORMAL, USER_DEFINED,
 * UNUSED: BPE merges can produce them) and "reserved" (the others). */
static inline bool sp_piece_is_mergeable(uint8_t type)
{
    return type == SP_PIECE_NORMAL || type == SP_PIECE_USER_DEFINED || type == SP_PIECE_UNUSED;
}

/* @return the merge table's entry for the pieces left and right (id and
 * score of the mergeable piece their texts make together), NULL when none. */
static inline const SpPairSlot *sp_model_pair_slot(const SpModel *m, uint32_t left,
                                                   uint32_t right)
{
    uint64_t key = (uint64_t)left << 32 | right;
    size_t mask = ((size_t)1 << m->pair_bits) - 1;
    for (size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - m->pair_bits));;
         i = (i + 1) & mask) {
        const SpPairSlot *s = &m->pairs[i];
        if (s->key == key) return s;
        if (s->key == SP_PAIR_EMPTY) return NULL;
    }
}

/* @return the mergeable piece that the pieces left and right make together
 * (their texts concatenated), or -1 when there is none. */
static inline int32_t sp_model_pair_find(const SpModel *m, uint32_t left, uint32_t right)
{
    const SpPairSlot *s = sp_model_pair_slot(m, left, right);
    return s ? (int32_t)s->id : -1;
}

/* @return true when code points a, b occur side by side inside a mergeable
 * piece: only then can a merge join a symbol ending in a to one starting with b. */
static inline bool sp_model_adjacent_has(const SpModel *m, uint32_t a, uint32_t b)
{
    if ((a < SP_CHAR_TABLE && !(m->char_adj[a] & SP_ADJ_LEFT)) ||
        (b < SP_CHAR_TABLE && !(m->char_adj[b] & SP_ADJ_RIGHT)))
        return false;
    if ((a | b) < 256) {
        uint32_t bit = a << 8 | b;
        return m->adj_latin[bit >> 6] >> (bit & 63) & 1;
    }
    uint64_t key = (uint64_t)a << 32 | b;
    size_t mask = ((size_t)1 << m->adj_bits) - 1;
    for (size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - m->adj_bits));;
         i = (i + 1) & mask) {
        if (m->adj[i] == key) return true;
        if (m->adj[i] == SP_PAIR_EMPTY) return false;
    }
}

/* The user_3 bit of a piece or text starting with bytes t[0..3). */
static inline uint32_t sp_user_hash3(const uint8_t *t)
{
    uint32_t v = (uint32_t)t[0] << 16 | (uint32_t)t[1] << 8 | t[2];
    return (v * 0x9E3779B1u) >> 16;
}

static inline bool sp_bit_has(const uint64_t *set, uint32_t bit)
{
    return set[bit >> 6] >> (bit & 63) & 1;
}

/* Records USER_DEFINED piece t[0..len) in m's filters (sp_model.c, at load). */
static inline void sp_model_user_note(SpModel *m, const uint8_t *t, size_t len)
{
    uint32_t bit = len == 1 ? t[0] : len == 2 ? (uint32_t)t[0] << 8 | t[1] : sp_user_hash3(t);
    uint64_t *set = len == 1 ? m->user_1 : len == 2 ? m->user_2 : m->user_3;
    set[bit >> 6] |= (uint64_t)1 << (bit & 63);
    if (len >= 3 && len <= 63) m->user_lens |= (uint64_t)1 << len;
}

/* Length of the UTF-8 character starting with byte c, as SentencePiece
 * guesses it from the lead byte alone (1 for stray continuation bytes). */
static inline size_t sp_utf8_len_guess(uint8_t c)
{
    static const uint8_t T[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4 };
    return T[c >> 4];
}

/* @return the length (1..4) of the valid UTF-8 character at s (n bytes
 * available), 0 when it is malformed (overlong, surrogate, > U+10FFFF, cut). */
size_t sp_utf8_valid_len(const uint8_t *s, size_t n);
/* The code point of the valid UTF-8 character s[0..len), len 1..4. */
uint32_t sp_utf8_decode(const uint8_t *s, size_t len);

/* sp_utf8_valid_len and sp_utf8_decode in one, inline (training calls it for
 * every character): @return the length (1..4) of the valid UTF-8 character
 * at s (n > 0 bytes available) with its code point in *cp, 0 when malformed. */
static inline size_t sp_utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c < 0xC2 || c > 0xF4) return 0;   /* continuation, overlong, past U+10FFFF */
    size_t k = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (n < k) return 0;
    uint32_t v = c & (0x7F >> k);
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    if ((k == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) ||
        (k == 4 && (v < 0x10000 || v > 0x10FFFF)))
        return 0;
    *cp = v;
    return k;
}

#endif
