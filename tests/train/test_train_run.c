/* test_train_run.c: the training loop on the fixture datasets (learnable
 * counting sequences, train_fixture.h). A short run lowers the training loss
 * and both languages' validation losses and draws them in loss.svg; a run
 * interrupted at a checkpoint and resumed logs the uninterrupted run's
 * losses bit for bit; a run started from an earlier run's out.dir
 * continues from its last checkpoint; config and data errors are refused
 * with JF_EUSAGE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "jf_config.h"
#include "train.h"
#include "train_fixture.h"

static char dir[256];

static const char BASE[] =
    "[model]\ndim = 32\nhidden_dim = 64\nn_layers = 2\nn_heads = 2\nvocab_size = 64\n"
    "[train]\nmicro_batch = 4\ngrad_accum = 1\nlr = 3e-3\nmin_lr = 3e-4\nwarmup_steps = 5\n"
    "eval_batches = 2\npeak_gflops = 10\n";

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/train-run-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int)getpid());
    JfError err;
    return fixture_make(dir, 64, 16, 400, "90,8,2", &err) == JF_OK ? 0 : -1;
}

/* Runs BASE with "key=value" overrides (NULL-terminated). */
static JfStatus run(JfError *err, ...)
{
    JfConfig *c;
    assert_int_equal(jf_config_load_string(BASE, "test.conf", &c, err), JF_OK);
    char plan[300];
    snprintf(plan, sizeof plan, "data.plan=%s/plan.json", dir);
    assert_int_equal(jf_config_set(c, plan, err), JF_OK);
    va_list ap;
    va_start(ap, err);
    for (const char *kv; (kv = va_arg(ap, const char *));)
        assert_int_equal(jf_config_set(c, kv, err), JF_OK);
    va_end(ap);
    JfStatus st = train_run(c, NULL, err);
    jf_config_close(c);
    return st;
}

typedef struct {
    char   header[512];
    char   rows[64][512];
    double loss[64], val[64], val_ja[64], val_en[64];
    int    n;
} Log;

static void log_read(const char *out, Log *l)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s/log.csv", dir, out);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    memset(l, 0, sizeof *l);
    assert_non_null(fgets(l->header, sizeof l->header, f));
    while (l->n < 64 && fgets(l->rows[l->n], sizeof l->rows[0], f)) {
        double col[10] = { 0 };
        char *s = l->rows[l->n];
        for (int k = 0; k < 10 && s; k++) {
            col[k] = *s == ',' || *s == '\n' ? -1 : strtod(s, NULL);
            s = strchr(s, ',');
            if (s) s++;
        }
        l->loss[l->n] = col[1];
        l->val[l->n] = col[6];
        l->val_ja[l->n] = col[7];
        l->val_en[l->n] = col[8];
        l->n++;
    }
    fclose(f);
}

static void run_1_learns(void **state)
{
    (void)state;
    JfError err;
    char out[300];
    snprintf(out, sizeof out, "out.dir=%s/learn", dir);
    assert_int_equal(run(&err, out, "train.steps=60", "train.eval_interval=30", NULL), JF_OK);
    Log l;
    log_read("learn", &l);
    assert_string_equal(l.header, "step,loss,lr,grad_norm,tokens_per_s,mfu,val_loss,val_loss_ja,"
                                  "val_loss_en,val_loss_ds0,val_loss_ds1\n");
    assert_int_equal(l.n, 60);
    double first = l.loss[0], last = 0;
    for (int i = 55; i < 60; i++) last += l.loss[i] / 5;
    print_message("loss %.3f -> %.3f; val ja %.3f -> %.3f, en %.3f -> %.3f\n", first, last,
                  l.val_ja[29], l.val_ja[59], l.val_en[29], l.val_en[59]);
    assert_true(first > 3.5);            /* about ln 64 */
    assert_true(last < 0.6 * first);
    assert_true(l.val[0] < 0 && l.val[29] > 0);   /* measured only at intervals */
    assert_true(l.val_ja[59] < l.val_ja[29] && l.val_en[59] < l.val_en[29]);
    assert_true(l.val_ja[59] < 0.6 * first && l.val_en[59] < 0.6 * first);
    char ck[400];
    snprintf(ck, sizeof ck, "%s/learn/ckpt-60.bin", dir);
    assert_int_equal(access(ck, R_OK), 0);
    /* the loss chart: 60 training points, both languages' validation curves */
    snprintf(ck, sizeof ck, "%s/learn/loss.svg", dir);
    FILE *f = fopen(ck, "r");
    assert_non_null(f);
    static char svg[1 << 16];
    svg[fread(svg, 1, sizeof svg - 1, f)] = 0;
    fclose(f);
    const char *p = strstr(svg, "<polyline class=\"loss\"");
    assert_non_null(p);
    int pts = 0;
    for (p = strstr(p, "points=\"") + 8; *p != '"'; p++) pts += *p == ',';
    assert_int_equal(pts, 60);
    assert_non_null(strstr(svg, "<polyline class=\"val_loss_ja\""));
    assert_non_null(strstr(svg, "<polyline class=\"val_loss_en\""));
}

/* Interrupted at step 6 (a checkpoint), resumed to 12: the same log. */
static void run_2_resume(void **state)
{
    (void)state;
    JfError err;
    char a[300], b[300];
    snprintf(a, sizeof a, "out.dir=%s/whole", dir);
    snprintf(b, sizeof b, "out.dir=%s/parts", dir);
    assert_int_equal(run(&err, a, "train.steps=12", "train.eval_interval=4",
                         "train.grad_accum=2", NULL), JF_OK);
    assert_int_equal(run(&err, b, "train.steps=12", "train.eval_interval=4",
                         "train.grad_accum=2", "train.stop_at=6", NULL), JF_OK);
    Log lw, lp;
    log_read("parts", &lp);
    assert_int_equal(lp.n, 6);
    assert_int_equal(run(&err, b, "train.steps=12", "train.eval_interval=4",
                         "train.grad_accum=2", NULL), JF_OK);
    log_read("whole", &lw);
    log_read("parts", &lp);
    assert_int_equal(lw.n, 12);
    assert_int_equal(lp.n, 12);
    for (int i = 0; i < 12; i++) {
        /* step, loss (17 digits), lr, grad_norm; then the timing columns differ */
        char *cw = lw.rows[i], *cp = lp.rows[i];
        for (int k = 0; k < 4; k++) cw = strchr(cw, ',') + 1, cp = strchr(cp, ',') + 1;
        assert_int_equal(cw - lw.rows[i], cp - lp.rows[i]);
        assert_memory_equal(lw.rows[i], lp.rows[i], (size_t)(cw - lw.rows[i]));
        assert_true(lw.val[i] == lp.val[i]);
    }
    /* a different global batch cannot resume */
    assert_int_equal(run(&err, b, "train.steps=14", "train.grad_accum=1", NULL), JF_EUSAGE);
}

/* init.checkpoint = the out.dir of run_1: training continues from its last
 * checkpoint (fresh optimizer), so the first loss is already low; a
 * directory without state.json is refused. */
static void run_4_init_from_run(void **state)
{
    (void)state;
    JfError err;
    char out[300], init[300];
    snprintf(out, sizeof out, "out.dir=%s/cont", dir);
    snprintf(init, sizeof init, "init.checkpoint=%s/learn", dir);
    assert_int_equal(run(&err, out, init, "train.steps=2", NULL), JF_OK);
    Log l, base;
    log_read("cont", &l);
    log_read("learn", &base);
    assert_int_equal(l.n, 2);
    print_message("continued: first loss %.3f (fresh run %.3f, its last %.3f)\n", l.loss[0],
                  base.loss[0], base.loss[59]);
    assert_true(l.loss[0] < 0.6 * base.loss[0]);
    snprintf(init, sizeof init, "init.checkpoint=%s", dir);   /* the data dir: no state.json */
    snprintf(out, sizeof out, "out.dir=%s/cont2", dir);
    assert_int_equal(run(&err, out, init, "train.steps=2", NULL), JF_EFORMAT);
    assert_non_null(strstr(err.msg, "trainer state"));
}

static void run_3_errors(void **state)
{
    (void)state;
    JfError err;
    char out[300];
    snprintf(out, sizeof out, "out.dir=%s/bad", dir);
    assert_int_equal(run(&err, out, NULL), JF_EUSAGE);                      /* no train.steps */
    assert_int_equal(run(&err, out, "train.steps=5", "model.vocab_size=40", NULL), JF_EUSAGE);
    assert_non_null(strstr(err.msg, "vocabulary"));
    assert_int_equal(run(&err, out, "train.steps=100000", NULL), JF_EUSAGE);
    assert_non_null(strstr(err.msg, "--samples"));
    assert_int_equal(run(&err, out, "train.steps=x", NULL), JF_EFORMAT);
}

static int teardown(void **state)
{
    (void)state;
    return fixture_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(run_1_learns),
        cmocka_unit_test(run_2_resume),
        cmocka_unit_test(run_3_errors),
        cmocka_unit_test(run_4_init_from_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
