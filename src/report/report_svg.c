/* report_svg.c: the report's charts as inline SVG: grouped horizontal bars
 * drawn here, line curves by jf_svg_lines (the chart of OUT/loss.svg), and
 * the HTML table next to each. Sizes are in SVG user units (pixels at 100 %
 * zoom). Text from data is escaped; numbers are printed by report_out_num.
 * No file I/O here. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_int.h"

#define SVG_W       760.0
#define BAR_LABEL_W 210.0   /* row names left of the bars */
#define BAR_AREA_W  440.0
#define BAR_H       14.0
#define BAR_GAP     8.0     /* between groups */
#define LEGEND_H    24.0

static void svg_open(ReportOut *o, double h, const char *title)
{
    report_out_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" "
                         "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">"
                         "<title>", SVG_W, h, SVG_W, h);
    report_out_esc(o, title);
    report_out_puts(o, "</title>\n");
}

/* The legend of the bars: names are n strings stride bytes apart. */
static void svg_legend(ReportOut *o, const char *first, size_t n, size_t stride)
{
    double x = BAR_LABEL_W;
    for (size_t i = 0; i < n; i++) {
        const char *name = first + i * stride;
        report_out_printf(o, "<rect x=\"%.0f\" y=\"6\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                             "<text x=\"%.0f\" y=\"16\">", x, jf_svg_color(i), x + 16);
        report_out_esc(o, name);
        report_out_puts(o, "</text>");
        x += 40 + 8.0 * (double)strnlen(name, REPORT_NAME_LEN);
    }
    report_out_puts(o, "\n");
}

static double table_max(const ReportTable *t)
{
    double m = 0;
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++)
            if (t->v[r][c] > m) m = t->v[r][c];
    return m;
}

void report_svg_bars(ReportOut *o, const ReportTable *t, const char *title)
{
    size_t nc = t->ncols ? t->ncols : 1;
    double group = (double)nc * BAR_H + BAR_GAP;
    double h = LEGEND_H + (double)t->nrows * group + 10;
    double max = table_max(t);
    svg_open(o, h, title);
    svg_legend(o, t->cols[0], t->ncols, REPORT_NAME_LEN);
    for (size_t r = 0; r < t->nrows; r++) {
        double y0 = LEGEND_H + (double)r * group;
        report_out_printf(o, "<text class=\"label\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">",
                          BAR_LABEL_W - 8, y0 + (double)nc * BAR_H / 2 + 4);
        report_out_esc(o, t->rows[r]);
        report_out_puts(o, "</text>");
        for (size_t c = 0; c < t->ncols; c++) {
            double v = t->v[r][c];
            double w = max > 0 && v > 0 ? fmax(1.0, v / max * BAR_AREA_W) : 0;
            double y = y0 + (double)c * BAR_H;
            report_out_printf(o, "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" "
                                 "fill=\"%s\"/><text class=\"value\" x=\"%.1f\" y=\"%.1f\">",
                              BAR_LABEL_W, y, w, BAR_H - 2, jf_svg_color(c),
                              BAR_LABEL_W + w + 4, y + BAR_H - 4);
            report_out_num(o, v);
            report_out_puts(o, "</text>");
        }
        report_out_puts(o, "\n");
    }
    report_out_puts(o, "</svg>\n");
}

void report_svg_lines(ReportOut *o, const JfSeries *s, size_t n, const char *title,
                      const char *xlabel, const char *ylabel)
{
    if (o->rc == JF_OK) o->rc = jf_svg_lines(&o->buf, s, n, title, xlabel, ylabel);
}

void report_html_table(ReportOut *o, const ReportTable *t, const char *corner)
{
    report_out_puts(o, "<table><thead><tr><th>");
    report_out_esc(o, corner);
    report_out_puts(o, "</th>");
    for (size_t c = 0; c < t->ncols; c++) {
        report_out_puts(o, "<th>");
        report_out_esc(o, t->cols[c]);
        report_out_puts(o, "</th>");
    }
    report_out_puts(o, "</tr></thead><tbody>\n");
    for (size_t r = 0; r < t->nrows; r++) {
        report_out_puts(o, "<tr><td>");
        report_out_esc(o, t->rows[r]);
        report_out_puts(o, "</td>");
        for (size_t c = 0; c < t->ncols; c++) {
            report_out_puts(o, "<td class=\"num\">");
            report_out_num(o, t->v[r][c]);
            report_out_puts(o, "</td>");
        }
        report_out_puts(o, "</tr>\n");
    }
    report_out_puts(o, "</tbody></table>\n");
    if (t->dropped)
        report_out_printf(o, "<p class=\"note\">%zu values past the table's %d rows left out.</p>\n",
                          t->dropped, REPORT_MAX_ROWS);
}
