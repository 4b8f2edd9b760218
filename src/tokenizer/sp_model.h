/* sp_model.h: a SentencePiece model file (tokenizer.model, protobuf ModelProto;
 * field table in docs formats.md section 1) in memory: load it, check it, read
 * its pieces and settings, write it back. Writing an unchanged model gives the
 * same bytes as the file read (fields in number order, unknown fields kept and
 * written after the known ones, as the C++ library does).
 * Does not encode text (bpe_encode.h does) and does not train.
 * A loaded SpModel is read-only: any number of threads may use it at once. */
#ifndef JF_SP_MODEL_H
#define JF_SP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"

typedef struct SpModel SpModel;   /* opaque */

/* Piece types, values as in the file. */
typedef enum {
    SP_PIECE_NORMAL = 1,
    SP_PIECE_UNKNOWN = 2,
    SP_PIECE_CONTROL = 3,
    SP_PIECE_USER_DEFINED = 4,
    SP_PIECE_UNUSED = 5,
    SP_PIECE_BYTE = 6,
} SpPieceType;

typedef enum {
    SP_MODEL_UNIGRAM = 1,
    SP_MODEL_BPE = 2,
    SP_MODEL_WORD = 3,
    SP_MODEL_CHAR = 4,
} SpModelType;

/* The settings that matter when encoding, with the file's defaults applied
 * where a field is absent. Strings are borrowed from the model. */
typedef struct {
    SpModelType model_type;
    int32_t     vocab_size;             /* trainer_spec.vocab_size (not the piece count) */
    bool        byte_fallback;
    bool        split_digits;
    bool        allow_whitespace_only_pieces;
    bool        treat_whitespace_as_suffix;
    int32_t     max_sentencepiece_length;
    int32_t     unk_id, bos_id, eos_id, pad_id;   /* from trainer_spec */
    const char *unk_surface;            /* " \xE2\x81\x87 " when absent */
    const char *normalizer_name;        /* "" when absent */
    size_t      charsmap_len;           /* precompiled_charsmap bytes (0: none) */
    bool        add_dummy_prefix;
    bool        remove_extra_whitespaces;
    bool        escape_whitespaces;
} SpModelInfo;

/* Reads and checks a model file. Errors: JF_EIO (cannot read), JF_EFORMAT (not
 * a protobuf ModelProto, no pieces, no trainer_spec/normalizer_spec - a file cut
 * short at a piece boundary -, a piece without text, invalid UTF-8, a duplicate
 * piece, a bad type, a BYTE piece that is not <0x00>..<0xFF>, no UNKNOWN piece, a
 * damaged precompiled_charsmap).
 * On success *out is owned by the caller (sp_model_close). */
JfStatus sp_model_load(const char *path, SpModel **out, JfError *err);
/* The same from memory; name is used in error messages. data is copied. */
JfStatus sp_model_load_buffer(const uint8_t *data, size_t len, const char *name,
                              SpModel **out, JfError *err);
void     sp_model_close(SpModel *m);    /* accepts NULL */

/* Serializes the model. *out is jf_malloc'ed, owned by the caller. */
JfStatus sp_model_serialize(const SpModel *m, uint8_t **out, size_t *len, JfError *err);
/* Writes the model to path atomically (path.tmp, then rename). */
JfStatus sp_model_save(const SpModel *m, const char *path, JfError *err);

size_t             sp_model_size(const SpModel *m);          /* number of pieces */
const SpModelInfo *sp_model_info(const SpModel *m);
/* @return the piece's text (NUL-terminated, borrowed); *len may be NULL. id < size. */
const char *sp_model_piece(const SpModel *m, uint32_t id, size_t *len);
float       sp_model_score(const SpModel *m, uint32_t id);
SpPieceType sp_model_type(const SpModel *m, uint32_t id);
/* @return the id of piece text[0..len), or -1 when it is not a piece. */
int32_t     sp_model_find(const SpModel *m, const char *text, size_t len);
/* Unknown fields kept from the file, over the whole message tree. */
size_t      sp_model_unknown_field_count(const SpModel *m);

#endif
