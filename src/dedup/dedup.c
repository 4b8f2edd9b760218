/* dedup.c: the phases of the dedup stage (dedup.h). Per-document facts live
 * in one growable array; ids and (with --verify) shingle sets go to side
 * files under the stage's temporary folder and are read back with pread. */
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

size_t dedup_sort_mem(const Dedup *d)
{
    /* Under MPI half the budget is this rank's own sort; the exchange takes the rest. */
    return d->o.ranks > 1 ? d->o.mem / 2 : d->o.mem;
}

JfStatus dedup_side_open(Dedup *d, const char *mode, JfError *err)
{
    snprintf(d->ids_path, sizeof d->ids_path, "%s/ids.bin", d->dir);
    snprintf(d->sh_path, sizeof d->sh_path, "%s/shingles.bin", d->dir);
    bool verify = d->o.near && d->o.verify > 0;
    d->ids_f = fopen(d->ids_path, mode);
    if (verify && d->ids_f) d->sh_f = fopen(d->sh_path, mode);
    if (!d->ids_f || (verify && !d->sh_f))
        return jf_error_set(err, JF_EIO, d->ids_f ? d->sh_path : d->ids_path, JF_OFFSET_UNKNOWN,
                            "cannot open: %s", strerror(errno));
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
    if (rc == JF_OK) rc = extsort_open(d->dir, dedup_sort_mem(d), &d->sort, err);
    if (rc == JF_OK) rc = dedup_side_open(d, "w+b", err);
    if (rc != JF_OK) {
        dedup_close(d);
        return rc;
    }
    *out = d;
    return JF_OK;
}

JfStatus dedup_open_dir(const DedupOptions *o, const char *dir, const char *key, bool resume,
                        Dedup **out, bool *resumed, JfError *err)
{
    *out = NULL;
    *resumed = false;
    Dedup *d;
    JfStatus rc = dedup_alloc(o, &d, err);
    if (rc != JF_OK) return rc;
    d->persist = true;
    snprintf(d->dir, sizeof d->dir, "%s", dir);
    snprintf(d->key, sizeof d->key, "%s", key);
    rc = dedup_state_load(d, resume, resumed, err);
    if (rc != JF_OK) {
        dedup_close(d);
        return rc;
    }
    *out = d;
    return JF_OK;
}

void dedup_close(Dedup *d)
{
    if (!d) return;
    extsort_close(d->sort);
    minhash_close(d->mh);
    /* A persistent Dedup keeps its files for a resume; dedup_state_remove deletes them. */
    if (d->ids_f) fclose(d->ids_f);
    if (d->sh_f) fclose(d->sh_f);
    if (!d->persist) {
        if (d->ids_f) unlink(d->ids_path);
        if (d->sh_f) unlink(d->sh_path);
        if (d->dir[0]) rmdir(d->dir);
    }
    jf_free(d->sig);
    jf_free(d->keys);
    jf_free(d->docs);
    jf_free(d->va);
    jf_free(d->vb);
    jf_free(d);
}

/* ---- phase 1 ---- */

static uint16_t group_of(Dedup *d, const JfDoc *doc)
{
    const char *src = doc->source ? doc->source : "";
    const char *lang = doc->lang ? doc->lang : "";
    DedupStats *st = &d->st;
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

JfStatus dedup_docs_reserve(Dedup *d, JfError *err)
{
    if (d->n < d->cap) return JF_OK;
    if (d->n >= UINT32_MAX)
        return jf_error_set(err, JF_ETOOBIG, NULL, JF_OFFSET_UNKNOWN, "dedup: more than 2^32-1 documents");
    size_t cap = d->cap ? d->cap * 2 : 4096;
    DocInfo *p = jf_realloc(d->docs, cap * sizeof *p);
    if (!p) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "dedup: out of memory");
    d->docs = p;
    d->cap = cap;
    return JF_OK;
}

JfStatus dedup_side_write(FILE *f, const char *path, const void *p, size_t n, JfError *err)
{
    if (n && fwrite(p, 1, n, f) != n)
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "write failed: %s", strerror(errno));
    return JF_OK;
}

/* Shingles, signature, band keys of one document into the sort when this
 * rank owns it, and its shingle set into shingles.bin when verifying (every
 * rank keeps every set: a candidate pair may join documents of two ranks). */
static JfStatus add_near(Dedup *d, const JfDoc *doc, DocInfo *di, bool own, JfError *err)
{
    if (!own && !d->sh_f) return JF_OK;
    JfStatus rc = minhash_shingle(d->mh, doc->text, doc->text_len, err);
    if (rc != JF_OK) return rc;
    size_t n;
    minhash_shingles(d->mh, &n);
    if (n == 0) return JF_OK;   /* an empty text is only an exact duplicate */
    if (own) {
        minhash_signature(d->mh, d->sig);
        minhash_band_keys(d->mh, d->sig, d->keys);
    }
    for (uint32_t b = 0; own && b < d->o.mh.bands && rc == JF_OK; b++) {
        DedupRec r = { .k1 = d->keys[b], .k2 = b, .doc = (uint32_t)d->n, .kind = DEDUP_REC_BAND };
        rc = extsort_add(d->sort, &r, err);
    }
    if (rc != JF_OK || !d->sh_f) return rc;
    minhash_shingles_unique(d->mh);
    const uint64_t *sh = minhash_shingles(d->mh, &n);
    di->sh_off = d->sh_len;
    d->sh_len += n;
    return dedup_side_write(d->sh_f, d->sh_path, sh, n * sizeof *sh, err);
}

JfStatus dedup_add(Dedup *d, const JfDoc *doc, JfError *err)
{
    if (d->resumed || d->clustered)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "dedup: add after phase 1");
    JfStatus rc = dedup_docs_reserve(d, err);
    if (rc != JF_OK) return rc;
    DocInfo *di = &d->docs[d->n];
    memset(di, 0, sizeof *di);
    XXH128_hash_t h = XXH3_128bits(doc->text, doc->text_len);
    di->ex_hi = h.high64, di->ex_lo = h.low64;
    di->created = dedup_time_parse(doc->created);
    di->len = doc->text_len;
    di->parent = (uint32_t)d->n;
    di->group = group_of(d, doc);
    di->sh_off = d->sh_len;
    di->id_off = d->ids_len;
    size_t id_len = strlen(doc->id) + 1;
    rc = dedup_side_write(d->ids_f, d->ids_path, doc->id, id_len, err);
    d->ids_len += id_len;
    /* Without MPI every document is ours; with it, index mod ranks picks the owner. */
    bool own = d->o.ranks <= 1 || d->n % (size_t)d->o.ranks == (size_t)d->o.rank;
    DedupRec r = { .k1 = h.high64, .k2 = h.low64, .doc = (uint32_t)d->n, .kind = DEDUP_REC_EXACT };
    if (rc == JF_OK && own) rc = extsort_add(d->sort, &r, err);
    if (rc == JF_OK && d->o.near) rc = add_near(d, doc, di, own, err);
    if (rc != JF_OK) return rc;
    d->st.docs_in++;
    d->st.bytes_in += doc->text_len;
    d->st.groups[di->group].in++;
    d->n++;
    return JF_OK;
}

/* ---- phase 2 ---- */

uint32_t dedup_uf_find(DocInfo *docs, uint32_t x)
{
    while (docs[x].parent != x) {
        docs[x].parent = docs[docs[x].parent].parent;   /* path halving */
        x = docs[x].parent;
    }
    return x;
}

/* The smaller root becomes the parent, so a root is always its cluster's first document. */
void dedup_uf_union(DocInfo *docs, uint32_t a, uint32_t b)
{
    a = dedup_uf_find(docs, a), b = dedup_uf_find(docs, b);
    if (a == b) return;
    if (a < b) docs[b].parent = a;
    else docs[a].parent = b;
}

static JfStatus read_set(Dedup *d, uint32_t i, uint64_t **buf, size_t *cap, size_t *n, JfError *err)
{
    uint64_t end = i + 1 < d->n ? d->docs[i + 1].sh_off : d->sh_len;
    *n = end - d->docs[i].sh_off;
    if (*n > *cap) {
        uint64_t *p = jf_realloc(*buf, *n * sizeof *p);
        if (!p) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "dedup: out of memory");
        *buf = p, *cap = *n;
    }
    size_t bytes = *n * sizeof **buf;
    if (pread(fileno(d->sh_f), *buf, bytes, (off_t)(d->docs[i].sh_off * 8)) != (ssize_t)bytes)
        return jf_error_set(err, JF_EIO, d->sh_path, d->docs[i].sh_off * 8, "short read");
    return JF_OK;
}

/* An LSH candidate pair: joined unless verification finds it below the threshold. */
static JfStatus join_candidate(Dedup *d, uint32_t a, uint32_t b, JfError *err)
{
    if (dedup_uf_find(d->docs, a) == dedup_uf_find(d->docs, b)) return JF_OK;
    d->st.candidates++;
    if (d->o.verify > 0) {
        size_t na, nb;
        JfStatus rc = read_set(d, a, &d->va, &d->va_cap, &na, err);
        if (rc == JF_OK) rc = read_set(d, b, &d->vb, &d->vb_cap, &nb, err);
        if (rc != JF_OK) return rc;
        if (minhash_jaccard(d->va, na, d->vb, nb) < d->o.verify) {
            d->st.verify_rejected++;
            return JF_OK;
        }
    }
    dedup_uf_union(d->docs, a, b);
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
            if (r.kind == DEDUP_REC_EXACT) dedup_uf_union(d->docs, first.doc, r.doc);
            else if ((rc = join_candidate(d, first.doc, r.doc, err)) != JF_OK) return rc;
            continue;
        }
        first = r;
        have = true;
    }
    return rc == JF_DONE ? JF_OK : rc;
}

/* Does document a beat the current choice b under the keep policy? Ties keep b (smaller index). */
static bool keep_better(const Dedup *d, uint32_t a, uint32_t b)
{
    const DocInfo *x = &d->docs[a], *y = &d->docs[b];
    switch (d->o.keep) {
    case DEDUP_KEEP_NEWEST: return x->created > y->created;
    case DEDUP_KEEP_LONGEST: return x->len > y->len;
    default: return false;
    }
}

static void cluster_choose(Dedup *d)
{
    DocInfo *docs = d->docs;
    for (uint32_t i = 0; i < d->n; i++) {
        uint32_t r = dedup_uf_find(docs, i);
        if (r == i) { docs[i].best = i, docs[i].size = 0; }
        docs[r].size++;
        if (keep_better(d, i, docs[r].best)) docs[r].best = i;   /* i ascends: ties stay first */
    }
    DedupStats *st = &d->st;
    for (uint32_t i = 0; i < d->n; i++) {
        uint32_t r = docs[i].parent;   /* fully compressed by the loop above */
        uint32_t k = docs[r].best;
        if (r == i && docs[i].size > 1) {
            st->clusters++;
            size_t b = 0;
            while (b + 1 < DEDUP_HIST_BUCKETS && docs[i].size > dedup_hist_low(b + 1) - 1) b++;
            st->hist[b]++;
        }
        if (k == i) { docs[i].fate = DEDUP_KEPT; st->docs_out++; continue; }
        bool exact = docs[i].ex_hi == docs[k].ex_hi && docs[i].ex_lo == docs[k].ex_lo;
        docs[i].fate = exact ? DEDUP_REMOVED_EXACT : DEDUP_REMOVED_NEAR;
        if (exact) st->removed_exact++, st->groups[docs[i].group].removed_exact++;
        else st->removed_near++, st->groups[docs[i].group].removed_near++;
    }
}

JfStatus dedup_cluster(Dedup *d, JfError *err)
{
    if (d->clustered) return JF_OK;
    if (fflush(d->ids_f) != 0 || (d->sh_f && fflush(d->sh_f) != 0))
        return jf_error_set(err, JF_EIO, d->ids_path, JF_OFFSET_UNKNOWN, "write failed: %s", strerror(errno));
    JfStatus rc = extsort_finish(d->sort, err);
    if (rc == JF_OK && d->o.ranks > 1) rc = dedup_mpi_exchange(d, err);
    if (rc == JF_OK) rc = cluster_merge(d, err);
    if (rc != JF_OK) return rc;
    d->st.runs_spilled += extsort_runs_spilled(d->sort);
    d->st.merge_passes += extsort_merge_passes(d->sort);
    extsort_close(d->sort);   /* its buffers are no longer needed */
    d->sort = NULL;
    if (d->o.ranks > 1 && (rc = dedup_mpi_merge(d, err)) != JF_OK) return rc;
    for (uint32_t i = 0; i < d->n; i++) dedup_uf_find(d->docs, i);
    cluster_choose(d);
    d->clustered = true;
    return JF_OK;
}

/* ---- phase 3 ---- */

void dedup_fate(const Dedup *d, uint64_t i, DedupFate *f)
{
    const DocInfo *di = &d->docs[i];
    f->kind = (DedupFateKind)di->fate;
    f->cluster = di->parent;
    f->kept = d->docs[di->parent].best;
}

JfStatus dedup_doc_id(Dedup *d, uint64_t i, char *buf, size_t cap, JfError *err)
{
    uint64_t end = i + 1 < d->n ? d->docs[i + 1].id_off : d->ids_len;
    size_t n = end - d->docs[i].id_off;
    if (n > cap) n = cap;
    if (pread(fileno(d->ids_f), buf, n, (off_t)d->docs[i].id_off) != (ssize_t)n)
        return jf_error_set(err, JF_EIO, d->ids_path, d->docs[i].id_off, "short read");
    buf[n - 1] = 0;
    return JF_OK;
}

uint64_t dedup_count(const Dedup *d) { return d->n; }
const DedupStats *dedup_stats(const Dedup *d) { return &d->st; }
