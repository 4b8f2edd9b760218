/* llama_ckpt.c: llama2.c version 0 checkpoints, read and written (layout in
 * llama_ckpt.h). The header is decoded byte by byte (little-endian); the fp32
 * arrays are read straight into the model's one parameter allocation, whose
 * order is the file's (wcls last), so the body is one fread. */
#include "llama_ckpt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jf_alloc.h"
#include "llama_layers.h"

#define CKPT_HEADER_BYTES 28
#define CKPT_MAGIC_V1 0x616b3432

static int32_t le32_get(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

static void le32_put(unsigned char *p, int32_t v)
{
    uint32_t u = (uint32_t)v;
    p[0] = (unsigned char)u;
    p[1] = (unsigned char)(u >> 8);
    p[2] = (unsigned char)(u >> 16);
    p[3] = (unsigned char)(u >> 24);
}

/* Decodes and validates the header into cfg; *shared tells where wcls is. */
static JfStatus header_parse(const unsigned char *h, const char *path, LlamaConfig *cfg,
                             bool *shared, JfError *err)
{
    int32_t v[7];
    for (int i = 0; i < 7; i++)
        v[i] = le32_get(h + 4 * i);
    if (v[0] == CKPT_MAGIC_V1)
        return jf_error_set(err, JF_EFORMAT, path, 0,
                            "llama2.c checkpoint version %d: only version 0 is supported", v[1]);
    if (v[0] <= 0 || v[1] <= 0 || v[2] <= 0 || v[3] <= 0 || v[4] <= 0 || v[5] == 0 ||
        v[5] == INT32_MIN || v[6] <= 0)
        return jf_error_set(err, JF_EFORMAT, path, 0, "bad llama2.c header (a size <= 0)");
    if (v[4] != v[3])
        return jf_error_set(err, JF_EFORMAT, path, 16,
                            "n_kv_heads %d != n_heads %d: grouped-query attention unsupported",
                            v[4], v[3]);
    *cfg = (LlamaConfig){.dim = (size_t)v[0], .hidden_dim = (size_t)v[1],
                         .n_layers = (size_t)v[2], .n_heads = (size_t)v[3],
                         .vocab_size = (size_t)(v[5] < 0 ? -v[5] : v[5]),
                         .seq_len = (size_t)v[6]};
    *shared = v[5] > 0;
    JfError e2;
    if (llama_config_check(cfg, &e2) != JF_OK)
        return jf_error_set(err, JF_EFORMAT, path, 0, "bad llama2.c header: %s", e2.msg);
    return JF_OK;
}

/* Floats of the file body before the RoPE tables: every tensor but wcls. */
static size_t body_floats(const LlamaModel *m)
{
    return m->num_params - m->sizes[LLAMA_NUM_TENSORS - 1];
}

static size_t rope_floats(const LlamaConfig *c)
{
    return 2 * c->seq_len * (c->dim / c->n_heads) / 2;
}

/* Bytes of a version 0 file for cfg (sizes already checked: no overflow). */
static uint64_t file_bytes(const LlamaConfig *c, bool shared)
{
    uint64_t C = c->dim, H = c->hidden_dim, L = c->n_layers, V = c->vocab_size;
    uint64_t floats = V * C * (shared ? 1 : 2) + L * (2 * C + 4 * C * C + 3 * H * C) + C +
                      rope_floats(c);
    return CKPT_HEADER_BYTES + 4 * floats;
}

static JfStatus ckpt_read_body(FILE *f, const char *path, LlamaModel *m, bool shared,
                               JfError *err)
{
    size_t nb = body_floats(m), nr = rope_floats(&m->cfg);
    if (fread(m->params_mem, sizeof(float), nb, f) != nb)
        return jf_error_set(err, JF_EIO, path, CKPT_HEADER_BYTES, "read: %s", strerror(errno));
    if (fseeko(f, (off_t)(nr * sizeof(float)), SEEK_CUR) != 0)
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "seek: %s", strerror(errno));
    size_t nc = m->sizes[LLAMA_NUM_TENSORS - 1];
    if (shared) {
        memcpy(m->params.wcls, m->params.wte, nc * sizeof(float));
        return JF_OK;
    }
    if (fread(m->params.wcls, sizeof(float), nc, f) != nc)
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "read: %s", strerror(errno));
    return JF_OK;
}

JfStatus llama_ckpt_read(const char *path, LlamaModel *m, JfError *err)
{
    memset(m, 0, sizeof(*m));
    FILE *f = fopen(path, "rb");
    if (!f)
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "open: %s", strerror(errno));
    JfStatus rc;
    struct stat st;
    unsigned char h[CKPT_HEADER_BYTES];
    if (fstat(fileno(f), &st) != 0) {
        rc = jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "stat: %s", strerror(errno));
        goto out_close;
    }
    uint64_t fsize = (uint64_t)st.st_size;
    if (fsize < CKPT_HEADER_BYTES || fread(h, 1, sizeof(h), f) != sizeof(h)) {
        rc = jf_error_set(err, JF_ETRUNC, path, fsize, "llama2.c header needs 28 bytes");
        goto out_close;
    }
    LlamaConfig cfg;
    bool shared = false;
    rc = header_parse(h, path, &cfg, &shared, err);
    if (rc != JF_OK)
        goto out_close;
    /* The size check comes before any allocation: a header may claim a
     * model far larger than the file. */
    uint64_t want = file_bytes(&cfg, shared);
    if (fsize < want) {
        rc = jf_error_set(err, JF_ETRUNC, path, fsize,
                          "llama2.c checkpoint ends early: %llu of %llu bytes",
                          (unsigned long long)fsize, (unsigned long long)want);
        goto out_close;
    }
    if (fsize > want) {
        rc = jf_error_set(err, JF_EFORMAT, path, want, "%llu bytes after the last tensor",
                          (unsigned long long)(fsize - want));
        goto out_close;
    }
    rc = llama_model_init(m, &cfg, err);
    if (rc != JF_OK)
        goto out_close;
    rc = ckpt_read_body(f, path, m, shared, err);
    if (rc != JF_OK)
        llama_model_free(m);
out_close:
    fclose(f);
    return rc;
}

static JfStatus ckpt_write_file(FILE *f, const char *tmp, const LlamaModel *m, JfError *err)
{
    const LlamaConfig *c = &m->cfg;
    size_t nc = m->sizes[LLAMA_NUM_TENSORS - 1];
    bool shared = memcmp(m->params.wte, m->params.wcls, nc * sizeof(float)) == 0;
    size_t dims[7] = {c->dim, c->hidden_dim, c->n_layers, c->n_heads, c->n_heads,
                      c->vocab_size, c->seq_len};
    unsigned char h[CKPT_HEADER_BYTES];
    for (int i = 0; i < 7; i++) {
        if (dims[i] > INT32_MAX)
            return jf_error_set(err, JF_EUSAGE, tmp, 0, "size %zu exceeds int32", dims[i]);
        le32_put(h + 4 * i, (int32_t)dims[i]);
    }
    if (!shared)
        le32_put(h + 20, -(int32_t)c->vocab_size);
    size_t HS = c->dim / c->n_heads, nr = c->seq_len * HS / 2;
    float *rope = jf_malloc(2 * nr * sizeof(float));
    if (!rope)
        return jf_error_set(err, JF_ENOMEM, tmp, JF_OFFSET_UNKNOWN, "RoPE tables");
    rope_table_init(rope, rope + nr, c->seq_len, HS);
    size_t nb = body_floats(m);
    bool ok = fwrite(h, 1, sizeof(h), f) == sizeof(h) &&
              fwrite(m->params_mem, sizeof(float), nb, f) == nb &&
              fwrite(rope, sizeof(float), 2 * nr, f) == 2 * nr &&
              (shared || fwrite(m->params.wcls, sizeof(float), nc, f) == nc);
    jf_free(rope);
    if (!ok || fflush(f) != 0 || fsync(fileno(f)) != 0)
        return jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "write: %s", strerror(errno));
    return JF_OK;
}

JfStatus llama_ckpt_write(const char *path, const LlamaModel *m, JfError *err)
{
    size_t n = strlen(path) + 5;
    char *tmp = jf_malloc(n);
    if (!tmp)
        return jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "path");
    snprintf(tmp, n, "%s.tmp", path);
    JfStatus rc;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        rc = jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "open: %s", strerror(errno));
        goto out_free;
    }
    rc = ckpt_write_file(f, tmp, m, err);
    if (fclose(f) != 0 && rc == JF_OK)
        rc = jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "close: %s", strerror(errno));
    if (rc == JF_OK && rename(tmp, path) != 0)
        rc = jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "rename: %s", strerror(errno));
    if (rc != JF_OK)
        unlink(tmp);
out_free:
    jf_free(tmp);
    return rc;
}
