/* wikitext.h: MediaWiki markup to plain text, the way wikiextractor does it
 * for corpus building: templates, tables, references, files, categories,
 * interlanguage links, magic words, comments and most tags removed; link and
 * external-link labels kept; bold/italic quotes dropped; headings and list
 * items become lines of their own; HTML entities decoded.
 * It is a converter for text, not a wiki renderer: templates are never
 * expanded (their text is lost, as in wikiextractor's default). Linear in the
 * input; no recursion (nesting is tracked with counters). */
#ifndef JF_WIKITEXT_H
#define JF_WIKITEXT_H

#include <stddef.h>

#include "jf_buf.h"
#include "jf_error.h"

typedef struct {
    size_t unclosed;   /* templates, tables or links with no end: dropped to the end */
} WikitextStats;

/* Converts len bytes of wikitext into out (reset first).
 * @return JF_OK, JF_ETOOBIG (out's limit), JF_ENOMEM. */
JfStatus wikitext_to_text(const char *src, size_t len, JfBuf *out, WikitextStats *st);

#endif
