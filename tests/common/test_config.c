/* test_config.c: INI configuration: sections as key prefixes, --set
 * overrides, typed getters with errors naming key and file, syntax errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "jf_config.h"

static const char *const TEXT =
    "# a profile\n"
    "name = swallow-ja\n"
    "[ja_hiragana_ratio]\n"
    "min = 0.2   ; inline comment\n"
    "enabled = yes\n"
    "[train]\n"
    "steps = 200\n"
    "lr = 3e-4\n";

static void sections_become_prefixes(void **state)
{
    (void)state;
    JfConfig *c;
    JfError err;
    assert_int_equal(jf_config_load_string(TEXT, "p.ini", &c, &err), JF_OK);
    assert_string_equal(jf_config_get(c, "name"), "swallow-ja");
    assert_string_equal(jf_config_get(c, "ja_hiragana_ratio.min"), "0.2");
    assert_null(jf_config_get(c, "min"));
    double d;
    int64_t n;
    bool b;
    assert_int_equal(jf_config_get_double(c, "ja_hiragana_ratio.min", 1, &d, &err), JF_OK);
    assert_true(d == 0.2);
    assert_int_equal(jf_config_get_bool(c, "ja_hiragana_ratio.enabled", false, &b, &err), JF_OK);
    assert_true(b);
    assert_int_equal(jf_config_get_int(c, "train.steps", 0, &n, &err), JF_OK);
    assert_int_equal(n, 200);
    assert_int_equal(jf_config_get_int(c, "train.absent", 7, &n, &err), JF_OK);
    assert_int_equal(n, 7);
    assert_int_equal(jf_config_count(c), 5);
    assert_string_equal(jf_config_key_at(c, 4), "train.lr");
    jf_config_close(c);
}

static void set_overrides_and_adds(void **state)
{
    (void)state;
    JfConfig *c;
    JfError err;
    assert_int_equal(jf_config_load_string(TEXT, "p.ini", &c, &err), JF_OK);
    assert_int_equal(jf_config_set(c, "train.steps=5", &err), JF_OK);
    assert_int_equal(jf_config_set(c, "out.dir=/tmp/x=y", &err), JF_OK);
    assert_string_equal(jf_config_get(c, "train.steps"), "5");
    assert_string_equal(jf_config_get(c, "out.dir"), "/tmp/x=y");
    assert_int_equal(jf_config_set(c, "novalue", &err), JF_EUSAGE);
    assert_int_equal(jf_config_set(c, "=x", &err), JF_EUSAGE);
    jf_config_close(c);
}

static void bad_values_name_key_and_file(void **state)
{
    (void)state;
    JfConfig *c;
    JfError err;
    jf_error_clear(&err);
    assert_int_equal(jf_config_load_string("[t]\nsteps = ten\nok = maybe\n", "bad.ini", &c, &err), JF_OK);
    int64_t n;
    bool b;
    assert_int_equal(jf_config_get_int(c, "t.steps", 0, &n, &err), JF_EFORMAT);
    assert_string_equal(err.path, "bad.ini");
    assert_non_null(strstr(err.msg, "t.steps"));
    assert_int_equal(jf_config_get_bool(c, "t.ok", false, &b, &err), JF_EFORMAT);
    jf_config_close(c);
}

static void syntax_error_and_missing_file(void **state)
{
    (void)state;
    JfConfig *c = NULL;
    JfError err;
    assert_int_equal(jf_config_load_string("[open\nx = 1\n", "s.ini", &c, &err), JF_EFORMAT);
    assert_null(c);
    assert_non_null(strstr(err.msg, "line 1"));
    assert_int_equal(jf_config_load("/nonexistent/x.ini", &c, &err), JF_EIO);
    char long_line[400] = "[a]\nk = ";
    memset(long_line + 8, 'x', 300);
    long_line[308] = '\n';
    long_line[309] = '\0';
    assert_int_equal(jf_config_load_string(long_line, "l.ini", &c, &err), JF_EFORMAT);
    assert_non_null(strstr(err.msg, "line 2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sections_become_prefixes),
        cmocka_unit_test(set_overrides_and_adds),
        cmocka_unit_test(bad_values_name_key_and_file),
        cmocka_unit_test(syntax_error_and_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
