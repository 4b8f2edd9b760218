/* jf_error.h: the one status enum of jaforge and the error record that travels
 * with it. Every function that can fail returns JfStatus and takes JfError *err
 * last; the code that detects a problem fills err with path, byte offset and a
 * reason. Nothing here prints: src/cli turns a JfError into
 * "jaforge: FILE:OFFSET: reason". */
#ifndef JF_ERROR_H
#define JF_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* X-macro: name, text. JF_OK is 0; JF_ROW and JF_DONE are not errors. */
#define JF_STATUS_LIST(X)                                              \
    X(JF_OK,       "ok")                                               \
    X(JF_ROW,      "a row is ready")                                   \
    X(JF_DONE,     "no more rows")                                     \
    X(JF_EFORMAT,  "malformed input")                                  \
    X(JF_ETRUNC,   "truncated input")                                  \
    X(JF_ETOOBIG,  "input exceeds a size limit")                       \
    X(JF_ENOMEM,   "out of memory")                                    \
    X(JF_EIO,      "input/output error")                               \
    X(JF_EUSAGE,   "bad usage")                                        \
    X(JF_EDB,      "run database error")                               \
    X(JF_ECHARSET, "character set error")                              \
    X(JF_ETIMEOUT, "time budget exceeded")                             \
    X(JF_EINTERNAL,"internal error")

typedef enum {
#define JF_X_ENUM(name, text) name,
    JF_STATUS_LIST(JF_X_ENUM)
#undef JF_X_ENUM
    JF_STATUS_COUNT
} JfStatus;

#define JF_OFFSET_UNKNOWN UINT64_MAX

typedef struct {
    JfStatus code;
    char     path[256];
    uint64_t offset;          /* byte offset in path; JF_OFFSET_UNKNOWN when none */
    char     msg[256];
} JfError;

/* @return the fixed text of a status ("malformed input"). */
const char *jf_status_text(JfStatus st);

/* Resets err to JF_OK with no path and no offset. err may be NULL. */
void jf_error_clear(JfError *err);

/* Fills err (if not NULL) and returns code, so callers can write
 * `return jf_error_set(err, JF_EFORMAT, path, off, "bad header %s", h);`.
 * path may be NULL (the previous path is kept). */
JfStatus jf_error_set(JfError *err, JfStatus code, const char *path, uint64_t offset,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Writes "FILE[:OFFSET]: reason" into buf (for the CLI and logs). */
void jf_error_format(const JfError *err, char *buf, size_t cap);

#endif
