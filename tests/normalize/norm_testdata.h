/* norm_testdata.h: real text for the normalize/ tests and benchmark, read
 * from the Debian documentation packages that scripts/make-sample-data.sh
 * unpacks into $JF_DATA_DIR/pkgs/<package>/. A missing file fails the test
 * with the command that makes it; nothing is skipped silently. */
#ifndef NORM_TESTDATA_H
#define NORM_TESTDATA_H

#include <stdbool.h>
#include <stddef.h>

#include "jf_buf.h"

/* debian-reference's own plain-text rendering, gzipped, and its HTML chapters. */
#define TD_DEBREF_DIR "usr/share/debian-reference"

/* @return $JF_DATA_DIR, else the build's default data folder. */
const char *td_data_dir(void);

/* Path of pkgs/<pkg>/<rel> under the data folder, in buf. */
void td_pkg_path(char *buf, size_t cap, const char *pkg, const char *rel);

/* Reads a whole file (gzip is decompressed transparently) into out (reset
 * first). Fails the running cmocka test, telling how to make the data, when
 * the file is missing. */
void td_read_required(const char *pkg, const char *rel, JfBuf *out);

/* The same without cmocka (for the benchmark). @return false if missing. */
bool td_read(const char *path, JfBuf *out);

/* Crude HTML to text, in place: drops tags, <script>/<style> bodies and
 * comments, turns block tags into newlines, decodes &lt; &gt; &amp; &quot;
 * &nbsp;. Good enough for test input, not for the pipeline (extract/ does it
 * properly). */
void td_strip_tags(JfBuf *b);

#endif
