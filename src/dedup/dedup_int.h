/* dedup_int.h: the dedup stage's private state, shared by dedup.c (the
 * phases) and dedup_mpi.c (the exchange of key records between MPI ranks
 * and the merge of their components). Never included outside src/dedup. */
#ifndef JF_DEDUP_INT_H
#define JF_DEDUP_INT_H

#include <limits.h>
#include <stdio.h>

#include "dedup.h"
#include "dedup_sort.h"

typedef struct {
    uint64_t ex_hi, ex_lo;   /* XXH3-128 of the text */
    int64_t  created;        /* seconds, INT64_MIN when unknown */
    uint64_t len;            /* text bytes */
    uint64_t id_off;         /* into ids.bin */
    uint64_t sh_off;         /* into shingles.bin, in 8-byte units */
    uint32_t parent;         /* union-find; a root is its cluster's smallest index */
    uint32_t best;           /* at a root: the document kept */
    uint32_t size;           /* at a root: documents in the cluster */
    uint16_t group;          /* index into stats.groups */
    uint8_t  fate;           /* DedupFateKind */
} DocInfo;

struct Dedup {
    DedupOptions o;
    char         dir[PATH_MAX];
    char         ids_path[PATH_MAX + 16], sh_path[PATH_MAX + 16];
    FILE        *ids_f, *sh_f;
    uint64_t     ids_len, sh_len;
    MinHasher   *mh;
    ExtSort     *sort;
    uint64_t    *sig, *keys;
    DocInfo     *docs;
    size_t       n, cap;
    uint64_t    *va, *vb;     /* verify scratch */
    size_t       va_cap, vb_cap;
    bool         clustered;
    bool         persist;     /* dedup_open_dir: files stay for a resume */
    bool         resumed;     /* phase 1 was loaded from a checkpoint */
    char         key[128];    /* the caller's fingerprint of inputs and options */
    DedupStats   st;
};

/* Shared by dedup.c and dedup_state.c. */
size_t   dedup_sort_mem(const Dedup *d);
/* Opens d->dir/ids.bin (and shingles.bin when verifying) with fopen mode. */
JfStatus dedup_side_open(Dedup *d, const char *mode, JfError *err);
JfStatus dedup_side_write(FILE *f, const char *path, const void *p, size_t n, JfError *err);
JfStatus dedup_docs_reserve(Dedup *d, JfError *err);
/* dedup_open_dir's work on a Dedup with dir and key set: loads a matching
 * checkpoint when resume is true (*resumed = true), else clears dir and
 * opens fresh files and sort. @return JF_OK, JF_EIO, JF_ENOMEM. */
JfStatus dedup_state_load(Dedup *d, bool resume, bool *resumed, JfError *err);

/* Union-find over document indices; the smaller root wins, so a root is
 * always its cluster's first document whatever order the unions come in. */
uint32_t dedup_uf_find(DocInfo *docs, uint32_t x);
void     dedup_uf_union(DocInfo *docs, uint32_t a, uint32_t b);

/* Under MPI (o.ranks > 1), after this rank's own sort is finished: sends
 * every record to rank k1 mod ranks (rounds of MPI_Alltoallv) and replaces
 * d->sort with the finished sort of the records this rank owns.
 * Collective. @return JF_OK, JF_EIO, JF_ENOMEM. */
JfStatus dedup_mpi_exchange(Dedup *d, JfError *err);
/* Under MPI, after this rank's partition is clustered: every rank's
 * non-root documents and their roots (Allgatherv) are joined into every
 * rank's union-find, so all ranks hold the same global components; the
 * work counters (candidates, runs) are summed. Collective.
 * @return JF_OK, JF_ETOOBIG, JF_ENOMEM. */
JfStatus dedup_mpi_merge(Dedup *d, JfError *err);

#endif
