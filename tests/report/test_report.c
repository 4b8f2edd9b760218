/* test_report.c: report-1.x HTML escaping; report-2.x pages of work
 * directories with parts missing: every missing part is "not run", no run
 * database is created, strings from documents are escaped, damaged
 * documents are counted and skipped. The full demo page is test_report.py's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "jf_alloc.h"
#include "jf_doc.h"
#include "jf_fs.h"
#include "report.h"

static char *escape(const char *s)
{
    JfBuf b;
    jf_buf_init(&b, 0);
    assert_int_equal(report_html_escape(&b, s), JF_OK);
    char *out = strdup(b.data ? (const char *)b.data : "");
    jf_buf_free(&b);
    return out;
}

/* report-1.1: the five special characters, text kept, bad UTF-8 replaced. */
static void test_escape(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } CASES[] = {
        { "", "" },
        { "plain 日本語", "plain 日本語" },
        { "<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" },
        { "a&b \"q\"", "a&amp;b &quot;q&quot;" },
        { "&lt;", "&amp;lt;" },
        { "bad\xff\xc3(", "bad\xEF\xBF\xBD\xEF\xBF\xBD(" },
        { "cut \xe6\x97", "cut \xEF\xBF\xBD\xEF\xBF\xBD" },
        { "surrogate \xed\xa0\x80!", "surrogate \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!" },
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char *got = escape(CASES[i].in);
        assert_string_equal(got, CASES[i].out);
        free(got);
    }
}

/* report-1.2: the buffer's cap is reported, not overrun. */
static void test_escape_cap(void **state)
{
    (void)state;
    JfBuf b;
    jf_buf_init(&b, 8);
    assert_int_equal(report_html_escape(&b, "<<<<<<"), JF_ETOOBIG);
    assert_true(b.len <= 8);
    jf_buf_free(&b);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)); p++) n++;
    return n;
}

static void make_tmp(char *dir, size_t cap)
{
    snprintf(dir, cap, "%s/jf-report-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(dir));
}

static void rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* report-2.1: an empty work directory: every section "not run", no database. */
static void test_empty_workdir(void **state)
{
    (void)state;
    char dir[512], path[600];
    make_tmp(dir, sizeof dir);
    ReportSummary sum;
    JfError err;
    jf_error_clear(&err);
    assert_int_equal(report_write(dir, &sum, &err), JF_OK);
    assert_int_equal(sum.sections, 9);
    assert_int_equal(sum.sections_not_run, 9);
    char *html = slurp(sum.path);
    assert_int_equal(count(html, "not run"), 9);
    assert_int_equal(count(html, "<svg"), 0);
    free(html);
    snprintf(path, sizeof path, "%s/extract/jaforge.db", dir);
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/report/index.html.tmp", dir);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(report_write("/nonexistent/jf-report", &sum, &err), JF_EUSAGE);
    rm_rf(dir);
}

static void write_doc(JfDocWriter *w, const char *id, const char *source, const char *title,
                      const char *text)
{
    JfDoc d;
    JfError err;
    assert_int_equal(jf_doc_init(&d), JF_OK);
    assert_int_equal(jf_doc_set(&d.id, id, strlen(id)), JF_OK);
    assert_int_equal(jf_doc_set(&d.text, text, strlen(text)), JF_OK);
    d.text_len = strlen(text);
    assert_int_equal(jf_doc_set(&d.source, source, strlen(source)), JF_OK);
    assert_int_equal(jf_doc_set(&d.lang, "ja", 2), JF_OK);
    json_object_set_new(d.meta, "title", json_string(title));
    assert_int_equal(jf_docwriter_write(w, &d, &err), JF_OK);
    jf_doc_free(&d);
}

/* report-2.2: documents only: lengths and sources drawn, hostile id, title
 * and source escaped (no raw tag anywhere), a damaged file counted. */
static void test_hostile_docs(void **state)
{
    (void)state;
    char dir[512], path[600];
    make_tmp(dir, sizeof dir);
    JfError err;
    jf_error_clear(&err);
    snprintf(path, sizeof path, "%s/dedup/ja", dir);
    assert_int_equal(jf_fs_mkdir_p(path, &err), JF_OK);
    snprintf(path, sizeof path, "%s/dedup/ja/a.jsonl.zst", dir);
    JfDocWriter *w;
    assert_int_equal(jf_docwriter_open(path, 3, &w, &err), JF_OK);
    write_doc(w, "<script>alert(1)</script>", "<script>src</script>",
              "<script>alert(\"title\")</script>", "日本語の文書です。");
    write_doc(w, "ok-2", "cc", "普通", "短い");
    assert_int_equal(jf_docwriter_commit(w, &err), JF_OK);
    jf_docwriter_close(w);
    snprintf(path, sizeof path, "%s/dedup/ja/b.jsonl.zst", dir);
    FILE *f = fopen(path, "wb");
    fputs("\x28\xb5\x2f\xfd garbage", f);
    fclose(f);

    ReportSummary sum;
    assert_int_equal(report_write(dir, &sum, &err), JF_OK);
    assert_int_equal(sum.documents, 2);
    assert_true(sum.bad >= 1);
    char *html = slurp(sum.path);
    assert_int_equal(count(html, "<script"), 0);
    assert_true(count(html, "&lt;script&gt;alert(1)&lt;/script&gt;") >= 1);
    assert_true(count(html, "&lt;script&gt;alert(&quot;title&quot;)") >= 1);
    assert_true(count(html, "&lt;script&gt;src&lt;/script&gt;") >= 2);   /* chart + table */
    assert_non_null(strstr(html, "<section id=\"lengths\">"));
    assert_int_equal(count(html, "<svg"), count(html, "</svg>"));
    free(html);
    rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_escape_cap),
        cmocka_unit_test(test_empty_workdir),
        cmocka_unit_test(test_hostile_docs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
