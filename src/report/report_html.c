/* report_html.c: assembles the report page from ReportData (one <section>
 * per part, each an SVG chart with its numbers and a small table, or "not
 * run") and writes it atomically to DIR/report/index.html. The page has
 * inline CSS only: no scripts, fonts, images or links to fetch. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jf_alloc.h"
#include "jf_fs.h"
#include "report.h"
#include "report_int.h"

static const char CSS[] =
    "body{font-family:sans-serif;margin:24px auto;max-width:820px;color:#222}"
    "h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px;"
    "margin-top:32px}svg{display:block;margin:8px 0;font-size:12px}"
    "svg text.value{fill:#333}svg text.label{fill:#222}"
    "table{border-collapse:collapse;font-size:13px;margin:8px 0}"
    "td,th{border:1px solid #ccc;padding:2px 8px}td.num{text-align:right}"
    "p.notrun{color:#a33;font-style:italic}p.note{color:#666;font-size:12px}";

typedef struct {
    ReportOut      *o;
    ReportSummary  *sum;
} Page;

/* Opens a section; when present is false writes "not run" and returns false. */
static bool section_begin(Page *p, const char *id, const char *title, bool present,
                          const char *what)
{
    report_out_printf(p->o, "<section id=\"%s\"><h2>", id);
    report_out_esc(p->o, title);
    report_out_puts(p->o, "</h2>\n");
    p->sum->sections++;
    if (present) return true;
    p->sum->sections_not_run++;
    report_out_puts(p->o, "<p class=\"notrun\">not run (");
    report_out_esc(p->o, what);
    report_out_puts(p->o, " missing)</p></section>\n");
    return false;
}

static void chart_with_table(Page *p, const ReportTable *t, const char *title, const char *corner)
{
    report_out_puts(p->o, "<h3>");
    report_out_esc(p->o, title);
    report_out_puts(p->o, "</h3>\n");
    report_svg_bars(p->o, t, title);
    report_html_table(p->o, t, corner);
}

static void section_funnel(Page *p, const ReportData *d)
{
    if (!section_begin(p, "funnel", "Documents and characters through each stage",
                       d->has_extract || d->has_filter || d->has_dedup,
                       "extract, filter and dedup run databases"))
        return;
    chart_with_table(p, &d->funnel_docs, "Documents kept by each stage", "stage");
    chart_with_table(p, &d->funnel_chars, "Characters kept by each stage", "stage");
    report_out_puts(p->o, "</section>\n");
}

static void section_rules(Page *p, const ReportData *d)
{
    if (!section_begin(p, "filter-rules", "Filter rules", d->has_filter,
                       "DIR/filter/LANG/jaforge.db"))
        return;
    report_out_puts(p->o, "<p>Documents removed per rule, counted at the first rule that "
                          "failed (rules that removed nothing are left out).</p>\n");
    chart_with_table(p, &d->rules, "Documents removed per first failing rule", "rule");
    report_out_puts(p->o, "</section>\n");
}

static void section_extract(Page *p, const ReportData *d)
{
    if (!section_begin(p, "extract-drops", "Extract: records dropped", d->has_extract,
                       "DIR/extract/jaforge.db"))
        return;
    chart_with_table(p, &d->drops, "Records dropped by extract, per reason", "reason");
    report_out_puts(p->o, "</section>\n");
}

static void section_langs(Page *p, const ReportData *d)
{
    if (!section_begin(p, "languages", "Languages and sources", d->has_extract || d->has_docs,
                       "extract run database and dedup outputs"))
        return;
    if (d->has_extract)
        chart_with_table(p, &d->langs, "Documents extracted per language", "language");
    if (d->has_docs)
        chart_with_table(p, &d->sources, "Documents per source after dedup", "source");
    report_out_puts(p->o, "</section>\n");
}

static void top_docs(Page *p, const ReportData *d)
{
    report_out_puts(p->o, "<h3>Longest documents after dedup</h3>\n<table><thead><tr><th>lang"
                          "</th><th>characters</th><th>id</th><th>title</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < d->ntop; i++) {
        const ReportDoc *t = &d->top[i];
        report_out_puts(p->o, "<tr><td>");
        report_out_esc(p->o, t->lang);
        report_out_printf(p->o, "</td><td class=\"num\">%llu</td><td>",
                          (unsigned long long)t->chars);
        report_out_esc(p->o, t->id);
        report_out_puts(p->o, "</td><td>");
        report_out_esc(p->o, t->title);
        report_out_puts(p->o, "</td></tr>\n");
    }
    report_out_puts(p->o, "</tbody></table>\n");
}

static void section_lengths(Page *p, const ReportData *d)
{
    if (!section_begin(p, "lengths", "Document lengths after dedup", d->has_docs,
                       "DIR/dedup/LANG/*.jsonl.zst"))
        return;
    chart_with_table(p, &d->lengths, "Documents per length (characters)", "characters");
    top_docs(p, d);
    report_out_puts(p->o, "</section>\n");
}

static void section_dedup(Page *p, const ReportData *d)
{
    if (!section_begin(p, "dedup", "Deduplication", d->has_dedup, "DIR/dedup/LANG/jaforge.db"))
        return;
    chart_with_table(p, &d->dedup, "Documents removed as duplicates and kept", "documents");
    if (d->clusters.nrows)
        chart_with_table(p, &d->clusters, "Duplicate clusters per size (documents)", "size");
    else
        report_out_puts(p->o, "<p class=\"note\">No duplicate clusters recorded.</p>\n");
    report_out_puts(p->o, "</section>\n");
}

static void section_tokens(Page *p, const ReportData *d)
{
    if (!section_begin(p, "tokenizer", "Tokenizer: characters per token", d->cpt.nrows > 0,
                       "shards in DIR/blend/plan.json or documents after dedup"))
        return;
    report_out_puts(p->o, "<p>Characters of the documents after dedup divided by the tokens "
                          "of their shard (end-of-document tokens not counted).</p>\n");
    chart_with_table(p, &d->cpt, "Characters per token", "dataset");
    report_out_puts(p->o, "</section>\n");
}

static void section_mixture(Page *p, const ReportData *d)
{
    if (!section_begin(p, "mixture", "Mixture: requested versus realized", d->has_plan,
                       "DIR/blend/plan.json"))
        return;
    chart_with_table(p, &d->mixture, "Requested weight and realized share of tokens (%)",
                     "dataset");
    report_out_puts(p->o, "</section>\n");
}

static void section_train(Page *p, const ReportData *d)
{
    if (!section_begin(p, "training", "Training", d->has_train, "DIR/train/log.csv"))
        return;
    report_svg_lines(p->o, &d->train[0], 1, "Training loss", "step", "loss (nats per token)");
    if (d->train[1].n || d->train[2].n)
        report_svg_lines(p->o, &d->train[1], 2, "Validation loss per language", "step",
                         "loss (nats per token)");
    report_out_puts(p->o, "<table><thead><tr><th>series</th><th>points</th><th>first</th>"
                          "<th>last</th></tr></thead><tbody>\n");
    for (size_t s = 0; s < 3; s++) {
        const JfSeries *r = &d->train[s];
        report_out_printf(p->o, "<tr><td>%s</td><td class=\"num\">%zu</td><td class=\"num\">",
                          r->name, r->n);
        report_out_num(p->o, r->n ? r->y[0] : NAN);
        report_out_puts(p->o, "</td><td class=\"num\">");
        report_out_num(p->o, r->n ? r->y[r->n - 1] : NAN);
        report_out_puts(p->o, "</td></tr>\n");
    }
    report_out_puts(p->o, "</tbody></table></section>\n");
}

static void page_build(Page *p, const ReportData *d, const char *workdir)
{
    report_out_puts(p->o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                          "<title>jaforge report: ");
    report_out_esc(p->o, workdir);
    report_out_printf(p->o, "</title>\n<style>%s</style></head>\n<body>\n<h1>jaforge report: ",
                      CSS);
    report_out_esc(p->o, workdir);
    report_out_puts(p->o, "</h1>\n");
    section_funnel(p, d);
    section_rules(p, d);
    section_extract(p, d);
    section_langs(p, d);
    section_lengths(p, d);
    section_dedup(p, d);
    section_tokens(p, d);
    section_mixture(p, d);
    section_train(p, d);
    if (d->bad)
        report_out_printf(p->o, "<p class=\"note\">%llu unreadable records, statistics or lines "
                                "were skipped.</p>\n", (unsigned long long)d->bad);
    report_out_puts(p->o, "</body></html>\n");
}

/* Writes data to path.tmp, syncs it and renames it to path. */
static JfStatus file_write_atomic(const char *path, const void *data, size_t len, JfError *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
    bool ok = fwrite(data, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int e = errno;
    if (fclose(f) != 0) ok = false;
    if (ok && rename(tmp, path) == 0) return JF_OK;
    if (ok) e = errno;
    remove(tmp);
    return jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "writing the report: %s", strerror(e));
}

JfStatus report_write(const char *workdir, ReportSummary *sum, JfError *err)
{
    ReportSummary local;
    if (!sum) sum = &local;
    memset(sum, 0, sizeof *sum);
    if (!jf_fs_is_dir(workdir))
        return jf_error_set(err, JF_EUSAGE, workdir, JF_OFFSET_UNKNOWN, "not a work directory");
    ReportData *d = jf_calloc(1, sizeof *d);   /* large: the tables are inline arrays */
    if (!d) return jf_error_set(err, JF_ENOMEM, workdir, JF_OFFSET_UNKNOWN, "out of memory");
    ReportOut o = { .rc = JF_OK };
    jf_buf_init(&o.buf, 0);
    JfStatus rc = report_collect(workdir, d, err);
    if (rc != JF_OK) goto out_free;
    Page p = { &o, sum };
    page_build(&p, d, workdir);
    if ((rc = o.rc) != JF_OK) {
        jf_error_set(err, rc, workdir, JF_OFFSET_UNKNOWN, "building the report page");
        goto out_free;
    }
    int n = snprintf(sum->path, sizeof sum->path, "%s/report/index.html", workdir);
    if (n < 0 || (size_t)n >= sizeof sum->path) {
        rc = jf_error_set(err, JF_EUSAGE, workdir, JF_OFFSET_UNKNOWN, "path too long");
        goto out_free;
    }
    char dir[sizeof sum->path];
    memcpy(dir, sum->path, (size_t)n - strlen("/index.html"));
    dir[(size_t)n - strlen("/index.html")] = '\0';
    if ((rc = jf_fs_mkdir_p(dir, err)) == JF_OK)
        rc = file_write_atomic(sum->path, o.buf.data, o.buf.len, err);
out_free:
    sum->documents = d->documents;
    sum->bad = d->bad;
    report_data_free(d);
    jf_free(d);
    jf_buf_free(&o.buf);
    return rc;
}
