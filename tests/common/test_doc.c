/* test_doc.c: the document stream: round trip of every field through
 * zstd JSON lines, atomic commit, bad lines reported with their offset while
 * good ones still come out, truncated files, long lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
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

/* ---- the direct JSON paths against jansson (jf_doc_*_jansson) ---- */

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Both readers on one line: same status; same fields or same message. */
static JfStatus both_read(const char *line, size_t len)
{
    JfDoc d1, d2;
    JfError e1, e2;
    assert_int_equal(jf_doc_init(&d1), JF_OK);
    assert_int_equal(jf_doc_init(&d2), JF_OK);
    JfStatus r1 = jf_doc_from_json(&d1, line, len, &e1);
    JfStatus r2 = jf_doc_from_json_jansson(&d2, line, len, &e2);
    if (r1 != r2) fail_msg("disagree (%d vs %d) on: %.*s", r1, r2, (int)len, line);
    if (r1 == JF_OK) {
        assert_int_equal(d1.text_len, d2.text_len);
        assert_memory_equal(d1.text, d2.text, d1.text_len);
        assert_true(str_eq(d1.id, d2.id) && str_eq(d1.source, d2.source) &&
                    str_eq(d1.lang, d2.lang) && str_eq(d1.url, d2.url) &&
                    str_eq(d1.created, d2.created));
        char *m1 = json_dumps(d1.meta, JSON_COMPACT), *m2 = json_dumps(d2.meta, JSON_COMPACT);
        assert_string_equal(m1, m2);
        free(m1);
        free(m2);
    } else {
        assert_string_equal(e1.msg, e2.msg);
    }
    jf_doc_free(&d1);
    jf_doc_free(&d2);
    return r1;
}

/* Both writers on one document: same status, same bytes or same message. */
static void both_write(const JfDoc *d)
{
    char *l1 = NULL, *l2 = NULL;
    size_t n1 = 0, n2 = 0;
    JfError e1, e2;
    JfStatus r1 = jf_doc_to_json_line(d, &l1, &n1, &e1);
    JfStatus r2 = jf_doc_to_json_line_jansson(d, &l2, &n2, &e2);
    assert_int_equal(r1, r2);
    if (r1 == JF_OK) {
        if (n1 != n2 || memcmp(l1, l2, n1)) fail_msg("write differs:\n%s\n%s", l1, l2);
        assert_int_equal(both_read(l1, n1), JF_OK);
    } else {
        assert_string_equal(e1.msg, e2.msg);
    }
    free(l1);
    free(l2);
}

static void json_paths_agree_on_writing(void **state)
{
    (void)state;
    char all[160];
    size_t n = 0;
    for (int c = 1; c < 0x80; c++) all[n++] = (char)c;   /* every ASCII byte, controls too */
    memcpy(all + n, "\0nul \xE2\x80\xA8 \xF0\x9F\x98\x80 \xC3\xA9 \xEF\xBB\xBF", 20);
    n += 20;
    JfDoc d;
    assert_int_equal(jf_doc_init(&d), JF_OK);
    jf_doc_set(&d.id, "a\"b\\c/\x01", 7);
    jf_doc_set(&d.text, all, n);
    d.text_len = n;
    jf_doc_set(&d.lang, "ja", 2);
    json_object_set_new(d.meta, "r", json_real(0.1));
    json_object_set_new(d.meta, "k\xC3\xA9y\n", json_pack("[i,n,b,s]", -7, 1, "\x7F"));
    both_write(&d);
    json_decref(d.meta);
    d.meta = NULL;   /* no meta: {} */
    both_write(&d);
    d.meta = json_string("not an object");
    both_write(&d);
    jf_doc_set(&d.text, "ok\xE3\x81", 4);   /* invalid UTF-8: both refuse, same message */
    d.text_len = 4;
    both_write(&d);
    jf_doc_set(&d.text, "ok", 2);
    d.text_len = 2;
    jf_doc_set(&d.url, "\xED\xA0\x80", 3);  /* a UTF-8 surrogate */
    both_write(&d);
    jf_doc_free(&d);
}

static void json_paths_agree_on_reading(void **state)
{
    (void)state;
    static const char *const LINES[] = {
        "{\"id\":\"a\",\"text\":\"t\"}",
        " {\"id\" : \"a\" , \"text\" : \"\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\\b\\f\\r\\u0000x\"} \r",
        "{\"id\":\"a\",\"text\":\"t\",\"meta\":{\"n\":1,\"r\":1.5e-3,\"a\":[true,false,null,{}]}}",
        "{\"id\":\"a\",\"text\":\"t\",\"meta\":[1]}",
        "{\"id\":\"a\",\"text\":\"t\",\"meta\":null,\"url\":null,\"created\":null}",
        "{\"id\":\"a\",\"text\":\"t\",\"extra\":{\"x\":[1,2,{\"y\":\"\\u0041\"}]},\"n\":-0.5E+2}",
        "{\"id\":\"a\",\"text\":\"t\",\"text\":\"u\"}",             /* duplicate: the last */
        "{\"id\":\"a\",\"te\\u0078t\":\"t\"}",                      /* escaped key */
        "{\"id\":\"a\",\"text\":\"t\",\"te\\u0078t\":\"u\"}",     /* the same key escaped: the last */
        "{\"\\u0069d\":\"b\",\"id\":\"a\",\"text\":\"t\"}",
        "{\"id\":\"a\",\"text\":\"t\",\"k\\u0000\":1}",             /* NUL in a key */
        "{\"id\":\"a\",\"text\":\"\\ud800\"}",                      /* lone surrogate */
        "{\"id\":\"a\",\"text\":\"\\udc00\\ud800\"}",
        "{\"id\":\"a\",\"text\":\"t\",\"n\":12345678901234567890}", /* too big an integer */
        "{\"id\":\"a\",\"text\":\"t\",\"n\":1e400}",
        "{\"id\":\"a\",\"text\":\"t\",\"n\":01}",
        "{\"id\":\"a\",\"text\":\"a\tb\"}",                         /* raw control character */
        "{\"id\":\"a\",\"text\":\"\xC0\xAF\"}",                     /* overlong */
        "{\"id\":\"a\",\"text\":\"\xF4\x90\x80\x80\"}",             /* past U+10FFFF */
        "{\"id\":\"a\",\"text\":\"\xE3\x81\x82\xE6\x97\xA5\"}",
        "{\"id\":1,\"text\":\"t\"}", "{\"id\":\"a\"}", "{\"text\":\"t\"}", "{\"id\":null,\"text\":\"t\"}",
        "{\"id\":\"a\",\"text\":\"t\",\"lang\":5}", "{}", "[]", "\"x\"", "", "{", "{\"id\":\"a\",}",
        "{\"id\":\"a\",\"text\":\"t\"} x", "{\"id\":\"a\",\"text\":\"t\",\"m\":tru}",
        "{\"id\":\"a\",\"text\":\"t\",\"m\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
    };
    for (size_t i = 0; i < sizeof LINES / sizeof *LINES; i++) both_read(LINES[i], strlen(LINES[i]));
    /* random byte mutations of a document line shaped like extract's */
    static const char BASE[] =
        "{\"id\":\"urn:uuid:1\",\"text\":\"\xE6\x97\xA5\xE6\x9C\xAC\\n\\u3042 \\\"q\\\" a/b\","
        "\"source\":\"cc\",\"lang\":\"ja\",\"url\":\"http://x.jp/\",\"created\":null,"
        "\"meta\":{\"warc\":\"a.warc\",\"offset\":123,\"score\":0.75,\"t\":[\"\\u00e9\",true]}}";
    char buf[sizeof BASE];
    uint64_t x = 88172645463325252ULL;
    size_t ok = 0;
    for (int it = 0; it < 50000; it++) {
        memcpy(buf, BASE, sizeof BASE);
        for (int k = 0; k < 1 + it % 3; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            static const char PICK[] = "\"\\{}[],:0e-.u \x80\xE3\xFFnt";
            buf[x % (sizeof BASE - 1)] = PICK[(x >> 32) % (sizeof PICK - 1)];
        }
        ok += both_read(buf, sizeof BASE - 1) == JF_OK;
    }
    assert_true(ok > 1000);   /* the mutations keep many lines valid: both paths are exercised */
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
        cmocka_unit_test(json_paths_agree_on_writing),
        cmocka_unit_test(json_paths_agree_on_reading),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
