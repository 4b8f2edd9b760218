/* llama_model.c: the LLaMA model's memory (size tables carving one allocation
 * per group), forward, backward, gradient clipping and AdamW. The layers
 * themselves are in llama_layers.c. */
#include "llama_model.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "jf_alloc.h"
#include "llama_layers.h"

const char *const LLAMA_TENSOR_NAMES[LLAMA_NUM_TENSORS] = {
    "wte", "rms_att", "wq", "wk", "wv", "wo", "rms_ffn", "w1", "w2", "w3", "rms_final", "wcls",
};

#define LLAMA_NUM_ACTS 22
#define LLAMA_NUM_DACTS 12

/* Carves base into consecutive tensors of sizes[i] floats; ptrs[i] receives each. */
static void carve(float *base, float **ptrs[], const size_t sizes[], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        *ptrs[i] = base;
        base += sizes[i];
    }
}

static size_t sum_sizes(const size_t sizes[], size_t n)
{
    size_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += sizes[i];
    return s;
}

static void tensors_ptrs(LlamaTensors *t, float **ptrs[LLAMA_NUM_TENSORS])
{
    float **p[LLAMA_NUM_TENSORS] = {
        &t->wte, &t->rms_att, &t->wq, &t->wk, &t->wv, &t->wo,
        &t->rms_ffn, &t->w1, &t->w2, &t->w3, &t->rms_final, &t->wcls,
    };
    memcpy(ptrs, p, sizeof(p));
}

JfStatus llama_config_check(const LlamaConfig *cfg, JfError *err)
{
    const LlamaConfig *c = cfg;
    if (!c->dim || !c->hidden_dim || !c->n_layers || !c->n_heads || !c->vocab_size ||
        !c->seq_len)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "model size is zero");
    if (c->dim % c->n_heads || (c->dim / c->n_heads) % 2)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "dim %zu must split into %zu heads of even size", c->dim,
                            c->n_heads);
    /* BLAS takes int sizes; keep every dimension (and V*C) well inside that. */
    size_t lim = (size_t)INT_MAX;
    if (c->dim > 65536 || c->hidden_dim > 1u << 20 || c->n_layers > 4096 ||
        c->vocab_size > 1u << 24 || c->seq_len > 1u << 20 ||
        c->vocab_size * c->dim > lim || c->hidden_dim * c->dim > lim)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "model size too large");
    return JF_OK;
}

static void config_sizes(const LlamaConfig *c, size_t sizes[LLAMA_NUM_TENSORS])
{
    size_t C = c->dim, H = c->hidden_dim, L = c->n_layers, V = c->vocab_size;
    size_t s[LLAMA_NUM_TENSORS] = {
        V * C, L * C, L * C * C, L * C * C, L * C * C, L * C * C,
        L * C, L * H * C, L * C * H, L * H * C, C, V * C,
    };
    memcpy(sizes, s, sizeof(s));
}

JfStatus llama_model_init(LlamaModel *m, const LlamaConfig *cfg, JfError *err)
{
    memset(m, 0, sizeof(*m));
    JfStatus rc = llama_config_check(cfg, err);
    if (rc != JF_OK)
        return rc;
    m->cfg = *cfg;
    config_sizes(cfg, m->sizes);
    m->num_params = sum_sizes(m->sizes, LLAMA_NUM_TENSORS);
    m->params_mem = jf_calloc(m->num_params, sizeof(float));
    m->grads_mem = jf_calloc(m->num_params, sizeof(float));
    if (!m->params_mem || !m->grads_mem) {
        llama_model_free(m);
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN,
                            "model of %zu parameters", m->num_params);
    }
    float **ptrs[LLAMA_NUM_TENSORS];
    tensors_ptrs(&m->params, ptrs);
    carve(m->params_mem, ptrs, m->sizes, LLAMA_NUM_TENSORS);
    tensors_ptrs(&m->grads, ptrs);
    carve(m->grads_mem, ptrs, m->sizes, LLAMA_NUM_TENSORS);
    m->loss = NAN;
    return JF_OK;
}

static void acts_free(LlamaModel *m)
{
    jf_free(m->acts_mem);
    jf_free(m->dacts_mem);
    jf_free(m->tokens);
    m->acts_mem = m->dacts_mem = NULL;
    m->tokens = m->targets = NULL;
    m->B = m->T = 0;
}

void llama_model_free(LlamaModel *m)
{
    if (!m)
        return;
    acts_free(m);
    jf_free(m->params_mem);
    jf_free(m->grads_mem);
    jf_free(m->adam_m);
    memset(m, 0, sizeof(*m));
}

/* ---- deterministic init ------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in (0,1): 53 random bits, never 0 (log below). */
static double rand_unit(uint64_t *s)
{
    return ((double)(splitmix64(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static void fill_normal(float *p, size_t n, double std, uint64_t *s)
{
    for (size_t i = 0; i < n; i += 2) {
        double u1 = rand_unit(s), u2 = rand_unit(s);
        double r = sqrt(-2.0 * log(u1)) * std;
        p[i] = (float)(r * cos(2.0 * M_PI * u2));
        if (i + 1 < n)
            p[i + 1] = (float)(r * sin(2.0 * M_PI * u2));
    }
}

bool llama_tensor_is_decayed(int tensor)
{
    return tensor != 1 && tensor != 6 && tensor != 10;   /* rms_att, rms_ffn, rms_final */
}

void llama_model_init_weights(LlamaModel *m, uint64_t seed)
{
    uint64_t s = seed;
    float **ptrs[LLAMA_NUM_TENSORS];
    tensors_ptrs(&m->params, ptrs);
    double resid = 0.02 / sqrt(2.0 * (double)m->cfg.n_layers);
    for (int i = 0; i < LLAMA_NUM_TENSORS; i++) {
        float *p = *ptrs[i];
        if (!llama_tensor_is_decayed(i)) {
            for (size_t j = 0; j < m->sizes[i]; j++)
                p[j] = 1.0f;
            continue;
        }
        bool is_resid = (p == m->params.wo || p == m->params.w2);
        fill_normal(p, m->sizes[i], is_resid ? resid : 0.02, &s);
    }
}

/* ---- activations -------------------------------------------------------- */

/* Token positions per LM-head chunk: the softmax probabilities and their
 * gradient exist for one chunk at a time ((chunk,V) each), not for all N
 * positions; 256 rows keep the head's sgemms efficient. */
#define LLAMA_HEAD_CHUNK 256

static size_t head_chunk(size_t N)
{
    return N < LLAMA_HEAD_CHUNK ? N : LLAMA_HEAD_CHUNK;
}

static JfStatus acts_alloc(LlamaModel *m, size_t B, size_t T, JfError *err)
{
    if (m->acts_mem && m->B == B && m->T == T)
        return JF_OK;
    acts_free(m);
    const LlamaConfig *c = &m->cfg;
    size_t N = B * T, C = c->dim, H = c->hidden_dim, L = c->n_layers, V = c->vocab_size;
    size_t NH = c->n_heads, HS = C / NH;
    LlamaActs *a = &m->acts;
    float **ap[LLAMA_NUM_ACTS] = {
        &a->x, &a->ln1, &a->rstd1, &a->q, &a->k, &a->v, &a->att, &a->atty, &a->xmid,
        &a->ln2, &a->rstd2, &a->h1, &a->h3, &a->g, &a->lnf, &a->rstdf, &a->logits,
        &a->probs, &a->losses, &a->rope_cos, &a->rope_sin, &a->scratch,
    };
    size_t as[LLAMA_NUM_ACTS] = {
        (L + 1) * N * C, L * N * C, L * N, L * N * C, L * N * C, L * N * C,
        L * B * NH * T * T, L * N * C, L * N * C, L * N * C, L * N, L * N * H, L * N * H,
        L * N * H, N * C, N, N * V, head_chunk(N) * V, N, T * HS / 2, T * HS / 2, N * C,
    };
    LlamaGradActs *d = &m->dacts;
    float **dp[LLAMA_NUM_DACTS] = {
        &d->dres, &d->dln, &d->datty, &d->dq, &d->dk, &d->dv, &d->dqp, &d->dkp,
        &d->dh1, &d->dh3, &d->dg, &d->datt,
    };
    size_t ds[LLAMA_NUM_DACTS] = {
        N * C, N * C, N * C, N * C, N * C, N * C, N * C, N * C, N * H, N * H, N * H, B * NH * T * T,
    };
    size_t na = sum_sizes(as, LLAMA_NUM_ACTS);
    size_t nd = sum_sizes(ds, LLAMA_NUM_DACTS) + head_chunk(N) * V;
    m->acts_mem = jf_malloc(na * sizeof(float));
    m->dacts_mem = jf_malloc(nd * sizeof(float));
    m->tokens = jf_malloc(2 * N * sizeof(int32_t));
    if (!m->acts_mem || !m->dacts_mem || !m->tokens) {
        acts_free(m);
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN,
                            "activations for B=%zu T=%zu", B, T);
    }
    carve(m->acts_mem, ap, as, LLAMA_NUM_ACTS);
    carve(m->dacts_mem, dp, ds, LLAMA_NUM_DACTS);
    d->dlogits = m->dacts_mem + nd - head_chunk(N) * V;
    rope_table_init(a->rope_cos, a->rope_sin, T, HS);
    m->B = B;
    m->T = T;
    return JF_OK;
}

/* ---- forward ------------------------------------------------------------ */

static void block_forward(LlamaModel *m, size_t l)
{
    const LlamaConfig *c = &m->cfg;
    size_t B = m->B, T = m->T, N = B * T, C = c->dim, H = c->hidden_dim;
    size_t NH = c->n_heads, HS = C / NH;
    const LlamaTensors *p = &m->params;
    LlamaActs *a = &m->acts;
    size_t nc = N * C, nh = N * H, cc = C * C, hc = H * C;
    float *x = a->x + l * nc, *ln1 = a->ln1 + l * nc, *q = a->q + l * nc, *k = a->k + l * nc;
    float *v = a->v + l * nc, *atty = a->atty + l * nc, *xmid = a->xmid + l * nc;
    float *ln2 = a->ln2 + l * nc, *h1 = a->h1 + l * nh, *h3 = a->h3 + l * nh, *g = a->g + l * nh;
    float *att = a->att + l * B * NH * T * T, *s = a->scratch;

    rmsnorm_forward(ln1, a->rstd1 + l * N, x, p->rms_att + l * C, N, C);
    linear_forward(s, ln1, p->wq + l * cc, N, C, C);
    rope_forward(q, s, a->rope_cos, a->rope_sin, B, T, NH, HS);
    linear_forward(s, ln1, p->wk + l * cc, N, C, C);
    rope_forward(k, s, a->rope_cos, a->rope_sin, B, T, NH, HS);
    linear_forward(v, ln1, p->wv + l * cc, N, C, C);
    attention_forward(atty, att, q, k, v, B, T, NH, HS);
    linear_forward(s, atty, p->wo + l * cc, N, C, C);
    residual_forward(xmid, x, s, N, C);

    rmsnorm_forward(ln2, a->rstd2 + l * N, xmid, p->rms_ffn + l * C, N, C);
    linear_forward(h1, ln2, p->w1 + l * hc, N, C, H);
    linear_forward(h3, ln2, p->w3 + l * hc, N, C, H);
    swiglu_forward(g, h1, h3, N, H);
    linear_forward(s, g, p->w2 + l * hc, N, H, C);
    residual_forward(a->x + (l + 1) * nc, xmid, s, N, C);
}

JfStatus llama_model_forward(LlamaModel *m, const int32_t *tokens, const int32_t *targets,
                             size_t B, size_t T, JfError *err)
{
    const LlamaConfig *c = &m->cfg;
    if (B == 0 || T == 0 || T > c->seq_len)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "batch %zux%zu: T must be in 1..%zu", B, T, c->seq_len);
    size_t N = B * T, V = c->vocab_size, C = c->dim, L = c->n_layers;
    for (size_t n = 0; n < N; n++) {
        if (tokens[n] < 0 || (size_t)tokens[n] >= V || (targets && targets[n] >= (int32_t)V))
            return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                                "token at position %zu outside the vocabulary of %zu", n, V);
    }
    JfStatus rc = acts_alloc(m, B, T, err);
    if (rc != JF_OK)
        return rc;
    memcpy(m->tokens, tokens, N * sizeof(int32_t));
    m->targets = NULL;
    if (targets) {
        m->targets = m->tokens + N;
        memcpy(m->targets, targets, N * sizeof(int32_t));
    }
    LlamaActs *a = &m->acts;
    embedding_forward(a->x, tokens, m->params.wte, N, C);
    for (size_t l = 0; l < L; l++)
        block_forward(m, l);
    rmsnorm_forward(a->lnf, a->rstdf, a->x + L * N * C, m->params.rms_final, N, C);
    linear_forward(a->logits, a->lnf, m->params.wcls, N, C, V);
    m->loss = NAN;
    m->labelled = 0;
    if (targets) {
        double total = 0.0;
        for (size_t n0 = 0; n0 < N; n0 += head_chunk(N)) {
            size_t k = N - n0 < head_chunk(N) ? N - n0 : head_chunk(N), lab = 0;
            for (size_t n = n0; n < n0 + k; n++)
                lab += targets[n] >= 0;
            total += (double)lab * crossentropy_forward(a->losses + n0, a->probs,
                                                        a->logits + n0 * V, targets + n0, k, V);
            m->labelled += lab;
        }
        m->loss = m->labelled ? total / (double)m->labelled : 0.0;
    }
    return JF_OK;
}

/* ---- backward ----------------------------------------------------------- */

static void zero(float *p, size_t n)
{
    memset(p, 0, n * sizeof(float));
}

static void hook_poll(const LlamaBackwardHooks *h)
{
    if (h && h->poll)
        h->poll(h->user);
}

static void hook_ready(const LlamaBackwardHooks *h, size_t group)
{
    if (h && h->ready)
        h->ready(h->user, group);
}

/* On entry d->dres holds the gradient of x[l+1]; on return that of x[l]. The
 * residual adds pass dres through unchanged, so each branch's RMSNorm
 * backward adds its share into dres in place. */
static void block_backward(LlamaModel *m, size_t l, const LlamaBackwardHooks *hk)
{
    const LlamaConfig *c = &m->cfg;
    size_t B = m->B, T = m->T, N = B * T, C = c->dim, H = c->hidden_dim;
    size_t NH = c->n_heads, HS = C / NH;
    const LlamaTensors *p = &m->params;
    LlamaTensors *gr = &m->grads;
    LlamaActs *a = &m->acts;
    LlamaGradActs *d = &m->dacts;
    size_t nc = N * C, nh = N * H, cc = C * C, hc = H * C;
    float *x = a->x + l * nc, *ln1 = a->ln1 + l * nc, *q = a->q + l * nc, *k = a->k + l * nc;
    float *v = a->v + l * nc, *atty = a->atty + l * nc, *xmid = a->xmid + l * nc;
    float *ln2 = a->ln2 + l * nc, *h1 = a->h1 + l * nh, *h3 = a->h3 + l * nh, *g = a->g + l * nh;
    float *att = a->att + l * B * NH * T * T;

    /* MLP branch: x[l+1] = xmid + w2(swiglu(w1 ln2, w3 ln2)) */
    zero(d->dg, nh);
    linear_backward(d->dg, gr->w2 + l * hc, d->dres, g, p->w2 + l * hc, N, H, C);
    zero(d->dh1, nh);
    zero(d->dh3, nh);
    swiglu_backward(d->dh1, d->dh3, d->dg, h1, h3, N, H);
    zero(d->dln, nc);
    linear_backward(d->dln, gr->w1 + l * hc, d->dh1, ln2, p->w1 + l * hc, N, C, H);
    hook_poll(hk);
    linear_backward(d->dln, gr->w3 + l * hc, d->dh3, ln2, p->w3 + l * hc, N, C, H);
    rmsnorm_backward(d->dres, gr->rms_ffn + l * C, d->dln, xmid, p->rms_ffn + l * C,
                     a->rstd2 + l * N, N, C);
    hook_poll(hk);

    /* attention branch: xmid = x + wo(attention(rope(wq ln1), rope(wk ln1), wv ln1)) */
    zero(d->datty, nc);
    linear_backward(d->datty, gr->wo + l * cc, d->dres, atty, p->wo + l * cc, N, C, C);
    zero(d->dq, nc);
    zero(d->dk, nc);
    zero(d->dv, nc);
    attention_backward(d->dq, d->dk, d->dv, d->datt, d->datty, q, k, v, att, B, T, NH, HS);
    hook_poll(hk);
    zero(d->dqp, nc);
    zero(d->dkp, nc);
    rope_backward(d->dqp, d->dq, a->rope_cos, a->rope_sin, B, T, NH, HS);
    rope_backward(d->dkp, d->dk, a->rope_cos, a->rope_sin, B, T, NH, HS);
    zero(d->dln, nc);
    linear_backward(d->dln, gr->wq + l * cc, d->dqp, ln1, p->wq + l * cc, N, C, C);
    linear_backward(d->dln, gr->wk + l * cc, d->dkp, ln1, p->wk + l * cc, N, C, C);
    linear_backward(d->dln, gr->wv + l * cc, d->dv, ln1, p->wv + l * cc, N, C, C);
    rmsnorm_backward(d->dres, gr->rms_att + l * C, d->dln, x, p->rms_att + l * C,
                     a->rstd1 + l * N, N, C);
}

JfStatus llama_model_backward(LlamaModel *m, float scale, JfError *err)
{
    return llama_model_backward_hooked(m, scale, NULL, err);
}

JfStatus llama_model_backward_hooked(LlamaModel *m, float scale, const LlamaBackwardHooks *hooks,
                                     JfError *err)
{
    if (!m->acts_mem || !m->targets)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "backward needs a forward with targets first");
    const LlamaConfig *c = &m->cfg;
    size_t N = m->B * m->T, C = c->dim, V = c->vocab_size, L = c->n_layers;
    LlamaActs *a = &m->acts;
    LlamaGradActs *d = &m->dacts;
    zero(d->dln, N * C);
    /* chunk by chunk: probabilities again from the kept logits, their
     * gradient, and the head's two products for those rows */
    for (size_t n0 = 0; n0 < N && m->labelled; n0 += head_chunk(N)) {
        size_t k = N - n0 < head_chunk(N) ? N - n0 : head_chunk(N);
        float *scratch_loss = d->datt;   /* free until the blocks' backward; >= k floats */
        crossentropy_forward(scratch_loss, a->probs, a->logits + n0 * V, m->targets + n0, k, V);
        zero(d->dlogits, k * V);
        crossentropy_backward(d->dlogits, a->probs, m->targets + n0, scale / (float)m->labelled,
                              k, V);
        linear_backward(d->dln + n0 * C, m->grads.wcls, d->dlogits, a->lnf + n0 * C,
                        m->params.wcls, k, C, V);
        hook_poll(hooks);
    }
    zero(d->dres, N * C);
    rmsnorm_backward(d->dres, m->grads.rms_final, d->dln, a->x + L * N * C,
                     m->params.rms_final, a->rstdf, N, C);
    hook_ready(hooks, 0);
    for (size_t l = L; l-- > 0;) {
        block_backward(m, l, hooks);
        hook_ready(hooks, L - l);
    }
    embedding_backward(m->grads.wte, d->dres, m->tokens, N, C);
    hook_ready(hooks, L + 1);
    return JF_OK;
}

size_t llama_model_num_groups(const LlamaModel *m)
{
    return m->cfg.n_layers + 2;
}

size_t llama_model_group_ranges(const LlamaModel *m, size_t g, size_t off[], size_t len[])
{
    size_t start[LLAMA_NUM_TENSORS], L = m->cfg.n_layers, n = 0, o = 0;
    for (int t = 0; t < LLAMA_NUM_TENSORS; t++) {
        start[t] = o;
        o += m->sizes[t];
    }
    if (g == 0) {   /* rms_final (10) and wcls (11): adjacent */
        off[n] = start[10];
        len[n++] = m->sizes[10] + m->sizes[11];
    } else if (g <= L) {   /* block L - g: tensors 1..9 are (L, ...) stacks */
        size_t l = L - g;
        for (int t = 1; t <= 9; t++) {
            size_t per = m->sizes[t] / L;
            off[n] = start[t] + l * per;
            len[n++] = per;
        }
    } else if (g == L + 1) {
        off[n] = start[0];
        len[n++] = m->sizes[0];
    }
    return n;
}

/* ---- optimizer ---------------------------------------------------------- */

void llama_model_zero_grad(LlamaModel *m)
{
    zero(m->grads_mem, m->num_params);
}

double llama_model_clip_grad_norm(LlamaModel *m, double max_norm)
{
    double ss = 0.0;
    const float *g = m->grads_mem;
    size_t n = m->num_params;
#pragma omp parallel for reduction(+ : ss)
    for (size_t i = 0; i < n; i++)
        ss += (double)g[i] * g[i];
    double norm = sqrt(ss);
    if (max_norm > 0.0 && norm > max_norm) {
        float s = (float)(max_norm / (norm + 1e-6));
#pragma omp parallel for
        for (size_t i = 0; i < n; i++)
            m->grads_mem[i] *= s;
    }
    return norm;
}

LlamaAdamW llama_adamw_defaults(void)
{
    return (LlamaAdamW){.beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f, .weight_decay = 0.1f};
}

JfStatus llama_model_adamw_step(LlamaModel *m, const LlamaAdamW *opt, float lr, JfError *err)
{
    if (!m->adam_m) {
        m->adam_m = jf_calloc(2 * m->num_params, sizeof(float));
        if (!m->adam_m)
            return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "AdamW state");
        m->adam_v = m->adam_m + m->num_params;
    }
    m->step++;
    llama_model_adamw_range(m, opt, lr, m->step, 0, m->num_params, m->grads_mem, m->adam_m,
                            m->adam_v);
    return JF_OK;
}

void llama_model_adamw_range(LlamaModel *m, const LlamaAdamW *opt, float lr, uint64_t step,
                             size_t off, size_t n, const float *grad, float *mom, float *var)
{
    float b1 = opt->beta1, b2 = opt->beta2;
    float bc1 = (float)(1.0 - pow(b1, (double)step));
    float bc2 = (float)(1.0 - pow(b2, (double)step));
    size_t start = 0, end_all = off + n;
    for (int t = 0; t < LLAMA_NUM_TENSORS; t++) {
        size_t t_end = start + m->sizes[t];
        size_t lo = start > off ? start : off, hi = t_end < end_all ? t_end : end_all;
        start = t_end;
        if (lo >= hi)
            continue;
        float wd = llama_tensor_is_decayed(t) ? opt->weight_decay : 0.0f;
        float *p = m->params_mem + off;
        const float *g = grad;
        float *mm = mom, *vv = var;
        size_t a = lo - off, b = hi - off;
#pragma omp parallel for
        for (size_t i = a; i < b; i++) {
            float gi = g[i];
            mm[i] = b1 * mm[i] + (1.0f - b1) * gi;
            vv[i] = b2 * vv[i] + (1.0f - b2) * gi * gi;
            float mhat = mm[i] / bc1, vhat = vv[i] / bc2;
            p[i] -= lr * (mhat / (sqrtf(vhat) + opt->eps) + wd * p[i]);
        }
    }
}
