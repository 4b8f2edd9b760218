/* test_html_hostile.c: huge, deep, binary, truncated and ill-formed input to
 * the extraction path (charset_detect -> charset_to_utf8 -> html_extractor).
 * Nothing may crash, recurse without bound or return invalid UTF-8. Times are
 * printed, never asserted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "charset.h"
#include "extract_testutil.h"
#include "html_text.h"
#include "jf_alloc.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static HtmlExtractor *open_x(size_t max_input)
{
    HtmlTextOptions o;
    html_text_options_init(&o);
    o.max_input = max_input;
    HtmlExtractor *x;
    JfError err;
    assert_int_equal(html_extractor_open(&o, &x, &err), JF_OK);
    return x;
}

/* Bytes -> charset -> UTF-8 -> text, the way extract_page does it. */
static void full_path(HtmlExtractor *x, const uint8_t *b, size_t n, const char *ct, JfBuf *u,
                      HtmlText *t)
{
    CharsetGuess g;
    JfError err;
    assert_int_equal(charset_detect(b, n, ct, &g, &err), JF_OK);
    jf_buf_reset(u);
    size_t rep = 0;
    assert_int_equal(charset_to_utf8(g.name, b, n, u, &rep, &err), JF_OK);
    assert_true(charset_is_valid_utf8(u->data ? u->data : (const uint8_t *)"", u->len, false));
    JfStatus rc = html_extractor_run(x, u->data ? (const char *)u->data : "", u->len, t, &err);
    assert_int_equal(rc, JF_OK);
    assert_true(charset_is_valid_utf8((const uint8_t *)t->text, t->text_len, false));
    assert_int_equal(strlen(t->text), t->text_len);
}

static void test_huge_single_line(void **state)
{
    (void)state;
    const char *unit = "<p>日本語のテキストです。<b>太字</b>と<a href=\"x\">リンク</a>。</p>";
    size_t ul = strlen(unit), n = 50u << 20, reps = n / ul;
    char *big = malloc(reps * ul + 1);
    assert_non_null(big);
    for (size_t i = 0; i < reps; i++) memcpy(big + i * ul, unit, ul);
    big[reps * ul] = '\0';
    size_t len = reps * ul;

    HtmlExtractor *x = open_x(0); /* default 8 MiB */
    HtmlText t;
    JfError err;
    assert_int_equal(html_extractor_run(x, big, len, &t, &err), JF_ETOOBIG);
    assert_int_equal(err.code, JF_ETOOBIG);
    assert_int_equal(t.text_len, 0);
    const char *small = "<p>still works</p>";
    assert_int_equal(html_extractor_run(x, small, strlen(small), &t, &err), JF_OK);
    assert_string_equal(t.text, "still works");
    html_extractor_close(x);

    /* raised limit: the whole line is parsed, one text line per <p> */
    x = open_x(64u << 20);
    double t0 = now_s();
    assert_int_equal(html_extractor_run(x, big, len, &t, &err), JF_OK);
    double dt = now_s() - t0;
    size_t lines = 1;
    for (size_t i = 0; i < t.text_len; i++) lines += t.text[i] == '\n';
    assert_int_equal(lines, reps);
    assert_memory_equal(t.text, "日本語のテキストです。太字とリンク。\n",
                        strlen("日本語のテキストです。太字とリンク。\n"));
    print_message("50 MB single line: %zu lines in %.2f s (%.0f MB/s)\n", lines, dt,
                  (double)len / 1e6 / dt);
    /* and a 50 MB text node without any tag */
    memset(big, 'a', len);
    assert_int_equal(html_extractor_run(x, big, len, &t, &err), JF_OK);
    assert_int_equal(t.text_len, len);
    html_extractor_close(x);
    free(big);
}

/* 100,000 nested elements, closed or not: no recursion, bounded memory, the
 * innermost and the following text both come out. */
static void test_deep_nesting(void **state)
{
    (void)state;
    static const char *const tags[] = {"div", "span", "b", "table", "ul", "p", "a", "font",
                                       "section", "blockquote"};
    const size_t depth = 100000;
    JfBuf h, u;
    jf_buf_init(&h, 0);
    jf_buf_init(&u, 0);
    HtmlExtractor *x = open_x(0);
    for (size_t k = 0; k < sizeof tags / sizeof tags[0]; k++) {
        for (int closed = 0; closed < 2; closed++) {
            char open[32], close[32];
            snprintf(open, sizeof open, "<%s>", tags[k]);
            snprintf(close, sizeof close, "</%s>", tags[k]);
            jf_buf_reset(&h);
            jf_buf_append_str(&h, "<html><body><p>before</p>");
            for (size_t i = 0; i < depth; i++) jf_buf_append_str(&h, open);
            jf_buf_append_str(&h, "奥深くのテキスト");
            if (closed)
                for (size_t i = 0; i < depth; i++) jf_buf_append_str(&h, close);
            jf_buf_append_str(&h, "<p>after</p></body></html>");
            size_t live0 = jf_alloc_live_bytes();
            double t0 = now_s();
            HtmlText t;
            JfError err;
            assert_int_equal(html_extractor_run(x, (const char *)h.data, h.len, &t, &err), JF_OK);
            double dt = now_s() - t0;
            if (!strstr(t.text, "奥深くのテキスト") || !strstr(t.text, "before"))
                fail_msg("<%s> x %zu (closed %d): text lost: [%.200s]", tags[k], depth, closed,
                         t.text);
            if (closed && !strstr(t.text, "after"))
                fail_msg("<%s> x %zu closed: no text after: [%.200s]", tags[k], depth, t.text);
            /* our own memory: the text and the fixed frame array only */
            assert_true(jf_alloc_live_bytes() - live0 < ((size_t)1 << 20));
            print_message("<%s> x %zu %s: %.3f s, %zu text bytes\n", tags[k], depth,
                          closed ? "closed" : "unclosed", dt, t.text_len);
        }
    }
    html_extractor_close(x);
    jf_buf_free(&h);
    jf_buf_free(&u);
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_binary_garbage(void **state)
{
    (void)state;
    HtmlExtractor *x = open_x(0);
    JfBuf u;
    jf_buf_init(&u, 0);
    HtmlText t;
    /* real binary files: PNG images shipped with maint-guide-ja */
    char **pngs = tu_list_data("pkgs/maint-guide-ja/usr/share/doc/maint-guide-ja/html/images",
                               ".png");
    for (char **p = pngs; *p; p++) {
        size_t n;
        uint8_t *b = tu_read_data(*p, &n);
        full_path(x, b, n, "text/html", &u, &t);
        full_path(x, b, n, "text/html; charset=utf-8", &u, &t);
        full_path(x, b, n, "text/html; charset=Shift_JIS", &u, &t);
        free(b);
    }
    tu_free_list(pngs);
    /* random bytes, with and without markup characters mixed in */
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    for (int round = 0; round < 40; round++) {
        size_t n = 1 + (size_t)(rng_next(&seed) % 200000);
        uint8_t *b = malloc(n);
        assert_non_null(b);
        for (size_t i = 0; i < n; i++) {
            uint8_t c = (uint8_t)rng_next(&seed);
            if (round % 2 && c < 40) c = (uint8_t)"<>/=\"&;#p!- \n"[c % 13];
            b[i] = c;
        }
        full_path(x, b, n, round % 3 ? "text/html" : NULL, &u, &t);
        free(b);
    }
    jf_buf_free(&u);
    html_extractor_close(x);
}

static void test_truncated_pages(void **state)
{
    (void)state;
    size_t n;
    uint8_t *b = tu_read_data("pkgs/debian-reference-ja/usr/share/debian-reference/ch01.ja.html",
                              &n);
    HtmlExtractor *x = open_x(0);
    JfBuf u;
    jf_buf_init(&u, 0);
    HtmlText t;
    uint64_t seed = 12345;
    for (int i = 0; i < 60; i++) {
        size_t cut = (size_t)(rng_next(&seed) % n);
        full_path(x, b, cut, NULL, &u, &t);
    }
    free(b);
    /* EUC-JP, cut inside characters too */
    b = tu_read_data("pkgs/namazu2-common/usr/share/doc/namazu2-common/ja/tutorial.html", &n);
    for (size_t cut = 1; cut < n; cut += n / 37 + 1) full_path(x, b, cut, NULL, &u, &t);
    free(b);
    jf_buf_free(&u);
    html_extractor_close(x);
}

static void test_ill_formed_utf8(void **state)
{
    (void)state;
    HtmlExtractor *x = open_x(0);
    HtmlText t;
    JfError err;
    static const char bad[] = "<p>abc\xff\xfe def \xe3\x81</p><p>x\0y</p><p>\xed\xa0\x80z</p>";
    assert_int_equal(html_extractor_run(x, bad, sizeof bad - 1, &t, &err), JF_OK);
    assert_string_equal(t.text, "abc\xef\xbf\xbd\xef\xbf\xbd def \xef\xbf\xbd\nxy\n"
                                "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");
    /* an empty and a markup-only page give nothing, not an error */
    assert_int_equal(html_extractor_run(x, "", 0, &t, &err), JF_OK);
    assert_int_equal(t.text_len, 0);
    assert_int_equal(html_extractor_run(x, "<<<>>></></", 11, &t, &err), JF_OK);
    assert_true(charset_is_valid_utf8((const uint8_t *)t.text, t.text_len, false));
    /* a 300 KB title is cut to its cap at a character boundary, not an error */
    JfBuf h;
    jf_buf_init(&h, 0);
    jf_buf_append_str(&h, "<title>");
    for (int i = 0; i < 100000; i++) jf_buf_append_str(&h, "あ");
    jf_buf_append_str(&h, "</title><p>body</p>");
    assert_int_equal(html_extractor_run(x, (const char *)h.data, h.len, &t, &err), JF_OK);
    assert_string_equal(t.text, "body");
    assert_true(t.title_len > 1000 && t.title_len <= 4096);
    assert_true(charset_is_valid_utf8((const uint8_t *)t.title, t.title_len, false));
    jf_buf_free(&h);
    html_extractor_close(x);
}

/* The time budget stops a page that takes too long, reports JF_ETIMEOUT,
 * and leaves the extractor usable. A budget of a nanosecond trips at the
 * first check (after the first 64 KB of input); small pages never reach it. */
static void test_time_budget(void **state)
{
    (void)state;
    HtmlTextOptions opt;
    html_text_options_init(&opt);
    assert_true(opt.max_seconds > 0);
    opt.max_seconds = 1e-9;
    HtmlExtractor *x;
    JfError err;
    assert_int_equal(html_extractor_open(&opt, &x, &err), JF_OK);
    size_t n = 1u << 20;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i += 8) memcpy(big + i, "<p>abc</", 8);
    big[n] = '\0';
    HtmlText ht;
    assert_int_equal(html_extractor_run(x, big, n, &ht, &err), JF_ETIMEOUT);
    const char *small = "<p>まだ使える</p>";
    assert_int_equal(html_extractor_run(x, small, strlen(small), &ht, &err), JF_OK);
    assert_string_equal(ht.text, "まだ使える");
    free(big);
    html_extractor_close(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_huge_single_line),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_binary_garbage),
        cmocka_unit_test(test_truncated_pages),
        cmocka_unit_test(test_ill_formed_utf8),
        cmocka_unit_test(test_time_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
