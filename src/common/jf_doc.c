/* jf_doc.c: documents as zstd-compressed JSON lines. JSON is jansson's; this
 * file frames lines, streams zstd in fixed-size chunks (memory is bounded by
 * the longest line), and keeps writes atomic (PATH.tmp, renamed on commit). */
#include "jf_doc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "jf_alloc.h"
#include "jf_buf.h"

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

JfStatus jf_doc_to_json_line(const JfDoc *d, char **line, size_t *len, JfError *err)
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
            | json_object_set(o, "meta", d->meta ? d->meta : json_object());
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

JfStatus jf_doc_from_json(JfDoc *d, const char *line, size_t len, JfError *err)
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

/* --------------------------------------------------------------- writer ---- */

struct JfDocWriter {
    FILE      *f;
    ZSTD_CCtx *cctx;
    char      *path;       /* final name */
    char      *tmp_path;   /* PATH.tmp while writing */
    uint8_t   *out;        /* compressed chunk */
    size_t     out_cap;
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
    char *line;
    size_t len;
    JfStatus rc = jf_doc_to_json_line(d, &line, &len, err);
    if (rc != JF_OK) return rc;
    rc = writer_push(w, line, len, ZSTD_e_continue, err);
    free(line);
    if (rc == JF_OK) rc = writer_push(w, "\n", 1, ZSTD_e_continue, err);
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
