/* shard_mpi.c: the shard writer's messages between MPI ranks. A rank other
 * than 0 sends, in chunk order, the results of each chunk it encoded (a
 * header, then its items, ids and errors as bytes, in pieces of at most
 * 1 GiB), and at the end a header of kind END with its status. Rank 0 takes
 * them in the same order: messages of one sender and tag are never
 * overtaken (MPI's ordering rule), so no sequence numbers need matching
 * beyond a check. All ranks run the same binary, so structs go as bytes.
 * Waits poll with short sleeps instead of MPI's busy wait, which would take
 * a core from this rank's own encoding threads.
 * Only the caller's main thread calls here (MPI_THREAD_FUNNELED). */
#include <mpi.h>
#include <string.h>
#include <time.h>

#include "shard_int.h"

#define SHARD_TAG 7007
#define PIECE ((size_t)1 << 30)

enum { KIND_CHUNK = 1, KIND_END = 2 };

typedef struct {
    uint64_t kind, seq, n_items, n_ids, n_errs;
    int32_t  rc;                 /* KIND_END: the sender's status */
    JfError  err;
} MpiHead;

/* Completes a request: tests it, sleeping 20 µs to 1 ms between tests. */
static JfStatus wait_quietly(MPI_Request *req)
{
    long ns = 20000;
    for (;;) {
        int done = 0;
        if (MPI_Test(req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) return JF_EIO;
        if (done) return JF_OK;
        struct timespec t = { 0, ns };
        nanosleep(&t, NULL);
        if (ns < 1000000) ns *= 2;
    }
}

static JfStatus send_bytes(const void *p, size_t n)
{
    for (size_t off = 0; off < n; off += PIECE) {
        size_t k = n - off < PIECE ? n - off : PIECE;
        MPI_Request req;
        const char *at = (const char *)p + off;
        if (MPI_Isend(at, (int)k, MPI_BYTE, 0, SHARD_TAG, MPI_COMM_WORLD, &req) != MPI_SUCCESS ||
            wait_quietly(&req) != JF_OK)
            return JF_EIO;
    }
    return JF_OK;
}

static JfStatus recv_bytes(void *p, size_t n, int from)
{
    for (size_t off = 0; off < n; off += PIECE) {
        size_t k = n - off < PIECE ? n - off : PIECE;
        MPI_Request req;
        if (MPI_Irecv((char *)p + off, (int)k, MPI_BYTE, from, SHARD_TAG, MPI_COMM_WORLD, &req) !=
                MPI_SUCCESS || wait_quietly(&req) != JF_OK)
            return JF_EIO;
    }
    return JF_OK;
}

JfStatus shard_mpi_send(const ShardChunk *c, JfError *err)
{
    MpiHead h = { .kind = KIND_CHUNK, .seq = c->seq, .n_items = c->n_items, .n_ids = c->n_ids,
                  .n_errs = c->n_errs };
    JfStatus rc = send_bytes(&h, sizeof h);
    if (rc == JF_OK) rc = send_bytes(c->items, c->n_items * sizeof *c->items);
    if (rc == JF_OK) rc = send_bytes(c->ids, c->n_ids * sizeof *c->ids);
    if (rc == JF_OK) rc = send_bytes(c->errs, c->n_errs * sizeof *c->errs);
    if (rc != JF_OK) return jf_error_set(err, rc, NULL, JF_OFFSET_UNKNOWN, "MPI send failed");
    return JF_OK;
}

JfStatus shard_mpi_send_end(JfStatus status, const JfError *e, JfError *err)
{
    MpiHead h = { .kind = KIND_END, .rc = (int32_t)status };
    if (status != JF_OK && e) h.err = *e;
    if (send_bytes(&h, sizeof h) != JF_OK)
        return jf_error_set(err, JF_EIO, NULL, JF_OFFSET_UNKNOWN, "MPI send failed");
    return JF_OK;
}

/* A rank's END in place of a chunk, or with an error: what it says. */
static JfStatus end_status(const MpiHead *h, int from, JfError *err)
{
    if (h->rc != JF_OK) {
        *err = h->err;
        return (JfStatus)h->rc;
    }
    return jf_error_set(err, JF_EINTERNAL, NULL, JF_OFFSET_UNKNOWN,
                        "rank %d ended before sending all its chunks", from);
}

JfStatus shard_mpi_recv(ShardChunk *c, int from, JfError *err)
{
    MpiHead h;
    if (recv_bytes(&h, sizeof h, from) != JF_OK)
        return jf_error_set(err, JF_EIO, NULL, JF_OFFSET_UNKNOWN, "MPI receive failed");
    if (h.kind == KIND_END) return end_status(&h, from, err);
    if (h.kind != KIND_CHUNK || h.seq != c->seq)
        return jf_error_set(err, JF_EINTERNAL, NULL, JF_OFFSET_UNKNOWN,
                            "rank %d sent chunk %llu, expected %llu", from,
                            (unsigned long long)h.seq, (unsigned long long)c->seq);
    c->n_items = c->n_errs = 0;
    c->n_ids = 0;
    JfStatus rc = shard_chunk_reserve(c, (size_t)h.n_items, h.n_ids, (size_t)h.n_errs);
    if (rc != JF_OK) return jf_error_set(err, rc, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    rc = recv_bytes(c->items, (size_t)h.n_items * sizeof *c->items, from);
    if (rc == JF_OK) rc = recv_bytes(c->ids, (size_t)h.n_ids * sizeof *c->ids, from);
    if (rc == JF_OK) rc = recv_bytes(c->errs, (size_t)h.n_errs * sizeof *c->errs, from);
    if (rc != JF_OK) return jf_error_set(err, rc, NULL, JF_OFFSET_UNKNOWN, "MPI receive failed");
    c->n_items = (size_t)h.n_items;
    c->n_ids = h.n_ids;
    c->n_errs = (size_t)h.n_errs;
    return JF_OK;
}

JfStatus shard_mpi_recv_ends(int ranks, JfError *err)
{
    for (int r = 1; r < ranks; r++) {
        MpiHead h;
        if (recv_bytes(&h, sizeof h, r) != JF_OK)
            return jf_error_set(err, JF_EIO, NULL, JF_OFFSET_UNKNOWN, "MPI receive failed");
        if (h.kind != KIND_END)
            return jf_error_set(err, JF_EINTERNAL, NULL, JF_OFFSET_UNKNOWN,
                                "rank %d sent more chunks than there are", r);
        if (h.rc != JF_OK) return end_status(&h, r, err);
    }
    return JF_OK;
}
