/* extract_testutil.c: see extract_testutil.h. */
#include "extract_testutil.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#define TU_MAKE_DATA "scripts/make-sample-data.sh %s"

const char *tu_data_dir(void)
{
    const char *d = getenv("JF_DATA_DIR");
    return d && *d ? d : JF_TEST_DATA_DIR;
}

static void tu_missing(const char *what)
{
    print_error("missing test data %s\n", what);
    print_error("make it with: " TU_MAKE_DATA "\n", tu_data_dir());
    fail_msg("missing test data %s", what);
}

uint8_t *tu_read_path(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return NULL;
    }
    uint8_t *b = malloc((size_t)st.st_size + 1);
    assert_non_null(b);
    size_t n = fread(b, 1, (size_t)st.st_size, f);
    fclose(f);
    assert_int_equal(n, (size_t)st.st_size);
    b[n] = '\0';
    *len = n;
    return b;
}

uint8_t *tu_read_data(const char *rel, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tu_data_dir(), rel);
    uint8_t *b = tu_read_path(path, len);
    if (!b) tu_missing(path);
    return b;
}

static int tu_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **tu_list_data(const char *rel_dir, const char *suffix)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tu_data_dir(), rel_dir);
    DIR *d = opendir(path);
    if (!d) tu_missing(path);
    size_t n = 0, cap = 16, sl = strlen(suffix);
    char **list = malloc(cap * sizeof *list);
    assert_non_null(list);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < sl || strcmp(e->d_name + l - sl, suffix) != 0) continue;
        if (n + 2 > cap) {
            cap *= 2;
            list = realloc(list, cap * sizeof *list);
            assert_non_null(list);
        }
        size_t need = strlen(rel_dir) + l + 2;
        list[n] = malloc(need);
        assert_non_null(list[n]);
        snprintf(list[n], need, "%s/%s", rel_dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n == 0) {
        snprintf(path, sizeof path, "%s/%s/*%s", tu_data_dir(), rel_dir, suffix);
        tu_missing(path);
    }
    qsort(list, n, sizeof *list, tu_cmp);
    list[n] = NULL;
    return list;
}

void tu_free_list(char **list)
{
    if (!list) return;
    for (char **p = list; *p; p++) free(*p);
    free(list);
}

const char *tu_vim_tutor_dir(void)
{
    static char rel[512];
    char path[4096];
    snprintf(path, sizeof path, "%s/pkgs/vim-runtime/usr/share/vim", tu_data_dir());
    DIR *d = opendir(path);
    if (!d) tu_missing(path);
    struct dirent *e;
    rel[0] = '\0';
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "vim", 3) != 0 || e->d_name[3] < '0' || e->d_name[3] > '9')
            continue;
        snprintf(rel, sizeof rel, "pkgs/vim-runtime/usr/share/vim/%s/tutor", e->d_name);
        break;
    }
    closedir(d);
    if (!rel[0]) {
        snprintf(path, sizeof path, "%s/pkgs/vim-runtime/usr/share/vim/vimNN/tutor",
                 tu_data_dir());
        tu_missing(path);
    }
    return rel;
}

void tu_squeeze(const char *s, size_t n, JfBuf *out)
{
    jf_buf_reset(out);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') continue;
        if ((uint8_t)c == 0xC2 && i + 1 < n && (uint8_t)s[i + 1] == 0xA0) { /* U+00A0 */
            i++;
            continue;
        }
        assert_int_equal(jf_buf_append_byte(out, (uint8_t)c), JF_OK);
    }
}
