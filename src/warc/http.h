/* http.h: the HTTP/1.x response stored in the block of a WARC `response`
 * record: status line, headers, and the body after undoing chunked transfer
 * coding and gzip / deflate (zlib-wrapped or raw) / x-gzip content coding.
 * Broken input never fails the call: a broken status line gives status 0, a
 * bad chunk size or a failed inflate gives body_decoded_ok = false with the
 * best-effort body.
 *
 * Does not: detect the charset, parse HTML, decode br/zstd content coding
 * (body is then left as stored, body_decoded_ok = false), handle requests. */
#ifndef JF_HTTP_H
#define JF_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"

typedef struct HttpParser HttpParser;   /* owns buffers reused across calls */

/* Every pointer is borrowed from the parser, valid until the next
 * http_response_parse() or http_parser_close(). Strings are NUL-terminated. */
typedef struct {
    int            status;           /* 200 ... ; 0 when the status line is broken */
    const char    *content_type;     /* full header value or NULL */
    const char    *content_encoding; /* or NULL */
    const char    *transfer_encoding;/* or NULL */
    const uint8_t *body;             /* decoded body, body_len bytes (NUL after it) */
    size_t         body_len;
    bool           body_decoded_ok;  /* false when dechunk/inflate failed: body then is
                                        the best effort */
} HttpResponse;

/* max_body: largest decoded body kept (0 = 64 MiB); a longer body is cut there
 * and body_decoded_ok is false (so a gzip bomb costs at most max_body). */
JfStatus http_parser_open(size_t max_body, HttpParser **out, JfError *err);

/* Parses block (len bytes, e.g. WarcRecord.body of a response record).
 * @return JF_OK (out filled, also for broken input as described above),
 * JF_EFORMAT when the first 1 MiB of the block holds no end of header (out
 * still filled: status and header fields as far as they go, empty body,
 * body_decoded_ok false), or JF_ENOMEM. */
JfStatus http_response_parse(HttpParser *p, const uint8_t *block, size_t len, HttpResponse *out,
                             JfError *err);

/* Case-insensitive header lookup in the last parsed response; with repeated
 * headers the last one wins. @return the value (borrowed) or NULL. */
const char *http_response_header(const HttpParser *p, const char *name);

/* Accepts NULL. */
void http_parser_close(HttpParser *p);

#endif
