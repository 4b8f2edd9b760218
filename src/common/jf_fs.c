/* jf_fs.c: output folders, input expansion, output naming. */
#include "jf_fs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jf_alloc.h"

JfStatus jf_fs_mkdir_p(const char *path, JfError *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return jf_error_set(err, JF_EUSAGE, path, JF_OFFSET_UNKNOWN, "bad directory name");
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return jf_error_set(err, JF_EIO, buf, JF_OFFSET_UNKNOWN, "cannot create directory: %s",
                                strerror(errno));
        buf[i] = c;
    }
    if (!jf_fs_is_dir(path))
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "not a directory");
    return JF_OK;
}

bool jf_fs_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

void jf_pathlist_init(JfPathList *l) { memset(l, 0, sizeof *l); }

void jf_pathlist_free(JfPathList *l)
{
    for (size_t i = 0; i < l->count; i++) jf_free(l->paths[i]);
    jf_free(l->paths);
    memset(l, 0, sizeof *l);
}

JfStatus jf_pathlist_add(JfPathList *l, const char *path)
{
    if (l->count == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        char **p = jf_realloc(l->paths, ncap * sizeof *p);
        if (!p) return JF_ENOMEM;
        l->paths = p;
        l->cap = ncap;
    }
    if (!(l->paths[l->count] = jf_strdup(path))) return JF_ENOMEM;
    l->count++;
    return JF_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static JfStatus expand_dir(const char *dir, bool (*accept)(const char *), JfPathList *out,
                           int depth, JfError *err)
{
    if (depth > 64) return jf_error_set(err, JF_EIO, dir, JF_OFFSET_UNKNOWN, "directories nest too deep");
    DIR *d = opendir(dir);
    if (!d) return jf_error_set(err, JF_EIO, dir, JF_OFFSET_UNKNOWN, "cannot open: %s", strerror(errno));
    JfPathList here;
    jf_pathlist_init(&here);
    JfStatus rc = JF_OK;
    struct dirent *e;
    char path[4096];
    while (rc == JF_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path) continue;
        rc = jf_pathlist_add(&here, path);
    }
    closedir(d);
    if (here.count) qsort(here.paths, here.count, sizeof *here.paths, cmp_str);
    for (size_t i = 0; rc == JF_OK && i < here.count; i++) {
        struct stat st;
        if (stat(here.paths[i], &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            rc = expand_dir(here.paths[i], accept, out, depth + 1, err);
        } else if (S_ISREG(st.st_mode)) {
            const char *base = strrchr(here.paths[i], '/');
            if (!accept || accept(base ? base + 1 : here.paths[i]))
                rc = jf_pathlist_add(out, here.paths[i]);
        }
    }
    jf_pathlist_free(&here);
    if (rc == JF_ENOMEM) jf_error_set(err, rc, dir, JF_OFFSET_UNKNOWN, "out of memory");
    return rc;
}

JfStatus jf_fs_expand_input(const char *path, bool (*accept)(const char *name), JfPathList *out,
                            JfError *err)
{
    if (!strcmp(path, "-") || !jf_fs_is_dir(path)) {
        struct stat st;
        if (strcmp(path, "-") && stat(path, &st) != 0)
            return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot open: %s",
                                strerror(errno));
        if (jf_pathlist_add(out, path) != JF_OK)
            return jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "out of memory");
        return JF_OK;
    }
    return expand_dir(path, accept, out, 0, err);
}

void jf_fs_stem(const char *path, char *out, size_t cap)
{
    static const char *const EXT[] = { ".gz", ".zst", ".bz2", ".warc", ".wet", ".jsonl",
                                       ".json", ".xml", ".txt" };
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!strcmp(base, "-")) base = "stdin";
    snprintf(out, cap, "%s", base);
    bool cut = true;
    while (cut) {
        cut = false;
        size_t n = strlen(out);
        for (size_t i = 0; i < sizeof EXT / sizeof EXT[0]; i++) {
            size_t e = strlen(EXT[i]);
            if (n > e && !strcmp(out + n - e, EXT[i])) {
                out[n - e] = '\0';
                cut = true;
                break;
            }
        }
    }
}

JfStatus jf_fs_mkdir_parent(const char *path, JfError *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return JF_OK;
    *slash = '\0';
    return jf_fs_mkdir_p(dir, err);
}
