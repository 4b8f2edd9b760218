/* cli_dedup.c: `jaforge dedup --out DIR INPUT...`. Dedup is a barrier stage:
 * every input is read (phase 1), clusters are formed over all of them
 * (phase 2), then every input is read again and its kept documents written
 * to DIR/<stem>.jsonl.zst, the removed ones listed in DIR/duplicates.tsv
 * (phase 3). The run database holds ONE task for the whole run, keyed by a
 * manifest this command writes, DIR/dedup-manifest.tsv: the options and,
 * per input, its absolute path, size and xxh3-64. Same inputs and options,
 * same manifest content: a finished run is skipped; anything else changes
 * the manifest, so the database sends the task back to pending. Phase 1
 * is checkpointed in DIR/tmp/phase1-R-of-N, keyed by the manifest's
 * checksum, as it goes, so a killed run resumes where its last checkpoint
 * was (at phase 2 once phase 1 is complete). The work itself is the dedup
 * library's (src/dedup/dedup.h).
 *
 * Under `mpirun -n N` (detected from the launcher's environment; alone, no
 * MPI) each rank reads and writes only its share of the inputs (a
 * contiguous range, balanced by size: rank_inputs); the library numbers
 * the documents and shares the clustering. Rank 0 alone keeps the run
 * database and joins the ranks' parts of duplicates.tsv; the outputs are
 * byte-identical for any N. An error on any rank is reported by that rank
 * and turned into MPI_Abort, so no rank hangs. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dedup.h"
#include "jf_buf.h"
#include "jf_doc.h"
#include "jf_fs.h"
#include "rundb.h"

typedef struct {
    const char  *out_dir;
    DedupOptions opt;
    bool         force;
    bool         quiet;
    bool         stop_after_signatures;   /* hidden test option: act as if killed after phase 1 */
    uint64_t     stop_after_checkpoint;   /* hidden test option: ... after the K-th checkpoint */
    char         key[64];                 /* the manifest's checksum: keys the phase-1 checkpoint */
    JfPathList   inputs;
} DedupArgs;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: jaforge dedup --out DIR [options] INPUT...\n"
        "\n"
        "Removes exact duplicates (XXH3-128 of the text) and near duplicates (MinHash-LSH)\n"
        "over all INPUTs together (.jsonl.zst documents; INPUT may be a directory). Kept\n"
        "documents go to DIR/<input>.jsonl.zst, in input order; DIR/duplicates.tsv has one\n"
        "line per removed document: id, cluster, kept id, exact|near. Statistics are printed\n"
        "and stored in DIR/jaforge.db; a finished run with the same inputs and options is\n"
        "skipped, and a killed run resumes from its last checkpoint (DIR/tmp/phase1-*).\n"
        "Under `mpirun -n N` each rank reads and writes its share of the inputs and the\n"
        "ranks share the clustering; the outputs are byte-identical for any N (docs/dedup.md).\n"
        "\n"
        "options:\n"
        "  -o, --out DIR         output directory (required)\n"
        "  --preset NAME         swallow (40 bands x 20 rows, char 5-grams; default) or\n"
        "                        fineweb (14 x 8, word 5-grams)\n"
        "  --bands B --rows R    MinHash-LSH shape (K = B x R hashes)\n"
        "  --ngram N             shingle length (default 5)\n"
        "  --words               word n-grams instead of character n-grams\n"
        "  --seed N              hash seed (default 42)\n"
        "  --exact-only          exact duplicates only\n"
        "  --keep POLICY         first (default), newest (by created) or longest\n"
        "  --verify J            join LSH candidates only when their true Jaccard >= J\n"
        "  --mem BYTES           memory for sort buffers and per-document arrays (9 bytes per\n"
        "                        document), per rank (K/M/G suffix; default 256M)\n"
        "  --force               redo a finished run (and ignore a phase checkpoint)\n"
        "  -q, --quiet           no progress display\n"
        "  -h, --help            this text\n");
}

static bool accept_doc_name(const char *name)
{
    return strstr(name, ".jsonl") || strstr(name, ".json");
}

static int parse_u32(const char *s, const char *name, uint32_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || v == 0 || v > 65536) {
        cli_errorf("%s: expected a number from 1 to 65536: '%s'", name, s);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int parse_mem(const char *s, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned long long mult = 1;
    if (*end == 'K' || *end == 'k') mult = 1ull << 10, end++;
    else if (*end == 'M' || *end == 'm') mult = 1ull << 20, end++;
    else if (*end == 'G' || *end == 'g') mult = 1ull << 30, end++;
    if (end == s || *end || v == 0) {
        cli_errorf("--mem: expected BYTES with an optional K, M or G suffix: '%s'", s);
        return -1;
    }
    *out = (size_t)(v * mult);
    return 0;
}

static int parse_opt(int c, DedupArgs *a)
{
    DedupOptions *o = &a->opt;
    char *end;
    switch (c) {
    case 'o': a->out_dir = optarg; return 0;
    case 'P':
        if (!minhash_params_preset(optarg, &o->mh)) {
            cli_errorf("--preset: unknown preset '%s' (swallow, fineweb)", optarg);
            return -1;
        }
        return 0;
    case 'B': return parse_u32(optarg, "--bands", &o->mh.bands);
    case 'R': return parse_u32(optarg, "--rows", &o->mh.rows);
    case 'N': return parse_u32(optarg, "--ngram", &o->mh.ngram);
    case 'W': o->mh.shingle = MINHASH_WORD; return 0;
    case 'S':
        o->mh.seed = strtoull(optarg, &end, 10);
        if (end == optarg || *end) { cli_errorf("--seed: not a number: '%s'", optarg); return -1; }
        return 0;
    case 'X': o->near = false; return 0;
    case 'K':
        if (!dedup_keep_parse(optarg, &o->keep)) {
            cli_errorf("--keep: expected first, newest or longest: '%s'", optarg);
            return -1;
        }
        return 0;
    case 'V':
        o->verify = strtod(optarg, &end);
        if (end == optarg || *end || o->verify <= 0 || o->verify > 1) {
            cli_errorf("--verify: expected a Jaccard threshold in (0, 1]: '%s'", optarg);
            return -1;
        }
        return 0;
    case 'M': return parse_mem(optarg, &o->mem);
    case 'F': a->force = true; return 0;
    case 'T':
        if (!strncmp(optarg, "checkpoint:", 11) && (a->stop_after_checkpoint = strtoull(optarg + 11, &end, 10)) > 0
            && !*end)
            return 0;
        if (strcmp(optarg, "signatures") != 0) {
            cli_errorf("--stop-after: 'signatures' or 'checkpoint:K'");
            return -1;
        }
        a->stop_after_signatures = true;
        return 0;
    case 'q': a->quiet = true; return 0;
    case 'h': usage(stdout); return 1;
    default: usage(stderr); return -1;
    }
}

/* @return -1 on bad usage, -2 when an input cannot be read, 1 for --help, 0 to go on. */
static int parse_args(int argc, char **argv, DedupArgs *a)
{
    static const struct option LONG[] = {
        { "out", required_argument, 0, 'o' },     { "preset", required_argument, 0, 'P' },
        { "bands", required_argument, 0, 'B' },   { "rows", required_argument, 0, 'R' },
        { "ngram", required_argument, 0, 'N' },   { "words", no_argument, 0, 'W' },
        { "seed", required_argument, 0, 'S' },    { "exact-only", no_argument, 0, 'X' },
        { "keep", required_argument, 0, 'K' },    { "verify", required_argument, 0, 'V' },
        { "mem", required_argument, 0, 'M' },     { "force", no_argument, 0, 'F' },
        { "quiet", no_argument, 0, 'q' },         { "help", no_argument, 0, 'h' },
        { "stop-after", required_argument, 0, 'T' },   /* for tests, not in --help */
        { 0, 0, 0, 0 },
    };
    int c, p;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", LONG, NULL)) != -1)
        if ((p = parse_opt(c, a)) != 0) return p;
    if (!a->out_dir) { cli_errorf("dedup: --out DIR is required"); return -1; }
    if (optind >= argc) { cli_errorf("dedup: no INPUT given"); return -1; }
    for (int i = optind; i < argc; i++) {
        JfError err;
        jf_error_clear(&err);
        if (jf_fs_expand_input(argv[i], accept_doc_name, &a->inputs, &err) != JF_OK) {
            cli_report(&err);
            return -2;
        }
    }
    if (a->inputs.count == 0) { cli_errorf("dedup: no document file found in the inputs"); return -1; }
    return 0;
}

/* ---- the manifest that keys the run's one task ---- */

static JfStatus manifest_write(const DedupArgs *a, const char *path, JfError *err)
{
    const DedupOptions *o = &a->opt;
    JfBuf b;
    jf_buf_init(&b, 0);
    char line[PATH_MAX + 128];
    snprintf(line, sizeof line, "#jaforge dedup manifest v1\n#bands=%u rows=%u ngram=%u shingle=%s "
             "seed=%llu near=%d keep=%s verify=%g\n", o->mh.bands, o->mh.rows, o->mh.ngram,
             o->mh.shingle == MINHASH_WORD ? "word" : "char", (unsigned long long)o->mh.seed,
             o->near, dedup_keep_name(o->keep), o->verify);
    JfStatus rc = jf_buf_append_str(&b, line);
    for (size_t i = 0; rc == JF_OK && i < a->inputs.count; i++) {
        char abspath[PATH_MAX], hex[17];
        uint64_t size;
        const char *p = realpath(a->inputs.paths[i], abspath) ? abspath : a->inputs.paths[i];
        rc = rundb_file_checksum(p, hex, &size, err);
        snprintf(line, sizeof line, "%s\t%llu\txxh3:%s\n", p, (unsigned long long)size, hex);
        if (rc == JF_OK) rc = jf_buf_append_str(&b, line);
    }
    /* Rewritten only when different, so an unchanged manifest keeps its mtime. */
    FILE *f = rc == JF_OK ? fopen(path, "rb") : NULL;
    if (f) {
        char *old = malloc(b.len + 1);
        size_t got = old ? fread(old, 1, b.len + 1, f) : 0;
        bool same = got == b.len && !memcmp(old, b.data, b.len);
        free(old);
        fclose(f);
        if (same) { jf_buf_free(&b); return JF_OK; }
    }
    f = rc == JF_OK ? fopen(path, "wb") : NULL;
    if (rc == JF_OK && (!f || fwrite(b.data, 1, b.len, f) != b.len))
        rc = jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot write the manifest: %s",
                          strerror(errno));
    if (f && fclose(f) != 0 && rc == JF_OK)
        rc = jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot write the manifest: %s",
                          strerror(errno));
    jf_buf_free(&b);
    return rc;
}

/* ---- phases ---- */

/* This rank's share of the inputs, [*lo, *hi): contiguous, in input order,
 * cut where the running total of input bytes crosses r/N of all (an input
 * goes to the rank its middle byte falls in). The same on every rank. */
static void rank_inputs(const DedupArgs *a, size_t *lo, size_t *hi)
{
    int ranks = a->opt.ranks > 1 ? a->opt.ranks : 1;
    size_t n = a->inputs.count;
    unsigned __int128 total = 0, before = 0;
    uint64_t *size = calloc(n ? n : 1, sizeof *size);
    for (size_t i = 0; size && i < n; i++) {
        struct stat sb;
        size[i] = stat(a->inputs.paths[i], &sb) == 0 && sb.st_size > 0 ? (uint64_t)sb.st_size : 1;
        total += size[i];
    }
    *lo = n, *hi = n;
    bool lo_set = false;
    for (size_t i = 0; i < n; i++) {
        uint64_t s = size ? size[i] : 1;
        unsigned __int128 mid = 2 * before + s;   /* twice the middle byte's offset */
        int owner = (int)(mid * (unsigned)ranks / (2 * (total ? total : n)));
        if (owner >= ranks) owner = ranks - 1;
        before += s;
        if (owner == a->opt.rank && !lo_set) *lo = i, lo_set = true;
        if (owner > a->opt.rank) { *hi = i; break; }
    }
    if (!lo_set) *lo = *hi;
    free(size);
}

/* Reads the documents of inputs from .. to-1 in order, calling fn(ctx,
 * input, doc), but not for the first `skip` documents of input `from`. A
 * malformed line is reported (when bad is given) and skipped, in every pass
 * alike, so the document indices agree. */
typedef JfStatus DocFn(void *ctx, size_t input, const JfDoc *doc, JfError *err);

static JfStatus for_each_doc(const DedupArgs *a, size_t from, size_t to, uint64_t skip,
                             CliProgress *pg, uint64_t *bad, DocFn *fn, void *ctx, JfError *err)
{
    JfStatus rc = JF_OK;
    uint64_t docs = 0;
    for (size_t i = from; rc == JF_OK && i < to; i++) {
        JfDocReader *r = NULL;
        JfDoc d;
        jf_doc_init(&d);
        rc = jf_docreader_open(a->inputs.paths[i], 0, &r, err);
        for (uint64_t k = 0; rc == JF_OK; k++) {
            JfStatus n = jf_docreader_next(r, &d, err);
            if (n == JF_EFORMAT) { if (bad) { cli_report(err); (*bad)++; } k--; continue; }
            if (n != JF_ROW) { rc = n == JF_DONE ? JF_OK : n; break; }
            if (i == from && k < skip) continue;
            rc = fn(ctx, i, &d, err);
            if (++docs % 4096 == 0) cli_progress_update(pg, docs, NULL);
        }
        jf_doc_free(&d);
        jf_docreader_close(r);
    }
    return rc;
}

typedef struct {
    Dedup   *dd;
    uint64_t stop_at;   /* --stop-after checkpoint:K (0: no) */
} AddCtx;

static JfStatus add_doc(void *ctx, size_t input, const JfDoc *doc, JfError *err)
{
    AddCtx *c = ctx;
    JfStatus rc = dedup_input_begin(c->dd, (uint32_t)input, err);
    if (rc == JF_OK) rc = dedup_add(c->dd, doc, err);
    if (rc == JF_OK && c->stop_at && dedup_checkpoints(c->dd) >= c->stop_at)
        rc = jf_error_set(err, JF_EINTERNAL, NULL, JF_OFFSET_UNKNOWN,
                          "dedup: stopped after checkpoint %llu (--stop-after, a test option)",
                          (unsigned long long)c->stop_at);
    return rc;
}

typedef struct {
    Dedup       *dd;
    JfDocWriter *w;
    FILE        *tsv;
    uint64_t     index;    /* global index of the next document */
} WriteCtx;

static JfStatus write_doc(void *ctx, size_t input, const JfDoc *doc, JfError *err)
{
    (void)input;
    WriteCtx *c = ctx;
    DedupFate f;
    dedup_fate(c->dd, c->index++, &f);
    if (f.kind == DEDUP_KEPT) return jf_docwriter_write(c->w, doc, err);
    char kept[1024];
    JfStatus rc = dedup_doc_id(c->dd, f.kept, kept, sizeof kept, err);
    if (rc == JF_OK)
        fprintf(c->tsv, "%s\t%llu\t%s\t%s\n", doc->id, (unsigned long long)f.cluster, kept,
                f.kind == DEDUP_REMOVED_EXACT ? "exact" : "near");
    return rc;
}

static void output_path(const DedupArgs *a, size_t i, char *out, size_t cap)
{
    char stem[PATH_MAX];
    cli_output_stem(&a->inputs, i, stem, sizeof stem);
    snprintf(out, cap, "%s/%s.jsonl.zst", a->out_dir, stem);
}

/* Phase 3 for inputs lo .. hi-1: their kept documents, one output open at a
 * time, and their lines of duplicates.tsv into tsv_path. */
static JfStatus write_share(const DedupArgs *a, Dedup *dd, size_t lo, size_t hi,
                            const char *tsv_path, CliProgress *pg, JfError *err)
{
    WriteCtx c = { .dd = dd, .index = dedup_first(dd) };
    c.tsv = fopen(tsv_path, "w");
    JfStatus rc = c.tsv ? JF_OK : jf_error_set(err, JF_EIO, tsv_path, JF_OFFSET_UNKNOWN, "cannot create");
    for (size_t i = lo; rc == JF_OK && i < hi; i++) {
        char path[PATH_MAX + 300];
        output_path(a, i, path, sizeof path);
        rc = jf_docwriter_open(path, 3, &c.w, err);
        if (rc == JF_OK) rc = for_each_doc(a, i, i + 1, 0, pg, NULL, write_doc, &c, err);
        if (rc == JF_OK) rc = jf_docwriter_commit(c.w, err);
        jf_docwriter_close(c.w);
        c.w = NULL;
    }
    if (c.tsv && fclose(c.tsv) != 0 && rc == JF_OK)
        rc = jf_error_set(err, JF_EIO, tsv_path, JF_OFFSET_UNKNOWN, "write failed: %s", strerror(errno));
    return rc;
}

/* Rank 0, once every rank wrote its share: the parts of duplicates.tsv
 * (tmp/duplicates-R.tsv) concatenated in rank order into tmp_path. */
static JfStatus join_parts(const DedupArgs *a, const char *tmp, const char *tmp_path, JfError *err)
{
    FILE *out = fopen(tmp_path, "w");
    JfStatus rc = out ? JF_OK : jf_error_set(err, JF_EIO, tmp_path, JF_OFFSET_UNKNOWN, "cannot create");
    char buf[1 << 16], part[PATH_MAX + 64];
    for (int r = 0; rc == JF_OK && r < a->opt.ranks; r++) {
        snprintf(part, sizeof part, "%s/duplicates-%d.tsv", tmp, r);
        FILE *in = fopen(part, "r");
        if (!in) { rc = jf_error_set(err, JF_EIO, part, JF_OFFSET_UNKNOWN, "cannot open"); break; }
        for (size_t n; (n = fread(buf, 1, sizeof buf, in)) > 0;)
            if (fwrite(buf, 1, n, out) != n)
                rc = jf_error_set(err, JF_EIO, tmp_path, JF_OFFSET_UNKNOWN, "write failed: %s", strerror(errno));
        if (ferror(in)) rc = jf_error_set(err, JF_EIO, part, JF_OFFSET_UNKNOWN, "read failed");
        fclose(in);
        unlink(part);
    }
    if (out && fclose(out) != 0 && rc == JF_OK)
        rc = jf_error_set(err, JF_EIO, tmp_path, JF_OFFSET_UNKNOWN, "write failed: %s", strerror(errno));
    return rc;
}

/* Phase 3 on every rank (its inputs), then rank 0 completes duplicates.tsv
 * and lists every output in outs. */
static JfStatus write_outputs(const DedupArgs *a, Dedup *dd, const char *tmp, CliProgress *pg,
                              json_t *outs, JfError *err)
{
    bool mpi = a->opt.ranks > 1;
    size_t lo, hi;
    rank_inputs(a, &lo, &hi);
    char tsv_path[PATH_MAX + 32], tmp_path[PATH_MAX + 64], part[PATH_MAX + 64];
    snprintf(tsv_path, sizeof tsv_path, "%s/duplicates.tsv", a->out_dir);
    snprintf(tmp_path, sizeof tmp_path, "%s.tmp", tsv_path);
    snprintf(part, sizeof part, "%s/duplicates-%d.tsv", tmp, a->opt.rank);
    JfStatus rc = write_share(a, dd, lo, hi, mpi ? part : tmp_path, pg, err);
    if (rc == JF_OK && mpi) MPI_Barrier(MPI_COMM_WORLD);   /* every share is written */
    if (a->opt.rank != 0) return rc;
    if (rc == JF_OK && mpi) rc = join_parts(a, tmp, tmp_path, err);
    if (rc == JF_OK && rename(tmp_path, tsv_path) != 0)
        rc = jf_error_set(err, JF_EIO, tsv_path, JF_OFFSET_UNKNOWN, "cannot rename");
    if (rc != JF_OK) unlink(tmp_path);
    for (size_t i = 0; i < a->inputs.count; i++) {
        char path[PATH_MAX + 300];
        output_path(a, i, path, sizeof path);
        json_array_append_new(outs, json_string(path));
    }
    json_array_append_new(outs, json_string(tsv_path));
    return rc;
}

static void print_stats(const DedupStats *st, uint64_t bad)
{
    fprintf(stderr, "jaforge: dedup: %llu docs in, %llu out; removed %llu exact, %llu near "
            "(%.2f%%); %llu bad lines\n", (unsigned long long)st->docs_in,
            (unsigned long long)st->docs_out, (unsigned long long)st->removed_exact,
            (unsigned long long)st->removed_near,
            st->docs_in ? 100.0 * (double)(st->docs_in - st->docs_out) / (double)st->docs_in : 0.0,
            (unsigned long long)bad);
    fprintf(stderr, "jaforge: dedup: %llu clusters; %llu LSH candidates, %llu rejected by --verify; "
            "%llu sort runs spilled; %llu bytes of memory planned at most\n",
            (unsigned long long)st->clusters, (unsigned long long)st->candidates,
            (unsigned long long)st->verify_rejected, (unsigned long long)st->runs_spilled,
            (unsigned long long)st->mem_planned);
    fprintf(stderr, "jaforge: dedup: cluster sizes:");
    for (size_t i = 0; i < DEDUP_HIST_BUCKETS; i++)
        if (st->hist[i])
            fprintf(stderr, " [%llu..%llu] %llu", (unsigned long long)dedup_hist_low(i),
                    (unsigned long long)(dedup_hist_low(i + 1) - 1), (unsigned long long)st->hist[i]);
    fprintf(stderr, "\n");
    for (size_t g = 0; g <= DEDUP_MAX_GROUPS; g++) {
        const DedupGroupStats *s = &st->groups[g];
        if (!s->in) continue;
        fprintf(stderr, "jaforge: dedup:   %-12s %-6s in %llu, removed exact %llu, near %llu\n",
                s->source, s->lang, (unsigned long long)s->in, (unsigned long long)s->removed_exact,
                (unsigned long long)s->removed_near);
    }
}

/* Checkpoints of earlier runs with another rank count (phase1-R-of-M) are of no more use. */
static void remove_stale_checkpoints(const char *tmp)
{
    DIR *dh = opendir(tmp);
    for (struct dirent *e; dh && (e = readdir(dh)) != NULL;) {
        if (strncmp(e->d_name, "phase1-", 7) != 0) continue;
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", tmp, e->d_name);
        dedup_state_remove(path);
    }
    if (dh) closedir(dh);
}

/* Phase 1 on this rank's inputs, from its checkpoint in DIR/tmp/phase1-R-of-N
 * when there is one (complete: nothing to read; part-way: going on where it
 * stopped), else from the start; then checkpointed as complete. */
static JfStatus phase1(const DedupArgs *a, const char *dir, Dedup **dd, uint64_t *bad, JfError *err)
{
    int rank = a->opt.rank, ranks = a->opt.ranks > 1 ? a->opt.ranks : 1;
    char key[128];
    snprintf(key, sizeof key, "%s/%d/%d", a->key, rank, ranks);
    JfStatus rc = dedup_open_dir(&a->opt, dir, key, !a->force, dd, err);
    if (rc != JF_OK) return rc;
    bool talk = !a->quiet && rank == 0;
    uint64_t done = dedup_count(*dd);
    if (dedup_phase1_complete(*dd)) {
        if (talk)
            fprintf(stderr, "jaforge: dedup: resumed: the signature phase (%llu docs) was done by "
                    "an earlier run (%s)\n", (unsigned long long)done, dir);
        return JF_OK;
    }
    size_t lo, hi;
    rank_inputs(a, &lo, &hi);
    uint32_t at;
    uint64_t skip;
    dedup_resume_point(*dd, &at, &skip);
    if (done > 0 && at >= lo && at < hi) {
        if (talk)
            fprintf(stderr, "jaforge: dedup: resumed: signatures of %llu docs were done by an "
                    "earlier run; going on at document %llu of %s\n", (unsigned long long)done,
                    (unsigned long long)skip, a->inputs.paths[at]);
        lo = at;
    } else {
        skip = 0;
    }
    CliProgress pg;
    AddCtx c = { .dd = *dd, .stop_at = a->stop_after_checkpoint };
    cli_progress_start(&pg, "dedup: signatures", "docs", 0, !talk);
    rc = for_each_doc(a, lo, hi, skip, &pg, bad, add_doc, &c, err);
    cli_progress_finish(&pg, NULL);
    if (rc == JF_OK) rc = dedup_checkpoint(*dd, err);
    if (rc == JF_OK && a->stop_after_signatures) {
        if (ranks > 1) MPI_Barrier(MPI_COMM_WORLD);   /* every rank's checkpoint is on disk */
        rc = jf_error_set(err, JF_EINTERNAL, NULL, JF_OFFSET_UNKNOWN,
                          "dedup: stopped after the signature phase (--stop-after, a test option)");
    }
    return rc;
}

/* Wall and CPU (user + system) seconds since the process started. */
static void clock_now(double *wall, double *cpu)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    *wall = (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
        + 1e-6 * (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* Each rank's seconds per phase (wall, CPU), so a run on a shared machine
 * can be judged by CPU time and the ranks' balance seen. */
static void print_times(const DedupArgs *a, const double *wall, const double *cpu)
{
    fprintf(stderr, "jaforge: dedup: rank %d: signatures %.1f s (CPU %.1f), cluster %.1f s (CPU %.1f), "
            "write %.1f s (CPU %.1f)\n", a->opt.rank, wall[1] - wall[0], cpu[1] - cpu[0],
            wall[2] - wall[1], cpu[2] - cpu[1], wall[3] - wall[2], cpu[3] - cpu[2]);
}

/* The three phases. *stats_json: the statistics (free()). */
static JfStatus dedup_run(const DedupArgs *a, char **outputs_json, char **stats_json, JfError *err)
{
    char tmp[PATH_MAX + 8], dir[PATH_MAX + 64];
    snprintf(tmp, sizeof tmp, "%s/tmp", a->out_dir);
    snprintf(dir, sizeof dir, "%s/phase1-%d-of-%d", tmp, a->opt.rank,
             a->opt.ranks > 1 ? a->opt.ranks : 1);
    Dedup *dd = NULL;
    uint64_t bad = 0;
    CliProgress pg;
    bool lead = a->opt.rank == 0;   /* under MPI only rank 0 talks */
    double wall[4], cpu[4];
    clock_now(&wall[0], &cpu[0]);
    JfStatus rc = jf_fs_mkdir_p(tmp, err);
    if (rc == JF_OK) rc = phase1(a, dir, &dd, &bad, err);
    clock_now(&wall[1], &cpu[1]);
    if (rc == JF_OK) rc = dedup_cluster(dd, err);
    clock_now(&wall[2], &cpu[2]);
    if (rc == JF_OK && a->opt.ranks > 1) {
        uint64_t mine = bad;
        MPI_Allreduce(&mine, &bad, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    }
    json_t *outs = json_array();
    cli_progress_start(&pg, "dedup: write", "docs", dd ? dedup_count(dd) : 0, a->quiet || !lead);
    if (rc == JF_OK) rc = write_outputs(a, dd, tmp, &pg, outs, err);
    cli_progress_finish(&pg, NULL);
    clock_now(&wall[3], &cpu[3]);
    if (rc == JF_OK && !a->quiet) print_times(a, wall, cpu);
    if (rc == JF_OK && lead) {
        if (!a->quiet) print_stats(dedup_stats(dd), bad);
        *stats_json = dedup_stats_to_json(dedup_stats(dd));
        *outputs_json = json_dumps(outs, JSON_COMPACT);
    }
    json_decref(outs);
    dedup_close(dd);
    /* The checkpoint goes once the outputs exist; a failing rank 0 aborts the
     * others inside this barrier, so their checkpoints stay for a resume. */
    if (rc == JF_OK && a->opt.ranks > 1) MPI_Barrier(MPI_COMM_WORLD);
    if (rc == JF_OK) dedup_state_remove(dir);
    if (rc == JF_OK && lead) remove_stale_checkpoints(tmp);
    rmdir(tmp);
    return rc;
}

static JfStatus run_task(DedupArgs *a, RunDb *db, JfError *err)
{
    char manifest[PATH_MAX + 32], abspath[PATH_MAX];
    snprintf(manifest, sizeof manifest, "%s/dedup-manifest.tsv", a->out_dir);
    JfStatus rc = manifest_write(a, manifest, err);
    if (rc != JF_OK) return rc;
    const char *key = realpath(manifest, abspath) ? abspath : manifest;
    int64_t input_id, task_id;
    bool skip;
    rc = rundb_input_register(db, key, &input_id, NULL, err);
    if (rc == JF_OK) rc = rundb_task_begin(db, input_id, "dedup", &skip, &task_id, err);
    if (rc == JF_OK && skip && a->force) {
        rc = rundb_task_fail(db, task_id, "redone by --force", err);
        if (rc == JF_OK) rc = rundb_task_begin(db, input_id, "dedup", &skip, &task_id, err);
    }
    uint64_t size;
    if (rc == JF_OK) rc = rundb_file_checksum(key, a->key, &size, err);
    if (rc != JF_OK) return rc;
    if (a->opt.ranks > 1) {   /* the other ranks wait for this decision in worker_main */
        int go = !skip;
        MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
        MPI_Bcast(a->key, sizeof a->key, MPI_CHAR, 0, MPI_COMM_WORLD);
    }
    if (skip) {
        if (!a->quiet) fprintf(stderr, "jaforge: dedup: already done for these inputs and options (--force redoes it)\n");
        return JF_OK;
    }
    char *outputs = NULL, *stats = NULL;
    JfError werr;
    jf_error_clear(&werr);
    JfStatus work = dedup_run(a, &outputs, &stats, &werr);
    if (work == JF_OK) {
        rc = rundb_task_commit(db, task_id, outputs, stats, err);
    } else {
        char msg[768];
        jf_error_format(&werr, msg, sizeof msg);
        rundb_task_fail(db, task_id, msg, err);
        *err = werr;
        rc = work;
    }
    free(outputs);
    free(stats);
    return rc;
}

/* Rank 0: the run database, the manifest, the task, and its share of the work. */
static JfStatus lead_main(DedupArgs *a, int argc, char **argv, JfError *err)
{
    RunDb *db = NULL;
    int64_t run_id = 0;
    char dbpath[PATH_MAX + 16];
    snprintf(dbpath, sizeof dbpath, "%s/jaforge.db", a->out_dir);
    char *cmdline = cli_command_line(argc, argv);
    JfStatus rc = jf_fs_mkdir_p(a->out_dir, err);
    if (rc == JF_OK) rc = rundb_open(dbpath, &db, err);
    if (rc == JF_OK) rc = rundb_run_begin(db, cmdline ? cmdline : "jaforge dedup", &run_id, err);
    if (rc == JF_OK) rc = run_task(a, db, err);
    if (rc != JF_OK) cli_report(err);
    JfError end_err;
    jf_error_clear(&end_err);
    if (db && run_id) rundb_run_end(db, run_id, cli_exit_code(rc), &end_err);
    rundb_close(db);
    free(cmdline);
    return rc;
}

/* Ranks 1..N-1: wait for rank 0's go (a finished run is skipped), then work. */
static JfStatus worker_main(DedupArgs *a, JfError *err)
{
    int go = 0;
    MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Bcast(a->key, sizeof a->key, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (!go) return JF_OK;
    char *outputs = NULL, *stats = NULL;
    JfStatus rc = dedup_run(a, &outputs, &stats, err);
    if (rc != JF_OK) cli_report(err);
    free(outputs);
    free(stats);
    return rc;
}

int cli_dedup_main(int argc, char **argv)
{
#ifdef M_MMAP_THRESHOLD
    /* --mem bounds what the stage holds, so what it frees must leave the
     * process: glibc raises its mmap threshold to the size of each freed
     * mapping (the sort buffer), after which the merge buffers come from
     * the heap and stay resident once freed. A fixed threshold keeps every
     * large buffer an mmap that munmap gives back. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
    DedupArgs a = { 0 };
    dedup_options_init(&a.opt);
    jf_pathlist_init(&a.inputs);
    /* Launched by an MPI starter: MPI, nested under `jaforge run`'s (cli_mpi.c). */
    cli_mpi_begin(&argc, &argv, &a.opt.rank, &a.opt.ranks);
    int p = parse_args(argc, argv, &a);   /* the same on every rank: no rank goes on alone */
    int code;
    if (p != 0) {
        code = p > 0 ? CLI_EXIT_OK : p == -2 ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
    } else {
        JfError err;
        jf_error_clear(&err);
        JfStatus rc = a.opt.rank == 0 ? lead_main(&a, argc, argv, &err) : worker_main(&a, &err);
        code = cli_exit_code(rc);
        /* The failing rank has reported; MPI_Abort ends the ranks waiting in a collective. */
        if (rc != JF_OK) cli_mpi_abort(code);
    }
    jf_pathlist_free(&a.inputs);
    cli_mpi_end();
    return code;
}
