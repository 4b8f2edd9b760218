/* test_rundb_fault.c: the run database under damage and out-of-memory. A
 * damaged, foreign or too-new file gives a clear JF_EDB naming the file,
 * never a crash; with the Nth allocation failing (jf_alloc_fail_at, which
 * also reaches SQLite's allocations), every call returns an error or
 * succeeds, leaks nothing, and leaves a database that works afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jf_alloc.h"
#include "rundb_test_util.h"

static int setup(void **state)
{
    TestDir *t = calloc(1, sizeof *t);
    if (!t) return -1;
    test_dir_make(t);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    test_dir_remove(*state);
    free(*state);
    return 0;
}

/* Builds a database with one done and one failed task, closed cleanly (so
 * the WAL is checkpointed into the main file and removed). */
static void db_populate(const TestDir *t)
{
    char a[300], b[300];
    test_path(t, "a.warc", a);
    test_path(t, "b.warc", b);
    test_write_str(a, "alpha");
    test_write_str(b, "beta");
    RunDb *db = NULL;
    JfError err;
    int64_t ia, ib, task, run;
    bool skip;
    assert_int_equal(rundb_open(t->db, &db, &err), JF_OK);
    assert_int_equal(rundb_run_begin(db, "jaforge extract", &run, &err), JF_OK);
    assert_int_equal(rundb_input_register(db, a, &ia, NULL, &err), JF_OK);
    assert_int_equal(rundb_input_register(db, b, &ib, NULL, &err), JF_OK);
    assert_int_equal(rundb_task_begin(db, ia, "extract", &skip, &task, &err), JF_OK);
    assert_int_equal(rundb_task_commit(db, task, "[\"x\"]", "{\"n\": 1}", &err), JF_OK);
    assert_int_equal(rundb_task_begin(db, ib, "extract", &skip, &task, &err), JF_OK);
    assert_int_equal(rundb_task_fail(db, task, "boom", &err), JF_OK);
    assert_int_equal(rundb_run_end(db, run, 0, &err), JF_OK);
    rundb_close(db);
}

/* Opens a file expected to be refused: JF_EDB, *out NULL, err names it. */
static void open_expect_edb(const TestDir *t, const char *reason)
{
    RunDb *db = (RunDb *)1;
    JfError err;
    jf_error_clear(&err);
    assert_int_equal(rundb_open(t->db, &db, &err), JF_EDB);
    assert_null(db);
    assert_int_equal(err.code, JF_EDB);
    assert_string_equal(err.path, t->db);
    if (reason && !strstr(err.msg, reason))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, reason);
}

/* rundb-5.1: a file that is not SQLite at all. */
static void test_garbage_file(void **state)
{
    TestDir *t = *state;
    unsigned char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (unsigned char)(i * 131 + 7);
    test_write(t->db, junk, sizeof junk);
    open_expect_edb(t, "not a database");
    /* a text file (someone wrote over it) */
    test_write_str(t->db, "this is not a database, it is a note\n");
    open_expect_edb(t, "not a database");
}

/* rundb-5.2: another program's SQLite file is refused and left untouched. */
static void test_foreign_sqlite(void **state)
{
    TestDir *t = *state;
    test_sql_exec(t->db, "CREATE TABLE notes(x TEXT); INSERT INTO notes VALUES ('keep me');");
    open_expect_edb(t, "not a jaforge database");
    char mode[32];
    test_sql_text(t->db, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "delete");   /* we did not switch it to WAL */
    test_sql_exec(t->db, "DROP TABLE notes; PRAGMA application_id = 42;");
    open_expect_edb(t, "not a jaforge database");
}

/* rundb-5.3: a schema newer than this build knows. */
static void test_newer_schema(void **state)
{
    TestDir *t = *state;
    db_populate(t);
    test_sql_exec(t->db, "PRAGMA user_version = 99");
    open_expect_edb(t, "newer");
}

/* rundb-5.4: an empty file is a new database (what sqlite3 DIR/jaforge.db
 * ".quit" leaves behind). */
static void test_empty_file(void **state)
{
    TestDir *t = *state;
    test_write(t->db, "", 0);
    RunDb *db = NULL;
    JfError err;
    assert_int_equal(rundb_open(t->db, &db, &err), JF_OK);
    rundb_close(db);
    assert_int_equal(test_sql_int(t->db, "PRAGMA user_version"), 1);
}

static int count_rows(void *ctx, const char *stage, const char *input_path, const char *status,
                      int attempts, double duration_s, const char *stats_json)
{
    (void)stage, (void)input_path, (void)status, (void)attempts, (void)duration_s;
    (void)stats_json;
    (*(int *)ctx)++;
    return 0;
}

/* Calls every API on a damaged database: each must return JF_OK or JF_EDB
 * (the damage may be in pages a call does not read), never crash. */
static void calls_survive(const TestDir *t, RunDb *db, int *edb_seen)
{
    char a[300];
    test_path(t, "a.warc", a);
    JfError err;
    int64_t id = 0, task = 0, counts[4];
    bool skip, changed;
    JfStatus st[7];
    st[0] = rundb_input_register(db, a, &id, &changed, &err);
    st[1] = rundb_task_begin(db, id ? id : 1, "extract", &skip, &task, &err);
    st[2] = rundb_task_commit(db, task ? task : 1, "[]", "{}", &err);
    st[3] = rundb_task_fail(db, task ? task : 1, "x", &err);
    st[4] = rundb_stage_counts(db, "extract", counts, &err);
    st[5] = rundb_run_begin(db, "jaforge", &id, &err);
    int rows = 0;
    st[6] = rundb_tasks_foreach(db, NULL, count_rows, &rows, &err);
    for (int i = 0; i < 7; i++) {
        if (st[i] != JF_OK && st[i] != JF_EDB) fail_msg("call %d returned %d", i, st[i]);
        if (st[i] == JF_EDB) {
            (*edb_seen)++;
            assert_string_equal(err.path, t->db);
        }
    }
}

/* Writes zeros over [from, end of file). */
static void file_zero_from(const char *path, long from)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long end = ftell(f);
    fseek(f, from, SEEK_SET);
    for (long i = from; i < end; i++) fputc(0, f);
    fclose(f);
}

/* rundb-5.5: pages after the first zeroed (tables destroyed, header intact),
 * and the file truncated to its first page: open or the calls fail with
 * JF_EDB. */
static void damaged_check(const TestDir *t)
{
    RunDb *db = NULL;
    JfError err;
    jf_error_clear(&err);
    JfStatus st = rundb_open(t->db, &db, &err);
    if (st != JF_OK) {
        assert_int_equal(st, JF_EDB);
        assert_string_equal(err.path, t->db);
        return;
    }
    int edb = 0;
    calls_survive(t, db, &edb);
    assert_true(edb > 0);
    rundb_close(db);
}

static void test_zeroed_pages(void **state)
{
    TestDir *t = *state;
    db_populate(t);
    long page = (long)test_sql_int(t->db, "PRAGMA page_size");
    file_zero_from(t->db, page);
    damaged_check(t);
}

static void test_truncated(void **state)
{
    TestDir *t = *state;
    db_populate(t);
    long page = (long)test_sql_int(t->db, "PRAGMA page_size");
    assert_int_equal(truncate(t->db, page), 0);
    damaged_check(t);
    /* and cut inside the first page: the header itself is gone */
    assert_int_equal(truncate(t->db, 60), 0);
    damaged_check(t);
}

/* rundb-5.6: the file's folder does not exist. */
static void test_missing_dir(void **state)
{
    TestDir *t = *state;
    TestDir bad = *t;
    snprintf(bad.db, sizeof bad.db, "%s/no/such/dir/jaforge.db", t->dir);
    open_expect_edb(&bad, "unable to open");
}

/* ---- out of memory ---- */

/* Injection runs n = 1, 2, ... until this many passes in a row succeed:
 * SQLite tolerates some failed allocations (a page cache miss), so one
 * success does not prove that n is past the last allocation. */
#define OOM_CLEAN_PASSES 25

/* Opens with the nth allocation failing, for each n. Each failed open must
 * be JF_ENOMEM or JF_EDB (SQLite reports some allocation failures inside a
 * pragma as a generic error), leave *out NULL and leak nothing.
 * @return how many injection points failed the open. */
static int open_under_oom(const TestDir *t)
{
    size_t live = jf_alloc_live_bytes();
    int failures = 0, clean = 0;
    for (int n = 1; clean < OOM_CLEAN_PASSES; n++) {
        if (n > 100000) fail_msg("open never stopped failing");
        RunDb *db = (RunDb *)1;
        JfError err;
        jf_alloc_fail_at((uint64_t)n);
        JfStatus st = rundb_open(t->db, &db, &err);
        jf_alloc_fail_at(0);
        if (st == JF_OK) {
            rundb_close(db);
            clean++;
        } else {
            if (st != JF_ENOMEM && st != JF_EDB) fail_msg("n=%d: status %d (%s)", n, st, err.msg);
            assert_null(db);
            failures++;
            clean = 0;
        }
        if (jf_alloc_live_bytes() != live)
            fail_msg("n=%d: %zu bytes leaked", n, jf_alloc_live_bytes() - live);
    }
    return failures;
}

/* rundb-6.1: out of memory while opening a new file and an existing one;
 * the database is usable afterwards. */
static void test_oom_open(void **state)
{
    TestDir *t = *state;
    assert_true(open_under_oom(t) > 10);   /* SQLite's allocations are reached too */
    assert_int_equal(test_sql_int(t->db, "SELECT count(*) FROM sqlite_schema"
                                         " WHERE type = 'table'"), 3);
    db_populate(t);
    assert_true(open_under_oom(t) > 10);
    char ok[32];
    test_sql_text(t->db, "PRAGMA integrity_check", ok, sizeof ok);
    assert_string_equal(ok, "ok");
}

/* One pass of every API call, as a run makes them; returns JF_OK or the
 * first failure's status. */
static JfStatus api_sequence(const TestDir *t, const char *input)
{
    RunDb *db = NULL;
    JfError err;
    int64_t in, task, run, counts[4];
    bool skip, changed;
    JfStatus st = rundb_open(t->db, &db, &err);
    if (st != JF_OK) return st;
    st = rundb_run_begin(db, "jaforge extract", &run, &err);
    if (st == JF_OK) st = rundb_input_register(db, input, &in, &changed, &err);
    if (st == JF_OK) st = rundb_task_begin(db, in, "extract", &skip, &task, &err);
    if (st == JF_OK && !skip) st = rundb_task_fail(db, task, "first try", &err);
    if (st == JF_OK) st = rundb_task_begin(db, in, "extract", &skip, &task, &err);
    if (st == JF_OK && !skip) st = rundb_task_commit(db, task, "[\"o\"]", "{\"n\": 1}", &err);
    if (st == JF_OK) st = rundb_stage_counts(db, "extract", counts, &err);
    int rows = 0;
    if (st == JF_OK) st = rundb_tasks_foreach(db, NULL, count_rows, &rows, &err);
    if (st == JF_OK) st = rundb_run_end(db, run, 0, &err);
    rundb_close(db);
    return st;
}

/* rundb-6.2: out of memory anywhere in a run's calls: an error or success,
 * no leak; and the file stays consistent: integrity check passes and a
 * clean pass ends with every task done. */
static void test_oom_calls(void **state)
{
    TestDir *t = *state;
    char a[300];
    test_path(t, "a.warc", a);
    size_t live = jf_alloc_live_bytes();
    int failures = 0, clean = 0;
    for (int n = 1; clean < OOM_CLEAN_PASSES; n++) {
        if (n > 100000) fail_msg("the calls never stopped failing");
        /* new content each round, so register hashes and begin redoes */
        char body[64];
        snprintf(body, sizeof body, "alpha %d", n);
        test_write_str(a, body);
        test_set_mtime(a, time(NULL) - 3600 - n, 0);
        jf_alloc_fail_at((uint64_t)n);
        JfStatus st = api_sequence(t, a);
        jf_alloc_fail_at(0);
        if (st == JF_OK) {
            clean++;
        } else {
            if (st != JF_ENOMEM && st != JF_EDB) fail_msg("n=%d: status %d", n, st);
            failures++;
            clean = 0;
        }
        if (jf_alloc_live_bytes() != live)
            fail_msg("n=%d: %zu bytes leaked", n, jf_alloc_live_bytes() - live);
    }
    assert_true(failures > 50);
    char ok[32];
    test_sql_text(t->db, "PRAGMA integrity_check", ok, sizeof ok);
    assert_string_equal(ok, "ok");
    assert_int_equal(api_sequence(t, a), JF_OK);
    assert_int_equal(test_sql_int(t->db, "SELECT count(*) FROM tasks WHERE status = 'done'"), 1);
    assert_int_equal(test_sql_int(t->db, "SELECT count(*) FROM tasks"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_oom_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oom_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_sqlite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zeroed_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_dir, setup, teardown),
    };
    return cmocka_run_group_tests_name("rundb_fault", tests, NULL, NULL);
}
