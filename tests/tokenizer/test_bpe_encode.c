/* test_bpe_encode.c: BPE encoding and decoding with models trained by
 * spm_train on real Debian documentation text (parity with spm_encode itself is
 * checked line by line by test_tokenizer_cli.py). Here: decode(encode(x)) == x,
 * the pieces spell the normalized line, long lines without spaces, threads
 * giving the same result, decoding errors. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "jf_alloc.h"
#include "jf_buf.h"
#include "tokenizer.h"
#include "tok_fixture.h"

typedef struct {
    char  **line;
    size_t *len;
    size_t  n;
    char   *data;
} Lines;

static Lines lines_read(const char *name)
{
    Lines l = { 0 };
    size_t len = 0;
    l.data = (char *)tok_read(name, &len);
    assert_non_null(l.data);
    for (size_t i = 0; i < len; i++) l.n += l.data[i] == '\n';
    l.line = calloc(l.n + 1, sizeof *l.line);
    l.len = calloc(l.n + 1, sizeof *l.len);
    size_t k = 0;
    char *p = l.data;
    for (char *nl; k < l.n && (nl = memchr(p, '\n', len - (size_t)(p - l.data))); p = nl + 1) {
        *nl = 0;
        l.line[k] = p;
        l.len[k++] = (size_t)(nl - p);
    }
    return l;
}

static void lines_free(Lines *l)
{
    free(l->line);
    free(l->len);
    free(l->data);
}

static SpModel *model(const char *name)
{
    SpModel *m = NULL;
    JfError err;
    assert_int_equal(sp_model_load(tok_path(name), &m, &err), JF_OK);
    assert_int_equal(bpe_model_check(m, &err), JF_OK);
    return m;
}

static void ids_of(const BpeToken *t, size_t n, uint32_t **ids)
{
    *ids = realloc(*ids, (n + 1) * sizeof **ids);
    for (size_t i = 0; i < n; i++) (*ids)[i] = t[i].id;
}

/* bpe-1.1: with the identity normalizer and spaces kept, decoding gives back
 * every test line that does not itself contain U+2581. */
static void test_bpe_1_1_roundtrip(void **state)
{
    (void)state;
    SpModel *m = model("llama.model");
    Lines l = lines_read("test.txt");
    BpeScratch *s;
    JfError err;
    assert_int_equal(bpe_scratch_open(&s, &err), JF_OK);
    JfBuf out;
    jf_buf_init(&out, 0);
    uint32_t *ids = NULL;
    size_t checked = 0, bytes_tokens = 0;
    for (size_t i = 0; i < l.n; i++) {
        const BpeToken *t;
        size_t n;
        assert_int_equal(bpe_encode(m, s, l.line[i], l.len[i], &t, &n, &err), JF_OK);
        if (l.len[i] == 0) assert_int_equal(n, 0);
        for (size_t k = 0; k < n; k++) bytes_tokens += sp_model_type(m, t[k].id) == SP_PIECE_BYTE;
        if (strstr(l.line[i], "\xE2\x96\x81")) continue;
        ids_of(t, n, &ids);
        jf_buf_reset(&out);
        assert_int_equal(bpe_decode(m, ids, n, &out, &err), JF_OK);
        if (out.len != l.len[i] || memcmp(out.data, l.line[i], out.len))
            fail_msg("line %zu: decode(encode(x)) != x: '%.80s' -> '%.80s'", i + 1, l.line[i],
                     out.len ? (char *)out.data : "");
        checked++;
    }
    print_message("round trip: %zu lines, %zu byte-fallback tokens\n", checked, bytes_tokens);
    assert_true(checked > 5000);
    assert_true(bytes_tokens > 0);   /* emoji and rare kanji took the byte path */
    free(ids);
    jf_buf_free(&out);
    bpe_scratch_close(s);
    lines_free(&l);
    sp_model_close(m);
}

/* bpe-1.2: the pieces (byte pieces as their bytes) spell "▁" + the line with
 * spaces as U+2581 (LLaMA settings: no space removal, dummy prefix). */
static void test_bpe_1_2_pieces_spell_line(void **state)
{
    (void)state;
    SpModel *m = model("llama.model");
    Lines l = lines_read("test.txt");
    BpeScratch *s;
    JfError err;
    assert_int_equal(bpe_scratch_open(&s, &err), JF_OK);
    JfBuf got, want;
    jf_buf_init(&got, 0);
    jf_buf_init(&want, 0);
    for (size_t i = 0; i < l.n; i++) {
        const BpeToken *t;
        size_t n;
        assert_int_equal(bpe_encode(m, s, l.line[i], l.len[i], &t, &n, &err), JF_OK);
        jf_buf_reset(&got);
        jf_buf_reset(&want);
        for (size_t k = 0; k < n; k++) {
            if (sp_model_type(m, t[k].id) == SP_PIECE_BYTE)
                jf_buf_append_byte(&got, (uint8_t)strtol(t[k].piece + 3, NULL, 16));
            else
                jf_buf_append(&got, t[k].piece, t[k].len);
        }
        if (l.len[i]) jf_buf_append_str(&want, "\xE2\x96\x81");
        for (size_t k = 0; k < l.len[i]; k++) {
            if (l.line[i][k] == ' ') jf_buf_append_str(&want, "\xE2\x96\x81");
            else jf_buf_append_byte(&want, (uint8_t)l.line[i][k]);
        }
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.data, want.data, got.len);
    }
    jf_buf_free(&got);
    jf_buf_free(&want);
    bpe_scratch_close(s);
    lines_free(&l);
    sp_model_close(m);
}

/* bpe-1.3: a 600,000-character line without spaces (real Japanese repeated)
 * encodes and decodes back; the merge loop is O(n log n), so this is quick. */
static void test_bpe_1_3_long_line(void **state)
{
    (void)state;
    SpModel *m = model("llama.model");
    Lines l = lines_read("test.txt");
    JfBuf big;
    jf_buf_init(&big, 0);
    for (size_t i = 0; i < l.n && big.len < 1800000; i++) {
        if (strstr(l.line[i], "\xE2\x96\x81") || !l.len[i]) continue;
        for (size_t k = 0; k < l.len[i]; k++)
            if (l.line[i][k] != ' ') jf_buf_append_byte(&big, (uint8_t)l.line[i][k]);
    }
    BpeScratch *s;
    JfError err;
    assert_int_equal(bpe_scratch_open(&s, &err), JF_OK);
    const BpeToken *t;
    size_t n;
    assert_int_equal(bpe_encode(m, s, (char *)big.data, big.len, &t, &n, &err), JF_OK);
    assert_true(n > 1000 && n < big.len);
    uint32_t *ids = NULL;
    ids_of(t, n, &ids);
    JfBuf out;
    jf_buf_init(&out, 0);
    assert_int_equal(bpe_decode(m, ids, n, &out, &err), JF_OK);
    assert_int_equal(out.len, big.len);
    assert_memory_equal(out.data, big.data, big.len);
    free(ids);
    jf_buf_free(&out);
    jf_buf_free(&big);
    bpe_scratch_close(s);
    lines_free(&l);
    sp_model_close(m);
}

typedef struct {
    const SpModel *m;
    const Lines   *l;
    uint64_t       hash;
} HashJob;

static void *hash_run(void *arg)
{
    HashJob *j = arg;
    BpeScratch *s;
    JfError err;
    if (bpe_scratch_open(&s, &err) != JF_OK) return NULL;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < j->l->n; i++) {
        const BpeToken *t;
        size_t n;
        if (bpe_encode(j->m, s, j->l->line[i], j->l->len[i], &t, &n, &err) != JF_OK) break;
        for (size_t k = 0; k < n; k++) h = (h ^ t[k].id) * 1099511628211ull;
        h = (h ^ 0xFFFFFFFFu) * 1099511628211ull;
    }
    j->hash = h;
    bpe_scratch_close(s);
    return NULL;
}

/* bpe-1.4: two threads sharing one model get the same ids as one thread. */
static void test_bpe_1_4_threads(void **state)
{
    (void)state;
    SpModel *m = model("plain.model");
    Lines l = lines_read("test.txt");
    HashJob one = { m, &l, 0 }, a = one, b = one;
    hash_run(&one);
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, hash_run, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, hash_run, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_true(one.hash != 0);
    assert_true(a.hash == one.hash && b.hash == one.hash);
    lines_free(&l);
    sp_model_close(m);
}

/* bpe-1.5: user-defined symbols stay whole; without byte fallback, unknown
 * characters in a row become one <unk>; invalid UTF-8 is read as U+FFFD. */
static void test_bpe_1_5_user_symbols_unk(void **state)
{
    (void)state;
    SpModel *m = model("plain.model");
    BpeScratch *s;
    JfError err;
    assert_int_equal(bpe_scratch_open(&s, &err), JF_OK);
    const BpeToken *t;
    size_t n;
    const char *txt = "<mask>ユーザー";
    assert_int_equal(bpe_encode(m, s, txt, strlen(txt), &t, &n, &err), JF_OK);
    int32_t mask = sp_model_find(m, "<mask>", 6);
    int32_t user = sp_model_find(m, "ユーザー", strlen("ユーザー"));
    assert_true(mask >= 0 && user >= 0);
    assert_int_equal(t[n - 1].id, (uint32_t)user);
    assert_int_equal(t[n - 2].id, (uint32_t)mask);
    const char *emo = "\xF0\x9F\x98\x80\xF0\x9F\x8E\x89";   /* two emoji, not in the vocabulary */
    assert_int_equal(bpe_encode(m, s, emo, strlen(emo), &t, &n, &err), JF_OK);
    assert_int_equal(t[n - 1].id, 0);
    assert_int_equal(t[n - 1].len, 8);
    assert_int_equal(bpe_encode(m, s, "a\xFF", 2, &t, &n, &err), JF_OK);
    assert_memory_equal(t[n - 1].piece + t[n - 1].len - 3, "\xEF\xBF\xBD", 3);
    bpe_scratch_close(s);
    sp_model_close(m);
}

/* bpe-1.6: decode: ids out of range are an error; byte runs that are not
 * UTF-8 become U+FFFD; <s> is invisible. */
static void test_bpe_1_6_decode_edges(void **state)
{
    (void)state;
    SpModel *m = model("llama.model");
    JfBuf out;
    jf_buf_init(&out, 0);
    JfError err;
    uint32_t bad[] = { 5, 4000 };
    assert_int_equal(bpe_decode(m, bad, 2, &out, &err), JF_EFORMAT);
    jf_buf_reset(&out);
    uint32_t ids[] = { 1, 3 + 0xE3, 3 + 0x81, 3 + 0x82, 3 + 0xFF, 3 + 'A' };
    assert_int_equal(bpe_decode(m, ids, 6, &out, &err), JF_OK);
    assert_int_equal(out.len, 7);
    assert_memory_equal(out.data, "\xE3\x81\x82\xEF\xBF\xBD" "A", 7);
    jf_buf_free(&out);
    sp_model_close(m);
}

/* bpe-1.7: bpe_reduce (hf_export's check): every NORMAL piece of the spm_train
 * model is what the merges make of its own text; text that ends as several
 * symbols, or holds a user piece beside other text, gives -1; a user piece
 * alone is its own frozen symbol. */
static void test_bpe_1_7_reduce(void **state)
{
    (void)state;
    SpModel *m = model("llama.model");
    BpeScratch *s;
    JfError err;
    int32_t id;
    assert_int_equal(bpe_scratch_open(&s, &err), JF_OK);
    size_t normal = 0;
    for (uint32_t i = 0; i < sp_model_size(m); i++) {
        if (sp_model_type(m, i) != SP_PIECE_NORMAL) continue;
        size_t len;
        const char *t = sp_model_piece(m, i, &len);
        assert_int_equal(bpe_reduce(m, s, t, len, &id, &err), JF_OK);
        assert_int_equal(id, (int32_t)i);
        normal++;
    }
    assert_true(normal > 3000);
    assert_int_equal(bpe_reduce(m, s, "", 0, &id, &err), JF_OK);
    assert_int_equal(id, -1);
    const char *two = "\xE2\x96\x81the\xE2\x96\x81the";   /* two words never merge */
    assert_int_equal(bpe_reduce(m, s, two, strlen(two), &id, &err), JF_OK);
    assert_int_equal(id, -1);
    assert_int_equal(bpe_reduce(m, s, "<0x41>", 6, &id, &err), JF_OK);   /* a byte piece's text */
    assert_int_equal(id, -1);
    sp_model_close(m);
    m = model("plain.model");
    int32_t mask = sp_model_find(m, "<mask>", 6);
    assert_true(mask >= 0);
    assert_int_equal(bpe_reduce(m, s, "<mask>", 6, &id, &err), JF_OK);
    assert_int_equal(id, mask);
    assert_int_equal(bpe_reduce(m, s, "x<mask>", 7, &id, &err), JF_OK);
    assert_int_equal(id, -1);
    bpe_scratch_close(s);
    sp_model_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bpe_1_1_roundtrip),
        cmocka_unit_test(test_bpe_1_2_pieces_spell_line),
        cmocka_unit_test(test_bpe_1_3_long_line),
        cmocka_unit_test(test_bpe_1_4_threads),
        cmocka_unit_test(test_bpe_1_5_user_symbols_unk),
        cmocka_unit_test(test_bpe_1_6_decode_edges),
        cmocka_unit_test(test_bpe_1_7_reduce),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
