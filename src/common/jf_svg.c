/* jf_svg.c: series, the line chart, the palette, escaping and the atomic
 * save (see jf_svg.h). Sizes are SVG user units (pixels at 100 % zoom). */
#include "jf_svg.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jf_alloc.h"
#include "jf_json_scan.h"

#define W 760.0
#define H 440.0
#define LEFT 64.0     /* plot area inside the margins */
#define RIGHT 24.0
#define TOP 48.0
#define BOTTOM 52.0
#define MAX_TICKS 64  /* per axis; bounds the output when the step underflows the values */

static const char *const COLORS[] = { "#3b6fb6", "#e07b39", "#4e9a55", "#b64b6e",
                                      "#7b62b3", "#8a8a8a", "#c9a227", "#2a9d9f" };
#define NCOLORS (sizeof COLORS / sizeof COLORS[0])

const char *jf_svg_color(size_t i) { return COLORS[i % NCOLORS]; }

JfStatus jf_series_push(JfSeries *s, double x, double y)
{
    if (s->n == s->cap) {
        if (s->limit && s->cap >= s->limit) return JF_ETOOBIG;
        size_t cap = s->cap ? 2 * s->cap : 256;
        if (s->limit && cap > s->limit) cap = s->limit;
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

void jf_series_free(JfSeries *s)
{
    jf_free(s->x);
    jf_free(s->y);
    s->x = s->y = NULL;
    s->n = s->cap = 0;
}

JfStatus jf_svg_escape(JfBuf *out, const char *s)
{
    JfStatus rc = JF_OK;
    const unsigned char *p = (const unsigned char *)(s ? s : ""), *e = p + strlen((const char *)p);
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
        size_t n = *p < 0x80 ? 1 : jf_json_utf8_len(p, e);   /* the JSON reader's UTF-8 rules */
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

/* The chart being drawn; the first failing append sets rc and later ones do
 * nothing, so the drawing code checks once at the end. */
typedef struct {
    JfBuf   *out;
    JfStatus rc;
    double   xlo, xhi, ylo, yhi;
    double   ty;          /* y tick step; ylo and yhi are multiples of it */
} Chart;

static void put(Chart *c, const char *s)
{
    if (c->rc == JF_OK) c->rc = jf_buf_append_str(c->out, s);
}

static void esc(Chart *c, const char *s)
{
    if (c->rc == JF_OK) c->rc = jf_svg_escape(c->out, s);
}

__attribute__((format(printf, 2, 3))) static void say(Chart *c, const char *fmt, ...)
{
    if (c->rc != JF_OK) return;
    va_list ap;
    va_start(ap, fmt);
    c->rc = jf_buf_vprintf(c->out, fmt, ap);
    va_end(ap);
}

static bool finite_point(const JfSeries *s, size_t k)
{
    return isfinite(s->x[k]) && isfinite(s->y[k]);
}

/* A round tick spacing giving about 5 intervals over span. */
static double tick_step(double span)
{
    double raw = span / 5, p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void chart_range(Chart *c, const JfSeries *s, size_t n)
{
    c->xlo = c->ylo = INFINITY;
    c->xhi = c->yhi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < s[i].n; k++) {
            if (!finite_point(&s[i], k)) continue;
            c->xlo = fmin(c->xlo, s[i].x[k]);
            c->xhi = fmax(c->xhi, s[i].x[k]);
            c->ylo = fmin(c->ylo, s[i].y[k]);
            c->yhi = fmax(c->yhi, s[i].y[k]);
        }
    }
    if (!(c->xlo <= c->xhi)) c->xlo = c->ylo = 0, c->xhi = c->yhi = 1;   /* no point */
    /* a flat range gets a span that its values can still resolve */
    if (c->xhi <= c->xlo) c->xhi = c->xlo + fmax(1, fabs(c->xlo) * 1e-9);
    if (c->yhi <= c->ylo) c->yhi = c->ylo + fmax(1, fabs(c->ylo) * 1e-9);
    /* The ticks use this step too: one recomputed from the widened range
     * could differ and put a tick above the plot. */
    c->ty = tick_step(c->yhi - c->ylo);
    c->ylo = floor(c->ylo / c->ty) * c->ty;
    c->yhi = ceil(c->yhi / c->ty) * c->ty;
}

static double px(const Chart *c, double x)
{
    return LEFT + (x - c->xlo) / (c->xhi - c->xlo) * (W - LEFT - RIGHT);
}

static double py(const Chart *c, double y)
{
    return H - BOTTOM - (y - c->ylo) / (c->yhi - c->ylo) * (H - TOP - BOTTOM);
}

static void axes_draw(Chart *c, const char *xlabel, const char *ylabel)
{
    say(c, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
           "stroke=\"#999\"/>\n", LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM);
    double ty = c->ty, tx = tick_step(c->xhi - c->xlo);
    int i = 0;
    for (double y = c->ylo; y <= c->yhi + ty / 2 && i++ < MAX_TICKS; y += ty)
        say(c, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", LEFT,
            W - RIGHT, py(c, y), py(c, y), LEFT - 6, py(c, y) + 4, y);
    i = 0;
    for (double x = ceil(c->xlo / tx) * tx; x <= c->xhi + tx / 1e6 && i++ < MAX_TICKS; x += tx)
        say(c, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", px(c, x),
            px(c, x), TOP, H - BOTTOM, px(c, x), H - BOTTOM + 18, x);
    say(c, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (LEFT + W - RIGHT) / 2, H - 12);
    esc(c, xlabel);
    say(c, "</text>\n<text x=\"16\" y=\"%.1f\" transform=\"rotate(-90 16 %.1f)\" "
           "text-anchor=\"middle\">", (TOP + H - BOTTOM) / 2, (TOP + H - BOTTOM) / 2);
    esc(c, ylabel);
    put(c, "</text>\n");
}

static void series_draw(Chart *c, const JfSeries *s, size_t i)
{
    const char *color = jf_svg_color(i);
    size_t stride = s->n > JF_SVG_MAX_POINTS ? (s->n + JF_SVG_MAX_POINTS - 1) /
                                               JF_SVG_MAX_POINTS : 1;
    put(c, "<polyline");
    if (s->key) {
        put(c, " class=\"");
        esc(c, s->key);
        put(c, "\"");
    }
    say(c, " fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" points=\"", color,
        s->sparse ? "2" : "1.2");
    for (size_t k = 0; k < s->n; k += stride)
        if (finite_point(s, k)) say(c, "%.1f,%.1f ", px(c, s->x[k]), py(c, s->y[k]));
    size_t last = s->n - 1;
    if (last % stride && finite_point(s, last))
        say(c, "%.1f,%.1f", px(c, s->x[last]), py(c, s->y[last]));
    put(c, "\"/>\n");
    for (size_t k = 0; s->sparse && k < s->n; k++)
        if (finite_point(s, k))
            say(c, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", px(c, s->x[k]),
                py(c, s->y[k]), color);
    double lx = LEFT + 8 + 200.0 * (double)i;
    say(c, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"4\" fill=\"%s\"/>"
           "<text x=\"%.1f\" y=\"%.1f\">", lx, TOP - 14, color, lx + 18, TOP - 8);
    esc(c, s->name);
    say(c, " (last %.4g)</text>\n", s->y[last]);
}

JfStatus jf_svg_lines(JfBuf *out, const JfSeries *s, size_t n, const char *title,
                      const char *xlabel, const char *ylabel)
{
    Chart c = { .out = out, .rc = JF_OK };
    chart_range(&c, s, n);
    say(&c, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<title>", W, H, W, H);
    esc(&c, title);
    put(&c, "</title>\n<text x=\"64\" y=\"18\" font-size=\"14\">");
    esc(&c, title);
    put(&c, "</text>\n");
    axes_draw(&c, xlabel, ylabel);
    for (size_t i = 0; i < n; i++)
        if (s[i].n) series_draw(&c, &s[i], i);
    put(&c, "</svg>\n");
    return c.rc;
}

JfStatus jf_svg_save(const JfBuf *svg, const char *path, JfError *err)
{
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "path too long");
    FILE *f = fopen(tmp, "w");
    if (!f) return jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
    bool ok = fwrite(svg->data ? (const char *)svg->data : "", 1, svg->len, f) == svg->len;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "write: %s", strerror(e));
    }
    return JF_OK;
}
