/* test_sp_model.c: SentencePiece model files: loading models trained by
 * Debian's spm_train, byte-exact write-back, unknown fields surviving a round
 * trip, and damaged files (truncated, bit flips, garbage, duplicates) giving
 * JF_EFORMAT instead of a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "jf_alloc.h"
#include "sp_model.h"
#include "tok_fixture.h"

static SpModel *load_or_fail(const char *name)
{
    SpModel *m = NULL;
    JfError err;
    jf_error_clear(&err);
    JfStatus rc = sp_model_load(tok_path(name), &m, &err);
    if (rc != JF_OK) print_error("%s: %s\n", name, err.msg);
    assert_int_equal(rc, JF_OK);
    return m;
}

/* spm-1.1: the LLaMA-like model reads as spm_train wrote it. */
static void test_spm_1_1_llama_settings(void **state)
{
    (void)state;
    SpModel *m = load_or_fail("llama.model");
    const SpModelInfo *i = sp_model_info(m);
    assert_int_equal(i->model_type, SP_MODEL_BPE);
    assert_true(i->byte_fallback);
    assert_true(i->split_digits);
    assert_true(i->allow_whitespace_only_pieces);
    assert_true(i->add_dummy_prefix);
    assert_false(i->remove_extra_whitespaces);
    assert_string_equal(i->normalizer_name, "identity");
    assert_int_equal(i->charsmap_len, 0);
    assert_int_equal(sp_model_size(m), 4000);
    assert_int_equal(i->unk_id, 0);
    assert_int_equal(i->bos_id, 1);
    assert_int_equal(i->eos_id, 2);
    assert_string_equal(sp_model_piece(m, 0, NULL), "<unk>");
    assert_int_equal(sp_model_type(m, 0), SP_PIECE_UNKNOWN);
    assert_int_equal(sp_model_type(m, 1), SP_PIECE_CONTROL);
    assert_string_equal(sp_model_piece(m, 3, NULL), "<0x00>");
    assert_string_equal(sp_model_piece(m, 258, NULL), "<0xFF>");
    assert_int_equal(sp_model_type(m, 258), SP_PIECE_BYTE);
    assert_int_equal(sp_model_find(m, "<0x41>", 6), 3 + 0x41);
    assert_int_equal(sp_model_find(m, "\xE2\x96\x81", 3) >= 259, true);
    assert_int_equal(sp_model_find(m, "no such piece", 13), -1);
    /* Trained merges: the first has score 0 or -0, then -1, -2, ... */
    assert_true(sp_model_score(m, 260) > sp_model_score(m, 300));
    assert_int_equal(sp_model_unknown_field_count(m), 0);
    sp_model_close(m);
}

static void roundtrip_exact(const char *name)
{
    size_t len = 0;
    uint8_t *orig = tok_read(name, &len);
    assert_non_null(orig);
    SpModel *m = load_or_fail(name);
    uint8_t *out;
    size_t out_len;
    JfError err;
    assert_int_equal(sp_model_serialize(m, &out, &out_len, &err), JF_OK);
    assert_int_equal(out_len, len);
    assert_memory_equal(out, orig, len);
    /* And through a file. */
    assert_int_equal(sp_model_save(m, tok_path("roundtrip.model"), &err), JF_OK);
    size_t len2 = 0;
    uint8_t *back = tok_read("roundtrip.model", &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(back, orig, len);
    free(back);
    jf_free(out);
    free(orig);
    sp_model_close(m);
}

/* spm-1.2: writing back unchanged spm_train models gives the same bytes. */
static void test_spm_1_2_roundtrip_bytes(void **state)
{
    (void)state;
    roundtrip_exact("llama.model");
    roundtrip_exact("plain.model");
}

/* spm-1.3: unknown fields (an extension-range field 250 at top level, a field
 * 99 inside the last piece) are kept and written back in place. */
static void test_spm_1_3_unknown_fields(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *orig = tok_read("plain.model", &len);
    assert_non_null(orig);
    /* Top level: field 250, varint 42 (tag (250<<3)|0 = 2000 = D0 0F), and
     * field 251, bytes "hi" (tag 2010 = DA 0F). */
    static const uint8_t EXTRA[] = { 0xD0, 0x0F, 0x2A, 0xDA, 0x0F, 0x02, 'h', 'i' };
    uint8_t *mod = malloc(len + sizeof EXTRA);
    memcpy(mod, orig, len);
    memcpy(mod + len, EXTRA, sizeof EXTRA);
    SpModel *m = NULL;
    JfError err;
    assert_int_equal(sp_model_load_buffer(mod, len + sizeof EXTRA, "mod", &m, &err), JF_OK);
    assert_int_equal(sp_model_unknown_field_count(m), 2);
    uint8_t *out;
    size_t out_len;
    assert_int_equal(sp_model_serialize(m, &out, &out_len, &err), JF_OK);
    assert_int_equal(out_len, len + sizeof EXTRA);
    assert_memory_equal(out, mod, out_len);
    jf_free(out);
    sp_model_close(m);

    /* Inside the first piece: rebuild "field 1 (len L) piece-bytes" as
     * "field 1 (len L+2) piece-bytes + field 99 varint 7" (tag 99<<3 = 792 = 98 06). */
    assert_int_equal(orig[0], 0x0A);
    uint8_t plen = orig[1];
    assert_true(plen < 0x7E);
    uint8_t *mod2 = malloc(len + 3);
    mod2[0] = 0x0A;
    mod2[1] = (uint8_t)(plen + 3);
    memcpy(mod2 + 2, orig + 2, plen);
    mod2[2 + plen] = 0x98;
    mod2[3 + plen] = 0x06;
    mod2[4 + plen] = 0x07;
    memcpy(mod2 + 5 + plen, orig + 2 + plen, len - 2 - plen);
    assert_int_equal(sp_model_load_buffer(mod2, len + 3, "mod2", &m, &err), JF_OK);
    assert_int_equal(sp_model_unknown_field_count(m), 1);
    assert_string_equal(sp_model_piece(m, 0, NULL), "<unk>");
    assert_int_equal(sp_model_serialize(m, &out, &out_len, &err), JF_OK);
    assert_int_equal(out_len, len + 3);
    assert_memory_equal(out, mod2, out_len);
    jf_free(out);
    sp_model_close(m);
    free(mod2);
    free(mod);
    free(orig);
}

/* spm-2.1: every truncation fails cleanly; none crashes. */
static void test_spm_2_1_truncated(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *orig = tok_read("llama.model", &len);
    assert_non_null(orig);
    size_t failed = 0, tried = 0;
    for (size_t cut = 0; cut < len; cut += (cut < 256 || cut > len - 256) ? 1 : 37) {
        SpModel *m = NULL;
        JfError err;
        jf_error_clear(&err);
        /* A copy of exactly cut bytes, so ASan sees any over-read. */
        uint8_t *b = malloc(cut ? cut : 1);
        memcpy(b, orig, cut);
        JfStatus rc = sp_model_load_buffer(b, cut, "cut", &m, &err);
        tried++;
        if (rc != JF_OK) {
            assert_int_equal(rc, JF_EFORMAT);
            assert_true(err.msg[0] != 0);
            failed++;
        }
        sp_model_close(m);
        free(b);
    }
    /* Cuts that land between whole top-level fields after normalizer_spec
     * would parse; spm_train writes nothing after it, so every cut fails. */
    assert_int_equal(failed, tried);
    free(orig);
}

/* spm-2.2: bit flips and garbage: JF_OK or JF_EFORMAT, never a crash. */
static void test_spm_2_2_garbage(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *orig = tok_read("plain.model", &len);
    assert_non_null(orig);
    srand(1234);
    size_t bad = 0;
    for (int k = 0; k < 300; k++) {
        uint8_t *b = malloc(len);
        memcpy(b, orig, len);
        for (int f = 0; f < 4; f++) b[(size_t)rand() % len] ^= (uint8_t)(1u << (rand() % 8));
        SpModel *m = NULL;
        JfError err;
        JfStatus rc = sp_model_load_buffer(b, len, "flip", &m, &err);
        assert_true(rc == JF_OK || rc == JF_EFORMAT);
        bad += rc != JF_OK;
        sp_model_close(m);
        free(b);
    }
    assert_true(bad > 0);
    for (int k = 0; k < 200; k++) {
        size_t n = (size_t)(rand() % 4096);
        uint8_t *b = malloc(n + 1);
        for (size_t i = 0; i < n; i++) b[i] = (uint8_t)rand();
        SpModel *m = NULL;
        JfError err;
        assert_int_equal(sp_model_load_buffer(b, n, "garbage", &m, &err), JF_EFORMAT);
        assert_null(m);
        free(b);
    }
    /* A text file and an empty file. */
    SpModel *m = NULL;
    JfError err;
    assert_int_equal(sp_model_load_buffer((const uint8_t *)"hello\n", 6, "t", &m, &err),
                     JF_EFORMAT);
    assert_int_equal(sp_model_load_buffer((const uint8_t *)"", 0, "e", &m, &err), JF_EFORMAT);
    assert_non_null(strstr(err.msg, "no pieces"));
    assert_int_equal(sp_model_load("/nonexistent/tokenizer.model", &m, &err), JF_EIO);
    free(orig);
}

/* spm-2.3: a duplicate piece is an error that names it. */
static void test_spm_2_3_duplicate_piece(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *orig = tok_read("plain.model", &len);
    /* Repeat the first top-level field (the <unk> piece) in front. */
    size_t first = 2 + orig[1];
    uint8_t *b = malloc(len + first);
    memcpy(b, orig, first);
    memcpy(b + first, orig, len);
    SpModel *m = NULL;
    JfError err;
    assert_int_equal(sp_model_load_buffer(b, len + first, "dup", &m, &err), JF_EFORMAT);
    assert_non_null(strstr(err.msg, "already defined"));
    free(b);
    free(orig);
}

/* spm-2.4: allocation failures during load give JF_ENOMEM or JF_EFORMAT
 * (protobuf-c reports its own allocation failure as a parse failure), no leak. */
static void test_spm_2_4_oom(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *orig = tok_read("plain.model", &len);
    size_t live = jf_alloc_live_bytes();
    for (uint64_t n = 1; n < 4000; n += 7) {
        SpModel *m = NULL;
        JfError err;
        jf_alloc_fail_at(n);
        JfStatus rc = sp_model_load_buffer(orig, len, "oom", &m, &err);
        jf_alloc_fail_at(0);
        assert_true(rc == JF_OK || rc == JF_ENOMEM || rc == JF_EFORMAT);
        sp_model_close(m);
        assert_int_equal(jf_alloc_live_bytes(), live);
    }
    free(orig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spm_1_1_llama_settings),
        cmocka_unit_test(test_spm_1_2_roundtrip_bytes),
        cmocka_unit_test(test_spm_1_3_unknown_fields),
        cmocka_unit_test(test_spm_2_1_truncated),
        cmocka_unit_test(test_spm_2_2_garbage),
        cmocka_unit_test(test_spm_2_3_duplicate_piece),
        cmocka_unit_test(test_spm_2_4_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
