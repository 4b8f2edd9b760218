/* dedup_sort.c: the external sort of dedup_sort.h. A buffer sorted in
 * place, spilled as runs; a binary heap merges up to `fan_in` runs at once,
 * each read through its own stdio buffer carved from the budget. */
#include "dedup_sort.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jf_alloc.h"

#define EXTSORT_MIN_MEM   (64u * 1024u)
#define EXTSORT_IO_BUF    (16u * 1024u)   /* per run while merging */

typedef struct {
    FILE    *f;
    DedupRec cur;
} RunSrc;

struct ExtSort {
    char      dir[PATH_MAX];
    size_t    mem;
    DedupRec *buf;
    size_t    n, cap, pos;     /* pos: next record served from buf (no-spill case) */
    size_t    first_run;       /* runs first_run .. next_run-1 exist */
    size_t    next_run;
    size_t    spilled;
    size_t    passes;
    bool      finished;
    bool      in_memory;       /* nothing spilled: serve buf directly */
    bool      own_dir;         /* dir made by us: removed at close */
    bool      keep;            /* a dir sort: runs below keep_below stay on disk */
    size_t    keep_below;
    RunSrc   *src;             /* the final merge */
    size_t    n_src;
    size_t   *heap;            /* indices into src, smallest record on top */
    size_t    n_heap;
    char     *iobuf;
};

static int rec_cmp(const DedupRec *a, const DedupRec *b)
{
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    if (a->k1 != b->k1) return a->k1 < b->k1 ? -1 : 1;
    if (a->k2 != b->k2) return a->k2 < b->k2 ? -1 : 1;
    if (a->doc != b->doc) return a->doc < b->doc ? -1 : 1;
    return 0;
}

static void rec_swap(DedupRec *a, DedupRec *b)
{
    DedupRec t = *a;
    *a = *b;
    *b = t;
}

/* In-place sort of the buffer. Not qsort: glibc's qsort is a merge sort
 * that mallocs a copy of the whole array, which would double the memory
 * --mem allows. Quicksort (median of three, smaller side first so the
 * stack stays O(log n)) with insertion sort for short ranges; heapsort is
 * not needed because the keys are hashes (no adversarial order). */
static void rec_sort(DedupRec *a, size_t n)
{
    while (n > 16) {
        size_t m = n / 2;
        if (rec_cmp(&a[m], &a[0]) < 0) rec_swap(&a[m], &a[0]);
        if (rec_cmp(&a[n - 1], &a[0]) < 0) rec_swap(&a[n - 1], &a[0]);
        if (rec_cmp(&a[n - 1], &a[m]) < 0) rec_swap(&a[n - 1], &a[m]);
        DedupRec pivot = a[m];
        size_t i = 0, j = n - 1;
        for (;;) {   /* Hoare partition: a[0..j] <= pivot <= a[j+1..n-1] */
            while (rec_cmp(&a[i], &pivot) < 0) i++;
            while (rec_cmp(&pivot, &a[j]) < 0) j--;
            if (i >= j) break;
            rec_swap(&a[i++], &a[j--]);
        }
        size_t left = j + 1;
        if (left < n - left) {
            rec_sort(a, left);
            a += left, n -= left;
        } else {
            rec_sort(a + left, n - left);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && rec_cmp(&a[j], &a[j - 1]) < 0; j--) rec_swap(&a[j], &a[j - 1]);
}

static void run_path(const ExtSort *s, size_t i, char *out, size_t cap)
{
    snprintf(out, cap, "%s/run-%06zu.bin", s->dir, i);
}

static JfStatus sort_alloc(ExtSort *s, size_t mem_bytes, JfError *err)
{
    s->mem = mem_bytes < EXTSORT_MIN_MEM ? EXTSORT_MIN_MEM : mem_bytes;
    s->cap = s->mem / sizeof(DedupRec);
    s->buf = jf_malloc(s->cap * sizeof(DedupRec));
    if (s->buf) return JF_OK;
    extsort_close(s);
    return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "extsort: out of memory");
}

JfStatus extsort_open(const char *tmp_dir, size_t mem_bytes, ExtSort **out, JfError *err)
{
    *out = NULL;
    ExtSort *s = jf_calloc(1, sizeof *s);
    if (!s) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "extsort: out of memory");
    snprintf(s->dir, sizeof s->dir, "%s/sort-XXXXXX", tmp_dir);
    if (!mkdtemp(s->dir)) {
        JfStatus rc = jf_error_set(err, JF_EIO, s->dir, JF_OFFSET_UNKNOWN, "cannot make folder: %s",
                                   strerror(errno));
        jf_free(s);
        return rc;
    }
    s->own_dir = true;
    JfStatus rc = sort_alloc(s, mem_bytes, err);
    if (rc == JF_OK) *out = s;
    return rc;
}

JfStatus extsort_open_dir(const char *dir, size_t mem_bytes, size_t n_runs, ExtSort **out,
                          JfError *err)
{
    *out = NULL;
    ExtSort *s = jf_calloc(1, sizeof *s);
    if (!s) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "extsort: out of memory");
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->keep = true;
    s->keep_below = s->next_run = s->spilled = n_runs;
    JfStatus rc = sort_alloc(s, mem_bytes, err);
    if (rc == JF_OK) *out = s;
    return rc;
}

static JfStatus write_recs(FILE *f, const char *path, const DedupRec *r, size_t n, JfError *err)
{
    if (fwrite(r, sizeof *r, n, f) != n)
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "write failed: %s", strerror(errno));
    return JF_OK;
}

static JfStatus spill(ExtSort *s, JfError *err)
{
    rec_sort(s->buf, s->n);
    char path[PATH_MAX + 32];
    run_path(s, s->next_run, path, sizeof path);
    FILE *f = fopen(path, "wb");
    if (!f) return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot create: %s", strerror(errno));
    JfStatus rc = write_recs(f, path, s->buf, s->n, err);
    if (fclose(f) != 0 && rc == JF_OK)
        rc = jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "write failed: %s", strerror(errno));
    if (rc != JF_OK) return rc;
    s->next_run++;
    s->spilled++;
    s->n = 0;
    return JF_OK;
}

JfStatus extsort_add(ExtSort *s, const DedupRec *r, JfError *err)
{
    if (s->finished) return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "extsort: add after finish");
    if (s->n == s->cap) {
        JfStatus rc = spill(s, err);
        if (rc != JF_OK) return rc;
    }
    s->buf[s->n++] = *r;
    return JF_OK;
}

JfStatus extsort_spill_all(ExtSort *s, size_t *n_runs, JfError *err)
{
    if (s->finished)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "extsort: spill after finish");
    JfStatus rc = s->n ? spill(s, err) : JF_OK;
    if (rc != JF_OK) return rc;
    s->keep_below = s->next_run;
    *n_runs = s->next_run;
    return JF_OK;
}

/* ---- k-way merge ---- */

static bool src_less(const ExtSort *s, size_t a, size_t b)
{
    return rec_cmp(&s->src[a].cur, &s->src[b].cur) < 0;
}

static void heap_down(ExtSort *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < s->n_heap && src_less(s, s->heap[l], s->heap[m])) m = l;
        if (l + 1 < s->n_heap && src_less(s, s->heap[l + 1], s->heap[m])) m = l + 1;
        if (m == i) return;
        size_t t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
}

/* Reads the next record of source i. @return JF_ROW, JF_DONE or an error. */
static JfStatus src_read(ExtSort *s, size_t i, JfError *err)
{
    size_t got = fread(&s->src[i].cur, sizeof(DedupRec), 1, s->src[i].f);
    if (got == 1) return JF_ROW;
    if (ferror(s->src[i].f))
        return jf_error_set(err, JF_EIO, s->dir, JF_OFFSET_UNKNOWN, "read of a run failed");
    return JF_DONE;
}

static void merge_close(ExtSort *s)
{
    for (size_t i = 0; i < s->n_src; i++)
        if (s->src[i].f) fclose(s->src[i].f);
    jf_free(s->src);
    jf_free(s->heap);
    jf_free(s->iobuf);
    s->src = NULL, s->heap = NULL, s->iobuf = NULL;
    s->n_src = s->n_heap = 0;
}

/* Opens runs [from, to) for merging and fills the heap. */
static JfStatus merge_open(ExtSort *s, size_t from, size_t to, JfError *err)
{
    size_t n = to - from;
    s->src = jf_calloc(n, sizeof *s->src);
    s->heap = jf_calloc(n, sizeof *s->heap);
    s->iobuf = jf_malloc(n * EXTSORT_IO_BUF);
    if (!s->src || !s->heap || !s->iobuf)
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "extsort: out of memory");
    s->n_src = n;
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX + 32];
        run_path(s, from + i, path, sizeof path);
        s->src[i].f = fopen(path, "rb");
        if (!s->src[i].f)
            return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot open: %s", strerror(errno));
        setvbuf(s->src[i].f, s->iobuf + i * EXTSORT_IO_BUF, _IOFBF, EXTSORT_IO_BUF);
        if (!s->keep) unlink(path);   /* gone once closed, even if we are killed */
        JfStatus rc = src_read(s, i, err);
        if (rc == JF_ROW) s->heap[s->n_heap++] = i;
        else if (rc != JF_DONE) return rc;
    }
    for (size_t i = s->n_heap; i-- > 0;) heap_down(s, i);
    return JF_OK;
}

static JfStatus merge_next(ExtSort *s, DedupRec *r, JfError *err)
{
    if (s->n_heap == 0) return JF_DONE;
    size_t top = s->heap[0];
    *r = s->src[top].cur;
    JfStatus rc = src_read(s, top, err);
    if (rc == JF_DONE) s->heap[0] = s->heap[--s->n_heap];
    else if (rc != JF_ROW) return rc;
    heap_down(s, 0);
    return JF_ROW;
}

/* Merges runs [from, to) into one new run. */
static JfStatus merge_pass(ExtSort *s, size_t from, size_t to, JfError *err)
{
    char path[PATH_MAX + 32];
    run_path(s, s->next_run, path, sizeof path);
    JfStatus rc = merge_open(s, from, to, err);
    FILE *f = rc == JF_OK ? fopen(path, "wb") : NULL;
    if (rc == JF_OK && !f)
        rc = jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot create: %s", strerror(errno));
    DedupRec r;
    while (rc == JF_OK && (rc = merge_next(s, &r, err)) == JF_ROW) rc = write_recs(f, path, &r, 1, err);
    if (rc == JF_DONE) rc = JF_OK;
    if (f && fclose(f) != 0 && rc == JF_OK)
        rc = jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "write failed: %s", strerror(errno));
    merge_close(s);
    if (rc == JF_OK) s->next_run++, s->passes++;
    return rc;
}

JfStatus extsort_finish(ExtSort *s, size_t mem_bytes, JfError *err)
{
    if (s->finished) return JF_OK;
    s->finished = true;
    s->mem = mem_bytes < EXTSORT_MIN_MEM ? EXTSORT_MIN_MEM : mem_bytes;
    if (s->next_run == 0 && s->n * sizeof(DedupRec) <= s->mem) {
        /* Everything fits: sort in place, give back the unused tail, serve from memory. */
        rec_sort(s->buf, s->n);
        DedupRec *p = jf_realloc(s->buf, (s->n ? s->n : 1) * sizeof(DedupRec));
        if (p) s->buf = p, s->cap = s->n;
        s->in_memory = true;
        return JF_OK;
    }
    JfStatus rc = s->n ? spill(s, err) : JF_OK;
    jf_free(s->buf);   /* the budget now goes to read buffers */
    s->buf = NULL;
    s->cap = 0;
    if (rc != JF_OK) return rc;
    size_t fan_in = s->mem / EXTSORT_IO_BUF;
    if (fan_in < 2) fan_in = 2;
    while (rc == JF_OK && s->next_run - s->first_run > fan_in) {
        size_t from = s->first_run;
        s->first_run += fan_in;
        rc = merge_pass(s, from, from + fan_in, err);
    }
    if (rc == JF_OK) rc = merge_open(s, s->first_run, s->next_run, err);
    return rc;
}

JfStatus extsort_next(ExtSort *s, DedupRec *r, JfError *err)
{
    if (!s->finished) return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "extsort: next before finish");
    if (s->in_memory) {
        if (s->pos == s->n) return JF_DONE;
        *r = s->buf[s->pos++];
        return JF_ROW;
    }
    return merge_next(s, r, err);
}

size_t extsort_runs_spilled(const ExtSort *s) { return s->spilled; }
size_t extsort_room(const ExtSort *s) { return s->finished ? 0 : s->cap - s->n; }
size_t extsort_buffered(const ExtSort *s) { return s->finished ? 0 : s->n; }

size_t extsort_mem_held(const ExtSort *s)
{
    if (!s) return 0;
    return s->buf ? s->cap * sizeof(DedupRec) : s->n_src * EXTSORT_IO_BUF;
}
size_t extsort_merge_passes(const ExtSort *s) { return s->passes; }

void extsort_close(ExtSort *s)
{
    if (!s) return;
    merge_close(s);
    /* A dir sort keeps its spilled input runs; merge passes' runs go. */
    for (size_t i = s->keep ? s->keep_below : s->first_run; i < s->next_run; i++) {
        char path[PATH_MAX + 32];
        run_path(s, i, path, sizeof path);
        unlink(path);
    }
    if (s->own_dir) rmdir(s->dir);
    jf_free(s->buf);
    jf_free(s);
}
