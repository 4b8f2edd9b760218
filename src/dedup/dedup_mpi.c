/* dedup_mpi.c: what the ranks of a dedup run exchange (dedup_int.h).
 *   gather: the ranks' document counts and folders (Allgather); rank r's
 *     documents are numbered after those of ranks 0..r-1, which read the
 *     inputs before it, so a document's index is the same for any N.
 *   exchange: every rank streams its own finished sort (the key records of
 *     its documents) in rounds of a bounded number of records; a record
 *     goes to rank k1 mod ranks (k1 is a uniform 64-bit hash, and every
 *     record of one key has the same k1, so one rank sees a whole group).
 *     MPI_Alltoall sends the counts, MPI_Alltoallv the records; the
 *     receiver adds them to a new external sort: its partition.
 *   merge: after each rank clustered its partition, the pairs (document,
 *     root) of its non-root documents are written to a file (a snapshot:
 *     they must not change while other ranks' pairs are joined), then sent
 *     to all in rounds (MPI_Allgatherv) and joined into every rank's
 *     union-find. Since roots are the smallest index, the components and
 *     their roots do not depend on the order of unions, hence not on N.
 *   stats: the ranks' statistics summed, their (source, lang) groups merged
 *     by name in rank order.
 * Memory, with mem = o.mem: during the exchange the own sort's merge
 * buffers mem/4, the round buffers mem/4 and the partition sort mem/2;
 * during the merge the union-find and round buffers of what remains.
 * Does not print, does not abort: a failing rank returns its error and the
 * caller turns it into MPI_Abort. With one rank only gather does anything. */
#include <errno.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dedup_int.h"
#include "jf_alloc.h"

static JfStatus nomem(JfError *err)
{
    return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "dedup: out of memory");
}

JfStatus dedup_mpi_gather(Dedup *d, JfError *err)
{
    int ranks = d->o.ranks;
    uint64_t *counts = jf_calloc((size_t)ranks, sizeof *counts);
    char (*dirs)[PATH_MAX] = jf_calloc((size_t)ranks, PATH_MAX);
    if (!counts || !dirs) {
        jf_free(counts);
        jf_free(dirs);
        return nomem(err);
    }
    uint64_t n = d->n;
    if (ranks > 1) {
        MPI_Allgather(&n, 1, MPI_UINT64_T, counts, 1, MPI_UINT64_T, MPI_COMM_WORLD);
        MPI_Allgather(d->dir, PATH_MAX, MPI_CHAR, dirs, PATH_MAX, MPI_CHAR, MPI_COMM_WORLD);
    } else {
        counts[0] = n;
        memcpy(dirs[0], d->dir, PATH_MAX);
    }
    JfStatus rc = dedup_store_open(&d->store, ranks, (const char (*)[PATH_MAX])dirs, counts,
                                   d->o.near && d->o.verify > 0, err);
    if (rc == JF_OK) {
        d->first = d->store.off[d->o.rank];
        d->total = dedup_store_total(&d->store);
    }
    jf_free(counts);
    jf_free(dirs);
    return rc;
}

/* ---- exchange ---- */

typedef struct {
    DedupRec *in, *out, *recv;     /* read chunk, chunk ordered by destination, received */
    int      *scount, *sdispl, *rcount, *rdispl;   /* bytes, per rank */
    size_t    chunk;               /* records read per round */
} Exchange;

static void exchange_free(Exchange *x)
{
    jf_free(x->in);
    jf_free(x->out);
    jf_free(x->recv);
    jf_free(x->scount);
    jf_free(x->sdispl);
    jf_free(x->rcount);
    jf_free(x->rdispl);
}

/* Round buffers within mem bytes: in and out of chunk records, recv of ranks x chunk. */
static JfStatus exchange_init(Exchange *x, size_t mem, int ranks, JfError *err)
{
    memset(x, 0, sizeof *x);
    size_t chunk = mem / sizeof(DedupRec) / (size_t)(ranks + 2);
    size_t most = (size_t)(INT_MAX / 2) / sizeof(DedupRec) / (size_t)ranks;   /* int byte counts */
    x->chunk = chunk < 256 ? 256 : chunk > most ? most : chunk;
    x->in = jf_malloc(x->chunk * sizeof *x->in);
    x->out = jf_malloc(x->chunk * sizeof *x->out);
    x->recv = jf_malloc(x->chunk * (size_t)ranks * sizeof *x->recv);
    x->scount = jf_calloc((size_t)ranks, sizeof(int));
    x->sdispl = jf_calloc((size_t)ranks, sizeof(int));
    x->rcount = jf_calloc((size_t)ranks, sizeof(int));
    x->rdispl = jf_calloc((size_t)ranks, sizeof(int));
    if (x->in && x->out && x->recv && x->scount && x->sdispl && x->rcount && x->rdispl)
        return JF_OK;
    exchange_free(x);
    return nomem(err);
}

static int rec_dest(const DedupRec *r, int ranks) { return (int)(r->k1 % (uint64_t)ranks); }

/* Reads up to x->chunk records of the own sort, makes their document index
 * global and orders them by destination (counting sort; within a
 * destination the sorted order stays). *done: the own sort is exhausted. */
static JfStatus exchange_fill(Dedup *d, Exchange *x, bool *done, JfError *err)
{
    int ranks = d->o.ranks;
    size_t n = 0;
    JfStatus rc = JF_ROW;
    while (n < x->chunk && (rc = extsort_next(d->sort, &x->in[n], err)) == JF_ROW)
        x->in[n++].doc += (uint32_t)d->first;
    if (rc != JF_ROW && rc != JF_DONE) return rc;
    *done = rc == JF_DONE;
    memset(x->scount, 0, (size_t)ranks * sizeof(int));
    for (size_t i = 0; i < n; i++) x->scount[rec_dest(&x->in[i], ranks)]++;
    int at = 0;
    for (int r = 0; r < ranks; r++) x->sdispl[r] = at, at += x->scount[r];
    for (size_t i = 0; i < n; i++) x->out[x->sdispl[rec_dest(&x->in[i], ranks)]++] = x->in[i];
    at = 0;   /* counts and offsets in bytes from here on */
    for (int r = 0; r < ranks; r++) {
        x->sdispl[r] = at * (int)sizeof(DedupRec);
        at += x->scount[r];
        x->scount[r] *= (int)sizeof(DedupRec);
    }
    return JF_OK;
}

JfStatus dedup_mpi_exchange(Dedup *d, JfError *err)
{
    int ranks = d->o.ranks;
    size_t mem = d->o.mem;
    /* Everything of the own sort goes to runs first: its buffer is given back. */
    size_t n_runs;
    JfStatus rc = extsort_spill_all(d->sort, &n_runs, err);
    if (rc == JF_OK) rc = extsort_finish(d->sort, mem / 4, err);
    if (rc != JF_OK) return rc;
    Exchange x;
    ExtSort *part = NULL;
    rc = exchange_init(&x, mem / 4, ranks, err);
    if (rc != JF_OK) return rc;
    rc = extsort_open(d->dir, mem / 2, &part, err);
    bool done = false;
    for (int more = 1; rc == JF_OK && more;) {
        rc = exchange_fill(d, &x, &done, err);
        if (rc != JF_OK) break;
        MPI_Alltoall(x.scount, 1, MPI_INT, x.rcount, 1, MPI_INT, MPI_COMM_WORLD);
        int at = 0;
        for (int r = 0; r < ranks; r++) x.rdispl[r] = at, at += x.rcount[r];
        MPI_Alltoallv(x.out, x.scount, x.sdispl, MPI_BYTE, x.recv, x.rcount, x.rdispl, MPI_BYTE,
                      MPI_COMM_WORLD);
        size_t got = (size_t)at / sizeof(DedupRec);
        for (size_t i = 0; rc == JF_OK && i < got; i++) rc = extsort_add(part, &x.recv[i], err);
        dedup_mem_note(d, extsort_mem_held(d->sort) + extsort_mem_held(part)
                       + x.chunk * (size_t)(ranks + 2) * sizeof(DedupRec));
        int mine = !done;
        MPI_Allreduce(&mine, &more, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
    }
    exchange_free(&x);
    if (rc != JF_OK) {
        extsort_close(part);
        return rc;
    }
    d->st.runs_spilled += extsort_runs_spilled(d->sort);
    d->st.merge_passes += extsort_merge_passes(d->sort);
    extsort_close(d->sort);
    d->sort = part;
    return JF_OK;
}

/* ---- merge ---- */

/* Writes the pairs (document, root) of every non-root document to edges.bin. */
static JfStatus edges_write(Dedup *d, const char *path, FILE **out, uint64_t *n_pairs, JfError *err)
{
    FILE *f = fopen(path, "w+b");
    if (!f) return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot create: %s", strerror(errno));
    *out = f;
    *n_pairs = 0;
    for (uint64_t i = 0; i < d->total; i++) {
        uint32_t pair[2] = { (uint32_t)i, dedup_uf_find(d->parent, (uint32_t)i) };
        if (pair[1] == i) continue;
        if (fwrite(pair, sizeof pair, 1, f) != 1)
            return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "write failed: %s", strerror(errno));
        (*n_pairs)++;
    }
    if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "write failed: %s", strerror(errno));
    return JF_OK;
}

/* Rounds of at most `chunk` pairs per rank until every rank has sent all. */
static JfStatus edges_send(Dedup *d, FILE *f, const char *path, size_t chunk, uint32_t *mine,
                           uint32_t *all, int *count, int *displ, JfError *err)
{
    int ranks = d->o.ranks;
    JfStatus rc = JF_OK;
    for (int more = 1; more;) {
        size_t got = rc == JF_OK ? fread(mine, 2 * sizeof *mine, chunk, f) : 0;
        if (rc == JF_OK && got < chunk && ferror(f))
            rc = jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "read failed");
        int n = (int)(2 * got);
        MPI_Allgather(&n, 1, MPI_INT, count, 1, MPI_INT, MPI_COMM_WORLD);
        int at = 0;
        for (int r = 0; r < ranks; r++) displ[r] = at, at += count[r];
        MPI_Allgatherv(mine, n, MPI_UINT32_T, all, count, displ, MPI_UINT32_T, MPI_COMM_WORLD);
        for (int i = 0; i < at; i += 2) dedup_uf_union(d->parent, all[i], all[i + 1]);
        int left = got == chunk;
        MPI_Allreduce(&left, &more, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
    }
    return rc;
}

JfStatus dedup_mpi_merge(Dedup *d, JfError *err)
{
    int ranks = d->o.ranks;
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/edges.bin", d->dir);
    size_t uf = d->total * sizeof *d->parent;
    size_t left = d->o.mem > uf ? d->o.mem - uf : 0;
    size_t chunk = left / (2 * sizeof(uint32_t)) / (size_t)(ranks + 1);
    size_t most = (size_t)(INT_MAX / 4) / (size_t)ranks;
    chunk = chunk < 256 ? 256 : chunk > most ? most : chunk;
    uint32_t *mine = jf_malloc(2 * chunk * sizeof *mine);
    uint32_t *all = jf_malloc(2 * chunk * (size_t)ranks * sizeof *all);
    int *count = jf_calloc((size_t)ranks, sizeof(int));
    int *displ = jf_calloc((size_t)ranks, sizeof(int));
    FILE *f = NULL;
    uint64_t n_pairs = 0;
    JfStatus rc = mine && all && count && displ ? edges_write(d, path, &f, &n_pairs, err) : nomem(err);
    dedup_mem_note(d, uf + 2 * chunk * (size_t)(ranks + 1) * sizeof *mine);
    if (rc == JF_OK) rc = edges_send(d, f, path, chunk, mine, all, count, displ, err);
    if (f) fclose(f);
    unlink(path);
    jf_free(mine);
    jf_free(all);
    jf_free(count);
    jf_free(displ);
    return rc;
}

/* ---- statistics ---- */

static void stats_add(DedupStats *to, const DedupStats *from)
{
    to->docs_in += from->docs_in, to->docs_out += from->docs_out;
    to->removed_exact += from->removed_exact, to->removed_near += from->removed_near;
    to->bytes_in += from->bytes_in;
    to->candidates += from->candidates, to->verify_rejected += from->verify_rejected;
    to->runs_spilled += from->runs_spilled, to->merge_passes += from->merge_passes;
    to->resumed_docs += from->resumed_docs;
    if (from->mem_planned > to->mem_planned) to->mem_planned = from->mem_planned;
    to->phase1_resumed |= from->phase1_resumed;
    size_t n = from->n_groups + (from->groups[DEDUP_MAX_GROUPS].in ? 1 : 0);
    for (size_t i = 0; i < n; i++) {
        const DedupGroupStats *g = &from->groups[i < from->n_groups ? i : DEDUP_MAX_GROUPS];
        DedupGroupStats *t = &to->groups[dedup_group_slot(to, g->source, g->lang)];
        t->in += g->in;
        t->removed_exact += g->removed_exact, t->removed_near += g->removed_near;
    }
}

JfStatus dedup_mpi_stats(Dedup *d, JfError *err)
{
    int ranks = d->o.ranks;
    DedupStats *all = jf_malloc((size_t)ranks * sizeof *all);
    if (!all) return nomem(err);
    MPI_Allgather(&d->st, (int)sizeof d->st, MPI_BYTE, all, (int)sizeof d->st, MPI_BYTE,
                  MPI_COMM_WORLD);
    /* clusters and hist were computed alike by every rank: kept as they are. */
    DedupStats sum;
    memset(&sum, 0, sizeof sum);
    sum.clusters = d->st.clusters;
    memcpy(sum.hist, d->st.hist, sizeof sum.hist);
    for (int r = 0; r < ranks; r++) stats_add(&sum, &all[r]);
    d->st = sum;
    jf_free(all);
    return JF_OK;
}
