/* cli_tokenizer.c: `jaforge tokenizer encode|decode`. encode prints one line
 * of ids or pieces per input line, exactly as `spm_encode --output_format=id|piece`;
 * decode turns lines of ids back into text like `spm_decode --input_format=id`.
 * Lines are read in batches and encoded by -j threads, each on a contiguous
 * slice with its own scratch; output keeps the input order.
 * The work is the tokenizer library's (src/tokenizer/tokenizer.h); training
 * and `extend` are not here yet. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jf_alloc.h"
#include "jf_buf.h"
#include "tokenizer.h"

#define TOK_MAX_THREADS 256
#define TOK_BATCH_LINES 8192
#define TOK_OUT_LIMIT ((size_t)1 << 34)

typedef struct {
    const char *model_path;
    const char *input;        /* NULL: stdin */
    bool        pieces;       /* --output-format piece */
    int         threads;
} TokArgs;

typedef struct {
    char  **text;
    size_t *len;
    size_t  count;
    uint64_t first_offset;   /* byte offset of line 0 of the batch in the input */
    uint64_t *offsets;
} TokBatch;

typedef struct {
    const SpModel  *model;
    const TokBatch *batch;
    size_t          begin, end;
    bool            pieces, decode;
    const char     *path;
    BpeScratch     *scratch;
    JfBuf           out;
    uint32_t       *ids;          /* decode: the ids of one line */
    size_t          ids_cap;
    JfStatus        rc;
    JfError         err;
} TokWorker;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: jaforge tokenizer encode --model MODEL [--output-format id|piece] [FILE]\n"
        "       jaforge tokenizer decode --model MODEL [FILE]\n"
        "\n"
        "encode: one line in, one line out: the SentencePiece BPE encoding of each line as\n"
        "space-separated ids (default) or pieces, exactly as spm_encode prints it (no <s>).\n"
        "decode: lines of space-separated ids back to text, as spm_decode --input_format=id.\n"
        "FILE defaults to standard input; output goes to standard output.\n"
        "Not yet available: train, extend, stats.\n"
        "\n"
        "options:\n"
        "  --model MODEL           a SentencePiece tokenizer.model (BPE, identity normalizer)\n"
        "  --output-format FORMAT  id (default) or piece (encode only)\n"
        "  -j, --threads N         lines encoded at once (default 1)\n"
        "  -h, --help              this text\n");
}

/* @return -1 on bad usage, 1 for --help, 0 to go on. */
static int parse_args(int argc, char **argv, bool decode, TokArgs *a)
{
    enum { O_MODEL = 256, O_FORMAT };
    static const struct option LONG[] = {
        { "model", required_argument, 0, O_MODEL },
        { "output-format", required_argument, 0, O_FORMAT },
        { "threads", required_argument, 0, 'j' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hj:", LONG, NULL)) != -1) {
        switch (c) {
        case O_MODEL: a->model_path = optarg; break;
        case O_FORMAT:
            if (decode) { cli_errorf("tokenizer decode: --output-format is for encode"); return -1; }
            if (!strcmp(optarg, "id")) a->pieces = false;
            else if (!strcmp(optarg, "piece")) a->pieces = true;
            else { cli_errorf("--output-format: expected id or piece, not '%s'", optarg); return -1; }
            break;
        case 'j': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (end == optarg || *end || n < 1) {
                cli_errorf("--threads: not a positive number: '%s'", optarg);
                return -1;
            }
            a->threads = n > TOK_MAX_THREADS ? TOK_MAX_THREADS : (int)n;
            break;
        }
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
    }
    if (!a->model_path) { cli_errorf("tokenizer: --model MODEL is required"); return -1; }
    if (optind < argc) a->input = argv[optind++];
    if (optind < argc) { cli_errorf("tokenizer: more than one FILE given"); return -1; }
    return 0;
}

static JfStatus put_uint(JfBuf *b, uint32_t v)
{
    char tmp[16];
    int n = snprintf(tmp, sizeof tmp, "%u", (unsigned)v);
    return jf_buf_append(b, tmp, (size_t)n);
}

static JfStatus encode_line(TokWorker *w, const char *text, size_t len)
{
    const BpeToken *t;
    size_t n;
    JfStatus rc = bpe_encode(w->model, w->scratch, text, len, &t, &n, &w->err);
    for (size_t i = 0; i < n && rc == JF_OK; i++) {
        if (i) rc = jf_buf_append_byte(&w->out, ' ');
        if (rc == JF_OK)
            rc = w->pieces ? jf_buf_append(&w->out, t[i].piece, t[i].len) : put_uint(&w->out, t[i].id);
    }
    return rc == JF_OK ? jf_buf_append_byte(&w->out, '\n') : rc;
}

/* spm_decode splits on single spaces and reads each field as an id. */
static JfStatus decode_line(TokWorker *w, char *text, size_t len, uint64_t offset)
{
    size_t n = 0;
    char *p = text, *end = text + len;
    while (p < end) {
        char *stop;
        unsigned long v = strtoul(p, &stop, 10);
        if (stop == p || (stop < end && *stop != ' ') || v > UINT32_MAX || *p == '-' || *p == ' ' ||
            *p == '+')
            return jf_error_set(&w->err, JF_EFORMAT, w->path, offset + (uint64_t)(p - text),
                                "not an id list (expected numbers separated by spaces)");
        if (n == w->ids_cap) {
            size_t cap = w->ids_cap ? w->ids_cap * 2 : 1024;
            uint32_t *ids = jf_realloc(w->ids, cap * sizeof *ids);
            if (!ids) return JF_ENOMEM;
            w->ids = ids;
            w->ids_cap = cap;
        }
        w->ids[n++] = (uint32_t)v;
        p = stop < end ? stop + 1 : stop;
    }
    JfStatus rc = bpe_decode(w->model, w->ids, n, &w->out, &w->err);
    if (rc == JF_EFORMAT) {
        w->err.offset = offset;
        snprintf(w->err.path, sizeof w->err.path, "%s", w->path);
    }
    return rc == JF_OK ? jf_buf_append_byte(&w->out, '\n') : rc;
}

static void *worker_run(void *arg)
{
    TokWorker *w = arg;
    w->rc = JF_OK;
    for (size_t i = w->begin; i < w->end && w->rc == JF_OK; i++) {
        const TokBatch *b = w->batch;
        w->rc = w->decode ? decode_line(w, b->text[i], b->len[i], b->offsets[i])
                          : encode_line(w, b->text[i], b->len[i]);
    }
    if (w->rc != JF_OK && w->err.code == JF_OK)
        jf_error_set(&w->err, w->rc, w->path, JF_OFFSET_UNKNOWN, "%s", jf_status_text(w->rc));
    return NULL;
}

/* Reads up to TOK_BATCH_LINES lines (without '\n') into b. @return lines read. */
static size_t batch_read(FILE *in, TokBatch *b, uint64_t *offset)
{
    b->count = 0;
    while (b->count < TOK_BATCH_LINES) {
        size_t cap = 0;
        char *line = NULL;
        ssize_t n = getline(&line, &cap, in);
        if (n < 0) { free(line); break; }
        b->offsets[b->count] = *offset;
        *offset += (uint64_t)n;
        if (n > 0 && line[n - 1] == '\n') line[--n] = 0;
        b->text[b->count] = line;
        b->len[b->count] = (size_t)n;
        b->count++;
    }
    return b->count;
}

static void batch_clear(TokBatch *b)
{
    for (size_t i = 0; i < b->count; i++) free(b->text[i]);
    b->count = 0;
}

static int run_lines(const TokArgs *a, const SpModel *m, bool decode, FILE *in)
{
    static char *text[TOK_BATCH_LINES];
    static size_t len[TOK_BATCH_LINES];
    static uint64_t offsets[TOK_BATCH_LINES];
    TokBatch batch = { text, len, 0, 0, offsets };
    TokWorker w[TOK_MAX_THREADS];
    int nt = a->threads;
    int ret = CLI_EXIT_OK;
    const char *path = a->input ? a->input : "<stdin>";
    memset(w, 0, sizeof w[0] * (size_t)nt);
    for (int t = 0; t < nt; t++) {
        JfError err;
        jf_error_clear(&err);
        w[t] = (TokWorker){ .model = m, .batch = &batch, .pieces = a->pieces, .decode = decode,
                            .path = path };
        jf_buf_init(&w[t].out, TOK_OUT_LIMIT);
        if (bpe_scratch_open(&w[t].scratch, &err) != JF_OK) {
            cli_report(&err);
            ret = CLI_EXIT_FAIL;
            goto out_free;
        }
    }
    uint64_t offset = 0;
    while (batch_read(in, &batch, &offset) > 0) {
        size_t per = (batch.count + (size_t)nt - 1) / (size_t)nt;
        pthread_t tid[TOK_MAX_THREADS];
        for (int t = 0; t < nt; t++) {
            w[t].begin = per * (size_t)t < batch.count ? per * (size_t)t : batch.count;
            w[t].end = w[t].begin + per < batch.count ? w[t].begin + per : batch.count;
            jf_buf_reset(&w[t].out);
            jf_error_clear(&w[t].err);
            if (nt == 1 || pthread_create(&tid[t], NULL, worker_run, &w[t]) != 0) {
                worker_run(&w[t]);
                tid[t] = 0;
            }
        }
        for (int t = 0; t < nt; t++) {
            if (tid[t]) pthread_join(tid[t], NULL);
        }
        batch_clear(&batch);
        for (int t = 0; t < nt; t++) {
            /* Lines before the failing one are printed, then the error. */
            if (w[t].out.len) fwrite(w[t].out.data, 1, w[t].out.len, stdout);
            if (w[t].rc != JF_OK) {
                fflush(stdout);
                cli_report(&w[t].err);
                ret = cli_exit_code(w[t].rc);
                goto out_free;
            }
        }
    }
    if (ferror(in)) {
        cli_errorf("%s: read error", path);
        ret = CLI_EXIT_FAIL;
    }
    if (fflush(stdout) != 0) {
        cli_errorf("cannot write standard output");
        ret = CLI_EXIT_FAIL;
    }
out_free:
    batch_clear(&batch);
    for (int t = 0; t < nt; t++) {
        bpe_scratch_close(w[t].scratch);
        jf_buf_free(&w[t].out);
        jf_free(w[t].ids);
    }
    return ret;
}

static int run(int argc, char **argv, bool decode)
{
    TokArgs a = { .threads = 1 };
    int p = parse_args(argc, argv, decode, &a);
    if (p) return p > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    JfError err;
    jf_error_clear(&err);
    SpModel *m = NULL;
    if (sp_model_load(a.model_path, &m, &err) != JF_OK) {
        cli_report(&err);
        return CLI_EXIT_FAIL;
    }
    int ret = CLI_EXIT_OK;
    if (!decode && bpe_model_check(m, &err) != JF_OK) {
        snprintf(err.path, sizeof err.path, "%s", a.model_path);
        cli_report(&err);
        ret = CLI_EXIT_FAIL;
        goto out_model;
    }
    FILE *in = a.input ? fopen(a.input, "rb") : stdin;
    if (!in) {
        cli_errorf("%s: cannot open: %s", a.input, strerror(errno));
        ret = CLI_EXIT_FAIL;
        goto out_model;
    }
    ret = run_lines(&a, m, decode, in);
    if (a.input) fclose(in);
out_model:
    sp_model_close(m);
    return ret;
}

int cli_tokenizer_main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "encode")) return run(argc - 1, argv + 1, false);
    if (!strcmp(argv[1], "decode")) return run(argc - 1, argv + 1, true);
    if (!strcmp(argv[1], "train") || !strcmp(argv[1], "extend") || !strcmp(argv[1], "stats")) {
        cli_errorf("tokenizer %s: not implemented yet", argv[1]);
        return CLI_EXIT_FAIL;
    }
    cli_errorf("tokenizer: unknown command '%s' (encode, decode)", argv[1]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
