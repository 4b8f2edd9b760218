/* cli_filter.c: `jaforge filter --profile PROFILE --out DIR INPUT...` and
 * `jaforge filter --explain --profile PROFILE FILE...`. Parses options, keeps
 * the run database (DIR/jaforge.db, one task per input, stage "filter") so a
 * re-run skips finished inputs, writes kept documents to DIR/kept/ and
 * rejected ones to DIR/rejected/ (failing rules in meta.rejected_by), and
 * prints the per-rule statistics as a table. With --threads N, documents are
 * measured in batches on N threads (one Filter each) and counted and written
 * in input order, so the outputs do not depend on N. Kept documents get the
 * text edited by the editing rules (footer_trim, C4's line rules), with
 * meta.trimmed_chars and meta.removed_lines. The rules are the filter
 * library's (src/filter/filter.h). Under mpirun rank 0 keeps the run
 * database and hands the inputs out to the other ranks (cli_farm.h), which
 * filter them with their threads and send the statistics back, while a
 * thread of rank 0 takes inputs from the same queue; outputs are per input,
 * so the same for any number of ranks. */
#include <getopt.h>
#include <pthread.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_farm.h"
#include "filter.h"
#include "jf_doc.h"
#include "jf_fs.h"
#include "rundb.h"

#define FILTER_MAX_SET 64
#define FILTER_MAX_THREADS 256
#define FILTER_BATCH_PER_THREAD 32   /* documents per thread and batch */

typedef struct {
    const char *profile;
    const char *out_dir;
    const char *sets[FILTER_MAX_SET];
    size_t      n_sets;
    bool        explain;
    bool        force;
    bool        quiet;
    int         threads;
    JfPathList  inputs;
} FilterArgs;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: jaforge filter --profile PROFILE --out DIR [options] INPUT...\n"
        "       jaforge filter --explain --profile PROFILE FILE...\n"
        "\n"
        "Applies a quality-filter profile (filters/NAME.ini, or a path) to documents\n"
        "(.jsonl.zst, recognized by content; INPUT may be a directory). Kept documents go\n"
        "to DIR/kept/<input>.jsonl.zst, rejected ones to DIR/rejected/<input>.jsonl.zst with\n"
        "the failing rules in meta.rejected_by. Prints documents and characters removed per\n"
        "rule. Re-running skips finished inputs (state in DIR/jaforge.db).\n"
        "\n"
        "options:\n"
        "  -p, --profile P       profile name (swallow-ja, gopher-en, c4-en) or file (required)\n"
        "  -o, --out DIR         output directory (required unless --explain)\n"
        "  --set RULE.KEY=VALUE  override a profile key, e.g. ja_hiragana_ratio.min=0.25\n"
        "  --explain             print every rule's value, bounds and verdict per document\n"
        "  -j, --threads N       evaluate documents on N threads (default 1); output is the\n"
        "                        same for every N\n"
        "  --force               redo inputs already done\n"
        "  -q, --quiet           no progress display\n"
        "  -h, --help            this text\n");
}

static bool accept_doc_name(const char *name)
{
    return strstr(name, ".jsonl") || strstr(name, ".json");
}

/* @return -1 on bad usage, -2 when an input cannot be read, 1 for --help, 0 to go on. */
static int parse_args(int argc, char **argv, FilterArgs *a)
{
    enum { O_SET = 256, O_EXPLAIN, O_FORCE };
    static const struct option LONG[] = {
        { "profile", required_argument, 0, 'p' }, { "out", required_argument, 0, 'o' },
        { "set", required_argument, 0, O_SET },   { "explain", no_argument, 0, O_EXPLAIN },
        { "force", no_argument, 0, O_FORCE },     { "quiet", no_argument, 0, 'q' },
        { "help", no_argument, 0, 'h' },          { "threads", required_argument, 0, 'j' },
        { 0, 0, 0, 0 },
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:o:qhj:", LONG, NULL)) != -1) {
        switch (c) {
        case 'p': a->profile = optarg; break;
        case 'o': a->out_dir = optarg; break;
        case O_SET:
            if (a->n_sets == FILTER_MAX_SET) { cli_errorf("filter: too many --set"); return -1; }
            a->sets[a->n_sets++] = optarg;
            break;
        case O_EXPLAIN: a->explain = true; break;
        case O_FORCE: a->force = true; break;
        case 'q': a->quiet = true; break;
        case 'j':
            a->threads = atoi(optarg);
            if (a->threads < 1 || a->threads > FILTER_MAX_THREADS) {
                cli_errorf("filter: --threads takes 1..%d", FILTER_MAX_THREADS);
                return -1;
            }
            break;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
    }
    if (!a->profile) { cli_errorf("filter: --profile PROFILE is required"); return -1; }
    if (!a->out_dir && !a->explain) { cli_errorf("filter: --out DIR is required"); return -1; }
    if (optind >= argc) { cli_errorf("filter: no INPUT given"); return -1; }
    for (int i = optind; i < argc; i++) {
        JfError err;
        jf_error_clear(&err);
        if (!strcmp(argv[i], "-")) {
            jf_pathlist_add(&a->inputs, "-");
            continue;
        }
        if (jf_fs_expand_input(argv[i], accept_doc_name, &a->inputs, &err) != JF_OK) {
            cli_report(&err);
            return -2;
        }
    }
    if (a->inputs.count == 0) {
        cli_errorf("filter: no document file found in the inputs");
        return -1;
    }
    return 0;
}

/* ---- --explain ---- */

static void print_bound(double v)
{
    if (isnan(v)) printf(" %10s", "-");
    else printf(" %10.4g", v);
}

static void explain_doc(const JfDoc *d, const FilterVerdict *v)
{
    printf("== %s  %s", d->id, v->keep ? "KEEP" : "REJECT");
    if (!v->keep) printf(" (first: %s)", v->results[v->first_fail].rule);
    printf("\n   url: %s, %llu chars\n", d->url ? d->url : "-", (unsigned long long)v->chars);
    printf("   %-30s %10s %10s %10s  %s\n", "rule", "value", "min", "max", "verdict");
    for (size_t i = 0; i < v->n_results; i++) {
        const FilterRuleResult *r = &v->results[i];
        printf("   %-30s", r->rule);
        if (isnan(r->value)) printf(" %10s", "-");
        else printf(" %10.4g", r->value);
        print_bound(r->min);
        print_bound(r->max);
        const char *verdict = r->outcome == FILTER_PASS   ? "pass"
                              : r->outcome == FILTER_FAIL ? "FAIL"
                                                          : "skip";
        printf("  %s%s", verdict,
               r->outcome == FILTER_FAIL && r->max_strict ? " (needs value < max)" : "");
        if (r->cut_lines || r->cut_chars)
            printf("  (removed %llu lines, %llu chars)", (unsigned long long)r->cut_lines,
                   (unsigned long long)r->cut_chars);
        printf("\n");
    }
}

static int explain_all(const FilterArgs *a, Filter *f)
{
    int code = CLI_EXIT_OK;
    for (size_t i = 0; i < a->inputs.count; i++) {
        JfError err;
        jf_error_clear(&err);
        JfDocReader *r = NULL;
        JfDoc d;
        jf_doc_init(&d);
        JfStatus rc = jf_docreader_open(a->inputs.paths[i], 0, &r, &err);
        while (rc == JF_OK || rc == JF_ROW || rc == JF_EFORMAT) {
            rc = jf_docreader_next(r, &d, &err);
            if (rc == JF_EFORMAT) { cli_report(&err); continue; }
            if (rc != JF_ROW) break;
            FilterVerdict v;
            if (filter_measure(f, d.text, d.text_len, d.url, &v, &err) != JF_OK) {
                rc = err.code;
                break;
            }
            explain_doc(&d, &v);
        }
        if (rc != JF_DONE) { cli_report(&err); code = CLI_EXIT_FAIL; }
        jf_doc_free(&d);
        jf_docreader_close(r);
    }
    return code;
}

/* ---- one input ---- */

typedef struct {
    uint64_t bad_lines;
} InputCounts;

/* Verdicts of one batch, measured on the worker threads (one Filter each) and
 * counted and written by the main thread in document order, so the outputs
 * and statistics do not depend on the number of threads. */
typedef struct {
    Filter          **fs;
    size_t            n_fs;
    JfDoc            *docs;
    size_t            n_docs;
    FilterVerdict    *vs;
    FilterRuleResult *res;     /* n_docs x n_rules copies (verdicts are borrowed) */
    size_t            n_rules;
    JfStatus         *rcs;     /* per thread */
    JfError          *errs;
} Batch;

typedef struct {
    Batch *b;
    size_t t;
} Worker;

static void *batch_work(void *arg)
{
    Worker *w = arg;
    Batch *b = w->b;
    for (size_t j = w->t; j < b->n_docs && b->rcs[w->t] == JF_OK; j += b->n_fs) {
        FilterVerdict v;
        JfDoc *d = &b->docs[j];
        b->rcs[w->t] = filter_measure(b->fs[w->t], d->text, d->text_len, d->url, &v,
                                      &b->errs[w->t]);
        if (b->rcs[w->t] != JF_OK) break;
        FilterRuleResult *copy = b->res + j * b->n_rules;
        memcpy(copy, v.results, v.n_results * sizeof *copy);
        v.results = copy;
        /* rewritten text lives in this thread's Filter until its next document */
        if (v.keep && v.edited && v.text != d->text &&
            (b->rcs[w->t] = jf_doc_set(&b->docs[j].text, v.text, v.text_len)) != JF_OK) {
            jf_error_set(&b->errs[w->t], JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
            break;
        }
        if (v.keep && v.edited) v.text = b->docs[j].text;
        b->vs[j] = v;
    }
    return NULL;
}

static JfStatus batch_measure(Batch *b, JfError *err)
{
    pthread_t th[FILTER_MAX_THREADS];
    Worker w[FILTER_MAX_THREADS];
    size_t started = 0;
    for (size_t t = 0; t < b->n_fs; t++) {
        b->rcs[t] = JF_OK;
        w[t] = (Worker){ b, t };
    }
    for (size_t t = 1; t < b->n_fs; t++) {
        if (pthread_create(&th[t], NULL, batch_work, &w[t]) != 0) break;
        started = t;
    }
    for (size_t t = started + 1; t < b->n_fs; t++) batch_work(&w[t]);   /* could not start */
    batch_work(&w[0]);
    for (size_t t = 1; t <= started; t++) pthread_join(th[t], NULL);
    for (size_t t = 0; t < b->n_fs; t++)
        if (b->rcs[t] != JF_OK) {
            *err = b->errs[t];
            return b->rcs[t];
        }
    return JF_OK;
}

/* Writes one judged document: kept ones with the edited text (batch_work
 * copied a rewritten one into d->text; a trimmed one is a prefix of it). */
static JfStatus batch_write_doc(Filter *f, JfDoc *d, const FilterVerdict *v, JfDocWriter *kept,
                                JfDocWriter *rej, JfError *err)
{
    filter_doc_apply(f, d, v);
    return jf_docwriter_write(v->keep ? kept : rej, d, err);
}

static JfStatus filter_stream(Batch *b, size_t cap, JfDocReader *r, JfDocWriter *kept,
                              JfDocWriter *rej, InputCounts *ic, JfError *err)
{
    JfStatus rc = JF_OK;
    bool eof = false;
    while (rc == JF_OK && !eof) {
        b->n_docs = 0;
        while (b->n_docs < cap) {
            rc = jf_docreader_next(r, &b->docs[b->n_docs], err);
            if (rc == JF_EFORMAT) {   /* a bad line: reported, skipped */
                cli_report(err);
                ic->bad_lines++;
                continue;
            }
            if (rc != JF_ROW) break;
            b->n_docs++;
        }
        if (rc == JF_DONE) eof = true;
        else if (rc != JF_ROW) break;
        rc = batch_measure(b, err);
        for (size_t j = 0; rc == JF_OK && j < b->n_docs; j++)
            rc = batch_write_doc(b->fs[0], &b->docs[j], &b->vs[j], kept, rej, err);
    }
    return rc;
}

static JfStatus run_one(const FilterArgs *a, Batch *b, const char *path, const char *stem,
                        InputCounts *ic, char **outputs_json, JfError *err)
{
    char kp[PATH_MAX], rp[PATH_MAX];
    snprintf(kp, sizeof kp, "%s/kept/%s.jsonl.zst", a->out_dir, stem);
    snprintf(rp, sizeof rp, "%s/rejected/%s.jsonl.zst", a->out_dir, stem);
    JfDocReader *r = NULL;
    JfDocWriter *kw = NULL, *rw = NULL;
    JfStatus rc = jf_docreader_open(path, 0, &r, err);
    if (rc == JF_OK) rc = jf_docwriter_open(kp, 3, &kw, err);
    if (rc == JF_OK) rc = jf_docwriter_open(rp, 3, &rw, err);
    if (rc == JF_OK) rc = filter_stream(b, b->n_fs * FILTER_BATCH_PER_THREAD, r, kw, rw, ic, err);
    if (rc == JF_OK) rc = jf_docwriter_commit(kw, err);
    if (rc == JF_OK) rc = jf_docwriter_commit(rw, err);
    jf_docwriter_close(kw);
    jf_docwriter_close(rw);
    jf_docreader_close(r);
    *outputs_json = NULL;
    if (rc == JF_OK) {
        json_t *o = json_pack("[ss]", kp, rp);
        *outputs_json = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
    }
    return rc;
}

/* ---- the run ---- */

typedef struct {
    const char  *path;
    FilterStats *total;
} StoredStats;

static int add_stored(void *ctx, const char *stage, const char *input_path, const char *status,
                      int attempts, double duration_s, const char *stats_json)
{
    (void)stage; (void)attempts; (void)duration_s;
    StoredStats *s = ctx;
    if (strcmp(input_path, s->path) || strcmp(status, "done")) return 0;
    JfError err;
    filter_stats_add_json(s->total, stats_json, &err);
    return 1;
}

static char *task_stats_json(const Filter *f, const InputCounts *ic)
{
    char *s = filter_stats_to_json(filter_stats(f));
    if (!s) return NULL;
    json_t *o = json_loads(s, 0, NULL);
    free(s);
    if (!o) return NULL;
    json_object_set_new(o, "profile", json_string(filter_name(f)));
    json_object_set_new(o, "bad_lines", json_integer((json_int_t)ic->bad_lines));
    s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

typedef struct {
    size_t   done, skipped, failed;
    uint64_t bad_lines;
} RunCounts;

/* Registers input i and begins its task; a finished one (*skip) adds its
 * stored statistics to total. @return JF_OK or a database error. */
static JfStatus input_begin(const FilterArgs *a, RunDb *db, size_t i, FilterStats *total,
                            RunCounts *rcnt, int64_t *task_id, bool *skip, JfError *err)
{
    const char *path = a->inputs.paths[i];
    char abspath[PATH_MAX];
    const char *key = !strcmp(path, "-") ? path : realpath(path, abspath) ? abspath : path;
    int64_t input_id = 0;
    *task_id = 0;
    *skip = false;
    if (!strcmp(path, "-")) return JF_OK;   /* standard input: nothing to remember */
    JfStatus rc = rundb_input_register(db, key, &input_id, NULL, err);
    if (rc == JF_OK) rc = rundb_task_begin(db, input_id, "filter", skip, task_id, err);
    if (rc == JF_OK && *skip && a->force) {
        rc = rundb_task_fail(db, *task_id, "redone by --force", err);
        if (rc == JF_OK) rc = rundb_task_begin(db, input_id, "filter", skip, task_id, err);
    }
    if (rc != JF_OK || !*skip) return rc;
    StoredStats st = { key, total };
    rcnt->skipped++;
    return rundb_tasks_foreach(db, "filter", add_stored, &st, err);
}

/* Filters input i. @return the work's status; on JF_OK *outputs and *stats
 * (malloc'ed JSON) say what it wrote and counted; otherwise err says why. */
static JfStatus input_work(const FilterArgs *a, Batch *b, size_t i, uint64_t *bad_lines,
                           char **outputs, char **stats, JfError *err)
{
    Filter *f = b->fs[0];
    char stem[256];
    cli_output_stem(&a->inputs, i, stem, sizeof stem);
    InputCounts ic = { 0 };
    *outputs = *stats = NULL;
    filter_stats_reset(f);
    JfStatus rc = run_one(a, b, a->inputs.paths[i], stem, &ic, outputs, err);
    *bad_lines = ic.bad_lines;
    if (rc == JF_OK && !(*stats = task_stats_json(f, &ic)))
        rc = jf_error_set(err, JF_ENOMEM, a->inputs.paths[i], JF_OFFSET_UNKNOWN, "out of memory");
    return rc;
}

/* Records the outcome of a task and adds its statistics to total (unless
 * NULL). msg: the work's error (wrc != JF_OK). @return JF_OK or a database
 * error. */
static JfStatus input_end(RunDb *db, int64_t task_id, JfStatus wrc, const char *msg,
                          const char *outputs, const char *stats, uint64_t bad_lines,
                          FilterStats *total, RunCounts *rcnt, JfError *err)
{
    rcnt->bad_lines += bad_lines;
    if (wrc != JF_OK) {
        rcnt->failed++;
        return task_id ? rundb_task_fail(db, task_id, msg, err) : JF_OK;
    }
    JfError jerr;
    if (total) filter_stats_add_json(total, stats, &jerr);
    rcnt->done++;
    return task_id ? rundb_task_commit(db, task_id, outputs, stats, err) : JF_OK;
}

/* One input inside its task. @return JF_OK or a database error (work errors
 * are reported and recorded on the task). */
static JfStatus input_do(const FilterArgs *a, Batch *b, RunDb *db, size_t i, FilterStats *total,
                         RunCounts *rcnt, JfError *err)
{
    int64_t task_id;
    bool skip;
    JfStatus rc = input_begin(a, db, i, total, rcnt, &task_id, &skip, err);
    if (rc != JF_OK || skip) return rc;
    char *outputs, *stats, msg[768] = "";
    uint64_t bad = 0;
    JfError werr;
    jf_error_clear(&werr);
    JfStatus wrc = input_work(a, b, i, &bad, &outputs, &stats, &werr);
    if (wrc != JF_OK) {
        jf_error_format(&werr, msg, sizeof msg);
        cli_report(&werr);
    }
    rc = input_end(db, task_id, wrc, msg, outputs, stats, bad, total, rcnt, err);
    free(outputs);
    free(stats);
    return rc;
}

/* ---- MPI: rank 0 hands inputs out (cli_farm.h) and filters too ---- */

/* A worker's result: "rc bad_lines\0message\0outputs\0stats\0". */
typedef struct {
    const FilterArgs *a;
    Batch            *b;
    RunDb            *db;
    FilterStats      *total;
    RunCounts        *rcnt;
    CliProgress      *prog;
    size_t            next, finished;
    int64_t          *task_ids;
    char            **stats;      /* of each input done here, added in input order at the end
                                     so the samples in the table do not depend on timing */
    JfStatus          rc;
    JfError           err;
    pthread_mutex_t   lock;       /* rank 0: the farm's callbacks and the local worker */
} FilterFarm;

/* Next input to filter (lock held). */
static int64_t farm_take(FilterFarm *fm)
{
    while (fm->rc == JF_OK && fm->next < fm->a->inputs.count) {
        size_t i = fm->next++;
        bool skip;
        fm->rc = input_begin(fm->a, fm->db, i, fm->total, fm->rcnt, &fm->task_ids[i], &skip, &fm->err);
        if (fm->rc == JF_OK && !skip) return (int64_t)i;
        cli_progress_update(fm->prog, ++fm->finished, NULL);
    }
    return -1;
}

static int64_t farm_next(void *ctx)
{
    FilterFarm *fm = ctx;
    pthread_mutex_lock(&fm->lock);
    int64_t t = farm_take(fm);
    pthread_mutex_unlock(&fm->lock);
    return t;
}

/* Records an input's outcome (lock held). */
static void farm_record(FilterFarm *fm, int64_t t, JfStatus rc, const char *msg,
                        const char *outputs, const char *stats, uint64_t bad)
{
    JfError err;
    JfStatus st = input_end(fm->db, fm->task_ids[t], rc, msg[0] ? msg :
                            "a worker rank sent a malformed result", outputs, stats, bad,
                            NULL, fm->rcnt, &err);
    if (rc == JF_OK) fm->stats[t] = strdup(stats);
    if (st != JF_OK && fm->rc == JF_OK) {
        fm->rc = st;
        fm->err = err;
    }
    cli_progress_update(fm->prog, ++fm->finished, NULL);
}

/* input_work on input t; an error is reported here and its text left in msg. */
static JfStatus work_reported(FilterFarm *fm, int64_t t, uint64_t *bad, char **outputs,
                              char **stats, char *msg, size_t cap)
{
    JfError err;
    jf_error_clear(&err);
    JfStatus rc = input_work(fm->a, fm->b, (size_t)t, bad, outputs, stats, &err);
    if (rc != JF_OK) {
        cli_report(&err);
        jf_error_format(&err, msg, cap);
    }
    return rc;
}

/* Rank 0's own share: a thread taking inputs from the same queue as the
 * other ranks and filtering them with rank 0's threads. */
static void *farm_local(void *ctx)
{
    FilterFarm *fm = ctx;
    for (;;) {
        pthread_mutex_lock(&fm->lock);
        int64_t t = fm->rc == JF_OK ? farm_take(fm) : -1;
        pthread_mutex_unlock(&fm->lock);
        if (t < 0) return NULL;
        char *outputs = NULL, *stats = NULL, msg[768] = "";
        uint64_t bad = 0;
        JfStatus rc = work_reported(fm, t, &bad, &outputs, &stats, msg, sizeof msg);
        pthread_mutex_lock(&fm->lock);
        farm_record(fm, t, rc, msg, outputs ? outputs : "[]", stats ? stats : "{}", bad);
        pthread_mutex_unlock(&fm->lock);
        free(outputs);
        free(stats);
    }
}

static void farm_done(void *ctx, int64_t t, const void *buf, size_t len)
{
    FilterFarm *fm = ctx;
    const char *p = buf, *end = p + len, *field[4] = { "", "", "[]", "{}" };
    int rc = JF_EINTERNAL;
    unsigned long long bad = 0;
    if (len > 0 && p[len - 1] == '\0') {
        for (int k = 0; k < 4 && p < end; k++, p += strlen(p) + 1) field[k] = p;
        if (sscanf(field[0], "%d %llu", &rc, &bad) != 2) rc = JF_EINTERNAL;
    }
    pthread_mutex_lock(&fm->lock);
    farm_record(fm, t, (JfStatus)rc, field[1], field[2], field[3], bad);
    pthread_mutex_unlock(&fm->lock);
}

static void farm_work(void *ctx, int64_t t, void **out, size_t *out_len)
{
    FilterFarm *fm = ctx;
    char *outputs = NULL, *stats = NULL, msg[768] = "", head[48];
    uint64_t bad = 0;
    JfStatus rc = work_reported(fm, t, &bad, &outputs, &stats, msg, sizeof msg);
    snprintf(head, sizeof head, "%d %llu", (int)rc, (unsigned long long)bad);
    const char *f[4] = { head, msg, outputs ? outputs : "[]", stats ? stats : "{}" };
    size_t n = 0;
    for (int k = 0; k < 4; k++) n += strlen(f[k]) + 1;
    char *buf = malloc(n), *q = buf;
    for (int k = 0; buf && k < 4; k++) q = stpcpy(q, f[k]) + 1;
    free(outputs);
    free(stats);
    *out = buf;
    *out_len = buf ? n : 0;
}

static int64_t farm_none(void *ctx)
{
    (void)ctx;
    return -1;
}

static double pct(uint64_t a, uint64_t b)
{
    return b ? 100.0 * (double)a / (double)b : 0.0;
}

static void print_table(const char *profile, const FilterStats *s, const RunCounts *c)
{
    printf("filter: profile %s: %llu docs (%llu chars); "
           "kept %llu docs (%.1f%%), %llu chars (%.1f%%)\n",
           profile, (unsigned long long)s->docs, (unsigned long long)s->chars,
           (unsigned long long)s->kept_docs, pct(s->kept_docs, s->docs),
           (unsigned long long)s->kept_chars, pct(s->kept_chars, s->chars));
    printf("%-30s %10s %12s %10s %12s %11s %10s %12s  %s\n", "rule", "docs_first",
           "chars_first", "docs_any", "chars_any", "docs_edited", "lines_cut", "chars_cut",
           "samples");
    for (size_t i = 0; i < s->n_rules; i++) {
        const FilterRuleStats *r = &s->rules[i];
        printf("%-30s %10llu %12llu %10llu %12llu %11llu %10llu %12llu ", r->name,
               (unsigned long long)r->docs_first, (unsigned long long)r->chars_first,
               (unsigned long long)r->docs_any, (unsigned long long)r->chars_any,
               (unsigned long long)r->docs_edited, (unsigned long long)r->lines_cut,
               (unsigned long long)r->chars_cut);
        for (size_t k = 0; k < r->n_samples; k++) printf(" %s", r->samples[k]);
        printf("\n");
    }
    printf("filter: %zu input(s) done, %zu skipped (already done), %zu failed, %llu bad line(s)\n",
           c->done, c->skipped, c->failed, (unsigned long long)c->bad_lines);
}

static JfStatus open_workdir(const FilterArgs *a, RunDb **db, JfError *err)
{
    char path[PATH_MAX];
    JfStatus rc = jf_fs_mkdir_p(a->out_dir, err);
    snprintf(path, sizeof path, "%s/kept", a->out_dir);
    if (rc == JF_OK) rc = jf_fs_mkdir_p(path, err);
    snprintf(path, sizeof path, "%s/rejected", a->out_dir);
    if (rc == JF_OK) rc = jf_fs_mkdir_p(path, err);
    snprintf(path, sizeof path, "%s/jaforge.db", a->out_dir);
    return rc == JF_OK ? rundb_open(path, db, err) : rc;
}

static JfStatus filter_all(const FilterArgs *a, Batch *b, RunDb *db, int ranks, RunCounts *c,
                           JfError *err)
{
    Filter *f = b->fs[0];
    FilterStats total;
    if (filter_stats_init(&total, f) != JF_OK)
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    CliProgress prog;
    cli_progress_start(&prog, "filter", "files", a->inputs.count, a->quiet);
    JfStatus rc = JF_OK;
    if (ranks > 1) {
        FilterFarm fm = { .a = a, .b = b, .db = db, .total = &total, .rcnt = c, .prog = &prog };
        size_t n = a->inputs.count ? a->inputs.count : 1;
        fm.task_ids = calloc(n, sizeof *fm.task_ids);
        fm.stats = calloc(n, sizeof *fm.stats);
        pthread_mutex_init(&fm.lock, NULL);
        bool ok = fm.task_ids && fm.stats;
        pthread_t local;
        bool local_ok = ok && pthread_create(&local, NULL, farm_local, &fm) == 0;
        CliFarm farm = { .next = ok ? farm_next : farm_none, .done = farm_done, .ctx = &fm };
        cli_farm_lead(&farm, ranks);
        if (local_ok) pthread_join(local, NULL);
        pthread_mutex_destroy(&fm.lock);
        JfError jerr;
        for (size_t i = 0; ok && i < a->inputs.count; i++) {
            if (fm.stats[i]) filter_stats_add_json(&total, fm.stats[i], &jerr);
            free(fm.stats[i]);
        }
        free(fm.task_ids);
        free(fm.stats);
        if (!ok) rc = jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
        else if ((rc = fm.rc) != JF_OK) *err = fm.err;
    }
    for (size_t i = 0; ranks <= 1 && rc == JF_OK && i < a->inputs.count; i++) {
        rc = input_do(a, b, db, i, &total, c, err);
        cli_progress_update(&prog, i + 1, NULL);
    }
    cli_progress_finish(&prog, NULL);
    print_table(filter_name(f), &total, c);
    filter_stats_free(&total);
    return rc;
}

static void batch_close(Batch *b)
{
    for (size_t t = 1; b->fs && t < b->n_fs; t++) filter_close(b->fs[t]);
    for (size_t j = 0; b->docs && j < b->n_fs * FILTER_BATCH_PER_THREAD; j++)
        jf_doc_free(&b->docs[j]);
    free(b->fs);
    free(b->docs);
    free(b->vs);
    free(b->res);
    free(b->rcs);
    free(b->errs);
}

/* One Filter per thread (f is the first), documents and verdicts for a batch. */
static JfStatus batch_open(const FilterArgs *a, Filter *f, Batch *b, JfError *err)
{
    size_t n = (size_t)(a->threads > 0 ? a->threads : 1), cap = n * FILTER_BATCH_PER_THREAD;
    *b = (Batch){ .n_fs = n, .n_rules = filter_rule_count(f) };
    b->fs = calloc(n, sizeof *b->fs);
    b->docs = calloc(cap, sizeof *b->docs);
    b->vs = calloc(cap, sizeof *b->vs);
    b->res = calloc(cap * (b->n_rules ? b->n_rules : 1), sizeof *b->res);
    b->rcs = calloc(n, sizeof *b->rcs);
    b->errs = calloc(n, sizeof *b->errs);
    if (!b->fs || !b->docs || !b->vs || !b->res || !b->rcs || !b->errs)
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    for (size_t j = 0; j < cap; j++)
        if (jf_doc_init(&b->docs[j]) != JF_OK)
            return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    b->fs[0] = f;
    for (size_t t = 1; t < n; t++) {
        JfStatus rc = filter_open(a->profile, a->sets, a->n_sets, &b->fs[t], err);
        if (rc != JF_OK) return rc;
    }
    return JF_OK;
}

int cli_filter_main(int argc, char **argv)
{
    FilterArgs a = { 0 };
    jf_pathlist_init(&a.inputs);
    int p = parse_args(argc, argv, &a);
    if (p != 0) {
        jf_pathlist_free(&a.inputs);
        return p > 0 ? CLI_EXIT_OK : p == -2 ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
    }
    JfError err;
    jf_error_clear(&err);
    Filter *f = NULL;
    JfStatus rc = filter_open(a.profile, a.sets, a.n_sets, &f, &err);
    if (rc != JF_OK) {
        cli_report(&err);
        jf_pathlist_free(&a.inputs);
        return cli_exit_code(rc == JF_EFORMAT ? JF_EUSAGE : rc);
    }
    int code, rank = 0, ranks = 1;
    bool mpi = !a.explain && cli_mpi_begin(&argc, &argv, &rank, &ranks);
    if (a.explain) {
        code = explain_all(&a, f);
    } else if (rank > 0) {   /* a worker rank: no run database */
        Batch b;
        rc = batch_open(&a, f, &b, &err);
        if (rc != JF_OK) cli_report(&err);   /* rank 0 still hands out; each input then fails */
        FilterFarm fm = { .a = &a, .b = rc == JF_OK ? &b : NULL };
        CliFarm farm = { .work = farm_work, .ctx = &fm };
        cli_farm_serve(&farm);
        if (rc == JF_OK) batch_close(&b);
        code = cli_exit_code(rc);
    } else {
        RunDb *db = NULL;
        int64_t run_id = 0;
        RunCounts counts = { 0 };
        char *cmdline = cli_command_line(argc, argv);
        Batch b;
        rc = batch_open(&a, f, &b, &err);
        if (rc == JF_OK) rc = open_workdir(&a, &db, &err);
        if (rc == JF_OK)
            rc = rundb_run_begin(db, cmdline ? cmdline : "jaforge filter", &run_id, &err);
        for (size_t i = 0; rc == JF_OK && ranks > 1 && i < a.inputs.count; i++)
            if (!strcmp(a.inputs.paths[i], "-"))
                rc = jf_error_set(&err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                                  "filter: standard input cannot be read by other MPI ranks");
        if (rc == JF_OK) {
            rc = filter_all(&a, &b, db, ranks, &counts, &err);
        } else if (ranks > 1) {   /* the workers wait for inputs: there are none */
            CliFarm none = { .next = farm_none };
            cli_farm_lead(&none, ranks);
        }
        if (rc != JF_OK) cli_report(&err);
        code = rc != JF_OK ? cli_exit_code(rc) : counts.failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
        if (db && run_id) rundb_run_end(db, run_id, code, &err);
        rundb_close(db);
        batch_close(&b);
        free(cmdline);
    }
    filter_close(f);
    jf_pathlist_free(&a.inputs);
    if (mpi) cli_mpi_end();
    return code;
}
