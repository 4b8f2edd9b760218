/* llama_vocab.h: continued training with an extended vocabulary. Reads the
 * new_pieces.tsv that `jaforge tokenizer extend` writes and grows a model's
 * token embedding (wte) and untied LM head (wcls) from the base vocabulary
 * V0 to V1 > V0 rows:
 *   - rows [0, V0) are copied bit for bit;
 *   - new row i is the mean of the base rows of piece i's split into the base
 *     vocabulary (the third column), in wte and in wcls separately. The sum
 *     runs in double in the order the ids are listed, then rounds to float.
 *   - a new id without a usable line gets the mean of all V0 base rows.
 * Every other tensor is copied unchanged. AdamW state is not kept (a resized
 * model starts a fresh optimizer).
 *
 * new_pieces.tsv, one piece per line, UTF-8:
 *   id <TAB> piece <TAB> base ids separated by spaces
 * Lines that start with '#' or with "id" (a header) and empty lines are
 * skipped. A line whose id is not in [V0, V1), whose base ids are missing or
 * not in [0, V0), or that repeats an id, is counted as bad and skipped. The
 * piece text itself is not used (ids carry the meaning), so it may hold any
 * bytes except TAB and newline.
 * Does not do: shrinking a vocabulary, tied heads (the model is always
 * untied), re-ordering ids. Never prints. */
#ifndef LLAMA_VOCAB_H
#define LLAMA_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"
#include "llama_model.h"

typedef struct {
    size_t    base_vocab;   /* V0 */
    size_t    new_vocab;    /* V1 */
    uint32_t *split_off;    /* (V1-V0+1) offsets into split_ids; row i-V0 is [off[i], off[i+1]) */
    uint32_t *split_ids;    /* base ids, concatenated; empty range: no usable line */
    size_t    lines;        /* pieces read */
    size_t    bad;          /* lines skipped as bad */
    uint64_t  first_bad_offset;   /* byte offset of the first bad line (valid when bad > 0) */
} LlamaNewPieces;

/* Reads path for a vocabulary growing from base_vocab to new_vocab ids into
 * the caller-owned np (free with llama_new_pieces_free).
 * @return JF_OK (bad lines are counted in np->bad, not fatal); JF_EIO (open,
 * read); JF_EUSAGE (new_vocab <= base_vocab); JF_ENOMEM. */
JfStatus llama_new_pieces_read(const char *path, size_t base_vocab, size_t new_vocab,
                               LlamaNewPieces *np, JfError *err);
/* Frees what np owns; accepts a zeroed or freed np. */
void llama_new_pieces_free(LlamaNewPieces *np);

/* Replaces m (parameters only: its gradients, activations and AdamW state
 * are reset) by a model of vocabulary np->new_vocab, initialised as the file
 * comment says. m->cfg.vocab_size must equal np->base_vocab.
 * @return JF_OK; JF_EUSAGE (vocabulary mismatch, size too large); JF_ENOMEM
 * (m is left unchanged). */
JfStatus llama_model_resize_vocab(LlamaModel *m, const LlamaNewPieces *np, JfError *err);

#endif
