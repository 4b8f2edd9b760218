/* rundb_int.h: what the files of src/rundb/ share and nobody else sees: the
 * RunDb struct, the table of prepared statements, the transaction and error
 * helpers. Never included outside src/rundb/. */
#ifndef JF_RUNDB_INT_H
#define JF_RUNDB_INT_H

#include <sqlite3.h>

#include "rundb.h"

/* Every statement a RunDb runs after open: prepared once in rundb_open,
 * reset after each use, finalized in rundb_close. Values always go through
 * sqlite3_bind_*; no SQL text is ever built from input.
 * Columns and states are documented in docs/rundb.md. */
#define RUNDB_STMT_LIST(X)                                                                 \
    X(STMT_TX_BEGIN,     "BEGIN IMMEDIATE")                                                \
    X(STMT_TX_COMMIT,    "COMMIT")                                                         \
    X(STMT_TX_ROLLBACK,  "ROLLBACK")                                                       \
    X(STMT_INPUT_FIND,   "SELECT id, size, mtime_ns, xxh3, checked FROM inputs"          \
                         " WHERE path = ?1")                                               \
    X(STMT_INPUT_INSERT, "INSERT INTO inputs(path, size, mtime_ns, xxh3, registered, checked)" \
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?5)")                               \
    X(STMT_INPUT_UPDATE, "UPDATE inputs SET size = ?2, mtime_ns = ?3, xxh3 = ?4, checked = ?5" \
                         " WHERE id = ?1")                                                 \
    X(STMT_INPUT_RESET,  "UPDATE tasks SET status = 'pending', attempts = 0,"              \
                         " last_error = NULL WHERE input_id = ?1")                         \
    X(STMT_TASK_FIND,    "SELECT i.xxh3, t.id, t.status, t.input_xxh3 FROM inputs AS i"    \
                         " LEFT JOIN tasks AS t ON t.input_id = i.id AND t.stage = ?2"     \
                         " WHERE i.id = ?1")                                               \
    X(STMT_TASK_START,   "INSERT INTO tasks(input_id, stage, status, attempts, started,"   \
                         " input_xxh3, run_id) VALUES (?1, ?2, 'running', 1, ?3, ?4, ?5)"  \
                         " ON CONFLICT(input_id, stage) DO UPDATE SET status = 'running',"  \
                         " attempts = attempts + 1, started = excluded.started,"           \
                         " finished = NULL, duration_s = NULL,"                            \
                         " input_xxh3 = excluded.input_xxh3, run_id = excluded.run_id"     \
                         " RETURNING id")                                                  \
    X(STMT_TASK_DONE,    "UPDATE tasks SET status = 'done', finished = ?2,"                \
                         " duration_s = max(0.0, ?2 - coalesce(started, ?2)),"             \
                         " outputs = ?3, stats = ?4, last_error = NULL WHERE id = ?1")     \
    X(STMT_TASK_FAIL,    "UPDATE tasks SET status = 'failed', finished = ?2,"              \
                         " duration_s = max(0.0, ?2 - coalesce(started, ?2)),"             \
                         " last_error = ?3 WHERE id = ?1")                                 \
    X(STMT_RUN_INSERT,   "INSERT INTO runs(command_line, started, pid, hostname, version)" \
                         " VALUES (?1, ?2, ?3, ?4, ?5)")                                   \
    X(STMT_RUN_END,      "UPDATE runs SET finished = ?2, exit_code = ?3 WHERE id = ?1")    \
    X(STMT_TASK_LIST,    "SELECT t.stage, i.path, t.status, t.attempts,"                   \
                         " coalesce(t.duration_s, 0.0), t.stats"                           \
                         " FROM tasks AS t JOIN inputs AS i ON i.id = t.input_id"          \
                         " WHERE ?1 IS NULL OR t.stage = ?1 ORDER BY t.stage, i.path")     \
    X(STMT_STAGE_COUNT,  "SELECT status, count(*) FROM tasks WHERE ?1 IS NULL OR stage = ?1"   \
                         " GROUP BY status")

typedef enum {
#define RUNDB_X_ENUM(name, sql) name,
    RUNDB_STMT_LIST(RUNDB_X_ENUM)
#undef RUNDB_X_ENUM
    STMT_COUNT
} RunDbStmt;

struct RunDb {
    sqlite3      *conn;
    char         *path;             /* owned copy, for error messages */
    int64_t       run_id;           /* last rundb_run_begin, 0 if none: tasks.run_id */
    sqlite3_stmt *stmt[STMT_COUNT];
};

/* Fills err from the connection's last error (JF_ENOMEM for SQLITE_NOMEM,
 * JF_EDB otherwise) with db->path and what was being done. @return the code. */
JfStatus rundb_error_sqlite(RunDb *db, int rc, const char *what, JfError *err);

/* BEGIN IMMEDIATE / COMMIT (rolls back when the commit fails) / ROLLBACK
 * (only when a transaction is open; never fails visibly). */
JfStatus rundb_tx_begin(RunDb *db, JfError *err);
JfStatus rundb_tx_commit(RunDb *db, JfError *err);
void     rundb_tx_rollback(RunDb *db);

/* Resets a statement and drops its bindings, so borrowed text is released. */
void rundb_stmt_done(sqlite3_stmt *st);

/* Current wall-clock time as unix seconds (fraction included). */
double rundb_now(void);

#endif
