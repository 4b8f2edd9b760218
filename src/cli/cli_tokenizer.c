/* cli_tokenizer.c: `jaforge tokenizer encode|decode|train|export-hf`.
 * encode prints one line of ids or pieces per input line, exactly as
 * `spm_encode --output_format=id|piece`; decode turns lines of ids back into
 * text like `spm_decode --input_format=id`. Lines are read in batches and
 * encoded by -j threads, each on a contiguous slice with its own scratch;
 * output keeps the input order. train learns a BPE vocabulary from documents
 * (.jsonl.zst / .jsonl) or plain text and writes tokenizer.model,
 * tokenizer.json and tokenizer_config.json; export-hf writes the two JSON
 * files for an existing model.
 * The work is the tokenizer library's (src/tokenizer/tokenizer.h); `extend`
 * and `stats` are not here yet. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jf_alloc.h"
#include "jf_buf.h"
#include "jf_doc.h"
#include "jf_fs.h"
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
        "       jaforge tokenizer train --vocab-size N --out DIR [options] INPUT...\n"
        "       jaforge tokenizer export-hf --model MODEL --out DIR\n"
        "\n"
        "encode: one line in, one line out: the SentencePiece BPE encoding of each line as\n"
        "space-separated ids (default) or pieces, exactly as spm_encode prints it (no <s>).\n"
        "decode: lines of space-separated ids back to text, as spm_decode --input_format=id.\n"
        "FILE defaults to standard input; output goes to standard output.\n"
        "train: learns a SentencePiece-compatible BPE vocabulary (see train --help).\n"
        "export-hf: tokenizer.json + tokenizer_config.json for a LLaMA-style BPE model.\n"
        "Not yet available: extend, stats.\n"
        "\n"
        "encode/decode options:\n"
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

/* Writes v in decimal at p (room for 10 digits); @return the digits written. */
static size_t put_uint(char *p, uint32_t v)
{
    char tmp[10];
    size_t n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    for (size_t i = 0; i < n; i++) p[i] = tmp[n - 1 - i];
    return n;
}

/* Ids: the line's room is reserved once (11 bytes per id), then filled. */
static JfStatus ids_put(JfBuf *out, const BpeToken *t, size_t n)
{
    JfStatus rc = jf_buf_reserve(out, n * 11 + 1);
    if (rc != JF_OK) return rc;
    char *p = (char *)out->data + out->len;
    for (size_t i = 0; i < n; i++) {
        if (i) *p++ = ' ';
        p += put_uint(p, t[i].id);
    }
    *p++ = '\n';
    *p = 0;   /* JfBuf keeps data[len] == 0 */
    out->len = (size_t)(p - (char *)out->data);
    return JF_OK;
}

static JfStatus encode_line(TokWorker *w, const char *text, size_t len)
{
    const BpeToken *t;
    size_t n;
    JfStatus rc = bpe_encode(w->model, w->scratch, text, len, &t, &n, &w->err);
    if (rc != JF_OK) return rc;
    if (!w->pieces) return ids_put(&w->out, t, n);
    for (size_t i = 0; i < n && rc == JF_OK; i++) {
        if (i) rc = jf_buf_append_byte(&w->out, ' ');
        if (rc == JF_OK) rc = jf_buf_append(&w->out, t[i].piece, t[i].len);
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

/* ---- train ---- */

static void train_usage(FILE *f)
{
    fprintf(f,
        "usage: jaforge tokenizer train --vocab-size N --out DIR [options] INPUT...\n"
        "\n"
        "Learns a SentencePiece-compatible BPE vocabulary of N pieces (control and byte\n"
        "pieces included) and writes DIR/tokenizer.model, DIR/tokenizer.json and\n"
        "DIR/tokenizer_config.json. INPUT: documents (.jsonl.zst or .jsonl; each line of a\n"
        "document's text is a sentence) or plain text (one sentence per line), told apart\n"
        "by content; a directory means the files in it. Settings are LLaMA's: identity\n"
        "normalizer, dummy prefix, whitespace kept, byte fallback, digits split.\n"
        "\n"
        "options:\n"
        "  --vocab-size N            pieces in the vocabulary (required)\n"
        "  --out DIR                 output folder, created when missing (required)\n"
        "  --character-coverage F    share of characters kept as pieces (0.9995)\n"
        "  --max-piece-length N      longest piece in characters (16)\n"
        "  --max-sentence-length N   longer sentences (bytes) are skipped, as spm_train (4192)\n"
        "  --no-byte-fallback        rare characters become <unk>, no <0xXX> pieces\n"
        "  --no-split-digits         digits may join in pieces\n"
        "  --user-defined-symbols L  comma-separated pieces kept whole, never learned\n"
        "  -q, --quiet               no progress\n"
        "  -h, --help                this text\n");
}

typedef struct {
    BpeTrainOptions opt;
    const char     *out;
    char           *users;       /* the --user-defined-symbols copy, split in place */
    const char    **user_list;
    bool            quiet;
} TrainArgs;

static int train_parse(int argc, char **argv, TrainArgs *a)
{
    enum { O_VOCAB = 256, O_OUT, O_COV, O_PLEN, O_SLEN, O_NOBYTE, O_NODIGIT, O_USER };
    static const struct option LONG[] = {
        { "vocab-size", required_argument, 0, O_VOCAB },
        { "out", required_argument, 0, O_OUT },
        { "character-coverage", required_argument, 0, O_COV },
        { "max-piece-length", required_argument, 0, O_PLEN },
        { "max-sentence-length", required_argument, 0, O_SLEN },
        { "no-byte-fallback", no_argument, 0, O_NOBYTE },
        { "no-split-digits", no_argument, 0, O_NODIGIT },
        { "user-defined-symbols", required_argument, 0, O_USER },
        { "quiet", no_argument, 0, 'q' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    bpe_train_options_default(&a->opt, 0);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hq", LONG, NULL)) != -1) {
        char *end = NULL;
        long v = 0;
        if (c == O_VOCAB || c == O_PLEN || c == O_SLEN) {
            v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 1 || v > INT32_MAX) {
                cli_errorf("tokenizer train: not a positive number: '%s'", optarg);
                return -1;
            }
        }
        switch (c) {
        case O_VOCAB: a->opt.vocab_size = (int32_t)v; break;
        case O_PLEN: a->opt.max_piece_length = (int32_t)v; break;
        case O_SLEN: a->opt.max_sentence_length = (int32_t)v; break;
        case O_OUT: a->out = optarg; break;
        case O_COV: {
            double f = strtod(optarg, &end);
            if (end == optarg || *end || !(f > 0 && f <= 1)) {
                cli_errorf("--character-coverage: expected a number in (0, 1], not '%s'", optarg);
                return -1;
            }
            a->opt.character_coverage = (float)f;
            break;
        }
        case O_NOBYTE: a->opt.byte_fallback = false; break;
        case O_NODIGIT: a->opt.split_digits = false; break;
        case O_USER: {
            jf_free(a->users);
            jf_free(a->user_list);
            size_t n = strlen(optarg);
            a->users = jf_malloc(n + 1);
            a->user_list = jf_calloc(n + 1, sizeof *a->user_list);
            if (!a->users || !a->user_list) { cli_errorf("out of memory"); return -1; }
            memcpy(a->users, optarg, n + 1);
            size_t k = 0;
            for (char *save = NULL, *tok = strtok_r(a->users, ",", &save); tok;
                 tok = strtok_r(NULL, ",", &save))
                a->user_list[k++] = tok;
            a->opt.user_symbols = a->user_list;
            a->opt.n_user_symbols = k;
            break;
        }
        case 'q': a->quiet = true; break;
        case 'h': train_usage(stdout); return 1;
        default: train_usage(stderr); return -1;
        }
    }
    if (!a->opt.vocab_size || !a->out) {
        cli_errorf("tokenizer train: --vocab-size N and --out DIR are required");
        return -1;
    }
    if (optind >= argc) {
        cli_errorf("tokenizer train: no INPUT given");
        return -1;
    }
    return 0;
}

static bool train_input_accept(const char *name)
{
    size_t n = strlen(name);
    static const char *const EXT[] = { ".jsonl.zst", ".jsonl", ".zst", ".txt" };
    for (size_t i = 0; i < sizeof EXT / sizeof EXT[0]; i++) {
        size_t k = strlen(EXT[i]);
        if (n >= k && !strcmp(name + n - k, EXT[i])) return true;
    }
    return false;
}

/* @return true when the file holds documents: a zstd frame or JSON lines. */
static bool is_doc_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    unsigned char b[64];
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    if (n >= 4 && b[0] == 0x28 && b[1] == 0xB5 && b[2] == 0x2F && b[3] == 0xFD) return true;
    size_t i = 0;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r')) i++;
    return i < n && b[i] == '{';
}

/* Feeds one file; bad documents are reported and counted, not fatal. */
static JfStatus train_feed(BpeTrainer *t, const char *path, uint64_t *docs, uint64_t *bad,
                           JfError *err)
{
    JfStatus rc = JF_OK;
    if (!is_doc_file(path)) {
        FILE *f = fopen(path, "rb");
        if (!f) return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while (rc == JF_OK && (n = getline(&line, &cap, f)) >= 0)
            rc = bpe_trainer_add_text(t, line, (size_t)n, err);
        if (rc == JF_OK && ferror(f)) rc = jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "read error");
        free(line);
        fclose(f);
        (*docs)++;
        return rc;
    }
    JfDocReader *r;
    if ((rc = jf_docreader_open(path, 0, &r, err)) != JF_OK) return rc;
    JfDoc d;
    if ((rc = jf_doc_init(&d)) != JF_OK) {
        jf_docreader_close(r);
        return jf_error_set(err, rc, path, JF_OFFSET_UNKNOWN, "out of memory");
    }
    for (;;) {
        rc = jf_docreader_next(r, &d, err);
        if (rc == JF_DONE) { rc = JF_OK; break; }
        if (rc == JF_EFORMAT) { cli_report(err); (*bad)++; continue; }
        if (rc != JF_ROW) break;
        (*docs)++;
        if ((rc = bpe_trainer_add_text(t, d.text, d.text_len, err)) != JF_OK) break;
    }
    jf_doc_free(&d);
    jf_docreader_close(r);
    return rc;
}

static int cli_train(int argc, char **argv)
{
    TrainArgs a = { 0 };
    int ret = CLI_EXIT_OK;
    int p = train_parse(argc, argv, &a);
    if (p) {
        ret = p > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
        goto out_args;
    }
    JfError err;
    jf_error_clear(&err);
    JfPathList files;
    jf_pathlist_init(&files);
    BpeTrainer *t = NULL;
    SpModel *m = NULL;
    for (int i = optind; i < argc; i++)
        if (jf_fs_expand_input(argv[i], train_input_accept, &files, &err) != JF_OK) goto out_err;
    a.opt.inputs = (const char *const *)files.paths;
    a.opt.n_inputs = files.count;
    if (bpe_trainer_open(&a.opt, &t, &err) != JF_OK) goto out_err;
    double t0 = cli_now();
    CliProgress prog;
    cli_progress_start(&prog, "tokenizer train", "files", files.count, a.quiet);
    uint64_t docs = 0, bad = 0;
    for (size_t i = 0; i < files.count; i++) {
        if (train_feed(t, files.paths[i], &docs, &bad, &err) != JF_OK) goto out_err;
        cli_progress_update(&prog, i + 1, files.paths[i]);
    }
    cli_progress_finish(&prog, "read");
    double t1 = cli_now();
    if (bpe_trainer_run(t, &m, &err) != JF_OK) goto out_err;
    double t2 = cli_now();
    if (jf_fs_mkdir_p(a.out, &err) != JF_OK) goto out_err;
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/tokenizer.model", a.out) >= sizeof path) {
        cli_errorf("%s: path too long", a.out);
        ret = CLI_EXIT_USAGE;
        goto out_free;
    }
    if (sp_model_save(m, path, &err) != JF_OK) goto out_err;
    size_t merges = 0;
    if (hf_export_write(m, a.out, &merges, &err) != JF_OK) goto out_err;
    const BpeTrainStats *st = bpe_trainer_stats(t);
    if (!a.quiet)
        fprintf(stderr,
                "tokenizer train: %llu documents (%llu bad), %llu sentences (%llu over "
                "--max-sentence-length skipped), %llu unique words, %llu characters; "
                "%llu kept, %llu rare; %llu merges (%llu duplicates skipped); %zu pieces, "
                "%zu HF merges; read %.2f s, train %.2f s\n",
                (unsigned long long)docs, (unsigned long long)bad,
                (unsigned long long)st->sentences, (unsigned long long)st->skipped_long,
                (unsigned long long)st->unique_words, (unsigned long long)st->chars,
                (unsigned long long)st->kept_chars, (unsigned long long)st->rare_chars,
                (unsigned long long)st->merges, (unsigned long long)st->duplicates,
                sp_model_size(m), merges, t1 - t0, t2 - t1);
    goto out_free;
out_err:
    cli_report(&err);
    ret = cli_exit_code(err.code);
out_free:
    sp_model_close(m);
    bpe_trainer_close(t);
    jf_pathlist_free(&files);
out_args:
    jf_free(a.users);
    jf_free(a.user_list);
    return ret;
}

/* ---- export-hf ---- */

static int cli_export_hf(int argc, char **argv)
{
    enum { O_MODEL = 256, O_OUT };
    static const struct option LONG[] = {
        { "model", required_argument, 0, O_MODEL },
        { "out", required_argument, 0, O_OUT },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *model = NULL, *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
        switch (c) {
        case O_MODEL: model = optarg; break;
        case O_OUT: out = optarg; break;
        case 'h':
            printf("usage: jaforge tokenizer export-hf --model MODEL --out DIR\n"
                   "Writes DIR/tokenizer.json and DIR/tokenizer_config.json (Hugging Face) for a\n"
                   "LLaMA-style SentencePiece BPE model (identity normalizer, whitespace kept).\n");
            return CLI_EXIT_OK;
        default: return CLI_EXIT_USAGE;
        }
    }
    if (!model || !out || optind < argc) {
        cli_errorf("tokenizer export-hf: --model MODEL and --out DIR are required (no other arguments)");
        return CLI_EXIT_USAGE;
    }
    JfError err;
    jf_error_clear(&err);
    SpModel *m = NULL;
    int ret = CLI_EXIT_OK;
    if (sp_model_load(model, &m, &err) != JF_OK || jf_fs_mkdir_p(out, &err) != JF_OK ||
        hf_export_write(m, out, NULL, &err) != JF_OK) {
        if (!err.path[0]) snprintf(err.path, sizeof err.path, "%s", model);
        cli_report(&err);
        ret = cli_exit_code(err.code);
    }
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
    if (!strcmp(argv[1], "train")) return cli_train(argc - 1, argv + 1);
    if (!strcmp(argv[1], "export-hf")) return cli_export_hf(argc - 1, argv + 1);
    if (!strcmp(argv[1], "extend") || !strcmp(argv[1], "stats")) {
        cli_errorf("tokenizer %s: not implemented yet", argv[1]);
        return CLI_EXIT_FAIL;
    }
    cli_errorf("tokenizer: unknown command '%s' (encode, decode, train, export-hf)", argv[1]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
