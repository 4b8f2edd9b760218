/* dedup_state.c: the checkpoint of phase 1 that lets a killed dedup run
 * resume where its last checkpoint was (dedup.h: dedup_open_dir,
 * dedup_checkpoint; dedup_int.h: dedup_state_save/load). Phase 1 (reading
 * every input, signatures) is the costly part; its results are files
 * appended as it goes (facts.bin, ids.bin, shingles.bin, sorted key runs in
 * sort/), so a checkpoint spills the sort buffer, syncs the files and
 * records their lengths, where in the inputs it was, and the statistics, in
 * one file written last and renamed into place:
 *
 * DIR/phase1.state, native byte order (read back by the same build only):
 *   off  size          field
 *   0    8             magic "JFDDST02"
 *   8    4             sizeof(DedupFact)   (u32)
 *   12   4             sizeof(DedupStats)  (u32)
 *   16   8             n: documents        (u64)
 *   24   8             ids_len: bytes of ids.bin
 *   32   8             sh_len: 8-byte units of shingles.bin
 *   40   8             n_runs: run files in sort/ (run-000000.bin ...)
 *   48   8             input_docs: documents of `input` added
 *   56   4             input: the caller's input being read (u32)
 *   60   4             complete: 1 when phase 1 is over (u32)
 *   64   128           key, NUL-padded (the caller's fingerprint)
 *   192  S             DedupStats
 *   ...  8             magic "JFDDEND2"
 * facts.bin then holds n x sizeof(DedupFact) bytes. A killed run may have
 * written past the checkpoint: on load the side files are cut back to the
 * recorded lengths and runs numbered n_runs or more are deleted. Anything
 * that does not match (magic, sizes, key, files shorter than recorded)
 * means "no checkpoint": the run starts over. Does not decide what the key
 * is; the CLI does (the manifest's checksum, the rank and the rank count). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dedup_int.h"
#include "jf_alloc.h"
#include "jf_fs.h"

static const char STATE_MAGIC[8] = { 'J', 'F', 'D', 'D', 'S', 'T', '0', '2' };
static const char STATE_END[8] = { 'J', 'F', 'D', 'D', 'E', 'N', 'D', '2' };

typedef struct {
    char     magic[8];
    uint32_t fact_size, stats_size;
    uint64_t n, ids_len, sh_len, n_runs, input_docs;
    uint32_t input, complete;
    char     key[128];
} StateHeader;

static void state_path(const char *dir, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

/* The file holds at least size bytes; it is cut back to exactly size. */
static bool file_cut(const char *path, uint64_t size)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || (uint64_t)sb.st_size < size) return false;
    return (uint64_t)sb.st_size == size || truncate(path, (off_t)size) == 0;
}

/* Run files from n_runs on were spilled after the checkpoint: not ours. */
static void runs_remove_from(const char *sort_dir, uint64_t n_runs)
{
    DIR *dh = opendir(sort_dir);
    for (struct dirent *e; dh && (e = readdir(dh)) != NULL;) {
        unsigned long long k;
        if (sscanf(e->d_name, "run-%llu.bin", &k) != 1 || k < n_runs) continue;
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", sort_dir, e->d_name);
        unlink(path);
    }
    if (dh) closedir(dh);
}

static bool state_read(Dedup *d, StateHeader *h)
{
    char path[PATH_MAX + 32];
    state_path(d->dir, "phase1.state", path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char end[8];
    bool ok = fread(h, sizeof *h, 1, f) == 1 && !memcmp(h->magic, STATE_MAGIC, 8)
        && h->fact_size == sizeof(DedupFact) && h->stats_size == sizeof(DedupStats)
        && h->n < UINT32_MAX && !strncmp(h->key, d->key, sizeof h->key)
        && fread(&d->st, sizeof d->st, 1, f) == 1
        && fread(end, 1, 8, f) == 8 && !memcmp(end, STATE_END, 8);
    fclose(f);
    char side[PATH_MAX + 32];
    state_path(d->dir, "facts.bin", side, sizeof side);
    ok = ok && file_cut(side, h->n * sizeof(DedupFact));
    state_path(d->dir, "ids.bin", side, sizeof side);
    ok = ok && file_cut(side, h->ids_len);
    state_path(d->dir, "shingles.bin", side, sizeof side);
    ok = ok && (!(d->o.near && d->o.verify > 0) || file_cut(side, h->sh_len * 8));
    if (!ok) memset(&d->st, 0, sizeof d->st);
    return ok;
}

JfStatus dedup_state_load(Dedup *d, bool resume, JfError *err)
{
    char sort_dir[PATH_MAX + 8];
    state_path(d->dir, "sort", sort_dir, sizeof sort_dir);
    StateHeader h;
    if (resume && state_read(d, &h)) {
        d->n = h.n;
        d->ids_len = h.ids_len, d->sh_len = h.sh_len;
        d->input = h.input, d->input_docs = h.input_docs;
        d->complete = h.complete != 0;
        d->st.phase1_resumed = h.n > 0;
        d->st.resumed_docs = h.n;
        runs_remove_from(sort_dir, h.n_runs);
        /* A complete phase 1 appends nothing more; else go on appending. */
        JfStatus rc = d->complete ? JF_OK : dedup_side_open(d, "ab", err);
        if (rc == JF_OK) rc = extsort_open_dir(sort_dir, d->o.mem, h.n_runs, &d->sort, err);
        return rc;
    }
    dedup_state_remove(d->dir);   /* a stale or foreign state: start over */
    JfStatus rc = jf_fs_mkdir_p(sort_dir, err);
    if (rc == JF_OK) rc = dedup_side_open(d, "w+b", err);
    if (rc == JF_OK) rc = extsort_open_dir(sort_dir, d->o.mem, 0, &d->sort, err);
    return rc;
}

static JfStatus flush_sync(FILE *f, const char *path, JfError *err)
{
    if (f && (fflush(f) != 0 || fsync(fileno(f)) != 0))
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "write failed: %s",
                            strerror(errno));
    return JF_OK;
}

static JfStatus state_write(Dedup *d, uint64_t n_runs, bool complete, JfError *err)
{
    char path[PATH_MAX + 32], tmp[PATH_MAX + 32];
    state_path(d->dir, "phase1.state", path, sizeof path);
    state_path(d->dir, "phase1.state.tmp", tmp, sizeof tmp);
    StateHeader h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, STATE_MAGIC, 8);
    h.fact_size = sizeof(DedupFact), h.stats_size = sizeof(DedupStats);
    h.n = d->n, h.ids_len = d->ids_len, h.sh_len = d->sh_len, h.n_runs = n_runs;
    h.input = d->input, h.input_docs = d->input_docs, h.complete = complete;
    snprintf(h.key, sizeof h.key, "%s", d->key);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "cannot create: %s", strerror(errno));
    bool ok = fwrite(&h, sizeof h, 1, f) == 1 && fwrite(&d->st, sizeof d->st, 1, f) == 1
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

JfStatus dedup_state_save(Dedup *d, bool complete, JfError *err)
{
    JfStatus rc = flush_sync(d->facts_f, d->facts_path, err);
    if (rc == JF_OK) rc = flush_sync(d->ids_f, d->ids_path, err);
    if (rc == JF_OK) rc = flush_sync(d->sh_f, d->sh_path, err);
    size_t n_runs = 0;
    if (rc == JF_OK) rc = extsort_spill_all(d->sort, &n_runs, err);
    if (rc == JF_OK) rc = state_write(d, n_runs, complete, err);
    if (rc == JF_OK) d->checkpoints++, d->complete = complete;
    return rc;
}

void dedup_state_remove(const char *dir)
{
    static const char *const FILES[] = {
        "phase1.state", "phase1.state.tmp", "facts.bin", "ids.bin", "shingles.bin", "edges.bin",
    };
    char path[PATH_MAX + 300];
    for (size_t i = 0; i < sizeof FILES / sizeof *FILES; i++) {   /* the marker first */
        state_path(dir, FILES[i], path, sizeof path);
        unlink(path);
    }
    char sort_dir[PATH_MAX + 8];
    state_path(dir, "sort", sort_dir, sizeof sort_dir);
    runs_remove_from(sort_dir, 0);
    rmdir(sort_dir);
    rmdir(dir);
}
