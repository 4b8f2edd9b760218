/* cli_tokenizer.c: `jaforge tokenizer encode|decode|train|export-hf|extend|stats`.
 * encode prints one line of ids or pieces per input line, exactly as
 * `spm_encode --output_format=id|piece`; decode turns lines of ids back into
 * text like `spm_decode --input_format=id`. Lines are read in batches and
 * encoded by -j threads, each on a contiguous slice with its own scratch;
 * output keeps the input order. train learns a BPE vocabulary from documents
 * (.jsonl.zst / .jsonl) or plain text and writes tokenizer.model,
 * tokenizer.json and tokenizer_config.json (the words counted on -j threads,
 * the model the same for any count); export-hf writes the two JSON files for
 * an existing model.
 * extend adds Japanese pieces to a base model (bpe_extend.h) and reports on
 * held-out lines; stats compares models on text (characters and bytes per
 * token, byte-fallback and unknown rates).
 * The work is the tokenizer library's (src/tokenizer/tokenizer.h). */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
        "       jaforge tokenizer extend --base MODEL --add N --out DIR [options] INPUT...\n"
        "       jaforge tokenizer stats --model M [--model M2 ...] [--json] [--chart SVG] FILE...\n"
        "\n"
        "encode: one line in, one line out: the SentencePiece BPE encoding of each line as\n"
        "space-separated ids (default) or pieces, exactly as spm_encode prints it (no <s>).\n"
        "decode: lines of space-separated ids back to text, as spm_decode --input_format=id.\n"
        "FILE defaults to standard input; output goes to standard output.\n"
        "train: learns a SentencePiece-compatible BPE vocabulary (see train --help).\n"
        "export-hf: tokenizer.json + tokenizer_config.json for a LLaMA-style BPE model.\n"
        "extend: adds Japanese pieces to a base model (see extend --help).\n"
        "stats: characters per token and fallback rates of models on text (see stats --help).\n"
        "\n"
        "encode/decode options:\n"
        "  --model MODEL           a SentencePiece tokenizer.model (BPE; identity or NFKC rules)\n"
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

/* Writes v in decimal at p (room for 10 digits); @return the digits written.
 * Two digits at a time from a table: ids are most of what encode prints. */
static size_t put_uint(char *p, uint32_t v)
{
    static const char D2[201] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    char tmp[10];
    size_t n = 10;
    while (v >= 100) {
        uint32_t r = v % 100;
        v /= 100;
        n -= 2;
        memcpy(tmp + n, D2 + 2 * r, 2);
    }
    if (v >= 10) {
        n -= 2;
        memcpy(tmp + n, D2 + 2 * v, 2);
    } else {
        tmp[--n] = (char)('0' + v);
    }
    memcpy(p, tmp + n, 10 - n);
    return 10 - n;
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

/* The sampling options of train and extend (spm_train's input_sentence_size
 * and shuffle_input_sentence; see bpe_count.h). */
#define SAMPLE_HELP(what) \
    "  --input-sentence-size N   learn from a sample of N " what " (suffix k, M:\n" \
    "                            thousands, millions; 0: all, the default)\n" \
    "  --input-sentence-bytes B  and at most B bytes of them (suffix K, M, G: KiB, MiB,\n" \
    "                            GiB; 0: no cap); memory then holds the sample\n" \
    "  --no-shuffle-input-sentence  the first N " what ", not a uniform random sample\n" \
    "  --seed S                  seed of the random sample (0): same seed, same model\n"

enum { O_SAMPLE_SIZE = 512, O_SAMPLE_BYTES, O_SAMPLE_FIRST, O_SAMPLE_SEED };
#define SAMPLE_LONG_OPTIONS \
    { "input-sentence-size", required_argument, 0, O_SAMPLE_SIZE }, \
    { "input-sentence-bytes", required_argument, 0, O_SAMPLE_BYTES }, \
    { "no-shuffle-input-sentence", no_argument, 0, O_SAMPLE_FIRST }, \
    { "seed", required_argument, 0, O_SAMPLE_SEED }

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
        "  --pretokenize MODE        sentencepiece (default: words cut before spaces) or\n"
        "                            mecab (also at every MeCab morpheme, ipadic-utf8)\n"
        "  -j, --threads N           threads cutting the text into words (default: all\n"
        "                            cores); the model is the same for any N\n"
        SAMPLE_HELP("sentences")
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

/* A count with an optional suffix (k or K, M, G: unit, unit^2, unit^3).
 * @return 0, or -1 after saying why. */
static int count_parse(const char *s, const char *name, uint64_t unit, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t mul = 1;
    if (end != s && *end && !end[1]) {
        const char *suf = strchr("kKMG", *end);
        if (suf) {
            for (int i = *end == 'M' ? 2 : *end == 'G' ? 3 : 1; i > 0; i--) mul *= unit;
            end++;
        }
    }
    if (end == s || *end || errno || s[0] == '-' || (mul > 1 && v > UINT64_MAX / mul)) {
        cli_errorf("--%s: not a number: '%s'", name, s);
        return -1;
    }
    *out = (uint64_t)v * mul;
    return 0;
}

/* One of the SAMPLE_LONG_OPTIONS. @return 0, or -1 after saying why. */
static int sample_parse(int c, const char *arg, uint64_t *size, uint64_t *bytes, bool *shuffle,
                        uint64_t *seed)
{
    switch (c) {
    case O_SAMPLE_SIZE: return count_parse(arg, "input-sentence-size", 1000, size);
    case O_SAMPLE_BYTES: return count_parse(arg, "input-sentence-bytes", 1024, bytes);
    case O_SAMPLE_FIRST: *shuffle = false; return 0;
    default: return cli_parse_u64(arg, "--seed", seed);
    }
}

/* Default -j of train and extend: every online core. */
static int32_t cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > BPE_COUNT_MAX_THREADS ? BPE_COUNT_MAX_THREADS : (int32_t)n;
}

/* -j N of train and extend. @return 0, or -1 after saying why. */
static int threads_parse(const char *s, int32_t *out)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (end == s || *end || n < 1) {
        cli_errorf("--threads: not a positive number: '%s'", s);
        return -1;
    }
    *out = n > BPE_COUNT_MAX_THREADS ? BPE_COUNT_MAX_THREADS : (int32_t)n;
    return 0;
}

/* --pretokenize MODE. @return 0, or -1 after saying why. */
static int pretok_parse(const char *s, BpePretok *out)
{
    if (!strcmp(s, "sentencepiece")) *out = BPE_PRETOK_SENTENCEPIECE;
    else if (!strcmp(s, "mecab")) *out = BPE_PRETOK_MECAB;
    else {
        cli_errorf("--pretokenize: expected sentencepiece or mecab, not '%s'", s);
        return -1;
    }
    return 0;
}

static int train_parse(int argc, char **argv, TrainArgs *a)
{
    enum { O_VOCAB = 256, O_OUT, O_COV, O_PLEN, O_SLEN, O_NOBYTE, O_NODIGIT, O_USER, O_PRETOK };
    static const struct option LONG[] = {
        { "vocab-size", required_argument, 0, O_VOCAB },
        { "out", required_argument, 0, O_OUT },
        { "character-coverage", required_argument, 0, O_COV },
        { "max-piece-length", required_argument, 0, O_PLEN },
        { "max-sentence-length", required_argument, 0, O_SLEN },
        { "no-byte-fallback", no_argument, 0, O_NOBYTE },
        { "no-split-digits", no_argument, 0, O_NODIGIT },
        { "user-defined-symbols", required_argument, 0, O_USER },
        { "pretokenize", required_argument, 0, O_PRETOK },
        { "threads", required_argument, 0, 'j' },
        SAMPLE_LONG_OPTIONS,
        { "quiet", no_argument, 0, 'q' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    bpe_train_options_default(&a->opt, 0);
    a->opt.threads = cores();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hqj:", LONG, NULL)) != -1) {
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
        case O_PRETOK:
            if (pretok_parse(optarg, &a->opt.pretokenize) != 0) return -1;
            break;
        case 'j':
            if (threads_parse(optarg, &a->opt.threads) != 0) return -1;
            break;
        case O_SAMPLE_SIZE: case O_SAMPLE_BYTES: case O_SAMPLE_FIRST: case O_SAMPLE_SEED:
            if (sample_parse(c, optarg, &a->opt.input_sentence_size, &a->opt.input_sentence_bytes,
                             &a->opt.shuffle_input_sentence, &a->opt.seed) != 0)
                return -1;
            break;
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

typedef JfStatus (*TextSink)(void *ctx, const char *text, size_t len, JfError *err);

/* Feeds one file's text to sink: a plain file line by line, a document file
 * document by document; bad documents are reported and counted, not fatal. */
static JfStatus feed_file(const char *path, TextSink sink, void *ctx, uint64_t *docs,
                          uint64_t *bad, JfError *err)
{
    JfStatus rc = JF_OK;
    if (!is_doc_file(path)) {
        FILE *f = fopen(path, "rb");
        if (!f) return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while (rc == JF_OK && (n = getline(&line, &cap, f)) >= 0) rc = sink(ctx, line, (size_t)n, err);
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
        if ((rc = sink(ctx, d.text, d.text_len, err)) != JF_OK) break;
    }
    jf_doc_free(&d);
    jf_docreader_close(r);
    return rc;
}

/* JF_DONE once a first-sentences sample is complete: reading stops. */
static JfStatus train_sink(void *ctx, const char *text, size_t len, JfError *err)
{
    JfStatus rc = bpe_trainer_add_text(ctx, text, len, err);
    return rc == JF_OK && bpe_trainer_sample_full(ctx) ? JF_DONE : rc;
}

static JfStatus train_feed(BpeTrainer *t, const char *path, uint64_t *docs, uint64_t *bad,
                           JfError *err)
{
    return feed_file(path, train_sink, t, docs, bad, err);
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
        JfStatus frc = train_feed(t, files.paths[i], &docs, &bad, &err);
        if (frc == JF_DONE) break;   /* the first sentences are all in */
        if (frc != JF_OK) goto out_err;
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
    if (!a.quiet && (a.opt.input_sentence_size || a.opt.input_sentence_bytes))
        fprintf(stderr, "tokenizer train: sample of %llu sentences (%llu bytes) of %llu read, %s\n",
                (unsigned long long)st->sentences, (unsigned long long)st->sample_bytes,
                (unsigned long long)st->seen_sentences,
                a.opt.shuffle_input_sentence ? "uniform random" : "the first ones");
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

/* ---- extend ---- */

#define EXT_HELDOUT_MAX ((size_t)16 << 20)   /* bytes of held-out lines kept for the report */

typedef struct {
    BpeExtender *x;
    unsigned     every;        /* every N-th line is held out (0: none) */
    uint64_t     line_no;
    char       **held;         /* held-out lines */
    size_t      *held_len;
    size_t       n_held, cap_held, held_bytes;
} ExtendFeed;

static JfStatus extend_sink(void *ctx, const char *text, size_t len, JfError *err)
{
    ExtendFeed *f = ctx;
    for (size_t p = 0; p < len;) {
        const char *nl = memchr(text + p, '\n', len - p);
        size_t n = nl ? (size_t)(nl - (text + p)) : len - p;
        size_t k = n && text[p + n - 1] == '\r' ? n - 1 : n;
        if (k) {
            bool hold = f->every && ++f->line_no % f->every == 0;
            if (hold && f->held_bytes + k <= EXT_HELDOUT_MAX) {
                if (f->n_held == f->cap_held) {
                    size_t cap = f->cap_held ? f->cap_held * 2 : 1024;
                    char **h = jf_realloc(f->held, cap * sizeof *h);
                    size_t *hl = h ? jf_realloc(f->held_len, cap * sizeof *hl) : NULL;
                    if (h) f->held = h;
                    if (!hl) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
                    f->held_len = hl;
                    f->cap_held = cap;
                }
                char *c = jf_strndup(text + p, k);
                if (!c) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
                f->held[f->n_held] = c;
                f->held_len[f->n_held++] = k;
                f->held_bytes += k;
            } else if (!hold) {
                JfStatus rc = bpe_extender_add_text(f->x, text + p, k, err);
                if (rc != JF_OK) return rc;
                if (bpe_extender_sample_full(f->x)) return JF_DONE;   /* reading stops */
            }
        }
        p += n + 1;
    }
    return JF_OK;
}

static bool text_has_japanese(const char *s, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0xE3 || c > 0xF0) continue;   /* Japanese characters are 3 or 4 bytes */
        uint32_t cp = c < 0xF0 ? (uint32_t)(c & 0x0F) << 12 | (uint32_t)(s[i + 1] & 0x3F) << 6 |
                                     (uint32_t)(s[i + 2] & 0x3F)
                               : (i + 3 < n ? (uint32_t)(c & 7) << 18 | (uint32_t)(s[i + 1] & 0x3F) << 12 |
                                     (uint32_t)(s[i + 2] & 0x3F) << 6 | (uint32_t)(s[i + 3] & 0x3F)
                                            : 0);
        if (bpe_char_is_japanese(cp)) return true;
    }
    return false;
}

static uint64_t utf8_chars(const char *s, size_t n)
{
    uint64_t c = 0;
    for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

typedef struct {
    uint64_t ja_lines, ja_chars, ja_base, ja_ext;   /* tokens */
    uint64_t other_lines, other_changed;
    size_t   used;                                  /* distinct new pieces used */
} ExtendReport;

/* Encodes the held-out lines with both models (one scratch each: a scratch
 * caches chunks of one model). */
static JfStatus extend_report(const SpModel *base, const SpModel *ext, const ExtendFeed *f,
                              ExtendReport *r, JfError *err)
{
    memset(r, 0, sizeof *r);
    size_t nb = sp_model_size(base), ne = sp_model_size(ext);
    bool *seen = jf_calloc(ne - nb + 1, sizeof *seen);
    BpeScratch *sb = NULL, *se = NULL;
    JfStatus rc = seen ? JF_OK : jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    if (rc == JF_OK) rc = bpe_scratch_open(&sb, err);
    if (rc == JF_OK) rc = bpe_scratch_open(&se, err);
    for (size_t i = 0; rc == JF_OK && i < f->n_held; i++) {
        const BpeToken *tb, *te;
        size_t n_b, n_e;
        if ((rc = bpe_encode(base, sb, f->held[i], f->held_len[i], &tb, &n_b, err)) != JF_OK ||
            (rc = bpe_encode(ext, se, f->held[i], f->held_len[i], &te, &n_e, err)) != JF_OK)
            break;
        for (size_t k = 0; k < n_e; k++)
            if (te[k].id >= nb && !seen[te[k].id - nb]) { seen[te[k].id - nb] = true; r->used++; }
        if (text_has_japanese(f->held[i], f->held_len[i])) {
            r->ja_lines++;
            r->ja_chars += utf8_chars(f->held[i], f->held_len[i]);
            r->ja_base += n_b;
            r->ja_ext += n_e;
            continue;
        }
        r->other_lines++;
        bool same = n_b == n_e;
        for (size_t k = 0; same && k < n_b; k++) same = tb[k].id == te[k].id;
        r->other_changed += !same;
    }
    bpe_scratch_close(sb);
    bpe_scratch_close(se);
    jf_free(seen);
    return rc;
}

static void extend_usage(FILE *f)
{
    fprintf(f,
        "usage: jaforge tokenizer extend --base MODEL --add N --out DIR [options] INPUT...\n"
        "\n"
        "Adds N Japanese pieces (16k = 16000, 32k = 32000) learned from INPUT (documents\n"
        ".jsonl.zst / .jsonl, or plain text, one sentence per line) to the SentencePiece BPE\n"
        "model MODEL, continuing BPE from its merges. Base ids stay; every new piece holds a\n"
        "Japanese character, so other text encodes as before. Writes DIR/tokenizer.model,\n"
        "DIR/tokenizer.json, DIR/tokenizer_config.json and DIR/new_pieces.tsv (id, piece, the\n"
        "base ids it splits into), then reports on the held-out lines.\n"
        "\n"
        "options:\n"
        "  --base MODEL              the tokenizer.model to extend (required)\n"
        "  --add N                   new pieces: a number, 16k or 32k (required)\n"
        "  --out DIR                 output folder, created when missing (required)\n"
        "  --strip-prefix            new pieces never start with U+2581 (as llm-jp's)\n"
        "  --pretokenize MODE        sentencepiece (default) or mecab: words also cut at\n"
        "                            MeCab morphemes (ipadic-utf8); implies --strip-prefix\n"
        "  --keep-prefix             with mecab: keep the U+2581 of real spaces and line\n"
        "                            starts (new pieces may start with one)\n"
        "  --heldout-every K         every K-th line is held out for the report (20; 0: none)\n"
        "  --character-coverage F    Japanese characters the base lacks, added up to this\n"
        "                            share of Japanese character occurrences (0.9995)\n"
        "  --min-frequency N         pairs seen fewer times are not merged (2)\n"
        "  -j, --threads N           threads cutting the text into words (default: all\n"
        "                            cores); the model is the same for any N\n"
        SAMPLE_HELP("Japanese lines")
        "  -q, --quiet               no progress\n"
        "  -h, --help                this text\n");
}

typedef struct {
    BpeExtendOptions opt;
    const char *base, *out;
    unsigned every;
    bool quiet;
} ExtendArgs;

static int extend_parse(int argc, char **argv, ExtendArgs *a)
{
    enum { O_BASE = 256, O_ADD, O_OUT, O_STRIP, O_KEEP, O_EVERY, O_COV, O_MINF, O_PRETOK };
    static const struct option LONG[] = {
        { "base", required_argument, 0, O_BASE },
        { "add", required_argument, 0, O_ADD },
        { "out", required_argument, 0, O_OUT },
        { "strip-prefix", no_argument, 0, O_STRIP },
        { "keep-prefix", no_argument, 0, O_KEEP },
        { "pretokenize", required_argument, 0, O_PRETOK },
        { "threads", required_argument, 0, 'j' },
        { "heldout-every", required_argument, 0, O_EVERY },
        { "character-coverage", required_argument, 0, O_COV },
        { "min-frequency", required_argument, 0, O_MINF },
        SAMPLE_LONG_OPTIONS,
        { "quiet", no_argument, 0, 'q' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    bpe_extend_options_default(&a->opt, 0);
    a->opt.threads = cores();
    a->every = 20;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hqj:", LONG, NULL)) != -1) {
        char *end = NULL;
        long v = 0;
        if (c == O_ADD || c == O_EVERY || c == O_MINF) {
            if (c == O_ADD && !strcmp(optarg, "16k")) { a->opt.n_add = 16000; continue; }
            if (c == O_ADD && !strcmp(optarg, "32k")) { a->opt.n_add = 32000; continue; }
            v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < (c == O_EVERY ? 0 : 1) || v > 1 << 24) {
                cli_errorf("tokenizer extend: not a valid number: '%s'", optarg);
                return -1;
            }
        }
        switch (c) {
        case O_BASE: a->base = optarg; break;
        case O_OUT: a->out = optarg; break;
        case O_ADD: a->opt.n_add = (size_t)v; break;
        case O_EVERY: a->every = (unsigned)v; break;
        case O_MINF: a->opt.min_frequency = (uint64_t)v; break;
        case O_STRIP: a->opt.strip_prefix = true; break;
        case O_KEEP: a->opt.keep_prefix = true; break;
        case O_SAMPLE_SIZE: case O_SAMPLE_BYTES: case O_SAMPLE_FIRST: case O_SAMPLE_SEED:
            if (sample_parse(c, optarg, &a->opt.input_sentence_size, &a->opt.input_sentence_bytes,
                             &a->opt.shuffle_input_sentence, &a->opt.seed) != 0)
                return -1;
            break;
        case 'j':
            if (threads_parse(optarg, &a->opt.threads) != 0) return -1;
            break;
        case O_PRETOK:
            if (pretok_parse(optarg, &a->opt.pretokenize) != 0) return -1;
            break;
        case O_COV: {
            double f = strtod(optarg, &end);
            if (end == optarg || *end || !(f >= 0 && f <= 1)) {
                cli_errorf("--character-coverage: expected a number in [0, 1], not '%s'", optarg);
                return -1;
            }
            a->opt.character_coverage = (float)f;
            break;
        }
        case 'q': a->quiet = true; break;
        case 'h': extend_usage(stdout); return 1;
        default: extend_usage(stderr); return -1;
        }
    }
    if (!a->base || !a->out || !a->opt.n_add) {
        cli_errorf("tokenizer extend: --base MODEL, --add N and --out DIR are required");
        return -1;
    }
    if (a->opt.keep_prefix && a->opt.strip_prefix) {
        cli_errorf("tokenizer extend: --keep-prefix and --strip-prefix exclude each other");
        return -1;
    }
    if (optind >= argc) {
        cli_errorf("tokenizer extend: no INPUT given");
        return -1;
    }
    return 0;
}

static JfStatus extend_write(const SpModel *base, const SpModel *ext, const char *dir, JfError *err)
{
    char path[4096];
    JfStatus rc = jf_fs_mkdir_p(dir, err);
    if (rc != JF_OK) return rc;
    if ((size_t)snprintf(path, sizeof path, "%s/tokenizer.model", dir) >= sizeof path)
        return jf_error_set(err, JF_EUSAGE, dir, JF_OFFSET_UNKNOWN, "path too long");
    if ((rc = sp_model_save(ext, path, err)) != JF_OK) return rc;
    if ((rc = hf_export_write(ext, dir, NULL, err)) != JF_OK) return rc;
    snprintf(path, sizeof path, "%s/new_pieces.tsv", dir);
    return bpe_new_pieces_write(base, ext, path, err);
}

static int cli_extend(int argc, char **argv)
{
    ExtendArgs a = { 0 };
    int p = extend_parse(argc, argv, &a);
    if (p) return p > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    JfError err;
    jf_error_clear(&err);
    JfPathList files;
    jf_pathlist_init(&files);
    SpModel *base = NULL, *ext = NULL;
    ExtendFeed feed = { .every = a.every };
    int ret = CLI_EXIT_OK;
    if (sp_model_load(a.base, &base, &err) != JF_OK) goto out_err;
    if (bpe_extender_open(base, &a.opt, &feed.x, &err) != JF_OK) {
        if (!err.path[0]) snprintf(err.path, sizeof err.path, "%s", a.base);
        goto out_err;
    }
    for (int i = optind; i < argc; i++)
        if (jf_fs_expand_input(argv[i], train_input_accept, &files, &err) != JF_OK) goto out_err;
    double t0 = cli_now();
    CliProgress prog;
    cli_progress_start(&prog, "tokenizer extend", "files", files.count, a.quiet);
    uint64_t docs = 0, bad = 0;
    for (size_t i = 0; i < files.count; i++) {
        JfStatus frc = feed_file(files.paths[i], extend_sink, &feed, &docs, &bad, &err);
        if (frc == JF_DONE) break;   /* the first lines are all in */
        if (frc != JF_OK) goto out_err;
        cli_progress_update(&prog, i + 1, files.paths[i]);
    }
    cli_progress_finish(&prog, "read");
    double t1 = cli_now();
    if (bpe_extender_run(feed.x, &ext, &err) != JF_OK) goto out_err;
    double t2 = cli_now();
    if (extend_write(base, ext, a.out, &err) != JF_OK) goto out_err;
    const BpeExtendStats *st = bpe_extender_stats(feed.x);
    if (!a.quiet && (a.opt.input_sentence_size || a.opt.input_sentence_bytes))
        fprintf(stderr, "tokenizer extend: sample of %llu Japanese lines (%llu bytes) of %llu "
                "read, %s\n", (unsigned long long)st->used_sentences,
                (unsigned long long)st->sample_bytes, (unsigned long long)st->ja_sentences,
                a.opt.shuffle_input_sentence ? "uniform random" : "the first ones");
    size_t added = sp_model_size(ext) - sp_model_size(base);
    printf("tokenizer extend: %zu + %zu = %zu pieces (%llu characters, %llu merges; asked %zu%s)\n",
           sp_model_size(base), added, sp_model_size(ext), (unsigned long long)st->new_chars,
           (unsigned long long)st->merges, a.opt.n_add,
           added < a.opt.n_add ? ": the text ran out of pairs" : "");
    if (!a.quiet)
        fprintf(stderr,
                "tokenizer extend: %llu documents (%llu bad), %llu sentences (%llu Japanese), "
                "%llu unique Japanese words, %llu Japanese characters left to byte fallback, "
                "%llu duplicate merges skipped; read %.2f s, learn %.2f s\n",
                (unsigned long long)docs, (unsigned long long)bad,
                (unsigned long long)st->sentences, (unsigned long long)st->ja_sentences,
                (unsigned long long)st->unique_words, (unsigned long long)st->dropped_chars,
                (unsigned long long)st->duplicates, t1 - t0, t2 - t1);
    if (feed.n_held) {
        ExtendReport r;
        if (extend_report(base, ext, &feed, &r, &err) != JF_OK) goto out_err;
        printf("held out: %zu lines; new pieces used: %zu of %zu\n", feed.n_held, r.used, added);
        if (r.ja_lines)
            printf("held out Japanese: %llu lines, %llu characters; tokens %llu -> %llu; "
                   "characters per token %.4f -> %.4f\n",
                   (unsigned long long)r.ja_lines, (unsigned long long)r.ja_chars,
                   (unsigned long long)r.ja_base, (unsigned long long)r.ja_ext,
                   r.ja_base ? (double)r.ja_chars / (double)r.ja_base : 0,
                   r.ja_ext ? (double)r.ja_chars / (double)r.ja_ext : 0);
        printf("held out other lines: %llu, encoded differently: %llu\n",
               (unsigned long long)r.other_lines, (unsigned long long)r.other_changed);
    }
    goto out_free;
out_err:
    cli_report(&err);
    ret = cli_exit_code(err.code);
out_free:
    for (size_t i = 0; i < feed.n_held; i++) jf_free(feed.held[i]);
    jf_free(feed.held);
    jf_free(feed.held_len);
    bpe_extender_close(feed.x);
    sp_model_close(ext);
    sp_model_close(base);
    jf_pathlist_free(&files);
    return ret;
}

/* ---- stats ---- */

#define STATS_MAX_MODELS 16
#define STATS_MAX_SETS 64

typedef struct {
    uint64_t tokens, bytes_fb, unk;
} StatsCount;

/* One text set: the files of one FILE argument. */
typedef struct {
    const char *name;
    uint64_t    lines, chars, bytes;
    StatsCount  c[STATS_MAX_MODELS];
} StatsSet;

typedef struct {
    const char *path[STATS_MAX_MODELS];
    SpModel    *m[STATS_MAX_MODELS];
    BpeScratch *s[STATS_MAX_MODELS];
    size_t      n;
    StatsSet   *set;       /* the set being read */
} StatsRun;

static JfStatus stats_sink(void *ctx, const char *text, size_t len, JfError *err)
{
    StatsRun *r = ctx;
    StatsSet *set = r->set;
    for (size_t p = 0; p < len;) {
        const char *nl = memchr(text + p, '\n', len - p);
        size_t n = nl ? (size_t)(nl - (text + p)) : len - p;
        size_t k = n && text[p + n - 1] == '\r' ? n - 1 : n;
        if (k) {
            set->lines++;
            set->chars += utf8_chars(text + p, k);
            set->bytes += k;
            for (size_t i = 0; i < r->n; i++) {
                const BpeToken *t;
                size_t nt;
                JfStatus rc = bpe_encode(r->m[i], r->s[i], text + p, k, &t, &nt, err);
                if (rc != JF_OK) return rc;
                StatsCount *c = &set->c[i];
                c->tokens += nt;
                uint32_t unk = (uint32_t)sp_model_info(r->m[i])->unk_id;
                for (size_t j = 0; j < nt; j++) {
                    c->bytes_fb += sp_model_type(r->m[i], t[j].id) == SP_PIECE_BYTE;
                    c->unk += t[j].id == unk;
                }
            }
        }
        p += n + 1;
    }
    return JF_OK;
}

static void stats_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static double ratio(uint64_t a, uint64_t b) { return b ? (double)a / (double)b : 0; }

/* The figures of one set (or the total) as JSON members, without braces. */
static void stats_json_set(const StatsRun *r, const StatsSet *s)
{
    printf("\"lines\": %llu, \"characters\": %llu, \"bytes\": %llu, \"models\": [",
           (unsigned long long)s->lines, (unsigned long long)s->chars,
           (unsigned long long)s->bytes);
    for (size_t i = 0; i < r->n; i++) {
        const StatsCount *c = &s->c[i];
        printf("%s{\"model\": ", i ? ", " : "");
        stats_json_string(r->path[i]);
        printf(", \"pieces\": %zu, \"tokens\": %llu, \"chars_per_token\": %.6f, "
               "\"bytes_per_token\": %.6f, \"byte_fallback_rate\": %.6f, \"unknown_rate\": %.6f}",
               sp_model_size(r->m[i]), (unsigned long long)c->tokens, ratio(s->chars, c->tokens),
               ratio(s->bytes, c->tokens), ratio(c->bytes_fb, c->tokens),
               ratio(c->unk, c->tokens));
    }
    putchar(']');
}

static void stats_table(const StatsRun *r, const StatsSet *s)
{
    printf("%s: %llu lines, %llu characters, %llu bytes\n", s->name,
           (unsigned long long)s->lines, (unsigned long long)s->chars,
           (unsigned long long)s->bytes);
    printf("%-40s %8s %12s %12s %12s %14s %10s\n", "model", "pieces", "tokens", "chars/token",
           "bytes/token", "byte-fallback", "unknown");
    for (size_t i = 0; i < r->n; i++) {
        const StatsCount *c = &s->c[i];
        printf("%-40s %8zu %12llu %12.4f %12.4f %13.4f%% %9.4f%%\n", r->path[i],
               sp_model_size(r->m[i]), (unsigned long long)c->tokens, ratio(s->chars, c->tokens),
               ratio(s->bytes, c->tokens), 100 * ratio(c->bytes_fb, c->tokens),
               100 * ratio(c->unk, c->tokens));
    }
}

/* Totals first (the whole text), then one entry per set when there are several. */
static void stats_print(const StatsRun *r, const StatsSet *sets, size_t n_sets,
                        const StatsSet *total, bool json)
{
    if (json) {
        putchar('{');
        stats_json_set(r, total);
        printf(", \"sets\": [");
        for (size_t k = 0; k < n_sets; k++) {
            printf("%s{\"name\": ", k ? ", " : "");
            stats_json_string(sets[k].name);
            printf(", ");
            stats_json_set(r, &sets[k]);
            putchar('}');
        }
        printf("]}\n");
        return;
    }
    for (size_t k = 0; n_sets > 1 && k < n_sets; k++) {
        stats_table(r, &sets[k]);
        putchar('\n');
    }
    stats_table(r, total);
}

static JfStatus stats_chart(const StatsRun *r, const StatsSet *sets, size_t n_sets,
                            const char *path, JfError *err)
{
    double v[STATS_MAX_SETS * STATS_MAX_MODELS];
    const char *names[STATS_MAX_SETS];
    for (size_t k = 0; k < n_sets; k++) {
        names[k] = sets[k].name;
        for (size_t i = 0; i < r->n; i++)
            v[k * r->n + i] = ratio(sets[k].chars, sets[k].c[i].tokens);
    }
    TokChart c = { "Characters per token (higher is better)", names, n_sets, r->path, r->n, v };
    return tok_chart_write_svg(&c, path, err);
}

static void stats_usage(void)
{
    printf("usage: jaforge tokenizer stats --model M [--model M2 ...] [--json] [--chart SVG] "
           "FILE...\n"
           "Encodes every line of each FILE (plain text, documents .jsonl.zst / .jsonl, or a\n"
           "directory of them: one text set per FILE) with each model and prints characters\n"
           "per token, bytes per token, the share of byte-fallback and of <unk> tokens, one\n"
           "row per model: a table per text set when there are several, then the total\n"
           "(--json: one JSON object, totals and \"sets\"). No <s> is counted.\n"
           "  --chart SVG   also write a bar chart (SVG) of characters per token, one group\n"
           "                of bars per text set, one bar per model\n");
}

/* Reads every text set with every model: sets[k] gets FILE argument k. */
static JfStatus stats_read(StatsRun *r, char **args, size_t n_args, StatsSet *sets,
                           JfError *err)
{
    JfStatus rc = JF_OK;
    for (size_t k = 0; k < n_args && rc == JF_OK; k++) {
        JfPathList files;
        jf_pathlist_init(&files);
        sets[k].name = args[k];
        r->set = &sets[k];
        rc = jf_fs_expand_input(args[k], train_input_accept, &files, err);
        uint64_t docs = 0, bad = 0;
        for (size_t i = 0; rc == JF_OK && i < files.count; i++)
            rc = feed_file(files.paths[i], stats_sink, r, &docs, &bad, err);
        jf_pathlist_free(&files);
    }
    return rc;
}

static int cli_stats(int argc, char **argv)
{
    enum { O_MODEL = 256, O_JSON, O_CHART };
    static const struct option LONG[] = {
        { "model", required_argument, 0, O_MODEL },
        { "json", no_argument, 0, O_JSON },
        { "chart", required_argument, 0, O_CHART },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    StatsRun run;
    memset(&run, 0, sizeof run);
    bool json = false;
    const char *chart = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
        switch (c) {
        case O_MODEL:
            if (run.n == STATS_MAX_MODELS) {
                cli_errorf("tokenizer stats: at most %d models", STATS_MAX_MODELS);
                return CLI_EXIT_USAGE;
            }
            run.path[run.n++] = optarg;
            break;
        case O_JSON: json = true; break;
        case O_CHART: chart = optarg; break;
        case 'h': stats_usage(); return CLI_EXIT_OK;
        default: return CLI_EXIT_USAGE;
        }
    }
    size_t n_sets = optind < argc ? (size_t)(argc - optind) : 0;
    if (!run.n || !n_sets) {
        cli_errorf("tokenizer stats: --model M and at least one FILE are required");
        return CLI_EXIT_USAGE;
    }
    if (n_sets > STATS_MAX_SETS) {
        cli_errorf("tokenizer stats: at most %d FILE arguments (text sets)", STATS_MAX_SETS);
        return CLI_EXIT_USAGE;
    }
    JfError err;
    jf_error_clear(&err);
    int ret = CLI_EXIT_OK;
    StatsSet *sets = jf_calloc(n_sets + 1, sizeof *sets);
    if (!sets) {
        cli_errorf("out of memory");
        return CLI_EXIT_FAIL;
    }
    for (size_t i = 0; i < run.n; i++) {
        if (sp_model_load(run.path[i], &run.m[i], &err) != JF_OK) goto out_err;
        if (bpe_model_check(run.m[i], &err) != JF_OK) {
            snprintf(err.path, sizeof err.path, "%s", run.path[i]);
            goto out_err;
        }
        if (bpe_scratch_open(&run.s[i], &err) != JF_OK) goto out_err;
    }
    if (stats_read(&run, argv + optind, n_sets, sets, &err) != JF_OK) goto out_err;
    StatsSet *total = &sets[n_sets];
    total->name = "all";
    for (size_t k = 0; k < n_sets; k++) {
        total->lines += sets[k].lines;
        total->chars += sets[k].chars;
        total->bytes += sets[k].bytes;
        for (size_t i = 0; i < run.n; i++) {
            total->c[i].tokens += sets[k].c[i].tokens;
            total->c[i].bytes_fb += sets[k].c[i].bytes_fb;
            total->c[i].unk += sets[k].c[i].unk;
        }
    }
    if (chart && stats_chart(&run, sets, n_sets, chart, &err) != JF_OK) goto out_err;
    stats_print(&run, sets, n_sets, total, json);
    if (fflush(stdout) != 0) {
        cli_errorf("cannot write standard output");
        ret = CLI_EXIT_FAIL;
    }
    goto out_free;
out_err:
    cli_report(&err);
    ret = cli_exit_code(err.code);
out_free:
    for (size_t i = 0; i < run.n; i++) {
        bpe_scratch_close(run.s[i]);
        sp_model_close(run.m[i]);
    }
    jf_free(sets);
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
    if (!strcmp(argv[1], "extend")) return cli_extend(argc - 1, argv + 1);
    if (!strcmp(argv[1], "stats")) return cli_stats(argc - 1, argv + 1);
    cli_errorf("tokenizer: unknown command '%s' (encode, decode, train, export-hf, extend, stats)",
               argv[1]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
