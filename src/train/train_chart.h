/* train_chart.h: the loss-curve chart of a training run. Reads the run's
 * log.csv (train.h: step,loss,...,val_loss[,val_loss_ja][,val_loss_en],...)
 * and draws one standalone SVG: the training loss against the step and the
 * validation losses (Japanese and English when the log has them, else the
 * mean val_loss) as lines with markers at the measured steps, on shared
 * axes with round ticks and a legend. A training curve of more than
 * TRAIN_CHART_MAX_POINTS steps is thinned to every k-th step (the last kept).
 *
 * Rows whose step or loss is not a number are skipped and counted; empty
 * validation fields are gaps. Written to PATH.tmp, then renamed.
 * Does not do: per-dataset curves (they are in log.csv), log scales. */
#ifndef TRAIN_CHART_H
#define TRAIN_CHART_H

#include <stddef.h>

#include "jf_error.h"
#include "jf_svg.h"

#define TRAIN_CHART_MAX_POINTS JF_SVG_MAX_POINTS

typedef struct {
    size_t rows;      /* rows drawn */
    size_t skipped;   /* rows that were not numbers */
    size_t series;    /* curves drawn (training loss + validation curves with points) */
} TrainChartInfo;

/* Draws the chart of csv_path into svg_path; title is shown above it.
 * info may be NULL. @return JF_OK, JF_EIO (cannot read or write),
 * JF_EFORMAT (no header with step and loss columns, or no row), JF_ENOMEM. */
JfStatus train_chart_write(const char *csv_path, const char *svg_path, const char *title,
                           TrainChartInfo *info, JfError *err);

#endif
