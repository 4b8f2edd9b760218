/* html_text.h: plain text of an HTML page (already UTF-8), with libxml2's HTML
 * push parser in SAX mode: no tree is built and nothing recurses, so deep or
 * huge pages cost bounded time and memory. Scripts, styles, <head> (except
 * <title>) are dropped; block elements break lines; whitespace is collapsed;
 * boilerplate (navigation, headers, footers, link lists) is removed when asked.
 * Does not detect charsets (charset.h) or judge the language or quality of
 * the text (normalize/, filter/). */
#ifndef HTML_TEXT_H
#define HTML_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "jf_error.h"

typedef struct {
    size_t max_input;          /* bytes; larger input is JF_ETOOBIG (0 = 8 MiB) */
    size_t max_depth;          /* nesting tracked (0 = 256, at most 65536): deeper content
                                  is still read as text, inheriting the state at the limit
                                  (block elements still break lines); never recursion */
    bool   remove_boilerplate; /* see html_text.c's header for the heuristic */
    double max_seconds;        /* time budget per page (0: none); past it JF_ETIMEOUT */
} HtmlTextOptions;

/* Defaults: max_input 8 MiB, max_depth 256, remove_boilerplate true,
 * max_seconds 10. */
void html_text_options_init(HtmlTextOptions *opt);

typedef struct HtmlExtractor HtmlExtractor; /* reusable; owns its buffers */

typedef struct {
    const char *text;  size_t text_len;   /* UTF-8, blocks separated by '\n', whitespace
                                             collapsed, no empty lines; NUL-terminated */
    const char *title; size_t title_len;  /* collapsed <title> text, "" when none; at most
                                             4 KB (a longer title is cut) */
    const char *html_lang;                /* <html lang="..."> value or "" */
    size_t n_blocks;                      /* non-empty text blocks seen */
    size_t n_blocks_removed;              /* of which dropped as boilerplate */
    size_t bytes_in;                      /* HTML bytes parsed */
    size_t bytes_out;                     /* == text_len */
} HtmlText;
/* All pointers in HtmlText are borrowed from the extractor, valid until the
 * next html_extractor_run or html_extractor_close. */

/* opt may be NULL (defaults).
 * @return JF_OK, JF_ENOMEM. */
JfStatus html_extractor_open(const HtmlTextOptions *opt, HtmlExtractor **out, JfError *err);

/* Extracts the text of utf8 (len bytes of UTF-8 HTML; invalid bytes are
 * tolerated). Garbage input gives some text or none, never an error.
 * @return JF_OK, JF_ETOOBIG (len > max_input, or the text outgrew its cap),
 *         JF_ETIMEOUT (parsing took longer than max_seconds),
 *         JF_ENOMEM. After an error the extractor is still usable. */
JfStatus html_extractor_run(HtmlExtractor *x, const char *utf8, size_t len, HtmlText *out,
                            JfError *err);

/* Accepts NULL. */
void html_extractor_close(HtmlExtractor *x);

#endif
