/* warc_fixture.h: builds WARC test files in memory (records, gzip members,
 * zstd frames, garbage) so every robustness case is made by the test itself,
 * not stored as a binary file. Test-only; header-only so each test is one
 * source file. */
#ifndef JF_WARC_FIXTURE_H
#define JF_WARC_FIXTURE_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

/* A plain growable byte string; aborts on OOM (tests only). */
typedef struct {
    uint8_t *p;
    size_t   n, cap;
} Bytes;

static inline void bytes_add(Bytes *b, const void *src, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + n + 1) cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p) abort();
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, src, n);
    b->n += n;
    b->p[b->n] = 0;
}

static inline void bytes_str(Bytes *b, const char *s) { bytes_add(b, s, strlen(s)); }

static inline void bytes_printf(Bytes *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void bytes_printf(Bytes *b, const char *fmt, ...)
{
    char tmp[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    bytes_add(b, tmp, (size_t)n);
}

static inline void bytes_free(Bytes *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* One record to build. Unset fields get sane defaults. */
typedef struct {
    const char *type;         /* default "resource" */
    const char *uri;          /* NULL: no WARC-Target-URI */
    const char *body;         /* NULL: a generated text of body_len bytes */
    size_t      body_len;
    long        cl_delta;     /* added to the true Content-Length */
    const char *omit;         /* a header name to leave out */
    const char *version;      /* default "WARC/1.1" */
    const char *eol;          /* default "\r\n" */
    const char *extra;        /* extra header lines, each ending in eol */
    int         id;           /* makes the record id unique */
} RecSpec;

/* Deterministic filler text with line breaks, so a block looks like a page. */
static inline void fill_text(Bytes *b, size_t n, unsigned seed)
{
    static const char *words[] = { "alpha", "beta", "gamma", "delta", "WARC", "record",
                                   "text", "page", "\u65e5\u672c\u8a9e", "http" };
    size_t start = b->n;
    while (b->n - start < n) {
        seed = seed * 1103515245u + 12345u;
        const char *w = words[(seed >> 16) % 10];
        bytes_str(b, w);
        bytes_str(b, (seed >> 8) % 9 == 0 ? "\n" : " ");
    }
    b->n = start + n;
    b->p[b->n] = 0;
}

/* Appends the record; returns its header length. */
static inline size_t rec_build(Bytes *out, const RecSpec *s)
{
    const char *eol = s->eol ? s->eol : "\r\n";
    Bytes body = { 0 };
    if (s->body) bytes_add(&body, s->body, s->body_len ? s->body_len : strlen(s->body));
    else fill_text(&body, s->body_len, (unsigned)s->id * 7919u + 1u);
    size_t start = out->n;
    bytes_printf(out, "%s%s", s->version ? s->version : "WARC/1.1", eol);
    const char *type = s->type ? s->type : "resource";
    if (!s->omit || strcmp(s->omit, "WARC-Type")) bytes_printf(out, "WARC-Type: %s%s", type, eol);
    if (!s->omit || strcmp(s->omit, "WARC-Record-ID"))
        bytes_printf(out, "WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-%012d>%s", s->id,
                     eol);
    if (!s->omit || strcmp(s->omit, "WARC-Date"))
        bytes_printf(out, "WARC-Date: 2024-05-01T12:00:%02dZ%s", s->id % 60, eol);
    if (s->uri) bytes_printf(out, "WARC-Target-URI: %s%s", s->uri, eol);
    if (s->extra) bytes_str(out, s->extra);
    bytes_printf(out, "Content-Type: %s%s",
                 !strcmp(type, "response") ? "application/http; msgtype=response"
                                           : "text/plain",
                 eol);
    if (!s->omit || strcmp(s->omit, "Content-Length"))
        bytes_printf(out, "Content-Length: %ld%s", (long)body.n + s->cl_delta, eol);
    bytes_str(out, eol);
    size_t hlen = out->n - start;
    bytes_add(out, body.p, body.n);
    bytes_printf(out, "%s%s", eol, eol);
    bytes_free(&body);
    return hlen;
}

/* Appends data as one gzip member (zlib, windowBits 31). */
static inline void gz_member(Bytes *out, const void *data, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    size_t bound = deflateBound(&z, (uLong)n) + 64;
    uint8_t *buf = malloc(bound);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)n;
    z.next_out = buf;
    z.avail_out = (uInt)bound;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
    bytes_add(out, buf, bound - z.avail_out);
    deflateEnd(&z);
    free(buf);
}

/* Appends data as one zstd frame (optionally with a raw-content dictionary). */
static inline void zstd_frame(Bytes *out, const void *data, size_t n, const void *dict, size_t dlen)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    if (dict) ZSTD_CCtx_loadDictionary(c, dict, dlen);
    size_t bound = ZSTD_compressBound(n);
    uint8_t *buf = malloc(bound);
    size_t got = ZSTD_compress2(c, buf, bound, data, n);
    if (ZSTD_isError(got)) abort();
    bytes_add(out, buf, got);
    free(buf);
    ZSTD_freeCCtx(c);
}

/* Writes b to a fresh temporary file; returns its path (static storage per slot). */
static inline const char *tmp_write(const Bytes *b, int slot)
{
    static char paths[8][256];
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(paths[slot], sizeof paths[slot], "%s/jf_warc_test_XXXXXX", dir);
    int fd = mkstemp(paths[slot]);
    if (fd < 0) abort();
    size_t off = 0;
    while (off < b->n) {
        ssize_t w = write(fd, b->p + off, b->n - off);
        if (w <= 0) abort();
        off += (size_t)w;
    }
    close(fd);
    return paths[slot];
}

#endif
