/* train_comm.c: bucketed, overlapped gradient reduction (see train_comm.h). */
#include "train_comm.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "jf_alloc.h"

/* One collective: floats [off, off + len) of the gradients; root -1 for an
 * all-reduce, else the rank whose ZeRO-1 slice holds them. */
typedef struct {
    size_t off, len;
    int root;
} CommPiece;

struct TrainComm {
    LlamaModel   *m;
    TrainCommOpts o;
    int           rank, size;
    size_t        nbuckets;
    size_t       *last_group;    /* (nbuckets) bucket b starts when this group is ready */
    size_t       *first_piece;   /* (nbuckets + 1) */
    CommPiece    *pieces;
    size_t        npieces, cap;
    MPI_Request  *reqs;          /* (npieces) */
    size_t        started;       /* buckets started this step */
    size_t        live;          /* pieces started this step: reqs[0, live) */
};

static JfStatus piece_push(TrainComm *c, size_t off, size_t len, int root, JfError *err)
{
    for (size_t done = 0; done < len;) {   /* MPI counts are int */
        size_t k = len - done < (size_t)1 << 30 ? len - done : (size_t)1 << 30;
        if (c->npieces == c->cap) {
            size_t cap = c->cap ? 2 * c->cap : 64;
            CommPiece *p = jf_realloc(c->pieces, cap * sizeof *p);
            if (!p) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "buckets");
            c->pieces = p;
            c->cap = cap;
        }
        c->pieces[c->npieces++] = (CommPiece){ off + done, k, root };
        done += k;
    }
    return JF_OK;
}

/* A contiguous range of a bucket: one all-reduce piece, or under ZeRO-1 one
 * reduce per rank slice it overlaps. */
static JfStatus range_push(TrainComm *c, size_t off, size_t len, JfError *err)
{
    if (!c->o.counts) return piece_push(c, off, len, -1, err);
    JfStatus st = JF_OK;
    for (int r = 0; r < c->size && st == JF_OK; r++) {
        size_t lo = (size_t)c->o.displs[r], hi = lo + (size_t)c->o.counts[r];
        lo = lo > off ? lo : off;
        hi = hi < off + len ? hi : off + len;
        if (lo < hi) st = piece_push(c, lo, hi - lo, r, err);
    }
    return st;
}

static int range_cmp(const void *a, const void *b)
{
    size_t x = ((const size_t *)a)[0], y = ((const size_t *)b)[0];
    return (x > y) - (x < y);
}

/* Closes a bucket of n (offset, length) pairs: sorted, adjacent ranges
 * merged (block l's wq next to block l+1's wq), cut into pieces. */
static JfStatus bucket_close(TrainComm *c, size_t (*r)[2], size_t n, size_t group, JfError *err)
{
    qsort(r, n, sizeof *r, range_cmp);
    JfStatus st = JF_OK;
    for (size_t i = 0; i < n && st == JF_OK;) {
        size_t off = r[i][0], end = r[i][0] + r[i][1];
        for (i++; i < n && r[i][0] == end; i++) end += r[i][1];
        st = range_push(c, off, end - off, err);
    }
    c->last_group[c->nbuckets] = group;
    c->first_piece[++c->nbuckets] = c->npieces;
    return st;
}

static JfStatus comm_plan(TrainComm *c, JfError *err)
{
    size_t G = llama_model_num_groups(c->m);
    size_t (*r)[2] = jf_malloc(G * LLAMA_GROUP_MAX_RANGES * sizeof *r);
    c->last_group = jf_malloc((2 * G + 1) * sizeof(size_t));
    if (!r || !c->last_group) {
        jf_free(r);
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "buckets");
    }
    c->first_piece = c->last_group + G;
    c->first_piece[0] = 0;
    JfStatus st = JF_OK;
    size_t n = 0, floats = 0;
    for (size_t g = 0; g < G && st == JF_OK; g++) {
        size_t off[LLAMA_GROUP_MAX_RANGES], len[LLAMA_GROUP_MAX_RANGES];
        size_t k = llama_model_group_ranges(c->m, g, off, len);
        for (size_t i = 0; i < k; i++, n++) {
            r[n][0] = off[i];
            r[n][1] = len[i];
            floats += len[i];
        }
        if (floats >= c->o.bucket_floats || g + 1 == G) {
            st = bucket_close(c, r, n, g, err);
            n = floats = 0;
        }
    }
    jf_free(r);
    if (st != JF_OK) return st;
    c->reqs = jf_malloc(c->npieces * sizeof *c->reqs);
    if (!c->reqs) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "buckets");
    for (size_t i = 0; i < c->npieces; i++) c->reqs[i] = MPI_REQUEST_NULL;
    return JF_OK;
}

JfStatus train_comm_create(LlamaModel *m, const TrainCommOpts *o, TrainComm **out, JfError *err)
{
    *out = NULL;
    TrainComm *c = jf_calloc(1, sizeof *c);
    if (!c) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "buckets");
    c->m = m;
    c->o = *o;
    MPI_Comm_rank(o->comm, &c->rank);
    MPI_Comm_size(o->comm, &c->size);
    JfStatus st = o->bucket_floats ? comm_plan(c, err) : JF_OK;
    if (st != JF_OK) {
        train_comm_free(c);
        return st;
    }
    *out = c;
    return JF_OK;
}

void train_comm_free(TrainComm *c)
{
    if (!c) return;
    jf_free(c->last_group);
    jf_free(c->pieces);
    jf_free(c->reqs);
    jf_free(c);
}

static void bucket_start(TrainComm *c, size_t b)
{
    float *g = c->m->grads_mem;
    for (size_t i = c->first_piece[b]; i < c->first_piece[b + 1]; i++) {
        const CommPiece *p = &c->pieces[i];
        if (p->root < 0) {
            MPI_Iallreduce(MPI_IN_PLACE, g + p->off, (int)p->len, MPI_FLOAT, MPI_SUM, c->o.comm,
                           &c->reqs[i]);
        } else {
            float *recv = p->root == c->rank
                        ? c->o.shard_grad + (p->off - (size_t)c->o.displs[c->rank]) : NULL;
            MPI_Ireduce(g + p->off, recv, (int)p->len, MPI_FLOAT, MPI_SUM, p->root, c->o.comm,
                        &c->reqs[i]);
        }
    }
    c->live = c->first_piece[b + 1];
    c->started = b + 1;
}

static void hook_ready(void *user, size_t group)
{
    TrainComm *c = user;
    while (c->started < c->nbuckets && c->last_group[c->started] <= group)
        bucket_start(c, c->started);
}

static void hook_poll(void *user)
{
    TrainComm *c = user;
    int done;
    if (c->live) MPI_Testall((int)c->live, c->reqs, &done, MPI_STATUSES_IGNORE);
}

LlamaBackwardHooks train_comm_hooks(TrainComm *c)
{
    if (!c->nbuckets) return (LlamaBackwardHooks){ 0 };
    return (LlamaBackwardHooks){ .ready = hook_ready, .poll = hook_poll, .user = c };
}

/* Without buckets: the whole gradient vector at once, after backward. */
static void comm_blocking(TrainComm *c)
{
    float *g = c->m->grads_mem;
    size_t P = c->m->num_params;
    if (c->o.counts) {
        MPI_Reduce_scatter(g, c->o.shard_grad, c->o.counts, MPI_FLOAT, MPI_SUM, c->o.comm);
        return;
    }
    for (size_t off = 0; off < P; off += (size_t)1 << 30) {
        size_t k = P - off < ((size_t)1 << 30) ? P - off : (size_t)1 << 30;
        MPI_Allreduce(MPI_IN_PLACE, g + off, (int)k, MPI_FLOAT, MPI_SUM, c->o.comm);
    }
}

void train_comm_finish(TrainComm *c)
{
    if (!c->nbuckets) {
        comm_blocking(c);
        return;
    }
    while (c->started < c->nbuckets) bucket_start(c, c->started);
    MPI_Waitall((int)c->live, c->reqs, MPI_STATUSES_IGNORE);
    c->started = c->live = 0;
}

size_t train_comm_buckets(const TrainComm *c)
{
    return c->nbuckets;
}

size_t train_comm_pieces(const TrainComm *c)
{
    return c->nbuckets ? c->npieces : 1;
}
