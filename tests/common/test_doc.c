/* test_doc.c: the document stream: round trip of every field through
 * zstd JSON lines, atomic commit, bad lines reported with their offset while
 * good ones still come out, truncated files, long lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "jf_alloc.h"
#include "jf_doc.h"

static char g_dir[] = "/tmp/jf-test-doc-XXXXXX";

static void path_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", g_dir, name);
}

static void make_doc(JfDoc *d, int i)
{
    char id[32], text[128];
    snprintf(id, sizeof id, "doc-%d", i);
    snprintf(text, sizeof text, "日本語のテキスト %d\n二行目 \"quoted\" \\ tab\t", i);
    assert_int_equal(jf_doc_init(d), JF_OK);
    jf_doc_set(&d->id, id, strlen(id));
    jf_doc_set(&d->text, text, strlen(text));
    d->text_len = strlen(text);
    jf_doc_set(&d->source, "cc", 2);
    jf_doc_set(&d->lang, "ja", 2);
    if (i % 2) jf_doc_set(&d->url, "http://example.jp/", 18);
    json_object_set_new(d->meta, "n", json_integer(i));
}

static void write_docs(const char *path, int n)
{
    JfDocWriter *w;
    JfError err;
    assert_int_equal(jf_docwriter_open(path, 3, &w, &err), JF_OK);
    for (int i = 0; i < n; i++) {
        JfDoc d;
        make_doc(&d, i);
        assert_int_equal(jf_docwriter_write(w, &d, &err), JF_OK);
        jf_doc_free(&d);
    }
    assert_int_equal(jf_docwriter_count(w), (uint64_t)n);
    assert_int_equal(jf_docwriter_commit(w, &err), JF_OK);
    jf_docwriter_close(w);
}

static void round_trip_keeps_every_field(void **state)
{
    (void)state;
    char path[256];
    path_in(path, sizeof path, "rt.jsonl.zst");
    write_docs(path, 1000);
    JfDocReader *r;
    JfError err;
    assert_int_equal(jf_docreader_open(path, 0, &r, &err), JF_OK);
    JfDoc d, want;
    jf_doc_init(&d);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(jf_docreader_next(r, &d, &err), JF_ROW);
        make_doc(&want, i);
        assert_string_equal(d.id, want.id);
        assert_int_equal(d.text_len, want.text_len);
        assert_memory_equal(d.text, want.text, want.text_len);
        assert_string_equal(d.lang, "ja");
        assert_string_equal(d.source, "cc");
        if (i % 2) assert_string_equal(d.url, "http://example.jp/");
        else assert_null(d.url);
        assert_null(d.created);
        assert_int_equal(json_integer_value(json_object_get(d.meta, "n")), i);
        jf_doc_free(&want);
    }
    assert_int_equal(jf_docreader_next(r, &d, &err), JF_DONE);
    jf_doc_free(&d);
    jf_docreader_close(r);
}

static void uncommitted_writer_leaves_nothing(void **state)
{
    (void)state;
    char path[256], tmp[300];
    path_in(path, sizeof path, "aborted.jsonl.zst");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    JfDocWriter *w;
    JfError err;
    assert_int_equal(jf_docwriter_open(path, 3, &w, &err), JF_OK);
    JfDoc d;
    make_doc(&d, 1);
    assert_int_equal(jf_docwriter_write(w, &d, &err), JF_OK);
    jf_doc_free(&d);
    assert_int_equal(access(tmp, F_OK), 0);
    assert_int_not_equal(access(path, F_OK), 0);
    jf_docwriter_close(w);
    assert_int_not_equal(access(tmp, F_OK), 0);
    assert_int_not_equal(access(path, F_OK), 0);
}

static void write_plain(const char *path, const char *content)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static void bad_lines_are_reported_and_skipped(void **state)
{
    (void)state;
    char path[256];
    path_in(path, sizeof path, "mixed.jsonl");
    const char *l1 = "{\"id\":\"a\",\"text\":\"one\",\"lang\":\"en\"}\n";
    const char *l2 = "{\"id\":\"b\",\"text\":\n";               /* broken JSON */
    const char *l3 = "{\"text\":\"no id\"}\n";                  /* missing id */
    const char *l4 = "{\"id\":\"d\",\"text\":\"four\",\"meta\":{\"k\":1}}"; /* no final \n */
    char all[512];
    snprintf(all, sizeof all, "%s%s%s\n%s", l1, l2, l3, l4);
    write_plain(path, all);
    JfDocReader *r;
    JfError err;
    assert_int_equal(jf_docreader_open(path, 0, &r, &err), JF_OK);
    JfDoc d;
    jf_doc_init(&d);
    assert_int_equal(jf_docreader_next(r, &d, &err), JF_ROW);
    assert_string_equal(d.id, "a");
    assert_int_equal(jf_docreader_next(r, &d, &err), JF_EFORMAT);
    assert_int_equal(err.offset, strlen(l1));
    assert_non_null(strstr(err.path, "mixed.jsonl"));
    assert_int_equal(jf_docreader_next(r, &d, &err), JF_EFORMAT);
    assert_int_equal(err.offset, strlen(l1) + strlen(l2));
    assert_int_equal(jf_docreader_next(r, &d, &err), JF_ROW);   /* blank line skipped */
    assert_string_equal(d.id, "d");
    assert_int_equal(json_integer_value(json_object_get(d.meta, "k")), 1);
    assert_int_equal(jf_docreader_next(r, &d, &err), JF_DONE);
    jf_doc_free(&d);
    jf_docreader_close(r);
}

static void long_line_is_skipped_not_fatal(void **state)
{
    (void)state;
    char path[256];
    path_in(path, sizeof path, "long.jsonl");
    size_t big = 300000;
    char *s = malloc(big + 200);
    strcpy(s, "{\"id\":\"x\",\"text\":\"");
    size_t n = strlen(s);
    memset(s + n, 'a', big);
    strcpy(s + n + big, "\"}\n{\"id\":\"y\",\"text\":\"ok\"}\n");
    write_plain(path, s);
    free(s);
    JfDocReader *r;
    JfError err;
    assert_int_equal(jf_docreader_open(path, 100000, &r, &err), JF_OK);
    JfDoc d;
    jf_doc_init(&d);
    assert_int_equal(jf_docreader_next(r, &d, &err), JF_ETOOBIG);
    assert_int_equal(err.offset, 0);
    assert_int_equal(jf_docreader_next(r, &d, &err), JF_ROW);
    assert_string_equal(d.id, "y");
    assert_int_equal(jf_docreader_next(r, &d, &err), JF_DONE);
    jf_doc_free(&d);
    jf_docreader_close(r);
}

static void truncated_zstd_gives_good_docs_then_error(void **state)
{
    (void)state;
    char path[256], cut[256];
    path_in(path, sizeof path, "full.jsonl.zst");
    path_in(cut, sizeof cut, "cut.jsonl.zst");
    write_docs(path, 5000);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    f = fopen(cut, "wb");
    fwrite(buf, 1, (size_t)size / 2, f);
    fclose(f);
    free(buf);
    JfDocReader *r;
    JfError err;
    assert_int_equal(jf_docreader_open(cut, 0, &r, &err), JF_OK);
    JfDoc d;
    jf_doc_init(&d);
    JfStatus rc;
    int good = 0, bad = 0;
    while ((rc = jf_docreader_next(r, &d, &err)) != JF_DONE) {
        if (rc == JF_ROW) good++;
        else bad++;
        assert_true(bad < 10); /* no endless loop */
    }
    assert_true(good > 100 && good < 5000);
    assert_true(bad >= 1);
    jf_doc_free(&d);
    jf_docreader_close(r);
}

static void oom_on_open_is_an_error(void **state)
{
    (void)state;
    char path[256];
    path_in(path, sizeof path, "rt.jsonl.zst");
    for (uint64_t n = 1; n <= 4; n++) {
        JfDocReader *r = NULL;
        JfError err;
        jf_alloc_fail_at(n);
        JfStatus rc = jf_docreader_open(path, 0, &r, &err);
        jf_alloc_fail_at(0);
        if (rc == JF_OK) jf_docreader_close(r);
        else assert_int_equal(rc, JF_ENOMEM);
    }
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_keeps_every_field),
        cmocka_unit_test(uncommitted_writer_leaves_nothing),
        cmocka_unit_test(bad_lines_are_reported_and_skipped),
        cmocka_unit_test(long_line_is_skipped_not_fatal),
        cmocka_unit_test(truncated_zstd_gives_good_docs_then_error),
        cmocka_unit_test(oom_on_open_is_an_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
