/* shard_int.h: the inside of the shard writer (shard_encode.h), shared by its
 * files. Input is cut into chunks of whole lines (shard_read.c, one reader
 * thread); workers parse and encode a chunk's documents into its results
 * (shard_encode.c); one writer takes chunks in input order and writes their
 * documents (shard_out.c). Under MPI a chunk is encoded by rank seq % ranks
 * and its results travel to rank 0 (shard_mpi.c). Chunks are cut where the
 * content says (the first line end past SHARD_CHUNK_BYTES), never by read
 * sizes, so every rank cuts the same chunks. */
#ifndef JF_SHARD_INT_H
#define JF_SHARD_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "jf_buf.h"
#include "jf_error.h"
#include "jf_fs.h"
#include "shard_encode.h"
#include "shard_json.h"

#define SHARD_CHUNK_BYTES (1u << 20)

/* One line's outcome: a document (ids in the chunk's ids) or a bad line
 * (its error in the chunk's errs). Plain data: sent as bytes over MPI. */
typedef struct {
    uint64_t ids_at, n_ids;       /* document: range in ShardChunk.ids */
    uint64_t bytes, chars;        /* document: UTF-8 bytes and code points of its text */
    int64_t  err_at;              /* bad line: index in ShardChunk.errs; -1 for a document */
    char     lang[SHARD_JSON_NAME_MAX + 1];
    char     source[SHARD_JSON_NAME_MAX + 1];
} ShardItem;

typedef struct {
    uint64_t  seq;                /* chunk number over all inputs */
    size_t    input;              /* index in the input list */
    uint64_t  offset;             /* offset of data[0] in the input's decompressed stream */
    JfBuf     data;               /* whole lines ('\n' included, but maybe the last of a file) */
    bool      remote;             /* encoded by another rank (rank 0 receives its results) */
    JfStatus  read_rc;            /* JF_OK, or the reader's error after this chunk's lines: */
    JfError   read_err;           /* a bad line (JF_ETOOBIG, JF_ETRUNC) or fatal (JF_EIO...) */
    ShardItem *items;             /* results, in line order */
    size_t    n_items, cap_items;
    uint32_t *ids;
    uint64_t  n_ids, cap_ids;
    JfError  *errs;
    size_t    n_errs, cap_errs;
    JfStatus  rc;                 /* a worker's fatal error (out of memory, ...) */
    JfError   err;
} ShardChunk;

void     shard_chunk_reset(ShardChunk *c);   /* empties, keeps memory */
void     shard_chunk_free(ShardChunk *c);
JfStatus shard_chunk_reserve(ShardChunk *c, size_t items, uint64_t ids, size_t errs);

/* The ring of chunks between the reader, the workers and the writer. */
typedef enum { SLOT_FREE, SLOT_READ, SLOT_WORKING, SLOT_DONE } ShardSlotState;

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    ShardChunk     *slot;         /* (n) indexed by local number % n */
    ShardSlotState *state;
    size_t          n;
    uint64_t        read_at, work_at, write_at;   /* next local number of each */
    bool            read_done;    /* read_at is final */
    bool            stop;         /* the writer gave up: everyone leaves */
} ShardRing;

JfStatus shard_ring_init(ShardRing *r, size_t n, JfError *err);
void     shard_ring_free(ShardRing *r);
void     shard_ring_stop(ShardRing *r);

/* The reader: fills chunks of every input in order (rank, ranks: which chunks
 * this rank keeps: its own, plus placeholders for the others' on rank 0). */
typedef struct {
    ShardRing        *ring;
    const JfPathList *inputs;
    size_t            max_line;
    int               rank, ranks;
} ShardReader;

void    *shard_read_main(void *arg);

/* Takes the next chunk for a worker (blocks). @return NULL at the end or on
 * stop; else a chunk to hand back with shard_ring_done. */
ShardChunk *shard_ring_take(ShardRing *r);
void        shard_ring_done(ShardRing *r, ShardChunk *c);
/* Takes the next chunk for the writer (blocks). @return NULL at the end or
 * on stop; else the chunk, to be handed back with shard_ring_release. */
ShardChunk *shard_ring_next_done(ShardRing *r);
void        shard_ring_release(ShardRing *r);

/* MPI (shard_mpi.c): results of the chunks a rank encodes go to rank 0. */
JfStatus shard_mpi_send(const ShardChunk *c, JfError *err);
JfStatus shard_mpi_send_end(JfStatus rc, const JfError *e, JfError *err);
/* Receives chunk c's results from rank from; a rank that stopped with an
 * error gives that error. */
JfStatus shard_mpi_recv(ShardChunk *c, int from, JfError *err);
/* Receives the end message of ranks 1..ranks-1. */
JfStatus shard_mpi_recv_ends(int ranks, JfError *err);

#endif
