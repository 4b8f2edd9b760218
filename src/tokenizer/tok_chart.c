/* tok_chart.c: the SVG bar chart of `tokenizer stats --chart` (see
 * tok_chart.h). Sizes are SVG user units (pixels at 100 % zoom); the colours
 * are jaforge's chart palette (jf_svg.h). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "jf_svg.h"
#include "sp_model_int.h"
#include "tok_chart.h"

#define CH_W         820.0
#define CH_TITLE_H   30.0
#define CH_LEGEND_H  18.0    /* per model */
#define CH_BAR_H     16.0
#define CH_GROUP_GAP 14.0
#define CH_AXIS_H    30.0
#define CH_CHAR_W    7.0     /* rough width of a character at 12 px */
#define CH_LABEL_MAX 48      /* characters of a name shown; longer ones keep their end */
#define CH_MAX_MODELS 64

static size_t utf8_count(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Writes s XML-escaped; bytes that are not UTF-8 or not allowed in XML
 * become '?'. With max > 0 and a longer s, only its last max - 1 characters
 * are written, after an ellipsis. */
static void esc(FILE *f, const char *s, size_t max)
{
    size_t n = strlen(s), total = utf8_count(s);
    if (max && total > max) {
        fputs("\xE2\x80\xA6", f);
        for (size_t skip = total - (max - 1); skip;)
            if (((unsigned char)*++s & 0xC0) != 0x80) skip--;
        n = strlen(s);
    }
    for (size_t i = 0; i < n;) {
        size_t k = sp_utf8_valid_len((const uint8_t *)s + i, n - i);
        unsigned char c = (unsigned char)s[i];
        if (!k || (c < 0x20 && c != '\t')) { fputc('?', f); i += k ? k : 1; continue; }
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fwrite(s + i, 1, k, f);
        }
        i += k;
    }
}

/* A round tick step (1, 2 or 5 times a power of ten) giving about 5 ticks. */
static double tick_step(double max)
{
    double raw = max / 5, mag = pow(10, floor(log10(raw))), norm = raw / mag;
    return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

static void draw(FILE *f, const TokChart *c)
{
    size_t longest = 0;
    for (size_t s = 0; s < c->n_sets; s++) {
        size_t n = utf8_count(c->sets[s]);
        if (n > longest) longest = n;
    }
    double label_w = fmin(fmax((double)(longest < CH_LABEL_MAX ? longest : CH_LABEL_MAX), 8),
                          CH_LABEL_MAX) * CH_CHAR_W + 16;
    double x0 = label_w, area = CH_W - label_w - 70;
    double top = CH_TITLE_H + CH_LEGEND_H * (double)c->n_models + 8;
    double group = (double)c->n_models * CH_BAR_H + CH_GROUP_GAP;
    double bottom = top + group * (double)c->n_sets;
    double h = bottom + CH_AXIS_H, max = 0;
    for (size_t i = 0; i < c->n_sets * c->n_models; i++) max = fmax(max, c->values[i]);
    double step = max > 0 ? tick_step(max) : 0.2, axis = max > 0 ? ceil(max / step) * step : 1;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n<title>",
            CH_W, h, CH_W, h);
    esc(f, c->title, 0);
    fprintf(f, "</title>\n<rect width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n"
               "<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">", CH_W, h);
    esc(f, c->title, 0);
    fputs("</text>\n", f);
    for (size_t m = 0; m < c->n_models; m++) {
        double y = CH_TITLE_H + CH_LEGEND_H * (double)m;
        fprintf(f, "<rect class=\"legend\" x=\"10\" y=\"%.0f\" width=\"12\" height=\"12\" "
                   "fill=\"%s\"/><text x=\"28\" y=\"%.0f\">", y, jf_svg_color(m), y + 10);
        esc(f, c->models[m], 100);
        fputs("</text>\n", f);
    }
    for (int i = 0; i * step <= axis + step / 2; i++) {
        double t = i * step, x = x0 + t / axis * area;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#dddddd\"/>"
                   "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" fill=\"#555555\">%g</text>\n",
                x, top - 4, x, bottom, x, bottom + 16, t);
    }
    for (size_t s = 0; s < c->n_sets; s++) {
        double y0 = top + group * (double)s;
        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", x0 - 8,
                y0 + (double)c->n_models * CH_BAR_H / 2 + 4);
        esc(f, c->sets[s], CH_LABEL_MAX);
        fputs("</text>\n", f);
        for (size_t m = 0; m < c->n_models; m++) {
            double v = c->values[s * c->n_models + m], w = v > 0 ? v / axis * area : 0;
            double y = y0 + (double)m * CH_BAR_H;
            fprintf(f, "<rect class=\"bar\" data-set=\"%zu\" data-model=\"%zu\" data-value=\"%.6f\" "
                       "x=\"%.1f\" y=\"%.1f\" width=\"%.3f\" height=\"%.0f\" fill=\"%s\"><title>",
                    s, m, v, x0, y, w, CH_BAR_H - 2, jf_svg_color(m));
            esc(f, c->models[m], 0);
            fputs(", ", f);
            esc(f, c->sets[s], 0);
            fprintf(f, ": %.4f</title></rect><text x=\"%.1f\" y=\"%.1f\">%.3f</text>\n", v,
                    x0 + w + 4, y + CH_BAR_H - 5, v);
        }
    }
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#333333\"/>\n"
               "</svg>\n", x0, top - 4, x0, bottom);
}

JfStatus tok_chart_write_svg(const TokChart *c, const char *path, JfError *err)
{
    if (!c->n_sets || !c->n_models || c->n_models > CH_MAX_MODELS)
        return jf_error_set(err, JF_EUSAGE, path, JF_OFFSET_UNKNOWN,
                            "a chart needs 1 to %d models and at least one text set",
                            CH_MAX_MODELS);
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return jf_error_set(err, JF_EUSAGE, path, JF_OFFSET_UNKNOWN, "path too long");
    FILE *f = fopen(tmp, "wb");
    if (!f) return jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "cannot create");
    draw(f, c);
    bool ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot write");
    }
    return JF_OK;
}
