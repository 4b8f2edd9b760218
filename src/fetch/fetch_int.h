/* fetch_int.h: helpers private to src/fetch/: file checksums and the check of
 * a downloaded file against its manifest entry. Never include outside src/fetch/. */
#ifndef JF_FETCH_INT_H
#define JF_FETCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"
#include "manifest.h"

/* Digest of a file's content, streaming (constant memory), as lowercase hex
 * + NUL into hex[41]: xxh3 (XXH3-64, 16 digits, as `xxhsum -H3`), md5, sha1.
 * *size gets the bytes read (may be NULL).
 * @return JF_OK, JF_EIO (open/read), JF_EUSAGE (kind NONE), JF_EINTERNAL (libcrypto). */
JfStatus fetch_file_digest(const char *path, ManifestSumKind kind, char hex[41], uint64_t *size,
                           JfError *err);

/* Checks the file at path against e: size first (cheap), then the checksum.
 * *ok is false with a reason in why (e.g. "size 10 != expected 20",
 * "md5 abc... != expected def...") when it does not match.
 * @return JF_OK (see *ok) or JF_EIO when the file cannot be read. */
JfStatus fetch_file_verify(const char *path, const ManifestEntry *e, bool *ok, char *why,
                           size_t why_cap, JfError *err);

#endif
