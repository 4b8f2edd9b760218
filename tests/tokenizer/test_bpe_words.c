/* test_bpe_words.c: the word table shared by BPE training and extension
 * (bpe_words.h) and MeCab's morpheme cuts (bpe_mecab.h): counts and insertion
 * order across rehashes, SentencePiece's cutting before U+2581 runs, extra
 * cuts (ignored inside a character or after a U+2581), the Japanese-only and
 * strip flags; MeCab's cuts on a known sentence (what `mecab -Owakati` gives),
 * on invalid UTF-8 and on a line over the 64 KiB piece size; a bad dictionary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpe_mecab.h"
#include "bpe_words.h"
#include "jf_alloc.h"

#define WS "\xE2\x96\x81"

static bool has_word(const BpeWords *t, const char *s, uint64_t count)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->w[i].len == strlen(s) && !memcmp(bpe_words_text(t, i), s, t->w[i].len))
            return t->w[i].count == count;
    return false;
}

/* words-1.1: counts add up; word i stays the i-th distinct word through rehashes. */
static void test_words_1_1_table(void **state)
{
    (void)state;
    BpeWords t;
    bpe_words_init(&t);
    char buf[32];
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 20000; i++) {
            int k = snprintf(buf, sizeof buf, "w%d", i);
            assert_true(bpe_words_add(&t, buf, (size_t)k, (uint64_t)round + 1));
        }
    assert_int_equal(t.n, 20000);
    for (int i = 0; i < 20000; i += 997) {
        int k = snprintf(buf, sizeof buf, "w%d", i);
        assert_int_equal(t.w[i].len, k);
        assert_memory_equal(bpe_words_text(&t, (size_t)i), buf, (size_t)k);
        assert_int_equal(t.w[i].count, 6);
    }
    assert_true(bpe_words_add(&t, "", 0, 1));   /* the empty word is a word like another */
    assert_int_equal(t.n, 20001);
    bpe_words_free(&t);
    assert_null(t.w);
}

/* words-1.2: cutting a normalized sentence. */
static void test_words_1_2_split(void **state)
{
    (void)state;
    BpeWords t;
    bpe_words_init(&t);
    const char *s = WS "ab" WS WS "cd" WS "e";
    assert_true(bpe_words_add_sentence(&t, s, strlen(s), NULL, 0, 0));
    assert_int_equal(t.n, 3);
    assert_true(has_word(&t, WS "ab", 1) && has_word(&t, WS WS "cd", 1) && has_word(&t, WS "e", 1));
    bpe_words_free(&t);
    /* Extra cuts: at 4 (before b), 8 (a U+2581 after another: ignored), 12
     * (inside a 3-byte character: ignored), 14 (before the second kanji). */
    const char *j = WS "ab" WS WS "日本";   /* 0 ▁, 3 a, 4 b, 5 ▁, 8 ▁, 11 日, 14 本 */
    const uint32_t cuts[] = { 4, 8, 12, 14 };
    assert_true(bpe_words_add_sentence(&t, j, strlen(j), cuts, 4, 0));
    assert_int_equal(t.n, 4);
    assert_true(has_word(&t, WS "a", 1) && has_word(&t, "b", 1) &&
                has_word(&t, WS WS "日", 1) && has_word(&t, "本", 1));
    bpe_words_free(&t);
    /* Japanese only, leading U+2581 stripped; invalid bytes step one by one. */
    const char *m = WS "abc" WS "日本" WS "\xFF\xE3" WS WS "語";
    assert_true(bpe_words_add_sentence(&t, m, strlen(m), NULL, 0,
                                       BPE_SPLIT_JA_ONLY | BPE_SPLIT_STRIP_WS));
    assert_int_equal(t.n, 2);
    assert_true(has_word(&t, "日本", 1) && has_word(&t, "語", 1));
    assert_true(bpe_words_add_sentence(&t, WS WS, 6, NULL, 0, BPE_SPLIT_STRIP_WS));
    assert_int_equal(t.n, 2);   /* only U+2581: nothing left to count */
    bpe_words_free(&t);
}

/* words-1.3: MeCab's cuts: morpheme starts, the space before one included. */
static void test_words_1_3_mecab(void **state)
{
    (void)state;
    BpeMecab *m;
    JfError err;
    assert_int_equal(bpe_mecab_open(NULL, &m, &err), JF_OK);
    /* mecab -Owakati: 今日 は 良い 天気 です 。 */
    const char *s = "今日は 良い天気です。";
    const uint32_t *c;
    size_t n;
    assert_int_equal(bpe_mecab_cuts(m, s, strlen(s), &c, &n, &err), JF_OK);
    const uint32_t want[] = { 6, 9, 16, 22, 28 };
    assert_int_equal(n, 5);
    assert_memory_equal(c, want, sizeof want);
    /* Invalid UTF-8 and NUL: cuts stay ascending and inside the line. */
    const char bad[] = "日本\xFF\xFE語\0です \xE3\x81";
    assert_int_equal(bpe_mecab_cuts(m, bad, sizeof bad - 1, &c, &n, &err), JF_OK);
    for (size_t i = 0; i < n; i++)
        assert_true(c[i] > 0 && c[i] < sizeof bad - 1 && (!i || c[i] > c[i - 1]));
    /* A line of 200,000 bytes without spaces is analysed in pieces. */
    size_t len = 0;
    char *big = malloc(200001);
    assert_non_null(big);
    for (; len + 21 <= 200000; len += 21) memcpy(big + len, "日本語の文です", 21);
    assert_int_equal(bpe_mecab_cuts(m, big, len, &c, &n, &err), JF_OK);
    assert_true(n > 20000);
    for (size_t i = 0; i < n; i++) {
        assert_true(c[i] < len && (!i || c[i] > c[i - 1]));
        assert_int_not_equal((uint8_t)big[c[i]] & 0xC0, 0x80);   /* a character start */
    }
    free(big);
    bpe_mecab_close(m);
    assert_int_equal(bpe_mecab_open("/nonexistent/dic", &m, &err), JF_EIO);
    assert_null(m);
    bpe_mecab_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words_1_1_table),
        cmocka_unit_test(test_words_1_2_split),
        cmocka_unit_test(test_words_1_3_mecab),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
