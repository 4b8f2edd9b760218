/* test_html_text.c: HTML to text. Table-driven cases for the text rules and the
 * boilerplate heuristic, then real Debian documentation (debian-reference-ja,
 * maint-guide-ja): the body paragraphs, found independently with libxml2's
 * tree parser and XPath, must survive boilerplate removal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include "extract_testutil.h"
#include "html_text.h"
#include "jf_alloc.h"

typedef struct {
    const char *name;
    const char *html;
    const char *text;      /* expected, exactly */
    const char *title;     /* NULL: not checked */
    bool        keep_all;  /* remove_boilerplate = false */
} HtmlCase;

static const HtmlCase CASES[] = {
    {"html-1.1 collapse", "<p>a  b\n c\t</p>", "a b c", "", false},
    {"html-1.2 dropped",
     "<html><head><title> The  title </title><style>x{}</style><script>var a=1;</script>"
     "</head><body><p>x</p><script>bad()</script><noscript>ns</noscript><template>tp"
     "</template><svg><title>svgt</title><text>s</text></svg>y<select><option>o</option>"
     "</select><button>b</button><textarea>ta</textarea></body></html>",
     "x\ny", "The title", false},
    {"html-1.3 entities", "<p>&lt;a&gt; &amp; &quot;q&quot; &#x3042;&#12356; &nbsp;x</p>",
     "<a> & \"q\" \xe3\x81\x82\xe3\x81\x84 x", NULL, false},
    {"html-1.4 blocks", "<div>a<div>b</div>c</div><ul><li>1</li><li>2</li></ul>a<br>b<hr>c",
     "a\nb\nc\n1\n2\na\nb\nc", NULL, false},
    {"html-1.5 pre", "<pre>  line1\n\n    line2  \r\n</pre><p>after</p>",
     "  line1\n    line2\nafter", NULL, false},
    {"html-1.6 cjk line join", "<p>日本語の\n  文章です。\nEnglish\nwords 日本\n語</p>",
     "日本語の文章です。 English words 日本語", NULL, false},
    {"html-1.7 inline", "<p><b>foo</b><i>bar</i> <span>baz</span> <em>qux</em></p>",
     "foobar baz qux", NULL, false},
    {"html-1.8 ruby", "<p><ruby>漢<rp>(</rp><rt>かん</rt><rp>)</rp>字<rt>じ</rt></ruby>を読む</p>",
     "漢字を読む", NULL, false},
    {"html-1.9 empty", "", "", "", false},
    {"html-1.10 cells", "<table><tr><th>k</th><td>a</td><td>b</td></tr></table>", "k\na\nb",
     NULL, false},
    {"html-1.11 trim", "<p>   </p><p> x </p><div>\n\n</div>", "x", NULL, false},
    {"html-1.12 unclosed", "<p>one<p>two<li>three", "one\ntwo\nthree", NULL, false},
    {"html-1.13 nbsp only", "<p>&nbsp;&nbsp;</p><p>a&nbsp;&nbsp;b</p>", "a b", NULL, false},
    {"html-1.14 bom", "\xef\xbb\xbf<p>x</p>", "x", NULL, false},
    {"bp-1.1 elements",
     "<body><header><p>Site name</p></header><nav><a href=/>Home</a></nav><main><article>"
     "<header><h1>Headline</h1></header><p>Body text here.</p><footer>by author</footer>"
     "</article></main><aside>side</aside><footer><p>Copyright</p></footer></body>",
     "Headline\nBody text here.\nby author", NULL, false},
    {"bp-1.2 elements kept", "<header><p>Site name</p></header><nav>Home</nav><p>b</p>",
     "Site name\nHome\nb", NULL, true},
    {"bp-1.3 class and id",
     "<div class=\"site-header\">S</div><div id=\"globalNav\">G</div>"
     "<div class=\"entry-header\"><h1>T</h1></div><p class=\"breadcrumb\">a &gt; b</p>"
     "<div class=\"content\"><p>body</p></div><div class=\"cookie-banner\">We use cookies</div>"
     "<div class=\"navheader\">prev next</div><div class=\"share-buttons\">Tweet</div>"
     "<div id=\"_navigating_around_directories\">kept</div>"
     "<p><span class=\"guimenu\">inline kept</span></p>"
     "<h2>Heading<a class=\"headerlink\" href=\"#h\">\xc2\xb6</a></h2>",
     "T\nbody\nkept\ninline kept\nHeading", NULL, false},
    {"bp-1.4 link dense",
     "<div><p>本文の段落です。ここにはリンクが<a href=x>一つ</a>あります。</p>"
     "<ul><li><a href=1>ホーム</a></li><li><a href=2>会社概要</a></li>"
     "<li><a href=3>お問い合わせ</a></li></ul>"
     "<p><a href=a>前へ</a> | <a href=b>目次</a> | <a href=c>次へ</a></p>"
     "<p>「<a href=x>関連項目</a>」を参照下さい。</p></div>",
     "本文の段落です。ここにはリンクが一つあります。\n「関連項目」を参照下さい。", NULL, false},
    {"bp-1.5 anchors are not links",
     "<div><a id=\"x\"></a><h1><a name=\"y\">見出しです</a></h1></div>", "見出しです", NULL,
     false},
    {"bp-1.6 hidden",
     "<p hidden>h1</p><p style=\"color:red; DISPLAY: none\">h2</p><p aria-hidden=\"true\">h3"
     "</p><p style=\"visibility:hidden\">h4</p><p>v</p>",
     "v", NULL, false},
    {"bp-1.7 hidden kept", "<p hidden>h1</p><p>v</p>", "h1\nv", NULL, true},
    {"bp-1.8 role", "<div role=\"navigation\">n</div><div role=\"main\">m</div>", "m", NULL,
     false},
    {"bp-1.9 small form", "<form><label>検索</label><input name=q></form><p>x</p>", "x", NULL,
     false},
    {"bp-1.10 table of links with text",
     "<table><tr><td><a href=a>pkg-a</a></td><td>describes the first package in words</td>"
     "</tr><tr><td><a href=b>pkg-b</a></td><td>describes the second package in words</td>"
     "</tr></table>",
     "pkg-a\ndescribes the first package in words\npkg-b\n"
     "describes the second package in words",
     NULL, false},
};

static HtmlExtractor *open_x(bool keep_all)
{
    HtmlTextOptions o;
    html_text_options_init(&o);
    o.remove_boilerplate = !keep_all;
    HtmlExtractor *x;
    JfError err;
    assert_int_equal(html_extractor_open(&o, &x, &err), JF_OK);
    return x;
}

static void test_cases(void **state)
{
    (void)state;
    HtmlExtractor *x[2] = {open_x(false), open_x(true)};
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const HtmlCase *c = &CASES[i];
        HtmlText t;
        JfError err;
        JfStatus rc = html_extractor_run(x[c->keep_all], c->html, strlen(c->html), &t, &err);
        if (rc != JF_OK) fail_msg("%s: status %d", c->name, rc);
        if (t.text_len != strlen(c->text) || memcmp(t.text, c->text, t.text_len) != 0)
            fail_msg("%s:\n got [%s]\nwant [%s]", c->name, t.text, c->text);
        assert_int_equal(t.text[t.text_len], '\0');
        if (c->title && strcmp(t.title, c->title) != 0)
            fail_msg("%s: title [%s] want [%s]", c->name, t.title, c->title);
        assert_int_equal(t.bytes_out, t.text_len);
    }
    html_extractor_close(x[0]);
    html_extractor_close(x[1]);
}

static void test_lang_and_counts(void **state)
{
    (void)state;
    HtmlExtractor *x = open_x(false);
    HtmlText t;
    JfError err;
    const char *h = "<html lang=\" ja-JP \" xml:lang=\"en\"><body><header><p>Site</p></header>"
                    "<nav><a href=/>Home</a></nav><p>本文</p><footer>c</footer></body></html>";
    assert_int_equal(html_extractor_run(x, h, strlen(h), &t, &err), JF_OK);
    assert_string_equal(t.html_lang, "ja-JP");
    assert_string_equal(t.text, "本文");
    assert_int_equal(t.n_blocks, 4);
    assert_int_equal(t.n_blocks_removed, 3);
    assert_int_equal(t.bytes_in, strlen(h));
    /* the extractor is reusable and forgets the previous page */
    const char *h2 = "<p>二つ目</p>";
    assert_int_equal(html_extractor_run(x, h2, strlen(h2), &t, &err), JF_OK);
    assert_string_equal(t.html_lang, "");
    assert_string_equal(t.title, "");
    assert_string_equal(t.text, "二つ目");
    assert_int_equal(t.n_blocks, 1);
    assert_int_equal(t.n_blocks_removed, 0);
    html_extractor_close(x);
}

/* Past max_depth elements are transparent: their text is read with the state
 * at the limit, and block elements still end lines. */
static void test_max_depth(void **state)
{
    (void)state;
    HtmlTextOptions o;
    html_text_options_init(&o);
    o.max_depth = 4;
    HtmlExtractor *x;
    JfError err;
    assert_int_equal(html_extractor_open(&o, &x, &err), JF_OK);
    HtmlText t;
    /* html, body, div, div are tracked; the nav below them is not */
    const char *h = "<html><body><div><div><nav><p>a</p><p>b</p></nav></div></div>"
                    "<nav>menu</nav><p>c</p></body></html>";
    assert_int_equal(html_extractor_run(x, h, strlen(h), &t, &err), JF_OK);
    assert_string_equal(t.text, "a\nb\nc");
    /* a script at the limit is still dropped: its frame is tracked */
    const char *s = "<html><body><div><script>x=1</script>d</div></body></html>";
    assert_int_equal(html_extractor_run(x, s, strlen(s), &t, &err), JF_OK);
    assert_string_equal(t.text, "d");
    html_extractor_close(x);
}

/* ---- real Debian documentation ---- */
/* TU_DEBUG=1 in the environment prints every paragraph the extraction lost. */

/* Body paragraphs of a DocBook page per libxml2's tree: every <p> outside the
 * navigation header/footer and the table of contents, whitespace removed. */
typedef struct {
    size_t total;   /* bytes of paragraph text */
    size_t found;   /* of which found in the extracted text */
    size_t n_para;
    size_t n_missing;
    char   first_missing[200];
} Coverage;

static void oracle_coverage(const uint8_t *html, size_t len, const char *text, size_t text_len,
                            Coverage *cov)
{
    memset(cov, 0, sizeof *cov);
    htmlDocPtr doc = htmlReadMemory((const char *)html, (int)len, NULL, "UTF-8",
                                    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                        HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
    assert_non_null(doc);
    xmlXPathContextPtr xc = xmlXPathNewContext(doc);
    assert_non_null(xc);
    const char *xp = "//p[not(ancestor::div[contains(@class,'navheader') or "
                     "contains(@class,'navfooter') or contains(@class,'toc') or "
                     "contains(@class,'sphinxsidebar') or @class='related' or "
                     "@class='footer'])]";
    xmlXPathObjectPtr r = xmlXPathEvalExpression((const xmlChar *)xp, xc);
    assert_non_null(r);
    JfBuf hay, needle;
    jf_buf_init(&hay, 0);
    jf_buf_init(&needle, 0);
    tu_squeeze(text, text_len, &hay);
    const char *h = hay.data ? (const char *)hay.data : "";
    for (int i = 0; r->nodesetval && i < r->nodesetval->nodeNr; i++) {
        xmlChar *c = xmlNodeGetContent(r->nodesetval->nodeTab[i]);
        tu_squeeze((const char *)c, strlen((const char *)c), &needle);
        xmlFree(c);
        if (needle.len == 0) continue;
        cov->n_para++;
        cov->total += needle.len;
        if (strstr(h, (const char *)needle.data)) {
            cov->found += needle.len;
            continue;
        }
        if (getenv("TU_DEBUG")) print_message("lost: %s\n", (const char *)needle.data);
        if (cov->n_missing++ == 0)
            snprintf(cov->first_missing, sizeof cov->first_missing, "%s", needle.data);
    }
    jf_buf_free(&hay);
    jf_buf_free(&needle);
    xmlXPathFreeObject(r);
    xmlXPathFreeContext(xc);
    xmlFreeDoc(doc);
}

static void check_doc_folder(const char *dir, const char *suffix, size_t *n_pages)
{
    char **files = tu_list_data(dir, suffix);
    HtmlExtractor *x = open_x(false);
    size_t total = 0, found = 0;
    for (char **f = files; *f; f++) {
        size_t len;
        uint8_t *html = tu_read_data(*f, &len);
        HtmlText t;
        JfError err;
        assert_int_equal(html_extractor_run(x, (const char *)html, len, &t, &err), JF_OK);
        assert_true(t.title_len > 0);
        Coverage cov;
        oracle_coverage(html, len, t.text, t.text_len, &cov);
        total += cov.total;
        found += cov.found;
        /* every page keeps nearly all of its paragraph text; a page that is
         * mostly a table of contents may lose its few link-only paragraphs */
        if (cov.total > 2000 && found * 100 < total * 97)
            fail_msg("%s: kept %zu of %zu paragraph bytes; first lost: %s", *f, cov.found,
                     cov.total, cov.first_missing);
        (*n_pages)++;
        free(html);
    }
    print_message("%s: kept %zu of %zu paragraph bytes (%.2f%%)\n", dir, found, total,
                  total ? 100.0 * (double)found / (double)total : 0.0);
    assert_true(total > 0);
    assert_true(found * 100 >= total * 98);
    html_extractor_close(x);
    tu_free_list(files);
}

static void test_debian_docs_keep_body(void **state)
{
    (void)state;
    size_t n = 0;
    check_doc_folder("pkgs/debian-reference-ja/usr/share/debian-reference", ".ja.html", &n);
    check_doc_folder("pkgs/maint-guide-ja/usr/share/doc/maint-guide-ja/html", ".ja.html", &n);
    check_doc_folder("pkgs/developers-reference-ja/usr/share/developers-reference/ja", ".html",
                     &n);
    check_doc_folder("pkgs/gimp-help-ja/usr/share/gimp/2.0/help/ja", ".html", &n);
    assert_true(n >= 20);
}

static void test_debian_docs_drop_navigation(void **state)
{
    (void)state;
    size_t len;
    uint8_t *html = tu_read_data("pkgs/debian-reference-ja/usr/share/debian-reference/ch07.ja.html",
                                 &len);
    /* the navigation footer names the neighbouring chapters in plain text */
    const char *prev = "第6章 ネットワークアプリケーション";
    HtmlText t;
    JfError err;
    HtmlExtractor *keep = open_x(true), *drop = open_x(false);
    assert_int_equal(html_extractor_run(keep, (const char *)html, len, &t, &err), JF_OK);
    assert_non_null(strstr(t.text, prev));
    size_t all_len = t.text_len;
    assert_int_equal(t.n_blocks_removed, 0);
    assert_int_equal(html_extractor_run(drop, (const char *)html, len, &t, &err), JF_OK);
    assert_null(strstr(t.text, prev));
    assert_string_equal(t.title, "第7章 GUI システム");
    assert_true(t.n_blocks_removed > 0);
    assert_true(t.text_len < all_len);
    /* the chapter heading sits in <a id="..."/>, which is not a link */
    assert_memory_equal(t.text, "第7章 GUI システム\n", strlen("第7章 GUI システム\n"));
    free(html);

    /* Sphinx: related-links bars (role=navigation), the sidebar with its quick
     * search, the footer (role=contentinfo) */
    html = tu_read_data("pkgs/developers-reference-ja/usr/share/developers-reference/ja/scope.html",
                        &len);
    static const char *const furniture[] = {"クイック検索", "ソースコードを表示", "前のトピックへ",
                                            "© Copyright"};
    assert_int_equal(html_extractor_run(keep, (const char *)html, len, &t, &err), JF_OK);
    for (size_t i = 0; i < sizeof furniture / sizeof furniture[0]; i++)
        assert_non_null(strstr(t.text, furniture[i]));
    assert_int_equal(html_extractor_run(drop, (const char *)html, len, &t, &err), JF_OK);
    for (size_t i = 0; i < sizeof furniture / sizeof furniture[0]; i++)
        if (strstr(t.text, furniture[i])) fail_msg("scope.html kept [%s]", furniture[i]);
    assert_string_equal(t.html_lang, "ja");
    assert_memory_equal(t.text, "1. この文書が扱う範囲について\n",
                        strlen("1. この文書が扱う範囲について\n"));
    html_extractor_close(keep);
    html_extractor_close(drop);
    free(html);
}

/* Every allocation of a run may fail: the result is JF_ENOMEM or JF_OK, and
 * the extractor still gives the right answer afterwards. */
static void test_oom(void **state)
{
    (void)state;
    size_t len;
    uint8_t *html = tu_read_data("pkgs/maint-guide-ja/usr/share/doc/maint-guide-ja/html/upload.ja.html",
                                 &len);
    HtmlExtractor *x = open_x(false);
    HtmlText t;
    JfError err;
    assert_int_equal(html_extractor_run(x, (const char *)html, len, &t, &err), JF_OK);
    char *want = strdup(t.text);
    html_extractor_close(x);
    size_t n_fail = 0;
    for (uint64_t k = 1; k < 64; k++) {
        jf_alloc_fail_at(k);
        JfStatus rc = html_extractor_open(NULL, &x, &err);
        if (rc != JF_OK) {
            assert_int_equal(rc, JF_ENOMEM);
            n_fail++;
            continue;
        }
        rc = html_extractor_run(x, (const char *)html, len, &t, &err);
        jf_alloc_fail_at(0);
        if (rc != JF_OK) {
            assert_int_equal(rc, JF_ENOMEM);
            n_fail++;
        }
        assert_int_equal(html_extractor_run(x, (const char *)html, len, &t, &err), JF_OK);
        assert_string_equal(t.text, want);
        html_extractor_close(x);
    }
    jf_alloc_fail_at(0);
    assert_true(n_fail > 0);
    free(want);
    free(html);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_lang_and_counts),
        cmocka_unit_test(test_max_depth),
        cmocka_unit_test(test_debian_docs_keep_body),
        cmocka_unit_test(test_debian_docs_drop_navigation),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
