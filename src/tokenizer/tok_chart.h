/* tok_chart.h: a self-contained SVG bar chart for `tokenizer stats --chart`:
 * one group of horizontal bars per text set, one bar per tokenizer (same
 * colour in every group, named in a legend), the value written at the end of
 * each bar and a scale with round ticks starting at 0. Nothing outside the
 * file is referenced (no fonts, styles or scripts); text from the caller is
 * XML-escaped. Each bar is a <rect class="bar"> with data-set, data-model and
 * data-value attributes (the exact figure) and a <title> tooltip.
 *
 * Does not compute the figures (the caller does) or draw other chart kinds. */
#ifndef JF_TOK_CHART_H
#define JF_TOK_CHART_H

#include <stddef.h>

#include "jf_error.h"

typedef struct {
    const char         *title;       /* e.g. "Characters per token" */
    const char *const  *sets;        /* [n_sets] group names (text sets) */
    size_t              n_sets;
    const char *const  *models;      /* [n_models] bar names (tokenizers) */
    size_t              n_models;
    const double       *values;      /* [n_sets * n_models], set-major; negative drawn as 0 */
} TokChart;

/* Writes the chart to path (path.tmp, then renamed). Errors: JF_EUSAGE (no
 * set or model, over 64 models), JF_EIO, JF_ENOMEM. */
JfStatus tok_chart_write_svg(const TokChart *c, const char *path, JfError *err);

#endif
