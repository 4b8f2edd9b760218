/* jf_doc.h: the document stream every stage reads and writes: JSON lines
 * compressed with zstd (one frame per file), one document per line with at
 * least the fields id, text, source, lang, url (may be null), created (may be
 * null) and meta (an object). Parsing and printing JSON is jansson's job; this
 * file only frames lines and streams zstd with bounded memory. It knows nothing
 * about where documents come from.
 *
 * Writers never leave a file that looks complete: they write PATH.tmp and
 * rename it to PATH in jf_docwriter_commit. A writer closed without commit
 * removes its temporary file. */
#ifndef JF_DOC_H
#define JF_DOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"

typedef struct {
    char   *id;        /* stable, derived from the source record */
    char   *text;      /* UTF-8, NUL-terminated; text_len bytes */
    size_t  text_len;
    char   *source;    /* "cc", "mc4", "wikipedia", "jstage", ... */
    char   *lang;      /* "ja", "en", ... */
    char   *url;       /* NULL when unknown */
    char   *created;   /* RFC 3339 date, NULL when unknown */
    json_t *meta;      /* an object; never NULL after jf_doc_init */
} JfDoc;

/* Every string of a JfDoc is owned by it (jf_malloc) and freed by jf_doc_free. */
JfStatus jf_doc_init(JfDoc *d);
void     jf_doc_free(JfDoc *d);
/* Replaces one field with a copy of s (len bytes; s may be NULL for url/created). */
JfStatus jf_doc_set(char **field, const char *s, size_t len);

/* Serializes d as one JSON object (fields id, text, source, lang, url,
 * created, meta in this order, compact, as jansson writes it) into *line, a
 * NUL-terminated string without '\n' of *len bytes to release with free().
 * @return JF_OK, JF_EFORMAT (a string is not valid UTF-8), JF_ENOMEM. */
JfStatus jf_doc_to_json_line(const JfDoc *d, char **line, size_t *len, JfError *err);

/* Parses one JSON line into d (previous contents freed). Missing id/text is
 * JF_EFORMAT; a missing meta becomes {}. */
JfStatus jf_doc_from_json(JfDoc *d, const char *line, size_t len, JfError *err);

/* The same two through jansson alone: the reference the direct paths above
 * must equal (same document, same bytes, same errors); for tests. */
JfStatus jf_doc_to_json_line_jansson(const JfDoc *d, char **line, size_t *len, JfError *err);
JfStatus jf_doc_from_json_jansson(JfDoc *d, const char *line, size_t len, JfError *err);

/* ---- writer ---- */
typedef struct JfDocWriter JfDocWriter;

/* level: zstd level (3 is a good default). */
JfStatus jf_docwriter_open(const char *path, int level, JfDocWriter **out, JfError *err);
JfStatus jf_docwriter_write(JfDocWriter *w, const JfDoc *d, JfError *err);
/* Flushes, closes the zstd frame, fsyncs and renames PATH.tmp to PATH. */
JfStatus jf_docwriter_commit(JfDocWriter *w, JfError *err);
/* Frees the writer; if not committed, deletes PATH.tmp. Accepts NULL. */
void     jf_docwriter_close(JfDocWriter *w);
uint64_t jf_docwriter_count(const JfDocWriter *w);

/* ---- reader ---- */
typedef struct JfDocReader JfDocReader;

/* path "-" reads standard input. Plain (uncompressed) JSON lines are accepted too,
 * recognized by content. max_line: longest accepted line in bytes (0: 256 MiB). */
JfStatus jf_docreader_open(const char *path, size_t max_line, JfDocReader **out, JfError *err);
/* @return JF_ROW (d filled), JF_DONE, or an error. After JF_EFORMAT (a bad line,
 * err has its byte offset in the uncompressed stream) the reader is still usable. */
JfStatus jf_docreader_next(JfDocReader *r, JfDoc *d, JfError *err);
void     jf_docreader_close(JfDocReader *r);

#endif
