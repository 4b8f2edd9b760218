/* cc_manifest.h: turns a Common Crawl snapshot's listing (warc.paths.gz:
 * one path per line, "crawl-data/CC-MAIN-2024-10/segments/.../x.warc.gz")
 * into a jaforge manifest of the first N WARC URLs. Downloading the listing
 * itself is the fetcher's job (the CLI does both). */
#ifndef JF_CC_MANIFEST_H
#define JF_CC_MANIFEST_H

#include <stddef.h>

#include "jf_error.h"

#define CC_BASE_URL "https://data.commoncrawl.org/"

/* Reads paths_file (plain or gzip) and writes out_path atomically: one line
 * per path, "BASE PATH<TAB>-<TAB>-<TAB>source=cc", for the first count paths
 * (0: all). base_url must end with '/'. *written gets the number of lines.
 * The manifest is loaded back as fetch will load it before it gets its name.
 * @return JF_OK, JF_EIO, JF_EFORMAT (a line that is not a crawl-data file
 * path, or two paths with one file name: err has the listing's offset),
 * JF_ENOMEM. */
JfStatus cc_manifest_write(const char *paths_file, const char *base_url, size_t count,
                           const char *out_path, size_t *written, JfError *err);

#endif
