/* test_train_data.c: the trainer's samples in Megatron's order. On two
 * hand-made datasets: blended sample i goes to the dataset and sample that
 * the blending index (what `jaforge blend show` prints) names, and its
 * seq_len + 1 tokens are those an independent reading of GPTDataset gives:
 * row r of the sample index starts at token r·seq_len of the epoch stream
 * (documents concatenated in document-index order). Held-out samples come
 * from the valid split only; bad requests are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "jf_alloc.h"
#include "megatron_order.h"
#include "mmidx.h"
#include "train_data.h"
#include "train_fixture.h"

enum { V = 64, T = 16, SAMPLES = 300 };

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/train-data-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int)getpid());
    JfError err;
    return fixture_make(dir, V, T, SAMPLES, "90,8,2", &err) == JF_OK ? 0 : -1;
}

/* The epoch stream of dataset ds (all of its train GPT index's documents). */
static int32_t *stream_of(const BlendPlanDataset *pd, const BlendPlan *p, MegatronGptIndex *g,
                          size_t *len)
{
    MmidxReader *r;
    JfError err;
    assert_int_equal(mmidx_reader_open(pd->prefix, &r, &err), JF_OK);
    uint64_t S = mmidx_reader_sequences(r);
    uint32_t *sizes = malloc(S * sizeof *sizes);
    for (uint64_t s = 0; s < S; s++) sizes[s] = mmidx_reader_length(r, s);
    assert_int_equal(megatron_gpt_index_build(sizes, pd->train_begin, pd->train_end,
                                              pd->samples_requested, p->seq_len, p->seed, g, &err),
                     JF_OK);
    size_t n = 0;
    for (size_t k = 0; k < g->doc_count; k++) n += sizes[g->doc_index[k]];
    int32_t *out = malloc(n * sizeof *out);
    uint32_t buf[64];
    n = 0;
    for (size_t k = 0; k < g->doc_count; k++) {
        assert_int_equal(mmidx_reader_read(r, (uint64_t)g->doc_index[k], buf, &err), JF_OK);
        for (uint32_t j = 0; j < sizes[g->doc_index[k]]; j++) out[n++] = (int32_t)buf[j];
    }
    *len = n;
    free(sizes);
    mmidx_reader_close(r);
    return out;
}

static void data_1_order(void **state)
{
    (void)state;
    char plan[300];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    TrainData *d;
    JfError err;
    assert_int_equal(train_data_open(plan, 8, &d, &err), JF_OK);
    const BlendPlan *p = train_data_plan(d);
    assert_int_equal(train_data_datasets(d), 2);
    assert_int_equal(train_data_seq_len(d), T);
    assert_true(train_data_samples(d) >= SAMPLES);
    assert_true(train_data_max_token(d) < V);
    MegatronGptIndex g[2];
    int32_t *stream[2];
    size_t len[2];
    for (int i = 0; i < 2; i++) stream[i] = stream_of(&p->ds[i], p, &g[i], &len[i]);
    double w[2] = { p->ds[0].weight_normalized, p->ds[1].weight_normalized };
    MegatronBlender b;
    assert_int_equal(megatron_blender_init(&b, w, 2, p->samples, &err), JF_OK);
    uint32_t ds, ds2;
    uint64_t s, s2, i = 0, spans = 0;
    int32_t tok[T + 1];
    while (megatron_blender_next(&b, &ds, &s)) {
        train_data_locate(d, i, &ds2, &s2);
        assert_int_equal(ds, ds2);
        assert_int_equal(s, s2);
        assert_int_equal(train_data_sample(d, i, tok, &err), JF_OK);
        size_t start = (size_t)g[ds].shuffle_index[s] * T;
        assert_true(start + T < len[ds]);
        assert_memory_equal(tok, stream[ds] + start, sizeof tok);
        for (int k = 0; k < T; k++) spans += tok[k] == 1;   /* EOD inside: spans documents */
        i++;
    }
    assert_int_equal(i, p->samples);
    assert_true(spans > 0);
    assert_int_equal(train_data_sample(d, i, tok, &err), JF_EUSAGE);
    megatron_blender_free(&b);
    for (int k = 0; k < 2; k++) {
        megatron_gpt_index_free(&g[k]);
        free(stream[k]);
    }
    train_data_close(d);
}

/* Held-out samples: only tokens of valid-split sequences, never train ones. */
static void data_2_val(void **state)
{
    (void)state;
    char plan[300];
    snprintf(plan, sizeof plan, "%s/plan.json", dir);
    TrainData *d;
    JfError err;
    assert_int_equal(train_data_open(plan, 8, &d, &err), JF_OK);
    const BlendPlan *p = train_data_plan(d);
    int32_t tok[T + 1];
    for (size_t ds = 0; ds < 2; ds++) {
        uint64_t begin[3], end[3];
        megatron_split_ranges(p->split, p->ds[ds].sequences, begin, end);
        assert_true(end[1] > begin[1]);
        assert_int_equal(p->ds[ds].train_end, begin[1]);
        for (uint64_t j = 0; j < 8; j++)
            assert_int_equal(train_data_val_sample(d, ds, j, tok, &err), JF_OK);
        assert_int_equal(train_data_val_sample(d, ds, 8, tok, &err), JF_EUSAGE);
    }
    assert_int_equal(train_data_val_sample(d, 2, 0, tok, &err), JF_EUSAGE);
    train_data_close(d);
}

static void data_3_bad(void **state)
{
    (void)state;
    TrainData *d = (TrainData *)1;
    JfError err;
    assert_int_equal(train_data_open("/nonexistent/plan.json", 0, &d, &err), JF_EIO);
    assert_null(d);
    char path[300];
    snprintf(path, sizeof path, "%s/syn_ja.idx", dir);   /* not a plan */
    assert_int_not_equal(train_data_open(path, 0, &d, &err), JF_OK);
    assert_int_equal(jf_alloc_live_bytes(), 0);
}

static int teardown(void **state)
{
    (void)state;
    return fixture_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(data_1_order),
        cmocka_unit_test(data_2_val),
        cmocka_unit_test(data_3_bad),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
