/* report_int.h: what the report's files share: a sticky-error HTML writer,
 * the small tables the bar charts are drawn from, and the data
 * collected from a work directory. Private to src/report/. */
#ifndef JF_REPORT_INT_H
#define JF_REPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_buf.h"
#include "jf_error.h"
#include "jf_svg.h"

#define REPORT_MAX_ROWS 48
#define REPORT_MAX_COLS 6
#define REPORT_NAME_LEN 96
#define REPORT_TOP_DOCS 5
#define REPORT_MAX_POINTS 100000   /* per training series; more rows are skipped */

/* The page being written. The first failing append sets rc; later appends
 * do nothing, so callers check rc once at the end. */
typedef struct {
    JfBuf    buf;
    JfStatus rc;
} ReportOut;

void report_out_puts(ReportOut *o, const char *s);
void report_out_printf(ReportOut *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report_out_esc(ReportOut *o, const char *s);      /* HTML-escaped */
void report_out_num(ReportOut *o, double v);           /* 1234 or 0.123 */

/* Rows x columns of numbers (rows: stages, rules, buckets; columns: usually
 * languages), in insertion order. Names past the caps are dropped and
 * counted in `dropped`. */
typedef struct {
    size_t nrows, ncols, dropped;
    char   rows[REPORT_MAX_ROWS][REPORT_NAME_LEN];
    char   cols[REPORT_MAX_COLS][REPORT_NAME_LEN];
    double v[REPORT_MAX_ROWS][REPORT_MAX_COLS];
} ReportTable;

/* Adds v to cell (row, col), creating the row or column. */
void report_table_add(ReportTable *t, const char *row, const char *col, double v);
int  report_table_col(ReportTable *t, const char *col);   /* finds or adds; -1 when full */
int  report_table_row(ReportTable *t, const char *row);

/* Horizontal grouped bars: one group per row, one bar per column, the
 * number written after each bar. */
void report_svg_bars(ReportOut *o, const ReportTable *t, const char *title);
/* Lines of y against x, with axes, ticks and a legend: jf_svg_lines, the
 * chart of OUT/loss.svg. */
void report_svg_lines(ReportOut *o, const JfSeries *s, size_t n, const char *title,
                      const char *xlabel, const char *ylabel);
/* The table as an HTML <table>. */
void report_html_table(ReportOut *o, const ReportTable *t, const char *corner);

typedef struct {
    char     id[REPORT_NAME_LEN * 2];
    char     title[REPORT_NAME_LEN * 2];
    char     lang[16];
    uint64_t chars;
} ReportDoc;

typedef struct {
    bool has_extract, has_filter, has_dedup, has_docs, has_plan, has_train;
    ReportTable funnel_docs, funnel_chars;   /* rows: stages; cols: languages */
    ReportTable drops;                       /* extract drop reasons */
    ReportTable rules;                       /* filter: docs removed per first failing rule */
    ReportTable langs, sources;              /* documents per language / per source */
    ReportTable dedup, clusters;             /* removed exact/near; cluster sizes */
    ReportTable lengths;                     /* length buckets after dedup */
    ReportTable cpt;                         /* characters per token */
    ReportTable mixture;                     /* requested vs realized, percent */
    double      doc_chars[REPORT_MAX_COLS];  /* characters after dedup, per langs column */
    ReportDoc   top[REPORT_TOP_DOCS];        /* longest documents after dedup */
    size_t      ntop;
    JfSeries    train[3];                    /* loss, val_loss_ja, val_loss_en */
    uint64_t    documents, bad;
} ReportData;

/* Reads what exists of workdir into d (zeroed by the caller). Missing parts
 * leave their has_* false. @return JF_OK or JF_ENOMEM. */
JfStatus report_collect(const char *workdir, ReportData *d, JfError *err);
void     report_data_free(ReportData *d);

#endif
