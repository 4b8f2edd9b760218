/* report_out.c: the page writer (sticky error), HTML escaping, and the
 * small tables and series the charts read. No file I/O here. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jf_alloc.h"
#include "report.h"
#include "report_int.h"

void report_out_puts(ReportOut *o, const char *s)
{
    if (o->rc == JF_OK) o->rc = jf_buf_append_str(&o->buf, s);
}

void report_out_printf(ReportOut *o, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        report_out_puts(o, small);
        return;
    }
    char *big = jf_malloc((size_t)n + 1);   /* rare: long formatted text */
    if (!big) {
        if (o->rc == JF_OK) o->rc = JF_ENOMEM;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    report_out_puts(o, big);
    jf_free(big);
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

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one. */
static size_t utf8_valid_len(const unsigned char *s)
{
    size_t n;
    if (s[0] < 0x80) return 1;
    else if (s[0] >= 0xC2 && s[0] <= 0xDF) n = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) n = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4) n = 4;
    else return 0;
    /* a NUL ends the loop before reading past the string: it is no continuation byte */
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (n == 3 && s[0] == 0xE0 && s[1] < 0xA0) return 0;   /* overlong */
    if (n == 3 && s[0] == 0xED && s[1] >= 0xA0) return 0;  /* surrogate */
    if (n == 4 && s[0] == 0xF0 && s[1] < 0x90) return 0;
    if (n == 4 && s[0] == 0xF4 && s[1] >= 0x90) return 0;
    return n;
}

JfStatus report_html_escape(JfBuf *out, const char *s)
{
    JfStatus rc = JF_OK;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p && rc == JF_OK) {
        const char *ent = NULL;
        switch (*p) {
        case '&':  ent = "&amp;"; break;
        case '<':  ent = "&lt;"; break;
        case '>':  ent = "&gt;"; break;
        case '"':  ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default: break;
        }
        if (ent) {
            rc = jf_buf_append_str(out, ent);
            p++;
            continue;
        }
        size_t n = utf8_valid_len(p);
        if (n == 0) {
            rc = jf_buf_append_str(out, "\xEF\xBF\xBD");
            p++;
        } else {
            rc = jf_buf_append(out, p, n);
            p += n;
        }
    }
    return rc;
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

JfStatus report_series_push(ReportSeries *s, double x, double y)
{
    if (s->n == s->cap) {
        if (s->cap >= REPORT_MAX_POINTS) return JF_ETOOBIG;
        size_t cap = s->cap ? s->cap * 2 : 256;
        double *nx = jf_realloc(s->x, cap * sizeof *nx);
        if (!nx) return JF_ENOMEM;
        s->x = nx;
        double *ny = jf_realloc(s->y, cap * sizeof *ny);
        if (!ny) return JF_ENOMEM;
        s->y = ny;
        s->cap = cap;
    }
    s->x[s->n] = x;
    s->y[s->n] = y;
    s->n++;
    return JF_OK;
}
