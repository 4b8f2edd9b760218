/* extractor_int.h: the Extractor's insides, shared by extract_page.c and
 * extract_warc.c only. */
#ifndef JF_EXTRACTOR_INT_H
#define JF_EXTRACTOR_INT_H

#include "extract.h"
#include "html_text.h"
#include "http.h"
#include "jf_buf.h"
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

#endif
