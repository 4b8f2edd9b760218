/* fuzz_spmodel.c: SentencePiece model files (protobuf ModelProto) on
 * arbitrary bytes: parse; when a model loads, write it back and parse that
 * (must load again with the same number of pieces), and when it is a BPE
 * model the encoder accepts, encode and decode a short mixed text and a
 * text that normalization rules rewrite (the precompiled charsmap of NFKC
 * models is read and searched then: seeds charsmap-*.model have one). */
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
    /* Mixed text, then what a charsmap (NFKC rules) rewrites: full-width ASCII,
     * half-width katakana with voiced marks, circled digits, a ligature, a rule
     * that grows 3 bytes into 33 (U+FDFA), controls, white space runs, invalid
     * UTF-8 and a NUL. */
    static const char text[] = "日本語の文章 and English text, 123 テスト\n\xe2\x96\x81x";
    static const char norm[] = "  \xef\xbc\xa1\xef\xbc\xa2\xe3\x80\x80\xef\xbd\xb6\xef\xbe\x9e"
                               "\xef\xbd\xb6 \xe2\x91\xa0\xef\xac\x81\xef\xb7\xba\x01\t\x7f  "
                               "\xe2\x96\x81 \xff\xc3(\xed\xa0\x80\x00z\xe3\x8d\xbb  ";
    static const struct { const char *t; size_t n; } in[] = {
        { text, sizeof text - 1 }, { norm, sizeof norm - 1 },
    };
    for (size_t k = 0; k < sizeof in / sizeof *in; k++) {
        const BpeToken *toks;
        size_t n;
        JfBuf back = { 0 };
        if (bpe_encode(m, s, in[k].t, in[k].n, &toks, &n, &err) == JF_OK) {
            uint32_t ids[256];
            size_t j = n < 256 ? n : 256;
            for (size_t i = 0; i < j; i++) ids[i] = toks[i].id;
            bpe_decode(m, ids, j, &back, &err);
        }
        jf_buf_free(&back);
    }
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
