/* jf_svg.h: what jaforge's SVG charts share. A growable (x, y) series; the
 * line chart of series against one x axis (training loss and validation
 * losses against the step: OUT/loss.svg of `jaforge train` and the training
 * section of `jaforge report` draw the same picture); the colour palette;
 * XML/HTML text escaping; the atomic save of a finished SVG.
 *
 * The line chart: 760 x 440 units, a framed plot with round ticks on both
 * axes (the y range widened to whole ticks), one polyline per series (class
 * = the series' key) in palette order, and a legend line per series with its
 * last value. A series of more than JF_SVG_MAX_POINTS points is thinned to
 * every k-th point (the last one always kept). Points that are not finite
 * are left out. Drawn into a JfBuf, so it can be saved as a file or sit
 * inline in an HTML page.
 *
 * Does not: read data files (callers parse their CSV or JSON), draw bar
 * charts (report_svg.c and tok_chart.c lay theirs out differently), log
 * scales, or more series than the legend fits (about 3). */
#ifndef JF_SVG_H
#define JF_SVG_H

#include <stdbool.h>
#include <stddef.h>

#include "jf_buf.h"
#include "jf_error.h"

#define JF_SVG_MAX_POINTS 2000   /* per polyline; more are thinned */

typedef struct {
    const char *name;     /* legend text (not owned) */
    const char *key;      /* class of its <polyline>, for styles and tests (not owned) */
    bool        sparse;   /* measured at a few x only: thicker line, a dot on each point */
    size_t      limit;    /* most points kept; 0: no limit */
    size_t      n, cap;
    double     *x, *y;    /* owned (jf_malloc) */
} JfSeries;

/* Appends (x, y). @return JF_OK, JF_ETOOBIG (limit reached; s unchanged) or
 * JF_ENOMEM. */
JfStatus jf_series_push(JfSeries *s, double x, double y);
/* Frees the points (name, key and the limit are kept; n becomes 0). */
void     jf_series_free(JfSeries *s);

/* Appends one <svg> element: title (shown at the top and as <title>), the
 * series s[0..n) (an empty one keeps its colour and legend slot but draws
 * nothing) and the axis labels. @return JF_OK, JF_ENOMEM or JF_ETOOBIG
 * (out's cap); on error out holds part of the chart. */
JfStatus jf_svg_lines(JfBuf *out, const JfSeries *s, size_t n, const char *title,
                      const char *xlabel, const char *ylabel);

/* The i-th colour of the palette ("#rrggbb"; it repeats after 8). */
const char *jf_svg_color(size_t i);

/* Appends s with & < > " ' written as entities, so text from data can sit
 * in XML/HTML text or attribute values; bytes that are not valid UTF-8
 * become U+FFFD. NULL is "". @return JF_OK, JF_ENOMEM or JF_ETOOBIG. */
JfStatus jf_svg_escape(JfBuf *out, const char *s);

/* Writes svg to path.tmp, then renames it to path, so a reader never sees
 * half a chart. @return JF_OK or JF_EIO (nothing left behind). */
JfStatus jf_svg_save(const JfBuf *svg, const char *path, JfError *err);

#endif
