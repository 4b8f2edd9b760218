/* dedup_state.c: the checkpoint of phase 1 that lets a killed dedup run
 * resume at phase 2 (dedup.h: dedup_open_dir, dedup_checkpoint). Phase 1
 * (reading every input, signatures) is the costly part; its results are
 * already files (ids.bin, shingles.bin, sorted key runs in sort/), so the
 * checkpoint adds the in-memory part, the per-document facts and the
 * statistics, in one file written last and renamed into place:
 *
 * DIR/phase1.state, native byte order (read back by the same build only):
 *   off  size          field
 *   0    8             magic "JFDDST01"
 *   8    4             sizeof(DocInfo)     (u32)
 *   12   4             sizeof(DedupStats)  (u32)
 *   16   8             n: documents        (u64)
 *   24   8             ids_len: bytes of ids.bin
 *   32   8             sh_len: 8-byte units of shingles.bin
 *   40   8             n_runs: run files in sort/ (run-000000.bin ...)
 *   48   128           key, NUL-padded (the caller's fingerprint)
 *   176  S             DedupStats
 *   ...  n x D         DocInfo[n]
 *   ...  8             magic "JFDDEND1"
 * Anything that does not match (magic, sizes, key, side file lengths) means
 * "no checkpoint": the run starts over. Does not decide what the key is;
 * the CLI does (the manifest's checksum, the rank and the rank count). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dedup_int.h"
#include "jf_alloc.h"
#include "jf_fs.h"

static const char STATE_MAGIC[8] = { 'J', 'F', 'D', 'D', 'S', 'T', '0', '1' };
static const char STATE_END[8] = { 'J', 'F', 'D', 'D', 'E', 'N', 'D', '1' };

typedef struct {
    char     magic[8];
    uint32_t doc_size, stats_size;
    uint64_t n, ids_len, sh_len, n_runs;
    char     key[128];
} StateHeader;

static void state_path(const char *dir, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static bool file_has_size(const char *path, uint64_t size)
{
    struct stat sb;
    return stat(path, &sb) == 0 && (uint64_t)sb.st_size == size;
}

/* Loads the checkpoint into d (docs, stats, lengths).
 * @return false when there is none that fits. */
static bool state_read(Dedup *d, uint64_t *n_runs)
{
    char path[PATH_MAX + 32];
    state_path(d->dir, "phase1.state", path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    StateHeader h;
    char end[8];
    bool ok = fread(&h, sizeof h, 1, f) == 1 && !memcmp(h.magic, STATE_MAGIC, 8)
        && h.doc_size == sizeof(DocInfo) && h.stats_size == sizeof(DedupStats)
        && h.n < UINT32_MAX && !strncmp(h.key, d->key, sizeof h.key);
    if (ok) d->docs = jf_malloc((h.n ? h.n : 1) * sizeof *d->docs);
    ok = ok && d->docs && fread(&d->st, sizeof d->st, 1, f) == 1
        && fread(d->docs, sizeof *d->docs, h.n, f) == h.n
        && fread(end, 1, 8, f) == 8 && !memcmp(end, STATE_END, 8);
    fclose(f);
    char side[PATH_MAX + 32];
    state_path(d->dir, "ids.bin", side, sizeof side);
    ok = ok && file_has_size(side, h.ids_len);
    state_path(d->dir, "shingles.bin", side, sizeof side);
    ok = ok && (!(d->o.near && d->o.verify > 0) || file_has_size(side, h.sh_len * 8));
    if (!ok) {
        jf_free(d->docs);
        d->docs = NULL;
        memset(&d->st, 0, sizeof d->st);
        return false;
    }
    d->n = d->cap = h.n;
    d->ids_len = h.ids_len;
    d->sh_len = h.sh_len;
    *n_runs = h.n_runs;
    return true;
}

JfStatus dedup_state_load(Dedup *d, bool resume, bool *resumed, JfError *err)
{
    char sort_dir[PATH_MAX + 8];
    state_path(d->dir, "sort", sort_dir, sizeof sort_dir);
    uint64_t n_runs = 0;
    if (resume && state_read(d, &n_runs)) {
        d->resumed = *resumed = true;
        d->st.phase1_resumed = 1;
        JfStatus rc = dedup_side_open(d, "r+b", err);
        if (rc == JF_OK) rc = extsort_open_dir(sort_dir, dedup_sort_mem(d), n_runs, &d->sort, err);
        return rc;
    }
    dedup_state_remove(d->dir);   /* a stale or foreign state: start over */
    JfStatus rc = jf_fs_mkdir_p(sort_dir, err);
    if (rc == JF_OK) rc = dedup_side_open(d, "w+b", err);
    if (rc == JF_OK) rc = extsort_open_dir(sort_dir, dedup_sort_mem(d), 0, &d->sort, err);
    return rc;
}

static JfStatus flush_sync(FILE *f, const char *path, JfError *err)
{
    if (f && (fflush(f) != 0 || fsync(fileno(f)) != 0))
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "write failed: %s",
                            strerror(errno));
    return JF_OK;
}

static JfStatus state_write(Dedup *d, uint64_t n_runs, JfError *err)
{
    char path[PATH_MAX + 32], tmp[PATH_MAX + 32];
    state_path(d->dir, "phase1.state", path, sizeof path);
    state_path(d->dir, "phase1.state.tmp", tmp, sizeof tmp);
    StateHeader h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, STATE_MAGIC, 8);
    h.doc_size = sizeof(DocInfo), h.stats_size = sizeof(DedupStats);
    h.n = d->n, h.ids_len = d->ids_len, h.sh_len = d->sh_len, h.n_runs = n_runs;
    snprintf(h.key, sizeof h.key, "%s", d->key);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "cannot create: %s", strerror(errno));
    bool ok = fwrite(&h, sizeof h, 1, f) == 1 && fwrite(&d->st, sizeof d->st, 1, f) == 1
        && (d->n == 0 || fwrite(d->docs, sizeof *d->docs, d->n, f) == d->n)
        && fwrite(STATE_END, 1, 8, f) == 8;
    JfStatus rc = ok ? flush_sync(f, tmp, err)
        : jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "write failed: %s", strerror(errno));
    if (fclose(f) != 0 && rc == JF_OK)
        rc = jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "write failed: %s", strerror(errno));
    if (rc == JF_OK && rename(tmp, path) != 0)
        rc = jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot rename: %s",
                          strerror(errno));
    if (rc != JF_OK) unlink(tmp);
    return rc;
}

JfStatus dedup_checkpoint(Dedup *d, JfError *err)
{
    if (!d->persist || d->clustered)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "dedup: checkpoint of a temporary run");
    if (d->resumed) return JF_OK;   /* its checkpoint is what it was loaded from */
    JfStatus rc = flush_sync(d->ids_f, d->ids_path, err);
    if (rc == JF_OK) rc = flush_sync(d->sh_f, d->sh_path, err);
    size_t n_runs = 0;
    if (rc == JF_OK) rc = extsort_spill_all(d->sort, &n_runs, err);
    if (rc == JF_OK) rc = state_write(d, n_runs, err);
    return rc;
}

void dedup_state_remove(const char *dir)
{
    static const char *const FILES[] = {
        "phase1.state", "phase1.state.tmp", "ids.bin", "shingles.bin",
    };
    char path[PATH_MAX + 300];
    for (size_t i = 0; i < sizeof FILES / sizeof *FILES; i++) {   /* the marker first */
        state_path(dir, FILES[i], path, sizeof path);
        unlink(path);
    }
    char sort_dir[PATH_MAX + 8];
    state_path(dir, "sort", sort_dir, sizeof sort_dir);
    DIR *dh = opendir(sort_dir);
    for (struct dirent *e; dh && (e = readdir(dh)) != NULL;) {
        if (strncmp(e->d_name, "run-", 4) != 0) continue;
        snprintf(path, sizeof path, "%s/%s", sort_dir, e->d_name);
        unlink(path);
    }
    if (dh) closedir(dh);
    rmdir(sort_dir);
    rmdir(dir);
}
