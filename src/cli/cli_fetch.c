/* cli_fetch.c: `jaforge fetch MANIFEST --out DIR`. Reads the manifest
 * (data-manifests/README.md), records one task per entry in the run database
 * (DIR/jaforge.db, stage "fetch"), runs the fetcher (src/fetch/fetcher.h)
 * and shows progress, retries and failures ("jaforge: URL: reason").
 *
 * Run-database key: rundb registers inputs by an existing file, and a URL is
 * not one. So each entry gets a small key file DIR/.jaforge-fetch/NAME.url
 * holding its manifest line (URL, size, checksum); that file is the task's
 * input. A changed URL, size or checksum changes the key file's content, and
 * rundb then turns the task back to pending on its own. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cc_manifest.h"
#include "cli.h"
#include "fetcher.h"
#include "jf_fs.h"
#include "manifest.h"
#include "rundb.h"

#define FETCH_KEY_DIR ".jaforge-fetch"

typedef struct {
    const char  *manifest;
    const char  *out_dir;
    FetchOptions opt;
    bool         quiet;
} FetchArgs;

typedef struct {
    const FetchArgs *a;
    const Manifest  *m;
    RunDb           *db;
    int64_t         *task_ids;
    CliProgress      progress;
    size_t           counts[3];   /* by FetchOutcome: done, present, failed */
    JfStatus         db_rc;       /* first run-database error */
    JfError          db_err;
} FetchJob;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: jaforge fetch MANIFEST --out DIR [options]\n"
        "       jaforge fetch cc-manifest SNAPSHOT --count N --out MANIFEST [--base URL]\n"
        "                                 [--paths FILE]\n"
        "\n"
        "Downloads every file a manifest lists (data-manifests/README.md) to DIR/<name>:\n"
        "several at once, resuming partial files (DIR/<name>.part) with HTTP Range, retrying\n"
        "timeouts, resets and 5xx with backoff, verifying size and checksum, and renaming to\n"
        "<name> only when complete and verified. Files already there and verified are kept.\n"
        "Exits 0 only when every file is complete and verified. State in DIR/jaforge.db.\n"
        "\n"
        "options:\n"
        "  --out DIR            output directory (required)\n"
        "  -j, --jobs N         transfers at once (default 4)\n"
        "  --retries N          tries after the first one (default 5)\n"
        "  --limit-rate R       bytes/s for the whole run; suffix k, M or G (default none)\n"
        "  --timeout S          connect timeout, and abort a transfer silent for S s (default 60)\n"
        "  --retry-wait S       first retry delay, doubled per retry, with jitter (default 1)\n"
        "  --retry-max-wait S   cap of a retry delay and of Retry-After (default 300)\n"
        "  --cacert FILE        trust the certificate authorities in FILE (PEM) instead of\n"
        "                       the system's; TLS verification cannot be turned off\n"
        "  -q, --quiet          no progress display and no retry messages\n"
        "  -h, --help           this text\n"
        "\n"
        "cc-manifest writes a manifest of the first N WARC files (0: all) of a Common Crawl\n"
        "snapshot (e.g. CC-MAIN-2024-10): it fetches BASE/crawl-data/SNAPSHOT/warc.paths.gz\n"
        "(BASE defaults to " CC_BASE_URL ") next to MANIFEST, or reads --paths FILE.\n");
}

static int parse_count(const char *s, const char *name, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) {
        cli_errorf("%s: expected a whole number from %ld to %ld, got '%s'", name, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_seconds(const char *s, const char *name, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= 0) || v > 1e6) {
        cli_errorf("%s: expected seconds >= 0, got '%s'", name, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* "500k" -> 512000: k, M, G are powers of 1024, as in curl's --limit-rate. */
static int parse_rate(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t mult = 1;
    if (*end == 'k' || *end == 'K') mult = 1024, end++;
    else if (*end == 'm' || *end == 'M') mult = 1024 * 1024, end++;
    else if (*end == 'g' || *end == 'G') mult = 1024ULL * 1024 * 1024, end++;
    if (end == s || *end || errno || v == 0 || v > UINT64_MAX / mult) {
        cli_errorf("--limit-rate: expected bytes/s such as 500k or 10M, got '%s'", s);
        return -1;
    }
    *out = v * mult;
    return 0;
}

/* @return -1 on bad usage, 1 for --help, 0 to go on. */
static int parse_args(int argc, char **argv, FetchArgs *a)
{
    enum { O_RETRIES = 256, O_RATE, O_TIMEOUT, O_WAIT, O_MAXWAIT, O_CACERT };
    static const struct option LONG[] = {
        { "out", required_argument, 0, 'o' },          { "jobs", required_argument, 0, 'j' },
        { "retries", required_argument, 0, O_RETRIES }, { "limit-rate", required_argument, 0, O_RATE },
        { "timeout", required_argument, 0, O_TIMEOUT }, { "retry-wait", required_argument, 0, O_WAIT },
        { "retry-max-wait", required_argument, 0, O_MAXWAIT },
        { "cacert", required_argument, 0, O_CACERT },
        { "quiet", no_argument, 0, 'q' },               { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int c;
    long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:j:qh", LONG, NULL)) != -1) {
        switch (c) {
        case 'o': a->out_dir = optarg; break;
        case 'j': if (parse_count(optarg, "--jobs", 1, 1024, &v)) return -1; a->opt.jobs = (int)v; break;
        case O_RETRIES: if (parse_count(optarg, "--retries", 0, 1000, &v)) return -1; a->opt.retries = (int)v; break;
        case O_RATE: if (parse_rate(optarg, &a->opt.limit_rate)) return -1; break;
        case O_TIMEOUT: if (parse_count(optarg, "--timeout", 1, 86400, &v)) return -1; a->opt.timeout_s = v; break;
        case O_WAIT: if (parse_seconds(optarg, "--retry-wait", &a->opt.retry_wait_s)) return -1; break;
        case O_MAXWAIT: if (parse_seconds(optarg, "--retry-max-wait", &a->opt.retry_max_wait_s)) return -1; break;
        case O_CACERT: a->opt.ca_file = optarg; break;
        case 'q': a->quiet = true; break;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
    }
    if (!a->out_dir) { cli_errorf("fetch: --out DIR is required"); return -1; }
    if (optind != argc - 1) { cli_errorf("fetch: expected one MANIFEST"); usage(stderr); return -1; }
    a->manifest = argv[optind];
    return 0;
}

static void on_bad_line(void *ctx, const JfError *err)
{
    (void)ctx;
    cli_report(err);
}

/* The key file's content: what identifies the entry's expected file. */
static void key_text(const ManifestEntry *e, char *buf, size_t cap)
{
    char size[24] = "-";
    if (e->has_size) snprintf(size, sizeof size, "%llu", (unsigned long long)e->size);
    snprintf(buf, cap, "%s\t%s\t%s%s%s\n", e->url, size,
             e->sum_kind ? manifest_sum_name(e->sum_kind) : "-", e->sum_kind ? ":" : "",
             e->sum_kind ? e->sum_hex : "");
}

/* Writes DIR/.jaforge-fetch/NAME.url unless it already holds the same text
 * (an unchanged file keeps its mtime, so rundb need not hash it again). */
static JfStatus key_write(const char *path, const char *text, JfError *err)
{
    char old[PATH_MAX + 256];
    FILE *f = fopen(path, "rb");
    if (f) {
        size_t n = fread(old, 1, sizeof old - 1, f);
        old[n] = '\0';
        fclose(f);
        if (!strcmp(old, text)) return JF_OK;
    }
    f = fopen(path, "wb");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        if (f) fclose(f);
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot write: %s", strerror(errno));
    }
    return JF_OK;
}

/* Begins the "fetch" task of every entry. A task already done is begun
 * anyway in the sense that its id is kept: the fetcher verifies the file
 * again and the outcome is recorded on the same row. */
static JfStatus tasks_begin(FetchJob *job, JfError *err)
{
    char dir[PATH_MAX], path[PATH_MAX + MANIFEST_NAME_MAX + 8], text[PATH_MAX + 256];
    snprintf(dir, sizeof dir, "%s/%s", job->a->out_dir, FETCH_KEY_DIR);
    JfStatus rc = jf_fs_mkdir_p(dir, err);
    for (size_t i = 0; rc == JF_OK && i < job->m->count; i++) {
        const ManifestEntry *e = &job->m->entries[i];
        if (snprintf(path, sizeof path, "%s/%s.url", dir, e->name) >= PATH_MAX)
            return jf_error_set(err, JF_EUSAGE, dir, JF_OFFSET_UNKNOWN, "path too long");
        key_text(e, text, sizeof text);
        int64_t input_id;
        bool skip;
        rc = key_write(path, text, err);
        if (rc == JF_OK) rc = rundb_input_register(job->db, path, &input_id, NULL, err);
        if (rc == JF_OK) rc = rundb_task_begin(job->db, input_id, "fetch", &skip, &job->task_ids[i], err);
    }
    return rc;
}

static void progress_break(FetchJob *job)
{
    if (job->progress.tty && !job->progress.quiet) fputc('\n', stderr);
}

static char *result_stats(const FetchResult *r)
{
    static const char *const OUTCOME[] = { "done", "present", "failed" };
    json_t *o = json_pack("{s:s, s:I, s:I, s:i, s:b}", "outcome", OUTCOME[r->outcome],
                          "bytes", (json_int_t)r->bytes, "received", (json_int_t)r->received,
                          "attempts", r->attempts, "resumed", r->resumed);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

static void on_file(void *ctx, size_t i, const FetchResult *r)
{
    FetchJob *job = ctx;
    const ManifestEntry *e = &job->m->entries[i];
    job->counts[r->outcome]++;
    JfStatus rc;
    if (r->outcome == FETCH_FAILED) {
        char msg[PATH_MAX + 600];
        snprintf(msg, sizeof msg, "%s: %s", e->url, r->reason);
        progress_break(job);
        cli_errorf("%s", msg);
        rc = rundb_task_fail(job->db, job->task_ids[i], msg, &job->db_err);
    } else {
        json_t *out = json_pack("[s+++]", job->a->out_dir, "/", e->name, "");
        char *outputs = out ? json_dumps(out, JSON_COMPACT) : NULL;
        char *stats = result_stats(r);
        rc = rundb_task_commit(job->db, job->task_ids[i], outputs, stats, &job->db_err);
        free(outputs);
        free(stats);
        json_decref(out);
    }
    if (rc != JF_OK && job->db_rc == JF_OK) job->db_rc = rc;
}

static void on_retry(void *ctx, size_t i, int attempt, double delay_s, const char *reason)
{
    FetchJob *job = ctx;
    if (job->a->quiet) return;
    progress_break(job);
    cli_errorf("%s: %s; try %d in %.1f s", job->m->entries[i].url, reason, attempt + 1, delay_s);
}

static void on_progress(void *ctx, uint64_t bytes, uint64_t total)
{
    FetchJob *job = ctx;
    job->progress.total = total;
    char note[64];
    snprintf(note, sizeof note, " %zu/%zu files", job->counts[0] + job->counts[1] + job->counts[2],
             job->m->count);
    cli_progress_update(&job->progress, bytes, note);
}

static JfStatus fetch_all(FetchJob *job, size_t *failed, JfError *err)
{
    JfStatus rc = tasks_begin(job, err);
    if (rc != JF_OK) return rc;
    FetchSink sink = { .on_file = on_file, .on_retry = on_retry, .on_progress = on_progress, .ctx = job };
    cli_progress_start(&job->progress, "fetch", "B", 0, job->a->quiet);
    rc = fetch_run(&job->a->opt, job->a->out_dir, job->m->entries, job->m->count, &sink, failed, err);
    cli_progress_finish(&job->progress, NULL);
    if (!job->a->quiet)
        fprintf(stderr, "jaforge: fetch: %zu fetched, %zu already present, %zu failed\n",
                job->counts[FETCH_DONE], job->counts[FETCH_PRESENT], job->counts[FETCH_FAILED]);
    if (rc == JF_OK && job->db_rc != JF_OK) {
        *err = job->db_err;
        rc = job->db_rc;
    }
    return rc;
}

static JfStatus workdir_open(const FetchArgs *a, RunDb **db, JfError *err)
{
    char path[PATH_MAX];
    JfStatus rc = jf_fs_mkdir_p(a->out_dir, err);
    snprintf(path, sizeof path, "%s/jaforge.db", a->out_dir);
    return rc == JF_OK ? rundb_open(path, db, err) : rc;
}

/* `jaforge fetch cc-manifest SNAPSHOT --count N --out MANIFEST [--base URL] [--paths FILE]` */
static int cc_manifest_main(int argc, char **argv)
{
    static const struct option LONG[] = {
        { "count", required_argument, 0, 'n' }, { "out", required_argument, 0, 'o' },
        { "base", required_argument, 0, 'b' },  { "paths", required_argument, 0, 'p' },
        { "help", no_argument, 0, 'h' },        { 0, 0, 0, 0 },
    };
    const char *out = NULL, *base = CC_BASE_URL, *paths = NULL;
    long count = -1;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "n:o:b:p:h", LONG, NULL)) != -1;) {
        if (c == 'n') { if (parse_count(optarg, "--count", 0, 100000000, &count)) return CLI_EXIT_USAGE; }
        else if (c == 'o') out = optarg;
        else if (c == 'b') base = optarg;
        else if (c == 'p') paths = optarg;
        else if (c == 'h') { usage(stdout); return CLI_EXIT_OK; }
        else { usage(stderr); return CLI_EXIT_USAGE; }
    }
    if (optind + 1 != argc || !out || count < 0 || base[0] == '\0' || base[strlen(base) - 1] != '/') {
        cli_errorf("fetch cc-manifest: needs SNAPSHOT, --count N, --out MANIFEST (and a --base ending in /)");
        return CLI_EXIT_USAGE;
    }
    const char *snap = argv[optind];
    JfError err;
    jf_error_clear(&err);
    JfStatus rc = JF_OK;
    char dir[4096], listing[4096 + 320];
    snprintf(dir, sizeof dir, "%s", out);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    if (!paths) {   /* fetch the listing with the fetcher: resumable, verified by size */
        char url[4096], name[300];
        snprintf(url, sizeof url, "%scrawl-data/%s/warc.paths.gz", base, snap);
        snprintf(name, sizeof name, "%s.warc.paths.gz", snap);
        ManifestEntry e = { .url = url, .name = name };
        FetchOptions fo;
        fetch_options_init(&fo);
        size_t failed = 0;
        rc = fetch_run(&fo, dir, &e, 1, &(FetchSink){ 0 }, &failed, &err);
        if (rc == JF_OK && failed) rc = jf_error_set(&err, JF_EIO, url, JF_OFFSET_UNKNOWN, "cannot fetch the listing");
        snprintf(listing, sizeof listing, "%s/%s", dir, name);
        paths = listing;
    }
    size_t written = 0;
    if (rc == JF_OK) rc = cc_manifest_write(paths, base, (size_t)count, out, &written, &err);
    if (rc != JF_OK) {
        cli_report(&err);
        return cli_exit_code(rc);
    }
    fprintf(stderr, "jaforge: fetch: %s: %zu WARC file(s) of %s\n", out, written, snap);
    return CLI_EXIT_OK;
}

int cli_fetch_main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "cc-manifest")) return cc_manifest_main(argc - 1, argv + 1);
    FetchArgs a = { 0 };
    fetch_options_init(&a.opt);
    int p = parse_args(argc, argv, &a);
    if (p != 0) return p > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    /* libcurl is told not to use signals (CURLOPT_NOSIGNAL), so a peer
     * closing a socket must not kill the process */
    signal(SIGPIPE, SIG_IGN);
    JfError err;
    jf_error_clear(&err);
    Manifest m;
    manifest_init(&m);
    JfStatus rc = manifest_load(a.manifest, &m, on_bad_line, NULL, &err);
    if (rc == JF_OK && m.bad)
        rc = jf_error_set(&err, JF_EFORMAT, a.manifest, JF_OFFSET_UNKNOWN,
                          "%zu bad line(s); nothing fetched", m.bad);
    FetchJob job = { .a = &a, .m = &m };
    job.task_ids = calloc(m.count ? m.count : 1, sizeof *job.task_ids);
    if (rc == JF_OK && !job.task_ids) rc = jf_error_set(&err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    int64_t run_id = 0;
    size_t failed = 0;
    char *cmdline = cli_command_line(argc, argv);
    if (rc == JF_OK) rc = workdir_open(&a, &job.db, &err);
    if (rc == JF_OK) rc = rundb_run_begin(job.db, cmdline ? cmdline : "jaforge fetch", &run_id, &err);
    if (rc == JF_OK) rc = fetch_all(&job, &failed, &err);
    if (rc != JF_OK) cli_report(&err);
    int code = rc != JF_OK ? cli_exit_code(rc) : failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
    if (job.db && run_id) rundb_run_end(job.db, run_id, code, &err);
    rundb_close(job.db);
    free(cmdline);
    free(job.task_ids);
    manifest_free(&m);
    return code;
}
