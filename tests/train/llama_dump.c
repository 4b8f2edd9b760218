/* llama_dump.c: test helper for llama_ref.py. Makes the tiny model (dim 16,
 * 2 layers, 2 heads, hidden 32, vocab 37, seq_len 8; weights at 10x the init
 * scale so the nonlinearities matter), writes it as a llama2.c checkpoint,
 * reads it back, runs forward and backward on a fixed batch (B 2, T 8) and
 * dumps what numpy must reproduce:
 *   OUT/model.bin   llama2.c checkpoint (untied wcls)
 *   OUT/batch.bin   int32 B, T, tokens (B*T), targets (B*T; -1 = no label)
 *   OUT/logits.bin  fp32 (B*T, V)
 *   OUT/grads.bin   fp32, every gradient in llama2.c tensor order (wcls last)
 *   OUT/loss.txt    the mean loss, %.9g
 * Usage: llama_dump OUTDIR. Exit 0 on success. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "llama_ckpt.h"
#include "llama_model.h"

enum { B = 2, T = 8, N = B * T };

static int dump(const char *dir, const char *name, const void *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "llama_dump: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

static int fail(const JfError *err)
{
    char buf[600];
    jf_error_format(err, buf, sizeof(buf));
    fprintf(stderr, "llama_dump: %s\n", buf);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: llama_dump OUTDIR\n");
        return 2;
    }
    const char *dir = argv[1];
    mkdir(dir, 0777);
    LlamaConfig cfg = {.dim = 16, .hidden_dim = 32, .n_layers = 2, .n_heads = 2,
                       .vocab_size = 37, .seq_len = 8};
    LlamaModel m, r;
    JfError err;
    if (llama_model_init(&m, &cfg, &err) != JF_OK)
        return fail(&err);
    llama_model_init_weights(&m, 31337);
    size_t off = 0;
    for (int t = 0; t < LLAMA_NUM_TENSORS; t++) {
        for (size_t i = 0; i < m.sizes[t]; i++) {
            float *p = m.params_mem + off + i;
            *p = llama_tensor_is_decayed(t) ? 10.0f * *p : 1.0f + 0.3f * sinf((float)i + t);
        }
        off += m.sizes[t];
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/model.bin", dir);
    if (llama_ckpt_write(path, &m, &err) != JF_OK || llama_ckpt_read(path, &r, &err) != JF_OK)
        return fail(&err);
    llama_model_free(&m);

    int32_t batch[2 + 2 * N] = {B, T};
    int32_t *tok = batch + 2, *tgt = batch + 2 + N;
    for (size_t n = 0; n < N; n++)
        tok[n] = (int32_t)((n * 11 + 5) % cfg.vocab_size);
    for (size_t n = 0; n < N; n++)
        tgt[n] = (n % T == T - 1) ? -1 : (int32_t)((n * 7 + 3) % cfg.vocab_size);
    if (llama_model_forward(&r, tok, tgt, B, T, &err) != JF_OK)
        return fail(&err);
    llama_model_zero_grad(&r);
    if (llama_model_backward(&r, 1.0f, &err) != JF_OK)
        return fail(&err);
    char loss[64];
    snprintf(loss, sizeof(loss), "%.9g\n", r.loss);
    int bad = dump(dir, "batch.bin", batch, sizeof(batch)) ||
              dump(dir, "logits.bin", r.acts.logits, N * cfg.vocab_size * sizeof(float)) ||
              dump(dir, "grads.bin", r.grads_mem, r.num_params * sizeof(float)) ||
              dump(dir, "loss.txt", loss, strlen(loss));
    llama_model_free(&r);
    return bad;
}
