/* extract_wiki.c: Wikipedia XML dumps (pages-articles, plain or bzip2
 * multistream) into the extract stage: pages of the main namespace that are
 * not redirects, wikitext turned into plain text (wikitext.c), then the same
 * normalization and language identification as every page. The XML is read
 * with libxml2's streaming reader over the decompressed stream, so memory is
 * bounded by the largest page. */
#include <libxml/xmlreader.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "extractor_int.h"
#include "jf_stream.h"
#include "wikitext.h"

typedef struct {
    char    title[1024];
    char    id[32];
    char    timestamp[40];
    int     ns;
    bool    redirect;
    bool    in_revision;
    xmlChar *text;          /* libxml2's allocation */
} WikiPage;

typedef struct {
    Extractor         *x;
    const char        *path;
    const ExtractSink *sink;
    ExtractStats      *st;
    JfStream          *stream;
    char               dbname[64];
    char               base[512];   /* "https://ja.wikipedia.org/wiki/" */
    JfBuf              plain;
    JfDoc              doc;
    size_t             unclosed;
} WikiRun;

int extract_xml_read(void *ctx, char *buf, int len)
{
    ExtractXmlFeed *f = ctx;
    size_t n;
    JfError err;
    JfStatus rc = jf_stream_read(f->stream, buf, (size_t)len, &n, &err);
    if (rc == JF_DONE) return 0;
    if (rc != JF_OK) {
        f->st->bad_records++;
        if (f->sink->on_error) f->sink->on_error(f->sink->ctx, &err);
        return -1;
    }
    return (int)n;
}

int extract_xml_close(void *ctx) { (void)ctx; return 0; }

/* Copies the element's text into dst. */
static void read_into(xmlTextReaderPtr r, char *dst, size_t cap)
{
    xmlChar *s = xmlTextReaderReadString(r);
    snprintf(dst, cap, "%s", s ? (const char *)s : "");
    xmlFree(s);
}

static JfStatus wiki_identity(WikiRun *w, const WikiPage *pg)
{
    char id[160], url[2048];
    snprintf(id, sizeof id, "wikipedia:%s:%s", w->dbname[0] ? w->dbname : "?", pg->id);
    int n = snprintf(url, sizeof url, "%s", w->base);
    for (const char *t = pg->title; *t && n < (int)sizeof url - 1; t++) url[n++] = *t == ' ' ? '_' : *t;
    url[n] = '\0';
    JfDoc *d = &w->doc;
    if (jf_doc_set(&d->id, id, strlen(id)) || jf_doc_set(&d->source, "wikipedia", 9) ||
        jf_doc_set(&d->url, url, strlen(url)) ||
        (pg->timestamp[0] && jf_doc_set(&d->created, pg->timestamp, strlen(pg->timestamp))))
        return JF_ENOMEM;
    json_object_set_new(d->meta, "title", json_string(pg->title));
    json_object_set_new(d->meta, "input_file", json_string(w->path));
    return JF_OK;
}

/* A finished <page>: main namespace, not a redirect, has text. */
static JfStatus wiki_page(WikiRun *w, WikiPage *pg, JfError *err)
{
    w->st->records++;
    if (pg->ns != 0 || pg->redirect || !pg->text) return JF_OK;
    w->st->responses++;
    w->st->html++;
    WikitextStats ws;
    JfStatus rc = wikitext_to_text((const char *)pg->text, strlen((const char *)pg->text), &w->plain, &ws);
    if (rc != JF_OK) return jf_error_set(err, rc, w->path, JF_OFFSET_UNKNOWN, "page %s: %s", pg->id, jf_status_text(rc));
    w->unclosed += ws.unclosed;
    jf_doc_free(&w->doc);
    if (jf_doc_init(&w->doc) != JF_OK) return jf_error_set(err, JF_ENOMEM, w->path, 0, "out of memory");
    ExtractPage page = { w->plain.data ? w->plain.data : (const uint8_t *)"", w->plain.len, false,
                         "text/plain; charset=utf-8" };
    bool kept;
    ExtractDrop why;
    rc = extractor_page(w->x, &page, &w->doc, &kept, &why, w->st, err);
    if (rc != JF_OK) return rc;
    if (!kept) { w->st->dropped[why]++; return JF_OK; }
    if (wiki_identity(w, pg) != JF_OK) return jf_error_set(err, JF_ENOMEM, w->path, 0, "out of memory");
    return extractor_emit(w->sink, &w->doc, w->path, JF_OFFSET_UNKNOWN, w->st, err);
}

/* <base>https://ja.wikipedia.org/wiki/メインページ</base> -> ".../wiki/" */
static void set_base(WikiRun *w, const char *base)
{
    snprintf(w->base, sizeof w->base, "%s", base);
    char *slash = strrchr(w->base, '/');
    if (slash) slash[1] = '\0';
}

static void wiki_element(WikiRun *w, xmlTextReaderPtr r, WikiPage *pg)
{
    const char *name = (const char *)xmlTextReaderConstLocalName(r);
    char buf[512];
    if (!strcmp(name, "page")) {
        xmlFree(pg->text);
        memset(pg, 0, sizeof *pg);
        pg->ns = -1;
    } else if (!strcmp(name, "dbname")) {
        read_into(r, w->dbname, sizeof w->dbname);
    } else if (!strcmp(name, "base")) {
        read_into(r, buf, sizeof buf);
        set_base(w, buf);
    } else if (!strcmp(name, "title")) {
        read_into(r, pg->title, sizeof pg->title);
    } else if (!strcmp(name, "ns")) {
        read_into(r, buf, sizeof buf);
        pg->ns = atoi(buf);
    } else if (!strcmp(name, "id") && !pg->in_revision && !pg->id[0]) {
        read_into(r, pg->id, sizeof pg->id);
    } else if (!strcmp(name, "redirect")) {
        pg->redirect = true;
    } else if (!strcmp(name, "revision")) {
        pg->in_revision = true;
    } else if (!strcmp(name, "timestamp") && pg->in_revision) {
        read_into(r, pg->timestamp, sizeof pg->timestamp);
    } else if (!strcmp(name, "text") && pg->in_revision && !pg->text) {
        pg->text = xmlTextReaderReadString(r);
    }
}

static JfStatus wiki_loop(WikiRun *w, xmlTextReaderPtr r, JfError *err)
{
    WikiPage pg = { .ns = -1 };
    JfStatus rc = JF_OK;
    int ret;
    while (rc == JF_OK && (ret = xmlTextReaderRead(r)) == 1) {
        int type = xmlTextReaderNodeType(r);
        if (type == XML_READER_TYPE_ELEMENT) {
            wiki_element(w, r, &pg);
        } else if (type == XML_READER_TYPE_END_ELEMENT) {
            const char *name = (const char *)xmlTextReaderConstLocalName(r);
            if (!strcmp(name, "revision")) pg.in_revision = false;
            if (!strcmp(name, "page")) rc = wiki_page(w, &pg, err);
        }
        if (w->sink->on_progress && (w->st->records & 63) == 0)
            w->sink->on_progress(w->sink->ctx, jf_stream_file_bytes(w->stream));
    }
    xmlFree(pg.text);
    if (rc == JF_OK && ret < 0) {   /* malformed or cut XML: what came before is kept */
        jf_error_set(err, JF_EFORMAT, w->path, JF_OFFSET_UNKNOWN,
                     "malformed XML after %llu pages; the rest of the file is skipped",
                     (unsigned long long)w->st->records);
        w->st->bad_records++;
        if (w->sink->on_error) w->sink->on_error(w->sink->ctx, err);
    }
    return rc;
}

static void wiki_xml_error(void *ctx, const char *msg, xmlParserSeverities sev, xmlTextReaderLocatorPtr loc)
{
    (void)ctx, (void)msg, (void)sev, (void)loc;   /* reported once, by wiki_loop */
}

JfStatus extractor_run_wiki(Extractor *x, const char *path, const ExtractSink *sink,
                            ExtractStats *st, JfError *err)
{
    WikiRun w = { .x = x, .path = path, .sink = sink, .st = st };
    JfStatus rc = jf_stream_open(path, &w.stream, err);
    if (rc != JF_OK) return rc;
    jf_stream_set_max_ratio(w.stream, x->opt.max_ratio);
    jf_buf_init(&w.plain, 0);
    ExtractXmlFeed feed = { w.stream, st, sink };
    xmlTextReaderPtr r = NULL;
    if (jf_doc_init(&w.doc) == JF_OK)
        r = xmlReaderForIO(extract_xml_read, extract_xml_close, &feed, path, "UTF-8",
                           XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_COMPACT | XML_PARSE_RECOVER);
    if (!r) rc = jf_error_set(err, JF_ENOMEM, path, 0, "out of memory");
    if (r) {
        xmlTextReaderSetErrorHandler(r, wiki_xml_error, NULL);
        rc = wiki_loop(&w, r, err);
        xmlFreeTextReader(r);
    }
    st->bytes_in += jf_stream_file_bytes(w.stream);
    jf_doc_free(&w.doc);
    jf_buf_free(&w.plain);
    jf_stream_close(w.stream);
    return rc;
}
