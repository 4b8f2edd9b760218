/* extract.h: the extract stage: WARC/WET files in, clean documents out, one
 * language stream per wanted language. For each record it decides whether it
 * is a page worth reading (an HTTP 200 HTML response, an HTML resource, or a
 * WET conversion), runs the cheap Japanese pre-filter, finds the charset and
 * converts to UTF-8, turns HTML into text, normalizes it (ICU) and identifies
 * the language, counting every record that is dropped by its reason.
 *
 * It does not open output files or the run database and never prints: the
 * caller hands in the writers and gets statistics and, through a callback,
 * each bad record's error. Quality filtering is the filter stage's job. */
#ifndef JF_EXTRACT_H
#define JF_EXTRACT_H

#include <stdbool.h>
#include <stdint.h>

#include "html_text.h"
#include "jf_doc.h"
#include "jf_error.h"
#include "normalize.h"

/* Languages with their own output stream. */
typedef enum { EXTRACT_LANG_JA = 0, EXTRACT_LANG_EN, EXTRACT_LANG_COUNT } ExtractLang;
const char *extract_lang_code(ExtractLang l);   /* "ja", "en" */

/* Why a page was not kept: name (used in statistics), meaning. */
#define EXTRACT_DROP_LIST(X)                                                         \
    X(DROP_NON_200,      "non_200",      "HTTP status other than 200")               \
    X(DROP_NOT_HTML,     "not_html",     "payload is not HTML (by Content-Type)")    \
    X(DROP_HTTP_BROKEN,  "http_broken",  "HTTP headers could not be parsed")         \
    X(DROP_BINARY,       "binary",       "labelled text but holds binary bytes")     \
    X(DROP_PREFILTER,    "prefilter",    "not Japanese by <html lang>/charset/title")\
    X(DROP_TOO_BIG,      "too_big",      "page above the size budget")               \
    X(DROP_TOO_SLOW,     "too_slow",     "page above the time budget")               \
    X(DROP_REPLACEMENT,  "replacement",  "too many undecodable characters")          \
    X(DROP_EMPTY,        "empty",        "no text after extraction")                 \
    X(DROP_LANG,         "lang_other",   "language not asked for")

typedef enum {
#define EXTRACT_X_ENUM(id, name, text) EXTRACT_##id,
    EXTRACT_DROP_LIST(EXTRACT_X_ENUM)
#undef EXTRACT_X_ENUM
    EXTRACT_DROP_COUNT
} ExtractDrop;
const char *extract_drop_name(ExtractDrop d);

typedef struct {
    bool              want[EXTRACT_LANG_COUNT]; /* default: ja and en */
    bool              prefilter;          /* default true; applies only when ja alone is wanted */
    double            max_replaced_ratio; /* drop when U+FFFD / chars above this (0.01) */
    size_t            max_record_bytes;   /* WARC record budget (0: 64 MiB) */
    uint32_t          max_ratio;          /* decompression bomb limit (jf_stream.h;
                                             default JF_MAX_RATIO_DEFAULT, 0: none) */
    const char       *source;             /* document "source" field, default "cc" */
    HtmlTextOptions   html;
    NormalizerOptions norm;
} ExtractOptions;

void extract_options_init(ExtractOptions *o);

typedef struct {
    uint64_t records;          /* WARC records read (good ones) */
    uint64_t bad_records;      /* WARC records reported malformed, truncated or too big */
    uint64_t responses;        /* response, resource and conversion records */
    uint64_t html;             /* of which HTML (or WET text) */
    uint64_t bytes_in;         /* bytes of the file consumed */
    uint64_t dropped[EXTRACT_DROP_COUNT];
    uint64_t kept[EXTRACT_LANG_COUNT];
    uint64_t chars_kept[EXTRACT_LANG_COUNT];  /* code points of kept text */
    uint64_t replaced_chars;   /* U+FFFD produced by charset conversion in kept pages */
    uint64_t charset_by_source[5];            /* http, bom, meta, detected, default */
} ExtractStats;

/* Writers for each wanted language (borrowed; NULL for an unwanted one). */
typedef struct {
    JfDocWriter *out[EXTRACT_LANG_COUNT];
    /* When set, takes each kept document in place of out[] (the streaming
     * extract filters it and writes it): doc is the callee's to change, it is
     * not used again. JF_EFORMAT (the document could not be written) counts a
     * bad record and goes on; any other error ends the run. */
    JfStatus (*on_doc)(void *doc_ctx, ExtractLang lang, JfDoc *doc, JfError *err);
    void *doc_ctx;
    /* Called for each bad record (may be NULL). */
    void (*on_error)(void *ctx, const JfError *err);
    /* Called now and then with the bytes of the input consumed (may be NULL). */
    void (*on_progress)(void *ctx, uint64_t bytes_done);
    void *ctx;
} ExtractSink;

typedef struct Extractor Extractor;   /* one per thread; reused across files */

JfStatus extractor_open(const ExtractOptions *opt, Extractor **out, JfError *err);
void     extractor_close(Extractor *x);

/* Runs the stage over one WARC/WET file, adding into *st (not reset).
 * Bad records are counted and passed to sink->on_error, and the run goes on.
 * @return JF_OK, or a final error (cannot open, JF_EIO, JF_ENOMEM, a writer error). */
JfStatus extractor_run_file(Extractor *x, const char *path, const ExtractSink *sink,
                            ExtractStats *st, JfError *err);

/* One page, for readers other than WARC: raw bytes of an HTML body (is_html)
 * or of plain text, with its HTTP Content-Type (may be NULL). On JF_OK either
 * *kept is true and doc holds text, lang and meta (charset, title, html_lang,
 * normalization), or *kept is false and *why says why. id, source, url and
 * created are the caller's to set. */
typedef struct {
    const uint8_t *body;
    size_t         len;
    bool           is_html;
    const char    *content_type;
} ExtractPage;
JfStatus extractor_page(Extractor *x, const ExtractPage *page, JfDoc *doc, bool *kept,
                        ExtractDrop *why, ExtractStats *st, JfError *err);

/* Statistics as a JSON object text (free with free()): what the run database keeps. */
char *extract_stats_to_json(const ExtractStats *st);
/* Adds b into a. */
void extract_stats_add(ExtractStats *a, const ExtractStats *b);

#endif
