/* test_wikitext.c: wikitext to plain text, one case per kind of markup
 * (wikitext-N.M), plus hostile input: unclosed templates, deep nesting,
 * a long page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "wikitext.h"

typedef struct {
    const char *id, *in, *want;
    size_t      unclosed;
} Case;

static const Case CASES[] = {
    { "wikitext-1.1", "日本語の文章です。", "日本語の文章です。", 0 },
    { "wikitext-1.2", "'''東京'''は''日本''の首都。", "東京は日本の首都。", 0 },
    { "wikitext-2.1", "[[東京都|東京]]に住む。", "東京に住む。", 0 },
    { "wikitext-2.2", "[[大阪]]と[[京都]]s", "大阪と京都s", 0 },
    { "wikitext-2.3", "前[[ファイル:A.jpg|thumb|説明 [[リンク]] 付き]]後", "前後", 0 },
    { "wikitext-2.4", "本文[[Category:Foo]][[カテゴリ:日本]][[en:Tokyo]]", "本文", 0 },
    { "wikitext-2.5", "[[:Category:Foo]]を見よ", "Category:Fooを見よ", 0 },
    { "wikitext-3.1", "公式[https://example.jp サイト]と[http://x.jp]", "公式サイトと", 0 },
    { "wikitext-4.1", "前{{Infobox|名前=東京|人口={{formatnum:1000}}}}後", "前後", 0 },
    { "wikitext-4.2", "前{{{param|既定}}}後", "前後", 0 },
    { "wikitext-4.3", "本文{{未完結のテンプレート|...", "本文", 1 },
    { "wikitext-5.1", "前\n{| class=wikitable\n|-\n| a || b\n|}\n後", "前\n後", 0 },
    { "wikitext-5.2", "前\n{|\n|\n{|\n|内側\n|}\n|}\n後", "前\n後", 0 },
    { "wikitext-6.1", "文<ref>出典</ref>です<ref name=\"a\" />。", "文です。", 0 },
    { "wikitext-6.2", "a<!-- 注記 -->b<gallery>x.jpg</gallery>c", "abc", 0 },
    { "wikitext-6.3", "<span style=\"x\">強調</span>と<small>小</small>", "強調と小", 0 },
    { "wikitext-6.4", "一行目<br />二行目", "一行目\n二行目", 0 },
    { "wikitext-6.5", "x < y かつ z > w", "x < y かつ z > w", 0 },
    { "wikitext-7.1", "== 歴史 ==\n本文\n=== 近代 ===", "歴史\n本文\n近代", 0 },
    { "wikitext-7.2", "* 一つ目\n** 二つ目\n# 番号\n: 字下げ\n; 用語", "一つ目\n二つ目\n番号\n字下げ\n用語", 0 },
    { "wikitext-7.3", "前\n----\n後", "前\n後", 0 },
    { "wikitext-8.1", "__NOTOC__本文__TOC__", "本文", 0 },
    { "wikitext-8.2", "A&nbsp;B &amp; C &lt;d&gt; &#x3042;&#12354;", "A B & C <d> ああ", 0 },
    { "wikitext-9.1", "本文<ref>閉じない参照", "本文", 1 },
    { "wikitext-9.2", "本文<!-- 閉じないコメント", "本文", 1 },
};

static void every_kind_of_markup(void **state)
{
    (void)state;
    JfBuf out;
    jf_buf_init(&out, 0);
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        WikitextStats st;
        assert_int_equal(wikitext_to_text(CASES[i].in, strlen(CASES[i].in), &out, &st), JF_OK);
        const char *got = out.data ? (const char *)out.data : "";
        if (strcmp(got, CASES[i].want) || st.unclosed != CASES[i].unclosed)
            fail_msg("%s: got \"%s\" (unclosed %zu), want \"%s\" (unclosed %zu)", CASES[i].id, got,
                     st.unclosed, CASES[i].want, CASES[i].unclosed);
    }
    jf_buf_free(&out);
}

static void deep_nesting_and_size(void **state)
{
    (void)state;
    size_t n = 200000;
    char *s = malloc(4 * n + 64);
    size_t len = 0;
    for (size_t i = 0; i < n; i++) s[len++] = '{', s[len++] = '{';
    memcpy(s + len, "中身", 6), len += 6;
    for (size_t i = 0; i < n; i++) s[len++] = '}', s[len++] = '}';
    memcpy(s + len, "後ろ", 6), len += 6;
    JfBuf out;
    jf_buf_init(&out, 0);
    WikitextStats st;
    assert_int_equal(wikitext_to_text(s, len, &out, &st), JF_OK);
    assert_string_equal((char *)out.data, "後ろ");
    free(s);
    /* brackets with no end at all, many of them: linear, never a crash */
    s = malloc(n + 1);
    memset(s, '[', n);
    s[n] = 0;
    assert_int_equal(wikitext_to_text(s, n, &out, &st), JF_OK);
    free(s);
    jf_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_of_markup),
        cmocka_unit_test(deep_nesting_and_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
