/* test_bpe_train.c: BPE training (bpe_train.h) on real Debian documentation
 * text and on small hand-made texts: the vocabulary's layout and piece rules,
 * scripts and digits, duplicate pieces, user symbols, encoding the training
 * text back with the trained model, usage errors, and every allocation
 * failing in turn (no crash, no leak). Parity with spm_encode and compression
 * against spm_train are checked by test_tokenizer_train.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "jf_alloc.h"
#include "jf_buf.h"
#include "tokenizer.h"
#include "tok_fixture.h"

#define WS "\xE2\x96\x81"

static SpModel *train(const BpeTrainOptions *o, const char *text, size_t len, JfStatus want)
{
    BpeTrainer *t;
    JfError err;
    assert_int_equal(bpe_trainer_open(o, &t, &err), JF_OK);
    assert_int_equal(bpe_trainer_add_text(t, text, len, &err), JF_OK);
    SpModel *m = NULL;
    JfStatus rc = bpe_trainer_run(t, &m, &err);
    if (rc != want) fail_msg("run: %s: %s", jf_status_text(rc), err.msg);
    bpe_trainer_close(t);
    return m;
}

static size_t utf8_chars(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += ((uint8_t)s[i] & 0xC0) != 0x80;
    return k;
}

/* First id after the control and byte pieces. */
static uint32_t first_normal(const SpModel *m)
{
    uint32_t id = 0;
    while (id < sp_model_size(m) && sp_model_type(m, id) != SP_PIECE_NORMAL) id++;
    return id;
}

/* train-1.1: 1.5 MB of real text: the layout spm_train writes (<unk> <s> </s>,
 * <0x00>..<0xFF>, merged pieces with score -i, then single characters), the
 * piece rules, and every training line encodes and decodes back. */
static void test_train_1_1_real_text(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = (char *)tok_read("corpus.txt", &len);
    assert_non_null(text);
    BpeTrainOptions o;
    bpe_train_options_default(&o, 3000);
    o.max_sentence_length = 100000;
    SpModel *m = train(&o, text, len, JF_OK);
    assert_int_equal(sp_model_size(m), 3000);
    assert_string_equal(sp_model_piece(m, 0, NULL), "<unk>");
    assert_int_equal(sp_model_type(m, 1), SP_PIECE_CONTROL);
    assert_string_equal(sp_model_piece(m, 3, NULL), "<0x00>");
    assert_string_equal(sp_model_piece(m, 258, NULL), "<0xFF>");
    uint32_t f = first_normal(m);
    assert_int_equal(f, 259);
    bool singles = false;
    for (uint32_t id = f; id < sp_model_size(m); id++) {
        size_t n;
        const char *p = sp_model_piece(m, id, &n);
        assert_true(sp_model_score(m, id) == -(float)(id - f));
        size_t nc = utf8_chars(p, n);
        if (nc == 1) singles = true;
        else assert_false(singles);   /* no merged piece after the characters */
        assert_true(nc <= 16);
        for (size_t i = 1; i < n && nc > 1; i++)
            if (p[i] >= '0' && p[i] <= '9') fail_msg("digit in piece '%s'", p);
        const char *ws = strstr(p + 1, WS);
        if (ws) {   /* only whitespace-only pieces hold U+2581 after the start */
            for (size_t i = 0; i < n; i += 3) assert_memory_equal(p + i, WS, 3);
        }
    }
    assert_true(singles);
    BpeScratch *s;
    JfError err;
    assert_int_equal(bpe_scratch_open(&s, &err), JF_OK);
    JfBuf out;
    jf_buf_init(&out, 0);
    uint32_t *ids = NULL;
    size_t lines = 0, toks = 0, chars = 0;
    for (char *p = text, *nl; (nl = memchr(p, '\n', len - (size_t)(p - text))); p = nl + 1) {
        const BpeToken *t;
        size_t n;
        assert_int_equal(bpe_encode(m, s, p, (size_t)(nl - p), &t, &n, &err), JF_OK);
        ids = realloc(ids, (n + 1) * sizeof *ids);
        for (size_t i = 0; i < n; i++) ids[i] = t[i].id;
        jf_buf_reset(&out);
        assert_int_equal(bpe_decode(m, ids, n, &out, &err), JF_OK);
        assert_int_equal(out.len, (size_t)(nl - p));
        assert_memory_equal(out.data, p, out.len);
        lines++;
        toks += n;
        chars += utf8_chars(p, (size_t)(nl - p));
    }
    print_message("%zu lines, %.3f characters per token on the training text\n", lines,
                  (double)chars / (double)toks);
    assert_true(lines > 10000);
    assert_true((double)chars / (double)toks > 2.5);
    free(ids);
    jf_buf_free(&out);
    bpe_scratch_close(s);
    sp_model_close(m);
    free(text);
}

/* train-1.2: kanji and kana merge (SentencePiece counts them as one script),
 * Latin and kanji never do; "aaa" is reached once only (duplicates skipped). */
static void test_train_1_2_scripts_duplicates(void **state)
{
    (void)state;
    JfBuf b;
    jf_buf_init(&b, 0);
    for (int i = 0; i < 200; i++)
        jf_buf_append_str(&b, "日本語です abc日本 aaaa aaa aa 12345 カタカナー\n");
    BpeTrainOptions o;
    bpe_train_options_default(&o, 300);
    o.character_coverage = 1;
    SpModel *m = train(&o, (char *)b.data, b.len, JF_OK);
    assert_true(sp_model_find(m, WS "日本語です", strlen(WS "日本語です")) >= 0);
    assert_true(sp_model_find(m, WS "カタカナー", strlen(WS "カタカナー")) >= 0);
    assert_true(sp_model_find(m, WS "aaaa", strlen(WS "aaaa")) >= 0);
    assert_int_equal(sp_model_find(m, "c日", strlen("c日")), -1);
    assert_int_equal(sp_model_find(m, "12", 2), -1);
    for (uint32_t id = 0; id < sp_model_size(m); id++) {
        const char *p = sp_model_piece(m, id, NULL);
        bool latin = false, han = false;
        for (const char *q = p; *q; q++) {
            latin |= (*q >= 'a' && *q <= 'z');
            han |= (uint8_t)*q >= 0xE3 && (uint8_t)*q <= 0xE9;
        }
        if (latin && han) fail_msg("piece '%s' mixes scripts", p);
    }
    jf_buf_free(&b);
    sp_model_close(m);
}

/* train-1.3: user symbols sit after </s> and are never learned from text;
 * without byte fallback there are no byte pieces. */
static void test_train_1_3_user_symbols(void **state)
{
    (void)state;
    JfBuf b;
    jf_buf_init(&b, 0);
    for (int i = 0; i < 100; i++) jf_buf_append_str(&b, "x<mask>y <mask> hello <s> world\n");
    const char *users[] = { "<mask>" };
    BpeTrainOptions o;
    bpe_train_options_default(&o, 60);
    o.byte_fallback = false;
    o.character_coverage = 1;
    o.user_symbols = users;
    o.n_user_symbols = 1;
    SpModel *m = train(&o, (char *)b.data, b.len, JF_OK);
    /* The text runs out of pairs before 60 pieces: the model is smaller and
     * says so in trainer_spec.vocab_size. */
    assert_true(sp_model_size(m) > 14 && sp_model_size(m) < 60);
    assert_int_equal(sp_model_info(m)->vocab_size, (int32_t)sp_model_size(m));
    assert_string_equal(sp_model_piece(m, 3, NULL), "<mask>");
    assert_int_equal(sp_model_type(m, 3), SP_PIECE_USER_DEFINED);
    assert_int_equal(first_normal(m), 4);
    for (uint32_t id = 4; id < sp_model_size(m); id++) {
        const char *p = sp_model_piece(m, id, NULL);
        if (strchr(p, '<') || strchr(p, '>')) fail_msg("meta text learned: '%s'", p);
    }
    jf_buf_free(&b);
    sp_model_close(m);
}

/* train-1.6: MeCab pre-tokenization: no merge crosses a morpheme (mecab
 * -Owakati: 日本語 です abc 日本 ... カタカナー), while SentencePiece's learns
 * the whole word; a dictionary MeCab cannot open is JF_EIO. */
static void test_train_1_6_mecab(void **state)
{
    (void)state;
    JfBuf b;
    jf_buf_init(&b, 0);
    for (int i = 0; i < 200; i++)
        jf_buf_append_str(&b, "日本語です abc日本 aaaa 12345 カタカナー 今日は良い天気です。\n");
    BpeTrainOptions o;
    bpe_train_options_default(&o, 340);
    o.character_coverage = 1;
    SpModel *sp = train(&o, (char *)b.data, b.len, JF_OK);
    o.pretokenize = BPE_PRETOK_MECAB;
    SpModel *mc = train(&o, (char *)b.data, b.len, JF_OK);
    static const char *const CROSS[] = { WS "日本語です", "語で", "今日は", "は良",
                                         "天気です", "す。" };
    for (size_t i = 0; i < sizeof CROSS / sizeof *CROSS; i++)
        assert_int_equal(sp_model_find(mc, CROSS[i], strlen(CROSS[i])), -1);
    assert_true(sp_model_find(sp, WS "日本語です", strlen(WS "日本語です")) >= 0);
    static const char *const MORPH[] = { WS "日本語", "です", WS "今日", "天気",
                                         WS "カタカナー", WS "aaaa" };
    for (size_t i = 0; i < sizeof MORPH / sizeof *MORPH; i++)
        if (sp_model_find(mc, MORPH[i], strlen(MORPH[i])) < 0) fail_msg("no '%s'", MORPH[i]);
    sp_model_close(sp);
    sp_model_close(mc);
    jf_buf_free(&b);
    o.mecab_dicdir = "/nonexistent/dic";
    BpeTrainer *t;
    JfError err;
    assert_int_equal(bpe_trainer_open(&o, &t, &err), JF_EIO);
    assert_non_null(strstr(err.msg, "MeCab"));
}

/* train-1.4: usage errors. */
static void test_train_1_4_errors(void **state)
{
    (void)state;
    BpeTrainOptions o;
    bpe_train_options_default(&o, 0);
    BpeTrainer *t;
    JfError err;
    assert_int_equal(bpe_trainer_open(&o, &t, &err), JF_EUSAGE);
    bpe_train_options_default(&o, 1000);
    o.character_coverage = 1.5f;
    assert_int_equal(bpe_trainer_open(&o, &t, &err), JF_EUSAGE);
    bpe_train_options_default(&o, 1000);
    SpModel *m = train(&o, "", 0, JF_EUSAGE);   /* no text */
    assert_null(m);
    m = train(&o, "\n\n\r\n", 4, JF_EUSAGE);
    bpe_train_options_default(&o, 262);          /* 259 meta + characters > 262 */
    o.character_coverage = 1;
    m = train(&o, "abcdefgh\n", 9, JF_EUSAGE);
    assert_null(m);
    /* A sentence over max_sentence_length is skipped. */
    bpe_train_options_default(&o, 300);
    o.max_sentence_length = 4;
    assert_int_equal(bpe_trainer_open(&o, &t, &err), JF_OK);
    assert_int_equal(bpe_trainer_add_text(t, "abcdef\nab\n", 10, &err), JF_OK);
    assert_int_equal(bpe_trainer_stats(t)->skipped_long, 1);
    assert_int_equal(bpe_trainer_stats(t)->sentences, 1);
    bpe_trainer_close(t);
}

/* train-1.5: every allocation fails in turn: JF_ENOMEM or success, never a
 * crash, and no byte left allocated; with both pre-tokenizations, and with
 * the words counted on a second thread. */
static void oom_run(BpePretok pretok, int32_t threads);

static void test_train_1_5_oom(void **state)
{
    (void)state;
    oom_run(BPE_PRETOK_SENTENCEPIECE, 1);
    oom_run(BPE_PRETOK_MECAB, 1);
    oom_run(BPE_PRETOK_SENTENCEPIECE, 2);
}

static void oom_run(BpePretok pretok, int32_t threads)
{
    JfBuf b;
    jf_buf_init(&b, 0);
    for (int i = 0; i < 20; i++) jf_buf_append_str(&b, "日本語の文です。 the text is here 123\n");
    BpeTrainOptions o;
    bpe_train_options_default(&o, 290);
    o.character_coverage = 1;
    o.pretokenize = pretok;
    o.threads = threads;
    size_t base = jf_alloc_live_bytes();
    int ok = 0, failed = 0;
    for (uint64_t n = 1; n < 2000 && ok < 3; n++) {
        JfError err;
        BpeTrainer *t = NULL;
        SpModel *m = NULL;
        jf_alloc_fail_at(n);
        JfStatus rc = bpe_trainer_open(&o, &t, &err);
        if (rc == JF_OK) rc = bpe_trainer_add_text(t, (char *)b.data, b.len, &err);
        if (rc == JF_OK) rc = bpe_trainer_run(t, &m, &err);
        jf_alloc_fail_at(0);
        if (rc == JF_OK) ok++;
        else {
            assert_int_equal(rc, JF_ENOMEM);
            failed++;
        }
        sp_model_close(m);
        bpe_trainer_close(t);
        assert_int_equal(jf_alloc_live_bytes(), base);
    }
    print_message("%d allocation failures survived\n", failed);
    assert_true(failed > 50 && ok >= 1);
    jf_buf_free(&b);
}

/* train-1.7: the words of 3.2 MB of real text (several batches) counted on 1
 * or 3 threads, handed over whole or line by line: the same model, byte for
 * byte, and the same figures; with MeCab (a tagger per thread) too. */
static void threads_run(BpePretok pretok, int runs);

static void test_train_1_7_threads(void **state)
{
    (void)state;
    threads_run(BPE_PRETOK_SENTENCEPIECE, 3);
    threads_run(BPE_PRETOK_MECAB, 2);
}

static void threads_run(BpePretok pretok, int runs)
{
    size_t len = 0;
    char *text = (char *)tok_read("big.txt", &len);
    assert_non_null(text);
    uint8_t *want = NULL;
    size_t want_len = 0;
    BpeTrainStats want_st = { 0 };
    for (int r = 0; r < runs; r++) {
        BpeTrainOptions o;
        bpe_train_options_default(&o, 2000);
        o.threads = r == 0 ? 1 : 3;
        o.pretokenize = pretok;
        BpeTrainer *t;
        JfError err;
        assert_int_equal(bpe_trainer_open(&o, &t, &err), JF_OK);
        if (r != 1) {
            assert_int_equal(bpe_trainer_add_text(t, text, len, &err), JF_OK);
        } else {
            for (char *p = text, *nl; (nl = memchr(p, '\n', len - (size_t)(p - text))); p = nl + 1)
                assert_int_equal(bpe_trainer_add_text(t, p, (size_t)(nl - p), &err), JF_OK);
        }
        SpModel *m = NULL;
        assert_int_equal(bpe_trainer_run(t, &m, &err), JF_OK);
        uint8_t *buf;
        size_t n;
        assert_int_equal(sp_model_serialize(m, &buf, &n, &err), JF_OK);
        const BpeTrainStats *st = bpe_trainer_stats(t);
        if (r == 0) {
            want = buf;
            want_len = n;
            want_st = *st;
            assert_true(st->unique_words > 20000 && st->sentences > 40000);
        } else {
            assert_int_equal(n, want_len);
            assert_memory_equal(buf, want, n);
            assert_memory_equal(st, &want_st, sizeof want_st);
            jf_free(buf);
        }
        sp_model_close(m);
        bpe_trainer_close(t);
    }
    jf_free(want);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_1_1_real_text),
        cmocka_unit_test(test_train_1_2_scripts_duplicates),
        cmocka_unit_test(test_train_1_3_user_symbols),
        cmocka_unit_test(test_train_1_4_errors),
        cmocka_unit_test(test_train_1_5_oom),
        cmocka_unit_test(test_train_1_6_mecab),
        cmocka_unit_test(test_train_1_7_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
