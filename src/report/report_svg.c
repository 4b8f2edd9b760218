/* report_svg.c: the two chart kinds of the report drawn as inline SVG
 * (grouped horizontal bars, line curves) and the HTML table next to each.
 * Sizes are in SVG user units (pixels at 100 % zoom). Text from data is
 * escaped; numbers are printed by report_out_num. No file I/O here. */
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

static const char *const COLORS[] = { "#3b6fb6", "#e07b39", "#4e9a55", "#b64b6e",
                                      "#7b62b3", "#8a8a8a" };
#define NCOLORS (sizeof COLORS / sizeof COLORS[0])

static void svg_open(ReportOut *o, double h, const char *title)
{
    report_out_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" "
                         "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">"
                         "<title>", SVG_W, h, SVG_W, h);
    report_out_esc(o, title);
    report_out_puts(o, "</title>\n");
}

/* Names are n strings stride bytes apart (table columns or series names). */
static void svg_legend(ReportOut *o, const char *first, size_t n, size_t stride)
{
    double x = BAR_LABEL_W;
    for (size_t i = 0; i < n; i++) {
        const char *name = first + i * stride;
        report_out_printf(o, "<rect x=\"%.0f\" y=\"6\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                             "<text x=\"%.0f\" y=\"16\">", x, COLORS[i % NCOLORS], x + 16);
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
                              BAR_LABEL_W, y, w, BAR_H - 2, COLORS[c % NCOLORS],
                              BAR_LABEL_W + w + 4, y + BAR_H - 4);
            report_out_num(o, v);
            report_out_puts(o, "</text>");
        }
        report_out_puts(o, "\n");
    }
    report_out_puts(o, "</svg>\n");
}

/* The range of every finite y (and x) of the series, padded when flat. */
static void series_range(const ReportSeries *s, size_t n, double r[4])
{
    r[0] = r[2] = INFINITY;
    r[1] = r[3] = -INFINITY;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < s[i].n; k++) {
            if (!isfinite(s[i].x[k]) || !isfinite(s[i].y[k])) continue;
            r[0] = fmin(r[0], s[i].x[k]);
            r[1] = fmax(r[1], s[i].x[k]);
            r[2] = fmin(r[2], s[i].y[k]);
            r[3] = fmax(r[3], s[i].y[k]);
        }
    if (!(r[0] <= r[1])) r[0] = 0, r[1] = 1, r[2] = 0, r[3] = 1;
    if (r[1] == r[0]) r[1] = r[0] + 1;
    double pad = (r[3] - r[2]) * 0.05;
    if (pad == 0) pad = fabs(r[3]) * 0.05 + 0.5;
    r[2] -= pad;
    r[3] += pad;
}

#define PLOT_X0 70.0
#define PLOT_X1 (SVG_W - 20.0)
#define PLOT_Y0 (LEGEND_H + 10.0)
#define PLOT_Y1 290.0

static void svg_axes(ReportOut *o, const double r[4], const char *xlabel)
{
    report_out_printf(o, "<path class=\"axis\" d=\"M%.0f %.0f V%.0f H%.0f\" fill=\"none\" "
                         "stroke=\"#444\"/>\n", PLOT_X0, PLOT_Y0, PLOT_Y1, PLOT_X1);
    for (int i = 0; i <= 4; i++) {
        double fy = r[2] + (r[3] - r[2]) * i / 4.0, py = PLOT_Y1 - (PLOT_Y1 - PLOT_Y0) * i / 4.0;
        double fx = r[0] + (r[1] - r[0]) * i / 4.0, px = PLOT_X0 + (PLOT_X1 - PLOT_X0) * i / 4.0;
        report_out_printf(o, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                             "<text class=\"tick\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">",
                          PLOT_X0, PLOT_X1, py, py, PLOT_X0 - 6, py + 4);
        report_out_num(o, fy);
        report_out_printf(o, "</text><text class=\"tick\" x=\"%.1f\" y=\"%.0f\" "
                             "text-anchor=\"middle\">", px, PLOT_Y1 + 16);
        report_out_num(o, fx);
        report_out_puts(o, "</text>\n");
    }
    report_out_printf(o, "<text class=\"tick\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">",
                      (PLOT_X0 + PLOT_X1) / 2, PLOT_Y1 + 32);
    report_out_esc(o, xlabel);
    report_out_puts(o, "</text>\n");
}

static void svg_point(const ReportSeries *s, size_t k, const double r[4], double *px, double *py)
{
    *px = PLOT_X0 + (s->x[k] - r[0]) / (r[1] - r[0]) * (PLOT_X1 - PLOT_X0);
    *py = PLOT_Y1 - (s->y[k] - r[2]) / (r[3] - r[2]) * (PLOT_Y1 - PLOT_Y0);
}

/* One polyline; dots on each point when there are few (validation curves). */
static void svg_curve(ReportOut *o, const ReportSeries *s, const double r[4], const char *color)
{
    size_t step = s->n > 2000 ? (s->n + 1999) / 2000 : 1;   /* at most ~2000 points drawn */
    double px, py;
    report_out_printf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"",
                      color);
    for (size_t k = 0; k < s->n; k += step) {
        if (!isfinite(s->x[k]) || !isfinite(s->y[k])) continue;
        svg_point(s, k, r, &px, &py);
        report_out_printf(o, "%.1f,%.1f ", px, py);
    }
    report_out_puts(o, "\"/>\n");
    for (size_t k = 0; s->n <= 60 && k < s->n; k++) {
        if (!isfinite(s->x[k]) || !isfinite(s->y[k])) continue;
        svg_point(s, k, r, &px, &py);
        report_out_printf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>",
                          px, py, color);
    }
}

void report_svg_lines(ReportOut *o, const ReportSeries *s, size_t n, const char *title,
                      const char *xlabel)
{
    double r[4];
    series_range(s, n, r);
    svg_open(o, PLOT_Y1 + 40, title);
    svg_legend(o, s[0].name, n, sizeof *s);
    svg_axes(o, r, xlabel);
    for (size_t i = 0; i < n; i++) svg_curve(o, &s[i], r, COLORS[i % NCOLORS]);
    report_out_puts(o, "</svg>\n");
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
