/* test_manifest.c: manifest lines (table-driven, manifest-1.x), whole files
 * with bad lines and duplicate names (manifest-2.x), and file checksums
 * against libxxhash and the md5/sha1 test vectors of RFC 1321 / FIPS 180
 * (manifest-3.x). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <xxhash.h>

#include "fetch_int.h"
#include "manifest.h"

typedef struct {
    const char *id;
    const char *line;
    JfStatus    rc;
    const char *name;      /* expected name when JF_OK, or a word of the error */
    int64_t     size;      /* -1: none */
    ManifestSumKind sum;
} LineCase;

static const LineCase LINES[] = {
    { "manifest-1.1", "https://data.commoncrawl.org/crawl-data/x/CC-1.warc.gz", JF_OK, "CC-1.warc.gz", -1, MANIFEST_SUM_NONE },
    { "manifest-1.2", "http://h/a/b.xml.bz2\t123\tmd5:900150983CD24FB0D6963F7D28E17F72", JF_OK, "b.xml.bz2", 123, MANIFEST_SUM_MD5 },
    { "manifest-1.3", "http://h/f.gz?sig=1&x=2#frag\t-\tsha1:a9993e364706816aba3e25717850c26c9cd0d89d", JF_OK, "f.gz", -1, MANIFEST_SUM_SHA1 },
    { "manifest-1.4", "/data/local/x.warc\txxh3:0123456789abcdef\t10\tsource=cc\tlang=ja", JF_OK, "x.warc", 10, MANIFEST_SUM_XXH3 },
    { "manifest-1.5", "   # a comment", JF_DONE, NULL, -1, MANIFEST_SUM_NONE },
    { "manifest-1.6", " \t \r", JF_DONE, NULL, -1, MANIFEST_SUM_NONE },
    { "manifest-1.7", "http://h/dir/", JF_EFORMAT, "safe file name", -1, MANIFEST_SUM_NONE },
    { "manifest-1.8", "http://h/..", JF_EFORMAT, "safe file name", -1, MANIFEST_SUM_NONE },
    { "manifest-1.9", "http://h/a\t12x", JF_EFORMAT, "bad size", -1, MANIFEST_SUM_NONE },
    { "manifest-1.10", "http://h/a\t99999999999999999999999", JF_EFORMAT, "bad size", -1, MANIFEST_SUM_NONE },
    { "manifest-1.11", "http://h/a\tmd5:abc", JF_EFORMAT, "32 hex digits", -1, MANIFEST_SUM_NONE },
    { "manifest-1.12", "http://h/a\txxh3:0123456789abcdeg", JF_EFORMAT, "16 hex digits", -1, MANIFEST_SUM_NONE },
    { "manifest-1.13", "http://h/a\t1\t2", JF_EFORMAT, "two sizes", -1, MANIFEST_SUM_NONE },
    { "manifest-1.14", "http://h/a\tcrc32:1234", JF_EFORMAT, "unknown field", -1, MANIFEST_SUM_NONE },
    { "manifest-1.15", "http://h/a b", JF_EFORMAT, "space in URL", -1, MANIFEST_SUM_NONE },
    { "manifest-1.16", "http://h/a\\b", JF_EFORMAT, "safe file name", -1, MANIFEST_SUM_NONE },
    { "manifest-1.17", "http://h/a\tsource=", JF_EFORMAT, "empty", -1, MANIFEST_SUM_NONE },
};

static void test_lines(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof LINES / sizeof LINES[0]; i++) {
        const LineCase *c = &LINES[i];
        ManifestEntry e;
        JfError err;
        jf_error_clear(&err);
        JfStatus rc = manifest_line_parse(c->line, strlen(c->line), &e, &err);
        if (rc != c->rc) fail_msg("%s: status %d, expected %d (%s)", c->id, rc, c->rc, err.msg);
        if (rc == JF_EFORMAT && !strstr(err.msg, c->name))
            fail_msg("%s: message '%s' lacks '%s'", c->id, err.msg, c->name);
        if (rc != JF_OK) continue;
        if (strcmp(e.name, c->name)) fail_msg("%s: name '%s'", c->id, e.name);
        if (e.has_size != (c->size >= 0) || (e.has_size && e.size != (uint64_t)c->size))
            fail_msg("%s: size", c->id);
        if (e.sum_kind != c->sum) fail_msg("%s: checksum kind", c->id);
        if (e.sum_kind && strspn(e.sum_hex, "0123456789abcdef") != strlen(e.sum_hex))
            fail_msg("%s: checksum not lowercased: %s", c->id, e.sum_hex);
        manifest_entry_free(&e);
    }
}

static void test_source_lang(void **state)
{
    (void)state;
    const char *line = "http://h/a.json.gz\tsource=mc4\tlang=en";
    ManifestEntry e;
    JfError err;
    assert_int_equal(manifest_line_parse(line, strlen(line), &e, &err), JF_OK);
    assert_string_equal(e.source, "mc4");
    assert_string_equal(e.lang, "en");
    manifest_entry_free(&e);
}

typedef struct {
    int    n;
    char   msgs[8][300];
} BadLog;

static void on_bad(void *ctx, const JfError *err)
{
    BadLog *b = ctx;
    if (b->n < 8) jf_error_format(err, b->msgs[b->n], sizeof b->msgs[0]);
    b->n++;
}

static char *write_temp(const char *text, size_t len)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/jf-manifest-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

/* manifest-2.1: bad lines are counted, named by line, and the good ones kept. */
static void test_load(void **state)
{
    (void)state;
    static const char TEXT[] =
        "# CC sample\n"
        "http://h/1/a.gz\t10\n"
        "\n"
        "http://h/2/a.gz\n"               /* line 4: same name as line 2 */
        "http://h/b.gz\tnope\n"           /* line 5 */
        "http://h/c\0d.gz\n"              /* line 6: NUL */
        "http://h/e.gz";                  /* no final newline */
    char *path = write_temp(TEXT, sizeof TEXT - 1);
    Manifest m;
    manifest_init(&m);
    BadLog bl = { 0 };
    JfError err;
    jf_error_clear(&err);
    assert_int_equal(manifest_load(path, &m, on_bad, &bl, &err), JF_OK);
    assert_int_equal(m.count, 2);
    assert_int_equal(m.bad, 3);
    assert_string_equal(m.entries[0].name, "a.gz");
    assert_int_equal(m.entries[0].line, 2);
    assert_string_equal(m.entries[1].name, "e.gz");
    assert_int_equal(m.entries[1].line, 7);
    assert_non_null(strstr(bl.msgs[0], "line 4: file name 'a.gz' already used by line 2"));
    assert_non_null(strstr(bl.msgs[1], "line 5: unknown field"));
    assert_non_null(strstr(bl.msgs[2], "line 6: NUL byte"));
    manifest_free(&m);
    unlink(path);
}

/* manifest-2.2: many names stay unique (the hash set grows). */
static void test_many(void **state)
{
    (void)state;
    size_t n = 20000, cap = n * 40;
    char *text = malloc(cap);
    size_t len = 0;
    for (size_t i = 0; i < n; i++) len += (size_t)snprintf(text + len, cap - len, "http://h/f%zu.gz\n", i);
    len += (size_t)snprintf(text + len, cap - len, "http://h/x/f7.gz\n");
    char *path = write_temp(text, len);
    free(text);
    Manifest m;
    manifest_init(&m);
    JfError err;
    assert_int_equal(manifest_load(path, &m, NULL, NULL, &err), JF_OK);
    assert_int_equal(m.count, n);
    assert_int_equal(m.bad, 1);
    manifest_free(&m);
    unlink(path);
}

/* manifest-3.x: digests of a file. */
static void test_digests(void **state)
{
    (void)state;
    char *path = write_temp("abc", 3);
    char hex[41];
    uint64_t size = 0;
    JfError err;
    assert_int_equal(fetch_file_digest(path, MANIFEST_SUM_MD5, hex, &size, &err), JF_OK);
    assert_string_equal(hex, "900150983cd24fb0d6963f7d28e17f72");
    assert_int_equal(size, 3);
    assert_int_equal(fetch_file_digest(path, MANIFEST_SUM_SHA1, hex, NULL, &err), JF_OK);
    assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_int_equal(fetch_file_digest(path, MANIFEST_SUM_XXH3, hex, NULL, &err), JF_OK);
    char want[17];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)XXH3_64bits("abc", 3));
    assert_string_equal(hex, want);

    ManifestEntry e = { .has_size = true, .size = 4 };
    bool ok = true;
    char why[256];
    assert_int_equal(fetch_file_verify(path, &e, &ok, why, sizeof why, &err), JF_OK);
    assert_false(ok);
    assert_string_equal(why, "size 3 != expected 4");
    e.size = 3;
    e.sum_kind = MANIFEST_SUM_XXH3;
    snprintf(e.sum_hex, sizeof e.sum_hex, "%s", want);
    assert_int_equal(fetch_file_verify(path, &e, &ok, why, sizeof why, &err), JF_OK);
    assert_true(ok);
    unlink(path);
    assert_int_equal(fetch_file_digest("/nonexistent/jf", MANIFEST_SUM_MD5, hex, NULL, &err), JF_EIO);
}

/* manifest-2.3: the shipped manifests of data-manifests/ parse without a bad line. */
static void test_shipped(void **state)
{
    (void)state;
    static const char *const FILES[] = { "cc-sample.tsv", "wikipedia.tsv" };
    for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/data-manifests/%s", JF_TEST_SRC_DIR, FILES[i]);
        Manifest m;
        manifest_init(&m);
        JfError err;
        assert_int_equal(manifest_load(path, &m, NULL, NULL, &err), JF_OK);
        assert_int_equal(m.bad, 0);
        assert_true(m.count >= 2);
        for (size_t k = 0; k < m.count; k++) assert_non_null(m.entries[k].source);
        manifest_free(&m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_source_lang),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_digests),
        cmocka_unit_test(test_shipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
