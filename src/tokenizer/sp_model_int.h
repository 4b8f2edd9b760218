/* sp_model_int.h: the inside of SpModel, shared by sp_model.c, bpe_encode.c and
 * bpe_decode.c only. Never included outside src/tokenizer. */
#ifndef JF_SP_MODEL_INT_H
#define JF_SP_MODEL_INT_H

#include "sp_model.h"

#define SP_SPACE "\xE2\x96\x81"     /* U+2581, what spaces become */
#define SP_SPACE_LEN 3
#define SP_UNK_SURFACE " \xE2\x81\x87 "

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
    bool         has_unused;     /* some piece is UNUSED: resegmentation needed */
    const uint8_t *charsmap;     /* precompiled_charsmap, borrowed from proto; NULL when none */
    size_t       charsmap_len;
};

/* SentencePiece splits pieces into two maps: "normal" (NORMAL, USER_DEFINED,
 * UNUSED: BPE merges can produce them) and "reserved" (the others). */
static inline bool sp_piece_is_mergeable(uint8_t type)
{
    return type == SP_PIECE_NORMAL || type == SP_PIECE_USER_DEFINED || type == SP_PIECE_UNUSED;
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

#endif
