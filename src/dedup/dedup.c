/* dedup.c: the phases of the dedup stage (dedup.h): adding documents
 * (phase 1: their facts, ids and shingle sets appended to files, their key
 * records to the external sort) and walking the merged key records into
 * the union-find (phase 2). Choosing the kept documents is dedup_choose.c's,
 * the files of all ranks are read through dedup_facts.c, checkpoints are
 * dedup_state.c's, MPI is dedup_mpi.c's. */
#include "dedup.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "dedup_int.h"
#include "jf_alloc.h"

void dedup_options_init(DedupOptions *o)
{
    memset(o, 0, sizeof *o);
    minhash_params_preset("swallow", &o->mh);
    o->mh.seed = 42;
    o->near = true;
    o->keep = DEDUP_KEEP_FIRST;
    o->mem = (size_t)256 << 20;
}

static const char *const KEEP_NAMES[] = { "first", "newest", "longest" };

bool dedup_keep_parse(const char *s, DedupKeep *k)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, KEEP_NAMES[i])) { *k = (DedupKeep)i; return true; }
    return false;
}

const char *dedup_keep_name(DedupKeep k) { return (unsigned)k < 3 ? KEEP_NAMES[k] : "?"; }

uint64_t dedup_hist_low(size_t i) { return ((uint64_t)1 << i) + 1; }

/* The Dedup without its files: options, MinHasher, signature scratch. */
static JfStatus dedup_alloc(const DedupOptions *o, Dedup **out, JfError *err)
{
    *out = NULL;
    Dedup *d = jf_calloc(1, sizeof *d);
    if (!d) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "dedup: out of memory");
    d->o = *o;
    if (d->o.mem < DEDUP_MEM_MIN) d->o.mem = DEDUP_MEM_MIN;
    if (d->o.ranks < 1) d->o.ranks = 1;
    JfStatus rc = JF_OK;
    if (o->near) {
        rc = minhash_open(&o->mh, &d->mh, err);
        d->sig = rc == JF_OK ? jf_malloc(minhash_k(d->mh) * sizeof *d->sig) : NULL;
        d->keys = rc == JF_OK ? jf_malloc(o->mh.bands * sizeof *d->keys) : NULL;
        if (rc == JF_OK && (!d->sig || !d->keys))
            rc = jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "dedup: out of memory");
    }
    if (rc != JF_OK) {
        dedup_close(d);
        return rc;
    }
    *out = d;
    return JF_OK;
}

void dedup_mem_note(Dedup *d, size_t bytes)
{
    if (bytes > d->st.mem_planned) d->st.mem_planned = bytes;
}

JfStatus dedup_side_open(Dedup *d, const char *mode, JfError *err)
{
    snprintf(d->facts_path, sizeof d->facts_path, "%s/facts.bin", d->dir);
    snprintf(d->ids_path, sizeof d->ids_path, "%s/ids.bin", d->dir);
    snprintf(d->sh_path, sizeof d->sh_path, "%s/shingles.bin", d->dir);
    bool verify = d->o.near && d->o.verify > 0;
    const char *bad = d->facts_path;
    if ((d->facts_f = fopen(d->facts_path, mode)) != NULL) bad = d->ids_path;
    if (d->facts_f && (d->ids_f = fopen(d->ids_path, mode)) != NULL) bad = d->sh_path;
    if (verify && d->ids_f) d->sh_f = fopen(d->sh_path, mode);
    if (!d->ids_f || (verify && !d->sh_f))
        return jf_error_set(err, JF_EIO, bad, JF_OFFSET_UNKNOWN, "cannot open: %s", strerror(errno));
    return JF_OK;
}

JfStatus dedup_open(const DedupOptions *o, const char *tmp_dir, Dedup **out, JfError *err)
{
    Dedup *d;
    JfStatus rc = dedup_alloc(o, &d, err);
    if (rc != JF_OK) return rc;
    snprintf(d->dir, sizeof d->dir, "%s/dedup-XXXXXX", tmp_dir);
    if (!mkdtemp(d->dir)) {
        rc = jf_error_set(err, JF_EIO, d->dir, JF_OFFSET_UNKNOWN, "cannot make folder: %s", strerror(errno));
        d->dir[0] = 0;
    }
    if (rc == JF_OK) rc = extsort_open(d->dir, d->o.mem, &d->sort, err);
    if (rc == JF_OK) rc = dedup_side_open(d, "w+b", err);
    if (rc != JF_OK) {
        dedup_close(d);
        return rc;
    }
    *out = d;
    return JF_OK;
}

JfStatus dedup_open_dir(const DedupOptions *o, const char *dir, const char *key, bool resume,
                        Dedup **out, JfError *err)
{
    *out = NULL;
    Dedup *d;
    JfStatus rc = dedup_alloc(o, &d, err);
    if (rc != JF_OK) return rc;
    d->persist = true;
    snprintf(d->dir, sizeof d->dir, "%s", dir);
    snprintf(d->key, sizeof d->key, "%s", key);
    rc = dedup_state_load(d, resume, err);
    if (rc != JF_OK) {
        dedup_close(d);
        return rc;
    }
    *out = d;
    return JF_OK;
}

static void side_close(Dedup *d)
{
    if (d->facts_f) fclose(d->facts_f);
    if (d->ids_f) fclose(d->ids_f);
    if (d->sh_f) fclose(d->sh_f);
    d->facts_f = d->ids_f = d->sh_f = NULL;
}

void dedup_close(Dedup *d)
{
    if (!d) return;
    extsort_close(d->sort);
    minhash_close(d->mh);
    side_close(d);
    dedup_store_close(&d->store);
    /* A persistent Dedup keeps its files for a resume; dedup_state_remove deletes them. */
    if (!d->persist && d->dir[0]) {
        unlink(d->facts_path);
        unlink(d->ids_path);
        unlink(d->sh_path);
        rmdir(d->dir);
    }
    jf_free(d->sig);
    jf_free(d->keys);
    jf_free(d->parent);
    jf_free(d->kept);
    jf_free(d->fate);
    jf_free(d->va);
    jf_free(d->vb);
    jf_free(d);
}

bool dedup_phase1_complete(const Dedup *d) { return d->complete; }
uint64_t dedup_checkpoints(const Dedup *d) { return d->checkpoints; }

void dedup_resume_point(const Dedup *d, uint32_t *input, uint64_t *skip)
{
    *input = d->input;
    *skip = d->input_docs;
}

JfStatus dedup_checkpoint(Dedup *d, JfError *err)
{
    if (!d->persist || d->clustered)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "dedup: checkpoint of a temporary run");
    if (d->complete) return JF_OK;   /* its checkpoint is what it was loaded from */
    return dedup_state_save(d, true, err);
}

/* ---- phase 1 ---- */

static uint16_t group_slot(DedupStats *st, const char *src, const char *lang)
{
    for (size_t g = 0; g < st->n_groups; g++)
        if (!strcmp(st->groups[g].source, src) && !strcmp(st->groups[g].lang, lang)) return (uint16_t)g;
    if (st->n_groups == DEDUP_MAX_GROUPS) {   /* the last slot collects the rest */
        snprintf(st->groups[DEDUP_MAX_GROUPS].source, 32, "other");
        snprintf(st->groups[DEDUP_MAX_GROUPS].lang, 16, "other");
        return DEDUP_MAX_GROUPS;
    }
    DedupGroupStats *g = &st->groups[st->n_groups];
    snprintf(g->source, sizeof g->source, "%s", src);
    snprintf(g->lang, sizeof g->lang, "%s", lang);
    return (uint16_t)st->n_groups++;
}

uint16_t dedup_group_slot(DedupStats *st, const char *source, const char *lang)
{
    return group_slot(st, source ? source : "", lang ? lang : "");
}

static JfStatus side_write(FILE *f, const char *path, const void *p, size_t n, JfError *err)
{
    if (n && fwrite(p, 1, n, f) != n)
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "write failed: %s", strerror(errno));
    return JF_OK;
}

/* Shingles, signature and band keys of one document into the sort, and
 * its shingle set into shingles.bin when verifying. */
static JfStatus add_near(Dedup *d, const JfDoc *doc, DedupFact *f, JfError *err)
{
    JfStatus rc = minhash_shingle(d->mh, doc->text, doc->text_len, err);
    if (rc != JF_OK) return rc;
    size_t n;
    minhash_shingles(d->mh, &n);
    if (n == 0) return JF_OK;   /* an empty text is only an exact duplicate */
    minhash_signature(d->mh, d->sig);
    minhash_band_keys(d->mh, d->sig, d->keys);
    for (uint32_t b = 0; b < d->o.mh.bands && rc == JF_OK; b++) {
        DedupRec r = { .k1 = d->keys[b], .k2 = b, .doc = (uint32_t)d->n, .kind = DEDUP_REC_BAND };
        rc = extsort_add(d->sort, &r, err);
    }
    if (rc != JF_OK || !d->sh_f) return rc;
    minhash_shingles_unique(d->mh);
    const uint64_t *sh = minhash_shingles(d->mh, &n);
    f->sh_off = d->sh_len;
    f->sh_n = (uint32_t)n;
    d->sh_len += n;
    return side_write(d->sh_f, d->sh_path, sh, n * sizeof *sh, err);
}

JfStatus dedup_input_begin(Dedup *d, uint32_t input, JfError *err)
{
    if (input == d->input) return JF_OK;
    d->input = input;
    d->input_docs = 0;
    /* A checkpoint at an input boundary costs a short run; worth it once
     * the buffer holds an eighth of its size since the last one. */
    size_t buffered = extsort_buffered(d->sort);
    if (d->persist && !d->complete && buffered >= (buffered + extsort_room(d->sort)) / 8)
        return dedup_state_save(d, false, err);
    return JF_OK;
}

JfStatus dedup_add(Dedup *d, const JfDoc *doc, JfError *err)
{
    if (d->complete || d->clustered)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "dedup: add after phase 1");
    if (d->n >= UINT32_MAX - 1 || doc->text_len > UINT32_MAX)
        return jf_error_set(err, JF_ETOOBIG, NULL, JF_OFFSET_UNKNOWN,
                            "dedup: more than 2^32-2 documents, or a text of 4 GiB");
    /* A checkpoint is taken between documents, when the sort buffer cannot
     * take this one's records: the spill is due anyway, so it costs no I/O. */
    size_t recs = 1 + (d->o.near ? d->o.mh.bands : 0);
    JfStatus rc = JF_OK;
    size_t room = extsort_room(d->sort), buffered = extsort_buffered(d->sort);
    if (d->persist && room < recs && buffered > 0 && recs <= room + buffered)
        rc = dedup_state_save(d, false, err);
    if (rc != JF_OK) return rc;
    DedupFact f;
    memset(&f, 0, sizeof f);
    XXH128_hash_t h = XXH3_128bits(doc->text, doc->text_len);
    f.ex_hi = h.high64, f.ex_lo = h.low64;
    f.created = dedup_time_parse(doc->created);
    f.len = (uint32_t)doc->text_len;
    f.group = dedup_group_slot(&d->st, doc->source, doc->lang);
    f.id_off = d->ids_len;
    size_t id_len = strlen(doc->id);
    f.id_len = id_len > UINT32_MAX ? UINT32_MAX : (uint32_t)id_len;
    f.sh_off = d->sh_len;
    rc = side_write(d->ids_f, d->ids_path, doc->id, f.id_len, err);
    d->ids_len += f.id_len;
    DedupRec r = { .k1 = h.high64, .k2 = h.low64, .doc = (uint32_t)d->n, .kind = DEDUP_REC_EXACT };
    if (rc == JF_OK) rc = extsort_add(d->sort, &r, err);
    if (rc == JF_OK && d->o.near) rc = add_near(d, doc, &f, err);
    if (rc == JF_OK) rc = side_write(d->facts_f, d->facts_path, &f, sizeof f, err);
    if (rc != JF_OK) return rc;
    dedup_mem_note(d, extsort_mem_held(d->sort));
    d->st.docs_in++;
    d->st.bytes_in += doc->text_len;
    d->st.groups[f.group].in++;
    d->n++;
    d->input_docs++;
    return JF_OK;
}

/* ---- phase 2 ---- */

uint32_t dedup_uf_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];   /* path halving */
        x = parent[x];
    }
    return x;
}

/* The smaller root becomes the parent, so a root is always its cluster's first document. */
void dedup_uf_union(uint32_t *parent, uint32_t a, uint32_t b)
{
    a = dedup_uf_find(parent, a), b = dedup_uf_find(parent, b);
    if (a == b) return;
    if (a < b) parent[b] = a;
    else parent[a] = b;
}

/* An LSH candidate pair: joined unless verification finds it below the threshold. */
static JfStatus join_candidate(Dedup *d, uint32_t a, uint32_t b, JfError *err)
{
    if (dedup_uf_find(d->parent, a) == dedup_uf_find(d->parent, b)) return JF_OK;
    d->st.candidates++;
    if (d->o.verify > 0) {
        size_t na, nb;
        JfStatus rc = dedup_store_set(&d->store, a, &d->va, &d->va_cap, &na, err);
        if (rc == JF_OK) rc = dedup_store_set(&d->store, b, &d->vb, &d->vb_cap, &nb, err);
        if (rc != JF_OK) return rc;
        if (minhash_jaccard(d->va, na, d->vb, nb) < d->o.verify) {
            d->st.verify_rejected++;
            return JF_OK;
        }
    }
    dedup_uf_union(d->parent, a, b);
    return JF_OK;
}

/* Walks the merged records: within a run of equal (kind, k1, k2) each
 * document is joined to the run's first (smallest index). */
static JfStatus cluster_merge(Dedup *d, JfError *err)
{
    DedupRec r, first = { 0 };
    bool have = false;
    JfStatus rc;
    while ((rc = extsort_next(d->sort, &r, err)) == JF_ROW) {
        if (have && r.kind == first.kind && r.k1 == first.k1 && r.k2 == first.k2) {
            if (r.kind == DEDUP_REC_EXACT) dedup_uf_union(d->parent, first.doc, r.doc);
            else if ((rc = join_candidate(d, first.doc, r.doc, err)) != JF_OK) return rc;
            continue;
        }
        first = r;
        have = true;
    }
    return rc == JF_DONE ? JF_OK : rc;
}

/* The per-document arrays from here on: parent and kept (4 bytes per
 * document of the run each), fate (1 per document of this rank), and a
 * read buffer for the facts. Too little --mem for them is an error that
 * says how much is needed. */
static JfStatus mem_check(Dedup *d, JfError *err)
{
    uint64_t need = 8 * d->total + d->n + DEDUP_MEM_MIN / 2;
    if (need <= d->o.mem) return JF_OK;
    return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN,
                        "dedup: --mem %zu is too small for %llu documents: at least %llu bytes",
                        d->o.mem, (unsigned long long)d->total, (unsigned long long)need);
}

static JfStatus flush_side(Dedup *d, JfError *err)
{
    FILE *f[3] = { d->facts_f, d->ids_f, d->sh_f };
    const char *p[3] = { d->facts_path, d->ids_path, d->sh_path };
    for (int i = 0; i < 3; i++)
        if (f[i] && fflush(f[i]) != 0)
            return jf_error_set(err, JF_EIO, p[i], JF_OFFSET_UNKNOWN, "write failed: %s", strerror(errno));
    return JF_OK;
}

/* Finishes the key sort within what the union-find leaves of the budget,
 * then walks it into a fresh union-find over all documents. */
static JfStatus cluster_partition(Dedup *d, JfError *err)
{
    size_t uf = d->total * sizeof *d->parent;
    JfStatus rc = extsort_finish(d->sort, d->o.mem - uf, err);
    if (rc != JF_OK) return rc;
    d->parent = jf_malloc((d->total ? d->total : 1) * sizeof *d->parent);
    if (!d->parent) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "dedup: out of memory");
    for (uint64_t i = 0; i < d->total; i++) d->parent[i] = (uint32_t)i;
    dedup_mem_note(d, uf + extsort_mem_held(d->sort));
    rc = cluster_merge(d, err);
    d->st.runs_spilled += extsort_runs_spilled(d->sort);
    d->st.merge_passes += extsort_merge_passes(d->sort);
    extsort_close(d->sort);   /* its buffers are no longer needed */
    d->sort = NULL;
    return rc;
}

JfStatus dedup_cluster(Dedup *d, JfError *err)
{
    if (d->clustered) return JF_OK;
    JfStatus rc = flush_side(d, err);
    if (rc == JF_OK) rc = dedup_mpi_gather(d, err);
    if (rc == JF_OK) rc = mem_check(d, err);
    if (rc == JF_OK && d->o.ranks > 1) rc = dedup_mpi_exchange(d, err);
    if (rc == JF_OK) rc = cluster_partition(d, err);
    if (rc == JF_OK && d->o.ranks > 1) rc = dedup_mpi_merge(d, err);
    if (rc == JF_OK) rc = dedup_choose(d, err);
    if (rc == JF_OK && d->o.ranks > 1) rc = dedup_mpi_stats(d, err);
    if (rc == JF_OK) d->clustered = true;
    return rc;
}

/* ---- phase 3 ---- */

void dedup_fate(const Dedup *d, uint64_t i, DedupFate *f)
{
    uint32_t r = d->parent[i];
    f->kind = (DedupFateKind)d->fate[i - d->first];
    f->cluster = r;
    f->kept = d->kept[r];
}

JfStatus dedup_doc_id(Dedup *d, uint64_t i, char *buf, size_t cap, JfError *err)
{
    return dedup_store_id(&d->store, i, buf, cap, err);
}

uint64_t dedup_count(const Dedup *d) { return d->n; }
uint64_t dedup_first(const Dedup *d) { return d->first; }
uint64_t dedup_total(const Dedup *d) { return d->total; }
const DedupStats *dedup_stats(const Dedup *d) { return &d->st; }
