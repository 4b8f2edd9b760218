/* llama_layers.h: the layers of a LLaMA-style transformer in fp32, each
 * forward next to its backward (llm.c style). Shapes are row-major; N is the
 * number of token positions B*T, C the model width, H the SwiGLU hidden width,
 * NH the number of heads, HS = C/NH the head size, V the vocabulary size.
 *
 * Conventions (style.md rule 12): outputs first, inputs next, sizes last.
 * Every backward ADDS into its d* buffers, so gradients of shared inputs
 * (the residual stream, a weight used twice) accumulate; the caller zeroes.
 * Forwards overwrite their outputs.
 *
 * Matrix products go through cblas_sgemm (OpenBLAS); the elementwise and
 * attention loops use OpenMP. Nothing here allocates, prints or fails: the
 * model (llama_model.h) owns every buffer. Does not do: grouped-query
 * attention (n_kv_heads must equal n_heads), dropout, biases. */
#ifndef LLAMA_LAYERS_H
#define LLAMA_LAYERS_H

#include <stddef.h>
#include <stdint.h>

/* RMSNorm epsilon, as llama2.c and Llama-2 use. */
#define LLAMA_RMS_EPS 1e-5f
/* RoPE base frequency (theta), as llama2.c and Llama-2 use. */
#define LLAMA_ROPE_THETA 10000.0

/* ---- token embedding ---------------------------------------------------- */
/* out (N,C) = wte[tokens[n]] for each n; tokens (N) in [0,V), wte (V,C). */
void embedding_forward(float *out, const int32_t *tokens, const float *wte, size_t N, size_t C);
/* dwte (V,C) += dout (N,C) scattered to the rows tokens name. */
void embedding_backward(float *dwte, const float *dout, const int32_t *tokens, size_t N, size_t C);

/* ---- RMSNorm ------------------------------------------------------------ */
/* out (N,C) = x * rstd * w, rstd (N) = 1/sqrt(mean(x^2) + eps), saved for backward. */
void rmsnorm_forward(float *out, float *rstd, const float *x, const float *w, size_t N, size_t C);
/* dx (N,C) += ..., dw (C) += ... from dout (N,C). */
void rmsnorm_backward(float *dx, float *dw, const float *dout, const float *x, const float *w,
                      const float *rstd, size_t N, size_t C);

/* ---- linear (no bias) --------------------------------------------------- */
/* out (N,OC) = inp (N,C) @ W^T, W (OC,C) as llama2.c stores it (y = W x). */
void linear_forward(float *out, const float *inp, const float *W, size_t N, size_t C, size_t OC);
/* dinp (N,C) += dout @ W; dW (OC,C) += dout^T @ inp. dinp may be NULL (an
 * input that needs no gradient). */
void linear_backward(float *dinp, float *dW, const float *dout, const float *inp, const float *W,
                     size_t N, size_t C, size_t OC);

/* ---- rotary position embedding ------------------------------------------ */
/* The llama2.c pairing: within each head, dimensions (2i, 2i+1) form one
 * complex number rotated by angle pos * theta^(-2i/HS), pos = t. (HF LLaMA
 * pairs (i, i+HS/2) instead, "rotate half"; Meta's original LLaMA and
 * llama2.c use adjacent pairs, and so do their checkpoints, so we do too.)
 * cos_t, sin_t (T, HS/2) are the tables rope_table_init fills; they are the
 * same numbers as llama2.c's legacy freq_cis_real / freq_cis_imag. */
void rope_table_init(float *cos_t, float *sin_t, size_t T, size_t HS);
/* out (B,T,NH*HS) = rotate(inp); out and inp may be the same buffer. */
void rope_forward(float *out, const float *inp, const float *cos_t, const float *sin_t,
                  size_t B, size_t T, size_t NH, size_t HS);
/* dinp (B,T,NH*HS) += rotate back(dout): the transpose of a rotation. */
void rope_backward(float *dinp, const float *dout, const float *cos_t, const float *sin_t,
                   size_t B, size_t T, size_t NH, size_t HS);

/* ---- causal multi-head attention ---------------------------------------- */
/* Query positions per tile of the causal score products: tile i of a (b,h)
 * computes its scores against keys [0, end of tile i) only. */
#define LLAMA_ATT_TILE 64
/* q, k, v (B,T,C) with C = NH*HS (heads side by side, as the projections
 * produce them); out (B,T,C); att (B,NH,T,T) the softmax probabilities,
 * saved for backward. Only row t's columns up to the end of its tile are
 * written: [0, t] the probabilities, the rest of the tile zero; columns past
 * the tile are neither written nor read (by backward either). */
void attention_forward(float *out, float *att, const float *q, const float *k, const float *v,
                       size_t B, size_t T, size_t NH, size_t HS);
/* dq, dk, dv (B,T,C) += ... from dout (B,T,C). scratch: B*NH*T*T floats,
 * of which the same causal tiles are used. */
void attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                        const float *q, const float *k, const float *v, const float *att,
                        size_t B, size_t T, size_t NH, size_t HS);

/* ---- SwiGLU gate -------------------------------------------------------- */
/* out (N,H) = silu(h1) * h3, h1 = x W1^T and h3 = x W3^T computed by linear. */
void swiglu_forward(float *out, const float *h1, const float *h3, size_t N, size_t H);
/* dh1, dh3 (N,H) += ... from dout (N,H). */
void swiglu_backward(float *dh1, float *dh3, const float *dout, const float *h1, const float *h3,
                     size_t N, size_t H);

/* ---- residual ----------------------------------------------------------- */
/* out (N,C) = a + b. */
void residual_forward(float *out, const float *a, const float *b, size_t N, size_t C);
/* da, db (N,C) += dout; da and db may be the same buffer (then += 2 dout). */
void residual_backward(float *da, float *db, const float *dout, size_t N, size_t C);

/* ---- softmax cross-entropy ---------------------------------------------- */
/* probs (N,V) = softmax(logits); losses (N) = -log probs[n, targets[n]].
 * A target < 0 marks a position without a label: its loss is 0.
 * @return the mean loss over labelled positions (0 when there is none). */
double crossentropy_forward(float *losses, float *probs, const float *logits,
                            const int32_t *targets, size_t N, size_t V);
/* dlogits (N,V) += (probs - onehot(target)) * dloss, per labelled position;
 * dloss is d(mean loss)/d(loss_n) = 1/labelled for the mean. */
void crossentropy_backward(float *dlogits, const float *probs, const int32_t *targets,
                           float dloss, size_t N, size_t V);

#endif
