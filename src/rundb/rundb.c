/* rundb.c: opening and closing the run database: the SQLite connection, its
 * pragmas, the schema and its migrations, the prepared statements, and the
 * error and transaction helpers the other rundb files use. Inputs, tasks and
 * runs live in rundb_task.c; the file checksum in rundb_checksum.c.
 *
 * SQLite allocates through jf_malloc (configured once per process, before
 * SQLite's first use), so its memory is counted for --mem and the tests'
 * jf_alloc_fail_at reaches SQLite's own out-of-memory paths too. */
#include "rundb_int.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "jf_alloc.h"

/* 'JFRG' in PRAGMA application_id tells a jaforge database from other SQLite
 * files (`file jaforge.db` prints it too). */
#define RUNDB_APPLICATION_ID 0x4A465247
#define RUNDB_BUSY_TIMEOUT_MS 10000

/* MIGRATIONS[v] takes the schema from version v to v + 1, inside one
 * transaction, and ends by setting user_version to v + 1. Never edit a
 * published step: append a new one. docs/rundb.md describes the result. */
static const char *const MIGRATIONS[] = {
    /* 0 -> 1: initial schema */
    "CREATE TABLE inputs ("
    "  id         INTEGER PRIMARY KEY,"
    "  path       TEXT    NOT NULL UNIQUE,"
    "  size       INTEGER NOT NULL,"
    "  mtime_ns   INTEGER NOT NULL,"
    "  xxh3       TEXT    NOT NULL,"
    "  registered REAL    NOT NULL,"
    "  checked    REAL    NOT NULL"
    ");"
    "CREATE TABLE runs ("
    "  id           INTEGER PRIMARY KEY,"
    "  command_line TEXT    NOT NULL,"
    "  started      REAL    NOT NULL,"
    "  finished     REAL,"
    "  exit_code    INTEGER,"
    "  pid          INTEGER,"
    "  hostname     TEXT,"
    "  version      TEXT    NOT NULL"
    ");"
    "CREATE TABLE tasks ("
    "  id         INTEGER PRIMARY KEY,"
    "  input_id   INTEGER NOT NULL REFERENCES inputs(id) ON DELETE CASCADE,"
    "  stage      TEXT    NOT NULL,"
    "  status     TEXT    NOT NULL DEFAULT 'pending'"
    "             CHECK (status IN ('pending', 'running', 'done', 'failed')),"
    "  attempts   INTEGER NOT NULL DEFAULT 0,"
    "  started    REAL,"
    "  finished   REAL,"
    "  duration_s REAL,"
    "  outputs    TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(outputs)),"
    "  stats      TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(stats)),"
    "  last_error TEXT,"
    "  input_xxh3 TEXT,"
    "  run_id     INTEGER REFERENCES runs(id) ON DELETE SET NULL,"
    "  UNIQUE (input_id, stage)"
    ");"
    "CREATE INDEX tasks_stage_status ON tasks(stage, status);"
    "CREATE INDEX tasks_run ON tasks(run_id);"
    "CREATE VIEW tasks_v AS SELECT t.id, t.stage, i.path AS input, t.status, t.attempts,"
    "  strftime('%Y-%m-%dT%H:%M:%SZ', t.started, 'unixepoch') AS started_utc,"
    "  strftime('%Y-%m-%dT%H:%M:%SZ', t.finished, 'unixepoch') AS finished_utc,"
    "  t.duration_s, t.outputs, t.stats, t.last_error, t.run_id"
    "  FROM tasks AS t JOIN inputs AS i ON i.id = t.input_id;"
    "CREATE VIEW runs_v AS SELECT id, command_line,"
    "  strftime('%Y-%m-%dT%H:%M:%SZ', started, 'unixepoch') AS started_utc,"
    "  strftime('%Y-%m-%dT%H:%M:%SZ', finished, 'unixepoch') AS finished_utc,"
    "  finished - started AS duration_s, exit_code, pid, hostname, version"
    "  FROM runs;"
    "PRAGMA application_id = 1246122567;" /* RUNDB_APPLICATION_ID */
    "PRAGMA user_version = 1;",
};
#define RUNDB_SCHEMA_VERSION ((int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]))

static const char *const STMT_SQL[STMT_COUNT] = {
#define RUNDB_X_SQL(name, sql) [name] = sql,
    RUNDB_STMT_LIST(RUNDB_X_SQL)
#undef RUNDB_X_SQL
};

/* ---- SQLite's allocator: jf_malloc with a size header (SQLite asks for it) ---- */

#define RUNDB_MEM_HDR 16   /* keeps SQLite's blocks 16-aligned like jf_malloc's */

static void *mem_malloc(int n)
{
    unsigned char *p = jf_malloc((size_t)n + RUNDB_MEM_HDR);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    return p + RUNDB_MEM_HDR;
}

static void mem_free(void *p)
{
    if (p) jf_free((unsigned char *)p - RUNDB_MEM_HDR);
}

static void *mem_realloc(void *p, int n)
{
    if (!p) return mem_malloc(n);
    unsigned char *q = jf_realloc((unsigned char *)p - RUNDB_MEM_HDR, (size_t)n + RUNDB_MEM_HDR);
    if (!q) return NULL;   /* p is untouched, as SQLite expects */
    memcpy(q, &n, sizeof n);
    return q + RUNDB_MEM_HDR;
}

static int mem_size(void *p)
{
    int n = 0;
    if (p) memcpy(&n, (unsigned char *)p - RUNDB_MEM_HDR, sizeof n);
    return n;
}

static int  mem_roundup(int n) { return (n + 7) & ~7; }
static int  mem_init(void *app) { (void)app; return SQLITE_OK; }
static void mem_shutdown(void *app) { (void)app; }

static pthread_once_t g_sqlite_once = PTHREAD_ONCE_INIT;

/* Must run before SQLite's first use in the process; if something else
 * initialised SQLite earlier, the call fails and SQLite keeps malloc:
 * harmless, its memory is then only not counted. */
static void sqlite_configure(void)
{
    static const sqlite3_mem_methods methods = {
        mem_malloc, mem_free, mem_realloc, mem_size, mem_roundup, mem_init, mem_shutdown, NULL,
    };
    (void)sqlite3_config(SQLITE_CONFIG_MALLOC, &methods);
}

/* ---- helpers shared with rundb_task.c ---- */

JfStatus rundb_error_sqlite(RunDb *db, int rc, const char *what, JfError *err)
{
    JfStatus code = (rc & 0xff) == SQLITE_NOMEM ? JF_ENOMEM : JF_EDB;
    const char *msg = db->conn ? sqlite3_errmsg(db->conn) : sqlite3_errstr(rc);
    /* sqlite3_errmsg can lag behind rc (e.g. after a failed reset): prefer
     * the text of rc when they disagree. */
    if (db->conn && sqlite3_errcode(db->conn) != rc) msg = sqlite3_errstr(rc);
    /* On a full disk SQLite says "database or disk is full" or "disk I/O
     * error"; the system's reason (ENOSPC, EIO, ...) tells which. The unix
     * VFS keeps no errno with SQLITE_FULL: it means a write came up short
     * for want of space. */
    int sys = db->conn && ((rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR)
                  ? sqlite3_system_errno(db->conn) : 0;
    if ((rc & 0xff) == SQLITE_FULL && !sys) sys = ENOSPC;
    if (sys)
        return jf_error_set(err, code, db->path, JF_OFFSET_UNKNOWN, "run database: %s: %s (%s)",
                            what, msg, strerror(sys));
    return jf_error_set(err, code, db->path, JF_OFFSET_UNKNOWN, "run database: %s: %s", what, msg);
}

void rundb_stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static int stmt_run(RunDb *db, RunDbStmt which)
{
    int rc = sqlite3_step(db->stmt[which]);
    sqlite3_reset(db->stmt[which]);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

JfStatus rundb_tx_begin(RunDb *db, JfError *err)
{
    int rc = stmt_run(db, STMT_TX_BEGIN);
    return rc == SQLITE_OK ? JF_OK : rundb_error_sqlite(db, rc, "begin transaction", err);
}

void rundb_tx_rollback(RunDb *db)
{
    /* SQLite may already have rolled back on its own (e.g. after SQLITE_FULL
     * or SQLITE_NOMEM); a second ROLLBACK would only fail. */
    if (!sqlite3_get_autocommit(db->conn)) (void)stmt_run(db, STMT_TX_ROLLBACK);
}

JfStatus rundb_tx_commit(RunDb *db, JfError *err)
{
    int rc = stmt_run(db, STMT_TX_COMMIT);
    if (rc == SQLITE_OK) return JF_OK;
    JfStatus st = rundb_error_sqlite(db, rc, "commit", err);
    rundb_tx_rollback(db);
    return st;
}

double rundb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

const char *rundb_status_text(RunDbStatus st)
{
    static const char *const TEXT[RUNDB_STATUS_COUNT] = {
        [RUNDB_PENDING] = "pending", [RUNDB_RUNNING] = "running",
        [RUNDB_DONE] = "done",       [RUNDB_FAILED] = "failed",
    };
    return (unsigned)st < RUNDB_STATUS_COUNT ? TEXT[st] : "?";
}

/* ---- open: pragmas, schema check, migrations, statements ---- */

/* Runs a constant query returning one integer (a pragma, a count). */
static JfStatus query_int(RunDb *db, const char *sql, int64_t *value, JfError *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *value = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? JF_OK : rundb_error_sqlite(db, rc, "reading the schema", err);
}

/* Reads what the file is: *version = user_version of a jaforge database, 0
 * for an empty (new) file; JF_EDB for any other SQLite file or a newer
 * schema. Reading page 1 is also where a non-database file is caught. */
static JfStatus schema_version_read(RunDb *db, int64_t *version, JfError *err)
{
    int64_t app_id = 0, objects = 0;
    JfStatus st = query_int(db, "PRAGMA application_id", &app_id, err);
    if (st == JF_OK) st = query_int(db, "PRAGMA user_version", version, err);
    if (st == JF_OK) st = query_int(db, "SELECT count(*) FROM sqlite_schema", &objects, err);
    if (st != JF_OK) return st;
    if (app_id != RUNDB_APPLICATION_ID && (app_id != 0 || objects != 0 || *version != 0))
        return jf_error_set(err, JF_EDB, db->path, JF_OFFSET_UNKNOWN,
                            "run database: not a jaforge database (application_id %lld,"
                            " %lld schema objects)", (long long)app_id, (long long)objects);
    if (*version > RUNDB_SCHEMA_VERSION)
        return jf_error_set(err, JF_EDB, db->path, JF_OFFSET_UNKNOWN,
                            "run database: schema version %lld is newer than this jaforge"
                            " knows (%d); use a newer jaforge", (long long)*version,
                            RUNDB_SCHEMA_VERSION);
    return JF_OK;
}

static int exec_const(RunDb *db, const char *sql)
{
    return sqlite3_exec(db->conn, sql, NULL, NULL, NULL);
}

/* Brings the schema to RUNDB_SCHEMA_VERSION. The version is read again
 * under the write lock, since another process may have migrated meanwhile. */
static JfStatus schema_migrate(RunDb *db, JfError *err)
{
    int64_t version = 0;
    JfStatus st = schema_version_read(db, &version, err);
    if (st != JF_OK || version == RUNDB_SCHEMA_VERSION) return st;

    int rc = exec_const(db, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK) return rundb_error_sqlite(db, rc, "locking for schema migration", err);
    st = schema_version_read(db, &version, err);
    for (int64_t v = version; st == JF_OK && v < RUNDB_SCHEMA_VERSION; v++) {
        rc = exec_const(db, MIGRATIONS[v]);
        if (rc != SQLITE_OK) st = rundb_error_sqlite(db, rc, "migrating the schema", err);
    }
    if (st == JF_OK) {
        rc = exec_const(db, "COMMIT");
        if (rc != SQLITE_OK) st = rundb_error_sqlite(db, rc, "committing the schema", err);
    }
    if (st != JF_OK && !sqlite3_get_autocommit(db->conn)) (void)exec_const(db, "ROLLBACK");
    return st;
}

/* WAL lets `jaforge status` read while a run writes; synchronous=NORMAL is
 * safe in WAL mode (a power cut may lose the last commits, never consistency)
 * and spares an fsync per task. A file system without shared memory (some
 * network file systems) keeps the old journal mode: not an error. */
static JfStatus connection_configure(RunDb *db, JfError *err)
{
    int rc = sqlite3_extended_result_codes(db->conn, 1);
    if (rc == SQLITE_OK) rc = sqlite3_busy_timeout(db->conn, RUNDB_BUSY_TIMEOUT_MS);
    if (rc == SQLITE_OK) rc = exec_const(db, "PRAGMA foreign_keys = ON");
    if (rc != SQLITE_OK) return rundb_error_sqlite(db, rc, "configuring the connection", err);
    return JF_OK;
}

static JfStatus journal_configure(RunDb *db, JfError *err)
{
    int rc = exec_const(db, "PRAGMA journal_mode = WAL");
    if (rc == SQLITE_OK) rc = exec_const(db, "PRAGMA synchronous = NORMAL");
    if (rc != SQLITE_OK) return rundb_error_sqlite(db, rc, "setting the journal mode", err);
    return JF_OK;
}

static JfStatus statements_prepare(RunDb *db, JfError *err)
{
    for (int i = 0; i < STMT_COUNT; i++) {
        int rc = sqlite3_prepare_v3(db->conn, STMT_SQL[i], -1, SQLITE_PREPARE_PERSISTENT,
                                    &db->stmt[i], NULL);
        if (rc != SQLITE_OK) return rundb_error_sqlite(db, rc, "preparing statements", err);
    }
    return JF_OK;
}

JfStatus rundb_open(const char *path, RunDb **out, JfError *err)
{
    *out = NULL;
    if (!path || !*path)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "run database: empty path");
    pthread_once(&g_sqlite_once, sqlite_configure);

    RunDb *db = jf_calloc(1, sizeof *db);
    if (!db)
        return jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "run database: out of memory");
    db->path = jf_strdup(path);
    if (!db->path) {
        jf_free(db);
        return jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "run database: out of memory");
    }

    /* NOMUTEX: a connection is never shared between threads (see rundb.h). */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &db->conn, flags, NULL);
    JfStatus st = rc == SQLITE_OK ? JF_OK : rundb_error_sqlite(db, rc, "opening", err);
    /* Read what the file is before anything writes to it: a foreign SQLite
     * file must not be turned to WAL mode. */
    if (st == JF_OK) st = connection_configure(db, err);
    if (st == JF_OK) {
        int64_t version = 0;
        st = schema_version_read(db, &version, err);
    }
    if (st == JF_OK) st = journal_configure(db, err);
    if (st == JF_OK) st = schema_migrate(db, err);
    if (st == JF_OK) st = statements_prepare(db, err);
    if (st != JF_OK) {
        rundb_close(db);
        return st;
    }
    *out = db;
    return JF_OK;
}

void rundb_close(RunDb *db)
{
    if (!db) return;
    for (int i = 0; i < STMT_COUNT; i++) sqlite3_finalize(db->stmt[i]);
    /* close_v2 never leaves the handle half-open, even if a statement leaked. */
    sqlite3_close_v2(db->conn);
    jf_free(db->path);
    jf_free(db);
}
