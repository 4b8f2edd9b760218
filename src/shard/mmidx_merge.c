/* mmidx_merge.c: joins Megatron datasets into one, document by document,
 * keeping their order and their document boundaries (what Megatron's
 * merge_datasets.py does). The dtype of the result is the widest of the
 * inputs'. */
#include <stdlib.h>

#include "jf_alloc.h"
#include "mmidx.h"

/* A vocabulary size that makes the writer pick dtype dt. */
static uint64_t vocab_for(MmidxDtype dt)
{
    return dt == MMIDX_UINT16 || dt == MMIDX_UINT8 || dt == MMIDX_INT8 || dt == MMIDX_INT16
               ? 65499 : (uint64_t)INT32_MAX;
}

static JfStatus copy_dataset(const MmidxReader *r, MmidxWriter *w, uint32_t **buf, size_t *cap,
                             JfError *err)
{
    uint64_t docs = mmidx_reader_documents(r);
    for (uint64_t d = 0; d < docs; d++) {
        for (uint64_t s = mmidx_reader_doc_index(r, d); s < mmidx_reader_doc_index(r, d + 1); s++) {
            size_t n = mmidx_reader_length(r, s);
            if (n > *cap) {
                uint32_t *b = jf_realloc(*buf, n * sizeof *b);
                if (!b) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
                *buf = b;
                *cap = n;
            }
            JfStatus rc = mmidx_reader_read(r, s, *buf, err);
            if (rc == JF_OK) rc = mmidx_writer_add(w, *buf, n, err);
            if (rc != JF_OK) return rc;
        }
        JfStatus rc = mmidx_writer_end_document(w, err);
        if (rc != JF_OK) return rc;
    }
    return JF_OK;
}

JfStatus mmidx_merge(const char *const *prefixes, size_t n, const char *out, JfError *err)
{
    MmidxReader **rs = jf_calloc(n ? n : 1, sizeof *rs);
    if (!rs) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    JfStatus rc = JF_OK;
    uint64_t vocab = 65499;
    for (size_t i = 0; rc == JF_OK && i < n; i++) {
        rc = mmidx_reader_open(prefixes[i], &rs[i], err);
        if (rc == JF_OK && vocab_for(mmidx_reader_dtype(rs[i])) > vocab)
            vocab = vocab_for(mmidx_reader_dtype(rs[i]));
        if (rc == JF_OK && (mmidx_reader_dtype(rs[i]) == MMIDX_FLOAT32 ||
                            mmidx_reader_dtype(rs[i]) == MMIDX_FLOAT64))
            rc = jf_error_set(err, JF_EFORMAT, prefixes[i], 17, "float datasets are not token data");
    }
    MmidxWriter *w = NULL;
    uint32_t *buf = NULL;
    size_t cap = 0;
    if (rc == JF_OK) rc = mmidx_writer_open(out, vocab, &w, err);
    for (size_t i = 0; rc == JF_OK && i < n; i++) rc = copy_dataset(rs[i], w, &buf, &cap, err);
    if (rc == JF_OK) rc = mmidx_writer_commit(w, err);
    mmidx_writer_close(w);
    jf_free(buf);
    for (size_t i = 0; i < n; i++) mmidx_reader_close(rs[i]);
    jf_free(rs);
    return rc;
}
