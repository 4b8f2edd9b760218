/* manifest.h: the manifests of data-manifests/ (format in data-manifests/README.md):
 * one URL or local path a line, then optional TAB-separated fields: the
 * expected size in bytes, a checksum (`xxh3:HEX`, `md5:HEX`, `sha1:HEX`),
 * `-` for "unknown", and `key=value` annotations (source=, lang=). `#` starts
 * a comment line; blank lines are skipped. Each entry gets the name it is
 * saved under (the last path segment of the URL, query and fragment removed).
 *
 * It does not download, check files or decode percent escapes. */
#ifndef JF_MANIFEST_H
#define JF_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"

typedef enum {
    MANIFEST_SUM_NONE = 0,
    MANIFEST_SUM_XXH3,       /* XXH3-64, 16 hex digits (`xxhsum -H3`) */
    MANIFEST_SUM_MD5,        /* 32 hex digits */
    MANIFEST_SUM_SHA1,       /* 40 hex digits */
} ManifestSumKind;

#define MANIFEST_NAME_MAX 255   /* bytes of an output file name */

typedef struct {
    char           *url;      /* as written: http(s)://, file:// or a local path */
    char           *name;     /* output file name: no '/', not "." or ".." */
    bool            has_size;
    uint64_t        size;     /* expected bytes when has_size */
    ManifestSumKind sum_kind;
    char            sum_hex[41]; /* lowercase hex + NUL when sum_kind != NONE */
    char           *source;   /* source=... or NULL */
    char           *lang;     /* lang=... or NULL */
    uint64_t        line;     /* 1-based line number in the manifest */
} ManifestEntry;

/* Entries in file order; owned by the Manifest (jf_malloc). */
typedef struct {
    ManifestEntry *entries;
    size_t         count;
    size_t         cap;
    size_t         bad;       /* lines rejected by manifest_load */
} Manifest;

/* Called by manifest_load for each rejected line; err says
 * "MANIFEST:OFFSET: line N: reason" (offset = byte offset of the line). */
typedef void ManifestBadFn(void *ctx, const JfError *err);

void manifest_init(Manifest *m);
void manifest_free(Manifest *m);    /* accepts a zeroed Manifest */

/* Parses one line (without its newline) into *e (fields owned by e; free
 * with manifest_entry_free). Blank and comment lines give JF_DONE.
 * @return JF_OK, JF_DONE, JF_EFORMAT (err->msg says why, without path), JF_ENOMEM. */
JfStatus manifest_line_parse(const char *line, size_t len, ManifestEntry *e, JfError *err);
void     manifest_entry_free(ManifestEntry *e);

/* Reads the manifest file at path and appends its entries to m. A bad line
 * (unknown field, bad size or checksum, unsafe name, a name already used by
 * an earlier line, a NUL byte, a line over 64 KiB) is counted in m->bad and
 * passed to on_bad (may be NULL); reading goes on with the next line.
 * @return JF_OK (even with bad lines: check m->bad), JF_EIO, JF_ENOMEM. */
JfStatus manifest_load(const char *path, Manifest *m, ManifestBadFn *on_bad, void *ctx,
                       JfError *err);

/* Derives the output name of url into out: the last '/'-separated segment
 * with "?query" and "#fragment" removed. @return false when the name would
 * be empty, ".", "..", longer than MANIFEST_NAME_MAX or hold a '\\'. */
bool manifest_name_from_url(const char *url, char *out, size_t cap);

/* "xxh3", "md5", "sha1" or "none". */
const char *manifest_sum_name(ManifestSumKind k);

/* Whether url starts with a scheme curl is asked to fetch (http://,
 * https://, file://); false for a plain local path. */
bool manifest_url_has_scheme(const char *url);

#endif
