/* cc_manifest.c: a snapshot's warc.paths.gz to a manifest (see cc_manifest.h). */
#include "cc_manifest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jf_buf.h"
#include "jf_stream.h"

/* A listing line is a relative path under crawl-data/ without "..". */
static bool is_crawl_path(const char *s, size_t n)
{
    if (n < 11 || strncmp(s, "crawl-data/", 11)) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\t' || s[i] == ' ' || (s[i] == '.' && i + 1 < n && s[i + 1] == '.')) return false;
    return true;
}

static JfStatus copy_paths(JfStream *s, FILE *out, const char *base, size_t count,
                           size_t *written, JfError *err)
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
                              "not a crawl-data/ path: '%.*s'", (int)(n > 80 ? 80 : n), p);
            break;
        }
        fprintf(out, "%s%.*s\t-\t-\tsource=cc\n", base, (int)n, p);
        (*written)++;
    }
    jf_buf_free(&line);
    return rc == JF_DONE || rc == JF_ROW ? JF_OK : rc;
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
    rc = copy_paths(s, out, base_url, count, written, err);
    jf_stream_close(s);
    if (fclose(out) != 0 && rc == JF_OK)
        rc = jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "write failed: %s", strerror(errno));
    if (rc == JF_OK && rename(tmp, out_path) != 0)
        rc = jf_error_set(err, JF_EIO, out_path, JF_OFFSET_UNKNOWN, "cannot rename: %s", strerror(errno));
    if (rc != JF_OK) unlink(tmp);
    return rc;
}
