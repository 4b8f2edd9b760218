/* dedup_mpi.c: the MPI part of the dedup stage's phase 2 (dedup_int.h).
 *   exchange: every rank streams its own finished sort (the key records of
 *     the documents it signed) in rounds of a bounded number of records;
 *     a record goes to rank k1 mod ranks (k1 is a uniform 64-bit hash, and
 *     every record of one key has the same k1, so one rank sees a whole
 *     group). MPI_Alltoall sends the counts, MPI_Alltoallv the records;
 *     the receiver adds them to a new external sort: its partition.
 *   merge: after each rank clustered its partition, each sends the pairs
 *     (document, root) of its non-root documents to all (MPI_Allgatherv);
 *     joined into every rank's union-find they give the global components.
 *     Since roots are the smallest index, the components and their roots
 *     do not depend on the order of unions, hence not on the rank count.
 * Memory, with mem = o.mem: own sort mem/2 (opened by dedup_open), the
 * partition sort mem/4, the send side mem/4/ranks and the receive side
 * mem/8. Does not print, does not abort: a failing rank returns its error
 * and the caller turns it into MPI_Abort. */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "dedup_int.h"
#include "jf_alloc.h"

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

static JfStatus exchange_init(Exchange *x, size_t mem, int ranks, JfError *err)
{
    memset(x, 0, sizeof *x);
    size_t chunk = mem / 8 / sizeof(DedupRec) / (size_t)ranks;
    size_t most = (size_t)(INT_MAX / 2) / sizeof(DedupRec) / (size_t)ranks;   /* int byte counts */
    x->chunk = chunk < 1024 ? 1024 : chunk > most ? most : chunk;
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
    return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "dedup: out of memory");
}

static int rec_dest(const DedupRec *r, int ranks) { return (int)(r->k1 % (uint64_t)ranks); }

/* Reads up to x->chunk records of the own sort and orders them by
 * destination (counting sort; within a destination the sorted order stays).
 * *done: the own sort is exhausted. */
static JfStatus exchange_fill(Dedup *d, Exchange *x, bool *done, JfError *err)
{
    int ranks = d->o.ranks;
    size_t n = 0;
    JfStatus rc = JF_ROW;
    while (n < x->chunk && (rc = extsort_next(d->sort, &x->in[n], err)) == JF_ROW) n++;
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
    Exchange x;
    ExtSort *part = NULL;
    JfStatus rc = exchange_init(&x, d->o.mem, ranks, err);
    if (rc != JF_OK) return rc;
    rc = extsort_open(d->dir, d->o.mem / 4, &part, err);
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
        int mine = !done;
        MPI_Allreduce(&mine, &more, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
    }
    exchange_free(&x);
    if (rc == JF_OK) rc = extsort_finish(part, err);
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

JfStatus dedup_mpi_merge(Dedup *d, JfError *err)
{
    int ranks = d->o.ranks;
    if (d->n > (size_t)INT_MAX / 2)
        return jf_error_set(err, JF_ETOOBIG, NULL, JF_OFFSET_UNKNOWN,
                            "dedup: more than 2^30 documents under MPI");
    size_t e = 0;
    for (uint32_t i = 0; i < d->n; i++) e += dedup_uf_find(d->docs, i) != i;
    uint32_t *mine = jf_malloc((2 * e + 1) * sizeof *mine);
    int *count = jf_calloc((size_t)ranks, sizeof(int));
    int *displ = jf_calloc((size_t)ranks, sizeof(int));
    if (!mine || !count || !displ) goto out_nomem;
    size_t k = 0;
    for (uint32_t i = 0; i < d->n; i++) {
        uint32_t r = dedup_uf_find(d->docs, i);
        if (r != i) mine[k++] = i, mine[k++] = r;
    }
    int n_mine = (int)k;
    MPI_Allgather(&n_mine, 1, MPI_INT, count, 1, MPI_INT, MPI_COMM_WORLD);
    size_t total = 0;
    for (int r = 0; r < ranks; r++) displ[r] = (int)total, total += (size_t)count[r];
    if (total > (size_t)INT_MAX)
        goto out_toobig;   /* every rank sees the same total, so all stop here */
    uint32_t *all = jf_malloc((total + 1) * sizeof *all);
    if (!all) goto out_nomem;
    MPI_Allgatherv(mine, n_mine, MPI_UINT32_T, all, count, displ, MPI_UINT32_T, MPI_COMM_WORLD);
    for (size_t i = 0; i < total; i += 2) dedup_uf_union(d->docs, all[i], all[i + 1]);
    jf_free(all);
    uint64_t work[4] = { d->st.candidates, d->st.verify_rejected, d->st.runs_spilled,
                         d->st.merge_passes }, sum[4];
    MPI_Allreduce(work, sum, 4, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    d->st.candidates = sum[0], d->st.verify_rejected = sum[1];
    d->st.runs_spilled = sum[2], d->st.merge_passes = sum[3];
    jf_free(mine);
    jf_free(count);
    jf_free(displ);
    return JF_OK;
out_toobig:
    jf_free(mine);
    jf_free(count);
    jf_free(displ);
    return jf_error_set(err, JF_ETOOBIG, NULL, JF_OFFSET_UNKNOWN,
                        "dedup: too many union edges for MPI");
out_nomem:
    jf_free(mine);
    jf_free(count);
    jf_free(displ);
    return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "dedup: out of memory");
}
