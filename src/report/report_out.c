/* report_out.c: the page writer (sticky error), HTML escaping, and the
 * small tables the bar charts read. No file I/O here. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jf_svg.h"
#include "report.h"
#include "report_int.h"

void report_out_puts(ReportOut *o, const char *s)
{
    if (o->rc == JF_OK) o->rc = jf_buf_append_str(&o->buf, s);
}

void report_out_printf(ReportOut *o, const char *fmt, ...)
{
    if (o->rc != JF_OK) return;
    va_list ap;
    va_start(ap, fmt);
    o->rc = jf_buf_vprintf(&o->buf, fmt, ap);
    va_end(ap);
}

void report_out_esc(ReportOut *o, const char *s)
{
    if (o->rc == JF_OK) o->rc = report_html_escape(&o->buf, s);
}

void report_out_num(ReportOut *o, double v)
{
    if (!isfinite(v)) report_out_puts(o, "-");
    else if (v == floor(v) && fabs(v) < 1e15) report_out_printf(o, "%.0f", v);
    else if (fabs(v) >= 100) report_out_printf(o, "%.1f", v);
    else report_out_printf(o, "%.3g", v);
}

JfStatus report_html_escape(JfBuf *out, const char *s)
{
    return jf_svg_escape(out, s);   /* one escaper for the page and for the SVG charts */
}

static int name_find(char (*names)[REPORT_NAME_LEN], size_t *count, size_t cap, const char *s)
{
    for (size_t i = 0; i < *count; i++)
        if (!strcmp(names[i], s)) return (int)i;
    if (*count == cap) return -1;
    snprintf(names[*count], REPORT_NAME_LEN, "%s", s);
    return (int)(*count)++;
}

int report_table_col(ReportTable *t, const char *col)
{
    return name_find(t->cols, &t->ncols, REPORT_MAX_COLS, col);
}

int report_table_row(ReportTable *t, const char *row)
{
    return name_find(t->rows, &t->nrows, REPORT_MAX_ROWS, row);
}

void report_table_add(ReportTable *t, const char *row, const char *col, double v)
{
    int c = report_table_col(t, col);
    int r = c < 0 ? -1 : report_table_row(t, row);
    if (r < 0) {
        t->dropped++;
        return;
    }
    t->v[r][c] += v;
}
