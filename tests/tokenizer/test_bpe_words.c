/* test_bpe_words.c: the word table shared by BPE training and extension
 * (bpe_words.h) and MeCab's morpheme cuts (bpe_mecab.h): counts and insertion
 * order across rehashes, SentencePiece's cutting before U+2581 runs, extra
 * cuts (ignored inside a character or after a U+2581), the Japanese-only and
 * strip flags; MeCab's cuts on a known sentence (what `mecab -Owakati` gives),
 * on invalid UTF-8 and on a line over the 64 KiB piece size; a bad dictionary;
 * counting on several threads (bpe_count.h): the table of one thread, whatever
 * the thread count and the way the text is handed over, and a cutter's error
 * reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpe_count.h"
#include "bpe_mecab.h"
#include "bpe_words.h"
#include "jf_alloc.h"
#include "words_check.h"

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
    /* Lines inside a longer text that is not NUL-terminated (a batch of lines),
     * ending with a space: MeCab's dictionary lookup runs strlen from the last
     * word when only white space is left, which read the rest of the batch (and
     * past its end: this buffer is malloc'ed to size, valgrind sees a read past
     * it). The cuts of the line as if alone. */
    static const char more[] = "今日は 良い天気です。 \n明日は雨でしょう ";
    char *exact = malloc(sizeof more - 1);
    assert_non_null(exact);
    memcpy(exact, more, sizeof more - 1);
    assert_int_equal(bpe_mecab_cuts(m, exact, strlen(s) + 1, &c, &n, &err), JF_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(c, want, sizeof want);
    size_t tail = strlen(s) + 2;
    assert_int_equal(bpe_mecab_cuts(m, exact + tail, sizeof more - 1 - tail, &c, &n, &err), JF_OK);
    assert_true(n >= 3 && c[n - 1] < sizeof more - 1 - tail);
    free(exact);
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

/* A cutter: every line is a sentence cut by bpe_words_add_sentence; a line
 * "FAIL" fails with JF_EFORMAT. counters[0] counts lines, [1] bytes. */
static JfStatus line_cut(void *cutter, const char *text, size_t len, BpeWords *words,
                         uint64_t *ctr, JfError *err)
{
    (void)cutter;
    for (size_t p = 0; p < len;) {
        const char *nl = memchr(text + p, '\n', len - p);
        size_t n = nl ? (size_t)(nl - (text + p)) : len - p;
        if (n == 4 && !memcmp(text + p, "FAIL", 4))
            return jf_error_set(err, JF_EFORMAT, "x", p, "failing line");
        if (n && !bpe_words_add_sentence(words, text + p, n, NULL, 0, 0)) return JF_ENOMEM;
        ctr[0]++;
        ctr[1] += n;
        p += n + 1;
    }
    return JF_OK;
}

/* About 4 MB of lines of words "w<k>" separated by U+2581, k drawn so that
 * new words keep appearing in later 1 MiB batches. */
static char *counter_text(size_t *len)
{
    size_t cap = 5u << 20, n = 0;
    char *b = malloc(cap);
    uint64_t x = 88172645463325252ull;
    while (n < 4u << 20) {
        for (int i = 0; i < 12; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            unsigned k = (unsigned)(x % 1000) * (unsigned)(x >> 40 & 0xFF) % 200000;
            n += (size_t)snprintf(b + n, cap - n, "%sw%u", i ? WS : "", k);
        }
        b[n++] = '\n';
    }
    *len = n;
    return b;
}

/* words-1.4: counted on 1, 2 and 5 threads, fed whole or in pieces of whole
 * lines (some without their last '\n'), the table equals the one of one pass
 * over the text (same words, same order, same counts) and the tallies add up. */
static void test_words_1_4_counter(void **state)
{
    (void)state;
    size_t len;
    char *text = counter_text(&len);
    BpeWords ref;
    bpe_words_init(&ref);
    uint64_t lines = 0;
    for (size_t p = 0; p < len; lines++) {
        const char *nl = memchr(text + p, '\n', len - p);
        assert_true(bpe_words_add_sentence(&ref, text + p, (size_t)(nl - (text + p)), NULL, 0, 0));
        p = (size_t)(nl - text) + 1;
    }
    print_message("%zu unique words in %llu lines\n", ref.n, (unsigned long long)lines);
    assert_true(ref.n > 50000);
    static const size_t THREADS[] = { 1, 2, 5, 2 };
    for (size_t r = 0; r < 4; r++) {
        BpeWords got;
        bpe_words_init(&got);
        uint64_t ctr[BPE_COUNTERS] = { 0 };
        void *cutters[5] = { 0 };
        BpeCounter *c;
        JfError err;
        assert_int_equal(bpe_counter_open(THREADS[r], line_cut, cutters, &got, ctr, &c, &err),
                         JF_OK);
        if (r < 2) {
            assert_int_equal(bpe_counter_add(c, text, len, &err), JF_OK);
        } else {   /* pieces of 1..40 lines, the '\n' after each piece left out */
            for (size_t p = 0, k = 0; p < len; k++) {
                size_t q = p;
                for (size_t i = 0; i < k % 40 + 1 && q < len; i++)
                    q = (size_t)((char *)memchr(text + q, '\n', len - q) - text) + 1;
                assert_int_equal(bpe_counter_add(c, text + p, q - p - 1, &err), JF_OK);
                p = q;
            }
        }
        assert_int_equal(bpe_counter_finish(c, &err), JF_OK);
        bpe_counter_close(c);
        tables_equal(&ref, &got);
        assert_int_equal(ctr[0], lines);
        assert_int_equal(ctr[1], len - lines);
        bpe_words_free(&got);
    }
    bpe_words_free(&ref);
    free(text);
}

/* words-1.5: a cutter's error comes back (from add or finish) with its
 * message, again on later calls; closing after it neither hangs nor leaks. */
static void test_words_1_5_counter_error(void **state)
{
    (void)state;
    size_t len, base = jf_alloc_live_bytes();
    char *text = counter_text(&len);
    for (size_t threads = 1; threads <= 3; threads++) {
        BpeWords got;
        bpe_words_init(&got);
        uint64_t ctr[BPE_COUNTERS] = { 0 };
        void *cutters[3] = { 0 };
        BpeCounter *c;
        JfError err;
        assert_int_equal(bpe_counter_open(threads, line_cut, cutters, &got, ctr, &c, &err), JF_OK);
        JfStatus rc = bpe_counter_add(c, text, len / 2, &err);
        if (rc == JF_OK) rc = bpe_counter_add(c, "FAIL\n", 5, &err);
        for (int i = 0; i < 3 && rc == JF_OK; i++) rc = bpe_counter_add(c, text, len, &err);
        if (rc == JF_OK) rc = bpe_counter_finish(c, &err);
        assert_int_equal(rc, JF_EFORMAT);
        assert_non_null(strstr(err.msg, "failing line"));
        assert_int_equal(bpe_counter_add(c, "a\n", 2, &err), JF_EFORMAT);
        assert_int_equal(bpe_counter_finish(c, &err), JF_EFORMAT);
        bpe_counter_close(c);
        bpe_words_free(&got);
    }
    assert_int_equal(bpe_counter_open(0, line_cut, NULL, NULL, NULL, &(BpeCounter *){ 0 },
                                      &(JfError){ 0 }), JF_EUSAGE);
    assert_int_equal(jf_alloc_live_bytes(), base);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words_1_1_table),
        cmocka_unit_test(test_words_1_2_split),
        cmocka_unit_test(test_words_1_3_mecab),
        cmocka_unit_test(test_words_1_4_counter),
        cmocka_unit_test(test_words_1_5_counter_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
