/* test_train_chart.c: the loss-curve SVG drawn from a log.csv. Curves and
 * their points (training loss on every step, validation on the measured
 * steps only), the legend's last values, val_loss drawn when the log has no
 * language columns, a long log thinned to at most TRAIN_CHART_MAX_POINTS
 * points, rows that are not numbers skipped and counted; a missing file and a
 * header without step/loss refused. */
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

#include "../common/svg_check.h"
#include "train_chart.h"
#include "train_fixture.h"

static char dir[256], csv[300], svg[300];

static void spit(const char *path, const char *s)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(s, f);
    fclose(f);
}

static char *slurp(const char *path)
{
    static char buf[1 << 20];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

static void chart_1_languages(void **state)
{
    (void)state;
    spit(csv, "step,loss,lr,grad_norm,tokens_per_s,mfu,val_loss,val_loss_ja,val_loss_en,"
              "val_loss_ds0,val_loss_ds1\n"
              "1,4.5,0.001,1,10,0.1,,,,,\n"
              "2,4.0,0.001,1,10,0.1,4.1,4.2,4.0,4.2,4.0\n"
              "3,oops,0.001,1,10,0.1,,,,,\n"
              "4,3.0,0.001,1,10,0.1,,,,,\n"
              "5,2.5,0.001,1,10,0.1,2.9,3.1,2.7,3.1,2.7\n");
    TrainChartInfo info;
    JfError err;
    assert_int_equal(train_chart_write(csv, svg, "run <a&b>", &info, &err), JF_OK);
    assert_int_equal(info.rows, 4);
    assert_int_equal(info.skipped, 1);
    assert_int_equal(info.series, 3);
    char *t = slurp(svg);
    assert_true(!strncmp(t, "<svg ", 5));
    assert_non_null(strstr(t, "</svg>"));
    assert_non_null(strstr(t, "run &lt;a&amp;b&gt;"));
    assert_int_equal(svg_points_of(t, "loss"), 4);
    assert_int_equal(svg_points_of(t, "val_loss_ja"), 2);
    assert_int_equal(svg_points_of(t, "val_loss_en"), 2);
    assert_int_equal(svg_points_of(t, "val_loss"), -1);   /* languages drawn instead */
    assert_int_equal(svg_count(t, "<circle"), 4);
    assert_non_null(strstr(t, "training loss (last 2.5)"));
    assert_non_null(strstr(t, "val_loss_en (last 2.7)"));
    char tmp[320];
    snprintf(tmp, sizeof tmp, "%s.tmp", svg);
    assert_int_not_equal(access(tmp, F_OK), 0);
}

static void chart_2_long_plain(void **state)
{
    (void)state;
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fputs("step,loss,lr,grad_norm,tokens_per_s,mfu,val_loss,val_loss_ds0\n", f);
    for (int i = 1; i <= 5001; i++)
        fprintf(f, "%d,%.4f,0,0,0,0,%s,%s\n", i, 10.0 / (1 + i * 0.01),
                i % 1000 ? "" : "3.25", i % 1000 ? "" : "3.25");
    fclose(f);
    TrainChartInfo info;
    JfError err;
    assert_int_equal(train_chart_write(csv, svg, "long", &info, &err), JF_OK);
    assert_int_equal(info.rows, 5001);
    assert_int_equal(info.series, 2);
    char *t = slurp(svg);
    int n = svg_points_of(t, "loss");
    print_message("5001 steps drawn as %d points\n", n);
    assert_true(n >= TRAIN_CHART_MAX_POINTS / 2 && n <= TRAIN_CHART_MAX_POINTS + 1);
    assert_int_equal(svg_points_of(t, "val_loss"), 5);
    assert_non_null(strstr(t, ">step<"));
}

static void chart_3_errors(void **state)
{
    (void)state;
    JfError err;
    char missing[320];
    snprintf(missing, sizeof missing, "%s/none.csv", dir);
    assert_int_equal(train_chart_write(missing, svg, "x", NULL, &err), JF_EIO);
    spit(csv, "epoch,accuracy\n1,0.5\n");
    assert_int_equal(train_chart_write(csv, svg, "x", NULL, &err), JF_EFORMAT);
    spit(csv, "step,loss\n");
    assert_int_equal(train_chart_write(csv, svg, "x", NULL, &err), JF_EFORMAT);
    assert_non_null(strstr(err.msg, "no row"));
    spit(csv, "step,loss\n1,2\n");
    snprintf(missing, sizeof missing, "%s/no/such/dir/loss.svg", dir);
    assert_int_equal(train_chart_write(csv, missing, "x", NULL, &err), JF_EIO);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/train-chart-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int)getpid());
    snprintf(csv, sizeof csv, "%s/log.csv", dir);
    snprintf(svg, sizeof svg, "%s/loss.svg", dir);
    return mkdir(dir, 0777) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chart_1_languages),
        cmocka_unit_test(chart_2_long_plain),
        cmocka_unit_test(chart_3_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
