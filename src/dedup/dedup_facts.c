/* dedup_facts.c: reading back the per-document files of every rank after
 * phase 1 (dedup_int.h: DedupStore, DedupScan): facts.bin (one DedupFact
 * per document, in the rank's order), ids.bin (the ids, back to back) and
 * shingles.bin (sorted shingle sets, --verify). A global document index
 * maps to (rank, local index) through the ranks' document counts. Random
 * access is one pread; sequential scans go through a buffer. Does not
 * write: phase 1 (dedup.c) appends to these files. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dedup_int.h"
#include "jf_alloc.h"

static JfStatus nomem(JfError *err)
{
    return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "dedup: out of memory");
}

static int open_in(const char *dir, const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    return open(path, O_RDONLY | O_CLOEXEC);
}

JfStatus dedup_store_open(DedupStore *s, int ranks, const char (*dirs)[PATH_MAX],
                          const uint64_t *counts, bool verify, JfError *err)
{
    memset(s, 0, sizeof *s);
    s->ranks = ranks;
    s->off = jf_calloc((size_t)ranks + 1, sizeof *s->off);
    s->facts_fd = jf_malloc((size_t)ranks * sizeof(int));
    s->ids_fd = jf_malloc((size_t)ranks * sizeof(int));
    s->sh_fd = jf_malloc((size_t)ranks * sizeof(int));
    s->dir = jf_malloc((size_t)ranks * sizeof *s->dir);
    if (!s->off || !s->facts_fd || !s->ids_fd || !s->sh_fd || !s->dir) return nomem(err);
    for (int r = 0; r < ranks; r++) s->facts_fd[r] = s->ids_fd[r] = s->sh_fd[r] = -1;
    for (int r = 0; r < ranks; r++) {
        s->off[r + 1] = s->off[r] + counts[r];
        memcpy(s->dir[r], dirs[r], PATH_MAX);
    }
    if (s->off[ranks] >= UINT32_MAX)
        return jf_error_set(err, JF_ETOOBIG, NULL, JF_OFFSET_UNKNOWN,
                            "dedup: more than 2^32-2 documents in all");
    char path[PATH_MAX + 32];
    for (int r = 0; r < ranks; r++) {
        if ((s->facts_fd[r] = open_in(dirs[r], "facts.bin", path, sizeof path)) < 0
            || (s->ids_fd[r] = open_in(dirs[r], "ids.bin", path, sizeof path)) < 0
            || (verify && (s->sh_fd[r] = open_in(dirs[r], "shingles.bin", path, sizeof path)) < 0))
            return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN,
                                "cannot open (the folders of all ranks must be visible to "
                                "every rank): %s", strerror(errno));
    }
    return JF_OK;
}

void dedup_store_close(DedupStore *s)
{
    for (int r = 0; s->facts_fd && r < s->ranks; r++) {
        if (s->facts_fd[r] >= 0) close(s->facts_fd[r]);
        if (s->ids_fd[r] >= 0) close(s->ids_fd[r]);
        if (s->sh_fd[r] >= 0) close(s->sh_fd[r]);
    }
    jf_free(s->off);
    jf_free(s->facts_fd);
    jf_free(s->ids_fd);
    jf_free(s->sh_fd);
    jf_free(s->dir);
    memset(s, 0, sizeof *s);
}

uint64_t dedup_store_total(const DedupStore *s) { return s->off ? s->off[s->ranks] : 0; }

/* The rank holding global document i (ranks are few: a linear walk). */
static int rank_of(const DedupStore *s, uint64_t i)
{
    int r = 0;
    while (r + 1 < s->ranks && i >= s->off[r + 1]) r++;
    return r;
}

static JfStatus read_at(int fd, const char *dir, const char *name, void *buf, size_t n,
                        uint64_t at, JfError *err)
{
    ssize_t got = n ? pread(fd, buf, n, (off_t)at) : 0;
    if (got == (ssize_t)n) return JF_OK;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return jf_error_set(err, JF_EIO, path, at, got < 0 ? "read failed" : "short read (file cut?)");
}

JfStatus dedup_store_fact(const DedupStore *s, uint64_t i, DedupFact *f, JfError *err)
{
    int r = rank_of(s, i);
    return read_at(s->facts_fd[r], s->dir[r], "facts.bin", f, sizeof *f,
                   (i - s->off[r]) * sizeof *f, err);
}

JfStatus dedup_store_id(const DedupStore *s, uint64_t i, char *buf, size_t cap, JfError *err)
{
    DedupFact f;
    JfStatus rc = dedup_store_fact(s, i, &f, err);
    if (rc != JF_OK) return rc;
    size_t n = f.id_len < cap - 1 ? f.id_len : cap - 1;
    int r = rank_of(s, i);
    rc = read_at(s->ids_fd[r], s->dir[r], "ids.bin", buf, n, f.id_off, err);
    buf[rc == JF_OK ? n : 0] = 0;
    return rc;
}

JfStatus dedup_store_set(const DedupStore *s, uint64_t i, uint64_t **buf, size_t *cap, size_t *n,
                         JfError *err)
{
    DedupFact f;
    JfStatus rc = dedup_store_fact(s, i, &f, err);
    if (rc != JF_OK) return rc;
    *n = f.sh_n;
    if (*n > *cap) {
        uint64_t *p = jf_realloc(*buf, *n * sizeof *p);
        if (!p) return nomem(err);
        *buf = p, *cap = *n;
    }
    int r = rank_of(s, i);
    return read_at(s->sh_fd[r], s->dir[r], "shingles.bin", *buf, *n * sizeof **buf,
                   f.sh_off * sizeof **buf, err);
}

JfStatus dedup_scan_open(DedupScan *sc, const DedupStore *s, uint64_t from, uint64_t to,
                         size_t buf_bytes, JfError *err)
{
    memset(sc, 0, sizeof *sc);
    sc->st = s;
    sc->next = from, sc->to = to;
    sc->cap = buf_bytes / sizeof(DedupFact);
    if (sc->cap == 0) sc->cap = 1;
    sc->buf = jf_malloc(sc->cap * sizeof *sc->buf);
    return sc->buf ? JF_OK : nomem(err);
}

JfStatus dedup_scan_next(DedupScan *sc, DedupFact *f, JfError *err)
{
    if (sc->pos == sc->n) {   /* refill from the rank that holds sc->next, not past its end */
        if (sc->next >= sc->to) return JF_DONE;
        const DedupStore *s = sc->st;
        int r = rank_of(s, sc->next);
        uint64_t end = s->off[r + 1] < sc->to ? s->off[r + 1] : sc->to;
        size_t n = end - sc->next < sc->cap ? (size_t)(end - sc->next) : sc->cap;
        JfStatus rc = read_at(s->facts_fd[r], s->dir[r], "facts.bin", sc->buf, n * sizeof *sc->buf,
                              (sc->next - s->off[r]) * sizeof *sc->buf, err);
        if (rc != JF_OK) return rc;
        sc->next += n;
        sc->pos = 0, sc->n = n;
    }
    *f = sc->buf[sc->pos++];
    return JF_ROW;
}

void dedup_scan_close(DedupScan *sc)
{
    jf_free(sc->buf);
    sc->buf = NULL;
}
