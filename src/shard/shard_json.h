/* shard_json.h: the fields of one document line the shard writer needs
 * (text, lang, source), taken from the JSON line quickly. A hand-written
 * scanner validates the whole line and decodes only those fields; anything it
 * is not sure of (a number it cannot vouch for, a duplicate key, a missing or
 * mistyped field, bad JSON) is handed to jansson, which decides, so the result
 * and the errors are those of jf_doc_from_json (src/common/jf_doc.c) for every
 * line. About ten times faster than jansson on real documents, where parsing
 * would otherwise cost as much as a third of encoding.
 * Does not read files or split lines (shard_read.c does). Thread safe: all
 * state is the caller's. */
#ifndef JF_SHARD_JSON_H
#define JF_SHARD_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "jf_buf.h"
#include "jf_error.h"

/* Longest lang / source kept, in bytes (longer values are cut). */
#define SHARD_JSON_NAME_MAX 47

typedef struct {
    const char *text;      /* decoded text, in the caller's buffer; text_len bytes */
    size_t      text_len;
    uint64_t    chars;     /* code points of text */
    char        lang[SHARD_JSON_NAME_MAX + 1];    /* "" when absent or null */
    char        source[SHARD_JSON_NAME_MAX + 1];  /* "" when absent or null */
} ShardJsonDoc;

/* Parses one line (without '\n') as a document: a JSON object with string
 * "id" and "text", and "lang" (or, when absent, "language") and "source" as
 * strings or null. text is decoded into buf (reset first).
 * @return JF_OK; JF_EFORMAT with the reason in err->msg (err->offset is the
 * column in the line where known, else JF_OFFSET_UNKNOWN); JF_ENOMEM /
 * JF_ETOOBIG from buf. */
JfStatus shard_json_doc(const char *line, size_t len, JfBuf *buf, ShardJsonDoc *d, JfError *err);

/* The same with jansson only (the reference the fast scanner must agree with;
 * used for what the scanner hands over, and by the tests). */
JfStatus shard_json_doc_jansson(const char *line, size_t len, JfBuf *buf, ShardJsonDoc *d,
                                JfError *err);

#endif
