/* dedup.h: the dedup stage: exact duplicates (XXH3-128 of the text) and near
 * duplicates (MinHash-LSH, minhash.h) over a whole corpus, in phases:
 *   1. add: every document in input order gets an index; its exact hash and
 *      band keys go to an external sort (dedup_sort.h); its id, a few
 *      fixed-size facts (hash, length, created, source/lang) and, with
 *      --verify, its shingle set go to files: nothing per document stays in
 *      memory during phase 1;
 *   2. cluster: the merged keys put candidates next to each other; a
 *      union-find over document indices joins them (optionally only when
 *      the true Jaccard of their shingle sets reaches a threshold), and the
 *      keep policy picks one document per cluster;
 *   3. the caller reads its inputs again in the same order and asks the
 *      fate of each index.
 * Memory: o.mem bounds what the stage holds at once: the sort buffers in
 * phase 1, and from phase 2 on the per-document arrays (9 bytes per
 * document) plus sort buffers sized to what remains (docs/dedup.md has the
 * plan; statistics report the largest planned sum, mem_planned).
 * Under MPI (o.ranks > 1, MPI initialized by the caller) each rank adds
 * only ITS documents (the caller gives each rank a contiguous share of the
 * inputs, in order); dedup_cluster numbers them after the documents of the
 * lower ranks, exchanges the key records by hash partition (rank k1 mod N)
 * and merges the components, after which every rank knows every cluster
 * and the fates of its own documents. The ranks read each other's facts
 * and ids files in their folders, so the folders must be visible to every
 * rank (one machine, or a shared file system).
 * Output does not depend on hash-table order, timing or the number of
 * ranks: ties go to the smaller document index. The stage does not read or
 * write document files; the CLI does. */
#ifndef JF_DEDUP_H
#define JF_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_doc.h"
#include "jf_error.h"
#include "minhash.h"

typedef enum { DEDUP_KEEP_FIRST = 0, DEDUP_KEEP_NEWEST, DEDUP_KEEP_LONGEST } DedupKeep;

typedef struct {
    MinHashParams mh;
    bool          near;      /* false: exact duplicates only */
    DedupKeep     keep;
    double        verify;    /* > 0: join LSH candidates only at Jaccard >= verify */
    size_t        mem;       /* bytes the stage may hold at once: sort buffers and per-document arrays */
    int           rank;      /* this process's MPI rank (0 without MPI) */
    int           ranks;     /* MPI_COMM_WORLD's size; 0 or 1: no MPI */
} DedupOptions;

/* swallow preset, near on, keep first, no verify, 256 MiB. */
void dedup_options_init(DedupOptions *o);
/* @return false for a name other than first, newest, longest. */
bool dedup_keep_parse(const char *s, DedupKeep *k);
const char *dedup_keep_name(DedupKeep k);

#define DEDUP_HIST_BUCKETS 16     /* cluster sizes 2, 3-4, 5-8, ..., >= 2^15+1 */
#define DEDUP_MAX_GROUPS   64     /* (source, lang) pairs counted separately; then "other" */

typedef struct {
    char     source[32];
    char     lang[16];
    uint64_t in, removed_exact, removed_near;
} DedupGroupStats;

typedef struct {
    uint64_t docs_in, docs_out, removed_exact, removed_near;
    uint64_t bytes_in;
    uint64_t clusters;                    /* of size >= 2 */
    uint64_t hist[DEDUP_HIST_BUCKETS];    /* clusters by size, bucket i: (2^i, 2^(i+1)] */
    uint64_t candidates;                  /* LSH pairs examined (first doc of a bucket vs each other) */
    uint64_t verify_rejected;             /* candidates below the --verify threshold */
    uint64_t runs_spilled, merge_passes;
    uint64_t mem_planned;                 /* the most bytes of buffers and arrays held at once (<= mem) */
    uint64_t resumed_docs;                /* documents whose phase 1 came from a checkpoint */
    uint32_t phase1_resumed;              /* 1: (part of) phase 1 was loaded from a checkpoint */
    size_t   n_groups;
    DedupGroupStats groups[DEDUP_MAX_GROUPS + 1];
} DedupStats;

/* JSON object of the statistics (jf_malloc'd by jansson's allocator; free()). */
char *dedup_stats_to_json(const DedupStats *st);
/* Lower bound of histogram bucket i (2, 3, 5, 9, ...). */
uint64_t dedup_hist_low(size_t i);

typedef struct Dedup Dedup;

/* tmp_dir must exist; the stage makes its own folder inside and removes it at close.
 * @return JF_OK, JF_EUSAGE (bad MinHash shape), JF_EIO, JF_ENOMEM. */
JfStatus dedup_open(const DedupOptions *o, const char *tmp_dir, Dedup **out, JfError *err);
void     dedup_close(Dedup *d);   /* accepts NULL; keeps dedup_open_dir's files */

/* A Dedup whose phase 1 outlives the process (resumable runs). Its files
 * live in dir (made if missing): facts.bin, ids.bin, shingles.bin,
 * sort/run-*.bin and phase1.state (written last, atomically; format in
 * dedup_state.c). Phase 1 is checkpointed whenever the sort buffer spills
 * (no extra I/O then), at an input boundary when enough was added since the
 * last checkpoint, and at dedup_checkpoint. If resume is true and dir holds
 * a checkpoint made with the same key (the caller's fingerprint of inputs
 * and options, < 128 bytes), it is loaded: dedup_phase1_complete says
 * whether phase 1 is over (go to dedup_cluster), else dedup_resume_point
 * says where the caller goes on adding. Else dir is cleared and the Dedup
 * starts empty. Under MPI each rank needs its own dir.
 * @return JF_OK, JF_EIO, JF_EUSAGE, JF_ENOMEM. */
JfStatus dedup_open_dir(const DedupOptions *o, const char *dir, const char *key, bool resume,
                        Dedup **out, JfError *err);
bool     dedup_phase1_complete(const Dedup *d);
/* After a part-way resume: the next document to add is document *skip
 * (0-based, counting only documents that were added) of the caller's input
 * *input; inputs before it are done. Both 0 for a fresh Dedup. */
void     dedup_resume_point(const Dedup *d, uint32_t *input, uint64_t *skip);
/* Checkpoints made by this process so far (for tests that stop a run part-way). */
uint64_t dedup_checkpoints(const Dedup *d);
/* After the last dedup_add of a dedup_open_dir Dedup: makes phase 1 durable
 * and complete. @return JF_OK, JF_EIO, JF_EUSAGE (not a dedup_open_dir Dedup). */
JfStatus dedup_checkpoint(Dedup *d, JfError *err);
/* Deletes a dedup_open_dir folder's files and the folder (after a finished run). */
void     dedup_state_remove(const char *dir);

/* Phase 1: the documents that follow come from the caller's input number
 * `input` (ascending; the same number again goes on counting). A
 * persistent Dedup may checkpoint here. @return JF_OK, JF_EIO. */
JfStatus dedup_input_begin(Dedup *d, uint32_t input, JfError *err);
/* Phase 1: the next document (local index = number added before it).
 * @return JF_OK, JF_ETOOBIG (more than 2^32-2 documents), JF_EIO, JF_ENOMEM, JF_EUSAGE. */
JfStatus dedup_add(Dedup *d, const JfDoc *doc, JfError *err);

/* Phase 2, once, after the last add; collective under MPI (a failing rank
 * returns its error while the others wait: the caller must MPI_Abort).
 * @return JF_OK, JF_EIO, JF_ETOOBIG, JF_ENOMEM (also when o.mem cannot hold
 * the per-document arrays: the message says how much is needed). */
JfStatus dedup_cluster(Dedup *d, JfError *err);

typedef enum { DEDUP_KEPT = 0, DEDUP_REMOVED_EXACT, DEDUP_REMOVED_NEAR } DedupFateKind;

typedef struct {
    DedupFateKind kind;
    uint64_t      cluster;   /* index of the cluster's first document (input order) */
    uint64_t      kept;      /* index of the document kept for the cluster */
} DedupFate;

/* Phase 3: the fate of document i, a global index of one of this rank's
 * documents (dedup_first(d) <= i < dedup_first(d) + dedup_count(d)). */
void dedup_fate(const Dedup *d, uint64_t i, DedupFate *f);
/* Copies document i's id (any global index; NUL-terminated, cut to cap-1
 * bytes) into buf. @return JF_OK or JF_EIO. */
JfStatus dedup_doc_id(Dedup *d, uint64_t i, char *buf, size_t cap, JfError *err);
uint64_t dedup_count(const Dedup *d);   /* this rank's documents */
uint64_t dedup_first(const Dedup *d);   /* after dedup_cluster: global index of this rank's first */
uint64_t dedup_total(const Dedup *d);   /* after dedup_cluster: documents of all ranks */
/* The statistics; after dedup_cluster those of the whole run (every rank). */
const DedupStats *dedup_stats(const Dedup *d);

/* RFC 3339 date-time ("2024-05-01T12:00:00Z", "+09:00", fraction, or a bare
 * date) to seconds since 1970; INT64_MIN when s is NULL or not parseable. */
int64_t dedup_time_parse(const char *s);

#endif
