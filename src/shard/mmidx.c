/* mmidx.c: the MMIDIDX writer (tokens streamed to .bin, index built at commit,
 * both files renamed into place atomically) and the reader (both files mapped,
 * every structural field checked before any access). Layout: see mmidx.h.
 * Does not tokenize; does not split or merge datasets. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jf_alloc.h"
#include "jf_buf.h"
#include "mmidx.h"

static const uint8_t MMIDX_MAGIC[9] = { 'M', 'M', 'I', 'D', 'I', 'D', 'X', 0, 0 };

/* ------------------------------------------------------- little endian ---- */

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

size_t mmidx_dtype_size(int code)
{
    static const size_t SIZE[9] = { 0, 1, 1, 2, 4, 8, 8, 4, 2 };
    return code >= 1 && code <= 8 ? SIZE[code] : 0;
}

const char *mmidx_dtype_name(int code)
{
    static const char *const NAME[9] = { "unknown", "uint8", "int8", "int16", "int32",
                                         "int64", "float64", "float32", "uint16" };
    return code >= 1 && code <= 8 ? NAME[code] : NAME[0];
}

MmidxDtype mmidx_dtype_for_vocab(uint64_t vocab_size)
{
    return vocab_size < MMIDX_UINT16_VOCAB_LIMIT ? MMIDX_UINT16 : MMIDX_INT32;
}

/* -------------------------------------------------------------- writer ---- */

struct MmidxWriter {
    char      *bin_path, *idx_path;       /* final names */
    char      *bin_tmp, *idx_tmp;         /* names while writing */
    FILE      *bin;
    MmidxDtype dtype;
    uint64_t   vocab_size;
    JfBuf      lengths;                   /* int32 LE per sequence */
    JfBuf      docs;                      /* int64 LE document indices, starts with 0 */
    JfBuf      scratch;                   /* one encoded sequence */
    uint64_t   tokens;
    uint64_t   seq_in_doc;                /* sequences since the last end_document */
    bool       committed;
};

static char *path_join(const char *prefix, const char *ext)
{
    size_t a = strlen(prefix), b = strlen(ext);
    char *p = jf_malloc(a + b + 1);
    if (p) {
        memcpy(p, prefix, a);
        memcpy(p + a, ext, b + 1);
    }
    return p;
}

static JfStatus buf_put_le(JfBuf *b, uint64_t v, size_t n)
{
    uint8_t tmp[8];
    put_le(tmp, v, n);
    return jf_buf_append(b, tmp, n);
}

JfStatus mmidx_writer_open(const char *prefix, uint64_t vocab_size, MmidxWriter **out,
                           JfError *err)
{
    *out = NULL;
    if (vocab_size == 0 || vocab_size > (uint64_t)INT32_MAX + 1)
        return jf_error_set(err, JF_EUSAGE, prefix, JF_OFFSET_UNKNOWN,
                            "vocabulary size %llu out of range 1..2^31",
                            (unsigned long long)vocab_size);
    MmidxWriter *w = jf_calloc(1, sizeof *w);
    if (!w) return jf_error_set(err, JF_ENOMEM, prefix, JF_OFFSET_UNKNOWN, "out of memory");
    jf_buf_init(&w->lengths, 0);
    jf_buf_init(&w->docs, 0);
    jf_buf_init(&w->scratch, 0);
    w->vocab_size = vocab_size;
    w->dtype = mmidx_dtype_for_vocab(vocab_size);
    w->bin_path = path_join(prefix, ".bin");
    w->idx_path = path_join(prefix, ".idx");
    w->bin_tmp = path_join(prefix, ".bin.tmp");
    w->idx_tmp = path_join(prefix, ".idx.tmp");
    if (!w->bin_path || !w->idx_path || !w->bin_tmp || !w->idx_tmp ||
        buf_put_le(&w->docs, 0, 8) != JF_OK) {
        mmidx_writer_close(w);
        return jf_error_set(err, JF_ENOMEM, prefix, JF_OFFSET_UNKNOWN, "out of memory");
    }
    if (!(w->bin = fopen(w->bin_tmp, "wb"))) {
        JfStatus rc = jf_error_set(err, JF_EIO, w->bin_tmp, JF_OFFSET_UNKNOWN,
                                   "cannot create: %s", strerror(errno));
        mmidx_writer_close(w);
        return rc;
    }
    *out = w;
    return JF_OK;
}

JfStatus mmidx_writer_add(MmidxWriter *w, const uint32_t *ids, size_t n, JfError *err)
{
    if (n > (size_t)INT32_MAX || w->lengths.len / 4 >= (size_t)INT64_MAX / 8)
        return jf_error_set(err, JF_ETOOBIG, w->bin_tmp, w->tokens, "sequence of %zu tokens "
                            "exceeds the int32 length field", n);
    for (size_t i = 0; i < n; i++)
        if (ids[i] >= w->vocab_size)
            return jf_error_set(err, JF_EFORMAT, w->bin_tmp, JF_OFFSET_UNKNOWN,
                                "token id %u at position %zu >= vocabulary size %llu", ids[i], i,
                                (unsigned long long)w->vocab_size);
    size_t item = mmidx_dtype_size(w->dtype);
    jf_buf_reset(&w->scratch);
    if (jf_buf_reserve(&w->scratch, n * item) != JF_OK || jf_buf_reserve(&w->lengths, 4) != JF_OK)
        return jf_error_set(err, JF_ENOMEM, w->bin_tmp, JF_OFFSET_UNKNOWN, "out of memory");
    for (size_t i = 0; i < n; i++) put_le(w->scratch.data + i * item, ids[i], item);
    if (n && fwrite(w->scratch.data, item, n, w->bin) != n)
        return jf_error_set(err, JF_EIO, w->bin_tmp, w->tokens * item, "write failed: %s",
                            strerror(errno));
    buf_put_le(&w->lengths, (uint32_t)n, 4);      /* room reserved above */
    w->tokens += n;
    w->seq_in_doc++;
    return JF_OK;
}

JfStatus mmidx_writer_end_document(MmidxWriter *w, JfError *err)
{
    if (buf_put_le(&w->docs, w->lengths.len / 4, 8) != JF_OK)
        return jf_error_set(err, JF_ENOMEM, w->idx_tmp, JF_OFFSET_UNKNOWN, "out of memory");
    w->seq_in_doc = 0;
    return JF_OK;
}

/* Writes the index of the sequences added so far to f. */
static bool writer_write_index(const MmidxWriter *w, FILE *f)
{
    uint64_t s = w->lengths.len / 4, d = w->docs.len / 8;
    uint8_t head[MMIDX_HEADER_SIZE];
    memcpy(head, MMIDX_MAGIC, 9);
    put_le(head + 9, MMIDX_VERSION, 8);
    head[17] = (uint8_t)w->dtype;
    put_le(head + 18, s, 8);
    put_le(head + 26, d, 8);
    bool ok = fwrite(head, 1, sizeof head, f) == sizeof head;
    if (s) ok = ok && fwrite(w->lengths.data, 4, s, f) == s;
    uint64_t ptr = 0, item = mmidx_dtype_size(w->dtype);
    for (uint64_t i = 0; ok && i < s; i++) {
        uint8_t p[8];
        put_le(p, ptr, 8);
        ok = fwrite(p, 1, 8, f) == 8;
        ptr += get_le(w->lengths.data + 4 * i, 4) * item;
    }
    return ok && fwrite(w->docs.data, 8, d, f) == d;
}

static JfStatus file_sync_close(FILE **f, const char *path, JfError *err)
{
    bool ok = fflush(*f) == 0 && fsync(fileno(*f)) == 0;
    ok = (fclose(*f) == 0) && ok;
    *f = NULL;
    if (!ok) return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "write failed: %s",
                                 strerror(errno));
    return JF_OK;
}

JfStatus mmidx_writer_commit(MmidxWriter *w, JfError *err)
{
    if (!w->bin) return jf_error_set(err, JF_EUSAGE, w->idx_path, JF_OFFSET_UNKNOWN,
                                     "writer already committed or failed");
    JfStatus rc = JF_OK;
    if (w->seq_in_doc) rc = mmidx_writer_end_document(w, err);
    if (rc == JF_OK) rc = file_sync_close(&w->bin, w->bin_tmp, err);
    if (rc != JF_OK) return rc;
    FILE *f = fopen(w->idx_tmp, "wb");
    if (!f) return jf_error_set(err, JF_EIO, w->idx_tmp, JF_OFFSET_UNKNOWN, "cannot create: %s",
                                strerror(errno));
    if (!writer_write_index(w, f)) {
        fclose(f);
        return jf_error_set(err, JF_EIO, w->idx_tmp, JF_OFFSET_UNKNOWN, "write failed: %s",
                            strerror(errno));
    }
    if ((rc = file_sync_close(&f, w->idx_tmp, err)) != JF_OK) return rc;
    /* .idx last: a reader that finds the .idx finds the matching .bin. */
    if (rename(w->bin_tmp, w->bin_path) != 0 || rename(w->idx_tmp, w->idx_path) != 0)
        return jf_error_set(err, JF_EIO, w->idx_path, JF_OFFSET_UNKNOWN, "cannot commit: %s",
                            strerror(errno));
    w->committed = true;
    return JF_OK;
}

void mmidx_writer_close(MmidxWriter *w)
{
    if (!w) return;
    if (w->bin) fclose(w->bin);
    if (!w->committed) {
        if (w->bin_tmp) unlink(w->bin_tmp);
        if (w->idx_tmp) unlink(w->idx_tmp);
    }
    jf_buf_free(&w->lengths);
    jf_buf_free(&w->docs);
    jf_buf_free(&w->scratch);
    jf_free(w->bin_path);
    jf_free(w->idx_path);
    jf_free(w->bin_tmp);
    jf_free(w->idx_tmp);
    jf_free(w);
}

uint64_t mmidx_writer_sequences(const MmidxWriter *w) { return w->lengths.len / 4; }
uint64_t mmidx_writer_tokens(const MmidxWriter *w) { return w->tokens; }
MmidxDtype mmidx_writer_dtype(const MmidxWriter *w) { return w->dtype; }

/* -------------------------------------------------------------- reader ---- */

typedef struct {
    char          *path;
    const uint8_t *data;       /* NULL for an empty file */
    uint64_t       size;
} MappedFile;

struct MmidxReader {
    MappedFile idx, bin;
    MmidxDtype dtype;
    size_t     item;
    uint64_t   s, d, tokens;
    const uint8_t *lengths, *pointers, *docs;   /* into idx.data, unaligned */
};

static JfStatus map_file(MappedFile *m, const char *prefix, const char *ext, JfError *err)
{
    if (!(m->path = path_join(prefix, ext)))
        return jf_error_set(err, JF_ENOMEM, prefix, JF_OFFSET_UNKNOWN, "out of memory");
    int fd = open(m->path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        JfStatus rc = jf_error_set(err, JF_EIO, m->path, JF_OFFSET_UNKNOWN, "cannot open: %s",
                                   strerror(errno));
        if (fd >= 0) close(fd);
        return rc;
    }
    m->size = (uint64_t)st.st_size;
    if (m->size) {
        void *p = mmap(NULL, (size_t)m->size, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            return jf_error_set(err, JF_EIO, m->path, JF_OFFSET_UNKNOWN, "cannot map: %s",
                                strerror(errno));
        }
        m->data = p;
    }
    close(fd);
    return JF_OK;
}

static void unmap_file(MappedFile *m)
{
    if (m->data) munmap((void *)m->data, (size_t)m->size);
    jf_free(m->path);
}

static JfStatus check_header(MmidxReader *r, JfError *err)
{
    const MappedFile *m = &r->idx;
    if (m->size < MMIDX_HEADER_SIZE)
        return jf_error_set(err, JF_ETRUNC, m->path, m->size, "truncated header: %llu of %u bytes",
                            (unsigned long long)m->size, MMIDX_HEADER_SIZE);
    if (memcmp(m->data, MMIDX_MAGIC, 9) != 0)
        return jf_error_set(err, JF_EFORMAT, m->path, 0, "bad magic (not a Megatron MMIDIDX index)");
    uint64_t version = get_le(m->data + 9, 8);
    if (version != MMIDX_VERSION)
        return jf_error_set(err, JF_EFORMAT, m->path, 9, "unsupported version %llu (expected 1)",
                            (unsigned long long)version);
    r->dtype = m->data[17];
    if (!(r->item = mmidx_dtype_size(r->dtype)))
        return jf_error_set(err, JF_EFORMAT, m->path, 17, "unknown dtype code %u", m->data[17]);
    r->s = get_le(m->data + 18, 8);
    r->d = get_le(m->data + 26, 8);
    uint64_t room = m->size - MMIDX_HEADER_SIZE;
    if (r->s > room / 12 || r->d > room / 8 || r->d == 0)
        return jf_error_set(err, r->d == 0 ? JF_EFORMAT : JF_ETRUNC, m->path, r->d == 0 ? 26 : 18,
                            "counts S=%llu D=%llu do not fit a %llu-byte index",
                            (unsigned long long)r->s, (unsigned long long)r->d,
                            (unsigned long long)m->size);
    uint64_t want = MMIDX_HEADER_SIZE + 12 * r->s + 8 * r->d;
    if (want != m->size)
        return jf_error_set(err, want > m->size ? JF_ETRUNC : JF_EFORMAT, m->path,
                            want > m->size ? m->size : want,
                            "index is %llu bytes, S=%llu and D=%llu need %llu",
                            (unsigned long long)m->size, (unsigned long long)r->s,
                            (unsigned long long)r->d, (unsigned long long)want);
    r->lengths = m->data + MMIDX_HEADER_SIZE;
    r->pointers = r->lengths + 4 * r->s;
    r->docs = r->pointers + 8 * r->s;
    return JF_OK;
}

static JfStatus check_pointers(MmidxReader *r, JfError *err)
{
    uint64_t expect = 0;
    for (uint64_t i = 0; i < r->s; i++) {
        uint64_t len = get_le(r->lengths + 4 * i, 4), ptr = get_le(r->pointers + 8 * i, 8);
        if (len > INT32_MAX)
            return jf_error_set(err, JF_EFORMAT, r->idx.path, MMIDX_HEADER_SIZE + 4 * i,
                                "sequence %llu has negative length", (unsigned long long)i);
        if (ptr != expect)
            return jf_error_set(err, JF_EFORMAT, r->idx.path, MMIDX_HEADER_SIZE + 4 * r->s + 8 * i,
                                "pointer of sequence %llu is %lld, lengths give %llu",
                                (unsigned long long)i, (long long)ptr, (unsigned long long)expect);
        expect += len * r->item;
        r->tokens += len;
    }
    if (expect != r->bin.size)
        return jf_error_set(err, expect > r->bin.size ? JF_ETRUNC : JF_EFORMAT, r->bin.path,
                            expect > r->bin.size ? r->bin.size : expect,
                            "data file is %llu bytes, the index describes %llu",
                            (unsigned long long)r->bin.size, (unsigned long long)expect);
    return JF_OK;
}

static JfStatus check_documents(const MmidxReader *r, JfError *err)
{
    uint64_t prev = 0, base = MMIDX_HEADER_SIZE + 12 * r->s;
    for (uint64_t j = 0; j < r->d; j++) {
        uint64_t v = get_le(r->docs + 8 * j, 8);
        if ((j == 0 && v != 0) || v < prev || v > r->s)
            return jf_error_set(err, JF_EFORMAT, r->idx.path, base + 8 * j,
                                "document index %llu is %lld (must run from 0 to S=%llu, "
                                "non-decreasing)", (unsigned long long)j, (long long)v,
                                (unsigned long long)r->s);
        prev = v;
    }
    if (prev != r->s)
        return jf_error_set(err, JF_EFORMAT, r->idx.path, base + 8 * (r->d - 1),
                            "last document index is %llu, expected S=%llu",
                            (unsigned long long)prev, (unsigned long long)r->s);
    return JF_OK;
}

JfStatus mmidx_reader_open(const char *prefix, MmidxReader **out, JfError *err)
{
    *out = NULL;
    MmidxReader *r = jf_calloc(1, sizeof *r);
    if (!r) return jf_error_set(err, JF_ENOMEM, prefix, JF_OFFSET_UNKNOWN, "out of memory");
    JfStatus rc = map_file(&r->idx, prefix, ".idx", err);
    if (rc == JF_OK) rc = map_file(&r->bin, prefix, ".bin", err);
    if (rc == JF_OK) rc = check_header(r, err);
    if (rc == JF_OK) rc = check_pointers(r, err);
    if (rc == JF_OK) rc = check_documents(r, err);
    if (rc != JF_OK) {
        mmidx_reader_close(r);
        return rc;
    }
    *out = r;
    return JF_OK;
}

void mmidx_reader_close(MmidxReader *r)
{
    if (!r) return;
    unmap_file(&r->idx);
    unmap_file(&r->bin);
    jf_free(r);
}

MmidxDtype mmidx_reader_dtype(const MmidxReader *r) { return r->dtype; }
uint64_t mmidx_reader_sequences(const MmidxReader *r) { return r->s; }
uint64_t mmidx_reader_documents(const MmidxReader *r) { return r->d - 1; }
uint64_t mmidx_reader_tokens(const MmidxReader *r) { return r->tokens; }
uint64_t mmidx_reader_bin_size(const MmidxReader *r) { return r->bin.size; }
uint64_t mmidx_reader_idx_size(const MmidxReader *r) { return r->idx.size; }

uint32_t mmidx_reader_length(const MmidxReader *r, uint64_t i)
{
    return (uint32_t)get_le(r->lengths + 4 * i, 4);
}

uint64_t mmidx_reader_pointer(const MmidxReader *r, uint64_t i)
{
    return get_le(r->pointers + 8 * i, 8);
}

uint64_t mmidx_reader_doc_index(const MmidxReader *r, uint64_t j)
{
    return get_le(r->docs + 8 * j, 8);
}

/* Sign-extends the n-byte value v when the dtype is signed. */
static int64_t item_value(MmidxDtype t, uint64_t v)
{
    switch (t) {
    case MMIDX_INT8:  return (int8_t)v;
    case MMIDX_INT16: return (int16_t)v;
    case MMIDX_INT32: return (int32_t)v;
    case MMIDX_INT64: return (int64_t)v;
    default:          return (int64_t)v;
    }
}

JfStatus mmidx_reader_read(const MmidxReader *r, uint64_t i, uint32_t *out, JfError *err)
{
    if (r->dtype == MMIDX_FLOAT32 || r->dtype == MMIDX_FLOAT64)
        return jf_error_set(err, JF_EFORMAT, r->idx.path, 17, "dtype %s holds no token ids",
                            mmidx_dtype_name(r->dtype));
    uint64_t off = mmidx_reader_pointer(r, i);
    uint32_t n = mmidx_reader_length(r, i);
    for (uint32_t k = 0; k < n; k++) {
        int64_t v = item_value(r->dtype, get_le(r->bin.data + off + (uint64_t)k * r->item, r->item));
        if (v < 0 || v > UINT32_MAX)
            return jf_error_set(err, JF_EFORMAT, r->bin.path, off + (uint64_t)k * r->item,
                                "token id %lld out of range", (long long)v);
        out[k] = (uint32_t)v;
    }
    return JF_OK;
}
