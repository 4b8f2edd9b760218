/* rundb.h: the run database of a work directory (DIR/jaforge.db, SQLite).
 * It records the inputs (path, size, mtime, xxh3-64 of the content), the tasks
 * (one per input × stage: status, attempts, times, outputs, statistics, last
 * error) and the invocations of jaforge (command line, times, exit code,
 * version), so that a re-run skips finished work and `jaforge status` can tell
 * the history. The schema is documented in docs/rundb.md.
 *
 * It does not schedule work, run stages or print. A RunDb is single-threaded:
 * open one per process (under MPI only rank 0 opens it) and never share it
 * between threads.
 *
 * Resume rules (see docs/rundb.md):
 *   - a task whose status is "done" is skipped while its input is unchanged;
 *   - rundb_input_register notices changed content and turns the input's tasks
 *     back to "pending";
 *   - a task found "running" at begin was left by a killed process: it is
 *     redone like a pending or failed one (attempts counts every begin). */
#ifndef JF_RUNDB_H
#define JF_RUNDB_H

#include <stdbool.h>
#include <stdint.h>

#include "jf_error.h"

typedef struct RunDb RunDb;   /* opaque; one SQLite connection + prepared statements */

/* Index of each status in rundb_stage_counts()'s counts[]; the text stored in
 * the tasks.status column is rundb_status_text(i). */
typedef enum {
    RUNDB_PENDING = 0,
    RUNDB_RUNNING = 1,
    RUNDB_DONE    = 2,
    RUNDB_FAILED  = 3,
    RUNDB_STATUS_COUNT
} RunDbStatus;

/* @return "pending", "running", "done", "failed" (or "?" when out of range). */
const char *rundb_status_text(RunDbStatus st);

/* Opens (creating if new) the database at path, e.g. "DIR/jaforge.db".
 * Sets WAL journal mode, a busy timeout, foreign keys on; creates or migrates
 * the schema (version in PRAGMA user_version). A file that is not a jaforge
 * database, is corrupted, or has a newer schema version fails with JF_EDB
 * (err names the file and gives SQLite's reason).
 * The first open in a process routes SQLite's allocations through jf_malloc
 * (counted, and reached by jf_alloc_fail_at); it must come before any other
 * use of SQLite in the process, or SQLite keeps plain malloc.
 * @return JF_OK and *out (close with rundb_close), JF_EUSAGE (empty path),
 * JF_ENOMEM or JF_EDB; on error *out is NULL and nothing is left open. */
JfStatus rundb_open(const char *path, RunDb **out, JfError *err);

/* Finalizes the statements and closes the connection. Accepts NULL. */
void rundb_close(RunDb *db);

/* Computes the xxh3-64 of a file's content, streaming (constant memory), as
 * 16 lowercase hex digits + NUL (the digits `xxhsum -H3` prints). *size
 * receives the number of bytes read; size may be NULL.
 * @return JF_OK, JF_EIO (open/read failure) or JF_ENOMEM. */
JfStatus rundb_file_checksum(const char *path, char hex[17], uint64_t *size, JfError *err);

/* Registers (or finds) an input by path (stored as given; callers pass a
 * stable, normalised path). Uses size + mtime to avoid re-hashing an
 * unchanged file; when they differ the content is hashed again. A stamp
 * recorded less than 2 s after the file's mtime is not trusted (a rewrite in
 * the same clock tick would keep it): such a file is hashed again. *changed is
 * true only when a known path now has different content: its tasks then go
 * back to "pending" (in the same transaction). A new path gives *changed =
 * false. changed may be NULL.
 * @return JF_OK, JF_EIO (cannot stat/read the file), JF_EDB, JF_ENOMEM. */
JfStatus rundb_input_register(RunDb *db, const char *path, int64_t *input_id, bool *changed,
                              JfError *err);

/* Begins the task (input_id, stage). If it is "done", *skip = true and
 * *task_id is still set (its id). Otherwise (new, pending, failed, or left
 * "running" by a killed process) it becomes "running" with attempts + 1 and a
 * new started time, *skip = false.
 * @return JF_OK, JF_EDB (e.g. unknown input_id), JF_EUSAGE (empty stage). */
JfStatus rundb_task_begin(RunDb *db, int64_t input_id, const char *stage, bool *skip,
                          int64_t *task_id, JfError *err);

/* Marks the task "done": finished time, duration, outputs (a JSON array of
 * paths, e.g. "[\"out/a.jsonl.zst\"]"; NULL means "[]") and statistics (a JSON
 * object; NULL means "{}"); clears the last error. One transaction.
 * @return JF_OK, JF_EFORMAT (text is not valid JSON of the right kind; the
 * task is unchanged), JF_EDB (unknown task_id). */
JfStatus rundb_task_commit(RunDb *db, int64_t task_id, const char *outputs_json,
                           const char *stats_json, JfError *err);

/* Marks the task "failed" with error_text (may be NULL), finished time and
 * duration. The next begin redoes it. @return JF_OK or JF_EDB. */
JfStatus rundb_task_fail(RunDb *db, int64_t task_id, const char *error_text, JfError *err);

/* Invocation log: run_begin records the command line, start time, pid and
 * jaforge version and returns the row id; run_end records the end time and
 * exit code. A run without an end was killed. @return JF_OK or JF_EDB. */
JfStatus rundb_run_begin(RunDb *db, const char *command_line, int64_t *run_id, JfError *err);
JfStatus rundb_run_end(RunDb *db, int64_t run_id, int exit_code, JfError *err);

/* Called by rundb_tasks_foreach for each task, ordered by stage then input
 * path. The strings are borrowed: valid only during the call. duration_s is 0
 * for a task never finished; stats_json is "{}" when none.
 * @return 0 to go on, non-zero to stop the iteration. */
typedef int RunDbTaskFn(void *ctx, const char *stage, const char *input_path,
                        const char *status, int attempts, double duration_s,
                        const char *stats_json);

/* Iterates tasks of one stage (stage = NULL: all stages) for reports. fn must
 * not call other rundb functions on the same db. Stopping early (fn returns
 * non-zero) is not an error. @return JF_OK, JF_EUSAGE (fn NULL) or JF_EDB. */
JfStatus rundb_tasks_foreach(RunDb *db, const char *stage, RunDbTaskFn *fn, void *ctx,
                             JfError *err);

/* Counts the tasks of stage (NULL: all stages) per status:
 * counts[RUNDB_PENDING], [RUNDB_RUNNING], [RUNDB_DONE], [RUNDB_FAILED]. A task
 * row exists once begun (pending = its input changed since), so inputs never
 * begun for the stage are not counted: the caller knows its total.
 * @return JF_OK or JF_EDB. */
JfStatus rundb_stage_counts(RunDb *db, const char *stage, int64_t counts[4], JfError *err);

#endif
