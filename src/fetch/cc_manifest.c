/* cc_manifest.c: a snapshot's warc.paths.gz to a manifest (see cc_manifest.h). */
#include "cc_manifest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jf_alloc.h"
#include "jf_buf.h"
#include "jf_stream.h"
#include "manifest.h"

/* A listing line is a relative path under crawl-data/ of visible ASCII
 * (no space, control byte or NUL), without "..", naming a file (no final '/'). */
static bool is_crawl_path(const char *s, size_t n)
{
    if (n < 12 || strncmp(s, "crawl-data/", 11) || s[n - 1] == '/') return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7f || (c == '.' && i + 1 < n && s[i + 1] == '.')) return false;
    }
    return true;
}

/* Where each manifest line came from: the manifest's and the listing's byte offsets. */
typedef struct {
    uint64_t *at;         /* pairs: manifest offset, listing offset */
    size_t    count, cap;
} LineMap;

static JfStatus linemap_add(LineMap *lm, uint64_t manifest_off, uint64_t listing_off)
{
    if (lm->count == lm->cap) {
        size_t cap = lm->cap ? lm->cap * 2 : 256;
        uint64_t *at = jf_realloc(lm->at, cap * 2 * sizeof *at);
        if (!at) return JF_ENOMEM;
        lm->at = at;
        lm->cap = cap;
    }
    lm->at[2 * lm->count] = manifest_off;
    lm->at[2 * lm->count + 1] = listing_off;
    lm->count++;
    return JF_OK;
}

static JfStatus copy_paths(JfStream *s, FILE *out, const char *base, size_t count,
                           size_t *written, LineMap *lm, JfError *err)
{
    JfBuf line;
    jf_buf_init(&line, 0);
    uint64_t off;
    JfStatus rc;
    while ((count == 0 || *written < count) &&
           (rc = jf_stream_line(s, &line, 4096, &off, err)) != JF_DONE) {
        if (rc != JF_ROW) break;
        size_t n = line.len;
        const char *p = line.data ? (const char *)line.data : "";
        while (n && (p[n - 1] == '\r' || p[n - 1] == ' ')) n--;
        if (n == 0) continue;
        if (!is_crawl_path(p, n)) {
            rc = jf_error_set(err, JF_EFORMAT, jf_stream_path(s), off,
                              "not a crawl-data/ file path: '%.*s'", (int)(n > 80 ? 80 : n), p);
            break;
        }
        if (linemap_add(lm, (uint64_t)ftell(out), off) != JF_OK) {
            rc = jf_error_set(err, JF_ENOMEM, jf_stream_path(s), off, "out of memory");
            break;
        }
        fprintf(out, "%s%.*s\t-\t-\tsource=cc\n", base, (int)n, p);
        (*written)++;
    }
    jf_buf_free(&line);
    return rc == JF_DONE || rc == JF_ROW ? JF_OK : rc;
}

typedef struct {
    JfError first;
    bool    seen;
} FirstBad;

static void keep_first_bad(void *ctx, const JfError *e)
{
    FirstBad *fb = ctx;
    if (!fb->seen) fb->first = *e;
    fb->seen = true;
}

/* Loads the written manifest as fetch will: a line it would reject (two
 * paths with the same file name) is reported at its place in the listing. */
static JfStatus check_manifest(const char *tmp, const char *listing, const LineMap *lm,
                               JfError *err)
{
    Manifest m;
    manifest_init(&m);
    FirstBad fb = { .seen = false };
    JfStatus rc = manifest_load(tmp, &m, keep_first_bad, &fb, err);
    manifest_free(&m);
    if (rc != JF_OK || !fb.seen) return rc;
    uint64_t at = JF_OFFSET_UNKNOWN;
    for (size_t i = 0; i < lm->count && at == JF_OFFSET_UNKNOWN; i++)
        if (lm->at[2 * i] == fb.first.offset) at = lm->at[2 * i + 1];
    const char *why = strstr(fb.first.msg, ": ");   /* past "line N" of the manifest */
    return jf_error_set(err, JF_EFORMAT, listing, at, "%s", why ? why + 2 : fb.first.msg);
}

JfStatus cc_manifest_write(const char *paths_file, const char *base_url, size_t count,
                           const char *out_path, size_t *written, JfError *err)
{
    *written = 0;
    JfStream *s;
    JfStatus rc = jf_stream_open(paths_file, &s, err);
    if (rc != JF_OK) return rc;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", out_path);
    FILE *out = fopen(tmp, "w");
    if (!out) {
        jf_stream_close(s);
        return jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "cannot create: %s", strerror(errno));
    }
    fprintf(out, "# Common Crawl WARC files, from %s\n", paths_file);
    LineMap lm = { 0 };
    rc = copy_paths(s, out, base_url, count, written, &lm, err);
    jf_stream_close(s);
    if (fclose(out) != 0 && rc == JF_OK)
        rc = jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "write failed: %s", strerror(errno));
    if (rc == JF_OK) rc = check_manifest(tmp, paths_file, &lm, err);
    jf_free(lm.at);
    if (rc == JF_OK && rename(tmp, out_path) != 0)
        rc = jf_error_set(err, JF_EIO, out_path, JF_OFFSET_UNKNOWN, "cannot rename: %s", strerror(errno));
    if (rc != JF_OK) unlink(tmp);
    return rc;
}
