/* dedup_int.h: the dedup stage's private state, shared by dedup.c (the
 * phases), dedup_facts.c (the per-document records on disk),
 * dedup_choose.c (clusters to fates and statistics), dedup_state.c (the
 * phase-1 checkpoint) and dedup_mpi.c (what ranks exchange). Never included
 * outside src/dedup.
 *
 * Memory: nothing per document stays in RAM during phase 1; each document's
 * facts go to DIR/facts.bin (fixed-size DedupFact records), its id to
 * ids.bin, its shingle set (with --verify) to shingles.bin. From phase 2 on
 * the stage holds 4 bytes per document of the whole run (the union-find),
 * 4 more for the chosen document of each cluster, and 1 per document of
 * this rank (its fate); the sort buffers get what remains of o.mem. */
#ifndef JF_DEDUP_INT_H
#define JF_DEDUP_INT_H

#include <limits.h>
#include <stdio.h>

#include "dedup.h"
#include "dedup_sort.h"

/* One document's facts, as stored in facts.bin (native byte order, 56 bytes). */
typedef struct {
    uint64_t ex_hi, ex_lo;   /* XXH3-128 of the text */
    int64_t  created;        /* seconds, INT64_MIN when unknown */
    uint64_t id_off;         /* into this rank's ids.bin */
    uint64_t sh_off;         /* into this rank's shingles.bin, 8-byte units */
    uint32_t len;            /* text bytes (documents are < 4 GiB) */
    uint32_t id_len;         /* bytes, without a NUL */
    uint32_t sh_n;           /* shingles in the set (--verify) */
    uint16_t group;          /* index into this rank's stats.groups */
    uint16_t pad;
} DedupFact;

/* The per-document files of every rank, read back after phase 1 (a rank's
 * documents are indices off[r] .. off[r+1]-1 of the whole run). */
typedef struct {
    int       ranks;
    uint64_t *off;           /* ranks + 1 */
    int      *facts_fd, *ids_fd, *sh_fd;   /* per rank; sh_fd -1 without --verify */
    char    (*dir)[PATH_MAX];
} DedupStore;

/* A buffered sequential reader of the facts of documents from .. to-1. */
typedef struct {
    const DedupStore *st;
    uint64_t  next, to;
    DedupFact *buf;
    size_t    pos, n, cap;
} DedupScan;

struct Dedup {
    DedupOptions o;
    char         dir[PATH_MAX];
    char         facts_path[PATH_MAX + 16], ids_path[PATH_MAX + 16], sh_path[PATH_MAX + 16];
    FILE        *facts_f, *ids_f, *sh_f;     /* phase 1: appended */
    uint64_t     ids_len, sh_len;
    MinHasher   *mh;
    ExtSort     *sort;
    uint64_t    *sig, *keys;
    size_t       n;            /* documents of this rank */
    uint64_t     first, total; /* from phase 2: this rank's first global index, all documents */
    uint32_t     input;        /* caller's input index of the document being added */
    uint64_t     input_docs;   /* documents of that input added so far */
    uint64_t     ckpt_recs;    /* key records added since the last checkpoint */
    uint64_t     checkpoints;  /* made by this process */
    DedupStore   store;
    uint32_t    *parent;       /* total: union-find; a root is its cluster's smallest index */
    uint32_t    *kept;         /* total: at a root, the cluster's kept document */
    uint8_t     *fate;         /* n: DedupFateKind of this rank's documents */
    uint64_t    *va, *vb;      /* verify scratch */
    size_t       va_cap, vb_cap;
    bool         clustered;
    bool         persist;      /* dedup_open_dir: files stay for a resume */
    bool         complete;     /* phase 1 is finished (checkpointed or loaded) */
    char         key[128];     /* the caller's fingerprint of inputs and options */
    DedupStats   st;
};

/* o.mem below this is raised to it (the sort's smallest buffer). */
#define DEDUP_MEM_MIN ((size_t)64 << 10)

/* ---- dedup.c ---- */
/* The slot of (source, lang) in st->groups (NULL: ""), added if new; the
 * last slot ("other") once DEDUP_MAX_GROUPS are taken. */
uint16_t dedup_group_slot(DedupStats *st, const char *source, const char *lang);
/* Opens facts.bin, ids.bin (and shingles.bin when verifying) in d->dir with fopen mode. */
JfStatus dedup_side_open(Dedup *d, const char *mode, JfError *err);
/* Notes that `bytes` are held at once (st.mem_planned is the largest such sum). */
void     dedup_mem_note(Dedup *d, size_t bytes);

/* ---- dedup_facts.c ---- */
/* Opens every rank's files for reading; dirs[r] is rank r's folder, counts[r]
 * its documents. @return JF_OK, JF_EIO, JF_ENOMEM, JF_ETOOBIG (>= 2^32-1 in all). */
JfStatus dedup_store_open(DedupStore *s, int ranks, const char (*dirs)[PATH_MAX],
                          const uint64_t *counts, bool verify, JfError *err);
void     dedup_store_close(DedupStore *s);   /* accepts a zeroed store */
uint64_t dedup_store_total(const DedupStore *s);
/* The facts of document i (global index). @return JF_OK or JF_EIO. */
JfStatus dedup_store_fact(const DedupStore *s, uint64_t i, DedupFact *f, JfError *err);
/* Document i's id into buf (NUL-terminated, cut to cap-1 bytes). @return JF_OK or JF_EIO. */
JfStatus dedup_store_id(const DedupStore *s, uint64_t i, char *buf, size_t cap, JfError *err);
/* Document i's shingle set into *buf (grown as needed). @return JF_OK, JF_EIO, JF_ENOMEM. */
JfStatus dedup_store_set(const DedupStore *s, uint64_t i, uint64_t **buf, size_t *cap, size_t *n,
                         JfError *err);
/* Sequential facts of documents from .. to-1; buf_bytes for the read buffer. */
JfStatus dedup_scan_open(DedupScan *sc, const DedupStore *s, uint64_t from, uint64_t to,
                         size_t buf_bytes, JfError *err);
/* @return JF_ROW (*f is the next document's facts), JF_DONE or JF_EIO. */
JfStatus dedup_scan_next(DedupScan *sc, DedupFact *f, JfError *err);
void     dedup_scan_close(DedupScan *sc);

/* ---- dedup_choose.c ---- */
/* After the union-find is final: compresses it, picks each cluster's kept
 * document by the keep policy, gives this rank's documents their fate and
 * fills the statistics (this rank's share; dedup_mpi_stats sums them).
 * @return JF_OK, JF_EIO, JF_ENOMEM. */
JfStatus dedup_choose(Dedup *d, JfError *err);

/* Union-find over document indices; the smaller root wins, so a root is
 * always its cluster's first document whatever order the unions come in. */
uint32_t dedup_uf_find(uint32_t *parent, uint32_t x);
void     dedup_uf_union(uint32_t *parent, uint32_t a, uint32_t b);

/* ---- dedup_state.c ---- */
/* dedup_open_dir's work on a Dedup with dir and key set: loads a matching
 * checkpoint when resume is true (complete or part-way), else clears dir
 * and opens fresh files and sort. @return JF_OK, JF_EIO, JF_ENOMEM. */
JfStatus dedup_state_load(Dedup *d, bool resume, JfError *err);
/* Makes everything added so far durable: the sort's buffer spilled to a run,
 * side files flushed and synced, DIR/phase1.state written and renamed.
 * complete: phase 1 is over. @return JF_OK, JF_EIO. */
JfStatus dedup_state_save(Dedup *d, bool complete, JfError *err);

/* ---- dedup_mpi.c (o.ranks > 1, collective) ---- */
/* Every rank's document count and folder: fills d->first, d->total and
 * opens d->store. Also the one-rank case (no MPI call then).
 * @return JF_OK, JF_EIO, JF_ENOMEM, JF_ETOOBIG. */
JfStatus dedup_mpi_gather(Dedup *d, JfError *err);
/* After this rank's own sort is finished: sends every record to rank k1 mod
 * ranks (its document index made global) in rounds of MPI_Alltoallv and
 * replaces d->sort with the unfinished sort of the records this rank owns.
 * @return JF_OK, JF_EIO, JF_ENOMEM. */
JfStatus dedup_mpi_exchange(Dedup *d, JfError *err);
/* After this rank's partition is clustered: the pairs (document, root) of
 * its non-root documents, snapshot to a file, go to every rank in rounds
 * (Allgatherv) and are joined into every rank's union-find, so all ranks
 * hold the same global components. @return JF_OK, JF_EIO, JF_ENOMEM. */
JfStatus dedup_mpi_merge(Dedup *d, JfError *err);
/* Sums the ranks' statistics (groups merged by name in rank order; the
 * cluster counts, computed alike on every rank, are kept). */
JfStatus dedup_mpi_stats(Dedup *d, JfError *err);

#endif
