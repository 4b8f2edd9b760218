/* test_buf.c: growable buffer caps, allocation counting, OOM injection,
 * error formatting, output stems. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "jf_alloc.h"
#include "jf_buf.h"
#include "jf_error.h"
#include "jf_fs.h"

static void buf_grows_and_caps(void **state)
{
    (void)state;
    JfBuf b;
    jf_buf_init(&b, 1000);
    for (int i = 0; i < 100; i++) assert_int_equal(jf_buf_append(&b, "0123456789", 10), JF_OK);
    assert_int_equal(b.len, 1000);
    assert_int_equal(b.data[1000], '\0');
    assert_int_equal(jf_buf_append_byte(&b, 'x'), JF_ETOOBIG);
    assert_int_equal(b.len, 1000); /* unchanged on error */
    jf_buf_reset(&b);
    assert_int_equal(b.len, 0);
    jf_buf_free(&b);
}

static void alloc_counts_and_fails_on_demand(void **state)
{
    (void)state;
    size_t before = jf_alloc_live_bytes();
    char *p = jf_malloc(1000);
    assert_non_null(p);
    assert_true(jf_alloc_live_bytes() >= before + 1000);
    p = jf_realloc(p, 5000);
    assert_non_null(p);
    assert_true(jf_alloc_live_bytes() >= before + 5000);
    jf_free(p);
    assert_int_equal(jf_alloc_live_bytes(), before);

    jf_alloc_fail_at(2);
    void *a = jf_malloc(8), *b = jf_malloc(8), *c = jf_malloc(8);
    assert_non_null(a);
    assert_null(b);
    assert_non_null(c);
    jf_free(a);
    jf_free(c);

    JfBuf buf;
    jf_buf_init(&buf, 0);
    jf_alloc_fail_at(1);
    assert_int_equal(jf_buf_append(&buf, "abc", 3), JF_ENOMEM);
    assert_int_equal(jf_buf_append(&buf, "abc", 3), JF_OK);
    jf_buf_free(&buf);
}

static void error_formats_path_and_offset(void **state)
{
    (void)state;
    JfError e;
    jf_error_clear(&e);
    assert_int_equal(jf_error_set(&e, JF_EFORMAT, "a.warc.gz", 1234, "bad header %s", "X"),
                     JF_EFORMAT);
    char buf[300];
    jf_error_format(&e, buf, sizeof buf);
    assert_string_equal(buf, "a.warc.gz:1234: bad header X");
    jf_error_set(&e, JF_EIO, "b", JF_OFFSET_UNKNOWN, NULL);
    jf_error_format(&e, buf, sizeof buf);
    assert_string_equal(buf, "b: input/output error");
}

static void stems_drop_extensions(void **state)
{
    (void)state;
    char s[256];
    jf_fs_stem("/x/CC-MAIN-2023-00000.warc.gz", s, sizeof s);
    assert_string_equal(s, "CC-MAIN-2023-00000");
    jf_fs_stem("a.b.wet.zst", s, sizeof s);
    assert_string_equal(s, "a.b");
    jf_fs_stem("-", s, sizeof s);
    assert_string_equal(s, "stdin");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_grows_and_caps),
        cmocka_unit_test(alloc_counts_and_fails_on_demand),
        cmocka_unit_test(error_formats_path_and_offset),
        cmocka_unit_test(stems_drop_extensions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
