/* test_normalize.c: normalizer_apply on table cases (NFKC folding, control
 * removal, line endings, spaces, blank lines, broken UTF-8), chunk-boundary
 * equivalence, real Japanese documentation text, 20 MB inputs, output caps
 * and allocation failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ustring.h>

#include "jf_alloc.h"
#include "jf_buf.h"
#include "norm_testdata.h"
#include "normalize.h"

typedef struct {
    const char *name;
    NormForm    form;
    int         collapse;   /* -1: default (true) */
    int         max_blank;  /* -1: default (1) */
    const char *in;
    size_t      in_len;     /* 0: strlen(in) */
    const char *want;
} NormCase;

#define DEF -1
#define FFFD "\xEF\xBF\xBD"

static const NormCase CASES[] = {
    /* NFKC folding */
    { "norm-1.1", NORM_NFKC, DEF, DEF, "ＡＢＣ１２３", 0, "ABC123" },
    { "norm-1.2", NORM_NFKC, DEF, DEF, "ｶﾀｶﾅ", 0, "カタカナ" },
    { "norm-1.3", NORM_NFKC, DEF, DEF, "①②", 0, "12" },
    { "norm-1.4", NORM_NFKC, DEF, DEF, "a\u3000b", 0, "a b" },
    { "norm-1.5", NORM_NFKC, DEF, DEF, "ｶﾞｷﾞｰ", 0, "ガギー" },
    { "norm-1.6", NORM_NFKC, DEF, DEF, "㍻（株）", 0, "平成(株)" },
    { "norm-1.7", NORM_NFKC, DEF, DEF, "cafe\xCC\x81", 0, "caf\xC3\xA9" },
    { "norm-1.8", NORM_NFKC, DEF, DEF, "\xEF\xAC\x81le", 0, "file" },
    { "norm-1.9", NORM_NFKC, DEF, DEF, "日本語のテキスト。", 0, "日本語のテキスト。" },
    { "norm-1.10", NORM_NFKC, DEF, DEF, "\u3000\u3000字下げ\u3000", 0, "字下げ" },
    /* NFC and none */
    { "norm-2.1", NORM_NFC, DEF, DEF, "ＡＢＣ", 0, "ＡＢＣ" },
    { "norm-2.2", NORM_NFC, DEF, DEF, "e\xCC\x81", 0, "\xC3\xA9" },
    { "norm-2.3", NORM_NFC, DEF, DEF, "a\u3000\u00A0b", 0, "a b" },
    { "norm-2.4", NORM_NONE, DEF, DEF, "e\xCC\x81ｶ", 0, "e\xCC\x81ｶ" },
    /* removed characters */
    { "norm-3.1", NORM_NFKC, DEF, DEF, "a\0b\x01" "c\x1b\x7f" "d", 8, "abcd" },
    { "norm-3.2", NORM_NFKC, DEF, DEF, "\xEF\xBB\xBFhello", 0, "hello" },
    { "norm-3.3", NORM_NFKC, DEF, DEF, "a\xE2\x80\x8B" "b\xE2\x81\xA0" "c", 0, "abc" },
    { "norm-3.4", NORM_NFKC, DEF, DEF, "\xC2\x80x\xC2\x9F" "y", 0, "xy" },
    { "norm-3.5", NORM_NFKC, DEF, DEF, "co\xC2\xAD" "op", 0, "coop" },
    { "norm-3.6", NORM_NFKC, DEF, DEF, "a\xE2\x80\x8E" "b\xE2\x80\xAE" "c\xE2\x81\xA6" "d", 0,
      "abcd" },
    { "norm-3.7", NORM_NFKC, DEF, DEF, "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9", 0,
      "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9" },   /* ZWJ stays */
    { "norm-3.8", NORM_NFKC, DEF, DEF, "a\xEF\xBF\xBE" "b\xEF\xB7\x90" "c", 0, "abc" },
    { "norm-3.9", NORM_NFKC, DEF, DEF, "e\x01\xCC\x81", 0, "\xC3\xA9" },   /* removed first */
    { "norm-3.10", NORM_NFKC, DEF, DEF, "a\tb", 0, "a b" },
    /* line endings */
    { "norm-4.1", NORM_NFKC, DEF, DEF, "a\r\nb\rc\nd", 0, "a\nb\nc\nd" },
    { "norm-4.2", NORM_NFKC, DEF, DEF, "a\xE2\x80\xA8" "b\xE2\x80\xA9" "c", 0, "a\nb\nc" },
    { "norm-4.3", NORM_NFKC, DEF, DEF, "a\xC2\x85" "b", 0, "a\nb" },
    { "norm-4.4", NORM_NFKC, DEF, DEF, "a\r\r\nb", 0, "a\n\nb" },
    { "norm-4.5", NORM_NFKC, DEF, DEF, "a\x0b" "b\x0c" "c", 0, "a\nb\nc" },
    /* spaces and blank lines */
    { "norm-5.1", NORM_NFKC, DEF, DEF, "  a   b\t\tc  \n  d  ", 0, "a b c\nd" },
    { "norm-5.2", NORM_NFKC, DEF, DEF, "a\n\n\n\nb", 0, "a\n\nb" },
    { "norm-5.3", NORM_NFKC, DEF, DEF, "\n\n a \n\n", 0, "a" },
    { "norm-5.4", NORM_NFKC, DEF, 0, "a\n\n\nb\nc", 0, "a\nb\nc" },
    { "norm-5.5", NORM_NFKC, DEF, 2, "a\n\n\n\n\nb\n\nc", 0, "a\n\n\nb\n\nc" },
    { "norm-5.6", NORM_NFKC, 0, DEF, " a  b \n\n\n\nc", 0, " a  b \n\nc" },
    { "norm-5.7", NORM_NFC, DEF, DEF, "a \xC2\xA0 \xE2\x80\x83" "b\xE1\x9A\x80", 0, "a b" },
    { "norm-5.8", NORM_NFKC, DEF, DEF, "a\n   \n \t \n\nb", 0, "a\n\nb" },
    { "norm-5.9", NORM_NFKC, DEF, DEF, "   \n\t\n\r\n", 0, "" },
    /* broken UTF-8: one U+FFFD per maximal subpart */
    { "norm-6.1", NORM_NFKC, DEF, DEF, "a\xFF" "b", 0, "a" FFFD "b" },
    { "norm-6.2", NORM_NFKC, DEF, DEF, "a\xE3\x81", 0, "a" FFFD },
    { "norm-6.3", NORM_NFKC, DEF, DEF, "\xE3\x81" "x", 0, FFFD "x" },
    { "norm-6.4", NORM_NFKC, DEF, DEF, "\xC0\xAF", 0, FFFD FFFD },
    { "norm-6.5", NORM_NFKC, DEF, DEF, "\xED\xA0\x80", 0, FFFD FFFD FFFD },
    { "norm-6.6", NORM_NFKC, DEF, DEF, "\xF4\x90\x80\x80", 0, FFFD FFFD FFFD FFFD },
    { "norm-6.7", NORM_NFKC, DEF, DEF, "\xF0\x9F\x98" "a", 0, FFFD "a" },
    { "norm-6.8", NORM_NFKC, DEF, DEF, "\x80\xBF", 0, FFFD FFFD },
    { "norm-6.9", NORM_NFKC, DEF, DEF, FFFD "\xE3\x81\x82", 0, FFFD "あ" },
    /* nothing */
    { "norm-7.1", NORM_NFKC, DEF, DEF, "", 0, "" },
};

static Normalizer *norm_open_case(const NormCase *c)
{
    NormalizerOptions o;
    normalizer_options_default(&o);
    o.form = c->form;
    if (c->collapse >= 0) o.collapse_spaces = c->collapse != 0;
    if (c->max_blank >= 0) o.max_blank_lines = (size_t)c->max_blank;
    Normalizer *nz = NULL;
    JfError     err;
    assert_int_equal(normalizer_open(&o, &nz, &err), JF_OK);
    return nz;
}

static void normalize_cases_match(void **state)
{
    (void)state;
    JfBuf out;
    jf_buf_init(&out, 0);
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        const NormCase *c = &CASES[k];
        Normalizer     *nz = norm_open_case(c);
        JfError         err;
        size_t          n = c->in_len ? c->in_len : strlen(c->in);
        assert_int_equal(normalizer_apply(nz, c->in, n, &out, &err), JF_OK);
        if (out.len != strlen(c->want) || memcmp(out.data, c->want, out.len) != 0)
            fail_msg("%s: got \"%s\", want \"%s\"", c->name, (const char *)out.data, c->want);
        normalizer_close(nz);
    }
    jf_buf_free(&out);
}

static void normalize_empty_gives_empty_string(void **state)
{
    (void)state;
    Normalizer *nz;
    JfError     err;
    JfBuf       out;
    jf_buf_init(&out, 0);
    assert_int_equal(normalizer_open(NULL, &nz, &err), JF_OK);
    assert_int_equal(normalizer_apply(nz, NULL, 0, &out, &err), JF_OK);
    assert_non_null(out.data);
    assert_int_equal(out.len, 0);
    assert_string_equal((const char *)out.data, "");
    normalizer_close(nz);
    jf_buf_free(&out);
}

static void normalize_profile_names(void **state)
{
    (void)state;
    static const struct { NormForm f; bool ws; size_t bl; const char *name; } P[] = {
        { NORM_NFKC, true, 1, "nfkc+ws-v1" },  { NORM_NFC, true, 1, "nfc+ws-v1" },
        { NORM_NONE, false, 1, "none-v1" },    { NORM_NFKC, true, 3, "nfkc+ws+bl3-v1" },
    };
    for (size_t k = 0; k < sizeof P / sizeof P[0]; k++) {
        NormalizerOptions o = { P[k].f, P[k].ws, P[k].bl };
        Normalizer       *nz;
        JfError           err;
        assert_int_equal(normalizer_open(&o, &nz, &err), JF_OK);
        assert_string_equal(normalizer_profile_name(nz), P[k].name);
        normalizer_close(nz);
    }
    NormalizerOptions bad = { (NormForm)7, true, 1 };
    Normalizer       *nz = (Normalizer *)&bad;
    JfError           err;
    assert_int_equal(normalizer_open(&bad, &nz, &err), JF_EUSAGE);
    assert_null(nz);
    assert_int_equal(err.code, JF_EUSAGE);
    normalizer_close(NULL);
}

/* @return true if p[0..n) is valid UTF-8 (ICU's opinion, not ours). */
static bool utf8_is_valid(const uint8_t *p, size_t n)
{
    UErrorCode ec = U_ZERO_ERROR;
    int32_t    need = 0;
    if (n > INT32_MAX) return false;
    u_strFromUTF8(NULL, 0, &need, (const char *)p, (int32_t)n, &ec);
    return ec == U_BUFFER_OVERFLOW_ERROR || ec == U_STRING_NOT_TERMINATED_WARNING ||
           U_SUCCESS(ec);
}

static bool buf_contains(const JfBuf *b, const char *s)
{
    return b->len && memmem(b->data, b->len, s, strlen(s)) != NULL;
}

/* Units of varied length with every kind of repair in them, long runs without
 * ASCII (so chunks are cut inside lines) and a blank-line tail: normalizing
 * their concatenation must equal joining their separate normalizations. */
static void normalize_chunks_are_invisible(void **state)
{
    (void)state;
    Normalizer *nz;
    JfError     err;
    JfBuf       in, unit, part, want, out;
    jf_buf_init(&in, 0);
    jf_buf_init(&unit, 0);
    jf_buf_init(&part, 0);
    jf_buf_init(&want, 0);
    jf_buf_init(&out, 0);
    assert_int_equal(normalizer_open(NULL, &nz, &err), JF_OK);
    for (size_t i = 0; in.len < 3 * 1024 * 1024; i++) {
        jf_buf_reset(&unit);
        jf_buf_append_str(&unit, "e\x01\xCC\x81 ｶﾞ  \t ＡＢＣ\r\n");
        for (size_t k = 0; k < i % 997; k++) jf_buf_append_str(&unit, k % 5 ? "あ" : "ｶﾞ");
        for (size_t k = 0; k < i % 13; k++) jf_buf_append_str(&unit, "a \t");
        jf_buf_append_str(&unit, "\xFF" "x\u3000\u3000y\xE2\x80\x8B" "z\xE3\x81" "\r\n\n \n\n");
        assert_int_equal(normalizer_apply(nz, (const char *)unit.data, unit.len, &part, &err),
                         JF_OK);
        if (want.len) jf_buf_append_str(&want, "\n\n");
        jf_buf_append(&want, part.data, part.len);
        jf_buf_append(&in, unit.data, unit.len);
    }
    assert_int_equal(normalizer_apply(nz, (const char *)in.data, in.len, &out, &err), JF_OK);
    assert_int_equal(out.len, want.len);
    assert_memory_equal(out.data, want.data, want.len);
    normalizer_close(nz);
    jf_buf_free(&in);
    jf_buf_free(&unit);
    jf_buf_free(&part);
    jf_buf_free(&want);
    jf_buf_free(&out);
}

/* The real Japanese Debian reference: full-width forms and U+3000 are
 * folded, the result is valid UTF-8 and a fixed point. */
static void normalize_real_japanese_text(void **state)
{
    (void)state;
    Normalizer *nz;
    JfError     err;
    JfBuf       in, once, twice;
    jf_buf_init(&in, 0);
    jf_buf_init(&once, 0);
    jf_buf_init(&twice, 0);
    td_read_required("debian-reference-ja", TD_DEBREF_DIR "/debian-reference.ja.txt.gz", &in);
    assert_true(in.len > 500 * 1000);
    assert_true(buf_contains(&in, "（"));   /* full-width parentheses in the source */

    assert_int_equal(normalizer_open(NULL, &nz, &err), JF_OK);
    assert_int_equal(normalizer_apply(nz, (const char *)in.data, in.len, &once, &err), JF_OK);
    assert_true(utf8_is_valid(once.data, once.len));
    assert_false(buf_contains(&once, "（"));
    assert_false(buf_contains(&once, "\u3000"));
    assert_false(buf_contains(&once, "\r"));
    assert_false(buf_contains(&once, "  "));
    assert_false(buf_contains(&once, "\n\n\n"));
    assert_true(buf_contains(&once, "ネットワークの設定"));
    assert_true(once.len > in.len / 2 && once.len <= in.len);

    assert_int_equal(normalizer_apply(nz, (const char *)once.data, once.len, &twice, &err),
                     JF_OK);
    assert_int_equal(twice.len, once.len);
    assert_memory_equal(twice.data, once.data, once.len);
    normalizer_close(nz);
    jf_buf_free(&in);
    jf_buf_free(&once);
    jf_buf_free(&twice);
}

/* Deterministic bytes for the garbage input. */
static uint32_t lcg_next(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void normalize_one_big(Normalizer *nz, const JfBuf *in, JfBuf *out, bool lines)
{
    JfError err;
    size_t  live = jf_alloc_live_bytes(), peak = jf_alloc_peak_bytes();
    assert_int_equal(normalizer_apply(nz, (const char *)in->data, in->len, out, &err), JF_OK);
    assert_true(utf8_is_valid(out->data, out->len));
    assert_true(out->len > 0);
    /* With lines, scratch stays at a few chunks; without ASCII it is one chunk
     * of the whole input: still a constant factor. */
    size_t limit = out->cap + (lines ? (size_t)16 << 20 : 8 * in->len);
    if (jf_alloc_peak_bytes() > peak) assert_true(jf_alloc_peak_bytes() - live <= limit);
}

static void normalize_20mb_inputs(void **state)
{
    (void)state;
    const size_t big = (size_t)20 << 20;
    Normalizer  *nz;
    JfError      err;
    JfBuf        src, in, out;
    jf_buf_init(&src, 0);
    jf_buf_init(&in, 0);
    jf_buf_init(&out, 0);
    assert_int_equal(normalizer_open(NULL, &nz, &err), JF_OK);

    /* real Japanese text, repeated, with a garbage byte now and then */
    td_read_required("debian-reference-ja", TD_DEBREF_DIR "/debian-reference.ja.txt.gz", &src);
    while (in.len < big) {
        jf_buf_append(&in, src.data, src.len);
        jf_buf_append_str(&in, "\xFF\xC0\r\n");
    }
    normalize_one_big(nz, &in, &out, true);

    /* one 20 MB line without a single ASCII byte (one chunk) */
    jf_buf_reset(&in);
    while (in.len < big) jf_buf_append_str(&in, "ｶﾞあ漢字ーＡ\u3000");
    normalize_one_big(nz, &in, &out, false);
    assert_true(buf_contains(&out, "ガあ漢字ーA ガ"));

    /* 20 MB of random bytes */
    jf_buf_reset(&in);
    uint32_t seed = 12345;
    while (in.len < big) jf_buf_append_byte(&in, (uint8_t)lcg_next(&seed));
    normalize_one_big(nz, &in, &out, false);

    normalizer_close(nz);
    jf_buf_free(&src);
    jf_buf_free(&in);
    jf_buf_free(&out);
}

static void normalize_respects_output_limit(void **state)
{
    (void)state;
    Normalizer *nz;
    JfError     err;
    JfBuf       out;
    char        in[200];
    memset(in, 'x', sizeof in);
    jf_buf_init(&out, 100);
    assert_int_equal(normalizer_open(NULL, &nz, &err), JF_OK);
    assert_int_equal(normalizer_apply(nz, in, sizeof in, &out, &err), JF_ETOOBIG);
    assert_int_equal(err.code, JF_ETOOBIG);
    assert_int_equal(normalizer_apply(nz, in, 50, &out, &err), JF_OK);   /* still usable */
    assert_int_equal(out.len, 50);
    normalizer_close(nz);
    jf_buf_free(&out);
}

/* Every allocation in open and apply fails in turn: each call returns
 * JF_ENOMEM or the right answer, and nothing leaks. */
static void normalize_survives_allocation_failures(void **state)
{
    (void)state;
    JfBuf in, ref, out;
    jf_buf_init(&in, 0);
    jf_buf_init(&ref, 0);
    jf_buf_init(&out, 0);
    while (in.len < 300 * 1000) jf_buf_append_str(&in, "ＡＢＣ ｶﾞ\xFF\xFF\xFF\xFF\r\n\n\n");
    Normalizer *nz;
    JfError     err;
    assert_int_equal(normalizer_open(NULL, &nz, &err), JF_OK);
    assert_int_equal(normalizer_apply(nz, (const char *)in.data, in.len, &ref, &err), JF_OK);
    normalizer_close(nz);

    size_t live = jf_alloc_live_bytes();
    int    failures = 0;
    for (uint64_t n = 1; n <= 40; n++) {
        jf_buf_free(&out);
        jf_alloc_fail_at(n);
        JfStatus rc = normalizer_open(NULL, &nz, &err);
        if (rc == JF_OK) {
            rc = normalizer_apply(nz, (const char *)in.data, in.len, &out, &err);
            if (rc == JF_OK) {
                assert_int_equal(out.len, ref.len);
                assert_memory_equal(out.data, ref.data, ref.len);
            }
            normalizer_close(nz);
        }
        if (rc != JF_OK) {
            assert_int_equal(rc, JF_ENOMEM);
            failures++;
        }
        jf_alloc_fail_at(0);
        jf_buf_free(&out);
        assert_int_equal(jf_alloc_live_bytes(), live);
    }
    assert_true(failures >= 3);   /* open, clean scratch, ICU scratch, out */
    jf_buf_free(&in);
    jf_buf_free(&ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normalize_cases_match),
        cmocka_unit_test(normalize_empty_gives_empty_string),
        cmocka_unit_test(normalize_profile_names),
        cmocka_unit_test(normalize_chunks_are_invisible),
        cmocka_unit_test(normalize_real_japanese_text),
        cmocka_unit_test(normalize_20mb_inputs),
        cmocka_unit_test(normalize_respects_output_limit),
        cmocka_unit_test(normalize_survives_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
