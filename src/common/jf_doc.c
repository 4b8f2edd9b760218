/* jf_doc.c: documents as zstd-compressed JSON lines. It frames lines,
 * streams zstd in fixed-size chunks (memory is bounded by the longest line),
 * and keeps writes atomic (PATH.tmp, renamed on commit).
 *
 * JSON: jansson is the reference for reading and writing a line. Because
 * every stage reads and writes every document, the common case has a direct
 * path here: a small scanner that decodes the fields of a line and accepts
 * only what jansson (JSON_ALLOW_NUL) surely accepts (strict UTF-8, no raw
 * control characters, paired \u surrogates, numbers that cannot overflow,
 * nesting up to 32, no duplicate field), handing anything else to jansson;
 * and a writer that escapes strings exactly as jansson's compact dump does
 * (meta, a small object, is still dumped by jansson). Both give the same
 * document and the same bytes as the jansson paths, which stay available
 * (jf_doc_*_jansson) as the judge in tests. */
#include "jf_doc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "jf_alloc.h"
#include "jf_buf.h"
#include "jf_json_scan.h"

#define DOC_IO_CHUNK (128u * 1024u)

/* ---------------------------------------------------------------- JfDoc ---- */

JfStatus jf_doc_init(JfDoc *d)
{
    memset(d, 0, sizeof *d);
    d->meta = json_object();
    return d->meta ? JF_OK : JF_ENOMEM;
}

void jf_doc_free(JfDoc *d)
{
    jf_free(d->id);
    jf_free(d->text);
    jf_free(d->source);
    jf_free(d->lang);
    jf_free(d->url);
    jf_free(d->created);
    json_decref(d->meta);
    memset(d, 0, sizeof *d);
}

JfStatus jf_doc_set(char **field, const char *s, size_t len)
{
    char *copy = NULL;
    if (s && !(copy = jf_strndup(s, len))) return JF_ENOMEM;
    jf_free(*field);
    *field = copy;
    return JF_OK;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

JfStatus jf_doc_to_json_line_jansson(const JfDoc *d, char **line, size_t *len, JfError *err)
{
    json_t *o = json_object();
    if (!o) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    /* Field order is fixed so that identical documents give identical bytes. */
    int bad = json_object_set_new(o, "id", str_or_null(d->id))
            | json_object_set_new(o, "text", json_stringn(d->text ? d->text : "", d->text_len))
            | json_object_set_new(o, "source", str_or_null(d->source))
            | json_object_set_new(o, "lang", str_or_null(d->lang))
            | json_object_set_new(o, "url", str_or_null(d->url))
            | json_object_set_new(o, "created", str_or_null(d->created))
            | json_object_set_new(o, "meta", d->meta ? json_incref(d->meta) : json_object());
    char *s = bad ? NULL : json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!s)
        return jf_error_set(err, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN,
                            "document %s cannot be serialized (invalid UTF-8?)",
                            d->id ? d->id : "(no id)");
    *len = strlen(s);
    *line = s; /* jansson's allocation: release with free() */
    return JF_OK;
}

static JfStatus take_string(json_t *o, const char *key, bool required, char **field,
                            size_t *len_out)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) return required ? JF_EFORMAT : JF_OK;
    if (!json_is_string(v)) return JF_EFORMAT;
    size_t len = json_string_length(v);
    if (len_out) *len_out = len;
    return jf_doc_set(field, json_string_value(v), len);
}

JfStatus jf_doc_from_json_jansson(JfDoc *d, const char *line, size_t len, JfError *err)
{
    json_error_t jerr;
    json_t *o = json_loadb(line, len, JSON_ALLOW_NUL, &jerr);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return jf_error_set(err, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN, "invalid JSON: %s",
                            o ? "not an object" : jerr.text);
    }
    jf_doc_free(d);
    JfStatus rc = jf_doc_init(d);
    if (rc == JF_OK) rc = take_string(o, "id", true, &d->id, NULL);
    if (rc == JF_OK) rc = take_string(o, "text", true, &d->text, &d->text_len);
    if (rc == JF_OK) rc = take_string(o, "source", false, &d->source, NULL);
    if (rc == JF_OK) rc = take_string(o, "lang", false, &d->lang, NULL);
    if (rc == JF_OK) rc = take_string(o, "url", false, &d->url, NULL);
    if (rc == JF_OK) rc = take_string(o, "created", false, &d->created, NULL);
    json_t *meta = json_object_get(o, "meta");
    if (rc == JF_OK && meta && json_is_object(meta)) {
        json_decref(d->meta);
        d->meta = json_incref(meta);
    }
    json_decref(o);
    if (rc == JF_EFORMAT)
        return jf_error_set(err, rc, NULL, JF_OFFSET_UNKNOWN,
                            "document lacks a string 'id' or 'text', or a field has the wrong type");
    if (rc != JF_OK) return jf_error_set(err, rc, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    return JF_OK;
}

/* ------------------------------------------------------ direct JSON path ---- */

enum { F_ID, F_TEXT, F_SOURCE, F_LANG, F_URL, F_CREATED, F_META, F_OTHER };
static const char *const FIELD[F_OTHER] = { "id", "text", "source", "lang", "url", "created",
                                            "meta" };

/* The fields taken from a line, owned until moved into a JfDoc. */
typedef struct {
    char   *str[F_META];      /* jf_malloc'd decoded strings; NULL: null or absent */
    size_t  len[F_META];
    json_t *meta;
    bool    seen[F_OTHER];
} ScanDoc;

static void scandoc_free(ScanDoc *sd)
{
    for (int i = 0; i < F_META; i++) jf_free(sd->str[i]);
    json_decref(sd->meta);
}

/* A string-or-null value of field f. @return 1, 0 when unsure, -1 out of memory. */
static int scan_field_string(JfJsonScan *s, ScanDoc *sd, int f)
{
    if (s->p < s->e && *s->p == 'n') return f == F_ID || f == F_TEXT ? 0 : jf_json_scan_literal(s, "null", 4);
    if (s->p >= s->e || *s->p != '"') return 0;   /* another type: jansson's error message */
    s->p++;
    char *out = jf_malloc((size_t)(s->e - s->p) + 1);
    if (!out) return -1;
    size_t len;
    if (!jf_json_scan_string(s, (uint8_t *)out, SIZE_MAX, NULL, &len, NULL)) {
        jf_free(out);
        return 0;
    }
    out[len] = '\0';
    sd->str[f] = out;
    sd->len[f] = len;
    return 1;
}

/* meta: an object is validated by the scanner, then built by jansson from
 * its exact bytes; any other value is validated and ignored (as jansson's
 * path ignores a meta that is not an object). */
static int scan_field_meta(JfJsonScan *s, ScanDoc *sd)
{
    const uint8_t *start = s->p;
    if (!jf_json_scan_value(s)) return 0;
    if (*start != '{') return 1;
    json_error_t je;
    sd->meta = json_loadb((const char *)start, (size_t)(s->p - start), JSON_ALLOW_NUL, &je);
    return sd->meta ? 1 : 0;
}

/* One known member's value. @return 1, 0 when unsure, -1 out of memory. */
static int scan_member(void *ctx, JfJsonScan *s, int f)
{
    ScanDoc *sd = ctx;
    return f == F_META ? scan_field_meta(s, sd) : scan_field_string(s, sd, f);
}

/* The direct path over a whole line. @return 1 (sd filled), 0 unsure, -1 out of memory. */
static int scan_doc(const char *line, size_t len, ScanDoc *sd)
{
    JfJsonScan s = { (const uint8_t *)line, (const uint8_t *)line + len, 1, false };
    int r = jf_json_scan_object(&s, FIELD, F_OTHER, sd->seen, scan_member, sd);
    return r <= 0 ? r : sd->seen[F_ID] && sd->seen[F_TEXT] ? 1 : 0;
}

JfStatus jf_doc_from_json(JfDoc *d, const char *line, size_t len, JfError *err)
{
    ScanDoc sd = { 0 };
    int r = scan_doc(line, len, &sd);
    if (r == 0) {
        scandoc_free(&sd);
        return jf_doc_from_json_jansson(d, line, len, err);
    }
    if (r < 0 || (!sd.meta && !(sd.meta = json_object()))) {
        scandoc_free(&sd);
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    }
    jf_doc_free(d);
    d->id = sd.str[F_ID];
    d->text = sd.str[F_TEXT];
    d->text_len = sd.len[F_TEXT];
    d->source = sd.str[F_SOURCE];
    d->lang = sd.str[F_LANG];
    d->url = sd.str[F_URL];
    d->created = sd.str[F_CREATED];
    d->meta = sd.meta;
    return JF_OK;
}

/* Appends s[0..n) as a JSON string, escaped as jansson's compact dump does
 * (" \ and \b \f \n \r \t by name, other controls as \u00XX, the rest as is).
 * Room grows with the escapes met, so a long text costs about its size.
 * @return JF_OK, JF_EFORMAT (invalid UTF-8: jansson refuses the string),
 * JF_ENOMEM / JF_ETOOBIG. */
static JfStatus put_string(JfBuf *b, const char *str, size_t n)
{
    if (!str) return jf_buf_append(b, "null", 4);
    const uint8_t *p = (const uint8_t *)str, *e = p + n, *run = p;
    JfStatus rc = jf_buf_reserve(b, n + 2);
    if (rc != JF_OK) return rc;
    b->data[b->len++] = '"';
    while (p < e) {
        uint8_t c = *p;
        if (c >= 0x80) {
            size_t k = jf_json_utf8_len(p, e);
            if (!k) return JF_EFORMAT;
            p += k;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            p++;
            continue;
        }
        /* the run, the escape (6 bytes at most) and the rest of the string */
        if ((rc = jf_buf_reserve(b, (size_t)(p - run) + 6 + (size_t)(e - p) + 1)) != JF_OK)
            return rc;
        memcpy(b->data + b->len, run, (size_t)(p - run));
        b->len += (size_t)(p - run);
        static const char NAMED[] = "\b\f\n\r\t\"\\", NAME[] = "bfnrt\"\\";
        const char *q = c ? memchr(NAMED, c, sizeof NAMED - 1) : NULL;
        uint8_t *o = b->data + b->len;
        if (q) {
            o[0] = '\\';
            o[1] = (uint8_t)NAME[q - NAMED];
            b->len += 2;
        } else {
            static const char HEX[] = "0123456789ABCDEF";
            memcpy(o, "\\u00", 4);
            o[4] = (uint8_t)HEX[c >> 4];
            o[5] = (uint8_t)HEX[c & 15];
            b->len += 6;
        }
        run = ++p;
    }
    memcpy(b->data + b->len, run, (size_t)(p - run));   /* room: reserved with the last escape */
    b->len += (size_t)(p - run);
    b->data[b->len++] = '"';
    b->data[b->len] = '\0';
    return JF_OK;
}

static int dump_to_buf(const char *s, size_t n, void *ctx)
{
    return jf_buf_append(ctx, s, n) == JF_OK ? 0 : -1;
}

/* Appends d's line (no '\n') to b. @return JF_OK, JF_EFORMAT when the
 * direct path cannot write it (the jansson path says why), or an allocation
 * error. */
static JfStatus doc_put_line(JfBuf *b, const JfDoc *d)
{
    static const char *const KEY[] = { "{\"id\":", ",\"text\":", ",\"source\":", ",\"lang\":",
                                       ",\"url\":", ",\"created\":" };
    const char *str[] = { d->id, d->text ? d->text : "", d->source, d->lang, d->url, d->created };
    JfStatus rc = JF_OK;
    for (int i = 0; rc == JF_OK && i < 6; i++) {
        rc = jf_buf_append_str(b, KEY[i]);
        size_t n = i == 1 ? (d->text ? d->text_len : 0) : str[i] ? strlen(str[i]) : 0;
        if (rc == JF_OK) rc = put_string(b, str[i], n);
    }
    if (rc == JF_OK) rc = jf_buf_append_str(b, ",\"meta\":");
    if (rc != JF_OK) return rc;
    if (!d->meta) return jf_buf_append_str(b, "{}}");
    if (json_dump_callback(d->meta, dump_to_buf, b,
                           JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) != 0)
        return JF_EFORMAT;
    return jf_buf_append_byte(b, '}');
}

/* Appends d's line and '\n' to b, by the direct path or else jansson's. */
static JfStatus doc_append_line(JfBuf *b, const JfDoc *d, JfError *err)
{
    size_t mark = b->len;
    JfStatus rc = doc_put_line(b, d);
    if (rc == JF_OK) return jf_buf_append_byte(b, '\n');
    b->len = mark;
    if (rc != JF_EFORMAT)
        return jf_error_set(err, rc, NULL, JF_OFFSET_UNKNOWN, "document %s: %s",
                            d->id ? d->id : "(no id)", jf_status_text(rc));
    char *line;
    size_t len;
    rc = jf_doc_to_json_line_jansson(d, &line, &len, err);
    if (rc != JF_OK) return rc;
    rc = jf_buf_append(b, line, len);
    free(line);
    if (rc == JF_OK) rc = jf_buf_append_byte(b, '\n');
    return rc == JF_OK ? JF_OK : jf_error_set(err, rc, NULL, JF_OFFSET_UNKNOWN, "out of memory");
}

JfStatus jf_doc_to_json_line(const JfDoc *d, char **line, size_t *len, JfError *err)
{
    JfBuf b;
    jf_buf_init(&b, 0);
    JfStatus rc = doc_append_line(&b, d, err);
    char *s = rc == JF_OK ? malloc(b.len) : NULL;   /* the contract: release with free() */
    if (rc == JF_OK && !s) rc = jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    if (s) {
        memcpy(s, b.data, b.len - 1);
        s[b.len - 1] = '\0';   /* the '\n' becomes the terminator */
        *line = s;
        *len = b.len - 1;
    }
    jf_buf_free(&b);
    return rc;
}

/* --------------------------------------------------------------- writer ---- */

struct JfDocWriter {
    FILE      *f;
    ZSTD_CCtx *cctx;
    char      *path;       /* final name */
    char      *tmp_path;   /* PATH.tmp while writing */
    uint8_t   *out;        /* compressed chunk */
    size_t     out_cap;
    JfBuf      line;       /* the document being written, reused */
    uint64_t   count;
    bool       committed;
};

JfStatus jf_docwriter_open(const char *path, int level, JfDocWriter **out, JfError *err)
{
    *out = NULL;
    JfDocWriter *w = jf_calloc(1, sizeof *w);
    size_t plen = strlen(path);
    if (!w || !(w->path = jf_strdup(path)) || !(w->tmp_path = jf_malloc(plen + 5))) goto oom;
    memcpy(w->tmp_path, path, plen);
    memcpy(w->tmp_path + plen, ".tmp", 5);
    jf_buf_init(&w->line, 0);
    w->out_cap = ZSTD_CStreamOutSize();
    if (!(w->out = jf_malloc(w->out_cap)) || !(w->cctx = ZSTD_createCCtx())) goto oom;
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
    if (!(w->f = fopen(w->tmp_path, "wb"))) {
        JfStatus rc = jf_error_set(err, JF_EIO, w->tmp_path, JF_OFFSET_UNKNOWN,
                                   "cannot create: %s", strerror(errno));
        jf_docwriter_close(w);
        return rc;
    }
    *out = w;
    return JF_OK;
oom:
    jf_docwriter_close(w);
    return jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "out of memory");
}

static JfStatus writer_push(JfDocWriter *w, const void *src, size_t n, ZSTD_EndDirective mode,
                            JfError *err)
{
    ZSTD_inBuffer in = { src, n, 0 };
    for (;;) {
        ZSTD_outBuffer ob = { w->out, w->out_cap, 0 };
        size_t left = ZSTD_compressStream2(w->cctx, &ob, &in, mode);
        if (ZSTD_isError(left))
            return jf_error_set(err, JF_EINTERNAL, w->tmp_path, JF_OFFSET_UNKNOWN, "zstd: %s",
                                ZSTD_getErrorName(left));
        if (ob.pos && fwrite(w->out, 1, ob.pos, w->f) != ob.pos)
            return jf_error_set(err, JF_EIO, w->tmp_path, JF_OFFSET_UNKNOWN, "write failed: %s",
                                strerror(errno));
        bool finished = mode == ZSTD_e_continue ? in.pos == in.size : left == 0;
        if (finished) return JF_OK;
    }
}

JfStatus jf_docwriter_write(JfDocWriter *w, const JfDoc *d, JfError *err)
{
    jf_buf_reset(&w->line);
    JfStatus rc = doc_append_line(&w->line, d, err);
    if (rc == JF_OK) rc = writer_push(w, w->line.data, w->line.len, ZSTD_e_continue, err);
    if (rc == JF_OK) w->count++;
    return rc;
}

JfStatus jf_docwriter_commit(JfDocWriter *w, JfError *err)
{
    JfStatus rc = writer_push(w, NULL, 0, ZSTD_e_end, err);
    if (rc != JF_OK) return rc;
    if (fflush(w->f) != 0 || fsync(fileno(w->f)) != 0)
        return jf_error_set(err, JF_EIO, w->tmp_path, JF_OFFSET_UNKNOWN, "flush failed: %s",
                            strerror(errno));
    int fail = fclose(w->f);
    w->f = NULL;
    if (fail || rename(w->tmp_path, w->path) != 0)
        return jf_error_set(err, JF_EIO, w->path, JF_OFFSET_UNKNOWN, "cannot commit: %s",
                            strerror(errno));
    w->committed = true;
    return JF_OK;
}

void jf_docwriter_close(JfDocWriter *w)
{
    if (!w) return;
    if (w->f) fclose(w->f);
    if (!w->committed && w->tmp_path) unlink(w->tmp_path);
    ZSTD_freeCCtx(w->cctx);
    jf_buf_free(&w->line);
    jf_free(w->out);
    jf_free(w->path);
    jf_free(w->tmp_path);
    jf_free(w);
}

uint64_t jf_docwriter_count(const JfDocWriter *w) { return w->count; }

/* --------------------------------------------------------------- reader ---- */

struct JfDocReader {
    FILE      *f;
    bool       own_file;
    bool       zstd;
    bool       eof;
    ZSTD_DCtx *dctx;
    char      *path;
    uint8_t   *in;        /* compressed (or plain) chunk read from the file */
    size_t     in_len, in_pos;
    uint8_t   *plain;     /* decompressed chunk */
    size_t     plain_len, plain_pos;
    JfBuf      line;
    uint64_t   offset;    /* uncompressed offset of the next byte */
    bool       skipping;  /* inside a line that exceeded max_line */
};

JfStatus jf_docreader_open(const char *path, size_t max_line, JfDocReader **out, JfError *err)
{
    *out = NULL;
    JfDocReader *r = jf_calloc(1, sizeof *r);
    if (!r || !(r->path = jf_strdup(path)) || !(r->in = jf_malloc(DOC_IO_CHUNK)) ||
        !(r->plain = jf_malloc(DOC_IO_CHUNK)))
        goto oom;
    jf_buf_init(&r->line, max_line ? max_line : 256u << 20);
    if (!strcmp(path, "-")) {
        r->f = stdin;
    } else if (!(r->f = fopen(path, "rb"))) {
        JfStatus rc = jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot open: %s",
                                   strerror(errno));
        jf_docreader_close(r);
        return rc;
    } else {
        r->own_file = true;
    }
    r->in_len = fread(r->in, 1, DOC_IO_CHUNK, r->f);
    static const uint8_t ZSTD_MAGIC[4] = { 0x28, 0xB5, 0x2F, 0xFD };
    r->zstd = r->in_len >= 4 && !memcmp(r->in, ZSTD_MAGIC, 4);
    if (r->zstd && !(r->dctx = ZSTD_createDCtx())) goto oom;
    *out = r;
    return JF_OK;
oom:
    jf_docreader_close(r);
    return jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "out of memory");
}

/* Refills r->plain. @return JF_OK with plain_len > 0, JF_DONE at end, or an error. */
static JfStatus reader_fill(JfDocReader *r, JfError *err)
{
    r->plain_pos = r->plain_len = 0;
    while (r->plain_len == 0) {
        if (r->in_pos == r->in_len) {
            if (r->eof) return JF_DONE;
            r->in_pos = 0;
            r->in_len = fread(r->in, 1, DOC_IO_CHUNK, r->f);
            if (r->in_len == 0) {
                r->eof = true;
                if (ferror(r->f))
                    return jf_error_set(err, JF_EIO, r->path, r->offset, "read error");
                return JF_DONE;
            }
        }
        if (!r->zstd) {
            memcpy(r->plain, r->in + r->in_pos, r->in_len - r->in_pos);
            r->plain_len = r->in_len - r->in_pos;
            r->in_pos = r->in_len;
            break;
        }
        ZSTD_inBuffer ib = { r->in, r->in_len, r->in_pos };
        ZSTD_outBuffer ob = { r->plain, DOC_IO_CHUNK, 0 };
        size_t ret = ZSTD_decompressStream(r->dctx, &ob, &ib);
        r->in_pos = ib.pos;
        r->plain_len = ob.pos;
        if (ZSTD_isError(ret)) {
            r->eof = true;
            r->in_pos = r->in_len;
            return jf_error_set(err, JF_ETRUNC, r->path, r->offset, "zstd: %s",
                                ZSTD_getErrorName(ret));
        }
    }
    return JF_OK;
}

/* Gathers the next line into r->line (without '\n').
 * @return JF_ROW, JF_DONE, JF_ETOOBIG (line skipped), or a read error. */
static JfStatus reader_line(JfDocReader *r, uint64_t *line_off, JfError *err)
{
    jf_buf_reset(&r->line);
    *line_off = r->offset;
    for (;;) {
        if (r->plain_pos == r->plain_len) {
            JfStatus rc = reader_fill(r, err);
            if (rc == JF_DONE) {
                if (r->skipping) { r->skipping = false; goto too_big; }
                return r->line.len ? JF_ROW : JF_DONE;
            }
            if (rc != JF_OK) return rc;
        }
        const uint8_t *s = r->plain + r->plain_pos;
        size_t avail = r->plain_len - r->plain_pos;
        const uint8_t *nl = memchr(s, '\n', avail);
        size_t take = nl ? (size_t)(nl - s) : avail;
        if (!r->skipping && jf_buf_append(&r->line, s, take) != JF_OK) r->skipping = true;
        r->plain_pos += take + (nl ? 1 : 0);
        r->offset += take + (nl ? 1 : 0);
        if (!nl) continue;
        if (!r->skipping) return JF_ROW;
        r->skipping = false;
        goto too_big;
    }
too_big:
    return jf_error_set(err, JF_ETOOBIG, r->path, *line_off, "line longer than %zu bytes skipped",
                        r->line.limit);
}

JfStatus jf_docreader_next(JfDocReader *r, JfDoc *d, JfError *err)
{
    for (;;) {
        uint64_t off;
        JfStatus rc = reader_line(r, &off, err);
        if (rc != JF_ROW) return rc;
        if (r->line.len == 0) continue; /* blank lines are not documents */
        rc = jf_doc_from_json(d, (const char *)r->line.data, r->line.len, err);
        if (rc != JF_OK) {
            err->offset = off;
            snprintf(err->path, sizeof err->path, "%s", r->path);
            return rc;
        }
        return JF_ROW;
    }
}

void jf_docreader_close(JfDocReader *r)
{
    if (!r) return;
    if (r->own_file && r->f) fclose(r->f);
    ZSTD_freeDCtx(r->dctx);
    jf_buf_free(&r->line);
    jf_free(r->in);
    jf_free(r->plain);
    jf_free(r->path);
    jf_free(r);
}
