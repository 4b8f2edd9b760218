/* llama_ckpt.h: llama2.c checkpoints, version 0 (the "legacy" format that
 * llama2.c's run.c reads; formats.md §5). Little-endian throughout:
 *
 *   offset  size          field
 *   0       7 x int32     dim, hidden_dim, n_layers, n_heads, n_kv_heads,
 *                         vocab_size (< 0: the LM head is stored separately),
 *                         seq_len
 *   28      fp32 arrays   wte [V,C], rms_att [L,C], wq, wk, wv, wo [L,C,C],
 *                         rms_ffn [L,C], w1 [L,H,C], w2 [L,C,H], w3 [L,H,C],
 *                         rms_final [C]
 *   ...     fp32 x 2      legacy RoPE tables freq_cis_real, freq_cis_imag,
 *                         seq_len * head_size/2 each (skipped on read,
 *                         written on export so llama2.c's reader finds wcls)
 *   ...     fp32          wcls [V,C], only when vocab_size < 0
 *
 * Reading a shared-classifier file copies wte into the model's own (untied)
 * wcls; writing stores the file shared exactly when wcls equals wte bit for
 * bit, so a read-write round trip reproduces the file byte for byte.
 * Does not do: versions 1 and 2 (magic 0x616b3432, int8 quantised),
 * grouped-query attention (n_kv_heads != n_heads is refused), big-endian hosts. */
#ifndef LLAMA_CKPT_H
#define LLAMA_CKPT_H

#include "jf_error.h"
#include "llama_model.h"

/* Reads path into *m, which this call initialises (llama_model_init); the
 * caller frees it with llama_model_free after JF_OK.
 * @return JF_OK; JF_EIO (open/read); JF_EFORMAT (bad header, other version,
 * n_kv_heads != n_heads, trailing bytes) or JF_ETRUNC (short file), with the
 * byte offset in err; JF_ENOMEM. On error m needs no free. */
JfStatus llama_ckpt_read(const char *path, LlamaModel *m, JfError *err);

/* Writes m's parameters to path atomically (path.tmp, then rename).
 * @return JF_OK, JF_EIO or JF_EUSAGE (a size that does not fit an int32). */
JfStatus llama_ckpt_write(const char *path, const LlamaModel *m, JfError *err);

#endif
