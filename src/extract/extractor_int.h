/* extractor_int.h: the Extractor's insides, shared by extract_page.c and
 * extract_warc.c only. */
#ifndef JF_EXTRACTOR_INT_H
#define JF_EXTRACTOR_INT_H

#include "extract.h"
#include "html_text.h"
#include "http.h"
#include "jf_buf.h"
#include "jf_stream.h"
#include "normalize.h"

struct Extractor {
    ExtractOptions  opt;
    bool            only_ja;     /* the pre-filter applies */
    HttpParser     *http;
    HtmlExtractor  *html;
    Normalizer     *normalizer;
    JfBuf           utf8;        /* page decoded to UTF-8 */
    JfBuf           joined;      /* title + text before normalization */
    JfBuf           norm;        /* normalized text */
};

/* The readers behind extractor_run_file, one per input format. */
JfStatus extractor_run_warc(Extractor *x, const char *path, const ExtractSink *sink,
                            ExtractStats *st, JfError *err);
JfStatus extractor_run_wiki(Extractor *x, const char *path, const ExtractSink *sink,
                            ExtractStats *st, JfError *err);
JfStatus extractor_run_jats(Extractor *x, const char *path, const ExtractSink *sink,
                            ExtractStats *st, JfError *err);
JfStatus extractor_run_json(Extractor *x, const char *path, const ExtractSink *sink,
                            ExtractStats *st, JfError *err);

/* libxml2 reads XML inputs through this: a decompressed stream whose
 * errors are counted and reported as bad records (extract_wiki.c). */
typedef struct {
    JfStream          *stream;
    ExtractStats      *st;
    const ExtractSink *sink;
} ExtractXmlFeed;
int extract_xml_read(void *feed, char *buf, int len);   /* xmlInputReadCallback */
int extract_xml_close(void *feed);                      /* xmlInputCloseCallback */

/* Writes a kept document to its language's writer (counting it), or counts a
 * document that cannot be serialized as bad and reports it. */
JfStatus extractor_emit(const ExtractSink *sink, JfDoc *doc, const char *path, uint64_t offset,
                        ExtractStats *st, JfError *err);

#endif
