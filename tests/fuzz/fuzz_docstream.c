/* fuzz_docstream.c: the document stream reader (zstd or plain JSON lines)
 * on arbitrary bytes, with a small line limit; and the input taken as one
 * line, read by the direct JSON path and by jansson alone, which must agree
 * (status, every field, meta, error message): the direct path may only be
 * faster, never different. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "jf_doc.h"

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void differ(const char *what, const uint8_t *data, size_t size)
{
    fprintf(stderr, "direct path and jansson differ (%s) on: %.*s\n", what, (int)size,
            (const char *)data);
    abort();
}

static void read_both(const uint8_t *data, size_t size)
{
    JfDoc d1, d2;
    JfError e1, e2;
    if (jf_doc_init(&d1) != JF_OK) return;
    if (jf_doc_init(&d2) != JF_OK) {
        jf_doc_free(&d1);
        return;
    }
    JfStatus r1 = jf_doc_from_json(&d1, (const char *)data, size, &e1);
    JfStatus r2 = jf_doc_from_json_jansson(&d2, (const char *)data, size, &e2);
    if (r1 == JF_ENOMEM || r2 == JF_ENOMEM) goto out;
    if (r1 != r2) differ("status", data, size);
    if (r1 != JF_OK) {
        if (strcmp(e1.msg, e2.msg)) differ("message", data, size);
        goto out;
    }
    if (d1.text_len != d2.text_len || memcmp(d1.text, d2.text, d1.text_len)) differ("text", data, size);
    if (!str_eq(d1.id, d2.id) || !str_eq(d1.source, d2.source) || !str_eq(d1.lang, d2.lang) ||
        !str_eq(d1.url, d2.url) || !str_eq(d1.created, d2.created))
        differ("fields", data, size);
    char *m1 = json_dumps(d1.meta, JSON_COMPACT), *m2 = json_dumps(d2.meta, JSON_COMPACT);
    if (m1 && m2 && strcmp(m1, m2)) differ("meta", data, size);
    free(m1);
    free(m2);
out:
    jf_doc_free(&d1);
    jf_doc_free(&d2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_both(data, size);
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0) return 0;
    JfDocReader *r;
    JfError err;
    if (jf_docreader_open(path, 1 << 16, &r, &err) == JF_OK) {
        JfDoc d;
        jf_doc_init(&d);
        JfStatus rc;
        for (int i = 0; i < 100000 && (rc = jf_docreader_next(r, &d, &err)) != JF_DONE; i++)
            if (rc != JF_ROW && rc != JF_EFORMAT && rc != JF_ETOOBIG) break;
        jf_doc_free(&d);
        jf_docreader_close(r);
    }
    close(fd);
    return 0;
}
