/* train_chart.c: log.csv to a loss-curve SVG (see train_chart.h). */
#include "train_chart.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jf_alloc.h"

#define W 760.0
#define H 440.0
#define LEFT 64.0     /* plot area inside the margins */
#define RIGHT 24.0
#define TOP 48.0
#define BOTTOM 52.0
#define MAX_SERIES 4
#define MAX_FIELDS 64

static const char *const COLORS[MAX_SERIES] = { "#3b6fb6", "#e07b39", "#4e9a55", "#b64b6e" };

typedef struct {
    const char *name, *key;   /* legend text, CSV column (also the SVG class) */
    int col;              /* field index in the CSV; -1 when absent */
    double *x, *y;
    size_t n, cap;
} Series;

typedef struct {
    Series s[MAX_SERIES];   /* loss, then the validation curves */
    size_t ns;
    int step_col;
    double xlo, xhi, ylo, yhi;
} Chart;

static JfStatus series_push(Series *s, double x, double y)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        double *nx = jf_realloc(s->x, cap * sizeof *nx);
        if (!nx) return JF_ENOMEM;
        s->x = nx;
        double *ny = jf_realloc(s->y, cap * sizeof *ny);
        if (!ny) return JF_ENOMEM;
        s->y = ny;
        s->cap = cap;
    }
    s->x[s->n] = x;
    s->y[s->n++] = y;
    return JF_OK;
}

/* Splits line at commas in place (no quoting in log.csv). @return fields. */
static int split(char *line, char *f[MAX_FIELDS])
{
    int n = 0;
    line[strcspn(line, "\r\n")] = 0;
    for (char *s = line; n < MAX_FIELDS;) {
        f[n++] = s;
        s = strchr(s, ',');
        if (!s) break;
        *s++ = 0;
    }
    return n;
}

/* The columns to draw: loss, then val_loss_ja and val_loss_en, or val_loss
 * when the log has no language columns. */
static bool header_read(Chart *c, char *line)
{
    char *f[MAX_FIELDS];
    int n = split(line, f);
    static const char *const WANT[] = { "loss", "val_loss_ja", "val_loss_en", "val_loss" };
    int col[4] = { -1, -1, -1, -1 };
    c->step_col = -1;
    for (int i = 0; i < n; i++) {
        if (!strcmp(f[i], "step")) c->step_col = i;
        for (int w = 0; w < 4; w++)
            if (!strcmp(f[i], WANT[w])) col[w] = i;
    }
    if (c->step_col < 0 || col[0] < 0) return false;
    for (int w = 0; w < 4; w++) {
        if (col[w] < 0 || (w == 3 && c->ns > 1)) continue;
        c->s[c->ns].name = w == 0 ? "training loss" : WANT[w];
        c->s[c->ns].key = WANT[w];
        c->s[c->ns++].col = col[w];
    }
    return true;
}

static bool number(const char *s, double *v)
{
    char *end;
    if (!*s) return false;
    *v = strtod(s, &end);
    return *end == 0 && isfinite(*v);
}

static JfStatus rows_read(Chart *c, FILE *f, TrainChartInfo *info)
{
    char *line = NULL, *fld[MAX_FIELDS];
    size_t cap = 0;
    JfStatus st = JF_OK;
    while (st == JF_OK && getline(&line, &cap, f) > 0) {
        int n = split(line, fld);
        double x, y;
        if (c->step_col >= n || c->s[0].col >= n || !number(fld[c->step_col], &x) ||
            !number(fld[c->s[0].col], &y)) {
            info->skipped++;
            continue;
        }
        info->rows++;
        for (size_t i = 0; i < c->ns && st == JF_OK; i++)
            if (c->s[i].col < n && number(fld[c->s[i].col], &y)) st = series_push(&c->s[i], x, y);
    }
    free(line);   /* getline's buffer comes from malloc */
    return st;
}

/* A round tick spacing giving about 5 intervals over span. */
static double tick_step(double span)
{
    double raw = span / 5, p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void chart_range(Chart *c)
{
    c->xlo = c->ylo = INFINITY;
    c->xhi = c->yhi = -INFINITY;
    for (size_t i = 0; i < c->ns; i++) {
        for (size_t k = 0; k < c->s[i].n; k++) {
            c->xlo = fmin(c->xlo, c->s[i].x[k]);
            c->xhi = fmax(c->xhi, c->s[i].x[k]);
            c->ylo = fmin(c->ylo, c->s[i].y[k]);
            c->yhi = fmax(c->yhi, c->s[i].y[k]);
        }
    }
    if (c->xhi <= c->xlo) c->xhi = c->xlo + 1;
    if (c->yhi <= c->ylo) c->yhi = c->ylo + 1;
    double ty = tick_step(c->yhi - c->ylo);
    c->ylo = floor(c->ylo / ty) * ty;
    c->yhi = ceil(c->yhi / ty) * ty;
}

static double px(const Chart *c, double x)
{
    return LEFT + (x - c->xlo) / (c->xhi - c->xlo) * (W - LEFT - RIGHT);
}

static double py(const Chart *c, double y)
{
    return H - BOTTOM - (y - c->ylo) / (c->yhi - c->ylo) * (H - TOP - BOTTOM);
}

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '&') fputs("&amp;", f);
        else if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

static void axes_draw(FILE *f, const Chart *c)
{
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"#999\"/>\n", LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM);
    double ty = tick_step(c->yhi - c->ylo), tx = tick_step(c->xhi - c->xlo);
    for (double y = c->ylo; y <= c->yhi + ty / 2; y += ty)
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", LEFT,
                W - RIGHT, py(c, y), py(c, y), LEFT - 6, py(c, y) + 4, y);
    for (double x = ceil(c->xlo / tx) * tx; x <= c->xhi + tx / 1e6; x += tx)
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", px(c, x),
                px(c, x), TOP, H - BOTTOM, px(c, x), H - BOTTOM + 18, x);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">step</text>\n",
            (LEFT + W - RIGHT) / 2, H - 12);
    fprintf(f, "<text x=\"16\" y=\"%.1f\" transform=\"rotate(-90 16 %.1f)\" "
               "text-anchor=\"middle\">loss (nats per token)</text>\n", (TOP + H - BOTTOM) / 2,
            (TOP + H - BOTTOM) / 2);
}

static void series_draw(FILE *f, const Chart *c, size_t i)
{
    const Series *s = &c->s[i];
    size_t stride = s->n > TRAIN_CHART_MAX_POINTS ? (s->n + TRAIN_CHART_MAX_POINTS - 1) /
                                                    TRAIN_CHART_MAX_POINTS : 1;
    fprintf(f, "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" "
               "points=\"", s->key, COLORS[i], i == 0 ? "1.2" : "2");
    for (size_t k = 0; k < s->n; k += stride)
        fprintf(f, "%.1f,%.1f ", px(c, s->x[k]), py(c, s->y[k]));
    if ((s->n - 1) % stride) fprintf(f, "%.1f,%.1f", px(c, s->x[s->n - 1]), py(c, s->y[s->n - 1]));
    fputs("\"/>\n", f);
    for (size_t k = 0; i > 0 && k < s->n; k++)
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", px(c, s->x[k]),
                py(c, s->y[k]), COLORS[i]);
    double lx = LEFT + 8 + 200.0 * (double)i;
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"4\" fill=\"%s\"/>"
               "<text x=\"%.1f\" y=\"%.1f\">%s (last %.4g)</text>\n", lx, TOP - 14, COLORS[i],
            lx + 18, TOP - 8, s->name, s->y[s->n - 1]);
}

static JfStatus chart_svg(const Chart *c, const char *path, const char *title, JfError *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<title>", W, H, W, H);
    xml_text(f, title);
    fputs("</title>\n<text x=\"64\" y=\"18\" font-size=\"14\">", f);
    xml_text(f, title);
    fputs("</text>\n", f);
    axes_draw(f, c);
    for (size_t i = 0; i < c->ns; i++)
        if (c->s[i].n) series_draw(f, c, i);
    fputs("</svg>\n", f);
    bool ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "write: %s", strerror(errno));
    }
    return JF_OK;
}

JfStatus train_chart_write(const char *csv_path, const char *svg_path, const char *title,
                           TrainChartInfo *info, JfError *err)
{
    TrainChartInfo dummy;
    if (!info) info = &dummy;
    memset(info, 0, sizeof *info);
    FILE *f = fopen(csv_path, "r");
    if (!f) return jf_error_set(err, JF_EIO, csv_path, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
    Chart c;
    memset(&c, 0, sizeof c);
    char *line = NULL;
    size_t cap = 0;
    JfStatus st = JF_OK;
    if (getline(&line, &cap, f) <= 0 || !header_read(&c, line))
        st = jf_error_set(err, JF_EFORMAT, csv_path, 0, "no header with step and loss columns");
    free(line);
    if (st == JF_OK && rows_read(&c, f, info) != JF_OK)
        st = jf_error_set(err, JF_ENOMEM, csv_path, JF_OFFSET_UNKNOWN, "out of memory");
    fclose(f);
    if (st == JF_OK && c.s[0].n == 0)
        st = jf_error_set(err, JF_EFORMAT, csv_path, JF_OFFSET_UNKNOWN, "no row to draw");
    if (st == JF_OK) {
        chart_range(&c);
        for (size_t i = 0; i < c.ns; i++) info->series += c.s[i].n > 0;
        st = chart_svg(&c, svg_path, title, err);
    }
    for (size_t i = 0; i < c.ns; i++) {
        jf_free(c.s[i].x);
        jf_free(c.s[i].y);
    }
    return st;
}
