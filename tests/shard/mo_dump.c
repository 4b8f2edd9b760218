/* mo_dump.c: prints what megatron_order.h computes, for test_numpy_parity.py
 * to compare with numpy and a Python transcription of Megatron. Commands:
 *   perm SEED N                 RandomState(SEED).permutation(N)
 *   interval SEED MAX COUNT     COUNT bounded draws in [0, MAX]
 *   weights N W...              normalized weights, ceil(N·w), ceil(ceil(N·w)·1.005)
 *   blend N W...                the blending index of N samples, "d k" per line
 *   split TEXT S                the three ranges
 *   gpt SEED SEQLEN N BEGIN END LEN...   epochs, separate flag, doc/sample/shuffle
 * One value per line: easy to diff. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "megatron_order.h"

static uint64_t num(const char *s) { return strtoull(s, NULL, 10); }

static int cmd_perm(char **argv)
{
    MtRng r;
    size_t n = (size_t)num(argv[1]);
    int64_t *a = malloc((n + 1) * sizeof *a);
    for (size_t i = 0; i < n; i++) a[i] = (int64_t)i;
    mt_rng_seed(&r, (uint32_t)num(argv[0]));
    mt_rng_shuffle_i64(&r, a, n);
    for (size_t i = 0; i < n; i++) printf("%lld\n", (long long)a[i]);
    free(a);
    return 0;
}

static int cmd_interval(char **argv)
{
    MtRng r;
    mt_rng_seed(&r, (uint32_t)num(argv[0]));
    uint64_t max = num(argv[1]), count = num(argv[2]);
    for (uint64_t i = 0; i < count; i++) printf("%llu\n", (unsigned long long)mt_rng_interval(&r, max));
    return 0;
}

static int read_weights(int argc, char **argv, double *w, double *nw)
{
    JfError err;
    for (int i = 0; i < argc; i++) w[i] = strtod(argv[i], NULL);
    if (megatron_weights_normalize(w, (size_t)argc, nw, &err) != JF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    return 0;
}

static int cmd_weights(int argc, char **argv, bool blend)
{
    double w[MEGATRON_MAX_DATASETS], nw[MEGATRON_MAX_DATASETS];
    uint64_t n = num(argv[0]);
    if (read_weights(argc - 1, argv + 1, w, nw)) return 1;
    if (!blend) {
        for (int i = 0; i < argc - 1; i++)
            printf("%.17g %llu %llu\n", nw[i], (unsigned long long)megatron_blend_share(n, nw[i]),
                   (unsigned long long)megatron_dataset_samples(n, nw[i]));
        return 0;
    }
    MegatronBlender b;
    JfError err;
    if (megatron_blender_init(&b, nw, (size_t)argc - 1, n, &err) != JF_OK) return 1;
    uint32_t d;
    uint64_t k;
    while (megatron_blender_next(&b, &d, &k)) printf("%u %llu\n", d, (unsigned long long)k);
    megatron_blender_free(&b);
    return 0;
}

static int cmd_split(char **argv)
{
    double sp[3];
    uint64_t b[3], e[3];
    JfError err;
    if (megatron_split_parse(argv[0], sp, &err) != JF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    megatron_split_ranges(sp, num(argv[1]), b, e);
    for (int i = 0; i < 3; i++) printf("%llu %llu\n", (unsigned long long)b[i], (unsigned long long)e[i]);
    return 0;
}

static int cmd_gpt(int argc, char **argv)
{
    uint32_t seed = (uint32_t)num(argv[0]), seq_len = (uint32_t)num(argv[1]);
    uint64_t n = num(argv[2]), begin = num(argv[3]), end = num(argv[4]);
    size_t ns = (size_t)argc - 5;
    uint32_t *sizes = malloc((ns + 1) * sizeof *sizes);
    for (size_t i = 0; i < ns; i++) sizes[i] = (uint32_t)num(argv[5 + i]);
    MegatronGptIndex x;
    JfError err;
    if (megatron_gpt_index_build(sizes, begin, end, n, seq_len, seed, &x, &err) != JF_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    printf("epochs %llu\nseparate %d\n", (unsigned long long)x.num_epochs, x.separate_last_epoch);
    for (size_t i = 0; i < x.doc_count; i++) printf("doc %d\n", x.doc_index[i]);
    for (size_t i = 0; i < x.sample_rows; i++)
        printf("sample %lld %lld\n", (long long)x.sample_index[2 * i],
               (long long)x.sample_index[2 * i + 1]);
    for (size_t i = 0; i < x.shuffle_count; i++) printf("shuffle %lld\n", (long long)x.shuffle_index[i]);
    megatron_gpt_index_free(&x);
    free(sizes);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) return 2;
    const char *c = argv[1];
    if (!strcmp(c, "perm") && argc == 4) return cmd_perm(argv + 2);
    if (!strcmp(c, "interval") && argc == 5) return cmd_interval(argv + 2);
    if (!strcmp(c, "weights") && argc >= 4) return cmd_weights(argc - 2, argv + 2, false);
    if (!strcmp(c, "blend") && argc >= 4) return cmd_weights(argc - 2, argv + 2, true);
    if (!strcmp(c, "split") && argc == 4) return cmd_split(argv + 2);
    if (!strcmp(c, "gpt") && argc >= 8) return cmd_gpt(argc - 2, argv + 2);
    fprintf(stderr, "mo_dump: bad command\n");
    return 2;
}
