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
        "usage: jaforge blend --out PLAN (--samples N | --tokens N) [options] W1 PREFIX1 [W2 PREFIX2 ...]\n"
        "       jaforge blend show PLAN [--head N]\n"
        "\n"
        "Plans a mixture of Megatron datasets (PREFIX.bin/.idx) with weights in Megatron's\n"
        "--data-path form and draws it as Megatron does: weights normalized in float64, each\n"
        "dataset asked for ceil(ceil(N*w)*1.005) samples, the blend of sum(ceil(N*w)) samples\n"
        "in the greedy blending order, GPTDataset epochs of each train split. Prints the\n"
        "--data-path string and per dataset the samples, tokens and epochs drawn; writes PLAN\n"
        "(JSON) for the trainer. `show` prints one line per blended sample in training order:\n"
        "DATASET_INDEX<TAB>SAMPLE_INDEX_IN_DATASET.\n"
        "\n"
        "options:\n"
        "  --out PLAN          plan file to write (required)\n"
        "  --samples N         training samples (train iterations x global batch)\n"
        "  --tokens N          or a token budget: N / seq_len samples, rounded up\n"
        "  --seq-len T         tokens per sample (default 2048)\n"
        "  --seed S            Megatron's --seed (default 1234)\n"
        "  --split A,B,C       Megatron's --split (default 969,30,1)\n"
        "  --max-epochs E      warn when a dataset is repeated more than E times\n"
        "  --head N            (show) only the first N samples\n"
        "  -h, --help          this text\n");
}


/* ----------------------------------------------------------------- show ---- */

static int cmd_show(int argc, char **argv)
{
    static const struct option LONG[] = {
        { "head", required_argument, 0, 'n' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    uint64_t head = UINT64_MAX;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:h", LONG, NULL)) != -1) {
        if (c == 'h') { usage(stdout); return CLI_EXIT_OK; }
        if (c != 'n' || cli_parse_u64(optarg, "--head", &head)) { usage(stderr); return CLI_EXIT_USAGE; }
    }
    if (optind != argc - 1) {
        cli_errorf("blend show: expected one PLAN");
        return CLI_EXIT_USAGE;
    }
    BlendPlan p;
    JfError err;
    JfStatus st = blend_plan_read(argv[optind], &p, &err);
    if (st != JF_OK) {
        cli_report(&err);
        return CLI_EXIT_FAIL;
    }
    double w[MEGATRON_MAX_DATASETS];
    for (size_t i = 0; i < p.n; i++) w[i] = p.ds[i].weight_normalized;
    MegatronBlender b;
    st = megatron_blender_init(&b, w, p.n, p.samples, &err);
    if (st == JF_OK) {
        uint32_t d;
        uint64_t k;
        for (uint64_t s = 0; s < head && megatron_blender_next(&b, &d, &k); s++)
            if (printf("%u\t%llu\n", d, (unsigned long long)k) < 0) break;
        megatron_blender_free(&b);
    } else {
        cli_report(&err);
    }
    blend_plan_free(&p);
    return st == JF_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* ----------------------------------------------------------------- plan ---- */

typedef struct {
    const char *out;
    uint64_t    samples, tokens, seq_len, seed;
    const char *split;
    double      max_epochs;    /* 0: no limit */
} BlendArgs;

static int parse_args(int argc, char **argv, BlendArgs *a)
{
    enum { O_SAMPLES = 256, O_TOKENS, O_SEQ, O_SEED, O_SPLIT, O_MAXEP };
    static const struct option LONG[] = {
        { "out", required_argument, 0, 'o' },         { "samples", required_argument, 0, O_SAMPLES },
        { "tokens", required_argument, 0, O_TOKENS }, { "seq-len", required_argument, 0, O_SEQ },
        { "seed", required_argument, 0, O_SEED },     { "split", required_argument, 0, O_SPLIT },
        { "max-epochs", required_argument, 0, O_MAXEP }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int c;
    optind = 1;
    /* '+': stop at the first weight, so W PREFIX pairs are never taken for options */
    while ((c = getopt_long(argc, argv, "+o:h", LONG, NULL)) != -1) {
        switch (c) {
        case 'o': a->out = optarg; break;
        case O_SAMPLES: if (cli_parse_u64(optarg, "--samples", &a->samples)) return -1; break;
        case O_TOKENS: if (cli_parse_u64(optarg, "--tokens", &a->tokens)) return -1; break;
        case O_SEQ: if (cli_parse_u64(optarg, "--seq-len", &a->seq_len)) return -1; break;
        case O_SEED: if (cli_parse_u64(optarg, "--seed", &a->seed)) return -1; break;
        case O_SPLIT: a->split = optarg; break;
        case O_MAXEP: {
            char *end;
            a->max_epochs = strtod(optarg, &end);
            if (end == optarg || *end || !(a->max_epochs > 0)) {
                cli_errorf("--max-epochs: not a positive number: '%s'", optarg);
                return -1;
            }
            break;
        }
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
    }
    if (!a->out) { cli_errorf("blend: --out PLAN is required"); return -1; }
    if (!a->samples == !a->tokens) { cli_errorf("blend: give one of --samples N or --tokens N"); return -1; }
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

static void print_plan(const BlendPlan *p, double max_epochs)
{
    char *dp = blend_plan_data_path(p);
    printf("--data-path %s\n", dp ? dp : "");
    jf_free(dp);
    printf("blend: %llu samples of %u tokens (%llu tokens), seed %u, split %s\n",
           (unsigned long long)p->samples, p->seq_len,
           (unsigned long long)(p->samples * p->seq_len), p->seed, p->split_text);
    printf("%-3s %-10s %12s %14s %10s %8s %s\n", "#", "weight", "samples", "tokens", "epochs",
           "built", "prefix");
    for (size_t i = 0; i < p->n; i++) {
        const BlendPlanDataset *d = &p->ds[i];
        uint64_t tokens = d->samples_drawn * p->seq_len;
        double epochs = d->train_tokens ? (double)tokens / (double)d->train_tokens : 0;
        printf("%-3zu %-10.6f %12llu %14llu %10.3f %8llu %s\n", i, d->weight_normalized,
               (unsigned long long)d->samples_drawn, (unsigned long long)tokens, epochs,
               (unsigned long long)d->epochs, d->prefix);
        if (max_epochs > 0 && epochs > max_epochs)
            fprintf(stderr, "jaforge: warning: %s: %.2f epochs of its train split, more than "
                    "--max-epochs %g\n", d->prefix, epochs, max_epochs);
    }
}

static int cmd_plan(int argc, char **argv)
{
    BlendArgs a = { .seq_len = 2048, .seed = 1234, .split = "969,30,1" };
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
