/* http.c: the HTTP/1.x response in a WARC `response` block: status line,
 * header fields, then the body with chunked transfer coding and gzip /
 * x-gzip / deflate (zlib or raw) / zstd content coding undone. Broken input is
 * data: the parse still fills the response, with status 0 for a broken status
 * line and body_decoded_ok = false with the best-effort body when dechunking or
 * inflating fails.
 *
 * Parsed by hand because the stored response is not a live HTTP exchange
 * (no connection, often truncated, headers and body disagreeing) and HTTP
 * libraries refuse exactly the cases we must tolerate. Inflating uses ISA-L
 * (faster than zlib) with our own gzip header parse, shared with warc_stream.c.
 *
 * Does not: brotli (body kept as stored, body_decoded_ok = false), charsets,
 * HTML, HTTP/2 framing, requests. */
#include "http.h"

#include <string.h>
#include <strings.h>

#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include "jf_alloc.h"
#include "jf_buf.h"
#include "warc_int.h"

#define DEFAULT_MAX_BODY ((size_t)64 << 20)
#define OUT_CHUNK        (256u << 10)
#define HEAD_MAX         (1u << 20)      /* longest accepted HTTP header */

struct HttpParser {
    size_t     max_body;
    JfBuf      hdr;          /* header block, parsed in place */
    WarcField *fields;
    size_t     n_fields, cap_fields;
    JfBuf      stage[2];     /* body after each decoding step (ping-pong) */
    struct inflate_state *inf;
    ZSTD_DCtx *zd;
};

JfStatus http_parser_open(size_t max_body, HttpParser **out, JfError *err)
{
    *out = NULL;
    HttpParser *p = jf_calloc(1, sizeof *p);
    if (!p) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    p->max_body = max_body ? max_body : DEFAULT_MAX_BODY;
    jf_buf_init(&p->hdr, 0);
    jf_buf_init(&p->stage[0], 0);
    jf_buf_init(&p->stage[1], 0);
    p->inf = jf_malloc(sizeof *p->inf);
    if (!p->inf) {
        http_parser_close(p);
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    }
    isal_inflate_init(p->inf);
    *out = p;
    return JF_OK;
}

void http_parser_close(HttpParser *p)
{
    if (!p) return;
    jf_buf_free(&p->hdr);
    jf_buf_free(&p->stage[0]);
    jf_buf_free(&p->stage[1]);
    jf_free(p->fields);
    jf_free(p->inf);
    ZSTD_freeDCtx(p->zd);
    jf_free(p);
}

const char *http_response_header(const HttpParser *p, const char *name)
{
    for (size_t i = p->n_fields; i-- > 0;)   /* the last one wins */
        if (warc_ascii_ieq(p->fields[i].name, name)) return p->fields[i].value;
    return NULL;
}

/* ---- status line and header ---- */

/* "HTTP/x[.y] SSS[ reason]" -> SSS, or 0. */
static int status_parse(const char *line)
{
    if (strlen(line) < 5 || memcmp(line, "HTTP/", 5)) return 0;
    const char *p = strchr(line, ' ');
    if (!p) return 0;
    while (*p == ' ') p++;
    if (p[0] < '1' || p[0] > '9' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
        return 0;
    if (p[3] && p[3] != ' ' && p[3] != '\t') return 0;
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* ---- transfer coding ---- */

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Appends up to n bytes to out without passing limit. @return false when cut. */
static bool out_add(JfBuf *out, const uint8_t *src, size_t n, size_t limit, JfStatus *rc)
{
    bool whole = true;
    if (out->len + n > limit) {
        n = limit - out->len;
        whole = false;
    }
    *rc = jf_buf_append(out, src, n);
    return whole && *rc == JF_OK;
}

/* Undoes chunked transfer coding. A first chunk-size line that is not hex means
 * the body was stored already dechunked: it is kept as is. A later bad size or
 * a missing end keeps what was decoded plus the rest as stored.
 * @return JF_OK or JF_ENOMEM; *ok false when the coding was broken. */
static JfStatus dechunk(const uint8_t *in, size_t n, JfBuf *out, size_t limit, bool *ok)
{
    JfStatus rc = JF_OK;
    size_t i = 0;
    bool first = true;
    *ok = false;
    jf_buf_reset(out);
    for (;;) {
        while (i < n && (in[i] == ' ' || in[i] == '\t')) i++;
        uint64_t size = 0;
        size_t digits = 0;
        for (int v; i < n && (v = hex_value(in[i])) >= 0 && digits <= 16; i++, digits++)
            size = size << 4 | (uint64_t)v;
        const uint8_t *nl = i < n ? memchr(in + i, '\n', n - i) : NULL;
        if (digits == 0 || digits > 16 || !nl) {
            size_t from = first ? 0 : i;
            if (!first && digits) {   /* step back over the partial size digits */
                from = i - digits;
            }
            if (first) jf_buf_reset(out);
            if (from < n) out_add(out, in + from, n - from, limit, &rc);
            return rc;
        }
        i = (size_t)(nl - in) + 1;   /* past chunk extensions and CRLF */
        first = false;
        if (size == 0) {
            *ok = true;               /* trailer fields after it are ignored */
            return JF_OK;
        }
        size_t take = size < n - i ? (size_t)size : n - i;
        bool whole = out_add(out, in + i, take, limit, &rc);
        if (rc != JF_OK || !whole) return rc;
        i += take;
        if (take < size || i >= n) return JF_OK;   /* truncated */
        if (in[i] == '\r') i++;
        if (i < n && in[i] == '\n') i++;
    }
}

/* ---- content coding ---- */

static bool looks_zlib(const uint8_t *p, size_t n)
{
    return n >= 2 && (p[0] & 0x0f) == 8 && (p[0] >> 4) <= 7 && ((p[0] << 8) | p[1]) % 31 == 0;
}

/* Inflates one deflate stream (flag: ISAL_DEFLATE, ISAL_ZLIB, ISAL_GZIP_NO_HDR_VER)
 * from in[*used..n) onto out. @return JF_OK or JF_ENOMEM; *ok false on damage,
 * truncation or the size limit. */
static JfStatus inflate_one(HttpParser *p, const uint8_t *in, size_t n, size_t *used, int flag,
                            JfBuf *out, bool *ok)
{
    struct inflate_state *z = p->inf;
    isal_inflate_reset(z);
    z->crc_flag = (uint32_t)flag;
    z->next_in = (uint8_t *)(uintptr_t)(in + *used);
    z->avail_in = (uint32_t)(n - *used > UINT32_MAX ? UINT32_MAX : n - *used);
    *ok = false;
    for (;;) {
        size_t want = p->max_body - out->len;
        if (want == 0) break;                        /* size limit: cut here */
        if (want > OUT_CHUNK) want = OUT_CHUNK;
        if (jf_buf_reserve(out, want) != JF_OK) return JF_ENOMEM;
        z->next_out = out->data + out->len;
        z->avail_out = (uint32_t)want;
        int ret = isal_inflate(z);
        size_t made = want - z->avail_out;
        out->len += made;
        out->data[out->len] = '\0';
        if (ret < 0) break;
        if (z->block_state == ISAL_BLOCK_FINISH) {
            *ok = true;
            break;
        }
        if (made == 0 && z->avail_in == 0) break;   /* truncated */
    }
    *used = (size_t)(z->next_in - in);
    return JF_OK;
}

static JfStatus gunzip(HttpParser *p, const uint8_t *in, size_t n, JfBuf *out, bool *ok)
{
    size_t used = 0, hl;
    *ok = false;
    jf_buf_reset(out);
    while (warc_gzip_header_parse(in + used, n - used, &hl) == GZ_HDR_OK) {
        used += hl;
        JfStatus rc = inflate_one(p, in, n, &used, ISAL_GZIP_NO_HDR_VER, out, ok);
        /* bytes after the last member that are not a gzip header are ignored */
        if (rc != JF_OK || !*ok || used >= n) return rc;
    }
    return JF_OK;
}

static JfStatus unzstd(HttpParser *p, const uint8_t *in, size_t n, JfBuf *out, bool *ok)
{
    *ok = false;
    jf_buf_reset(out);
    if (!p->zd && !(p->zd = ZSTD_createDCtx())) return JF_ENOMEM;
    ZSTD_DCtx_reset(p->zd, ZSTD_reset_session_only);
    ZSTD_inBuffer ib = { in, n, 0 };
    for (;;) {
        size_t want = p->max_body - out->len;
        if (want == 0) return JF_OK;
        if (want > OUT_CHUNK) want = OUT_CHUNK;
        if (jf_buf_reserve(out, want) != JF_OK) return JF_ENOMEM;
        ZSTD_outBuffer ob = { out->data + out->len, want, 0 };
        size_t ret = ZSTD_decompressStream(p->zd, &ob, &ib);
        out->len += ob.pos;
        out->data[out->len] = '\0';
        if (ZSTD_isError(ret)) return JF_OK;
        if (ret == 0 && ib.pos == ib.size) {
            *ok = true;
            return JF_OK;
        }
        if (ob.pos == 0 && ib.pos == ib.size) return JF_OK;   /* truncated */
    }
}

/* Undoes one content coding named by token (len bytes). @return JF_OK or
 * JF_ENOMEM; *ok false when unknown or broken (out then holds the best effort). */
static JfStatus decode_one(HttpParser *p, const char *token, size_t len, const uint8_t *in,
                           size_t n, JfBuf *out, bool *ok)
{
#define IS(name) (len == sizeof(name) - 1 && !strncasecmp(token, name, len))
    if (IS("gzip") || IS("x-gzip")) return gunzip(p, in, n, out, ok);
    if (IS("deflate")) {
        size_t used = 0;
        jf_buf_reset(out);
        return inflate_one(p, in, n, &used, looks_zlib(in, n) ? ISAL_ZLIB : ISAL_DEFLATE, out,
                           ok);
    }
    if (IS("zstd")) return unzstd(p, in, n, out, ok);
#undef IS
    jf_buf_reset(out);
    *ok = false;
    return JF_OK;
}

/* ---- parse ---- */

static bool has_token(const char *list, const char *token)
{
    size_t tl = strlen(token);
    for (const char *s = list; s && *s;) {
        while (*s == ' ' || *s == '\t' || *s == ',') s++;
        const char *e = s;
        while (*e && *e != ',' && *e != ';' && *e != ' ' && *e != '\t') e++;
        if ((size_t)(e - s) == tl && !strncasecmp(s, token, tl)) return true;
        s = strchr(e, ',');
    }
    return false;
}

/* Undoes the content codings listed in enc (applied in order, so undone last
 * first) on *body, switching to parser buffers as it goes. */
static JfStatus decode_content(HttpParser *p, const char *enc, const uint8_t **body, size_t *len,
                               int *next_stage, JfBuf **holder, bool *ok)
{
    const char *tokens[8];
    size_t tlen[8], nt = 0;
    for (const char *s = enc; *s && nt < 8;) {
        while (*s == ' ' || *s == '\t' || *s == ',') s++;
        const char *e = s;
        while (*e && *e != ',' && *e != ' ' && *e != '\t' && *e != ';') e++;
        if (e > s && !((e - s) == 8 && !strncasecmp(s, "identity", 8))) {
            tokens[nt] = s;
            tlen[nt++] = (size_t)(e - s);
        }
        s = e;
        while (*s && *s != ',') s++;
    }
    while (nt-- > 0) {
        JfBuf *out = &p->stage[*next_stage];
        bool step_ok;
        JfStatus rc = decode_one(p, tokens[nt], tlen[nt], *body, *len, out, &step_ok);
        if (rc != JF_OK) return rc;
        if (!step_ok) {
            *ok = false;
            /* partly inflated output is the better guess, unless nothing came out */
            if (out->len == 0) return JF_OK;
        }
        *body = out->data;
        *len = out->len;
        *holder = out;
        *next_stage ^= 1;
        if (!step_ok) return JF_OK;
    }
    return JF_OK;
}

/* Status line and header fields of block[0..he). @return JF_OK or JF_ENOMEM. */
static JfStatus http_head_parse(HttpParser *p, const uint8_t *block, size_t he, HttpResponse *out)
{
    jf_buf_reset(&p->hdr);
    if (jf_buf_append(&p->hdr, block, he) != JF_OK) return JF_ENOMEM;
    char *h = (char *)p->hdr.data;
    size_t i = 0;
    while (i < he && h[i] != '\n') i++;
    h[i > 0 && h[i - 1] == '\r' ? i - 1 : i] = '\0';
    out->status = status_parse(h);
    if (i < he &&
        warc_fields_parse(h, he, i + 1, &p->fields, &p->n_fields, &p->cap_fields) != JF_OK)
        return JF_ENOMEM;
    out->content_type = http_response_header(p, "Content-Type");
    out->content_encoding = http_response_header(p, "Content-Encoding");
    out->transfer_encoding = http_response_header(p, "Transfer-Encoding");
    return JF_OK;
}

/* Undoes the transfer and content codings of body; the result always lives in
 * a parser buffer, NUL-terminated, at most max_body bytes. @return JF_OK or
 * JF_ENOMEM. */
static JfStatus http_body_decode(HttpParser *p, const uint8_t *body, size_t blen,
                                 HttpResponse *out)
{
    bool ok = true;
    int next_stage = 0;
    JfBuf *holder = NULL;   /* the parser buffer holding body, NULL while it is in block */
    if (out->transfer_encoding && has_token(out->transfer_encoding, "chunked")) {
        holder = &p->stage[next_stage];
        next_stage ^= 1;
        if (dechunk(body, blen, holder, p->max_body, &ok) != JF_OK) return JF_ENOMEM;
        body = holder->data;
        blen = holder->len;
    }
    if (ok && out->content_encoding &&
        decode_content(p, out->content_encoding, &body, &blen, &next_stage, &holder, &ok) !=
            JF_OK)
        return JF_ENOMEM;
    if (!holder) {
        holder = &p->stage[next_stage];
        jf_buf_reset(holder);
        JfStatus rc;
        if (!out_add(holder, body, blen, p->max_body, &rc)) {
            if (rc != JF_OK) return rc;
            ok = false;
        }
        body = holder->data;
        blen = holder->len;
    }
    out->body = body ? body : (const uint8_t *)"";
    out->body_len = blen;
    out->body_decoded_ok = ok;
    return JF_OK;
}

JfStatus http_response_parse(HttpParser *p, const uint8_t *block, size_t len, HttpResponse *out,
                             JfError *err)
{
    memset(out, 0, sizeof *out);
    p->n_fields = 0;
    /* a header is never longer than HEAD_MAX: do not copy a whole body as one */
    size_t he = warc_header_end(block, len < HEAD_MAX ? len : HEAD_MAX, 0);
    bool have_end = he != 0;
    if (!have_end) he = len < HEAD_MAX ? len : HEAD_MAX;
    if (http_head_parse(p, block, he, out) != JF_OK ||
        http_body_decode(p, block + he, have_end ? len - he : 0, out) != JF_OK)
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    if (!have_end) {
        out->body_decoded_ok = false;
        return jf_error_set(err, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN,
                            "HTTP response has no end of header (%zu bytes)", len);
    }
    return JF_OK;
}
