/* warc_reader.c: WARC records on top of the uncompressed window of
 * warc_stream.c. A record is
 *
 *   WARC/1.1 CRLF                      version line
 *   Name: value CRLF ...               named fields (continuation lines start with SP/HT)
 *   CRLF                               end of header
 *   <Content-Length bytes>             the block
 *   CRLF CRLF                          end of record
 *
 * We parse this by hand instead of using a library: the format is a dozen
 * lines, no C library handles our resynchronisation rules, and parsing in
 * place lets the block be returned without a copy. Robustness rules: a record
 * that fails (bad header, wrong Content-Length, truncation, damaged member) is
 * reported once with its offset, and the next call scans for the next line that
 * starts with "WARC/1." (or the next gzip member start); a record whose block
 * exceeds max_record_bytes is reported and skipped by streaming, never
 * buffered. Every error path consumes at least one byte, so the reader always
 * ends.
 *
 * Does not: check digests, join continuation records, parse the block. */
#include "warc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jf_alloc.h"
#include "jf_buf.h"
#include "warc_int.h"

#define HDR_MAX            (1u << 20)     /* longest accepted record header */
#define DEFAULT_MAX_RECORD ((size_t)64 << 20)
#define TRAILER_SCAN_MAX   64             /* CR/LF bytes looked at after a block */

struct WarcReader {
    WarcStream s;
    char      *path;
    size_t     max_record;
    JfBuf      hbuf;        /* current record's header block, parsed in place */
    WarcField *fields;
    size_t     n_fields, cap_fields;
    const char *version;
    JfBuf      side;        /* a block copy, only when it cannot be NUL-terminated in place */
    uint64_t   skip_left;   /* bytes of a too-big record still to drop */
    bool       skip_member; /* ...that started a member: stop at the next member start */
    uint64_t   skip_from;   /* uncompressed offset of that record */
    bool       resync;      /* scan for the next record start before parsing */
    bool       prev_nl;     /* the byte before w_pos was '\n' (or start of file) */
};

/* ---- small helpers ---- */

static const uint8_t *rd_bytes(const WarcReader *r) { return r->s.w + r->s.w_pos; }
static size_t rd_avail(const WarcReader *r) { return warc_stream_avail(&r->s); }

static void rd_consume(WarcReader *r, size_t n)
{
    if (!n) return;
    r->prev_nl = r->s.w[r->s.w_pos + n - 1] == '\n';
    r->s.w_pos += n;
}

/* Fills until n bytes are available. @return JF_OK, JF_DONE (stream ended first) or an error. */
static JfStatus rd_need(WarcReader *r, size_t n, JfError *err)
{
    while (rd_avail(r) < n) {
        JfStatus rc = warc_stream_fill(&r->s, err);
        if (rc != JF_OK) return rc;
    }
    return JF_OK;
}

/* Reports a problem with the record at uncompressed offset u, translated to a
 * file offset: the member start for compressed files when the record starts
 * one, else the uncompressed offset, said so in the message. */
static JfStatus rd_fail(WarcReader *r, JfError *err, JfStatus code, uint64_t u, const char *fmt,
                        ...) __attribute__((format(printf, 5, 6)));
static JfStatus rd_fail(WarcReader *r, JfError *err, JfStatus code, uint64_t u, const char *fmt,
                        ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    WarcMember m;
    if (r->s.codec == WARC_CODEC_PLAIN)
        return jf_error_set(err, code, r->path, u, "%s", msg);
    if (warc_stream_member_at(&r->s, u, &m))
        return jf_error_set(err, code, r->path, m.c_start, "%s", msg);
    return jf_error_set(err, code, r->path, u, "%s (offset in the uncompressed data)", msg);
}

/* A damaged member or other stream error in the middle of a record: the record
 * is lost; drop its first byte so the scan cannot find it again. */
static JfStatus rd_stream_broke(WarcReader *r, JfStatus rc)
{
    if (rd_avail(r) > 0) rd_consume(r, 1);
    r->resync = true;
    return rc;
}

/* ---- resynchronisation ---- */

/* Drops bytes until the window starts with "WARC/1." at a line start or at a
 * member start. @return JF_OK, JF_DONE, or a stream error (still resyncing). */
static JfStatus rd_scan(WarcReader *r, JfError *err)
{
    static const char pat[] = "WARC/1.";
    const size_t plen = sizeof pat - 1;
    for (;;) {
        const uint8_t *b = rd_bytes(r);
        size_t n = rd_avail(r), i = 0;
        while (i + plen <= n) {
            const uint8_t *p = memmem(b + i, n - i, pat, plen);
            if (!p) break;
            size_t k = (size_t)(p - b);
            bool line_start = k > 0 ? b[k - 1] == '\n' : r->prev_nl;
            WarcMember m;
            if (line_start || warc_stream_member_at(&r->s, warc_stream_pos(&r->s) + k, &m)) {
                rd_consume(r, k);
                r->resync = false;
                return JF_OK;
            }
            i = k + 1;
        }
        if (n > plen) rd_consume(r, n - (plen - 1));
        JfStatus rc = warc_stream_fill(&r->s, err);
        if (rc == JF_DONE) {
            rd_consume(r, rd_avail(r));
            r->resync = false;
            return JF_DONE;
        }
        if (rc != JF_OK) return rc;
    }
}

static JfStatus rd_skip(WarcReader *r, JfError *err)
{
    while (r->skip_left) {
        if (rd_avail(r) == 0) {
            JfStatus rc = warc_stream_fill(&r->s, err);
            if (rc != JF_OK) {
                r->skip_left = 0;
                if (rc != JF_DONE) r->resync = true;
                return rc;
            }
        }
        size_t n = rd_avail(r);
        if (n > r->skip_left) n = (size_t)r->skip_left;
        uint64_t pos = warc_stream_pos(&r->s), next;
        if (r->skip_member && warc_stream_member_start_in(&r->s, r->skip_from, pos + n, &next)) {
            /* per-record compression: the record cannot go past its member, so
             * a Content-Length that lies cannot swallow the records after it */
            rd_consume(r, next > pos ? (size_t)(next - pos) : 0);
            r->skip_left = 0;
            break;
        }
        rd_consume(r, n);
        r->skip_left -= n;
    }
    return JF_OK;
}

/* ---- header ---- */

size_t warc_header_end(const uint8_t *b, size_t n, size_t from)
{
    for (size_t i = from; i < n;) {
        const uint8_t *nl = memchr(b + i, '\n', n - i);
        if (!nl) return 0;
        size_t k = (size_t)(nl - b);
        if (k + 1 < n && b[k + 1] == '\n') return k + 2;
        if (k + 2 < n && b[k + 1] == '\r' && b[k + 2] == '\n') return k + 3;
        i = k + 1;
    }
    return 0;
}

static bool is_version_line(const char *v)
{
    /* "WARC/" digits "." digits */
    const char *p = v + 5;
    if (strncmp(v, "WARC/", 5) || *p < '0' || *p > '9') return false;
    while (*p >= '0' && *p <= '9') p++;
    if (*p++ != '.' || *p < '0' || *p > '9') return false;
    while (*p >= '0' && *p <= '9') p++;
    return *p == '\0';
}

/* Parses the header copied into hbuf in place. @return JF_OK, JF_EFORMAT (bad
 * version line), JF_ENOMEM. */
static JfStatus hdr_parse(WarcReader *r)
{
    char *b = (char *)r->hbuf.data;
    size_t n = r->hbuf.len, i = 0;
    r->n_fields = 0;
    while (i < n && b[i] != '\n') i++;
    b[i > 0 && b[i - 1] == '\r' ? i - 1 : i] = '\0';
    r->version = b;
    if (!is_version_line(b)) return JF_EFORMAT;
    return warc_fields_parse(b, n, i + 1, &r->fields, &r->n_fields, &r->cap_fields);
}

static const char *hdr_get(const WarcReader *r, const char *name)
{
    for (size_t i = 0; i < r->n_fields; i++)
        if (warc_ascii_ieq(r->fields[i].name, name)) return r->fields[i].value;
    return NULL;
}

/* wget (and the WARC 1.0 text's own example) write WARC-Target-URI as
 * "<http://...>"; readers such as warcio strip the brackets, and so do we, in
 * place, so warc_record_header() agrees. */
static void uri_unbracket(WarcReader *r)
{
    for (size_t i = 0; i < r->n_fields; i++) {
        WarcField *f = &r->fields[i];
        size_t n = strlen(f->value);
        if (!warc_ascii_ieq(f->name, "WARC-Target-URI") || n < 2 || f->value[0] != '<' ||
            f->value[n - 1] != '>')
            continue;
        ((char *)f->value)[n - 1] = '\0';   /* our own hbuf */
        f->value++;
    }
}

/* Content-Length: digits only (surrounding blanks were trimmed). */
static bool parse_length(const char *v, uint64_t *out)
{
    uint64_t x = 0;
    if (!v || !*v) return false;
    for (; *v; v++) {
        if (*v < '0' || *v > '9') return false;
        if (x > (UINT64_MAX - 9) / 10) return false;
        x = x * 10 + (uint64_t)(*v - '0');
    }
    *out = x;
    return true;
}

/* ---- one record ---- */

/* Skips blank lines between records. @return JF_OK (a byte is waiting), JF_DONE, error. */
static JfStatus rd_skip_blank(WarcReader *r, JfError *err)
{
    for (;;) {
        JfStatus rc = rd_need(r, 1, err);
        if (rc != JF_OK) return rc;
        const uint8_t *b = rd_bytes(r);
        size_t n = rd_avail(r), k = 0;
        while (k < n && (b[k] == '\r' || b[k] == '\n')) k++;
        rd_consume(r, k);
        if (k < n) return JF_OK;
    }
}

/* Waits for the whole header. @return JF_OK (*hdr_end set), JF_DONE (file ended
 * inside it), JF_EFORMAT (too long), or a stream error. */
static JfStatus rd_header_end(WarcReader *r, size_t *hdr_end, JfError *err)
{
    size_t from = 0;
    for (;;) {
        size_t n = rd_avail(r);
        size_t e = warc_header_end(rd_bytes(r), n, from);
        if (e > HDR_MAX) return JF_EFORMAT;
        if (e) {
            *hdr_end = e;
            return JF_OK;
        }
        if (n > HDR_MAX) return JF_EFORMAT;
        from = n > 2 ? n - 2 : 0;
        JfStatus rc = warc_stream_fill(&r->s, err);
        if (rc != JF_OK) return rc;
    }
}

/* After the block at t: "\r\n\r\n" (or, leniently, any run of CR/LF) followed
 * by the next "WARC/" or the end of the data. @return JF_OK with *ok and
 * *trailer (CR/LF bytes to consume), or a stream error. */
static JfStatus rd_check_end(WarcReader *r, size_t t, bool *ok, size_t *trailer, JfError *err)
{
    JfStatus rc = rd_need(r, t + 4, err);
    if (rc != JF_OK && rc != JF_DONE) return rc;
    if (rc == JF_OK && !memcmp(rd_bytes(r) + t, "\r\n\r\n", 4)) {
        *ok = true;
        *trailer = 4;
        return JF_OK;
    }
    size_t k = t;
    for (;;) {
        const uint8_t *b = rd_bytes(r);
        size_t n = rd_avail(r);
        while (k < n && k - t < TRAILER_SCAN_MAX && (b[k] == '\r' || b[k] == '\n')) k++;
        if (k < n || k - t >= TRAILER_SCAN_MAX) break;
        rc = warc_stream_fill(&r->s, err);
        if (rc == JF_DONE) {
            *ok = true;    /* the data ends after the block: fine */
            *trailer = k - t;
            return JF_OK;
        }
        if (rc != JF_OK) return rc;
    }
    *trailer = k - t;
    if (k - t >= TRAILER_SCAN_MAX) {
        *ok = true;        /* many blank lines: the next call skips the rest */
        return JF_OK;
    }
    rc = rd_need(r, k + 5, err);
    if (rc != JF_OK && rc != JF_DONE) return rc;
    size_t have = rd_avail(r) - k;
    *ok = !memcmp(rd_bytes(r) + k, "WARC/", have < 5 ? have : 5);
    return JF_OK;
}

/* The block is shorter than Content-Length says and the data ended. */
static JfStatus rd_short_block(WarcReader *r, uint64_t u, size_t hdr_end, uint64_t clen,
                               JfError *err)
{
    const uint8_t *b = rd_bytes(r);
    size_t n = rd_avail(r);
    if (n > hdr_end && memmem(b + hdr_end, n - hdr_end, "\nWARC/1.", 8)) {
        rd_consume(r, hdr_end);
        r->resync = true;
        return rd_fail(r, err, JF_EFORMAT, u,
                       "Content-Length %llu runs past the next record; skipping to it",
                       (unsigned long long)clen);
    }
    size_t got = n - hdr_end;
    JfStatus rc = rd_fail(r, err, JF_ETRUNC, u,
                          "truncated record: the data ends after %zu of %llu block bytes", got,
                          (unsigned long long)clen);
    rd_consume(r, n);
    return rc;
}

/* Decides offset and length of a complete record of rec_len bytes (header +
 * block) plus trailer bytes, at uncompressed offset u. For compressed files a
 * record that fills exactly one member is reported by the member. */
static JfStatus rd_place(WarcReader *r, uint64_t u, size_t rec_len, size_t trailer,
                         WarcRecord *rec, JfError *err)
{
    rec->offset = u;
    rec->length = rec_len;
    if (r->s.codec == WARC_CODEC_PLAIN) return JF_OK;
    uint64_t end = u + rec_len + trailer;
    if (warc_stream_member_is_open_at(&r->s, u) && r->s.w_off + r->s.w_len == end) {
        /* the member may end right here: one more step tells (and checks its CRC) */
        JfStatus rc = warc_stream_fill(&r->s, err);
        if (rc != JF_OK && rc != JF_DONE) return rc;
    }
    WarcMember m;
    if (warc_stream_member_at(&r->s, u, &m)) {
        rec->offset = m.c_start;
        rec->length = m.done && m.u_end == end ? m.c_end - m.c_start : 0;
        if (!rec->length) {   /* not one record per member: stay in uncompressed terms */
            rec->offset = u;
            rec->length = rec_len;
        }
    }
    return JF_OK;
}

/* Step 1: the record must start with "WARC/". @return JF_OK, JF_DONE, or the
 * reported error (the reader has moved on). */
static JfStatus rd_record_start(WarcReader *r, uint64_t *u, JfError *err)
{
    JfStatus rc = rd_skip_blank(r, err);
    if (rc == JF_DONE) return rc;
    if (rc != JF_OK) return rd_stream_broke(r, rc);
    *u = warc_stream_pos(&r->s);
    rc = rd_need(r, 5, err);
    if (rc != JF_OK && rc != JF_DONE) return rd_stream_broke(r, rc);
    size_t n = rd_avail(r);
    if (memcmp(rd_bytes(r), "WARC/", n < 5 ? n : 5)) {
        rd_consume(r, 1);
        r->resync = true;
        return rd_fail(r, err, JF_EFORMAT, *u,
                       "garbage where a WARC record should start; skipping to the next record");
    }
    if (n < 5) {
        rd_consume(r, n);
        return rd_fail(r, err, JF_ETRUNC, *u, "truncated record: the data ends in its first line");
    }
    return JF_OK;
}

/* Step 2: the header, parsed, with a usable Content-Length within the limit.
 * @return JF_OK (*hdr_end, *clen set) or the reported error. */
static JfStatus rd_record_header(WarcReader *r, uint64_t u, size_t *hdr_end, uint64_t *clen,
                                 JfError *err)
{
    JfStatus rc = rd_header_end(r, hdr_end, err);
    if (rc == JF_DONE) {
        size_t n = rd_avail(r);
        rc = rd_fail(r, err, JF_ETRUNC, u, "truncated record header (%zu bytes, no blank line)",
                     n);
        rd_consume(r, n);
        return rc;
    }
    if (rc == JF_EFORMAT) {
        rd_consume(r, 1);
        r->resync = true;
        return rd_fail(r, err, JF_EFORMAT, u, "record header longer than %u bytes", HDR_MAX);
    }
    if (rc != JF_OK) return rd_stream_broke(r, rc);

    jf_buf_reset(&r->hbuf);
    if (jf_buf_append(&r->hbuf, rd_bytes(r), *hdr_end) != JF_OK)
        return jf_error_set(err, JF_ENOMEM, r->path, u, "out of memory");
    rc = hdr_parse(r);
    if (rc == JF_ENOMEM) return jf_error_set(err, JF_ENOMEM, r->path, u, "out of memory");
    if (rc != JF_OK) {
        rd_consume(r, 1);
        r->resync = true;
        return rd_fail(r, err, JF_EFORMAT, u, "bad WARC version line '%.40s'", r->version);
    }
    const char *v = hdr_get(r, "Content-Length");
    if (!parse_length(v, clen)) {
        rd_consume(r, 1);
        r->resync = true;
        if (v) return rd_fail(r, err, JF_EFORMAT, u, "bad Content-Length '%.40s'", v);
        return rd_fail(r, err, JF_EFORMAT, u, "record has no Content-Length header");
    }
    if (*clen > r->max_record) {
        WarcMember m;
        r->skip_left = *hdr_end + *clen;
        r->skip_member = warc_stream_member_at(&r->s, u, &m);
        r->skip_from = u;
        return rd_fail(r, err, JF_ETOOBIG, u,
                       "record block of %llu bytes exceeds the limit of %zu bytes; skipped",
                       (unsigned long long)*clen, r->max_record);
    }
    return JF_OK;
}

/* Step 3: the block, the end of the record, the mandatory fields; fills rec.
 * @return JF_ROW or the reported error. */
static JfStatus rd_record_block(WarcReader *r, uint64_t u, size_t hdr_end, uint64_t clen,
                                WarcRecord *rec, JfError *err)
{
    size_t t = hdr_end + (size_t)clen;
    JfStatus rc = rd_need(r, t, err);
    if (rc == JF_DONE) return rd_short_block(r, u, hdr_end, clen, err);
    if (rc != JF_OK) return rd_stream_broke(r, rc);
    bool ok = false;
    size_t trailer = 0;
    rc = rd_check_end(r, t, &ok, &trailer, err);
    if (rc != JF_OK) return rd_stream_broke(r, rc);
    if (!ok) {
        rd_consume(r, hdr_end);
        r->resync = true;
        return rd_fail(r, err, JF_EFORMAT, u,
                       "the record does not end where Content-Length %llu says; "
                       "skipping to the next record", (unsigned long long)clen);
    }
    rc = rd_place(r, u, t, trailer, rec, err);
    if (rc != JF_OK) return rd_stream_broke(r, rc);

    static const char *const mandatory[] = { "WARC-Type", "WARC-Record-ID", "WARC-Date" };
    for (size_t i = 0; i < sizeof mandatory / sizeof mandatory[0]; i++) {
        if (hdr_get(r, mandatory[i])) continue;
        rd_consume(r, t + trailer);
        return rd_fail(r, err, JF_EFORMAT, u, "record lacks the mandatory %s header; skipped",
                       mandatory[i]);
    }

    uint8_t *base = r->s.w + r->s.w_pos;
    rec->body = base + hdr_end;
    rec->body_len = (size_t)clen;
    if (trailer > 0 || r->s.w_pos + t == r->s.w_len) {
        base[t] = '\0';   /* a consumed CR, or the spare byte after the window */
    } else {               /* the next record follows at once: NUL-terminate a copy */
        jf_buf_reset(&r->side);
        if (jf_buf_append(&r->side, rec->body, rec->body_len) != JF_OK)
            return jf_error_set(err, JF_ENOMEM, r->path, u, "out of memory");
        rec->body = r->side.data;
    }
    uri_unbracket(r);
    rec->version = r->version;
    rec->type = hdr_get(r, "WARC-Type");
    rec->record_id = hdr_get(r, "WARC-Record-ID");
    rec->target_uri = hdr_get(r, "WARC-Target-URI");
    rec->date = hdr_get(r, "WARC-Date");
    rec->content_type = hdr_get(r, "Content-Type");
    rec->hdrs_ = r;
    rd_consume(r, t + trailer);
    return JF_ROW;
}

static JfStatus rd_record(WarcReader *r, WarcRecord *rec, JfError *err)
{
    uint64_t u = 0, clen = 0;
    size_t hdr_end = 0;
    JfStatus rc = rd_record_start(r, &u, err);
    if (rc != JF_OK) return rc;
    rc = rd_record_header(r, u, &hdr_end, &clen, err);
    if (rc != JF_OK) return rc;
    return rd_record_block(r, u, hdr_end, clen, rec, err);
}

/* ---- public ---- */

JfStatus warc_reader_open(const char *path, const WarcReaderOptions *opt, WarcReader **out,
                          JfError *err)
{
    *out = NULL;
    WarcReader *r = jf_calloc(1, sizeof *r);
    if (!r) return jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "out of memory");
    r->s.fd = -1;
    r->path = jf_strdup(path);
    if (!r->path) {
        jf_free(r);
        return jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "out of memory");
    }
    r->max_record = opt && opt->max_record_bytes ? opt->max_record_bytes : DEFAULT_MAX_RECORD;
    if (r->max_record > SIZE_MAX / 4) r->max_record = SIZE_MAX / 4;
    r->prev_nl = true;
    jf_buf_init(&r->hbuf, HDR_MAX + 16);
    jf_buf_init(&r->side, 0);
    size_t w_limit = r->max_record + HDR_MAX + (2u << 20);
    JfStatus rc = warc_stream_open(&r->s, r->path, w_limit, err);
    if (opt && opt->max_ratio) r->s.max_ratio = opt->max_ratio == UINT32_MAX ? 0 : opt->max_ratio;
    if (rc != JF_OK) {
        warc_reader_close(r);
        return rc;
    }
    *out = r;
    return JF_OK;
}

JfStatus warc_reader_next(WarcReader *r, WarcRecord *rec, JfError *err)
{
    memset(rec, 0, sizeof *rec);
    r->n_fields = 0;
    JfStatus rc;
    if (r->skip_left) {
        rc = rd_skip(r, err);
        if (rc != JF_OK) return rc;
    }
    if (r->resync) {
        rc = rd_scan(r, err);
        if (rc != JF_OK) return rc;
    }
    return rd_record(r, rec, err);
}

const char *warc_record_header(const WarcRecord *rec, const char *name)
{
    if (!rec || !rec->hdrs_) return NULL;
    return hdr_get(rec->hdrs_, name);
}

uint64_t warc_reader_bytes_read(const WarcReader *r) { return warc_stream_bytes_read(&r->s); }

void warc_reader_close(WarcReader *r)
{
    if (!r) return;
    warc_stream_close(&r->s);
    jf_buf_free(&r->hbuf);
    jf_buf_free(&r->side);
    jf_free(r->fields);
    jf_free(r->path);
    jf_free(r);
}
