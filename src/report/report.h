/* report.h: `jaforge report DIR`: one self-contained HTML page,
 * DIR/report/index.html, about a work directory made by `jaforge run`
 * (layout in src/pipeline/pipeline.h): documents and characters through each
 * stage, filter rules, extract drop reasons, languages and sources, document
 * lengths, dedup, characters per token, the mixture and the training curves.
 * Charts are inline SVG drawn here; the page loads nothing (no scripts, fonts
 * or network). Every string taken from data is HTML-escaped.
 *
 * It only reads the work directory (it never creates a run database) and
 * writes DIR/report/index.html atomically (index.html.tmp, then rename). A
 * part of the run that is missing is shown as "not run", never an error. */
#ifndef JF_REPORT_H
#define JF_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "jf_buf.h"
#include "jf_error.h"

typedef struct {
    size_t   sections;          /* sections on the page */
    size_t   sections_not_run;  /* of which shown as "not run" */
    uint64_t documents;         /* documents read from DIR/dedup/<lang>/ */
    uint64_t bad;               /* unreadable records, stats or lines skipped */
    char     path[4096];        /* the page written */
} ReportSummary;

/* Writes workdir/report/index.html. sum (may be NULL) receives the figures.
 * @return JF_OK, JF_EUSAGE (workdir is not a directory), JF_EIO (cannot
 * write the page), JF_ENOMEM. Damaged inputs are counted in sum->bad. */
JfStatus report_write(const char *workdir, ReportSummary *sum, JfError *err);

/* Appends s to out with & < > " ' escaped as entities, so text from data can
 * sit in HTML text or attribute values. Bytes that are not valid UTF-8 become
 * U+FFFD. @return JF_OK, JF_ENOMEM or JF_ETOOBIG (out's cap). */
JfStatus report_html_escape(JfBuf *out, const char *s);

#endif
