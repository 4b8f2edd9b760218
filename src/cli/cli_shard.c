/* cli_shard.c: `jaforge shard --model MODEL --out PREFIX INPUT...` writes a
 * Megatron indexed dataset (PREFIX.bin/.idx) from documents, or one per
 * (lang, source) with --out DIR/, alone or under mpirun;
 * `jaforge shard inspect|verify|merge|from-ids` look at datasets, join them and
 * write them from pre-tokenized ids. The work is src/shard's
 * (shard_encode.h, mmidx.h). */
#include <errno.h>
#include <getopt.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "jf_fs.h"
#include "sp_model.h"
#include "jf_alloc.h"
#include "jf_buf.h"
#include "mmidx.h"
#include "bpe_encode.h"
#include "shard_encode.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: jaforge shard --model MODEL --out PREFIX [options] INPUT...\n"
        "       jaforge shard --model MODEL --out DIR/ [options] INPUT...   (or --by-source)\n"
        "       jaforge shard inspect [--top N] [--model MODEL --decode N] PREFIX\n"
        "       jaforge shard merge --out PREFIX PREFIX1 PREFIX2...\n"
        "       jaforge shard verify [--vocab-size N] PREFIX...\n"
        "       jaforge shard from-ids --out PREFIX --vocab-size N [--eod ID] [FILE|-]\n"
        "\n"
        "Megatron indexed datasets (PREFIX.bin + PREFIX.idx, MMIDIDX). PREFIX may also be\n"
        "given as PREFIX.bin or PREFIX.idx.\n"
        "  (write)   encodes every document of INPUT (*.jsonl[.zst|.gz] files or folders, in\n"
        "            order) with the SentencePiece BPE model: the whole text of a document is\n"
        "            one sequence, </s> appended, as Megatron's preprocess_data.py does. The\n"
        "            bytes do not depend on -j or on the number of MPI ranks.\n"
        "              --out PREFIX      one dataset PREFIX.bin/.idx\n"
        "              --out DIR/, or --by-source with --out DIR\n"
        "                                one dataset per (lang, source) of the documents:\n"
        "                                DIR/{lang}_{source}_text_document, and DIR/datasets.tsv\n"
        "              -j N              encoding threads (a reader thread besides)\n"
        "              --max-tokens N    parts PREFIX_000, ... (DIR/{lang}_{source}_000_text_document)\n"
        "                                closed at the first document boundary past N tokens\n"
        "              --no-eod          no </s> after each document\n"
        "              --max-line BYTES  longer input lines are reported and skipped (256 MiB)\n"
        "              -q                no per-dataset lines in the summary\n"
        "            Under `mpirun -n N` every rank encodes its share; rank 0 writes.\n"
        "  inspect   counts, dtype, sequence length histogram, the N most frequent token ids;\n"
        "            --model M --decode N also prints the first N documents decoded to text\n"
        "  verify    structural checks (magic, version, dtype, counts, pointers against lengths\n"
        "            and the .bin size, document indices) and every token id readable (and\n"
        "            below --vocab-size if given); exit 1 with FILE:OFFSET: reason if not\n"
        "  merge     joins datasets into one, document by document, in the order given\n"
        "  from-ids  writes a dataset from text: one document per line, token ids separated\n"
        "            by spaces (a blank line is an empty document); --eod ID is appended to\n"
        "            each; uint16 when --vocab-size < 65500, else int32; atomic\n");
}

/* PREFIX, PREFIX.bin or PREFIX.idx -> PREFIX (into out). */
static void prefix_of(const char *arg, char *out, size_t cap)
{
    size_t n = strlen(arg);
    if (n > 4 && (!strcmp(arg + n - 4, ".bin") || !strcmp(arg + n - 4, ".idx"))) n -= 4;
    snprintf(out, cap, "%.*s", (int)n, arg);
}


/* ------------------------------------------------------------- inspect ---- */

typedef struct {
    uint64_t id, count;
} TokenCount;

static int by_count_desc(const void *a, const void *b)
{
    const TokenCount *x = a, *y = b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void print_histogram(const MmidxReader *r)
{
    uint64_t bucket[34] = { 0 }, s = mmidx_reader_sequences(r), min = UINT64_MAX, max = 0;
    for (uint64_t i = 0; i < s; i++) {
        uint32_t len = mmidx_reader_length(r, i);
        int b = 0;
        while (b < 33 && (1ULL << b) <= len) b++;       /* 0 -> 0, 1 -> 1, 2..3 -> 2, ... */
        bucket[b]++;
        if (len < min) min = len;
        if (len > max) max = len;
    }
    if (s)
        printf("length      min %llu, mean %.1f, max %llu tokens\n", (unsigned long long)min,
               (double)mmidx_reader_tokens(r) / (double)s, (unsigned long long)max);
    printf("length histogram (tokens: sequences)\n");
    for (int b = 0; b < 34; b++) {
        if (!bucket[b]) continue;
        unsigned long long lo = b ? 1ULL << (b - 1) : 0, hi = b ? (1ULL << b) - 1 : 0;
        printf("  %10llu-%-10llu %llu\n", lo, hi, (unsigned long long)bucket[b]);
    }
}

/* Counts ids with an array up to 2^24 distinct values (larger ids are
 * counted together as "other"). */
#define INSPECT_MAX_ID (1u << 24)

static int print_top_tokens(const MmidxReader *r, uint64_t top)
{
    uint64_t *count = jf_calloc(INSPECT_MAX_ID + 1, sizeof *count);
    uint32_t *ids = NULL;
    size_t cap = 0;
    JfError err;
    int rc = CLI_EXIT_OK;
    for (uint64_t i = 0; count && rc == CLI_EXIT_OK && i < mmidx_reader_sequences(r); i++) {
        uint32_t n = mmidx_reader_length(r, i);
        if (n > cap) {
            jf_free(ids);
            cap = n;
            if (!(ids = jf_malloc(cap * sizeof *ids))) break;
        }
        if (mmidx_reader_read(r, i, ids, &err) != JF_OK) {
            cli_report(&err);
            rc = CLI_EXIT_FAIL;
        }
        for (uint32_t k = 0; rc == CLI_EXIT_OK && k < n; k++)
            count[ids[k] < INSPECT_MAX_ID ? ids[k] : INSPECT_MAX_ID]++;
    }
    if (!count || (cap && !ids)) {
        cli_errorf("out of memory counting tokens");
        rc = CLI_EXIT_FAIL;
    }
    TokenCount *tc = NULL;
    size_t distinct = 0;
    if (rc == CLI_EXIT_OK) {
        for (size_t id = 0; id < INSPECT_MAX_ID; id++) distinct += count[id] != 0;
        if ((tc = jf_malloc((distinct + 1) * sizeof *tc))) {
            size_t k = 0;
            for (size_t id = 0; id < INSPECT_MAX_ID; id++)
                if (count[id]) tc[k++] = (TokenCount){ id, count[id] };
            qsort(tc, distinct, sizeof *tc, by_count_desc);
        }
    }
    if (tc) {
        double total = (double)mmidx_reader_tokens(r);
        printf("distinct ids %zu\ntop tokens (id: count, fraction)\n", distinct);
        for (size_t k = 0; k < distinct && k < top; k++)
            printf("  %10llu %12llu %.6f\n", (unsigned long long)tc[k].id,
                   (unsigned long long)tc[k].count, (double)tc[k].count / total);
        if (count[INSPECT_MAX_ID])
            printf("  ids >= %u: %llu\n", INSPECT_MAX_ID, (unsigned long long)count[INSPECT_MAX_ID]);
    }
    jf_free(tc);
    jf_free(ids);
    jf_free(count);
    return rc;
}

/* Prints the first n documents of r decoded with the model (EOD dropped). */
static JfStatus print_decoded(const MmidxReader *r, const char *model, uint64_t n, JfError *err)
{
    SpModel *m = NULL;
    JfStatus rc = sp_model_load(model, &m, err);
    JfBuf ids, text;
    jf_buf_init(&ids, 0);
    jf_buf_init(&text, 0);
    int32_t eos = m ? sp_model_info(m)->eos_id : -1;
    for (uint64_t d = 0; rc == JF_OK && d < n && d < mmidx_reader_documents(r); d++) {
        jf_buf_reset(&ids);
        for (uint64_t s = mmidx_reader_doc_index(r, d); rc == JF_OK && s < mmidx_reader_doc_index(r, d + 1); s++) {
            size_t len = mmidx_reader_length(r, s);
            rc = jf_buf_reserve(&ids, len * sizeof(uint32_t));
            if (rc == JF_OK) rc = mmidx_reader_read(r, s, (uint32_t *)(ids.data + ids.len), err);
            if (rc == JF_OK) ids.len += len * sizeof(uint32_t);
        }
        size_t k = ids.len / sizeof(uint32_t);
        const uint32_t *v = (const uint32_t *)ids.data;
        if (k && eos >= 0 && v[k - 1] == (uint32_t)eos) k--;
        jf_buf_reset(&text);
        if (rc == JF_OK) rc = bpe_decode(m, v, k, &text, err);
        size_t show = text.len > 300 ? 300 : text.len;
        while (show < text.len && show > 0 && (text.data[show] & 0xC0) == 0x80) show--;  /* whole characters */
        if (rc == JF_OK)
            printf("document %llu (%zu tokens): %.*s\n", (unsigned long long)d, k, (int)show,
                   text.data ? (const char *)text.data : "");
    }
    jf_buf_free(&ids);
    jf_buf_free(&text);
    sp_model_close(m);
    return rc;
}

static int cmd_inspect(int argc, char **argv)
{
    static const struct option LONG[] = {
        { "top", required_argument, 0, 't' }, { "model", required_argument, 0, 'm' },
        { "decode", required_argument, 0, 'd' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    uint64_t top = 20, decode = 0;
    const char *model = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:m:d:h", LONG, NULL)) != -1) {
        if (c == 'h') { usage(stdout); return CLI_EXIT_OK; }
        if (c == 'm') { model = optarg; continue; }
        if (c == 'd') { if (cli_parse_u64(optarg, "--decode", &decode)) return CLI_EXIT_USAGE; continue; }
        if (c != 't' || cli_parse_u64(optarg, "--top", &top)) { usage(stderr); return CLI_EXIT_USAGE; }
    }
    if (decode && !model) {
        cli_errorf("shard inspect: --decode needs --model");
        return CLI_EXIT_USAGE;
    }
    if (optind != argc - 1) {
        cli_errorf("shard inspect: expected one PREFIX");
        return CLI_EXIT_USAGE;
    }
    char prefix[4096];
    prefix_of(argv[optind], prefix, sizeof prefix);
    MmidxReader *r;
    JfError err;
    JfStatus st = mmidx_reader_open(prefix, &r, &err);
    if (st != JF_OK) {
        cli_report(&err);
        return cli_exit_code(st);
    }
    int dt = mmidx_reader_dtype(r);
    printf("prefix      %s\ndtype       %s (code %d)\nsequences   %llu\ndocuments   %llu\n"
           "tokens      %llu\nbin bytes   %llu\nidx bytes   %llu\n", prefix, mmidx_dtype_name(dt), dt,
           (unsigned long long)mmidx_reader_sequences(r), (unsigned long long)mmidx_reader_documents(r),
           (unsigned long long)mmidx_reader_tokens(r), (unsigned long long)mmidx_reader_bin_size(r),
           (unsigned long long)mmidx_reader_idx_size(r));
    print_histogram(r);
    int rc = dt == MMIDX_FLOAT32 || dt == MMIDX_FLOAT64 ? CLI_EXIT_OK : print_top_tokens(r, top);
    if (rc == CLI_EXIT_OK && decode) {
        JfStatus ds = print_decoded(r, model, decode, &err);
        if (ds != JF_OK) {
            cli_report(&err);
            rc = cli_exit_code(ds);
        }
    }
    mmidx_reader_close(r);
    return rc;
}

/* -------------------------------------------------------------- verify ---- */

static int verify_one(const char *arg, uint64_t vocab)
{
    char prefix[4096];
    prefix_of(arg, prefix, sizeof prefix);
    MmidxReader *r;
    JfError err;
    JfStatus st = mmidx_reader_open(prefix, &r, &err);
    if (st != JF_OK) {
        cli_report(&err);
        return CLI_EXIT_FAIL;
    }
    uint32_t *ids = NULL;
    size_t cap = 0;
    for (uint64_t i = 0; st == JF_OK && i < mmidx_reader_sequences(r); i++) {
        uint32_t n = mmidx_reader_length(r, i);
        if (n > cap) {
            jf_free(ids);
            cap = n;
            if (!(ids = jf_malloc(cap * sizeof *ids))) {
                st = jf_error_set(&err, JF_ENOMEM, prefix, JF_OFFSET_UNKNOWN, "out of memory");
                break;
            }
        }
        st = mmidx_reader_read(r, i, ids, &err);
        for (uint32_t k = 0; st == JF_OK && vocab && k < n; k++)
            if (ids[k] >= vocab)
                st = jf_error_set(&err, JF_EFORMAT, prefix, JF_OFFSET_UNKNOWN,
                                  ".bin offset %llu: token id %u >= --vocab-size %llu",
                                  (unsigned long long)(mmidx_reader_pointer(r, i) +
                                                       (uint64_t)k * mmidx_dtype_size(mmidx_reader_dtype(r))),
                                  ids[k], (unsigned long long)vocab);
    }
    if (st == JF_OK)
        printf("%s: ok (%s, %llu sequences, %llu documents, %llu tokens)\n", prefix,
               mmidx_dtype_name(mmidx_reader_dtype(r)),
               (unsigned long long)mmidx_reader_sequences(r),
               (unsigned long long)mmidx_reader_documents(r),
               (unsigned long long)mmidx_reader_tokens(r));
    else
        cli_report(&err);
    jf_free(ids);
    mmidx_reader_close(r);
    return st == JF_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

static int cmd_verify(int argc, char **argv)
{
    static const struct option LONG[] = {
        { "vocab-size", required_argument, 0, 'v' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    uint64_t vocab = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
        if (c == 'h') { usage(stdout); return CLI_EXIT_OK; }
        if (c != 'v' || cli_parse_u64(optarg, "--vocab-size", &vocab)) { usage(stderr); return CLI_EXIT_USAGE; }
    }
    if (optind >= argc) {
        cli_errorf("shard verify: expected PREFIX...");
        return CLI_EXIT_USAGE;
    }
    int rc = CLI_EXIT_OK;
    for (int i = optind; i < argc; i++)
        if (verify_one(argv[i], vocab) != CLI_EXIT_OK) rc = CLI_EXIT_FAIL;
    return rc;
}

/* ------------------------------------------------------------ from-ids ---- */

/* Parses one line of ids into ids; @return JF_EFORMAT with the offset of the
 * bad token (line_off + column). */
static JfStatus parse_id_line(const char *line, const char *path, uint64_t line_off, JfBuf *ids,
                              JfError *err)
{
    jf_buf_reset(ids);
    const char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
        if (!*p) return JF_OK;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p || *p == '-' || errno || v > UINT32_MAX ||
            (*end && *end != ' ' && *end != '\t' && *end != '\r' && *end != '\n'))
            return jf_error_set(err, JF_EFORMAT, path, line_off + (uint64_t)(p - line),
                                "not a token id: '%.*s'", (int)strcspn(p, " \t\r\n") > 20 ? 20 :
                                (int)strcspn(p, " \t\r\n"), p);
        uint32_t id = (uint32_t)v;
        if (jf_buf_append(ids, &id, sizeof id) != JF_OK)
            return jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "out of memory");
        p = end;
    }
}

static JfStatus write_from_ids(FILE *in, const char *path, MmidxWriter *w, int64_t eod,
                               JfError *err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t off = 0;
    JfBuf ids;
    jf_buf_init(&ids, 0);
    JfStatus rc = JF_OK;
    while (rc == JF_OK && (n = getline(&line, &cap, in)) >= 0) {
        rc = parse_id_line(line, path, off, &ids, err);
        uint32_t e = (uint32_t)eod;
        if (rc == JF_OK && eod >= 0 && jf_buf_append(&ids, &e, sizeof e) != JF_OK)
            rc = jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "out of memory");
        if (rc == JF_OK)
            rc = mmidx_writer_add(w, (const uint32_t *)ids.data, ids.len / sizeof(uint32_t), err);
        if (rc == JF_EFORMAT && err->offset == JF_OFFSET_UNKNOWN) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            rc = jf_error_set(err, JF_EFORMAT, path, off, "%s", msg);
        }
        if (rc == JF_OK) rc = mmidx_writer_end_document(w, err);
        off += (uint64_t)n;
    }
    if (rc == JF_OK && ferror(in))
        rc = jf_error_set(err, JF_EIO, path, off, "read failed: %s", strerror(errno));
    free(line);
    jf_buf_free(&ids);
    return rc;
}

static int cmd_from_ids(int argc, char **argv)
{
    static const struct option LONG[] = {
        { "out", required_argument, 0, 'o' }, { "vocab-size", required_argument, 0, 'v' },
        { "eod", required_argument, 0, 'e' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *out = NULL;
    uint64_t vocab = 0, eod_v = 0;
    int64_t eod = -1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", LONG, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'v': if (cli_parse_u64(optarg, "--vocab-size", &vocab)) return CLI_EXIT_USAGE; break;
        case 'e': if (cli_parse_u64(optarg, "--eod", &eod_v)) return CLI_EXIT_USAGE; eod = (int64_t)eod_v; break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        default: usage(stderr); return CLI_EXIT_USAGE;
        }
    }
    if (!out || !vocab || optind < argc - 1) {
        cli_errorf("shard from-ids: --out PREFIX and --vocab-size N are required, at most one FILE");
        return CLI_EXIT_USAGE;
    }
    if (eod >= 0 && (uint64_t)eod >= vocab) {
        cli_errorf("--eod %lld is not below --vocab-size %llu", (long long)eod, (unsigned long long)vocab);
        return CLI_EXIT_USAGE;
    }
    const char *path = optind < argc ? argv[optind] : "-";
    FILE *in = strcmp(path, "-") ? fopen(path, "r") : stdin;
    JfError err;
    if (!in) {
        cli_errorf("%s: cannot open: %s", path, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    MmidxWriter *w = NULL;
    JfStatus st = mmidx_writer_open(out, vocab, &w, &err);
    if (st == JF_OK) st = write_from_ids(in, path, w, eod, &err);
    if (st == JF_OK) st = mmidx_writer_commit(w, &err);
    if (st == JF_OK)
        printf("%s: %llu documents, %llu tokens, %s\n", out,
               (unsigned long long)mmidx_writer_sequences(w),
               (unsigned long long)mmidx_writer_tokens(w), mmidx_dtype_name(mmidx_writer_dtype(w)));
    else
        cli_report(&err);
    mmidx_writer_close(w);
    if (in != stdin) fclose(in);
    return st == JF_OK ? CLI_EXIT_OK : cli_exit_code(st);
}

/* --------------------------------------------------------------- write ---- */

static void on_bad_line(void *ctx, const JfError *err)
{
    (void)ctx;
    cli_report(err);
}

static bool accept_docs(const char *name) { return strstr(name, ".jsonl") != NULL; }

typedef struct {
    const char        *model, *out;
    ShardEncodeOptions opt;
    bool               quiet;
} WriteArgs;

/* @return 0, 1 after --help, -1 after a usage error (reported). */
static int write_parse(int argc, char **argv, WriteArgs *a)
{
    enum { O_NOEOD = 256, O_MAXTOK, O_BYSRC, O_MAXLINE };
    static const struct option LONG[] = {
        { "model", required_argument, 0, 'm' }, { "out", required_argument, 0, 'o' },
        { "threads", required_argument, 0, 'j' }, { "no-eod", no_argument, 0, O_NOEOD },
        { "max-tokens", required_argument, 0, O_MAXTOK }, { "by-source", no_argument, 0, O_BYSRC },
        { "max-line", required_argument, 0, O_MAXLINE }, { "quiet", no_argument, 0, 'q' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    uint64_t threads = 1, max_line = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "m:o:j:qh", LONG, NULL)) != -1;) {
        int bad = 0;
        if (c == 'm') a->model = optarg;
        else if (c == 'o') a->out = optarg;
        else if (c == 'q') a->quiet = true;
        else if (c == 'j') bad = cli_parse_u64(optarg, "--threads", &threads) || !threads;
        else if (c == O_NOEOD) a->opt.append_eod = false;
        else if (c == O_BYSRC) a->opt.by_group = true;
        else if (c == O_MAXTOK)
            bad = cli_parse_u64(optarg, "--max-tokens", &a->opt.max_tokens) || !a->opt.max_tokens;
        else if (c == O_MAXLINE) bad = cli_parse_u64(optarg, "--max-line", &max_line) || !max_line;
        else if (c == 'h') { usage(stdout); return 1; }
        else { usage(stderr); return -1; }
        if (bad) return -1;
    }
    if (!a->model || !a->out || optind >= argc) {
        cli_errorf("shard: --model MODEL, --out PREFIX and at least one INPUT are required");
        return -1;
    }
    size_t n = strlen(a->out);
    if (n && a->out[n - 1] == '/') a->opt.by_group = true;   /* --out DIR/ */
    a->opt.threads = threads > 64 ? 64 : (int)threads;
    a->opt.max_line = max_line > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)max_line;
    return 0;
}

/* OUT/datasets.tsv (by source): one row per dataset written, for scripts
 * that weigh sources. Atomic. */
static JfStatus write_manifest(const char *dir, const ShardEncodeStats *st, JfError *err)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/datasets.tsv", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "cannot create: %s", strerror(errno));
    fprintf(f, "#prefix\tlang\tsource\tdocuments\ttokens\tbytes\tparts\n");
    for (size_t i = 0; i < st->n_outputs; i++) {
        const ShardOutputStats *o = &st->outputs[i];
        fprintf(f, "%s\t%s\t%s\t%llu\t%llu\t%llu\t%u\n", o->prefix, o->lang, o->source,
                (unsigned long long)o->docs, (unsigned long long)o->tokens,
                (unsigned long long)o->bytes, o->parts);
    }
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot write: %s",
                            strerror(errno));
    }
    return JF_OK;
}

static void write_summary(const WriteArgs *a, const ShardEncodeStats *st)
{
    double cpt = st->tokens ? (double)st->chars / (double)st->tokens : 0.0;
    fprintf(stderr, "jaforge: shard: %s: %llu documents in %llu dataset(s), %llu tokens, "
            "%.3f characters per token%s\n", a->out, (unsigned long long)st->docs,
            (unsigned long long)st->datasets, (unsigned long long)st->tokens, cpt,
            st->bad_lines ? " (bad input lines skipped)" : "");
    for (size_t i = 0; a->opt.by_group && !a->quiet && i < st->n_outputs; i++)
        fprintf(stderr, "  %-48s %12llu documents %14llu tokens\n", st->outputs[i].prefix,
                (unsigned long long)st->outputs[i].docs, (unsigned long long)st->outputs[i].tokens);
}

/* Inputs, model and output folder: the same on every rank. */
static JfStatus write_prepare(WriteArgs *a, int argc, char **argv, JfPathList *inputs, SpModel **m,
                              JfError *err)
{
    JfStatus rc = JF_OK;
    for (int i = optind; rc == JF_OK && i < argc; i++)
        rc = jf_fs_expand_input(argv[i], accept_docs, inputs, err);
    if (rc == JF_OK) rc = sp_model_load(a->model, m, err);
    if (rc == JF_OK && a->opt.rank == 0)
        rc = a->opt.by_group ? jf_fs_mkdir_p(a->out, err) : jf_fs_mkdir_parent(a->out, err);
    return rc;
}

/* Under MPI: did any rank fail to prepare? Then each failed rank reports,
 * but only rank 0 when it failed too (the same error, said once). */
static bool write_prepare_failed(const WriteArgs *a, JfStatus rc, const JfError *err)
{
    int mine = rc != JF_OK, any = mine, lead = mine;
    if (a->opt.ranks > 1) {
        MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
        MPI_Bcast(&lead, 1, MPI_INT, 0, MPI_COMM_WORLD);
    }
    if (mine && (a->opt.rank == 0 || !lead)) cli_report(err);
    return any;
}

static JfStatus write_run(WriteArgs *a, const JfPathList *inputs, const SpModel *m, JfError *err)
{
    ShardEncodeStats st;
    JfStatus rc = shard_encode_files(m, inputs, a->out, &a->opt, &st, on_bad_line, NULL, err);
    if (rc == JF_OK && a->opt.rank == 0 && a->opt.by_group) rc = write_manifest(a->out, &st, err);
    if (rc == JF_OK && a->opt.rank == 0) write_summary(a, &st);
    shard_encode_stats_free(&st);
    return rc;
}

static int cmd_write(int argc, char **argv)
{
    WriteArgs a = { 0 };
    shard_encode_options_init(&a.opt);
    int p = write_parse(argc, argv, &a);
    if (p) return p > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    /* MPI (also when `jaforge run` under mpirun calls this in-process) */
    cli_mpi_begin(&argc, &argv, &a.opt.rank, &a.opt.ranks);
    JfError err;
    jf_error_clear(&err);
    JfPathList inputs;
    jf_pathlist_init(&inputs);
    SpModel *m = NULL;
    JfStatus rc = write_prepare(&a, argc, argv, &inputs, &m, &err);
    int code;
    if (write_prepare_failed(&a, rc, &err)) {
        code = rc != JF_OK ? cli_exit_code(rc) : CLI_EXIT_FAIL;
    } else {
        rc = write_run(&a, &inputs, m, &err);
        code = cli_exit_code(rc);
        /* Rank 0 reports every error (another failing rank told it), then
         * ends the ranks that may still be sending to it. */
        if (rc != JF_OK && a.opt.rank == 0) cli_report(&err);
        if (rc != JF_OK && a.opt.rank == 0) cli_mpi_abort(code);
    }
    sp_model_close(m);
    jf_pathlist_free(&inputs);
    cli_mpi_end();
    return code;
}

/* --------------------------------------------------------------- merge ---- */

static int cmd_merge(int argc, char **argv)
{
    static const struct option LONG[] = {
        { "out", required_argument, 0, 'o' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *out = NULL;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "o:h", LONG, NULL)) != -1;) {
        if (c == 'o') out = optarg;
        else if (c == 'h') { usage(stdout); return CLI_EXIT_OK; }
        else { usage(stderr); return CLI_EXIT_USAGE; }
    }
    if (!out || optind >= argc) {
        cli_errorf("shard merge: --out PREFIX and at least one input PREFIX are required");
        return CLI_EXIT_USAGE;
    }
    size_t n = (size_t)(argc - optind);
    char (*names)[4096] = calloc(n, sizeof *names);
    const char **ptrs = calloc(n, sizeof *ptrs);
    JfError err;
    jf_error_clear(&err);
    JfStatus rc = names && ptrs ? JF_OK : JF_ENOMEM;
    for (size_t i = 0; rc == JF_OK && i < n; i++) {
        prefix_of(argv[optind + (int)i], names[i], sizeof names[i]);
        ptrs[i] = names[i];
    }
    if (rc == JF_OK) rc = jf_fs_mkdir_parent(out, &err);
    if (rc == JF_OK) rc = mmidx_merge(ptrs, n, out, &err);
    if (rc != JF_OK) cli_report(&err);
    else fprintf(stderr, "jaforge: shard merge: %s: %zu dataset(s) joined\n", out, n);
    free(names);
    free(ptrs);
    return cli_exit_code(rc);
}

int cli_shard_main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(sub, "inspect")) return cmd_inspect(argc - 1, argv + 1);
    if (!strcmp(sub, "verify")) return cmd_verify(argc - 1, argv + 1);
    if (!strcmp(sub, "from-ids")) return cmd_from_ids(argc - 1, argv + 1);
    if (!strcmp(sub, "merge")) return cmd_merge(argc - 1, argv + 1);
    if (sub[0] == '-') return cmd_write(argc, argv);
    cli_errorf("shard: unknown subcommand '%s' (see jaforge shard --help)", sub);
    return CLI_EXIT_USAGE;
}
