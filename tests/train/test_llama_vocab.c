/* test_llama_vocab.c: continued training with a new vocabulary. A tiny base
 * checkpoint (V0 = 10) and a hand-written new_pieces.tsv with a header, a
 * comment, CRLF, a piece with spaces, bad lines and a missing id: the model
 * grows to V1 = 15, old rows of wte and wcls are bit-identical, each new row
 * equals the mean of its base split (double sum in list order, then float),
 * the missing id the mean of all base rows; every other tensor unchanged.
 * Then the same through train_run (init.checkpoint + init.new_pieces at
 * lr 0, so the checkpoint written after one step holds the resized rows). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "jf_config.h"
#include "llama_ckpt.h"
#include "llama_model.h"
#include "llama_vocab.h"
#include "train.h"
#include "train_fixture.h"

static char dir[256];

static const char TSV[] =
    "id\tpiece\tbase_ids\n"
    "# written by hand for the test\n"
    "10\t\xe6\x97\xa5\xe6\x9c\xac\t3 7\n"
    "11\ta b\t2 3 4\r\n"
    "\n"
    "12\tq\t99\n"              /* bad: base id outside V0 */
    "20\tx\t1\n"               /* bad: id outside [V0, V1) */
    "13\tsolo\t9\n"
    "10\tdup\t5\n"             /* bad: repeated id, the first line wins */
    "12\tz\t0,1,8\n"
    "garbage line\n";          /* bad */
/* id 14 has no line */

static void spit(const char *path, const char *s)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(s, 1, strlen(s), f), strlen(s));
    fclose(f);
}

static void expect_row(const float *got, const float *base, const uint32_t *ids, size_t n,
                       size_t C)
{
    for (size_t c = 0; c < C; c++) {
        double s = 0;
        for (size_t j = 0; j < n; j++) s += (double)base[ids[j] * C + c];
        float want = (float)(s / (double)n);
        assert_memory_equal(&got[c], &want, sizeof want);
    }
}

/* big (V1 = 15) against base (V0 = 10) as the TSV says. */
static void check_resized(const LlamaModel *base, const LlamaModel *big)
{
    size_t C = base->cfg.dim, V0 = 10;
    assert_int_equal(big->cfg.vocab_size, 15);
    const float *tabs[2][2] = { { base->params.wte, big->params.wte },
                                { base->params.wcls, big->params.wcls } };
    static const uint32_t s10[] = { 3, 7 }, s11[] = { 2, 3, 4 }, s12[] = { 0, 1, 8 },
                          s13[] = { 9 }, all[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    for (int t = 0; t < 2; t++) {
        const float *b = tabs[t][0], *g = tabs[t][1];
        assert_memory_equal(g, b, V0 * C * sizeof(float));
        expect_row(g + 10 * C, b, s10, 2, C);
        expect_row(g + 11 * C, b, s11, 3, C);
        expect_row(g + 12 * C, b, s12, 3, C);
        expect_row(g + 13 * C, b, s13, 1, C);
        expect_row(g + 14 * C, b, all, 10, C);
    }
    size_t mid = base->num_params - base->sizes[0] - base->sizes[11];
    assert_memory_equal(big->params.rms_att, base->params.rms_att, mid * sizeof(float));
}

static void base_write(const char *path, LlamaModel *m)
{
    JfError err;
    LlamaConfig c = { .dim = 8, .hidden_dim = 16, .n_layers = 2, .n_heads = 2,
                      .vocab_size = 10, .seq_len = 16 };
    assert_int_equal(llama_model_init(m, &c, &err), JF_OK);
    llama_model_init_weights(m, 99);
    assert_int_equal(llama_ckpt_write(path, m, &err), JF_OK);
}

static void vocab_1_resize(void **state)
{
    (void)state;
    JfError err;
    char ck[300], tsv[300];
    snprintf(ck, sizeof ck, "%s/base.bin", dir);
    snprintf(tsv, sizeof tsv, "%s/new_pieces.tsv", dir);
    spit(tsv, TSV);
    LlamaModel base, m;
    base_write(ck, &base);
    assert_int_equal(llama_ckpt_read(ck, &m, &err), JF_OK);
    LlamaNewPieces np;
    assert_int_equal(llama_new_pieces_read(tsv, 10, 15, &np, &err), JF_OK);
    assert_int_equal(np.lines, 4);
    assert_int_equal(np.bad, 4);
    assert_int_equal(np.first_bad_offset, strstr(TSV, "12\tq") - TSV);
    assert_int_equal(llama_model_resize_vocab(&m, &np, &err), JF_OK);
    check_resized(&base, &m);
    /* the model trains at its new size */
    int32_t tok[4] = { 0, 14, 11, 3 }, tgt[4] = { 14, 11, 3, 12 };
    assert_int_equal(llama_model_forward(&m, tok, tgt, 1, 4, &err), JF_OK);
    assert_int_equal(llama_model_backward(&m, 1.0f, &err), JF_OK);
    /* a base of another size is refused */
    LlamaNewPieces np2;
    assert_int_equal(llama_new_pieces_read(tsv, 12, 15, &np2, &err), JF_OK);
    assert_int_equal(llama_model_resize_vocab(&m, &np2, &err), JF_EUSAGE);
    llama_new_pieces_free(&np2);
    assert_int_equal(llama_new_pieces_read(tsv, 10, 10, &np2, &err), JF_EUSAGE);
    assert_int_equal(llama_new_pieces_read("/nonexistent/x.tsv", 10, 15, &np2, &err), JF_EIO);
    llama_new_pieces_free(&np);
    llama_model_free(&m);
    llama_model_free(&base);
}

static JfStatus train_with(const char *extra1, const char *extra2, JfError *err)
{
    char conf[2048];
    snprintf(conf, sizeof conf,
             "[data]\nplan = %s/data/plan.json\n[out]\ndir = %s/out\n[init]\n"
             "checkpoint = %s/base.bin\n[train]\nsteps = 1\nmicro_batch = 2\nlr = 0\nmin_lr = 0\n"
             "peak_gflops = 10\n", dir, dir, dir);
    JfConfig *c;
    assert_int_equal(jf_config_load_string(conf, "test.conf", &c, err), JF_OK);
    if (extra1) assert_int_equal(jf_config_set(c, extra1, err), JF_OK);
    if (extra2) assert_int_equal(jf_config_set(c, extra2, err), JF_OK);
    JfStatus st = train_run(c, NULL, err);
    jf_config_close(c);
    return st;
}

static void vocab_2_train_run(void **state)
{
    (void)state;
    JfError err;
    char data[300], tsv[300], ck[300];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(tsv, sizeof tsv, "init.new_pieces=%s/new_pieces.tsv", dir);
    snprintf(ck, sizeof ck, "%s/base.bin", dir);
    spit(tsv + strlen("init.new_pieces="), TSV);
    LlamaModel base, m;
    base_write(ck, &base);
    /* fixture tokens span [1, 15): the base vocabulary of 10 is too small */
    assert_int_equal(fixture_make(data, 15, 8, 64, "90,8,2", &err), JF_OK);
    assert_int_equal(train_with(NULL, NULL, &err), JF_EUSAGE);
    assert_int_equal(train_with("model.vocab_size=15", NULL, &err), JF_EUSAGE);
    assert_non_null(strstr(err.msg, "new_pieces"));
    assert_int_equal(train_with(tsv, NULL, &err), JF_EUSAGE);   /* vocab_size missing */
    assert_int_equal(train_with(tsv, "model.vocab_size=15", &err), JF_OK);
    snprintf(ck, sizeof ck, "%s/out/ckpt-1.bin", dir);
    assert_int_equal(llama_ckpt_read(ck, &m, &err), JF_OK);
    check_resized(&base, &m);
    llama_model_free(&m);
    llama_model_free(&base);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/llama-vocab-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int)getpid());
    mkdir(dir, 0777);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vocab_1_resize),
        cmocka_unit_test(vocab_2_train_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
