/* test_svg.c: jf_svg, the chart code train (OUT/loss.svg) and report share,
 * and jf_buf_printf it draws with. svg-1 printf growth and caps; svg-2
 * series limits; svg-3 the line chart: curves, dots, legend, thinning, every
 * y tick inside the plot (a log whose loss spans 6.68-8.31 once put one
 * above it); svg-4 odd data: no points, non-finite points, values whose ticks
 * underflow (once an endless loop writing an unbounded file), text escaped;
 * svg-5 the atomic save. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "jf_buf.h"
#include "jf_svg.h"
#include "svg_check.h"

/* svg-1: text longer than the room left grows the buffer; past the cap the
 * text is unchanged. */
static void test_printf(void **state)
{
    (void)state;
    JfBuf b;
    jf_buf_init(&b, 0);
    assert_int_equal(jf_buf_printf(&b, "%s-%d", "a", 1), JF_OK);
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(jf_buf_printf(&b, "[%s]", big), JF_OK);
    assert_int_equal(b.len, 3 + 1001);
    assert_int_equal(memcmp(b.data, "a-1[xxx", 7), 0);
    assert_string_equal((char *)b.data + b.len - 2, "x]");
    jf_buf_free(&b);
    jf_buf_init(&b, 10);
    assert_int_equal(jf_buf_printf(&b, "%d", 12345), JF_OK);
    assert_int_equal(jf_buf_printf(&b, "%d", 123456), JF_ETOOBIG);
    assert_string_equal((char *)b.data, "12345");
    assert_int_equal(b.len, 5);
    jf_buf_free(&b);
}

/* svg-2: a series keeps at most its limit of points. */
static void test_series_limit(void **state)
{
    (void)state;
    JfSeries s = { .name = "s", .limit = 300 };
    for (int i = 0; i < 300; i++) assert_int_equal(jf_series_push(&s, i, i), JF_OK);
    assert_int_equal(jf_series_push(&s, 300, 300), JF_ETOOBIG);
    assert_int_equal(s.n, 300);
    assert_true(s.cap <= 300);
    jf_series_free(&s);
    assert_int_equal(s.n, 0);
    assert_null(s.x);
}

/* Every y tick line (x1 = the plot's left edge) lies inside the plot. */
static void check_ticks_inside(const char *t)
{
    static const char KEY[] = "<line x1=\"64.0\" x2=\"736.0\" y1=\"";
    int n = 0;
    for (const char *p = t; (p = strstr(p, KEY)); p++, n++) {
        double y = strtod(p + sizeof KEY - 1, NULL);
        assert_true(y >= 48.0 - 0.05 && y <= 388.0 + 0.05);
    }
    assert_true(n >= 2);
}

/* svg-3: a training curve and a validation curve with dots. */
static void test_lines(void **state)
{
    (void)state;
    JfSeries s[2] = { { .name = "training loss", .key = "loss" },
                      { .name = "val <ja>", .key = "val_loss_ja", .sparse = true } };
    for (int i = 1; i <= 5001; i++) {   /* the span of a real 60-step demo run */
        assert_int_equal(jf_series_push(&s[0], i, 8.31 - 1.63 * i / 5001.0), JF_OK);
        if (i % 1000 == 0) assert_int_equal(jf_series_push(&s[1], i, 7.9 - i / 10000.0), JF_OK);
    }
    JfBuf b;
    jf_buf_init(&b, 0);
    assert_int_equal(jf_svg_lines(&b, s, 2, "run 'a' & b", "step", "loss"), JF_OK);
    const char *t = (const char *)b.data;
    assert_true(!strncmp(t, "<svg ", 5));
    assert_non_null(strstr(t, "</svg>\n"));
    assert_non_null(strstr(t, "<title>run &#39;a&#39; &amp; b</title>"));
    int n = svg_points_of(t, "loss");
    assert_true(n >= JF_SVG_MAX_POINTS / 2 && n <= JF_SVG_MAX_POINTS + 1);
    assert_int_equal(svg_points_of(t, "val_loss_ja"), 5);
    assert_int_equal(svg_count(t, "<circle"), 5);   /* dots on the sparse curve only */
    assert_non_null(strstr(t, "val &lt;ja&gt; (last 7.4)"));
    assert_non_null(strstr(t, jf_svg_color(1)));
    check_ticks_inside(t);
    jf_buf_free(&b);
    jf_series_free(&s[0]);
    jf_series_free(&s[1]);
}

/* svg-4: charts of odd data are drawn, bounded. */
static void test_odd(void **state)
{
    (void)state;
    JfBuf b;
    jf_buf_init(&b, 0);
    JfSeries e = { .name = "empty", .key = "e" };
    assert_int_equal(jf_svg_lines(&b, &e, 1, "none", "x", "y"), JF_OK);
    assert_int_equal(svg_count((const char *)b.data, "<polyline"), 0);
    assert_null(strstr((const char *)b.data, "nan"));
    jf_buf_reset(&b);

    JfSeries s = { .name = "s", .key = "s" };
    jf_series_push(&s, 1, 2);
    jf_series_push(&s, NAN, 3);
    jf_series_push(&s, 3, INFINITY);
    jf_series_push(&s, 4, 2.5);
    assert_int_equal(jf_svg_lines(&b, &s, 1, "t", "x", "y"), JF_OK);
    assert_int_equal(svg_points_of((const char *)b.data, "s"), 2);
    assert_null(strstr((const char *)b.data, "nan"));
    assert_null(strstr((const char *)b.data, "inf"));
    check_ticks_inside((const char *)b.data);
    jf_series_free(&s);
    jf_buf_reset(&b);

    /* 1e17 and the next double but one: a tick step of 2 cannot move 1e17 */
    jf_series_push(&s, 1, 1e17);
    jf_series_push(&s, 1, 1.00000000000000016e17);
    assert_int_equal(jf_svg_lines(&b, &s, 1, "t", "x", "y"), JF_OK);
    assert_true(b.len < 20000);
    jf_series_free(&s);
    jf_buf_free(&b);

    jf_buf_init(&b, 100);   /* the buffer's cap is reported */
    jf_series_push(&s, 1, 1);
    assert_int_equal(jf_svg_lines(&b, &s, 1, "t", "x", "y"), JF_ETOOBIG);
    jf_series_free(&s);
    jf_buf_free(&b);
}

/* svg-5: saved whole or not at all. */
static void test_save(void **state)
{
    (void)state;
    char dir[256], path[300], tmp[310];
    snprintf(dir, sizeof dir, "%s/test-svg-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/c.svg", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    JfBuf b;
    jf_buf_init(&b, 0);
    jf_buf_append_str(&b, "<svg/>\n");
    JfError err;
    assert_int_equal(jf_svg_save(&b, path, &err), JF_OK);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char got[16] = { 0 };
    assert_int_equal(fread(got, 1, sizeof got - 1, f), 7);
    fclose(f);
    assert_string_equal(got, "<svg/>\n");
    assert_int_not_equal(access(tmp, F_OK), 0);
    snprintf(path, sizeof path, "%s/no/c.svg", dir);
    assert_int_equal(jf_svg_save(&b, path, &err), JF_EIO);
    jf_buf_free(&b);
    snprintf(path, sizeof path, "%s/c.svg", dir);
    remove(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_printf),
        cmocka_unit_test(test_series_limit),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_odd),
        cmocka_unit_test(test_save),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
