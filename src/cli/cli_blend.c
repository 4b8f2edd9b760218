/* cli_blend.c: `jaforge blend --out PLAN ... W1 PREFIX1 W2 PREFIX2 ...` plans a
 * mixture of Megatron datasets exactly as Megatron will draw it (prints the
 * --data-path string, per dataset the samples, tokens and epochs, warns past
 * --max-epochs, writes PLAN), and `jaforge blend show PLAN [--head N]` prints
 * Megatron's BlendedDataset order. Plan format: src/shard/blend_plan.h. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blend_plan.h"
#include "cli.h"
#include "jf_alloc.h"
#include "jf_fs.h"
#include "megatron_order.h"
#include "mmidx.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: jaforge blend --out PLAN (--samples N | --tokens N |\n"
        "                     --train-iters I --global-batch-size B) [options] W1 PREFIX1 ...\n"
        "       jaforge blend show PLAN [--split train|valid|test] [--resolve] [--head N]\n"
        "\n"
        "Plans a mixture of Megatron datasets (PREFIX.bin/.idx) with weights in Megatron's\n"
        "--data-path form and draws it as Megatron does: weights normalized in float64, each\n"
        "dataset asked for ceil(ceil(N*w)*1.005) samples, the blend of sum(ceil(N*w)) samples\n"
        "in the greedy blending order, GPTDataset epochs of each dataset's split. One blend\n"
        "per split (train, valid, test), each over the --split range of every dataset.\n"
        "Prints the --data-path string and per dataset the samples, tokens and epochs drawn;\n"
        "writes PLAN (JSON) for the trainer. `show` prints one line per blended sample in\n"
        "training order: DATASET_INDEX<TAB>SAMPLE_INDEX_IN_DATASET (--resolve adds the\n"
        "sequence and token offset where GPTDataset starts that sample).\n"
        "\n"
        "options:\n"
        "  --out PLAN              plan file to write (required)\n"
        "  --samples N             training samples (train iterations x global batch)\n"
        "  --tokens N              or a token budget: N / seq_len samples, rounded up\n"
        "  --train-iters I --global-batch-size B [--eval-interval E] [--eval-iters K]\n"
        "                          or Megatron's own: I*B train samples, (I/E+1)*K*B valid\n"
        "                          and K*B test samples (E 1000, K 100 by default)\n"
        "  --valid-samples N       samples of the valid blend (default 0: none)\n"
        "  --test-samples N        samples of the test blend (default 0: none)\n"
        "  --seq-len T             tokens per sample (default 2048)\n"
        "  --seed S                Megatron's --seed (default 1234)\n"
        "  --split A,B,C           Megatron's --split (default 969,30,1); a 0 part: no blend\n"
        "  --max-epochs E          warn when a dataset is repeated more than E times\n"
        "  --split NAME            (show) the blend of train (default), valid or test\n"
        "  --resolve               (show) also SEQUENCE<TAB>OFFSET of each sample's first token\n"
        "  --head N                (show) only the first N samples\n"
        "  -h, --help              this text\n");
}


/* ----------------------------------------------------------------- show ---- */

static int split_of(const char *name)
{
    for (int s = 0; s < BLEND_SPLITS; s++)
        if (!strcmp(name, blend_split_name(s))) return s;
    return -1;
}

/* GPTDataset's indices of every dataset of p in split s (for --resolve). */
static JfStatus show_indices(const BlendPlan *p, int s, MegatronGptIndex *g, JfError *err)
{
    JfStatus rc = JF_OK;
    for (size_t i = 0; rc == JF_OK && i < p->n; i++) {
        const BlendPlanSplit *x = &p->ds[i].split[s];
        if (!x->samples_drawn) continue;
        MmidxReader *r;
        if ((rc = mmidx_reader_open(p->ds[i].prefix, &r, err)) != JF_OK) break;
        uint64_t n = mmidx_reader_sequences(r);
        uint32_t *sizes = jf_malloc(n * sizeof *sizes + 1);
        if (!sizes) rc = jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
        for (uint64_t k = 0; sizes && k < n; k++) sizes[k] = mmidx_reader_length(r, k);
        if (rc == JF_OK && (x->end > n || p->ds[i].sequences != n))
            rc = jf_error_set(err, JF_EFORMAT, p->ds[i].prefix, JF_OFFSET_UNKNOWN,
                              "has %llu sequences, the plan says %llu", (unsigned long long)n,
                              (unsigned long long)p->ds[i].sequences);
        if (rc == JF_OK)
            rc = megatron_gpt_index_build(sizes, x->begin, x->end, x->samples_requested, p->seq_len,
                                          p->seed, &g[i], err);
        jf_free(sizes);
        mmidx_reader_close(r);
    }
    return rc;
}

static JfStatus show_print(const BlendPlan *p, int s, bool resolve, uint64_t head, JfError *err)
{
    double w[MEGATRON_MAX_DATASETS];
    for (size_t i = 0; i < p->n; i++) w[i] = p->ds[i].weight_normalized;
    MegatronGptIndex *g = jf_calloc(p->n, sizeof *g);
    MegatronBlender b;
    JfStatus st = JF_OK;
    if (!g) st = jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    if (st == JF_OK && resolve) st = show_indices(p, s, g, err);
    if (st == JF_OK) st = megatron_blender_init(&b, w, p->n, p->split_samples[s], err);
    if (st == JF_OK) {
        uint32_t d;
        uint64_t k;
        for (uint64_t i = 0; i < head && megatron_blender_next(&b, &d, &k); i++) {
            int n;
            if (resolve && k < g[d].shuffle_count) {
                int64_t row = g[d].shuffle_index[k];
                n = printf("%u\t%llu\t%d\t%lld\n", d, (unsigned long long)k,
                           g[d].doc_index[g[d].sample_index[2 * row]],
                           (long long)g[d].sample_index[2 * row + 1]);
            } else {
                n = printf("%u\t%llu\n", d, (unsigned long long)k);
            }
            if (n < 0) break;
        }
        megatron_blender_free(&b);
    }
    for (size_t i = 0; g && i < p->n; i++) megatron_gpt_index_free(&g[i]);
    jf_free(g);
    return st;
}

static int cmd_show(int argc, char **argv)
{
    enum { O_SPLIT = 256, O_RESOLVE };
    static const struct option LONG[] = {
        { "head", required_argument, 0, 'n' }, { "split", required_argument, 0, O_SPLIT },
        { "resolve", no_argument, 0, O_RESOLVE }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    uint64_t head = UINT64_MAX;
    int c, split = BLEND_TRAIN;
    bool resolve = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:h", LONG, NULL)) != -1) {
        if (c == 'h') { usage(stdout); return CLI_EXIT_OK; }
        if (c == O_RESOLVE) { resolve = true; continue; }
        if (c == O_SPLIT && (split = split_of(optarg)) >= 0) continue;
        if (c == O_SPLIT) {
            cli_errorf("--split: train, valid or test, not '%s'", optarg);
            return CLI_EXIT_USAGE;
        }
        if (c != 'n' || cli_parse_u64(optarg, "--head", &head)) {
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_errorf("blend show: expected one PLAN");
        return CLI_EXIT_USAGE;
    }
    BlendPlan p;
    JfError err;
    JfStatus st = blend_plan_read(argv[optind], &p, &err);
    if (st == JF_OK) {
        st = show_print(&p, split, resolve, head, &err);
        blend_plan_free(&p);
    }
    if (st != JF_OK) cli_report(&err);
    return st == JF_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* ----------------------------------------------------------------- plan ---- */

typedef struct {
    const char *out;
    uint64_t    samples, tokens, seq_len, seed;
    uint64_t    train_iters, gbs, eval_interval, eval_iters;
    uint64_t    valid, test;
    bool        has_valid, has_test;
    const char *split;
    double      max_epochs;    /* 0: no limit */
} BlendArgs;

enum { O_SAMPLES = 256, O_TOKENS, O_SEQ, O_SEED, O_SPLIT, O_MAXEP, O_ITERS, O_GBS, O_EINT,
       O_EITERS, O_VALID, O_TEST };

static int parse_option(int c, BlendArgs *a)
{
    switch (c) {
    case 'o': a->out = optarg; return 0;
    case O_SAMPLES: return cli_parse_u64(optarg, "--samples", &a->samples);
    case O_TOKENS: return cli_parse_u64(optarg, "--tokens", &a->tokens);
    case O_SEQ: return cli_parse_u64(optarg, "--seq-len", &a->seq_len);
    case O_SEED: return cli_parse_u64(optarg, "--seed", &a->seed);
    case O_ITERS: return cli_parse_u64(optarg, "--train-iters", &a->train_iters);
    case O_GBS: return cli_parse_u64(optarg, "--global-batch-size", &a->gbs);
    case O_EINT: return cli_parse_u64(optarg, "--eval-interval", &a->eval_interval);
    case O_EITERS: return cli_parse_u64(optarg, "--eval-iters", &a->eval_iters);
    case O_VALID: a->has_valid = true; return cli_parse_u64(optarg, "--valid-samples", &a->valid);
    case O_TEST: a->has_test = true; return cli_parse_u64(optarg, "--test-samples", &a->test);
    case O_SPLIT: a->split = optarg; return 0;
    case O_MAXEP: {
        char *end;
        a->max_epochs = strtod(optarg, &end);
        if (end != optarg && !*end && a->max_epochs > 0) return 0;
        cli_errorf("--max-epochs: not a positive number: '%s'", optarg);
        return -1;
    }
    default: usage(stderr); return -1;
    }
}

/* Sample counts from --samples/--tokens or Megatron's iterations. */
static int parse_sizes(BlendArgs *a)
{
    int given = (a->samples > 0) + (a->tokens > 0) + (a->train_iters > 0);
    if (given != 1) {
        cli_errorf("blend: give one of --samples N, --tokens N or --train-iters I");
        return -1;
    }
    if (a->train_iters && !a->gbs) {
        cli_errorf("blend: --train-iters needs --global-batch-size");
        return -1;
    }
    if (a->train_iters) {
        if (!a->eval_interval) { cli_errorf("--eval-interval: must be positive"); return -1; }
        a->samples = a->train_iters * a->gbs;
        if (!a->has_valid)
            a->valid = (a->train_iters / a->eval_interval + 1) * a->eval_iters * a->gbs;
        if (!a->has_test) a->test = a->eval_iters * a->gbs;
    }
    return 0;
}

static int parse_args(int argc, char **argv, BlendArgs *a)
{
    static const struct option LONG[] = {
        { "out", required_argument, 0, 'o' },
        { "samples", required_argument, 0, O_SAMPLES },
        { "tokens", required_argument, 0, O_TOKENS },
        { "seq-len", required_argument, 0, O_SEQ },
        { "seed", required_argument, 0, O_SEED },
        { "split", required_argument, 0, O_SPLIT },
        { "max-epochs", required_argument, 0, O_MAXEP },
        { "train-iters", required_argument, 0, O_ITERS },
        { "global-batch-size", required_argument, 0, O_GBS },
        { "eval-interval", required_argument, 0, O_EINT },
        { "eval-iters", required_argument, 0, O_EITERS },
        { "valid-samples", required_argument, 0, O_VALID },
        { "test-samples", required_argument, 0, O_TEST },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int c;
    optind = 1;
    /* '+': stop at the first weight, so W PREFIX pairs are never taken for options */
    while ((c = getopt_long(argc, argv, "+o:h", LONG, NULL)) != -1) {
        if (c == 'h') { usage(stdout); return 1; }
        if (parse_option(c, a)) return -1;
    }
    if (!a->out) { cli_errorf("blend: --out PLAN is required"); return -1; }
    if (parse_sizes(a)) return -1;
    if (a->seq_len == 0 || a->seq_len > INT32_MAX) { cli_errorf("--seq-len: out of range"); return -1; }
    if (a->seed > UINT32_MAX) { cli_errorf("--seed: must be below 2^32 (numpy's limit)"); return -1; }
    int rest = argc - optind;
    if (rest < 2 || rest % 2) {
        cli_errorf("blend: expected W1 PREFIX1 [W2 PREFIX2 ...]: %s", rest ? "a weight lacks its "
                   "prefix" : "no datasets");
        return -1;
    }
    return 0;
}

/* PREFIX, PREFIX.bin or PREFIX.idx -> jf_malloc'd PREFIX. */
static char *prefix_dup(const char *arg)
{
    size_t n = strlen(arg);
    if (n > 4 && (!strcmp(arg + n - 4, ".bin") || !strcmp(arg + n - 4, ".idx"))) n -= 4;
    return jf_strndup(arg, n);
}

static void print_split(const BlendPlan *p, int s, double max_epochs)
{
    printf("%s: %llu samples asked, blend of %llu samples of %u tokens (%llu tokens)\n",
           blend_split_name(s), (unsigned long long)p->split_requested[s],
           (unsigned long long)p->split_samples[s], p->seq_len,
           (unsigned long long)(p->split_samples[s] * p->seq_len));
    printf("%-3s %-10s %12s %14s %10s %8s %-23s %s\n", "#", "weight", "samples", "tokens", "epochs",
           "built", "sequences", "prefix");
    for (size_t i = 0; i < p->n; i++) {
        const BlendPlanDataset *d = &p->ds[i];
        const BlendPlanSplit *x = &d->split[s];
        uint64_t tokens = x->samples_drawn * p->seq_len;
        double epochs = x->tokens ? (double)tokens / (double)x->tokens : 0;
        char range[64];
        snprintf(range, sizeof range, "%llu..%llu", (unsigned long long)x->begin,
                 (unsigned long long)x->end);
        printf("%-3zu %-10.6f %12llu %14llu %10.3f %8llu %-23s %s\n", i, d->weight_normalized,
               (unsigned long long)x->samples_drawn, (unsigned long long)tokens, epochs,
               (unsigned long long)x->epochs, range, d->prefix);
        if (max_epochs > 0 && epochs > max_epochs)
            fprintf(stderr, "jaforge: warning: %s: %.2f epochs of its %s split, more than "
                    "--max-epochs %g\n", d->prefix, epochs, blend_split_name(s), max_epochs);
    }
}

static void print_plan(const BlendPlan *p, double max_epochs)
{
    char *dp = blend_plan_data_path(p);
    printf("--data-path %s\n", dp ? dp : "");
    jf_free(dp);
    printf("megatron: --split %s --seq-length %u --seed %u\n", p->split_text, p->seq_len, p->seed);
    for (int s = 0; s < BLEND_SPLITS; s++)
        if (s == BLEND_TRAIN || p->split_samples[s]) print_split(p, s, max_epochs);
}

static int cmd_plan(int argc, char **argv)
{
    BlendArgs a = { .seq_len = 2048, .seed = 1234, .split = "969,30,1", .eval_interval = 1000,
                    .eval_iters = 100 };
    int pr = parse_args(argc, argv, &a);
    if (pr) return pr > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    BlendPlan p;
    JfError err;
    JfStatus st = blend_plan_init(&p, (size_t)(argc - optind) / 2, &err);
    if (st != JF_OK) {
        cli_report(&err);
        return cli_exit_code(st);
    }
    p.seq_len = (uint32_t)a.seq_len;
    p.seed = (uint32_t)a.seed;
    p.samples_requested = a.samples ? a.samples : (a.tokens + a.seq_len - 1) / a.seq_len;
    p.split_requested[BLEND_VALID] = a.valid;
    p.split_requested[BLEND_TEST] = a.test;
    snprintf(p.split_text, sizeof p.split_text, "%s", a.split);
    for (size_t i = 0; st == JF_OK && i < p.n; i++) {
        p.ds[i].weight_text = jf_strdup(argv[optind + 2 * i]);
        p.ds[i].prefix = prefix_dup(argv[optind + 2 * i + 1]);
        if (!p.ds[i].weight_text || !p.ds[i].prefix)
            st = jf_error_set(&err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    }
    if (st == JF_OK) st = blend_plan_build(&p, &err);
    /* A dataset that does not exist is a usage error; a damaged one a failure. */
    int code = st == JF_EIO || st == JF_EUSAGE ? CLI_EXIT_USAGE : cli_exit_code(st);
    if (st == JF_OK) {
        st = jf_fs_mkdir_parent(a.out, &err);
        if (st == JF_OK) st = blend_plan_write(&p, a.out, &err);
        code = cli_exit_code(st);
    }
    if (st == JF_OK) print_plan(&p, a.max_epochs);
    else cli_report(&err);
    blend_plan_free(&p);
    return code;
}

int cli_blend_main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "show")) return cmd_show(argc - 1, argv + 1);
    return cmd_plan(argc, argv);
}
