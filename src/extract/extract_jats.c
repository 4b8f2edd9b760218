/* extract_jats.c: J-STAGE articles in JATS XML into the extract stage. An
 * article gives one document per language: titles, abstracts and body
 * paragraphs are routed by their xml:lang (libxml2 gives the one in scope;
 * Japanese when none is given, as J-STAGE's default), so a
 * Japanese paper's English title and abstract become an English document.
 * Author lists, affiliations, references, tables, figures and footnotes are
 * left out. Read with libxml2's streaming reader; the DOI names the document.
 * Also J-STAGE Web API search results (an Atom feed): each <entry> gives its
 * article_title (and abstract, when present) in ja and en. */
#include <libxml/xmlreader.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "extractor_int.h"
#include "jf_stream.h"

/* Elements whose text is one line of the document. */
static const char *const JATS_LINES[] = {
    "article-title", "trans-title", "subtitle", "trans-subtitle", "title", "p", "kwd",
};
/* Elements left out with everything inside them. */
static const char *const JATS_SKIP[] = {
    "contrib-group", "aff", "author-notes", "ref-list", "back", "fn-group", "table-wrap",
    "fig", "journal-meta", "permissions", "history", "funding-group", "disp-formula",
};

typedef struct {
    Extractor         *x;
    const char        *path;
    const ExtractSink *sink;
    ExtractStats      *st;
    JfStream          *stream;
    JfBuf              text[EXTRACT_LANG_COUNT];  /* lines gathered per language */
    char               doi[256];
    char               date[16];
    char               date_part[3][8];           /* year, month, day of the first pub-date */
    bool               in_pubdate, date_done;
    char               link[EXTRACT_LANG_COUNT][512];  /* Atom: article_link per language */
    JfDoc              doc;
} JatsRun;

static bool name_in(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(name, list[i])) return true;
    return false;
}

static void jats_xml_error(void *c, const char *m, xmlParserSeverities s, xmlTextReaderLocatorPtr l)
{
    (void)c, (void)m, (void)s, (void)l;
}

static int lang_index(const char *lang)
{
    if (!strncmp(lang, "ja", 2)) return EXTRACT_LANG_JA;
    if (!strncmp(lang, "en", 2)) return EXTRACT_LANG_EN;
    return -1;
}

/* Appends the element's whole text as one line, whitespace runs collapsed. */
static void jats_line(JatsRun *j, xmlTextReaderPtr r)
{
    xmlChar *lang = xmlTextReaderXmlLang(r);
    int li = lang_index(lang ? (const char *)lang : "ja");
    xmlFree(lang);
    xmlChar *s = xmlTextReaderReadString(r);
    if (li >= 0 && s && *s) {
        JfBuf *b = &j->text[li];
        bool space = false, any = false;
        for (const xmlChar *p = s; *p; p++) {
            if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') { space = any; continue; }
            if (space) jf_buf_append_byte(b, ' ');
            jf_buf_append_byte(b, *p);
            space = false;
            any = true;
        }
        if (any) jf_buf_append_byte(b, '\n');
    }
    xmlFree(s);
}

static void jats_meta(JatsRun *j, xmlTextReaderPtr r, const char *name)
{
    if (!strcmp(name, "article-id")) {
        xmlChar *type = xmlTextReaderGetAttribute(r, (const xmlChar *)"pub-id-type");
        if (type && !strcmp((const char *)type, "doi") && !j->doi[0]) {
            xmlChar *s = xmlTextReaderReadString(r);
            snprintf(j->doi, sizeof j->doi, "%s", s ? (const char *)s : "");
            xmlFree(s);
        }
        xmlFree(type);
    } else if (j->in_pubdate && !j->date_done) {
        int k = !strcmp(name, "year") ? 0 : !strcmp(name, "month") ? 1 : !strcmp(name, "day") ? 2 : -1;
        if (k >= 0) {
            xmlChar *s = xmlTextReaderReadString(r);
            snprintf(j->date_part[k], sizeof j->date_part[k], "%s", s ? (const char *)s : "");
            xmlFree(s);
        }
    }
}

/* Opens an element. @return true when its subtree was consumed (skip or line). */
static bool jats_open(JatsRun *j, xmlTextReaderPtr r)
{
    const char *name = (const char *)xmlTextReaderConstLocalName(r);
    if (!strcmp(name, "pub-date") && !j->date_done) j->in_pubdate = true;
    jats_meta(j, r, name);
    if (name_in(name, JATS_SKIP, sizeof JATS_SKIP / sizeof JATS_SKIP[0])) return true;
    if (name_in(name, JATS_LINES, sizeof JATS_LINES / sizeof JATS_LINES[0])) {
        jats_line(j, r);
        return true;
    }
    return false;
}

static JfStatus jats_emit(JatsRun *j, int li, JfError *err)
{
    JfBuf *b = &j->text[li];
    if (b->len == 0) return JF_OK;
    j->st->responses++;
    j->st->html++;
    jf_doc_free(&j->doc);
    if (jf_doc_init(&j->doc) != JF_OK) return jf_error_set(err, JF_ENOMEM, j->path, 0, "out of memory");
    ExtractPage page = { b->data, b->len, false, "text/plain; charset=utf-8" };
    bool kept;
    ExtractDrop why;
    JfStatus rc = extractor_page(j->x, &page, &j->doc, &kept, &why, j->st, err);
    if (rc != JF_OK) return rc;
    if (!kept) { j->st->dropped[why]++; return JF_OK; }
    char id[320], url[320];
    snprintf(id, sizeof id, "jstage:%s:%s", j->doi[0] ? j->doi : j->path, extract_lang_code(li));
    if (j->link[li][0]) snprintf(url, sizeof url, "%s", j->link[li]);
    else snprintf(url, sizeof url, "https://doi.org/%s", j->doi);
    JfDoc *d = &j->doc;
    if (jf_doc_set(&d->id, id, strlen(id)) || jf_doc_set(&d->source, "jstage", 6) ||
        ((j->doi[0] || j->link[li][0]) && jf_doc_set(&d->url, url, strlen(url))) ||
        (j->date[0] && jf_doc_set(&d->created, j->date, strlen(j->date))))
        return jf_error_set(err, JF_ENOMEM, j->path, 0, "out of memory");
    json_object_set_new(d->meta, "doi", json_string(j->doi));
    json_object_set_new(d->meta, "xml_lang", json_string(extract_lang_code(li)));
    json_object_set_new(d->meta, "input_file", json_string(j->path));
    return extractor_emit(j->sink, d, j->path, JF_OFFSET_UNKNOWN, j->st, err);
}

static void jats_close(JatsRun *j, const char *name)
{
    if (!strcmp(name, "pub-date") && j->in_pubdate) {
        j->in_pubdate = false;
        j->date_done = true;
        if (j->date_part[0][0])
            snprintf(j->date, sizeof j->date, "%s-%02d-%02d", j->date_part[0],
                     j->date_part[1][0] ? atoi(j->date_part[1]) : 1,
                     j->date_part[2][0] ? atoi(j->date_part[2]) : 1);
    }
}

/* Called with the reader on the root element. */
static JfStatus jats_loop(JatsRun *j, xmlTextReaderPtr r, JfError *err)
{
    int ret = xmlTextReaderNodeType(r) == XML_READER_TYPE_ELEMENT ? 1 : xmlTextReaderRead(r);
    while (ret == 1) {
        int type = xmlTextReaderNodeType(r);
        if (type == XML_READER_TYPE_ELEMENT && jats_open(j, r)) {
            ret = xmlTextReaderNext(r);   /* past the subtree */
            continue;
        }
        if (type == XML_READER_TYPE_END_ELEMENT) jats_close(j, (const char *)xmlTextReaderConstLocalName(r));
        ret = xmlTextReaderRead(r);
    }
    j->st->records++;
    if (ret < 0) {
        jf_error_set(err, JF_EFORMAT, j->path, JF_OFFSET_UNKNOWN, "malformed XML; the text before it is kept");
        j->st->bad_records++;
        if (j->sink->on_error) j->sink->on_error(j->sink->ctx, err);
    }
    JfStatus rc = JF_OK;
    for (int l = 0; rc == JF_OK && l < EXTRACT_LANG_COUNT; l++) rc = jats_emit(j, l, err);
    return rc;
}

/* ---- J-STAGE Web API (Atom) ---- */

/* <article_title><ja>..</ja><en>..</en></article_title> and the like: the
 * element's small subtree, expanded, gives one value per language. */
static void atom_pair(xmlTextReaderPtr r, void (*put)(JatsRun *, int, const char *), JatsRun *j)
{
    xmlNodePtr node = xmlTextReaderExpand(r);
    for (xmlNodePtr c = node ? node->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        int li = lang_index((const char *)c->name);
        if (li < 0) continue;
        xmlChar *s = xmlNodeGetContent(c);
        if (s && *s) put(j, li, (const char *)s);
        xmlFree(s);
    }
}

static void put_line(JatsRun *j, int li, const char *s)
{
    jf_buf_append_str(&j->text[li], s);
    jf_buf_append_byte(&j->text[li], '\n');
}

static void put_link(JatsRun *j, int li, const char *s)
{
    snprintf(j->link[li], sizeof j->link[li], "%s", s);
}

static void atom_reset(JatsRun *j)
{
    for (int l = 0; l < EXTRACT_LANG_COUNT; l++) {
        jf_buf_reset(&j->text[l]);
        j->link[l][0] = '\0';
    }
    j->doi[0] = j->date[0] = '\0';
}

/* @return true when the subtree was consumed. */
static bool atom_open(JatsRun *j, xmlTextReaderPtr r)
{
    const char *name = (const char *)xmlTextReaderConstLocalName(r);
    if (!strcmp(name, "entry")) {
        atom_reset(j);
    } else if (!strcmp(name, "article_title") || !strcmp(name, "abstract")) {
        atom_pair(r, put_line, j);
        return true;
    } else if (!strcmp(name, "article_link")) {
        atom_pair(r, put_link, j);
        return true;
    } else if (!strcmp(name, "doi") || !strcmp(name, "pubyear")) {
        xmlChar *s = xmlTextReaderReadString(r);
        if (name[0] == 'd') snprintf(j->doi, sizeof j->doi, "%s", s ? (const char *)s : "");
        else snprintf(j->date, sizeof j->date, "%.4s", s ? (const char *)s : "");
        xmlFree(s);
    }
    return false;
}

/* Called with the reader on the root <feed>. */
static JfStatus atom_loop(JatsRun *j, xmlTextReaderPtr r, JfError *err)
{
    JfStatus rc = JF_OK;
    int ret = xmlTextReaderRead(r);
    while (ret == 1 && rc == JF_OK) {
        int type = xmlTextReaderNodeType(r);
        if (type == XML_READER_TYPE_ELEMENT && atom_open(j, r)) {
            ret = xmlTextReaderNext(r);
            continue;
        }
        if (type == XML_READER_TYPE_END_ELEMENT &&
            !strcmp((const char *)xmlTextReaderConstLocalName(r), "entry")) {
            j->st->records++;
            for (int l = 0; rc == JF_OK && l < EXTRACT_LANG_COUNT; l++) rc = jats_emit(j, l, err);
            atom_reset(j);
        }
        ret = xmlTextReaderRead(r);
    }
    if (rc == JF_OK && ret < 0) {
        jf_error_set(err, JF_EFORMAT, j->path, JF_OFFSET_UNKNOWN, "malformed XML; the entries before it are kept");
        j->st->bad_records++;
        if (j->sink->on_error) j->sink->on_error(j->sink->ctx, err);
    }
    return rc;
}

JfStatus extractor_run_jats(Extractor *x, const char *path, const ExtractSink *sink,
                            ExtractStats *st, JfError *err)
{
    JatsRun run = { .x = x, .path = path, .sink = sink, .st = st }, *jp = &run;
    JfStatus rc = jf_stream_open(path, &jp->stream, err);
    if (rc != JF_OK) return rc;
    jf_stream_set_max_ratio(jp->stream, x->opt.max_ratio);
    for (int l = 0; l < EXTRACT_LANG_COUNT; l++) jf_buf_init(&jp->text[l], 64u << 20);
    ExtractXmlFeed feed = { jp->stream, st, sink };
    xmlTextReaderPtr r = NULL;
    if (jf_doc_init(&jp->doc) == JF_OK)
        r = xmlReaderForIO(extract_xml_read, extract_xml_close, &feed, path, NULL,
                           XML_PARSE_NONET | XML_PARSE_COMPACT | XML_PARSE_RECOVER);
    if (!r) rc = jf_error_set(err, JF_ENOMEM, path, 0, "out of memory");
    if (r) {
        xmlTextReaderSetErrorHandler(r, jats_xml_error, NULL);
        /* the root element says which: an Atom <feed> of search results or a JATS <article> */
        int ret = xmlTextReaderRead(r);
        while (ret == 1 && xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT) ret = xmlTextReaderRead(r);
        bool atom = ret == 1 && !strcmp((const char *)xmlTextReaderConstLocalName(r), "feed");
        rc = atom ? atom_loop(jp, r, err) : jats_loop(jp, r, err);
        xmlFreeTextReader(r);
    }
    st->bytes_in += jf_stream_file_bytes(jp->stream);
    jf_doc_free(&jp->doc);
    for (int l = 0; l < EXTRACT_LANG_COUNT; l++) jf_buf_free(&jp->text[l]);
    jf_stream_close(jp->stream);
    return rc;
}
