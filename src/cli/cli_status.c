/* cli_status.c: `jaforge status DIR` prints the progress of a work
 * directory: every task of DIR/jaforge.db and of the stage directories
 * below it (one level of stage folders and their language folders), with
 * status, attempts, time and the main figures of its statistics. Reads
 * only; safe while a run is going (SQLite WAL). */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "rundb.h"

typedef struct {
    const char *dir;
    size_t      tasks;
} StatusCtx;

/* The few figures worth a glance, from a stage's statistics. */
static void stats_brief(const char *json, char *out, size_t cap)
{
    json_t *o = json_loads(json, 0, NULL);
    out[0] = '\0';
    if (!o) return;
    size_t n = 0;
    static const char *const KEYS[] = { "records", "docs_in", "docs_out", "documents", "kept",
                                        "filtered",
                                        "removed_exact", "removed_near", "outcome", "bytes" };
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0] && n < cap; i++) {
        json_t *v = json_object_get(o, KEYS[i]);
        if (!v) continue;
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        n += (size_t)snprintf(out + n, cap - n, "%s%s=%s", n ? " " : "", KEYS[i], s ? s : "?");
        free(s);
    }
    json_decref(o);
}

static int on_task(void *vctx, const char *stage, const char *input, const char *status,
                   int attempts, double secs, const char *stats)
{
    StatusCtx *c = vctx;
    char brief[256];
    stats_brief(stats, brief, sizeof brief);
    const char *base = strrchr(input, '/');
    printf("  %-10s %-8s %2d  %7.1fs  %-32s %s\n", stage, status, attempts, secs,
           base ? base + 1 : input, brief);
    c->tasks++;
    return 0;
}

static bool show_db(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/jaforge.db", dir);
    struct stat st;
    if (stat(path, &st) != 0) return false;
    RunDb *db;
    JfError err;
    jf_error_clear(&err);
    if (rundb_open(path, &db, &err) != JF_OK) {
        cli_report(&err);
        return true;
    }
    printf("%s\n", dir);
    StatusCtx c = { dir, 0 };
    if (rundb_tasks_foreach(db, NULL, on_task, &c, &err) != JF_OK) cli_report(&err);
    if (!c.tasks) printf("  (no tasks yet)\n");
    rundb_close(db);
    return true;
}

static void walk(const char *dir, int depth, int *found)
{
    if (show_db(dir)) (*found)++;
    if (depth == 0) return;
    DIR *d = opendir(dir);
    if (!d) return;
    char *names[256];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 256;)
        if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
    closedir(d);
    for (size_t i = 1; i < n; i++)   /* sorted: a small insertion sort */
        for (size_t k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0; k--) {
            char *t = names[k]; names[k] = names[k - 1]; names[k - 1] = t;
        }
    for (size_t i = 0; i < n; i++) {
        char sub[4096];
        struct stat st;
        snprintf(sub, sizeof sub, "%s/%s", dir, names[i]);
        if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) walk(sub, depth - 1, found);
        free(names[i]);
    }
}

int cli_status_main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        FILE *f = argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr;
        fprintf(f, "usage: jaforge status DIR\n\nProgress of a work directory: the tasks of "
                   "DIR/jaforge.db and of its stage folders.\n");
        return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    int found = 0;
    printf("  %-10s %-8s %2s  %8s  %-32s %s\n", "stage", "status", "n", "time", "input", "figures");
    walk(argv[1], 2, &found);
    if (!found) {
        cli_errorf("%s: no jaforge.db here or in its stage folders", argv[1]);
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}
