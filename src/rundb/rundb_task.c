/* rundb_task.c: the rows of the run database: inputs (registered with their
 * checksum), tasks (input × stage, begun, committed or failed), runs (one per
 * invocation) and the reports over tasks. Each write is one transaction.
 * Opening, schema and statements are in rundb.c; docs/rundb.md tells the
 * columns and the resume rules. */
#include "rundb_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "jf_alloc.h"

/* Binds text that lives until rundb_stmt_done (no copy). */
static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

/* ---- inputs ---- */

typedef struct {
    int64_t size;
    int64_t mtime_ns;
    double  seen;       /* unix seconds just before the stat */
} FileStamp;

static JfStatus file_stamp_read(const char *path, FileStamp *fs, JfError *err)
{
    struct stat sb;
    fs->seen = rundb_now();
    if (stat(path, &sb) != 0)
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot stat input: %s",
                            strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "input is not a regular file");
    fs->size = (int64_t)sb.st_size;
    fs->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
    return JF_OK;
}

/* What the inputs table knows about a path. */
typedef struct {
    bool      found;
    int64_t   id;
    FileStamp stamp;
    char      xxh3[17];
    double    checked;   /* unix seconds of the stat before xxh3 was last computed */
} InputRow;

/* A file modified within this many seconds before it was hashed may be
 * modified again with the same size and mtime (coarse file-system clocks:
 * kernel ticks, 1 s on some network file systems, 2 s on FAT). Such a
 * "racy" stamp is not trusted: the file is hashed again (as git does). */
#define RUNDB_RACY_S 2.0

/* True when size + mtime match and were recorded long enough after the last
 * write that equal stamps mean equal content. */
static bool input_stamp_is_trusted(const InputRow *row, const FileStamp *fs)
{
    if (!row->found || row->stamp.size != fs->size || row->stamp.mtime_ns != fs->mtime_ns)
        return false;
    return row->checked - (double)fs->mtime_ns * 1e-9 > RUNDB_RACY_S;
}

static JfStatus input_find(RunDb *db, const char *path, InputRow *row, JfError *err)
{
    sqlite3_stmt *st = db->stmt[STMT_INPUT_FIND];
    memset(row, 0, sizeof *row);
    int rc = bind_text(st, 1, path);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        row->found = true;
        row->id = sqlite3_column_int64(st, 0);
        row->stamp.size = sqlite3_column_int64(st, 1);
        row->stamp.mtime_ns = sqlite3_column_int64(st, 2);
        const unsigned char *hex = sqlite3_column_text(st, 3);
        if (hex) snprintf(row->xxh3, sizeof row->xxh3, "%s", (const char *)hex);
        row->checked = sqlite3_column_double(st, 4);
        rc = SQLITE_DONE;
    }
    JfStatus ret = rc == SQLITE_DONE ? JF_OK : rundb_error_sqlite(db, rc, "finding input", err);
    rundb_stmt_done(st);
    return ret;
}

static JfStatus input_insert(RunDb *db, const char *path, const FileStamp *fs, const char *hex,
                             int64_t *input_id, JfError *err)
{
    sqlite3_stmt *st = db->stmt[STMT_INPUT_INSERT];
    int rc = bind_text(st, 1, path);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 2, fs->size);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 3, fs->mtime_ns);
    if (rc == SQLITE_OK) rc = bind_text(st, 4, hex);
    if (rc == SQLITE_OK) rc = sqlite3_bind_double(st, 5, fs->seen);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    JfStatus ret = rc == SQLITE_DONE ? JF_OK : rundb_error_sqlite(db, rc, "adding input", err);
    if (ret == JF_OK) *input_id = sqlite3_last_insert_rowid(db->conn);
    rundb_stmt_done(st);
    return ret;
}

/* Stores the new stamp and checksum; when the content changed, the input's
 * tasks go back to pending with attempts 0 (attempts count tries on this
 * content). Outputs and stats stay until redone, so the old outputs can still
 * be found. */
static JfStatus input_update(RunDb *db, const InputRow *row, const FileStamp *fs,
                             const char *hex, bool content_changed, JfError *err)
{
    sqlite3_stmt *st = db->stmt[STMT_INPUT_UPDATE];
    int rc = sqlite3_bind_int64(st, 1, row->id);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 2, fs->size);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 3, fs->mtime_ns);
    if (rc == SQLITE_OK) rc = bind_text(st, 4, hex);
    if (rc == SQLITE_OK) rc = sqlite3_bind_double(st, 5, fs->seen);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    rundb_stmt_done(st);
    if (rc == SQLITE_DONE && content_changed) {
        st = db->stmt[STMT_INPUT_RESET];
        rc = sqlite3_bind_int64(st, 1, row->id);
        if (rc == SQLITE_OK) rc = sqlite3_step(st);
        rundb_stmt_done(st);
    }
    return rc == SQLITE_DONE ? JF_OK : rundb_error_sqlite(db, rc, "updating input", err);
}

/* Inside the write transaction: the row is read again (another connection
 * may have registered the path meanwhile), then inserted or updated. */
static JfStatus input_store_tx(RunDb *db, const char *path, const FileStamp *fs, const char *hex,
                               int64_t *input_id, bool *changed, JfError *err)
{
    InputRow row;
    JfStatus st = input_find(db, path, &row, err);
    if (st != JF_OK) return st;
    if (!row.found) return input_insert(db, path, fs, hex, input_id, err);
    *input_id = row.id;
    *changed = strcmp(hex, row.xxh3) != 0;
    return input_update(db, &row, fs, hex, *changed, err);
}

/* The stamp is taken before hashing, so a file written during hashing looks
 * changed next time (hashed again) instead of being trusted with a stale
 * checksum. Hashing happens outside the transaction: a large file must not
 * hold the write lock. */
static JfStatus input_register_run(RunDb *db, const char *path, int64_t *input_id,
                                   bool *changed, JfError *err)
{
    FileStamp fs = {0};
    InputRow row;
    JfStatus st = file_stamp_read(path, &fs, err);
    if (st == JF_OK) st = input_find(db, path, &row, err);
    if (st != JF_OK) return st;
    if (input_stamp_is_trusted(&row, &fs)) {
        *input_id = row.id;
        return JF_OK;
    }
    char hex[17];
    st = rundb_file_checksum(path, hex, NULL, err);
    if (st == JF_OK) st = rundb_tx_begin(db, err);
    if (st != JF_OK) return st;
    st = input_store_tx(db, path, &fs, hex, input_id, changed, err);
    if (st == JF_OK) return rundb_tx_commit(db, err);
    rundb_tx_rollback(db);
    return st;
}

JfStatus rundb_input_register(RunDb *db, const char *path, int64_t *input_id, bool *changed,
                              JfError *err)
{
    bool dummy;
    if (!changed) changed = &dummy;
    *changed = false;
    *input_id = 0;
    JfStatus st = input_register_run(db, path, input_id, changed, err);
    if (st != JF_OK) {
        *changed = false;
        *input_id = 0;
    }
    return st;
}

/* ---- tasks ---- */

/* What begin needs to decide: the input's current checksum and, if the task
 * exists, its status and the checksum of the content it last ran on. */
typedef struct {
    char    input_xxh3[17];
    bool    exists;
    int64_t id;
    char    status[8];
    char    task_xxh3[17];
} TaskRow;

static void column_copy(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    snprintf(dst, cap, "%s", s ? (const char *)s : "");
}

static JfStatus task_find(RunDb *db, int64_t input_id, const char *stage, TaskRow *row,
                          JfError *err)
{
    sqlite3_stmt *st = db->stmt[STMT_TASK_FIND];
    memset(row, 0, sizeof *row);
    int rc = sqlite3_bind_int64(st, 1, input_id);
    if (rc == SQLITE_OK) rc = bind_text(st, 2, stage);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    JfStatus ret = JF_OK;
    if (rc == SQLITE_ROW) {
        column_copy(st, 0, row->input_xxh3, sizeof row->input_xxh3);
        row->exists = sqlite3_column_type(st, 1) != SQLITE_NULL;
        row->id = sqlite3_column_int64(st, 1);
        column_copy(st, 2, row->status, sizeof row->status);
        column_copy(st, 3, row->task_xxh3, sizeof row->task_xxh3);
    } else if (rc == SQLITE_DONE) {
        ret = jf_error_set(err, JF_EDB, db->path, JF_OFFSET_UNKNOWN,
                           "run database: no input with id %lld", (long long)input_id);
    } else {
        ret = rundb_error_sqlite(db, rc, "finding task", err);
    }
    rundb_stmt_done(st);
    return ret;
}

/* Creates the task or restarts it: status running, attempts + 1, started now,
 * and the checksum of the content it is about to process. */
static JfStatus task_start(RunDb *db, int64_t input_id, const char *stage, const char *xxh3,
                           int64_t *task_id, JfError *err)
{
    sqlite3_stmt *st = db->stmt[STMT_TASK_START];
    int rc = sqlite3_bind_int64(st, 1, input_id);
    if (rc == SQLITE_OK) rc = bind_text(st, 2, stage);
    if (rc == SQLITE_OK) rc = sqlite3_bind_double(st, 3, rundb_now());
    if (rc == SQLITE_OK) rc = bind_text(st, 4, xxh3);
    if (rc == SQLITE_OK)
        rc = db->run_id ? sqlite3_bind_int64(st, 5, db->run_id) : sqlite3_bind_null(st, 5);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *task_id = sqlite3_column_int64(st, 0);
        rc = sqlite3_step(st);   /* RETURNING: the write completes at SQLITE_DONE */
    }
    JfStatus ret = rc == SQLITE_DONE ? JF_OK : rundb_error_sqlite(db, rc, "starting task", err);
    rundb_stmt_done(st);
    return ret;
}

/* A done task is skipped only if it ran on the input's current content;
 * every other state (pending, failed, or running = left by a killed process)
 * is begun again. */
static JfStatus task_begin_tx(RunDb *db, int64_t input_id, const char *stage, bool *skip,
                              int64_t *task_id, JfError *err)
{
    TaskRow row;
    JfStatus st = task_find(db, input_id, stage, &row, err);
    if (st != JF_OK) return st;
    if (row.exists && strcmp(row.status, "done") == 0
        && strcmp(row.task_xxh3, row.input_xxh3) == 0) {
        *skip = true;
        *task_id = row.id;
        return JF_OK;
    }
    return task_start(db, input_id, stage, row.input_xxh3, task_id, err);
}

JfStatus rundb_task_begin(RunDb *db, int64_t input_id, const char *stage, bool *skip,
                          int64_t *task_id, JfError *err)
{
    *skip = false;
    *task_id = 0;
    if (!stage || !*stage)
        return jf_error_set(err, JF_EUSAGE, db->path, JF_OFFSET_UNKNOWN,
                            "run database: task without a stage name");
    JfStatus st = rundb_tx_begin(db, err);
    if (st != JF_OK) return st;
    st = task_begin_tx(db, input_id, stage, skip, task_id, err);
    if (st == JF_OK) st = rundb_tx_commit(db, err);
    else rundb_tx_rollback(db);
    if (st != JF_OK) {
        *skip = false;
        *task_id = 0;
    }
    return st;
}

/* Parses text as JSON and checks its top-level kind, so a caller's bad text
 * is reported as such (JF_EFORMAT with the position) and not as a CHECK
 * constraint failure. Jansson rather than SQLite's json_valid(), because the
 * latter answers "invalid" when it runs out of memory. */
static JfStatus task_json_check(RunDb *db, const char *text, bool want_array, JfError *err)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_ALLOW_NUL, &je);
    const char *what = want_array ? "outputs are not a JSON array"
                                  : "statistics are not a JSON object";
    if (!j) {
        if (json_error_code(&je) == json_error_out_of_memory)
            return jf_error_set(err, JF_ENOMEM, db->path, JF_OFFSET_UNKNOWN,
                                "run database: out of memory checking JSON");
        return jf_error_set(err, JF_EFORMAT, db->path, JF_OFFSET_UNKNOWN,
                            "run database: task %s: %s at character %d", what, je.text,
                            je.position);
    }
    bool ok = want_array ? json_is_array(j) : json_is_object(j);
    json_decref(j);
    if (!ok)
        return jf_error_set(err, JF_EFORMAT, db->path, JF_OFFSET_UNKNOWN, "run database: task %s",
                            what);
    return JF_OK;
}

/* Runs STMT_TASK_DONE or STMT_TASK_FAIL (same first two parameters) in one
 * transaction and checks that the task exists. */
static JfStatus task_finish(RunDb *db, RunDbStmt which, int64_t task_id, const char *text3,
                            const char *text4, JfError *err)
{
    JfStatus st = rundb_tx_begin(db, err);
    if (st != JF_OK) return st;
    sqlite3_stmt *s = db->stmt[which];
    int rc = sqlite3_bind_int64(s, 1, task_id);
    if (rc == SQLITE_OK) rc = sqlite3_bind_double(s, 2, rundb_now());
    if (rc == SQLITE_OK) rc = bind_text(s, 3, text3);
    if (rc == SQLITE_OK && which == STMT_TASK_DONE) rc = bind_text(s, 4, text4);
    if (rc == SQLITE_OK) rc = sqlite3_step(s);
    rundb_stmt_done(s);
    if (rc != SQLITE_DONE) st = rundb_error_sqlite(db, rc, "finishing task", err);
    else if (sqlite3_changes(db->conn) != 1)
        st = jf_error_set(err, JF_EDB, db->path, JF_OFFSET_UNKNOWN,
                          "run database: no task with id %lld", (long long)task_id);
    if (st == JF_OK) return rundb_tx_commit(db, err);
    rundb_tx_rollback(db);
    return st;
}

JfStatus rundb_task_commit(RunDb *db, int64_t task_id, const char *outputs_json,
                           const char *stats_json, JfError *err)
{
    if (!outputs_json) outputs_json = "[]";
    if (!stats_json) stats_json = "{}";
    JfStatus st = task_json_check(db, outputs_json, true, err);
    if (st == JF_OK) st = task_json_check(db, stats_json, false, err);
    if (st != JF_OK) return st;
    return task_finish(db, STMT_TASK_DONE, task_id, outputs_json, stats_json, err);
}

JfStatus rundb_task_fail(RunDb *db, int64_t task_id, const char *error_text, JfError *err)
{
    return task_finish(db, STMT_TASK_FAIL, task_id, error_text, NULL, err);
}

/* ---- runs ---- */

JfStatus rundb_run_begin(RunDb *db, const char *command_line, int64_t *run_id, JfError *err)
{
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    sqlite3_stmt *st = db->stmt[STMT_RUN_INSERT];
    int rc = bind_text(st, 1, command_line ? command_line : "");
    if (rc == SQLITE_OK) rc = sqlite3_bind_double(st, 2, rundb_now());
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 3, (int64_t)getpid());
    if (rc == SQLITE_OK) rc = host[0] ? bind_text(st, 4, host) : sqlite3_bind_null(st, 4);
    if (rc == SQLITE_OK) rc = bind_text(st, 5, JF_VERSION);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    JfStatus ret = rc == SQLITE_DONE ? JF_OK : rundb_error_sqlite(db, rc, "recording run", err);
    *run_id = ret == JF_OK ? sqlite3_last_insert_rowid(db->conn) : 0;
    rundb_stmt_done(st);
    if (ret == JF_OK) db->run_id = *run_id;
    return ret;
}

JfStatus rundb_run_end(RunDb *db, int64_t run_id, int exit_code, JfError *err)
{
    sqlite3_stmt *st = db->stmt[STMT_RUN_END];
    int rc = sqlite3_bind_int64(st, 1, run_id);
    if (rc == SQLITE_OK) rc = sqlite3_bind_double(st, 2, rundb_now());
    if (rc == SQLITE_OK) rc = sqlite3_bind_int(st, 3, exit_code);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    rundb_stmt_done(st);
    if (rc != SQLITE_DONE) return rundb_error_sqlite(db, rc, "ending run", err);
    if (sqlite3_changes(db->conn) != 1)
        return jf_error_set(err, JF_EDB, db->path, JF_OFFSET_UNKNOWN,
                            "run database: no run with id %lld", (long long)run_id);
    if (db->run_id == run_id) db->run_id = 0;
    return JF_OK;
}

/* ---- reports ---- */

static const char *column_str(sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    return s ? (const char *)s : "";
}

JfStatus rundb_tasks_foreach(RunDb *db, const char *stage, RunDbTaskFn *fn, void *ctx,
                             JfError *err)
{
    if (!fn)
        return jf_error_set(err, JF_EUSAGE, db->path, JF_OFFSET_UNKNOWN,
                            "run database: no callback for the task list");
    sqlite3_stmt *st = db->stmt[STMT_TASK_LIST];
    int rc = bind_text(st, 1, stage);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        /* A NULL from sqlite3_column_text on a non-NULL value means OOM. */
        const char *stats = (const char *)sqlite3_column_text(st, 5);
        if (!stats) { rc = SQLITE_NOMEM; break; }
        if (fn(ctx, column_str(st, 0), column_str(st, 1), column_str(st, 2),
               sqlite3_column_int(st, 3), sqlite3_column_double(st, 4), stats) != 0) {
            rc = SQLITE_DONE;
            break;
        }
        rc = SQLITE_OK;
    }
    rundb_stmt_done(st);
    return rc == SQLITE_DONE ? JF_OK : rundb_error_sqlite(db, rc, "listing tasks", err);
}

static int status_index(const char *s)
{
    for (int i = 0; i < RUNDB_STATUS_COUNT; i++)
        if (strcmp(s, rundb_status_text((RunDbStatus)i)) == 0) return i;
    return -1;   /* the CHECK constraint makes this unreachable */
}

JfStatus rundb_stage_counts(RunDb *db, const char *stage, int64_t counts[4], JfError *err)
{
    memset(counts, 0, sizeof(int64_t) * RUNDB_STATUS_COUNT);
    sqlite3_stmt *st = db->stmt[STMT_STAGE_COUNT];
    int rc = bind_text(st, 1, stage);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int i = status_index(column_str(st, 0));
        if (i >= 0) counts[i] = sqlite3_column_int64(st, 1);
        rc = SQLITE_OK;
    }
    rundb_stmt_done(st);
    return rc == SQLITE_DONE ? JF_OK : rundb_error_sqlite(db, rc, "counting tasks", err);
}
