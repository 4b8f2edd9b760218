/* extract_testutil.h: shared helpers of the extract tests: real data under
 * $JF_DATA_DIR (made by scripts/make-sample-data.sh from Debian packages),
 * read whole files, find the vim tutor folder. A missing data file fails the
 * test with the command that makes it; it never skips. */
#ifndef EXTRACT_TESTUTIL_H
#define EXTRACT_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_buf.h"

/* $JF_DATA_DIR, or the build's default data folder. */
const char *tu_data_dir(void);

/* Reads $JF_DATA_DIR/rel whole (NUL-terminated, caller frees with free()).
 * Fails the running test with a clear message when the file is missing. */
uint8_t *tu_read_data(const char *rel, size_t *len);

/* Reads an absolute path; NULL when missing (no failure). */
uint8_t *tu_read_path(const char *path, size_t *len);

/* Lists the files of $JF_DATA_DIR/rel_dir whose names end with suffix, sorted;
 * fails the test when the folder is missing or holds none. Returns a NULL-ended
 * array of relative paths (free with tu_free_list). */
char **tu_list_data(const char *rel_dir, const char *suffix);
void tu_free_list(char **list);

/* "pkgs/vim-runtime/usr/share/vim/vimNN/tutor" (whatever NN the package has);
 * fails the test when missing. Static storage. */
const char *tu_vim_tutor_dir(void);

/* Removes all ASCII whitespace: comparisons that ignore layout. */
void tu_squeeze(const char *s, size_t n, JfBuf *out);

#endif
