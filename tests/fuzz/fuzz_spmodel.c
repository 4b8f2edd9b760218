/* fuzz_spmodel.c: SentencePiece model files (protobuf ModelProto) on
 * arbitrary bytes: parse; when a model loads, write it back and parse that
 * (must load again with the same number of pieces), and when it is a BPE
 * model the encoder accepts, encode and decode a short mixed text. */
#include <stdlib.h>

#include "bpe_encode.h"
#include "jf_alloc.h"
#include "fuzz.h"
#include "sp_model.h"

static void try_encode(const SpModel *m)
{
    JfError err;
    if (bpe_model_check(m, &err) != JF_OK) return;
    BpeScratch *s;
    if (bpe_scratch_open(&s, &err) != JF_OK) return;
    static const char text[] = "日本語の文章 and English text, 123 テスト\n\xe2\x96\x81x";
    const BpeToken *toks;
    size_t n;
    JfBuf back = { 0 };
    if (bpe_encode(m, s, text, sizeof text - 1, &toks, &n, &err) == JF_OK) {
        uint32_t ids[256];
        size_t k = n < 256 ? n : 256;
        for (size_t i = 0; i < k; i++) ids[i] = toks[i].id;
        bpe_decode(m, ids, k, &back, &err);
    }
    jf_buf_free(&back);
    bpe_scratch_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SpModel *m, *again;
    JfError err;
    if (sp_model_load_buffer(data, size, "fuzz", &m, &err) != JF_OK) return 0;
    uint8_t *out;
    size_t len;
    if (sp_model_serialize(m, &out, &len, &err) == JF_OK) {
        if (sp_model_load_buffer(out, len, "fuzz-again", &again, &err) != JF_OK ||
            sp_model_size(again) != sp_model_size(m))
            abort();   /* what jaforge writes, jaforge must read */
        sp_model_close(again);
        jf_free(out);
    }
    try_encode(m);
    sp_model_close(m);
    return 0;
}
