/* mmidx.h: Megatron's indexed dataset ("MMIDIDX", PREFIX.bin + PREFIX.idx),
 * written and read byte for byte as Megatron-LM / Megatron-DeepSpeed do.
 * Does not tokenize and knows nothing of documents' text: it stores sequences
 * of token ids. Blending and sample order are megatron_order.h's.
 *
 * .idx layout (little-endian, packed, arrays unaligned):
 *
 *   offset      bytes  field
 *   0           9      "MMIDIDX\0\0"
 *   9           8      u64 version = 1
 *   17          1      u8 dtype code (MmidxDtype)
 *   18          8      u64 S, number of sequences
 *   26          8      u64 D, number of documents + 1
 *   34          4*S    int32 sequence lengths, in tokens
 *   34+4S       8*S    int64 sequence pointers, byte offsets into .bin
 *   34+12S      8*D    int64 document indices: 0, ..., S (non-decreasing)
 *
 * .bin is the tokens of all sequences back to back, no header.
 * The writer picks uint16 (code 8) when the vocabulary has fewer than 65500
 * ids, else int32 (code 4), as Megatron's preprocessing does. */
#ifndef JF_MMIDX_H
#define JF_MMIDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"

#define MMIDX_HEADER_SIZE 34u
#define MMIDX_VERSION 1u
/* Vocabularies below this size are stored as uint16 (Megatron's threshold). */
#define MMIDX_UINT16_VOCAB_LIMIT 65500u

typedef enum {
    MMIDX_UINT8 = 1, MMIDX_INT8 = 2, MMIDX_INT16 = 3, MMIDX_INT32 = 4,
    MMIDX_INT64 = 5, MMIDX_FLOAT64 = 6, MMIDX_FLOAT32 = 7, MMIDX_UINT16 = 8,
} MmidxDtype;

/* @return bytes per item of a dtype code, 0 for an unknown code. */
size_t      mmidx_dtype_size(int code);
/* @return "uint16", "int32", ... or "unknown". */
const char *mmidx_dtype_name(int code);
/* @return the dtype Megatron picks for a vocabulary of vocab_size ids. */
MmidxDtype  mmidx_dtype_for_vocab(uint64_t vocab_size);

/* ------------------------------------------------------------ writer ---- */

typedef struct MmidxWriter MmidxWriter;

/* Creates PREFIX.bin.tmp (tokens are streamed there); the index stays in
 * memory until commit. vocab_size (>= 1) fixes the dtype and the largest id
 * accepted. @return JF_OK, JF_EIO (with the path), JF_ENOMEM, JF_EUSAGE. */
JfStatus mmidx_writer_open(const char *prefix, uint64_t vocab_size, MmidxWriter **out,
                           JfError *err);
/* Appends one sequence of n ids (n may be 0). Ids must be < vocab_size.
 * @return JF_OK; JF_EFORMAT for an id out of range (nothing of the sequence
 * is written, the writer stays usable); JF_ETOOBIG past INT32_MAX tokens;
 * JF_EIO, JF_ENOMEM. */
JfStatus mmidx_writer_add(MmidxWriter *w, const uint32_t *ids, size_t n, JfError *err);
/* Ends the current document (Megatron's end_document): the sequences added
 * since the previous call form one document. */
JfStatus mmidx_writer_end_document(MmidxWriter *w, JfError *err);
/* Ends an open document, writes PREFIX.idx.tmp, syncs both files and renames
 * them to PREFIX.bin then PREFIX.idx. Nothing is visible under the final names
 * before this succeeds. */
JfStatus mmidx_writer_commit(MmidxWriter *w, JfError *err);
/* Frees w; removes the temporary files if not committed. Accepts NULL. */
void     mmidx_writer_close(MmidxWriter *w);

uint64_t   mmidx_writer_sequences(const MmidxWriter *w);
uint64_t   mmidx_writer_tokens(const MmidxWriter *w);
MmidxDtype mmidx_writer_dtype(const MmidxWriter *w);

/* ------------------------------------------------------------ reader ---- */

typedef struct MmidxReader MmidxReader;

/* Maps PREFIX.idx and PREFIX.bin and checks all of: magic, version 1, a known
 * dtype code, the .idx size against S and D, lengths >= 0, each pointer equal
 * to the running sum of lengths × item size, the .bin size equal to the end of
 * the last sequence, document indices starting at 0, non-decreasing, ending
 * at S. @return JF_OK, or JF_EFORMAT / JF_ETRUNC with the file and byte offset
 * of the first problem, JF_EIO when a file cannot be opened. Never crashes on
 * any content. */
JfStatus mmidx_reader_open(const char *prefix, MmidxReader **out, JfError *err);
void     mmidx_reader_close(MmidxReader *r);     /* accepts NULL */

MmidxDtype mmidx_reader_dtype(const MmidxReader *r);
uint64_t   mmidx_reader_sequences(const MmidxReader *r);      /* S */
uint64_t   mmidx_reader_documents(const MmidxReader *r);      /* D - 1 */
uint64_t   mmidx_reader_tokens(const MmidxReader *r);         /* sum of lengths */
uint64_t   mmidx_reader_bin_size(const MmidxReader *r);
uint64_t   mmidx_reader_idx_size(const MmidxReader *r);
/* Length in tokens of sequence i (i < S). */
uint32_t   mmidx_reader_length(const MmidxReader *r, uint64_t i);
/* Byte offset of sequence i in .bin. */
uint64_t   mmidx_reader_pointer(const MmidxReader *r, uint64_t i);
/* Entry j (j < D) of the document indices. */
uint64_t   mmidx_reader_doc_index(const MmidxReader *r, uint64_t j);
/* Copies the ids of sequence i into out (room for mmidx_reader_length ids).
 * @return JF_OK, or JF_EFORMAT for a float dtype or an id that is negative
 * or does not fit 32 bits (with the .bin offset). */
JfStatus   mmidx_reader_read(const MmidxReader *r, uint64_t i, uint32_t *out, JfError *err);

/* ------------------------------------------------------------- merge ---- */

/* Writes OUT.bin/.idx holding every document of prefixes[0..n), in order,
 * document boundaries kept; dtype the widest of the inputs' (atomic).
 * @return JF_OK, or the first reader/writer error. */
JfStatus   mmidx_merge(const char *const *prefixes, size_t n, const char *out, JfError *err);

#endif
