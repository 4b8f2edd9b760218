/* dedup_testdata.h: real Japanese documents for the dedup tests, made at test
 * time by running the extract stage on $JF_DATA_DIR/warc/sample.warc.gz
 * (Debian documentation pages), with exact repeats dropped. Header-only. */
#ifndef DEDUP_TESTDATA_H
#define DEDUP_TESTDATA_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "extract.h"
#include "jf_doc.h"
#include "jf_fs.h"

typedef struct {
    char  **text;
    size_t *len;
    size_t  n;
} TestTexts;

static const char *testdata_dir(void)
{
    const char *d = getenv("JF_DATA_DIR");
    return d && *d ? d : JF_TEST_DATA_DIR;
}

/* Extracts the sample WARC into a fresh folder under tmp and loads the
 * Japanese texts of at least min_len bytes, without exact repeats. */
static void testdata_load_ja(const char *tmp, size_t min_len, TestTexts *t)
{
    char warc[4096], out[4096];
    snprintf(warc, sizeof warc, "%s/warc/sample.warc.gz", testdata_dir());
    snprintf(out, sizeof out, "%s/ja/sample.jsonl.zst", tmp);
    JfError err;
    jf_error_clear(&err);
    char ja[4096];
    snprintf(ja, sizeof ja, "%s/ja", tmp);
    assert_int_equal(jf_fs_mkdir_p(ja, &err), JF_OK);
    ExtractOptions opt;
    extract_options_init(&opt);
    opt.want[EXTRACT_LANG_EN] = false;
    Extractor *x = NULL;
    assert_int_equal(extractor_open(&opt, &x, &err), JF_OK);
    JfDocWriter *w = NULL;
    assert_int_equal(jf_docwriter_open(out, 3, &w, &err), JF_OK);
    ExtractSink sink = { 0 };
    sink.out[EXTRACT_LANG_JA] = w;
    ExtractStats st = { 0 };
    if (extractor_run_file(x, warc, &sink, &st, &err) != JF_OK)
        fail_msg("extract %s: %s (make it with scripts/make-sample-data.sh)", warc, err.msg);
    assert_int_equal(jf_docwriter_commit(w, &err), JF_OK);
    jf_docwriter_close(w);
    extractor_close(x);

    JfDocReader *r = NULL;
    assert_int_equal(jf_docreader_open(out, 0, &r, &err), JF_OK);
    JfDoc d;
    jf_doc_init(&d);
    memset(t, 0, sizeof *t);
    size_t cap = 1024;
    t->text = calloc(cap, sizeof *t->text);
    t->len = calloc(cap, sizeof *t->len);
    while (jf_docreader_next(r, &d, &err) == JF_ROW) {
        if (d.text_len < min_len || t->n == cap) continue;
        bool seen = false;
        for (size_t i = 0; i < t->n && !seen; i++)
            seen = t->len[i] == d.text_len && !memcmp(t->text[i], d.text, d.text_len);
        if (seen) continue;
        t->text[t->n] = malloc(d.text_len + 1);
        memcpy(t->text[t->n], d.text, d.text_len + 1);
        t->len[t->n++] = d.text_len;
    }
    jf_doc_free(&d);
    jf_docreader_close(r);
    unlink(out);
    rmdir(ja);
}

static void testdata_free(TestTexts *t)
{
    for (size_t i = 0; i < t->n; i++) free(t->text[i]);
    free(t->text);
    free(t->len);
}

#endif
