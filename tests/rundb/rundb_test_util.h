/* rundb_test_util.h: what the rundb tests share: a scratch directory per
 * test, writing input files with chosen mtimes, and reading the database file
 * straight with SQLite to check what rundb stored (the columns are the
 * documented interface, docs/rundb.md). Test-only; static functions. */
#ifndef RUNDB_TEST_UTIL_H
#define RUNDB_TEST_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rundb.h"

typedef struct {
    char dir[200];
    char db[256];
} TestDir;

static inline void test_dir_make(TestDir *t)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(t->dir, sizeof t->dir, "%s/jf-rundb-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(t->dir)) abort();
    snprintf(t->db, sizeof t->db, "%s/jaforge.db", t->dir);
}

/* Removes the files of the directory (the tests make no sub-directories). */
static inline void test_dir_remove(TestDir *t)
{
    DIR *d = opendir(t->dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", t->dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(t->dir);
}

static inline void test_path(const TestDir *t, const char *name, char out[300])
{
    snprintf(out, 300, "%s/%s", t->dir, name);
}

static inline void test_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) abort();
}

static inline void test_write_str(const char *path, const char *s)
{
    test_write(path, s, strlen(s));
}

/* Sets the file's mtime to sec seconds + nsec after the epoch. */
static inline void test_set_mtime(const char *path, time_t sec, long nsec)
{
    struct timespec ts[2] = { { sec, nsec }, { sec, nsec } };
    if (utimensat(AT_FDCWD, path, ts, 0) != 0) abort();
}

/* Runs a query on the database file with a plain read-only connection and
 * returns the first column of the first row as an integer (-1 when no row). */
static inline int64_t test_sql_int(const char *db_path, const char *sql)
{
    sqlite3 *c = NULL;
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_open_v2(db_path, &c, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) abort();
    if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "test_sql_int: %s: %s\n", sql, sqlite3_errmsg(c));
        abort();
    }
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(c);
    return v;
}

/* Same, returning text into out ("" for NULL, "<none>" when no row). */
static inline void test_sql_text(const char *db_path, const char *sql, char *out, size_t cap)
{
    sqlite3 *c = NULL;
    sqlite3_stmt *st = NULL;
    snprintf(out, cap, "<none>");
    if (sqlite3_open_v2(db_path, &c, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) abort();
    if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "test_sql_text: %s: %s\n", sql, sqlite3_errmsg(c));
        abort();
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *s = sqlite3_column_text(st, 0);
        snprintf(out, cap, "%s", s ? (const char *)s : "");
    }
    sqlite3_finalize(st);
    sqlite3_close(c);
}

/* Runs statements that change the file (to build damaged or foreign files). */
static inline void test_sql_exec(const char *db_path, const char *sql)
{
    sqlite3 *c = NULL;
    if (sqlite3_open(db_path, &c) != SQLITE_OK) abort();
    if (sqlite3_exec(c, sql, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "test_sql_exec: %s: %s\n", sql, sqlite3_errmsg(c));
        abort();
    }
    sqlite3_close(c);
}

#endif
