/* dedup_sort.h: external sort of the fixed-size key records dedup groups by
 * (exact-text hashes and LSH band keys). Records are collected in a buffer
 * of bounded size; a full buffer is sorted and spilled as a run file under a
 * private folder of tmp_dir; at the end the runs are merged k-way (in
 * several passes when there are more runs than the memory allows read
 * buffers for), so equal keys come out adjacent. Memory stays within the
 * byte budget given at open, and within the (usually smaller) budget given
 * at finish while merging (plus a few hundred bytes of bookkeeping).
 *
 * Run file format: raw DedupRec structs in native byte order (24 bytes
 * each, ascending), named run-NNNNNN.bin. A private sort (extsort_open)
 * removes them as it goes; a sort in a given folder (extsort_open_dir)
 * keeps the runs present at its last extsort_spill_all, so a later process
 * can merge them again (the dedup stage's resume). Does not know what the
 * keys mean. */
#ifndef JF_DEDUP_SORT_H
#define JF_DEDUP_SORT_H

#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"

/* One key record. Order: kind, k1, k2, doc (all ascending). */
typedef struct {
    uint64_t k1;     /* exact: high half of XXH3-128 of the text; band: the band key */
    uint64_t k2;     /* exact: low half; band: the band index */
    uint32_t doc;    /* document index in input order */
    uint32_t kind;   /* DEDUP_REC_EXACT or DEDUP_REC_BAND */
} DedupRec;

enum { DEDUP_REC_EXACT = 0, DEDUP_REC_BAND = 1 };

typedef struct ExtSort ExtSort;

/* mem_bytes: the budget for the record buffer and, later, the merge read
 * buffers (at least 64 KiB is used). tmp_dir must exist.
 * @return JF_OK, JF_EIO (cannot make the private folder), JF_ENOMEM. */
JfStatus extsort_open(const char *tmp_dir, size_t mem_bytes, ExtSort **out, JfError *err);
/* A sort in dir (must exist, is not removed at close) that starts with the
 * n_runs run files already there (written by an earlier extsort_spill_all).
 * @return JF_OK, JF_ENOMEM. */
JfStatus extsort_open_dir(const char *dir, size_t mem_bytes, size_t n_runs, ExtSort **out,
                          JfError *err);
/* Spills the buffer (if not empty) so every record added is in a run file,
 * and marks the runs as kept (not removed by merging or close): after it,
 * *n_runs runs hold the whole input. @return JF_OK, JF_EIO, JF_EUSAGE. */
JfStatus extsort_spill_all(ExtSort *s, size_t *n_runs, JfError *err);
/* Adds one record; may spill a run. @return JF_OK, JF_EIO, JF_EUSAGE (after finish). */
JfStatus extsort_add(ExtSort *s, const DedupRec *r, JfError *err);
/* Records that can still be added before the buffer spills. */
size_t   extsort_room(const ExtSort *s);
/* Records added and still in the buffer (not yet in a run). */
size_t   extsort_buffered(const ExtSort *s);
/* Ends input and prepares the merge within mem_bytes from here on (the
 * caller may hold other memory now): the buffer is kept and served from
 * memory only if nothing was spilled and its records fit in mem_bytes
 * (it is then shrunk to them); else it is spilled and freed, and the merge
 * reads up to mem_bytes / 16 KiB runs at once (at least 2).
 * @return JF_OK, JF_EIO, JF_ENOMEM. */
JfStatus extsort_finish(ExtSort *s, size_t mem_bytes, JfError *err);
/* Bytes of buffers the sort holds now (record buffer or merge buffers). */
size_t   extsort_mem_held(const ExtSort *s);
/* @return JF_ROW (*r is the next record in order), JF_DONE, or JF_EIO/JF_ETRUNC. */
JfStatus extsort_next(ExtSort *s, DedupRec *r, JfError *err);
/* Run files written (0 when everything fit in memory), and merge passes made. */
size_t   extsort_runs_spilled(const ExtSort *s);
size_t   extsort_merge_passes(const ExtSort *s);
/* Frees everything and removes the run files and the private folder. Accepts NULL. */
void     extsort_close(ExtSort *s);

#endif
