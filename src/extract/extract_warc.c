/* extract_warc.c: the extract stage's loop over one WARC/WET file: which
 * records are pages, their HTTP layer, document identity (id, url, created,
 * provenance in meta), and routing kept documents to the language writers.
 * Page-level work is extract_page.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract.h"
#include "extractor_int.h"
#include "http.h"
#include "warc.h"

/* Content-Type names an HTML page (text/html, application/xhtml+xml). */
static bool is_html_type(const char *ct)
{
    if (!ct) return false;
    while (*ct == ' ') ct++;
    return !strncasecmp(ct, "text/html", 9) || !strncasecmp(ct, "application/xhtml+xml", 21);
}

/* A response without Content-Type is HTML when its first bytes say so. */
static bool sniff_html(const uint8_t *p, size_t len)
{
    size_t n = len < 1024 ? len : 1024;
    for (size_t i = 0; i + 5 <= n; i++) {
        if (p[i] != '<') continue;
        if (!strncasecmp((const char *)p + i, "<html", 5) ||
            (i + 9 <= n && !strncasecmp((const char *)p + i, "<!doctype", 9)))
            return true;
    }
    return false;
}

/* "<urn:uuid:...>" -> "urn:uuid:..." */
static JfStatus set_id(JfDoc *doc, const char *record_id)
{
    size_t len = strlen(record_id);
    if (len >= 2 && record_id[0] == '<' && record_id[len - 1] == '>')
        return jf_doc_set(&doc->id, record_id + 1, len - 2);
    return jf_doc_set(&doc->id, record_id, len);
}

static JfStatus set_identity(Extractor *x, JfDoc *doc, const WarcRecord *rec, const char *path,
                             int http_status)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (set_id(doc, rec->record_id) != JF_OK ||
        jf_doc_set(&doc->source, x->opt.source, strlen(x->opt.source)) != JF_OK ||
        jf_doc_set(&doc->url, rec->target_uri, rec->target_uri ? strlen(rec->target_uri) : 0) ||
        jf_doc_set(&doc->created, rec->date, rec->date ? strlen(rec->date) : 0))
        return JF_ENOMEM;
    int bad = json_object_set_new(doc->meta, "warc_file", json_string(base)) |
              json_object_set_new(doc->meta, "warc_offset", json_integer((json_int_t)rec->offset)) |
              json_object_set_new(doc->meta, "warc_type", json_string(rec->type));
    if (http_status)
        bad |= json_object_set_new(doc->meta, "http_status", json_integer(http_status));
    return bad ? JF_ENOMEM : JF_OK;
}

/* Turns a record into a page, or says why it is not one.
 * @return true when page is filled; false with *why set, or *skip when the
 * record type is simply not content (request, warcinfo, metadata, revisit). */
static bool record_to_page(Extractor *x, const WarcRecord *rec, ExtractPage *page, int *status,
                           ExtractDrop *why, bool *skip, ExtractStats *st)
{
    *skip = false;
    *status = 0;
    memset(page, 0, sizeof *page);
    if (!strcmp(rec->type, "response")) {
        st->responses++;
        HttpResponse resp;
        JfError herr;
        if (http_response_parse(x->http, rec->body, rec->body_len, &resp, &herr) != JF_OK ||
            resp.status == 0) {
            *why = EXTRACT_DROP_HTTP_BROKEN;
            return false;
        }
        *status = resp.status;
        if (resp.status != 200) { *why = EXTRACT_DROP_NON_200; return false; }
        bool html = resp.content_type ? is_html_type(resp.content_type)
                                      : sniff_html(resp.body, resp.body_len);
        if (!html) { *why = EXTRACT_DROP_NOT_HTML; return false; }
        *page = (ExtractPage){ resp.body, resp.body_len, true, resp.content_type };
    } else if (!strcmp(rec->type, "resource")) {
        st->responses++;
        if (!is_html_type(rec->content_type)) { *why = EXTRACT_DROP_NOT_HTML; return false; }
        *page = (ExtractPage){ rec->body, rec->body_len, true, rec->content_type };
    } else if (!strcmp(rec->type, "conversion")) {
        /* WET: the text of a page, already UTF-8 plain text. */
        st->responses++;
        *page = (ExtractPage){ rec->body, rec->body_len, false, "text/plain; charset=utf-8" };
    } else {
        *skip = true;
        return false;
    }
    st->html++;
    return true;
}

/* Gives a page-level error the record's place and hands it to the sink. */
static void report_page_error(JfError *err, JfStatus rc, const char *path, uint64_t offset,
                              const ExtractSink *sink)
{
    err->code = rc;
    snprintf(err->path, sizeof err->path, "%s", path);
    err->offset = offset;
    if (sink->on_error) sink->on_error(sink->ctx, err);
}

static JfStatus handle_record(Extractor *x, const WarcRecord *rec, const char *path,
                              const ExtractSink *sink, JfDoc *doc, ExtractStats *st, JfError *err)
{
    ExtractPage page;
    ExtractDrop why;
    bool skip, kept;
    int status;
    if (!record_to_page(x, rec, &page, &status, &why, &skip, st)) {
        if (!skip) st->dropped[why]++;
        return JF_OK;
    }
    jf_doc_free(doc);
    if (jf_doc_init(doc) != JF_OK) return jf_error_set(err, JF_ENOMEM, path, rec->offset, "out of memory");
    JfStatus rc = extractor_page(x, &page, doc, &kept, &why, st, err);
    if (rc != JF_OK) {
        if (rc == JF_ENOMEM || rc == JF_EIO) return rc;
        /* Any other failure belongs to this page alone: report and go on. */
        report_page_error(err, rc, path, rec->offset, sink);
        st->bad_records++;
        return JF_OK;
    }
    if (!kept) { st->dropped[why]++; return JF_OK; }
    if (set_identity(x, doc, rec, path, status) != JF_OK)
        return jf_error_set(err, JF_ENOMEM, path, rec->offset, "out of memory");
    return extractor_emit(sink, doc, path, rec->offset, st, err);
}

JfStatus extractor_emit(const ExtractSink *sink, JfDoc *doc, const char *path, uint64_t offset,
                        ExtractStats *st, JfError *err)
{
    int li = !strcmp(doc->lang, "ja") ? EXTRACT_LANG_JA : EXTRACT_LANG_EN;
    JfStatus rc = sink->on_doc      ? sink->on_doc(sink->doc_ctx, (ExtractLang)li, doc, err)
                  : sink->out[li] ? jf_docwriter_write(sink->out[li], doc, err)
                                  : JF_OK;
    if (rc == JF_EFORMAT) { /* unserializable text: count, report, go on */
        report_page_error(err, rc, path, offset, sink);
        st->bad_records++;
        return JF_OK;
    }
    if (rc == JF_OK) st->kept[li]++;
    return rc;
}

JfStatus extractor_run_warc(Extractor *x, const char *path, const ExtractSink *sink,
                            ExtractStats *st, JfError *err)
{
    WarcReaderOptions wopt = { .max_record_bytes = x->opt.max_record_bytes,
                               .max_ratio = x->opt.max_ratio ? x->opt.max_ratio : UINT32_MAX };
    WarcReader *r;
    JfStatus rc = warc_reader_open(path, &wopt, &r, err);
    if (rc != JF_OK) return rc;
    JfDoc doc;
    if (jf_doc_init(&doc) != JF_OK) {
        warc_reader_close(r);
        return jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "out of memory");
    }
    WarcRecord rec;
    uint64_t n = 0;
    for (;;) {
        rc = warc_reader_next(r, &rec, err);
        if (rc == JF_DONE) { rc = JF_OK; break; }
        if (rc == JF_EFORMAT || rc == JF_ETRUNC || rc == JF_ETOOBIG) {
            st->bad_records++;
            if (sink->on_error) sink->on_error(sink->ctx, err);
            continue;
        }
        if (rc != JF_ROW) break;
        st->records++;
        rc = handle_record(x, &rec, path, sink, &doc, st, err);
        if (rc != JF_OK) break;
        if (sink->on_progress && (++n & 63) == 0)
            sink->on_progress(sink->ctx, warc_reader_bytes_read(r));
    }
    st->bytes_in += warc_reader_bytes_read(r);
    if (sink->on_progress) sink->on_progress(sink->ctx, warc_reader_bytes_read(r));
    jf_doc_free(&doc);
    warc_reader_close(r);
    return rc;
}

char *extract_stats_to_json(const ExtractStats *st)
{
    json_t *o = json_object(), *drop = json_object(), *kept = json_object(),
           *chars = json_object(), *cs = json_object();
    json_object_set_new(o, "records", json_integer((json_int_t)st->records));
    json_object_set_new(o, "bad_records", json_integer((json_int_t)st->bad_records));
    json_object_set_new(o, "responses", json_integer((json_int_t)st->responses));
    json_object_set_new(o, "html", json_integer((json_int_t)st->html));
    json_object_set_new(o, "bytes_in", json_integer((json_int_t)st->bytes_in));
    for (int d = 0; d < EXTRACT_DROP_COUNT; d++)
        json_object_set_new(drop, extract_drop_name(d), json_integer((json_int_t)st->dropped[d]));
    for (int l = 0; l < EXTRACT_LANG_COUNT; l++) {
        json_object_set_new(kept, extract_lang_code(l), json_integer((json_int_t)st->kept[l]));
        json_object_set_new(chars, extract_lang_code(l), json_integer((json_int_t)st->chars_kept[l]));
    }
    static const char *const SRC[5] = { "http", "bom", "meta", "detected", "default" };
    for (int i = 0; i < 5; i++)
        json_object_set_new(cs, SRC[i], json_integer((json_int_t)st->charset_by_source[i]));
    json_object_set_new(o, "dropped", drop);
    json_object_set_new(o, "kept", kept);
    json_object_set_new(o, "chars_kept", chars);
    json_object_set_new(o, "charset_source", cs);
    json_object_set_new(o, "replaced_chars", json_integer((json_int_t)st->replaced_chars));
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

void extract_stats_add(ExtractStats *a, const ExtractStats *b)
{
    uint64_t *pa = (uint64_t *)a;
    const uint64_t *pb = (const uint64_t *)b;
    for (size_t i = 0; i < sizeof *a / sizeof(uint64_t); i++) pa[i] += pb[i];
}
