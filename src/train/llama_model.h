/* llama_model.h: a LLaMA-style decoder in fp32 for training on CPUs: token
 * embedding, n_layers blocks of (RMSNorm, causal multi-head attention with
 * llama2.c's RoPE, residual, RMSNorm, SwiGLU MLP, residual), a final RMSNorm
 * and an untied LM head; softmax cross-entropy, mean over labelled tokens.
 *
 * Memory follows llm.c: parameters live in ONE allocation carved by a size
 * table (order below, which is also llama2.c's file order), gradients in a
 * second of the same layout, AdamW's m and v in a third (made at the first
 * step), activations for a given (B,T) in a fourth, and one layer's worth of
 * backward scratch in a fifth. Nothing is allocated per step.
 *
 * Does not do: data loading, the learning-rate schedule, MPI, checkpoints
 * (llama_ckpt.h), grouped-query attention, mixed precision. Never prints. */
#ifndef LLAMA_MODEL_H
#define LLAMA_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"

typedef struct {
    size_t dim;          /* C, model width */
    size_t hidden_dim;   /* H, SwiGLU hidden width */
    size_t n_layers;     /* L */
    size_t n_heads;      /* NH; head size HS = C / NH, must be even (RoPE pairs) */
    size_t vocab_size;   /* V */
    size_t seq_len;      /* longest T the model accepts (RoPE tables are this long) */
} LlamaConfig;

/* The parameter tensors, in llama2.c's file order (formats.md §5). */
#define LLAMA_NUM_TENSORS 12
typedef struct {
    float *wte;        /* (V,C)   token embedding */
    float *rms_att;    /* (L,C)   RMSNorm weight before attention */
    float *wq;         /* (L,C,C) y = W x, rows are outputs */
    float *wk;         /* (L,C,C) */
    float *wv;         /* (L,C,C) */
    float *wo;         /* (L,C,C) */
    float *rms_ffn;    /* (L,C)   RMSNorm weight before the MLP */
    float *w1;         /* (L,H,C) gate projection (through silu) */
    float *w2;         /* (L,C,H) down projection */
    float *w3;         /* (L,H,C) up projection */
    float *rms_final;  /* (C) */
    float *wcls;       /* (V,C)   LM head, untied from wte */
} LlamaTensors;

/* Activations saved by forward for backward; N = B*T. */
typedef struct {
    float *x;          /* (L+1,N,C) residual stream entering each block; x[L] leaves the last */
    float *ln1;        /* (L,N,C)   RMSNorm before attention */
    float *rstd1;      /* (L,N) */
    float *q, *k, *v;  /* (L,N,C)   q and k after RoPE */
    float *att;        /* (L,B,NH,T,T) softmax probabilities */
    float *atty;       /* (L,N,C)   attention output before wo */
    float *xmid;       /* (L,N,C)   residual stream after attention */
    float *ln2;        /* (L,N,C) */
    float *rstd2;      /* (L,N) */
    float *h1, *h3;    /* (L,N,H)   w1 and w3 projections */
    float *g;          /* (L,N,H)   silu(h1) * h3 */
    float *lnf;        /* (N,C) */
    float *rstdf;      /* (N) */
    float *logits;     /* (N,V) */
    float *probs;      /* (min(N,256),V) softmax of one LM-head chunk (scratch) */
    float *losses;     /* (N) per-position loss; 0 where the target is < 0 */
    float *rope_cos;   /* (T,HS/2) */
    float *rope_sin;   /* (T,HS/2) */
    float *scratch;    /* (N,C) projection outputs before RoPE or the residual add */
} LlamaActs;

/* Backward scratch: one block's worth, reused block after block. */
typedef struct {
    float *dres;       /* (N,C) gradient of the residual stream */
    float *dln;        /* (N,C) */
    float *datty;      /* (N,C) */
    float *dq, *dk, *dv;   /* (N,C) after RoPE (dq, dk) */
    float *dqp, *dkp;  /* (N,C) before RoPE */
    float *dh1, *dh3, *dg; /* (N,H) */
    float *datt;       /* (B,NH,T,T) attention gradient, one layer's */
    float *dlogits;    /* (min(N,256),V) one LM-head chunk */
} LlamaGradActs;

typedef struct {
    float beta1;         /* 0.9 */
    float beta2;         /* 0.95 */
    float eps;           /* 1e-8 */
    float weight_decay;  /* 0.1, decoupled; matrices only (llama_tensor_is_decayed) */
} LlamaAdamW;

typedef struct {
    LlamaConfig cfg;
    size_t sizes[LLAMA_NUM_TENSORS];   /* floats per tensor */
    size_t num_params;
    float *params_mem;                 /* num_params floats */
    LlamaTensors params;               /* views into params_mem */
    float *grads_mem;                  /* num_params floats; backward adds here */
    LlamaTensors grads;
    float *adam_m, *adam_v;            /* num_params each (one allocation); NULL before step 1 */
    uint64_t step;                     /* AdamW steps taken */
    /* activations, for the (B,T) of the last forward */
    size_t B, T;
    float *acts_mem;
    LlamaActs acts;
    float *dacts_mem;
    LlamaGradActs dacts;
    int32_t *tokens;                   /* (N) copy of the last forward's inputs */
    int32_t *targets;                  /* (N) copy of its targets; NULL when none were given */
    size_t labelled;                   /* targets >= 0 in the last forward */
    double loss;                       /* mean loss of the last forward (NAN without targets) */
} LlamaModel;

/* Tensor names in file order ("wte", "rms_att", ..., "wcls"). */
extern const char *const LLAMA_TENSOR_NAMES[LLAMA_NUM_TENSORS];

/* @return JF_OK when cfg is usable (all sizes > 0, dim divisible by n_heads,
 * even head size, sizes within int range for BLAS), else JF_EUSAGE in err. */
JfStatus llama_config_check(const LlamaConfig *cfg, JfError *err);

/* Allocates parameters and gradients (zeroed) for cfg into the caller-owned m.
 * Weights are zero until llama_model_init_weights or a checkpoint fills them.
 * @return JF_OK, JF_EUSAGE (bad config) or JF_ENOMEM; on error m needs no free. */
JfStatus llama_model_init(LlamaModel *m, const LlamaConfig *cfg, JfError *err);
/* Frees everything m owns; accepts a zeroed or already freed model. */
void llama_model_free(LlamaModel *m);

/* Deterministic init from seed (same seed, same bits on any machine):
 * matrices N(0, 0.02), wo and w2 scaled by 1/sqrt(2L) (GPT-2's residual
 * scaling), RMSNorm weights 1. Box-Muller over splitmix64. */
void llama_model_init_weights(LlamaModel *m, uint64_t seed);

/* Forward pass on tokens (B,T), each in [0,V). targets (B,T) may be NULL
 * (logits only); a target < 0 is ignored by the loss. T <= seq_len.
 * Activations are (re)allocated when B*T or T changes.
 * @return JF_OK (m->loss, m->acts.logits filled), JF_EUSAGE (bad size or
 * token id), JF_ENOMEM. */
JfStatus llama_model_forward(LlamaModel *m, const int32_t *tokens, const int32_t *targets,
                             size_t B, size_t T, JfError *err);

/* Sets every gradient to zero. */
void llama_model_zero_grad(LlamaModel *m);

/* Backward of scale * (mean loss of the last forward), ADDED into m->grads
 * (so micro-batches accumulate; use scale = 1/k for the mean of k of them).
 * @return JF_OK, or JF_EUSAGE when the last forward had no targets. */
JfStatus llama_model_backward(LlamaModel *m, float scale, JfError *err);

/* Gradient groups, in the order backward finishes them: group 0 is the LM
 * head and the final RMSNorm (wcls, rms_final), group 1 + i is block
 * L - 1 - i (its nine tensors), group L + 1 the token embedding (wte). Each
 * parameter is in exactly one group. */
#define LLAMA_GROUP_MAX_RANGES 9
size_t llama_model_num_groups(const LlamaModel *m);
/* Fills off[] and len[] with group g's contiguous ranges of the flat
 * parameter (and gradient) vector, in increasing offset order.
 * @return the number of ranges (at most LLAMA_GROUP_MAX_RANGES). */
size_t llama_model_group_ranges(const LlamaModel *m, size_t g, size_t off[], size_t len[]);

/* Calls during backward, for data-parallel training to reduce gradients
 * while backward still runs (train_comm.h). ready(user, g) as soon as
 * group g's gradients are final for this backward (backward writes them no
 * more); poll(user) a few times per block, to let communication progress.
 * Either may be NULL. */
typedef struct {
    void (*ready)(void *user, size_t group);
    void (*poll)(void *user);
    void *user;
} LlamaBackwardHooks;

/* llama_model_backward with hooks (NULL: none); the same arithmetic. */
JfStatus llama_model_backward_hooked(LlamaModel *m, float scale, const LlamaBackwardHooks *hooks,
                                     JfError *err);

/* Global L2 norm of all gradients; when it exceeds max_norm (> 0), scales the
 * gradients by max_norm / (norm + 1e-6). @return the norm before clipping. */
double llama_model_clip_grad_norm(LlamaModel *m, double max_norm);

/* True for tensors that take weight decay: every matrix (embedding, the
 * projections, the LM head), not the RMSNorm weights. This is Megatron's rule
 * (decay all weights except biases and norms; LLaMA has no biases). */
bool llama_tensor_is_decayed(int tensor);

/* AdamW defaults of the recipe: beta1 0.9, beta2 0.95, eps 1e-8, wd 0.1. */
LlamaAdamW llama_adamw_defaults(void);

/* One AdamW step at learning rate lr with bias correction; decoupled weight
 * decay p -= lr * wd * p on decayed tensors. Allocates m and v on the first
 * call. @return JF_OK or JF_ENOMEM. */
JfStatus llama_model_adamw_step(LlamaModel *m, const LlamaAdamW *opt, float lr, JfError *err);

/* AdamW update of the flat parameter slice [off, off + n) of m->params_mem
 * from grad (n floats: the gradient of that slice) and the moments mom and
 * var (n floats each, updated), at AdamW step number step (from 1, for the
 * bias correction); per-tensor weight decay as llama_model_adamw_step. The
 * same arithmetic as llama_model_adamw_step element for element, so a
 * sharded update (ZeRO-1) reproduces the whole one bit for bit. */
void llama_model_adamw_range(LlamaModel *m, const LlamaAdamW *opt, float lr, uint64_t step,
                             size_t off, size_t n, const float *grad, float *mom, float *var);

#endif
