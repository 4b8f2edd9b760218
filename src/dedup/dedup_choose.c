/* dedup_choose.c: from the final union-find to fates and statistics
 * (dedup_int.h: dedup_choose), in three passes over document indices:
 *   1. sizes: the union-find is compressed (a parent is always smaller
 *      than its child, so one ascending pass suffices) and each root
 *      counts its documents in kept[] (the cluster histogram);
 *   2. choice: kept[root] becomes the cluster's kept document. `first`
 *      keeps the root; `newest` and `longest` scan the facts of every
 *      document in order and compare with the current choice's (one pread);
 *   3. fates of this rank's documents: kept, or removed as exact when its
 *      text hash equals the kept document's, else as near; counted per
 *      (source, lang).
 * Every rank computes passes 1 and 2 alike (same union-find, same facts),
 * so the choice and the cluster statistics do not depend on the rank count.
 * Memory: kept[] (4 bytes per document) and fate[] (1 per document of this
 * rank) besides the union-find, and one read buffer. */
#include <string.h>

#include "dedup_int.h"
#include "jf_alloc.h"

/* The facts read buffer: 64 KiB, or what --mem leaves beside the arrays (at least 4 KiB). */
static size_t scan_bytes(const Dedup *d)
{
    size_t arrays = d->total * (sizeof *d->parent + sizeof *d->kept) + d->n;
    size_t left = d->o.mem > arrays ? d->o.mem - arrays : 0;
    return left > ((size_t)64 << 10) ? (size_t)64 << 10 : left < 4096 ? 4096 : left;
}

/* Does a beat the current choice b under the keep policy? Ties keep b (the smaller index). */
static bool keep_better(DedupKeep keep, const DedupFact *a, const DedupFact *b)
{
    switch (keep) {
    case DEDUP_KEEP_NEWEST: return a->created > b->created;
    case DEDUP_KEEP_LONGEST: return a->len > b->len;
    default: return false;
    }
}

static void count_sizes(Dedup *d)
{
    uint32_t *parent = d->parent, *kept = d->kept;
    for (uint64_t i = 0; i < d->total; i++) {
        parent[i] = parent[parent[i]];
        kept[parent[i]]++;
    }
    DedupStats *st = &d->st;
    for (uint64_t i = 0; i < d->total; i++) {
        if (parent[i] != i || kept[i] < 2) continue;
        st->clusters++;
        size_t b = 0;
        while (b + 1 < DEDUP_HIST_BUCKETS && kept[i] > dedup_hist_low(b + 1) - 1) b++;
        st->hist[b]++;
    }
}

static JfStatus choose_kept(Dedup *d, JfError *err)
{
    uint32_t *parent = d->parent, *kept = d->kept;
    for (uint64_t i = 0; i < d->total; i++)
        if (parent[i] == i) kept[i] = (uint32_t)i;
    if (d->o.keep == DEDUP_KEEP_FIRST) return JF_OK;
    DedupScan sc;
    JfStatus rc = dedup_scan_open(&sc, &d->store, 0, d->total, scan_bytes(d), err);
    DedupFact f, best;
    for (uint64_t i = 0; rc == JF_OK; i++) {
        if ((rc = dedup_scan_next(&sc, &f, err)) != JF_ROW) break;
        uint32_t r = parent[i];
        rc = r == i ? JF_OK : dedup_store_fact(&d->store, kept[r], &best, err);
        if (rc == JF_OK && r != i && keep_better(d->o.keep, &f, &best)) kept[r] = (uint32_t)i;
    }
    dedup_scan_close(&sc);
    return rc == JF_DONE ? JF_OK : rc;
}

static JfStatus give_fates(Dedup *d, JfError *err)
{
    DedupScan sc;
    JfStatus rc = dedup_scan_open(&sc, &d->store, d->first, d->first + d->n, scan_bytes(d), err);
    DedupStats *st = &d->st;
    DedupFact f, k;
    for (uint64_t i = d->first; rc == JF_OK; i++) {
        if ((rc = dedup_scan_next(&sc, &f, err)) != JF_ROW) break;
        uint32_t keep = d->kept[d->parent[i]];
        uint8_t *fate = &d->fate[i - d->first];
        if (keep == i) {
            *fate = DEDUP_KEPT;
            st->docs_out++;
            rc = JF_OK;
            continue;
        }
        if ((rc = dedup_store_fact(&d->store, keep, &k, err)) != JF_OK) break;
        bool exact = f.ex_hi == k.ex_hi && f.ex_lo == k.ex_lo;
        *fate = exact ? DEDUP_REMOVED_EXACT : DEDUP_REMOVED_NEAR;
        if (exact) st->removed_exact++, st->groups[f.group].removed_exact++;
        else st->removed_near++, st->groups[f.group].removed_near++;
    }
    dedup_scan_close(&sc);
    return rc == JF_DONE ? JF_OK : rc;
}

JfStatus dedup_choose(Dedup *d, JfError *err)
{
    d->kept = jf_calloc(d->total ? d->total : 1, sizeof *d->kept);
    d->fate = jf_malloc(d->n ? d->n : 1);
    if (!d->kept || !d->fate)
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "dedup: out of memory");
    dedup_mem_note(d, d->total * (sizeof *d->parent + sizeof *d->kept) + d->n + scan_bytes(d));
    count_sizes(d);
    JfStatus rc = choose_kept(d, err);
    return rc == JF_OK ? give_fates(d, err) : rc;
}
