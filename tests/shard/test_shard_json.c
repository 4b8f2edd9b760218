/* test_shard_json.c: the shard writer's fast JSON scanner against jansson
 * (shard_json_doc_jansson, which behaves as jf_doc_from_json): on hand-made
 * lines covering every construct and its edge (escapes, surrogates, invalid
 * UTF-8, numbers near overflow, nesting, duplicate and escaped keys, wrong
 * types, lang/language) and on 200,000 random mutations of a real-shaped
 * document line, both must agree on acceptance and on every field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard_json.h"

/* Both paths on one line; asserts they agree. @return the status. */
static JfStatus both(const char *line, size_t len)
{
    JfBuf b1, b2;
    jf_buf_init(&b1, 0);
    jf_buf_init(&b2, 0);
    ShardJsonDoc d1, d2;
    JfError e1, e2;
    memset(&d1, 0x55, sizeof d1);
    memset(&d2, 0x55, sizeof d2);
    JfStatus r1 = shard_json_doc(line, len, &b1, &d1, &e1);
    JfStatus r2 = shard_json_doc_jansson(line, len, &b2, &d2, &e2);
    if (r1 != r2) fprintf(stderr, "disagree (%d vs %d) on: %.*s\n", r1, r2, (int)len, line);
    assert_int_equal(r1, r2);
    if (r1 == JF_OK) {
        assert_int_equal(d1.text_len, d2.text_len);
        assert_memory_equal(d1.text, d2.text, d1.text_len);
        assert_int_equal(d1.chars, d2.chars);
        assert_string_equal(d1.lang, d2.lang);
        assert_string_equal(d1.source, d2.source);
    } else {
        assert_string_equal(e1.msg, e2.msg);
    }
    jf_buf_free(&b1);
    jf_buf_free(&b2);
    return r1;
}

static JfStatus both_s(const char *line) { return both(line, strlen(line)); }

static void test_fields(void **state)
{
    (void)state;
    JfBuf b;
    jf_buf_init(&b, 0);
    ShardJsonDoc d;
    JfError e;
    const char *line = "{\"id\":\"x\",\"text\":\"a\\nb\\u00e9\\ud83d\\ude00\",\"source\":\"cc\","
                       "\"lang\":\"ja\",\"meta\":{\"n\":[1,2.5e-3,{\"k\":null}]}}";
    assert_int_equal(shard_json_doc(line, strlen(line), &b, &d, &e), JF_OK);
    assert_int_equal(d.text_len, 1 + 1 + 1 + 2 + 4);
    assert_memory_equal(d.text, "a\nb\xc3\xa9\xf0\x9f\x98\x80", d.text_len);
    assert_int_equal(d.chars, 5);
    assert_string_equal(d.lang, "ja");
    assert_string_equal(d.source, "cc");
    line = "{\"id\":\"x\",\"text\":\"t\",\"language\":\"en\"}";
    assert_int_equal(shard_json_doc(line, strlen(line), &b, &d, &e), JF_OK);
    assert_string_equal(d.lang, "en");
    assert_string_equal(d.source, "");
    line = "{\"id\":\"x\",\"text\":\"t\",\"lang\":\"ja\",\"language\":\"en\"}";
    assert_int_equal(shard_json_doc(line, strlen(line), &b, &d, &e), JF_OK);
    assert_string_equal(d.lang, "ja");
    jf_buf_free(&b);
}

static void test_cases(void **state)
{
    (void)state;
    static const char *const OK[] = {
        "{\"id\":\"1\",\"text\":\"\"}",
        " {\"text\" : \"x\" , \"id\" : \"1\" }\r",
        "{\"id\":\"1\",\"text\":\"\\u0000nul\\\"\\\\\\/\\b\\f\\r\\t\"}",
        "{\"id\":\"1\",\"text\":\"x\",\"url\":null,\"created\":\"2024\",\"meta\":{}}",
        "{\"id\":\"1\",\"text\":\"x\",\"n\":-0,\"m\":123456789012345678,\"r\":0.76394293125810631}",
        "{\"id\":\"1\",\"text\":\"x\",\"r\":1e99,\"s\":-1.5E+07,\"t\":[true,false,null,[],{}]}",
        "{\"id\":\"1\",\"text\":\"x\",\"source\":null,\"lang\":null,\"language\":5}",
        "{\"\\u0069d\":\"1\",\"te\\u0078t\":\"escaped keys\"}",
        "{\"id\":\"1\",\"text\":\"x\",\"lang\":\"a-very-long-language-name-that-goes-past-the-limit-of-47\"}",
        "{\"id\":\"1\",\"text\":\"x\",\"source\":\"\\u3042\\u3042\\u3042\\u3042\\u3042\\u3042\\u3042\\u3042\\u3042\\u3042\\u3042\\u3042\\u3042\\u3042\\u3042\\u3042\\u3042\"}",
        "{\"id\":\"1\",\"text\":\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80 \xc3\xa9 \xef\xbf\xbf\"}",
        "{\"id\":\"1\",\"text\":\"x\",\"d\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
        "{\"id\":\"1\",\"text\":\"first\",\"text\":\"second\"}",
        "{\"id\":\"1\",\"text\":\"x\",\"a\":1,\"a\":2}",
    };
    static const char *const BAD[] = {
        "", "[]", "\"s\"", "{", "{}", "{\"id\":\"1\"}", "{\"text\":\"x\"}",
        "{\"id\":1,\"text\":\"x\"}", "{\"id\":\"1\",\"text\":null}", "{\"id\":\"1\",\"text\":5}",
        "{\"id\":\"1\",\"text\":\"x\",\"lang\":5}", "{\"id\":\"1\",\"text\":\"x\",\"source\":[]}",
        "{\"id\":\"1\",\"text\":\"x\",\"url\":1}", "{\"id\":\"1\",\"text\":\"x\",\"created\":{}}",
        "{\"id\":\"1\",\"text\":\"x\"} x", "{\"id\":\"1\",\"text\":\"x\",}", "{\"id\":\"1\" \"text\":\"x\"}",
        "{\"id\":\"1\",\"text\":\"\\x\"}", "{\"id\":\"1\",\"text\":\"\\u12\"}",
        "{\"id\":\"1\",\"text\":\"\\ud800\"}", "{\"id\":\"1\",\"text\":\"\\udc00\"}",
        "{\"id\":\"1\",\"text\":\"\\ud800\\u0041\"}", "{\"id\":\"1\",\"text\":\"a\tb\"}",
        "{\"id\":\"1\",\"text\":\"\xc0\xaf\"}", "{\"id\":\"1\",\"text\":\"\xed\xa0\x80\"}",
        "{\"id\":\"1\",\"text\":\"\xf4\x90\x80\x80\"}", "{\"id\":\"1\",\"text\":\"\xe6\x97\"}",
        "{\"id\":\"1\",\"text\":\"\x80\"}", "{\"id\":\"1\",\"text\":\"x\",\"n\":01}",
        "{\"id\":\"1\",\"text\":\"x\",\"n\":1.}", "{\"id\":\"1\",\"text\":\"x\",\"n\":-}",
        "{\"id\":\"1\",\"text\":\"x\",\"n\":1e}", "{\"id\":\"1\",\"text\":\"x\",\"n\":tru}",
        "{\"id\":\"1\",\"text\":\"x\",\"n\":truex}", "{\"id\":\"1\",\"text\":\"x\",\"n\":[1,]}",
        "{\"id\":\"1\",\"text\":\"x\",\"n\":12345678901234567890}",
        "{\"id\":\"1\",\"text\":\"x\",\"n\":-9223372036854775809}",
        "{\"id\":\"1\",\"text\":\"unterminated}",
        "{\"\\u0000id\":\"1\",\"text\":\"x\"}",
        "{\"id\":\"1\",\"text\":\"x\",\"k\\u0000\":1}",
        "{\"id\":\"1\",\"text\":\"x\",\"meta\":{\"k\\u0000\":1}}",
        "{\"id\":\"1\",\"text\":\"x\",\"big\":12345678901234567890123}",
        "{\"id\":\"1\",\"text\":\"x\",\"huge\":1e400}",
    };
    for (size_t i = 0; i < sizeof OK / sizeof *OK; i++) assert_int_equal(both_s(OK[i]), JF_OK);
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) assert_int_equal(both_s(BAD[i]), JF_EFORMAT);
    /* NUL bytes inside a line are not JSON */
    static const char NUL_LINE[] = "{\"id\":\"1\",\"text\":\"a\0b\"}";
    assert_int_equal(both(NUL_LINE, sizeof NUL_LINE - 1), JF_EFORMAT);
}

/* Random damage to a document shaped like extract's output. */
static void test_mutations(void **state)
{
    (void)state;
    static const char BASE[] =
        "{\"id\":\"urn:uuid:f31e4e5d\",\"text\":\"\xe4\xbb\x98\xe9\x8c\xb2" "A \xe8\xa3\x9c\xe9\x81\xba\\n"
        "Debian \\\"x\\\" \\u00e9\\ud83d\\ude00 tab\\tend. The Debian Reference is a broad "
        "overview of system administration\",\"source\":\"cc\",\"lang\":\"ja\","
        "\"url\":\"http://127.0.0.1/ja.html\",\"created\":null,\"meta\":{\"charset\":\"UTF-8\","
        "\"lang_score\":0.76394293125810631,\"warc_offset\":2711293,\"ok\":true,\"l\":[1,-2.5e-3]}}";
    static const char ALPHABET[] = "{}[]\":,\\u0123456789abcdefnrtlsE.-+ \t\xe3\x80\x81\xc3\xed\xa0\xff";
    char line[sizeof BASE + 64];
    uint64_t x = 88172645463325252ULL;
    int accepted = 0;
    for (int round = 0; round < 200000; round++) {
        size_t len = sizeof BASE - 1;
        memcpy(line, BASE, len);
        int edits = 1 + round % 3;
        for (int k = 0; k < edits && len > 1; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t at = (size_t)(x >> 20) % len;
            char c = ALPHABET[(x >> 8) % (sizeof ALPHABET - 1)];
            switch (x % 4) {
            case 0: line[at] = c; break;                                   /* replace */
            case 1: memmove(line + at, line + at + 1, len - at - 1); len--; break;   /* delete */
            case 2:                                                         /* insert */
                if (len + 1 < sizeof line) {
                    memmove(line + at + 1, line + at, len - at);
                    line[at] = c;
                    len++;
                }
                break;
            default: len = at + 1; break;                                   /* truncate */
            }
        }
        accepted += both(line, len) == JF_OK;
    }
    /* both outcomes are well represented */
    assert_true(accepted > 20000 && accepted < 180000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
