/* test_rundb.c: behaviour of the run database: schema on a new file, input
 * checksums, resume rules (skip done, redo changed / killed / failed), the
 * run log and the reports. Damaged files and out-of-memory are in
 * test_rundb_fault.c. Cases are named rundb-N.M as in docs/rundb.md. */
#define XXH_INLINE_ALL
#include <xxhash.h>

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

static RunDb *open_ok(const TestDir *t)
{
    RunDb *db = NULL;
    JfError err;
    jf_error_clear(&err);
    JfStatus st = rundb_open(t->db, &db, &err);
    if (st != JF_OK) fprintf(stderr, "rundb_open: %s\n", err.msg);
    assert_int_equal(st, JF_OK);
    assert_non_null(db);
    return db;
}

static int64_t register_ok(RunDb *db, const char *path, bool *changed)
{
    int64_t id = 0;
    JfError err;
    JfStatus st = rundb_input_register(db, path, &id, changed, &err);
    if (st != JF_OK) fprintf(stderr, "rundb_input_register: %s\n", err.msg);
    assert_int_equal(st, JF_OK);
    assert_true(id > 0);
    return id;
}

static int64_t begin_ok(RunDb *db, int64_t input_id, const char *stage, bool *skip)
{
    int64_t task_id = 0;
    JfError err;
    JfStatus st = rundb_task_begin(db, input_id, stage, skip, &task_id, &err);
    if (st != JF_OK) fprintf(stderr, "rundb_task_begin: %s\n", err.msg);
    assert_int_equal(st, JF_OK);
    assert_true(task_id > 0);
    return task_id;
}

static void commit_ok(RunDb *db, int64_t task_id, const char *outputs, const char *stats)
{
    JfError err;
    JfStatus st = rundb_task_commit(db, task_id, outputs, stats, &err);
    if (st != JF_OK) fprintf(stderr, "rundb_task_commit: %s\n", err.msg);
    assert_int_equal(st, JF_OK);
}

static void counts_expect(RunDb *db, const char *stage, int64_t pending, int64_t running,
                          int64_t done, int64_t failed)
{
    int64_t c[4] = { -1, -1, -1, -1 };
    JfError err;
    assert_int_equal(rundb_stage_counts(db, stage, c, &err), JF_OK);
    assert_int_equal(c[RUNDB_PENDING], pending);
    assert_int_equal(c[RUNDB_RUNNING], running);
    assert_int_equal(c[RUNDB_DONE], done);
    assert_int_equal(c[RUNDB_FAILED], failed);
}

/* An input file written an hour ago, so its stamp is not "racy". */
static void input_write_old(const char *path, const char *content)
{
    test_write_str(path, content);
    test_set_mtime(path, time(NULL) - 3600, 123456789);
}

/* rundb-1.1: a new file gets the schema, WAL mode, our application id. */
static void test_open_new(void **state)
{
    TestDir *t = *state;
    RunDb *db = open_ok(t);
    counts_expect(db, "extract", 0, 0, 0, 0);
    rundb_close(db);
    assert_int_equal(test_sql_int(t->db, "PRAGMA user_version"), 1);
    assert_int_equal(test_sql_int(t->db, "PRAGMA application_id"), 0x4A465247);
    char mode[32];
    test_sql_text(t->db, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "wal");
    assert_int_equal(test_sql_int(t->db, "SELECT count(*) FROM sqlite_schema WHERE name IN"
                                         " ('inputs','tasks','runs','tasks_v','runs_v')"), 5);
    /* rundb-1.2: opening again keeps it as it is. */
    db = open_ok(t);
    rundb_close(db);
    assert_int_equal(test_sql_int(t->db, "PRAGMA user_version"), 1);
    rundb_close(NULL);
}

static void checksum_expect_oneshot(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 1 << 20, len = 0;
    unsigned char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    char want[17], got[17];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)XXH3_64bits(buf, len));
    free(buf);
    uint64_t size = 0;
    JfError err;
    assert_int_equal(rundb_file_checksum(path, got, &size, &err), JF_OK);
    assert_string_equal(got, want);
    assert_int_equal(size, len);
}

/* rundb-2.1: checksums equal XXH3_64bits of the whole buffer, across chunk
 * boundaries, on real files; the empty input gives the published value. */
static void test_checksum(void **state)
{
    TestDir *t = *state;
    char p[300];
    test_path(t, "empty", p);
    test_write(p, "", 0);
    char hex[17];
    uint64_t size = 99;
    JfError err;
    assert_int_equal(rundb_file_checksum(p, hex, &size, &err), JF_OK);
    assert_string_equal(hex, "2d06800538d394c2");   /* XXH3_64bits("", 0) */
    assert_int_equal(size, 0);

    /* 1 MiB + 7: several 256 KiB chunks and a short tail. */
    size_t big = (1u << 20) + 7;
    unsigned char *buf = malloc(big);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < big; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
    test_path(t, "big", p);
    test_write(p, buf, big);
    free(buf);
    checksum_expect_oneshot(p);

    checksum_expect_oneshot(JF_TEST_SRC_DIR "/src/rundb/rundb.c");
    checksum_expect_oneshot("/proc/self/exe");

    test_path(t, "missing", p);
    jf_error_clear(&err);
    assert_int_equal(rundb_file_checksum(p, hex, NULL, &err), JF_EIO);
    assert_string_equal(err.path, p);
}

/* rundb-2.2: registering finds the same id again; new paths get new ids;
 * files that cannot be read are JF_EIO and leave no row. */
static void test_register(void **state)
{
    TestDir *t = *state;
    char a[300], b[300], missing[300];
    test_path(t, "a.warc", a);
    test_path(t, "b.warc", b);
    test_path(t, "missing.warc", missing);
    input_write_old(a, "alpha");
    input_write_old(b, "beta");
    RunDb *db = open_ok(t);
    bool changed = true;
    int64_t ia = register_ok(db, a, &changed);
    assert_false(changed);
    int64_t ib = register_ok(db, b, NULL);
    assert_int_not_equal(ia, ib);
    changed = true;
    assert_int_equal(register_ok(db, a, &changed), ia);
    assert_false(changed);

    int64_t id = 77;
    JfError err;
    jf_error_clear(&err);
    assert_int_equal(rundb_input_register(db, missing, &id, &changed, &err), JF_EIO);
    assert_int_equal(id, 0);
    assert_string_equal(err.path, missing);
    assert_int_equal(rundb_input_register(db, t->dir, &id, &changed, &err), JF_EIO);
    rundb_close(db);

    char want[17], got[300];
    assert_int_equal(rundb_file_checksum(a, want, NULL, &err), JF_OK);
    char sql[400];
    snprintf(sql, sizeof sql, "SELECT xxh3 FROM inputs WHERE id = %lld", (long long)ia);
    test_sql_text(t->db, sql, got, sizeof got);
    assert_string_equal(got, want);
    assert_int_equal(test_sql_int(t->db, "SELECT count(*) FROM inputs"), 2);
}

/* rundb-3.1 and 3.2: begin, commit, then begin again skips; so does a new
 * connection to the same file (the next run). */
static void test_commit_then_skip(void **state)
{
    TestDir *t = *state;
    char a[300];
    test_path(t, "a.warc", a);
    input_write_old(a, "alpha");
    RunDb *db = open_ok(t);
    int64_t in = register_ok(db, a, NULL);
    bool skip = true;
    int64_t task = begin_ok(db, in, "extract", &skip);
    assert_false(skip);
    counts_expect(db, "extract", 0, 1, 0, 0);
    commit_ok(db, task, "[\"out/a.jsonl.zst\"]", "{\"docs_out\": 12, \"dropped\": {\"lang\": 3}}");
    counts_expect(db, "extract", 0, 0, 1, 0);
    assert_int_equal(begin_ok(db, in, "extract", &skip), task);
    assert_true(skip);
    rundb_close(db);

    db = open_ok(t);
    bool changed = true;
    assert_int_equal(register_ok(db, a, &changed), in);
    assert_false(changed);
    assert_int_equal(begin_ok(db, in, "extract", &skip), task);
    assert_true(skip);
    counts_expect(db, "extract", 0, 0, 1, 0);
    rundb_close(db);

    assert_int_equal(test_sql_int(t->db, "SELECT attempts FROM tasks"), 1);
    assert_int_equal(test_sql_int(t->db, "SELECT json_extract(stats, '$.dropped.lang')"
                                         " FROM tasks"), 3);
    assert_int_equal(test_sql_int(t->db, "SELECT outputs ->> '$[0]' = 'out/a.jsonl.zst'"
                                         " FROM tasks"), 1);
    assert_int_equal(test_sql_int(t->db, "SELECT duration_s >= 0 AND finished >= started"
                                         " AND started > 1.6e9 FROM tasks"), 1);
}

/* rundb-3.3: new content (other size) makes changed = true; the task goes
 * pending and is redone with attempts counted afresh. */
static void test_changed_content(void **state)
{
    TestDir *t = *state;
    char a[300];
    test_path(t, "a.warc", a);
    input_write_old(a, "alpha");
    RunDb *db = open_ok(t);
    int64_t in = register_ok(db, a, NULL);
    bool skip;
    int64_t task = begin_ok(db, in, "extract", &skip);
    commit_ok(db, task, NULL, NULL);
    int64_t t2 = begin_ok(db, in, "normalize", &skip);
    commit_ok(db, t2, NULL, NULL);
    rundb_close(db);

    input_write_old(a, "alpha, longer now");
    db = open_ok(t);
    bool changed = false;
    assert_int_equal(register_ok(db, a, &changed), in);
    assert_true(changed);
    counts_expect(db, "extract", 1, 0, 0, 0);
    counts_expect(db, "normalize", 1, 0, 0, 0);   /* every stage of the input */
    assert_int_equal(begin_ok(db, in, "extract", &skip), task);
    assert_false(skip);
    commit_ok(db, task, "[]", "{}");
    assert_int_equal(begin_ok(db, in, "extract", &skip), task);
    assert_true(skip);
    /* registered again: same content now, nothing changes */
    changed = true;
    register_ok(db, a, &changed);
    assert_false(changed);
    rundb_close(db);
    assert_int_equal(test_sql_int(t->db, "SELECT attempts FROM tasks WHERE stage = 'extract'"), 1);
}

/* rundb-3.4: same size, new content, new mtime: hashed again, changed. */
static void test_changed_same_size(void **state)
{
    TestDir *t = *state;
    char a[300];
    test_path(t, "a.warc", a);
    input_write_old(a, "alpha");
    RunDb *db = open_ok(t);
    int64_t in = register_ok(db, a, NULL);
    bool skip, changed = false;
    commit_ok(db, begin_ok(db, in, "extract", &skip), NULL, NULL);
    test_write_str(a, "ALPHA");
    test_set_mtime(a, time(NULL) - 1800, 0);
    register_ok(db, a, &changed);
    assert_true(changed);
    begin_ok(db, in, "extract", &skip);
    assert_false(skip);
    rundb_close(db);
}

/* rundb-3.5: touched but same content: hashed again, not changed, the new
 * mtime stored (so the next run trusts it without hashing). */
static void test_touched(void **state)
{
    TestDir *t = *state;
    char a[300];
    test_path(t, "a.warc", a);
    input_write_old(a, "alpha");
    RunDb *db = open_ok(t);
    int64_t in = register_ok(db, a, NULL);
    bool skip, changed = true;
    commit_ok(db, begin_ok(db, in, "extract", &skip), NULL, NULL);
    time_t when = time(NULL) - 600;
    test_set_mtime(a, when, 5);
    register_ok(db, a, &changed);
    assert_false(changed);
    begin_ok(db, in, "extract", &skip);
    assert_true(skip);
    rundb_close(db);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT mtime_ns = %lld FROM inputs",
             (long long)when * 1000000000 + 5);
    assert_int_equal(test_sql_int(t->db, sql), 1);
}

/* rundb-3.6: the size + mtime rule. An old, unchanged stamp is trusted
 * without hashing (content swapped behind its back goes unseen, as
 * documented); a stamp recorded within 2 s of the file's write ("racy") is
 * not trusted, so a same-size rewrite within one clock tick is caught. */
static void test_stamp_trust(void **state)
{
    TestDir *t = *state;
    char a[300], r[300];
    test_path(t, "a.warc", a);
    test_path(t, "racy.warc", r);
    input_write_old(a, "alpha");
    test_write_str(r, "fresh");
    struct stat sb;
    assert_int_equal(stat(r, &sb), 0);
    RunDb *db = open_ok(t);
    int64_t ia = register_ok(db, a, NULL);
    register_ok(db, r, NULL);

    assert_int_equal(stat(a, &sb), 0);
    test_write_str(a, "ALPHA");
    test_set_mtime(a, sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
    bool changed = true;
    assert_int_equal(register_ok(db, a, &changed), ia);
    assert_false(changed);

    assert_int_equal(stat(r, &sb), 0);
    test_write_str(r, "FRESH");
    test_set_mtime(r, sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
    changed = false;
    register_ok(db, r, &changed);
    assert_true(changed);
    rundb_close(db);
}

/* rundb-3.7: a task left running by a killed process (begun, never
 * committed, connection closed) is redone, attempts = 2. */
static int collect_attempts(void *ctx, const char *stage, const char *input_path,
                            const char *status, int attempts, double duration_s,
                            const char *stats_json)
{
    (void)stage, (void)input_path, (void)duration_s, (void)stats_json;
    int *out = ctx;
    out[0] = attempts;
    out[1] = strcmp(status, "running") == 0;
    return 0;
}

static void test_killed_task_redone(void **state)
{
    TestDir *t = *state;
    char a[300];
    test_path(t, "a.warc", a);
    input_write_old(a, "alpha");
    RunDb *db = open_ok(t);
    int64_t in = register_ok(db, a, NULL);
    bool skip;
    int64_t task = begin_ok(db, in, "extract", &skip);
    rundb_close(db);   /* "killed": no commit, no fail */

    db = open_ok(t);
    counts_expect(db, "extract", 0, 1, 0, 0);
    assert_int_equal(register_ok(db, a, NULL), in);
    assert_int_equal(begin_ok(db, in, "extract", &skip), task);
    assert_false(skip);
    int got[2] = { 0, 0 };
    JfError err;
    assert_int_equal(rundb_tasks_foreach(db, "extract", collect_attempts, got, &err), JF_OK);
    assert_int_equal(got[0], 2);
    assert_int_equal(got[1], 1);
    commit_ok(db, task, NULL, NULL);
    counts_expect(db, "extract", 0, 0, 1, 0);
    rundb_close(db);
}

/* rundb-3.8: a failed task keeps its error, is redone next time; a commit
 * clears the error. */
static void test_failed_task_redone(void **state)
{
    TestDir *t = *state;
    char a[300], msg[300];
    test_path(t, "a.warc", a);
    input_write_old(a, "alpha");
    RunDb *db = open_ok(t);
    int64_t in = register_ok(db, a, NULL);
    bool skip;
    int64_t task = begin_ok(db, in, "extract", &skip);
    JfError err;
    assert_int_equal(rundb_task_fail(db, task, "a.warc:1234: truncated record", &err), JF_OK);
    counts_expect(db, "extract", 0, 0, 0, 1);
    test_sql_text(t->db, "SELECT last_error FROM tasks", msg, sizeof msg);
    assert_string_equal(msg, "a.warc:1234: truncated record");
    assert_int_equal(begin_ok(db, in, "extract", &skip), task);
    assert_false(skip);
    counts_expect(db, "extract", 0, 1, 0, 0);
    commit_ok(db, task, NULL, "{\"docs\": 1}");
    rundb_close(db);
    assert_int_equal(test_sql_int(t->db, "SELECT attempts FROM tasks"), 2);
    assert_int_equal(test_sql_int(t->db, "SELECT last_error IS NULL FROM tasks"), 1);
    assert_int_equal(test_sql_int(t->db, "SELECT finished IS NOT NULL FROM tasks"), 1);
}

/* rundb-3.9: misuse is reported, the task unchanged: bad JSON (JF_EFORMAT),
 * unknown ids (JF_EDB), an empty stage (JF_EUSAGE). */
static void test_bad_calls(void **state)
{
    TestDir *t = *state;
    char a[300];
    test_path(t, "a.warc", a);
    input_write_old(a, "alpha");
    RunDb *db = open_ok(t);
    int64_t in = register_ok(db, a, NULL);
    bool skip;
    int64_t task = begin_ok(db, in, "extract", &skip);
    JfError err;
    assert_int_equal(rundb_task_commit(db, task, "[\"a\"", "{}", &err), JF_EFORMAT);
    assert_int_equal(rundb_task_commit(db, task, "{}", "{}", &err), JF_EFORMAT);
    assert_int_equal(rundb_task_commit(db, task, "[]", "[1]", &err), JF_EFORMAT);
    assert_int_equal(rundb_task_commit(db, task, "[]", "{\"a\":", &err), JF_EFORMAT);
    assert_non_null(strstr(err.msg, "JSON object"));
    counts_expect(db, "extract", 0, 1, 0, 0);

    assert_int_equal(rundb_task_commit(db, task + 100, "[]", "{}", &err), JF_EDB);
    assert_int_equal(rundb_task_fail(db, task + 100, "x", &err), JF_EDB);
    int64_t id = 5;
    skip = true;
    assert_int_equal(rundb_task_begin(db, in + 100, "extract", &skip, &id, &err), JF_EDB);
    assert_int_equal(id, 0);
    assert_false(skip);
    assert_int_equal(rundb_task_begin(db, in, "", &skip, &id, &err), JF_EUSAGE);
    assert_int_equal(rundb_run_end(db, 4242, 0, &err), JF_EDB);
    /* the connection is still good after all that */
    commit_ok(db, task, NULL, NULL);
    counts_expect(db, "extract", 0, 0, 1, 0);
    rundb_close(db);
}

/* rundb-4.1: the run log; tasks remember the run that began them. */
static void test_runs(void **state)
{
    TestDir *t = *state;
    char a[300], text[300];
    test_path(t, "a.warc", a);
    input_write_old(a, "alpha");
    RunDb *db = open_ok(t);
    JfError err;
    int64_t run = 0;
    assert_int_equal(rundb_run_begin(db, "jaforge extract -o out in/", &run, &err), JF_OK);
    assert_true(run > 0);
    int64_t in = register_ok(db, a, NULL);
    bool skip;
    commit_ok(db, begin_ok(db, in, "extract", &skip), NULL, NULL);
    assert_int_equal(rundb_run_end(db, run, 1, &err), JF_OK);
    int64_t run2 = 0;
    assert_int_equal(rundb_run_begin(db, "jaforge status", &run2, &err), JF_OK);
    assert_true(run2 > run);   /* never ended: looks killed */
    rundb_close(db);

    test_sql_text(t->db, "SELECT command_line FROM runs WHERE id = 1", text, sizeof text);
    assert_string_equal(text, "jaforge extract -o out in/");
    test_sql_text(t->db, "SELECT version FROM runs WHERE id = 1", text, sizeof text);
    assert_string_equal(text, JF_VERSION);
    assert_int_equal(test_sql_int(t->db, "SELECT exit_code FROM runs WHERE id = 1"), 1);
    assert_int_equal(test_sql_int(t->db, "SELECT pid FROM runs WHERE id = 1"), getpid());
    assert_int_equal(test_sql_int(t->db, "SELECT finished >= started FROM runs WHERE id = 1"), 1);
    assert_int_equal(test_sql_int(t->db, "SELECT finished IS NULL FROM runs WHERE id = 2"), 1);
    assert_int_equal(test_sql_int(t->db, "SELECT run_id FROM tasks"), run);
    test_sql_text(t->db, "SELECT started_utc FROM runs_v WHERE id = 1", text, sizeof text);
    assert_int_equal(strlen(text), 20);   /* 2025-01-31T12:00:00Z */
    assert_int_equal(text[10], 'T');
}

/* rundb-4.2: foreach orders by stage then input, filters by stage, stops
 * when fn says so; counts cover each status. */
typedef struct {
    int  n;
    int  stop_after;
    char seen[8][64];
} Seen;

static int collect(void *ctx, const char *stage, const char *input_path, const char *status,
                   int attempts, double duration_s, const char *stats_json)
{
    Seen *s = ctx;
    const char *base = strrchr(input_path, '/');
    assert_true(attempts >= 1);
    assert_true(duration_s >= 0);
    assert_non_null(stats_json);
    snprintf(s->seen[s->n], sizeof s->seen[0], "%s %s %s %s", stage, base ? base + 1 : input_path,
             status, stats_json);
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

static void test_reports(void **state)
{
    TestDir *t = *state;
    char a[300], b[300];
    test_path(t, "a.warc", a);
    test_path(t, "b.warc", b);
    input_write_old(a, "alpha");
    input_write_old(b, "beta");
    RunDb *db = open_ok(t);
    int64_t ia = register_ok(db, a, NULL), ib = register_ok(db, b, NULL);
    bool skip;
    JfError err;
    /* inserted out of order on purpose */
    int64_t t1 = begin_ok(db, ib, "normalize", &skip);
    int64_t t2 = begin_ok(db, ib, "extract", &skip);
    int64_t t3 = begin_ok(db, ia, "extract", &skip);
    commit_ok(db, t2, NULL, "{\"n\":2}");
    assert_int_equal(rundb_task_fail(db, t3, NULL, &err), JF_OK);
    (void)t1;

    Seen s = { 0 };
    assert_int_equal(rundb_tasks_foreach(db, NULL, collect, &s, &err), JF_OK);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.seen[0], "extract a.warc failed {}");
    assert_string_equal(s.seen[1], "extract b.warc done {\"n\":2}");
    assert_string_equal(s.seen[2], "normalize b.warc running {}");

    memset(&s, 0, sizeof s);
    assert_int_equal(rundb_tasks_foreach(db, "normalize", collect, &s, &err), JF_OK);
    assert_int_equal(s.n, 1);
    memset(&s, 0, sizeof s);
    s.stop_after = 1;
    assert_int_equal(rundb_tasks_foreach(db, NULL, collect, &s, &err), JF_OK);
    assert_int_equal(s.n, 1);
    memset(&s, 0, sizeof s);
    assert_int_equal(rundb_tasks_foreach(db, "nosuchstage", collect, &s, &err), JF_OK);
    assert_int_equal(s.n, 0);

    counts_expect(db, "extract", 0, 0, 1, 1);
    counts_expect(db, "normalize", 0, 1, 0, 0);
    counts_expect(db, NULL, 0, 1, 1, 1);
    assert_int_equal(rundb_tasks_foreach(db, NULL, NULL, NULL, &err), JF_EUSAGE);
    assert_string_equal(rundb_status_text(RUNDB_FAILED), "failed");
    assert_string_equal(rundb_status_text((RunDbStatus)9), "?");
    rundb_close(db);
}

/* rundb-4.3: the example queries of docs/rundb.md run on a real database:
 * per-reason counters summed from stats JSON with json_each. */
static void test_doc_queries(void **state)
{
    TestDir *t = *state;
    char a[300], b[300], text[300];
    test_path(t, "a.warc", a);
    test_path(t, "b.warc", b);
    input_write_old(a, "alpha");
    input_write_old(b, "beta");
    RunDb *db = open_ok(t);
    bool skip;
    commit_ok(db, begin_ok(db, register_ok(db, a, NULL), "filter", &skip), "[]",
              "{\"docs_in\": 10, \"docs_out\": 7, \"dropped\": {\"lang\": 2, \"short\": 1}}");
    commit_ok(db, begin_ok(db, register_ok(db, b, NULL), "filter", &skip), "[]",
              "{\"docs_in\": 5, \"docs_out\": 1, \"dropped\": {\"lang\": 4}}");
    rundb_close(db);
    assert_int_equal(test_sql_int(t->db, "SELECT sum(json_extract(stats, '$.docs_out'))"
                                         " FROM tasks WHERE stage = 'filter'"), 8);
    test_sql_text(t->db, "SELECT group_concat(reason || '=' || n, ',') FROM ("
                         " SELECT r.key AS reason, sum(r.value) AS n"
                         " FROM tasks, json_each(tasks.stats, '$.dropped') AS r"
                         " WHERE tasks.stage = 'filter' GROUP BY r.key ORDER BY n DESC)",
                  text, sizeof text);
    assert_string_equal(text, "lang=6,short=1");
    assert_int_equal(test_sql_int(t->db, "SELECT count(*) FROM tasks_v WHERE status = 'done'"
                                         " AND input LIKE '%.warc'"), 2);
}

/* rundb-4.4: two connections to one file (a run and `jaforge status`). */
static void test_two_connections(void **state)
{
    TestDir *t = *state;
    char a[300];
    test_path(t, "a.warc", a);
    input_write_old(a, "alpha");
    RunDb *w = open_ok(t), *r = open_ok(t);
    bool skip;
    int64_t in = register_ok(w, a, NULL);
    int64_t task = begin_ok(w, in, "extract", &skip);
    counts_expect(r, "extract", 0, 1, 0, 0);
    commit_ok(w, task, NULL, NULL);
    counts_expect(r, "extract", 0, 0, 1, 0);
    assert_int_equal(begin_ok(r, register_ok(r, a, NULL), "extract", &skip), task);
    assert_true(skip);
    rundb_close(r);
    rundb_close(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_new, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checksum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_then_skip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_same_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_touched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stamp_trust, setup, teardown),
        cmocka_unit_test_setup_teardown(test_killed_task_redone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_task_redone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_connections, setup, teardown),
    };
    return cmocka_run_group_tests_name("rundb", tests, NULL, NULL);
}
