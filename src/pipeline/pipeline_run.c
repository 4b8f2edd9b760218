/* pipeline_run.c: runs a planned pipeline: each step is the jaforge binary
 * itself in a child process (exec, no shell), or in this process through the
 * caller's exec function (`jaforge run` under MPI, where a child could not
 * join the job), so a step is exactly the command a person would type and
 * every stage keeps its own resume rules.
 * The run database of the work directory remembers finished steps: a step's
 * "input" is a small file holding its arguments, so a changed recipe redoes
 * the steps it changes, and an unchanged one skips them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jf_fs.h"
#include "pipeline.h"
#include "rundb.h"

/* Writes WORKDIR/.steps/NAME.args (the step's arguments, one per line) when
 * its content changed, and puts its path in path. */
static JfStatus step_key(const PipelineStep *s, const char *workdir, char *path, size_t cap,
                         JfError *err)
{
    char dir[4000], want[65536];
    snprintf(dir, sizeof dir, "%s/.steps", workdir);
    JfStatus rc = jf_fs_mkdir_p(dir, err);
    if (rc != JF_OK) return rc;
    snprintf(path, cap, "%s/%s.args", dir, s->name);
    size_t n = 0;
    for (size_t a = 0; a < s->argc && n < sizeof want; a++)
        n += (size_t)snprintf(want + n, sizeof want - n, "%s\n", s->argv[a]);
    if (n >= sizeof want) n = sizeof want - 1;
    char have[65536];
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(have, 1, sizeof have, f) : 0;
    if (f) fclose(f);
    if (got == n && !memcmp(have, want, n)) return JF_OK;
    if (!(f = fopen(path, "wb")) || fwrite(want, 1, n, f) != n || fclose(f) != 0)
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot write: %s", strerror(errno));
    return JF_OK;
}

JfStatus pipeline_log_path(const char *workdir, const char *name, char *path, size_t cap,
                           JfError *err)
{
    snprintf(path, cap, "%s/logs", workdir);
    JfStatus rc = jf_fs_mkdir_p(path, err);
    snprintf(path, cap, "%s/logs/%s.out", workdir, name);
    return rc;
}

/* Runs exe with the step's arguments, its standard output (tables,
 * statistics) going to log; messages and progress stay on standard error.
 * @return its exit status (or 128+signal). */
static int step_exec(const PipelineStep *s, const char *exe, const char *log)
{
    char *argv[PIPELINE_MAX_ARGS + 2];
    argv[0] = "jaforge";
    for (size_t a = 0; a < s->argc; a++) argv[a + 1] = s->argv[a];
    argv[s->argc + 1] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return 127;
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) dup2(fd, STDOUT_FILENO);
        execv(exe, argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return 127;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* Runs step i unless it is done and nothing before it ran in this run
 * (*ran: a step that ran changes the inputs of every later one). */
static JfStatus run_step(RunDb *db, const PipelineStep *s, size_t i, size_t n, const char *exe,
                         const char *workdir, bool *ran, PipelineStepFn *on_step,
                         PipelineExecFn *exec, void *ctx, JfError *err)
{
    char key[4096];
    int64_t input_id, task_id;
    bool skip = false;
    JfStatus rc = step_key(s, workdir, key, sizeof key, err);
    if (rc == JF_OK) rc = rundb_input_register(db, key, &input_id, NULL, err);
    if (rc == JF_OK) rc = rundb_task_begin(db, input_id, "run", &skip, &task_id, err);
    if (rc == JF_OK && skip && *ran) {   /* done before, but its inputs were just rewritten */
        rc = rundb_task_fail(db, task_id, "an earlier step ran again", err);
        if (rc == JF_OK) rc = rundb_task_begin(db, input_id, "run", &skip, &task_id, err);
    }
    if (rc != JF_OK) return rc;
    if (on_step) on_step(ctx, s, i, n, skip);
    if (skip) return JF_OK;
    *ran = true;
    char log[4096];
    int code = 126;
    if (pipeline_log_path(workdir, s->name, log, sizeof log, err) == JF_OK)
        code = exec ? exec(ctx, s, i, log) : step_exec(s, exe, log);
    if (code != 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "step %s failed with exit status %d", s->name, code);
        rundb_task_fail(db, task_id, msg, err);
        return jf_error_set(err, JF_EIO, workdir, JF_OFFSET_UNKNOWN, "%s", msg);
    }
    char stats[128];
    snprintf(stats, sizeof stats, "{\"step\":%zu,\"of\":%zu}", i + 1, n);
    return rundb_task_commit(db, task_id, NULL, stats, err);
}

JfStatus pipeline_run(const Pipeline *p, const char *exe, const char *workdir,
                      PipelineStepFn *on_step, PipelineExecFn *exec, void *ctx, JfError *err)
{
    char dbpath[4096];
    JfStatus rc = jf_fs_mkdir_p(workdir, err);
    snprintf(dbpath, sizeof dbpath, "%s/jaforge.db", workdir);
    RunDb *db = NULL;
    if (rc == JF_OK) rc = rundb_open(dbpath, &db, err);
    bool ran = false;
    for (size_t i = 0; rc == JF_OK && i < p->count; i++)
        rc = run_step(db, &p->steps[i], i, p->count, exe, workdir, &ran, on_step, exec, ctx, err);
    rundb_close(db);
    return rc;
}
