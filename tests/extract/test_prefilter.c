/* test_prefilter.c: the cheap "maybe Japanese" test on raw page bytes. Each
 * rule alone on small pages (table-driven), then real Debian pages: every
 * Japanese page passes whatever its charset, the English ones do not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "extract_testutil.h"
#include "prefilter.h"

typedef struct {
    const char *name;
    const char *content_type;
    const char *page;
    bool        want;
} PrefilterCase;

/* "テスト" and "の" in Shift_JIS and EUC-JP; "日本" (no kana) in both. */
#define SJIS_TESUTO "\x83\x65\x83\x58\x83\x67"
#define EUC_TESUTO  "\xa5\xc6\xa5\xb9\xa5\xc8"
#define SJIS_NIHON  "\x93\xfa\x96\x7b"
#define EUC_NIHON   "\xc6\xfc\xcb\xdc"

static const PrefilterCase CASES[] = {
    {"pre-1.1 lang ja", NULL, "<html lang=\"ja\"><title>x</title>", true},
    {"pre-1.2 lang ja-JP", NULL, "<HTML LANG='ja-JP'>", true},
    {"pre-1.3 lang ja_JP", NULL, "<html class=x lang=ja_JP>", true},
    {"pre-1.4 lang jpn", NULL, "<html lang=\"jpn\">", true},
    {"pre-1.5 lang jp (common mistake)", NULL, "<html lang=\"jp\">", true},
    {"pre-1.6 xml:lang", NULL, "<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"ja\">",
     true},
    {"pre-1.7 lang en", NULL, "<html lang=\"en\"><title>Hello</title>", false},
    {"pre-1.8 lang jav", NULL, "<html lang=\"jav\">", false},
    {"pre-1.9 lang jajp", NULL, "<html lang=\"jajp\">", false},
    {"pre-1.10 <htmlx> is not <html>", NULL, "<htmlx lang=\"ja\">", false},
    {"pre-2.1 header Shift_JIS", "text/html; charset=Shift_JIS", "<p>x</p>", true},
    {"pre-2.2 header x-sjis", "text/html;charset=\"x-sjis\"", "", true},
    {"pre-2.3 header EUC-JP", "text/html; charset=euc-jp", "", true},
    {"pre-2.4 header ISO-2022-JP", "text/html; charset=ISO-2022-JP", "", true},
    {"pre-2.5 header UTF-8", "text/html; charset=UTF-8", "<p>x</p>", false},
    {"pre-2.6 meta charset", NULL, "<head><meta charset=\"Shift_JIS\"><title>x</title>", true},
    {"pre-2.7 meta http-equiv", NULL,
     "<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=EUC-JP\">", true},
    {"pre-2.8 meta in a comment", NULL, "<!-- <meta charset=\"euc-jp\"> --><title>x</title>",
     false},
    {"pre-3.1 title UTF-8 kana", NULL, "<title>日本語のページ</title>", true},
    {"pre-3.2 title UTF-8 katakana", NULL, "<title>テスト</title>", true},
    {"pre-3.3 title kanji only", NULL, "<title>日本語</title>", false},
    {"pre-3.4 title SJIS kana", NULL, "<title>" SJIS_TESUTO "</title>", true},
    {"pre-3.5 title EUC-JP kana", NULL, "<title>" EUC_TESUTO "</title>", true},
    {"pre-3.6 title SJIS kanji only", NULL, "<title>" SJIS_NIHON "</title>", false},
    {"pre-3.7 title EUC-JP kanji only", NULL, "<title>" EUC_NIHON "</title>", false},
    {"pre-3.8 title ISO-2022-JP", NULL, "<title>\x1b$B%F%9%H\x1b(B</title>", true},
    {"pre-3.9 title NCR decimal", NULL, "<title>&#12486;&#12473;&#12488;</title>", true},
    {"pre-3.10 title NCR hex", NULL, "<title>&#x30c6;st</title>", true},
    {"pre-3.11 title NCR not kana", NULL, "<title>&#x4e2d;&#25991;</title>", false},
    {"pre-3.12 title English", NULL, "<title>Hello world</title><p>text</p>", false},
    {"pre-3.13 title Chinese with one kana", NULL, "<title>中文的网站</title>", false},
    {"pre-4.1 body hiragana", NULL,
     "<title>Manual</title><p>これはにほんごのぶんしょうです。ひらがなをたくさんつかっています。</p>",
     true},
    {"pre-4.2 body Chinese with a stray no", NULL,
     "<title>x</title><p>中文网页的内容在这里，我们使用很多汉字来写文章。这是の一个例子，"
     "还有更多的中文字符在这个段落里面，用来测试过滤器。</p>",
     false},
    {"pre-5.1 empty", NULL, "", false},
    {"pre-5.2 cut title", NULL, "<title>テ", true},
    {"pre-5.3 cut tags", NULL, "<html lang=", false},
    {"pre-5.4 cut tags", NULL, "<title", false},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const PrefilterCase *c = &CASES[i];
        bool got = prefilter_maybe_japanese((const uint8_t *)c->page, strlen(c->page),
                                            c->content_type);
        if (got != c->want) fail_msg("%s: got %d want %d", c->name, got, c->want);
    }
    assert_false(prefilter_maybe_japanese(NULL, 0, NULL));
    assert_true(prefilter_maybe_japanese(NULL, 0, "text/html; charset=sjis"));
}

/* Only the first PREFILTER_SCAN bytes count. */
static void test_scan_limit(void **state)
{
    (void)state;
    size_t pad = PREFILTER_SCAN + 10;
    const char *tail = "<html lang=\"ja\"><title>テスト</title>";
    char *page = malloc(pad + strlen(tail) + 1);
    assert_non_null(page);
    memset(page, ' ', pad);
    strcpy(page + pad, tail);
    assert_false(prefilter_maybe_japanese((const uint8_t *)page, strlen(page), NULL));
    assert_true(prefilter_maybe_japanese((const uint8_t *)page + pad, strlen(tail), NULL));
    free(page);
}

static void check_folder(const char *dir, const char *suffix, bool want)
{
    char **files = tu_list_data(dir, suffix);
    for (char **f = files; *f; f++) {
        size_t n;
        uint8_t *b = tu_read_data(*f, &n);
        if (prefilter_maybe_japanese(b, n, "text/html") != want)
            fail_msg("%s: want %d", *f, want);
        free(b);
    }
    tu_free_list(files);
}

static void test_real_pages(void **state)
{
    (void)state;
    /* Japanese: UTF-8 with kana in the title, and some without ("序章") */
    check_folder("pkgs/debian-reference-ja/usr/share/debian-reference", ".ja.html", true);
    check_folder("pkgs/maint-guide-ja/usr/share/doc/maint-guide-ja/html", ".ja.html", true);
    /* EUC-JP declared nowhere, English titles: only the body's hiragana tell */
    check_folder("pkgs/namazu2-common/usr/share/doc/namazu2-common/ja", ".html", true);
    /* Sphinx pages with <html lang="ja"> */
    check_folder("pkgs/developers-reference-ja/usr/share/developers-reference/ja", ".html", true);
    /* English twins of the same documents, and the Chinese translation (UTF-8,
     * kanji-only titles, no kana) */
    check_folder("pkgs/namazu2-common/usr/share/doc/namazu2-common/en", ".html", false);
    check_folder("pkgs/debian-reference-en/usr/share/debian-reference", ".en.html", false);
    check_folder("pkgs/maint-guide/usr/share/doc/maint-guide/html", ".en.html", false);
    check_folder("pkgs/developers-reference/usr/share/developers-reference", ".html", false);
    check_folder("pkgs/debian-reference-zh-cn/usr/share/debian-reference", ".zh-cn.html", false);
    static const struct {
        const char *path;
        bool        want;
    } one[] = {
        {"pkgs/edict/usr/share/doc/edict/edict_doc.html", true},         /* meta EUC-JP */
        {"pkgs/kanjidic/usr/share/doc/kanjidic/kanjidic_doc_legacy.html", true},
        {"pkgs/edict/usr/share/doc/edict/compdic_doc.html", false},      /* ISO-8859-1 */
        {"pkgs/kanjidic/usr/share/doc/kanjidic/kanjidic_doc.html", false}, /* English */
    };
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
        size_t n;
        uint8_t *b = tu_read_data(one[i].path, &n);
        if (prefilter_maybe_japanese(b, n, NULL) != one[i].want)
            fail_msg("%s: want %d", one[i].path, one[i].want);
        free(b);
    }
    /* the vim tutor in all three encodings is Japanese text */
    const char *dir = tu_vim_tutor_dir();
    static const char *const twins[] = {"tutor.ja.sjis", "tutor.ja.euc", "tutor.ja.utf-8"};
    for (size_t i = 0; i < 3; i++) {
        char p[600];
        size_t n;
        snprintf(p, sizeof p, "%s/%s", dir, twins[i]);
        uint8_t *b = tu_read_data(p, &n);
        if (!prefilter_maybe_japanese(b, n, "text/plain")) fail_msg("%s: want 1", p);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_scan_limit),
        cmocka_unit_test(test_real_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
