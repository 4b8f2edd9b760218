/* extract_json.c: JSON-lines sources into the extract stage: mC4/C4
 * ({"text","timestamp","url"}), Wikipedia CirrusSearch dumps (an
 * {"index":{"_id":...}} line before each page's content line; main namespace
 * only), and documents already in jaforge's own form ({"id","text",...}).
 * Their text is plain already: it goes through normalization and language
 * identification like a WARC page's, not through HTML or charset detection.
 * Also the dispatch of extractor_run_file by content (WARC, JSON, XML). */
#include <stdio.h>
#include <string.h>

#include "extract.h"
#include "extractor_int.h"
#include "jf_fs.h"
#include "jf_stream.h"

#define JSON_MAX_LINE (256u << 20)

typedef enum { JSON_MC4, JSON_CIRRUS, JSON_JAFORGE, JSON_OTHER } JsonKind;

typedef struct {
    Extractor         *x;
    const char        *path;
    const ExtractSink *sink;
    ExtractStats      *st;
    char               stem[256];
    char               cirrus_id[64];   /* _id of the last index line */
    uint64_t           line_no;
} JsonRun;

static const char *str_field(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static JsonKind json_kind(json_t *o)
{
    if (json_object_get(o, "namespace") && str_field(o, "title")) return JSON_CIRRUS;
    if (!str_field(o, "text")) return JSON_OTHER;
    if (str_field(o, "id")) return JSON_JAFORGE;
    return JSON_MC4;
}

/* Wikipedia's page URL: spaces become underscores; other characters stay (browsers
 * and wikis accept them, and the id is what matters). */
static JfStatus cirrus_url(JfDoc *doc, json_t *o)
{
    const char *title = str_field(o, "title"), *wiki = str_field(o, "wiki"),
               *lang = str_field(o, "language");
    char url[2048], host[64];
    if (lang) snprintf(host, sizeof host, "%s.wikipedia.org", lang);
    else snprintf(host, sizeof host, "%s", wiki ? wiki : "wikipedia.org");
    int n = snprintf(url, sizeof url, "https://%s/wiki/", host);
    for (const char *t = title; t && *t && n < (int)sizeof url - 1; t++) url[n++] = *t == ' ' ? '_' : *t;
    url[n < (int)sizeof url ? n : (int)sizeof url - 1] = '\0';
    return jf_doc_set(&doc->url, url, strlen(url));
}

/* Sets id, source, url, created of a kept document from its JSON line. */
static JfStatus json_identity(JsonRun *r, JsonKind kind, json_t *o, JfDoc *doc)
{
    char id[512];
    const char *source = r->x->opt.source, *created = NULL;
    JfStatus rc = JF_OK;
    if (kind == JSON_CIRRUS) {
        const char *wiki = str_field(o, "wiki");
        source = "wikipedia";
        snprintf(id, sizeof id, "wikipedia:%s:%s", wiki ? wiki : "?", r->cirrus_id[0] ? r->cirrus_id : "?");
        created = str_field(o, "timestamp");
        rc = cirrus_url(doc, o);
    } else if (kind == JSON_JAFORGE) {
        snprintf(id, sizeof id, "%s", str_field(o, "id"));
        if (str_field(o, "source")) source = str_field(o, "source");
        created = str_field(o, "created");
        const char *url = str_field(o, "url");
        if (url) rc = jf_doc_set(&doc->url, url, strlen(url));
    } else {
        if (!strcmp(source, "cc")) source = "mc4";   /* the default names the source */
        snprintf(id, sizeof id, "%s:%s:%llu", source, r->stem, (unsigned long long)r->line_no);
        created = str_field(o, "timestamp");
        const char *url = str_field(o, "url");
        if (url) rc = jf_doc_set(&doc->url, url, strlen(url));
    }
    if (rc == JF_OK) rc = jf_doc_set(&doc->id, id, strlen(id));
    if (rc == JF_OK) rc = jf_doc_set(&doc->source, source, strlen(source));
    if (rc == JF_OK && created) rc = jf_doc_set(&doc->created, created, strlen(created));
    if (rc == JF_OK) {
        json_object_set_new(doc->meta, "input_file", json_string(r->path));
        json_object_set_new(doc->meta, "input_line", json_integer((json_int_t)r->line_no));
    }
    return rc;
}

/* One content line: text through the page chain, then out. */
static JfStatus json_document(JsonRun *r, JsonKind kind, json_t *o, uint64_t off, JfDoc *doc,
                              JfError *err)
{
    const char *text = str_field(o, "text");
    r->st->responses++;
    r->st->html++;
    jf_doc_free(doc);
    if (jf_doc_init(doc) != JF_OK) return jf_error_set(err, JF_ENOMEM, r->path, off, "out of memory");
    ExtractPage page = { (const uint8_t *)text, json_string_length(json_object_get(o, "text")),
                         false, "text/plain; charset=utf-8" };
    bool kept;
    ExtractDrop why;
    JfStatus rc = extractor_page(r->x, &page, doc, &kept, &why, r->st, err);
    if (rc != JF_OK) return rc;
    if (!kept) {
        r->st->dropped[why]++;
        return JF_OK;
    }
    if (json_identity(r, kind, o, doc) != JF_OK)
        return jf_error_set(err, JF_ENOMEM, r->path, off, "out of memory");
    return extractor_emit(r->sink, doc, r->path, off, r->st, err);
}

static void json_bad(JsonRun *r, JfError *err, JfStatus code, uint64_t off, const char *why)
{
    jf_error_set(err, code, r->path, off, "%s", why);
    r->st->bad_records++;
    if (r->sink->on_error) r->sink->on_error(r->sink->ctx, err);
}

/* One line. @return JF_OK to go on, or a final error. */
static JfStatus json_line(JsonRun *r, const JfBuf *line, uint64_t off, JfDoc *doc, JfError *err)
{
    json_error_t jerr;
    json_t *o = json_loadb((const char *)line->data, line->len, 0, &jerr);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        char why[300];
        snprintf(why, sizeof why, "invalid JSON line: %s", o ? "not an object" : jerr.text);
        json_bad(r, err, JF_EFORMAT, off, why);
        return JF_OK;
    }
    r->st->records++;
    JfStatus rc = JF_OK;
    json_t *index = json_object_get(o, "index");
    JsonKind kind = json_kind(o);
    if (json_is_object(index)) {        /* CirrusSearch action line: the next line's id */
        const char *id = str_field(index, "_id");
        snprintf(r->cirrus_id, sizeof r->cirrus_id, "%s", id ? id : "");
    } else if (kind == JSON_CIRRUS) {
        json_t *ns = json_object_get(o, "namespace");
        if (json_is_integer(ns) && json_integer_value(ns) == 0 && str_field(o, "text"))
            rc = json_document(r, kind, o, off, doc, err);
        r->cirrus_id[0] = '\0';
    } else if (kind == JSON_OTHER) {
        json_bad(r, err, JF_EFORMAT, off, "JSON line without a string \"text\"");
    } else {
        rc = json_document(r, kind, o, off, doc, err);
    }
    json_decref(o);
    return rc;
}

JfStatus extractor_run_json(Extractor *x, const char *path, const ExtractSink *sink,
                            ExtractStats *st, JfError *err)
{
    JfStream *s;
    JfStatus rc = jf_stream_open(path, &s, err);
    if (rc != JF_OK) return rc;
    jf_stream_set_max_ratio(s, x->opt.max_ratio);
    JsonRun r = { .x = x, .path = path, .sink = sink, .st = st };
    jf_fs_stem(path, r.stem, sizeof r.stem);
    JfBuf line;
    jf_buf_init(&line, JSON_MAX_LINE);
    JfDoc doc;
    if (jf_doc_init(&doc) != JF_OK) rc = jf_error_set(err, JF_ENOMEM, path, 0, "out of memory");
    uint64_t off;
    while (rc == JF_OK) {
        JfStatus lr = jf_stream_line(s, &line, JSON_MAX_LINE, &off, err);
        if (lr == JF_DONE) break;
        r.line_no++;
        if (lr == JF_ETOOBIG || lr == JF_ETRUNC) {
            st->bad_records++;
            if (sink->on_error) sink->on_error(sink->ctx, err);
            if (lr == JF_ETRUNC) break;   /* nothing follows a corrupt stream */
            continue;
        }
        if (lr != JF_ROW) { rc = lr; break; }
        if (line.len == 0) continue;
        rc = json_line(&r, &line, off, &doc, err);
        if (sink->on_progress && (r.line_no & 255) == 0) sink->on_progress(sink->ctx, jf_stream_file_bytes(s));
    }
    st->bytes_in += jf_stream_file_bytes(s);
    if (sink->on_progress) sink->on_progress(sink->ctx, jf_stream_file_bytes(s));
    jf_doc_free(&doc);
    jf_buf_free(&line);
    jf_stream_close(s);
    return rc;
}

/* The format by content: "WARC/" starts a WARC file (also inside gzip or
 * zstd), '{' a JSON-lines file. */
JfStatus extractor_run_file(Extractor *x, const char *path, const ExtractSink *sink,
                            ExtractStats *st, JfError *err)
{
    if (!strcmp(path, "-")) return extractor_run_warc(x, path, sink, st, err); /* cannot peek twice */
    JfStream *s;
    JfStatus rc = jf_stream_open(path, &s, err);
    if (rc != JF_OK) return rc;
    jf_stream_set_max_ratio(s, x->opt.max_ratio);
    const uint8_t *p = NULL;
    size_t n = 0;
    rc = jf_stream_peek(s, &p, 4096, &n, err);
    size_t i = 0;
    while (rc == JF_OK && i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t')) i++;
    bool json = rc == JF_OK && i < n && p[i] == '{';
    bool xml = rc == JF_OK && i < n && p[i] == '<';
    /* JATS (J-STAGE) when an <article> element comes before any <mediawiki>. */
    const uint8_t *art = xml && p ? memmem(p, n, "<article", 8) : NULL;
    const uint8_t *mw = xml && p ? memmem(p, n, "<mediawiki", 10) : NULL;
    bool jats = art && (!mw || art < mw);
    if (xml && p && !mw && memmem(p, n, "<feed", 5)) jats = true;   /* J-STAGE Web API (Atom) */
    jf_stream_close(s);
    if (rc != JF_OK && rc != JF_ETRUNC) return rc;
    if (json) return extractor_run_json(x, path, sink, st, err);
    if (jats) return extractor_run_jats(x, path, sink, st, err);
    if (xml) return extractor_run_wiki(x, path, sink, st, err);
    return extractor_run_warc(x, path, sink, st, err);
}
