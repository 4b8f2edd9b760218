/* train_chart.c: log.csv to a loss-curve SVG (see train_chart.h); the
 * drawing is jf_svg_lines, shared with `jaforge report`. */
#include "train_chart.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jf_svg.h"

#define MAX_SERIES 4
#define MAX_FIELDS 64

typedef struct {
    JfSeries s[MAX_SERIES];   /* loss, then the validation curves */
    int      col[MAX_SERIES]; /* their fields in the CSV */
    size_t   ns;
    int      step_col;
} Chart;

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
        c->s[c->ns].sparse = w > 0;   /* validation runs every eval_interval steps */
        c->col[c->ns++] = col[w];
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
        if (c->step_col >= n || c->col[0] >= n || !number(fld[c->step_col], &x) ||
            !number(fld[c->col[0]], &y)) {
            info->skipped++;
            continue;
        }
        info->rows++;
        for (size_t i = 0; i < c->ns && st == JF_OK; i++)
            if (c->col[i] < n && number(fld[c->col[i]], &y)) st = jf_series_push(&c->s[i], x, y);
    }
    free(line);   /* getline's buffer comes from malloc */
    return st;
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
        for (size_t i = 0; i < c.ns; i++) info->series += c.s[i].n > 0;
        JfBuf svg;
        jf_buf_init(&svg, 0);
        st = jf_svg_lines(&svg, c.s, c.ns, title, "step", "loss (nats per token)");
        if (st != JF_OK) st = jf_error_set(err, st, svg_path, JF_OFFSET_UNKNOWN, "drawing the chart");
        else st = jf_svg_save(&svg, svg_path, err);
        jf_buf_free(&svg);
    }
    for (size_t i = 0; i < c.ns; i++) jf_series_free(&c.s[i]);
    return st;
}
