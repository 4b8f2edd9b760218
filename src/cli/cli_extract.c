/* cli_extract.c: `jaforge extract --out DIR INPUT...`. Parses options, keeps
 * the run database (DIR/jaforge.db) so a re-run skips finished inputs, opens
 * the outputs of each input (cli_extract_out.h: DIR/<lang>/, or with
 * --filter the quality filter's kept/rejected documents, streamed in the same
 * pass), and shows progress. The work itself is the extract library's
 * (src/extract/extract.h). Under mpirun the inputs are handed out to the
 * ranks (cli_farm.h); outputs are per input, so they are the same for any
 * number of ranks. */
#include <getopt.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "cli_extract_out.h"
#include "cli_farm.h"
#include "extract.h"
#include "jf_fs.h"
#include "rundb.h"

typedef struct {
    const char    *out_dir;
    ExtractOutSpec out;
    ExtractOptions opt;
    bool           force;
    bool           quiet;
    int            threads;
    JfPathList     inputs;
} ExtractArgs;

#define EXTRACT_MAX_THREADS 256

/* What the worker threads share; every field below `lock` is guarded by it.
 * Only one thread at a time talks to the run database (SQLite connections
 * may move between threads but not be used by two at once). */
typedef struct {
    const ExtractArgs *a;
    RunDb             *db;
    pthread_mutex_t    lock;
    size_t             next;                     /* next input to take */
    CliProgress        progress;
    uint64_t           bytes_done;               /* of inputs finished */
    uint64_t           bytes_now[EXTRACT_MAX_THREADS]; /* of the input each worker is on */
    ExtractStats       total;
    uint64_t           filter_docs[EXTRACT_LANG_COUNT], filter_kept[EXTRACT_LANG_COUNT];
    size_t             counts[3];                /* done, skipped, failed */
    int64_t           *remote_task;              /* MPI: task id of each input handed out */
    JfStatus           rc;                       /* first fatal error, stops everyone */
    JfError            err;
} ExtractJob;

typedef struct {
    ExtractJob    *job;
    int            slot;
    ExtractFilters filters;   /* this thread's, reused across inputs */
} ExtractWorker;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: jaforge extract --out DIR [options] INPUT...\n"
        "\n"
        "Reads WARC/WET files (.warc, .warc.gz, .warc.zst) and JSON lines (mC4/C4\n"
        "{text,timestamp,url}, Wikipedia CirrusSearch dumps, jaforge documents; plain, gzip,\n"
        "zstd or bzip2), all recognized by content, and writes clean documents to\n"
        "DIR/<lang>/<input>.jsonl.zst. INPUT may be a directory (every *.warc* / *.wet* /\n"
        "*.json* file inside, in sorted order). Re-running skips finished inputs\n"
        "(state in DIR/jaforge.db).\n"
        "\n"
        "options:\n"
        "  --out DIR             output directory (required)\n"
        "  --lang LIST           languages to keep, comma-separated: ja,en (default ja,en)\n"
        "  --no-prefilter        with --lang ja, do not skip pages that are surely not Japanese\n"
        "  --norm FORM           nfkc (default), nfc or none\n"
        "  --keep-boilerplate    do not remove navigation, headers, footers, link lists\n"
        "  --max-record-bytes N  skip WARC records larger than N bytes (default 64 MiB)\n"
        "  --max-html-bytes N    skip pages larger than N bytes (default 8 MiB)\n"
        "  --max-ratio N         give up a compressed input that inflates more than N times\n"
        "                        its size, past 64 MiB (a decompression bomb; default 1000,\n"
        "                        0: no limit)\n"
        "  --source NAME         the documents' source field (default cc for WARC, mc4 for\n"
        "                        mC4-style JSON; Wikipedia dumps are always wikipedia)\n"
        "  --filter LANG=PROFILE quality-filter LANG's documents as they come out (one pass,\n"
        "                        no intermediate file): kept ones to FDIR/LANG/kept/, rejected\n"
        "                        ones to FDIR/LANG/rejected/, as `jaforge filter` writes them\n"
        "  --filter-set LANG:RULE.KEY=VALUE  override a key of LANG's profile\n"
        "  --filter-out FDIR     where filtered documents go (required with --filter)\n"
        "  --force               redo inputs already done\n"
        "  -j, --threads N       inputs extracted at once (default 1)\n"
        "  -q, --quiet           no progress display\n"
        "  -h, --help            this text\n");
}

static bool accept_input_name(const char *name)
{
    return strstr(name, ".warc") || strstr(name, ".wet") || strstr(name, ".json") ||
           strstr(name, ".xml");
}

static int parse_langs(const char *s, ExtractOptions *o)
{
    o->want[EXTRACT_LANG_JA] = o->want[EXTRACT_LANG_EN] = false;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "ja")) o->want[EXTRACT_LANG_JA] = true;
        else if (!strcmp(t, "en")) o->want[EXTRACT_LANG_EN] = true;
        else {
            cli_errorf("--lang: unknown language '%s' (ja, en)", t);
            return -1;
        }
    }
    return 0;
}

static int parse_size(const char *s, const char *name, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || v == 0) {
        cli_errorf("%s: not a positive number: '%s'", name, s);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

/* @return -1 on bad usage, -2 when an input cannot be read, 1 for --help, 0 to go on. */
static int parse_args(int argc, char **argv, ExtractArgs *a)
{
    enum { O_LANG = 256, O_NOPRE, O_NORM, O_KEEPBP, O_MAXREC, O_MAXHTML, O_MAXRATIO, O_SOURCE,
           O_FORCE, O_FILTER, O_FILTER_SET, O_FILTER_OUT };
    static const struct option LONG[] = {
        { "out", required_argument, 0, 'o' },        { "lang", required_argument, 0, O_LANG },
        { "no-prefilter", no_argument, 0, O_NOPRE }, { "norm", required_argument, 0, O_NORM },
        { "keep-boilerplate", no_argument, 0, O_KEEPBP },
        { "max-record-bytes", required_argument, 0, O_MAXREC },
        { "max-html-bytes", required_argument, 0, O_MAXHTML },
        { "max-ratio", required_argument, 0, O_MAXRATIO },
        { "source", required_argument, 0, O_SOURCE }, { "force", no_argument, 0, O_FORCE },
        { "quiet", no_argument, 0, 'q' },            { "help", no_argument, 0, 'h' },
        { "threads", required_argument, 0, 'j' },
        { "filter", required_argument, 0, O_FILTER },
        { "filter-set", required_argument, 0, O_FILTER_SET },
        { "filter-out", required_argument, 0, O_FILTER_OUT },
        { 0, 0, 0, 0 },
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qhj:", LONG, NULL)) != -1) {
        switch (c) {
        case 'o': a->out_dir = optarg; break;
        case O_LANG: if (parse_langs(optarg, &a->opt)) return -1; break;
        case O_NOPRE: a->opt.prefilter = false; break;
        case O_NORM:
            if (!strcmp(optarg, "nfkc")) a->opt.norm.form = NORM_NFKC;
            else if (!strcmp(optarg, "nfc")) a->opt.norm.form = NORM_NFC;
            else if (!strcmp(optarg, "none")) a->opt.norm.form = NORM_NONE;
            else { cli_errorf("--norm: expected nfkc, nfc or none"); return -1; }
            break;
        case O_KEEPBP: a->opt.html.remove_boilerplate = false; break;
        case O_MAXREC: if (parse_size(optarg, "--max-record-bytes", &a->opt.max_record_bytes)) return -1; break;
        case O_MAXHTML: if (parse_size(optarg, "--max-html-bytes", &a->opt.html.max_input)) return -1; break;
        case O_MAXRATIO: {
            uint64_t n;
            if (cli_parse_u64(optarg, "--max-ratio", &n)) return -1;
            a->opt.max_ratio = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
            break;
        }
        case O_SOURCE: a->opt.source = optarg; break;
        case O_FORCE: a->force = true; break;
        case O_FILTER: if (extract_out_parse_filter(&a->out, optarg)) return -1; break;
        case O_FILTER_SET: if (extract_out_parse_set(&a->out, optarg)) return -1; break;
        case O_FILTER_OUT: a->out.filter_out = optarg; break;
        case 'q': a->quiet = true; break;
        case 'j': {
            size_t n;
            if (parse_size(optarg, "--threads", &n)) return -1;
            a->threads = n > EXTRACT_MAX_THREADS ? EXTRACT_MAX_THREADS : (int)n;
            break;
        }
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
    }
    if (!a->out_dir) { cli_errorf("extract: --out DIR is required"); return -1; }
    a->out.out_dir = a->out_dir;
    memcpy(a->out.want, a->opt.want, sizeof a->out.want);
    if (extract_out_filtered(&a->out) && !a->out.filter_out) {
        cli_errorf("extract: --filter needs --filter-out FDIR");
        return -1;
    }
    if (optind >= argc) { cli_errorf("extract: no INPUT given"); return -1; }
    for (int i = optind; i < argc; i++) {
        JfError err;
        jf_error_clear(&err);
        if (jf_fs_expand_input(argv[i], accept_input_name, &a->inputs, &err) != JF_OK) {
            cli_report(&err);
            return -2;
        }
    }
    if (a->inputs.count == 0) { cli_errorf("extract: no WARC/WET/JSON file found in the inputs"); return -1; }
    return 0;
}

static void on_error(void *ctx, const JfError *err)
{
    ExtractJob *job = ((ExtractWorker *)ctx)->job;
    pthread_mutex_lock(&job->lock);
    if (job->progress.tty && !job->progress.quiet) fputc('\n', stderr);
    cli_report(err);
    pthread_mutex_unlock(&job->lock);
}

static void on_progress(void *ctx, uint64_t bytes)
{
    ExtractWorker *w = ctx;
    ExtractJob *job = w->job;
    pthread_mutex_lock(&job->lock);
    job->bytes_now[w->slot] = bytes;
    uint64_t sum = job->bytes_done;
    for (int t = 0; t < job->a->threads; t++) sum += job->bytes_now[t];
    cli_progress_update(&job->progress, sum, NULL);
    pthread_mutex_unlock(&job->lock);
}

/* Extracts one input inside its task: *outputs_json lists the files written,
 * *filter_json holds the statistics of the filtered languages. */
static JfStatus run_one(const ExtractArgs *a, Extractor *x, ExtractFilters *fs, const char *path,
                        const char *stem, ExtractWorker *w, ExtractStats *st, char **outputs_json,
                        char **filter_json, JfError *err)
{
    ExtractOutputs o;
    ExtractSink sink = { .on_error = on_error, .on_progress = on_progress, .ctx = w };
    JfStatus rc = extract_outputs_open(&a->out, fs, stem, &o, &sink, err);
    if (rc == JF_OK) rc = extractor_run_file(x, path, &sink, st, err);
    if (rc == JF_OK) rc = extract_outputs_commit(&o, outputs_json, filter_json, err);
    extract_outputs_close(&o);
    return rc;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static void print_summary(const ExtractJob *job, size_t done, size_t skipped, size_t failed)
{
    const ExtractStats *t = &job->total;
    fprintf(stderr,
            "jaforge: extract: %zu input(s) done, %zu skipped (already done), %zu failed\n"
            "jaforge: extract: %llu records (%llu bad), %llu pages; kept ja %llu, en %llu\n",
            done, skipped, failed, (unsigned long long)t->records,
            (unsigned long long)t->bad_records, (unsigned long long)t->html,
            (unsigned long long)t->kept[EXTRACT_LANG_JA], (unsigned long long)t->kept[EXTRACT_LANG_EN]);
    fprintf(stderr, "jaforge: extract: dropped:");
    for (int d = 0; d < EXTRACT_DROP_COUNT; d++)
        if (t->dropped[d]) fprintf(stderr, " %s %llu", extract_drop_name(d), (unsigned long long)t->dropped[d]);
    fprintf(stderr, "\n");
    for (int l = 0; l < EXTRACT_LANG_COUNT; l++)
        if (job->a->out.profile[l] && job->a->out.want[l])
            fprintf(stderr, "jaforge: extract: filter %s (%s): kept %llu of %llu documents\n",
                    extract_lang_code(l), job->a->out.profile[l],
                    (unsigned long long)job->filter_kept[l], (unsigned long long)job->filter_docs[l]);
}

static JfStatus open_workdir(const ExtractArgs *a, RunDb **db, JfError *err)
{
    char path[PATH_MAX];
    JfStatus rc = extract_out_mkdirs(&a->out, err);
    snprintf(path, sizeof path, "%s/jaforge.db", a->out_dir);
    return rc == JF_OK ? rundb_open(path, db, err) : rc;
}

/* The stage's name in the run database: a filtered run is another task. */
static const char *stage_name(const ExtractArgs *a)
{
    return extract_out_filtered(&a->out) ? "extract+filter" : "extract";
}

/* Registers input i and begins its task (job->lock held).
 * @return JF_OK with *skip, or a database error. */
static JfStatus task_begin(ExtractJob *job, size_t i, bool *skip, int64_t *task_id, JfError *err)
{
    const char *path = job->a->inputs.paths[i];
    if (!strcmp(path, "-")) {   /* standard input: nothing to remember or skip */
        *skip = false;
        *task_id = 0;
        return JF_OK;
    }
    char abspath[PATH_MAX];
    const char *key = realpath(path, abspath) ? abspath : path;
    int64_t input_id;
    JfStatus rc = rundb_input_register(job->db, key, &input_id, NULL, err);
    if (rc == JF_OK) rc = rundb_task_begin(job->db, input_id, stage_name(job->a), skip, task_id, err);
    if (rc != JF_OK || !*skip || !job->a->force) return rc;
    /* --force: a done task is begun again */
    rc = rundb_task_fail(job->db, *task_id, "redone by --force", err);
    if (rc == JF_OK) rc = rundb_task_begin(job->db, input_id, stage_name(job->a), skip, task_id, err);
    return rc;
}

/* The task's statistics: the extract stage's, plus with filters "filter"
 * (each language's filter statistics) and "filtered" (documents kept per
 * language), which also go into the job's totals. */
static char *task_stats_json(ExtractJob *job, const ExtractStats *st, const char *filter_json)
{
    char *s = extract_stats_to_json(st);
    if (!s || !extract_out_filtered(&job->a->out)) return s;
    json_t *o = json_loads(s, 0, NULL), *f = json_loads(filter_json ? filter_json : "{}", 0, NULL);
    free(s);
    json_t *kept = json_object();
    const char *lang;
    json_t *v;
    json_object_foreach(f, lang, v) {
        json_int_t docs = json_integer_value(json_object_get(v, "docs"));
        json_int_t k = json_integer_value(json_object_get(v, "kept_docs"));
        json_object_set_new(kept, lang, json_integer(k));
        for (int l = 0; l < EXTRACT_LANG_COUNT; l++)
            if (!strcmp(lang, extract_lang_code(l))) {
                job->filter_docs[l] += (uint64_t)docs;
                job->filter_kept[l] += (uint64_t)k;
            }
    }
    s = NULL;
    if (o && f && kept) {
        json_object_set_new(o, "filtered", kept);
        json_object_set(o, "filter", f);
        s = json_dumps(o, JSON_COMPACT);
    } else {
        json_decref(kept);
    }
    json_decref(o);
    json_decref(f);
    return s;
}

/* Records the outcome of input i's task (job->lock held). */
static JfStatus task_end(ExtractJob *job, int64_t task_id, JfStatus work_rc, const JfError *werr,
                         const ExtractStats *st, const char *outputs, const char *filter_json,
                         JfError *err)
{
    if (work_rc != JF_OK) {
        char msg[768];
        jf_error_format(werr, msg, sizeof msg);
        cli_report(werr);
        job->counts[2]++;
        return task_id ? rundb_task_fail(job->db, task_id, msg, err) : JF_OK;
    }
    char *stats = task_stats_json(job, st, filter_json);
    JfStatus rc = task_id ? rundb_task_commit(job->db, task_id, outputs, stats, err) : JF_OK;
    free(stats);
    extract_stats_add(&job->total, st);
    job->counts[0]++;
    return rc;
}

/* One input, start to end. @return false when the worker should stop. */
static bool worker_one(ExtractWorker *w, Extractor *x, size_t i)
{
    ExtractJob *job = w->job;
    bool skip = false;
    int64_t task_id = 0;
    JfError err;
    jf_error_clear(&err);
    JfStatus rc = task_begin(job, i, &skip, &task_id, &err);
    if (rc == JF_OK && skip) job->counts[1]++;
    pthread_mutex_unlock(&job->lock);
    if (rc != JF_OK || skip) goto out;

    char stem[256];
    cli_output_stem(&job->a->inputs, i, stem, sizeof stem);
    ExtractStats st = { 0 };
    char *outputs = NULL, *filtered = NULL;
    JfError werr;
    jf_error_clear(&werr);
    JfStatus work_rc = run_one(job->a, x, &w->filters, job->a->inputs.paths[i], stem, w, &st,
                               &outputs, &filtered, &werr);
    pthread_mutex_lock(&job->lock);
    rc = task_end(job, task_id, work_rc, &werr, &st, outputs, filtered, &err);
    pthread_mutex_unlock(&job->lock);
    free(outputs);
    free(filtered);
out:
    pthread_mutex_lock(&job->lock);
    job->bytes_now[w->slot] = 0;
    job->bytes_done += file_size(job->a->inputs.paths[i]);
    cli_progress_update(&job->progress, job->bytes_done, NULL);
    if (rc != JF_OK && job->rc == JF_OK) {
        job->rc = rc;
        job->err = err;
    }
    return job->rc == JF_OK;   /* lock stays held for the next pick */
}

static void *worker_main(void *arg)
{
    ExtractWorker *w = arg;
    ExtractJob *job = w->job;
    Extractor *x = NULL;
    JfError err;
    jf_error_clear(&err);
    JfStatus rc = extractor_open(&job->a->opt, &x, &err);
    if (rc == JF_OK) rc = extract_filters_open(&job->a->out, &w->filters, &err);
    pthread_mutex_lock(&job->lock);
    if (rc != JF_OK && job->rc == JF_OK) {
        job->rc = rc;
        job->err = err;
    }
    while (job->rc == JF_OK && job->next < job->a->inputs.count) {
        size_t i = job->next++;
        if (!worker_one(w, x, i)) break;
    }
    pthread_mutex_unlock(&job->lock);
    extract_filters_close(&w->filters);
    extractor_close(x);
    return NULL;
}

/* ---- MPI: rank 0 hands inputs out (cli_farm.h) ---- */

/* What a worker rank sends back for one input: this, then the error message,
 * the outputs JSON and the filter statistics JSON, each NUL-terminated.
 * Ranks run the same binary. */
typedef struct {
    int32_t      rc;
    ExtractStats st;
} FarmResult;

static void job_fail(ExtractJob *job, JfStatus rc, const JfError *err)
{
    if (job->rc == JF_OK) {
        job->rc = rc;
        job->err = *err;
    }
}

static int64_t farm_next(void *ctx)
{
    ExtractJob *job = ctx;
    int64_t t = -1;
    pthread_mutex_lock(&job->lock);
    while (t < 0 && job->rc == JF_OK && job->next < job->a->inputs.count) {
        size_t i = job->next++;
        bool skip = false;
        JfError err;
        JfStatus rc = task_begin(job, i, &skip, &job->remote_task[i], &err);
        if (rc != JF_OK) job_fail(job, rc, &err);
        else if (!skip) t = (int64_t)i;
        else {
            job->counts[1]++;
            job->bytes_done += file_size(job->a->inputs.paths[i]);
        }
    }
    pthread_mutex_unlock(&job->lock);
    return t;
}

static void farm_done(void *ctx, int64_t t, const void *buf, size_t len)
{
    ExtractJob *job = ctx;
    FarmResult r = { .rc = JF_EINTERNAL };
    const char *msg = "a worker rank sent a malformed result", *field[2] = { "[]", "{}" };
    const char *end = (const char *)buf + len;
    if (len > sizeof r + 1 && end[-1] == '\0') {
        memcpy(&r, buf, sizeof r);
        msg = (const char *)buf + sizeof r;
        const char *p = msg + strlen(msg) + 1;
        for (int k = 0; k < 2 && p < end; k++, p += strlen(p) + 1) field[k] = p;
    }
    JfError werr, err;
    jf_error_set(&werr, r.rc == JF_OK ? JF_EINTERNAL : (JfStatus)r.rc, NULL, JF_OFFSET_UNKNOWN, "%s", msg);
    pthread_mutex_lock(&job->lock);
    JfStatus rc;
    if (r.rc != JF_OK) {   /* the worker rank reported it on its stderr */
        job->counts[2]++;
        rc = job->remote_task[t] ? rundb_task_fail(job->db, job->remote_task[t], msg, &err) : JF_OK;
    } else {
        rc = task_end(job, job->remote_task[t], JF_OK, &werr, &r.st, field[0], field[1], &err);
    }
    if (rc != JF_OK) job_fail(job, rc, &err);
    job->bytes_done += file_size(job->a->inputs.paths[t]);
    cli_progress_update(&job->progress, job->bytes_done, NULL);
    pthread_mutex_unlock(&job->lock);
}

static int64_t farm_none(void *ctx)
{
    (void)ctx;
    return -1;
}

/* A worker rank's state: its job (for the callbacks) and its extractor. */
typedef struct {
    ExtractJob    job;
    ExtractWorker w;
    Extractor    *x;
    bool          ready;   /* extractor and filters open */
} FarmWorker;

static void farm_work(void *ctx, int64_t t, void **out, size_t *out_len)
{
    FarmWorker *fw = ctx;
    const ExtractArgs *a = fw->job.a;
    char stem[256];
    cli_output_stem(&a->inputs, (size_t)t, stem, sizeof stem);
    FarmResult r = { .rc = JF_OK };
    char *outputs = NULL, *filtered = NULL, msg[768] = "";
    JfError err;
    jf_error_clear(&err);
    if (fw->ready)
        r.rc = run_one(a, fw->x, &fw->w.filters, a->inputs.paths[t], stem, &fw->w, &r.st,
                       &outputs, &filtered, &err);
    else
        r.rc = jf_error_set(&err, JF_ENOMEM, a->inputs.paths[t], JF_OFFSET_UNKNOWN,
                            "this rank could not set up its extractor or filters");
    if (r.rc != JF_OK) {
        cli_report(&err);
        jf_error_format(&err, msg, sizeof msg);
    }
    const char *f[3] = { msg, outputs ? outputs : "[]", filtered ? filtered : "{}" };
    size_t n = sizeof r;
    for (int k = 0; k < 3; k++) n += strlen(f[k]) + 1;
    char *buf = malloc(n);
    if (buf) {
        memcpy(buf, &r, sizeof r);
        char *q = buf + sizeof r;
        for (int k = 0; k < 3; k++) q = stpcpy(q, f[k]) + 1;
    }
    free(outputs);
    free(filtered);
    *out = buf;
    *out_len = buf ? n : 0;
}

/* Ranks 1..N-1: extract what rank 0 hands out. */
static JfStatus extract_serve(const ExtractArgs *a, JfError *err)
{
    static FarmWorker fw;
    memset(&fw, 0, sizeof fw);
    fw.job.a = a;
    fw.w.job = &fw.job;
    pthread_mutex_init(&fw.job.lock, NULL);
    cli_progress_start(&fw.job.progress, "extract", "B", 0, true);
    JfStatus rc = extractor_open(&a->opt, &fw.x, err);
    if (rc == JF_OK) rc = extract_filters_open(&a->out, &fw.w.filters, err);
    fw.ready = rc == JF_OK;
    if (rc != JF_OK) cli_report(err);   /* rank 0 still hands out: each input then fails here */
    CliFarm farm = { .work = farm_work, .ctx = &fw };
    cli_farm_serve(&farm);
    extract_filters_close(&fw.w.filters);
    extractor_close(fw.x);
    pthread_mutex_destroy(&fw.job.lock);
    return rc;
}

/* Runs a->threads workers over the inputs (the first in this thread), and
 * with MPI (ranks > 1) hands inputs to the other ranks from this thread. */
static JfStatus extract_all(const ExtractArgs *a, RunDb *db, int ranks, size_t counts[3], JfError *err)
{
    static ExtractJob job;   /* large (per-thread slots); one per process */
    memset(&job, 0, sizeof job);
    job.a = a;
    job.db = db;
    pthread_mutex_init(&job.lock, NULL);
    uint64_t total_bytes = 0;
    for (size_t i = 0; i < a->inputs.count; i++) total_bytes += file_size(a->inputs.paths[i]);
    cli_progress_start(&job.progress, "extract", "B", total_bytes, a->quiet);

    ExtractWorker workers[EXTRACT_MAX_THREADS];
    pthread_t tids[EXTRACT_MAX_THREADS];
    for (int t = 0; t < a->threads; t++) workers[t] = (ExtractWorker){ .job = &job, .slot = t };
    int first = ranks > 1 ? 0 : 1;   /* with MPI this thread hands out, the workers are threads */
    bool ok[EXTRACT_MAX_THREADS] = { false };
    for (int t = first; t < a->threads; t++)
        ok[t] = pthread_create(&tids[t], NULL, worker_main, &workers[t]) == 0;
    if (ranks > 1) {
        job.remote_task = calloc(a->inputs.count ? a->inputs.count : 1, sizeof *job.remote_task);
        CliFarm farm = { .next = job.remote_task ? farm_next : farm_none, .done = farm_done, .ctx = &job };
        cli_farm_lead(&farm, ranks);
        free(job.remote_task);
    } else {
        worker_main(&workers[0]);
    }
    for (int t = first; t < a->threads; t++)
        if (ok[t]) pthread_join(tids[t], NULL);

    cli_progress_finish(&job.progress, NULL);
    if (!a->quiet) print_summary(&job, job.counts[0], job.counts[1], job.counts[2]);
    memcpy(counts, job.counts, sizeof job.counts);
    pthread_mutex_destroy(&job.lock);
    if (job.rc != JF_OK) *err = job.err;
    return job.rc;
}

int cli_extract_main(int argc, char **argv)
{
    ExtractArgs a = { .threads = 1 };
    extract_options_init(&a.opt);
    jf_pathlist_init(&a.inputs);
    int p = parse_args(argc, argv, &a);
    if (p != 0) {
        jf_pathlist_free(&a.inputs);
        return p > 0 ? CLI_EXIT_OK : p == -2 ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
    }
    JfError err;
    jf_error_clear(&err);
    int rank, ranks;
    cli_mpi_begin(&argc, &argv, &rank, &ranks);
    if (rank > 0) {   /* a worker rank: no run database, no progress display */
        JfStatus rc = extract_serve(&a, &err);
        cli_mpi_end();
        jf_pathlist_free(&a.inputs);
        return cli_exit_code(rc);
    }
    RunDb *db = NULL;
    int64_t run_id = 0;
    size_t counts[3] = { 0 };
    char *cmdline = cli_command_line(argc, argv);
    JfStatus rc = JF_OK;
    for (size_t i = 0; ranks > 1 && i < a.inputs.count; i++)
        if (!strcmp(a.inputs.paths[i], "-"))
            rc = jf_error_set(&err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                              "extract: standard input cannot be read by other MPI ranks");
    if (rc == JF_OK) rc = open_workdir(&a, &db, &err);
    if (rc == JF_OK) rc = rundb_run_begin(db, cmdline ? cmdline : "jaforge extract", &run_id, &err);
    if (rc == JF_OK) {
        rc = extract_all(&a, db, ranks, counts, &err);
    } else if (ranks > 1) {   /* the workers wait for tasks: tell them there are none */
        CliFarm none = { .next = farm_none };
        cli_farm_lead(&none, ranks);
    }
    if (rc != JF_OK) cli_report(&err);
    int code = rc != JF_OK ? cli_exit_code(rc) : counts[2] ? CLI_EXIT_FAIL : CLI_EXIT_OK;
    if (db && run_id) rundb_run_end(db, run_id, code, &err);
    rundb_close(db);
    free(cmdline);
    jf_pathlist_free(&a.inputs);
    cli_mpi_end();
    return code;
}
