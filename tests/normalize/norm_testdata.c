/* norm_testdata.c: reading the real test data (see norm_testdata.h). */
#include "norm_testdata.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

const char *td_data_dir(void)
{
    const char *d = getenv("JF_DATA_DIR");
    return d && *d ? d : JF_TEST_DATA_DIR;
}

void td_pkg_path(char *buf, size_t cap, const char *pkg, const char *rel)
{
    snprintf(buf, cap, "%s/pkgs/%s/%s", td_data_dir(), pkg, rel);
}

bool td_read(const char *path, JfBuf *out)
{
    jf_buf_reset(out);
    if (access(path, R_OK) != 0) return false;
    gzFile f = gzopen(path, "rb");
    if (!f) return false;
    char chunk[65536];
    int  n;
    while ((n = gzread(f, chunk, sizeof chunk)) > 0)
        if (jf_buf_append(out, chunk, (size_t)n) != JF_OK) break;
    gzclose(f);
    return n == 0;
}

void td_read_required(const char *pkg, const char *rel, JfBuf *out)
{
    char path[1024];
    td_pkg_path(path, sizeof path, pkg, rel);
    if (!td_read(path, out))
        fail_msg("missing test data %s\n"
                 "  make it with: scripts/make-sample-data.sh \"%s\"\n"
                 "  or by hand:   apt-get download %s && dpkg -x %s_*.deb \"%s/pkgs/%s\"",
                 path, td_data_dir(), pkg, pkg, td_data_dir(), pkg);
}

static bool td_starts(const uint8_t *p, const uint8_t *end, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(end - p) >= n && strncasecmp((const char *)p, s, n) == 0;
}

/* Skips past the first occurrence of s (case-insensitive) at or after p. */
static const uint8_t *td_skip_past(const uint8_t *p, const uint8_t *end, const char *s)
{
    while (p < end && !td_starts(p, end, s)) p++;
    return p < end ? p + strlen(s) : end;
}

void td_strip_tags(JfBuf *b)
{
    static const char *const ents[][2] = {
        { "&lt;", "<" }, { "&gt;", ">" }, { "&amp;", "&" }, { "&quot;", "\"" }, { "&nbsp;", " " },
    };
    static const char *const blocks[] = { "<p", "<br", "<div", "<li", "<h", "<tr", "<pre", "</p",
                                          "</div", "</li", "</h", "</tr", "</pre", "<dt", "<dd" };
    const uint8_t *p = b->data, *end = b->data + b->len;
    uint8_t       *o = b->data;
    while (p < end) {
        if (*p == '<') {
            if (td_starts(p, end, "<!--")) { p = td_skip_past(p, end, "-->"); continue; }
            if (td_starts(p, end, "<script")) { p = td_skip_past(p, end, "</script>"); continue; }
            if (td_starts(p, end, "<style")) { p = td_skip_past(p, end, "</style>"); continue; }
            bool block = false;
            for (size_t k = 0; k < sizeof blocks / sizeof blocks[0]; k++)
                block |= td_starts(p, end, blocks[k]);
            p = td_skip_past(p, end, ">");
            if (block) *o++ = '\n';
            continue;
        }
        if (*p == '&') {
            bool done = false;
            for (size_t k = 0; k < sizeof ents / sizeof ents[0] && !done; k++) {
                if (td_starts(p, end, ents[k][0])) {
                    *o++ = (uint8_t)ents[k][1][0];
                    p += strlen(ents[k][0]);
                    done = true;
                }
            }
            if (done) continue;
        }
        *o++ = *p++;
    }
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
}
