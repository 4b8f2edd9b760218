/* normalize.h: text normalization of extracted documents before filtering and
 * dedup. One pass turns arbitrary (possibly broken) UTF-8 into clean UTF-8:
 *
 *   1. invalid UTF-8 (bad bytes, overlongs, surrogates, > U+10FFFF, truncated
 *      sequences) -> U+FFFD, one per maximal bad subpart (as ICU does);
 *   2. removed: C0 controls except \n and \t (so also NUL, ESC) and DEL
 *      U+007F, C1 controls U+0080-009F except NEL, U+FEFF (BOM / ZWNBSP),
 *      U+200B ZWSP, U+200E/200F, U+202A-202E and U+2066-2069 (bidi marks,
 *      embeddings, isolates), U+2060 WORD JOINER, U+00AD SOFT HYPHEN,
 *      U+FFF9-FFFB (interlinear annotation) and the 66 noncharacters
 *      (U+FDD0-FDEF, U+xxFFFE/xxFFFF). Removal happens before step 4, so a
 *      control between a letter and its combining mark does not block
 *      composition. ZWJ/ZWNJ U+200C/200D stay (emoji sequences and some
 *      scripts need them), as do private-use characters and U+FFFD;
 *   3. line endings CRLF, CR, U+0085 NEL, VT, FF, U+2028, U+2029 -> \n;
 *   4. Unicode normalization per NormForm (ICU). NFKC folds full-width ASCII to
 *      ASCII, half-width katakana to full-width, U+3000 to U+0020, (1) to 1:
 *      intended, Swallow and LLM-jp corpora are NFKC;
 *   5. whitespace (collapse_spaces): after normalization every run of
 *      spaces, tabs and other Zs separators (U+00A0, U+1680, U+2000-200A,
 *      U+202F, U+205F, U+3000; NFKC has already folded all but U+1680 to
 *      U+0020) becomes one U+0020, and lines are trimmed of them at both
 *      ends, so a line of only spaces is empty. Without collapse_spaces
 *      spaces and tabs are kept as they are;
 *   6. at most max_blank_lines consecutive empty lines; leading and trailing
 *      empty lines are removed and the output never starts or ends with \n
 *      (it is a document's text, newline-separated lines).
 * Applying the normalizer to its own output changes nothing (tested on the
 * Japanese Debian reference).
 *
 * Does not: detect charsets (extract/ converts to UTF-8 first), strip HTML,
 * change case, or touch punctuation beyond what NFKC does. */
#ifndef JF_NORMALIZE_H
#define JF_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "jf_buf.h"
#include "jf_error.h"

typedef enum { NORM_NFKC = 0, NORM_NFC, NORM_NONE } NormForm;

typedef struct {
    NormForm form;            /* default NORM_NFKC */
    bool     collapse_spaces; /* default true: see step 5 above */
    size_t   max_blank_lines; /* default 1: at most this many consecutive empty lines */
} NormalizerOptions;

/* Fills o with the defaults above. */
void normalizer_options_default(NormalizerOptions *o);

/* Holds the ICU normalizer and reusable work buffers (UTF-16 and UTF-8), so
 * one Normalizer per thread; it is not thread-safe, but several Normalizers
 * in several threads are. */
typedef struct Normalizer Normalizer;

/* opt may be NULL (defaults). @return JF_OK (*out owned by the caller, free
 * with normalizer_close), JF_EUSAGE (bad option), JF_ENOMEM or JF_EINTERNAL
 * (ICU could not load its data). */
JfStatus normalizer_open(const NormalizerOptions *opt, Normalizer **out, JfError *err);

/* Normalizes len bytes of UTF-8 text at in (need not be NUL-terminated, may
 * contain NUL bytes, which are removed) into out, which is reset first;
 * out->data is then a NUL-terminated string (also for empty output).
 * Input is processed in chunks of about 64 KiB cut at boundaries that no
 * step crosses, so extra memory beyond out is a few hundred KiB, kept in n
 * for reuse; only a line of more than 64 KiB without any ASCII byte is taken
 * whole (then about 3 bytes per input byte, freed after the call above 4 MiB).
 * Speed: about 130-250 MB/s per core on Japanese text (NFKC, default options).
 * @return JF_OK, JF_ETOOBIG (out's limit), JF_ENOMEM, or JF_EINTERNAL (ICU
 * failed); broken UTF-8 is never an error. On error out's content is
 * unspecified. */
JfStatus normalizer_apply(Normalizer *n, const char *in, size_t len, JfBuf *out, JfError *err);

/* @return a static name of the form and options, e.g. "nfkc+ws-v1" (the
 * default), "nfc+ws-v1", "none-v1", with "+bl<N>" before the version when
 * max_blank_lines is not 1 ("nfkc+ws+bl3-v1"). Recorded in document meta; the -vN suffix
 * changes whenever the output for some input changes. The string is owned by
 * n and valid until normalizer_close. */
const char *normalizer_profile_name(const Normalizer *n);

/* Frees n and its buffers; accepts NULL. */
void normalizer_close(Normalizer *n);

#endif
