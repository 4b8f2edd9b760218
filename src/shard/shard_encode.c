/* shard_encode.c: documents to MMIDIDX with the BPE encoder, batch by batch:
 * the main thread reads a batch of texts, the workers encode disjoint
 * slices of it into per-document id arrays, and the main thread writes them
 * in order. */
#include "shard_encode.h"

#include <pthread.h>
#include <string.h>

#include "bpe_encode.h"
#include "jf_alloc.h"
#include "jf_doc.h"
#include "mmidx.h"

void shard_encode_options_init(ShardEncodeOptions *o)
{
    o->threads = 1;
    o->append_eod = true;
    o->eod_id = -1;
    o->batch_docs = 512;
    o->max_tokens = 0;
}

typedef struct {
    char     *text;     /* owned */
    size_t    len;
    uint32_t *ids;      /* owned, encoded ids (+ EOD) */
    size_t    n_ids;
    JfStatus  rc;
} ShardDoc;

typedef struct {
    const SpModel *m;
    ShardDoc      *docs;
    size_t         begin, end;
    bool           eod;
    uint32_t       eod_id;
    BpeScratch    *scratch;
} ShardSlice;

static JfStatus encode_one(ShardSlice *s, ShardDoc *d)
{
    const BpeToken *toks;
    size_t n;
    JfError err;
    JfStatus rc = bpe_encode(s->m, s->scratch, d->text, d->len, &toks, &n, &err);
    if (rc != JF_OK) return rc;
    d->ids = jf_malloc((n + 1) * sizeof *d->ids);
    if (!d->ids) return JF_ENOMEM;
    for (size_t i = 0; i < n; i++) d->ids[i] = toks[i].id;
    d->n_ids = n;
    if (s->eod) d->ids[d->n_ids++] = s->eod_id;
    return JF_OK;
}

static void *encode_slice(void *arg)
{
    ShardSlice *s = arg;
    for (size_t i = s->begin; i < s->end; i++) s->docs[i].rc = encode_one(s, &s->docs[i]);
    return NULL;
}

static void batch_free(ShardDoc *docs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        jf_free(docs[i].text);
        jf_free(docs[i].ids);
    }
    memset(docs, 0, n * sizeof *docs);
}

/* Starts encoding docs[0..n) on the slices' threads and returns at once, so
 * the caller reads the next batch meanwhile: reading and parsing never hold
 * the encoders up. A slice whose thread cannot start is encoded here. */
static void batch_encode_start(ShardSlice *slices, int threads, ShardDoc *docs, size_t n,
                               pthread_t *tids, int *started)
{
    size_t per = (n + (size_t)threads - 1) / (size_t)threads;
    for (int t = 0; t < threads; t++) {
        slices[t].docs = docs;
        slices[t].begin = (size_t)t * per < n ? (size_t)t * per : n;
        slices[t].end = (size_t)(t + 1) * per < n ? (size_t)(t + 1) * per : n;
        started[t] = pthread_create(&tids[t], NULL, encode_slice, &slices[t]) == 0;
        if (!started[t]) encode_slice(&slices[t]);
    }
}

static void batch_encode_wait(int threads, pthread_t *tids, const int *started)
{
    for (int t = 0; t < threads; t++)
        if (started[t]) pthread_join(tids[t], NULL);
}

typedef struct {
    const JfPathList *inputs;
    size_t            next_input;
    JfDocReader      *reader;
    JfDoc             doc;
    void            (*on_error)(void *, const JfError *);
    void             *ctx;
} ShardSource;

/* Fills docs with up to cap documents. @return JF_OK (*n may be 0 at the end). */
static JfStatus source_fill(ShardSource *src, ShardDoc *docs, size_t cap, size_t *n,
                            ShardEncodeStats *st, JfError *err)
{
    *n = 0;
    while (*n < cap) {
        if (!src->reader) {
            if (src->next_input == src->inputs->count) return JF_OK;
            JfStatus rc = jf_docreader_open(src->inputs->paths[src->next_input++], 0,
                                            &src->reader, err);
            if (rc != JF_OK) return rc;
        }
        JfStatus rc = jf_docreader_next(src->reader, &src->doc, err);
        if (rc == JF_DONE) {
            jf_docreader_close(src->reader);
            src->reader = NULL;
            continue;
        }
        if (rc == JF_EFORMAT || rc == JF_ETOOBIG || rc == JF_ETRUNC) {
            st->bad_lines++;
            if (src->on_error) src->on_error(src->ctx, err);
            continue;
        }
        if (rc != JF_ROW) return rc;
        ShardDoc *d = &docs[(*n)++];
        d->len = src->doc.text_len;
        d->text = src->doc.text;       /* take ownership */
        src->doc.text = NULL;
    }
    return JF_OK;
}

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += ((uint8_t)s[i] & 0xC0) != 0x80;
    return n;
}

/* Where documents go: one dataset, or numbered parts of max_tokens each. */
typedef struct {
    const char  *prefix;
    uint64_t     max_tokens;
    uint64_t     vocab;
    unsigned     part;       /* next part number */
    MmidxWriter *w;
} ShardOut;

static JfStatus out_open(ShardOut *o, JfError *err)
{
    char name[4096];
    if (o->max_tokens) snprintf(name, sizeof name, "%s_%03u", o->prefix, o->part);
    else snprintf(name, sizeof name, "%s", o->prefix);
    o->part++;
    return mmidx_writer_open(name, o->vocab, &o->w, err);
}

static JfStatus out_commit(ShardOut *o, ShardEncodeStats *st, JfError *err)
{
    JfStatus rc = mmidx_writer_commit(o->w, err);
    mmidx_writer_close(o->w);
    o->w = NULL;
    if (rc == JF_OK) st->datasets++;
    return rc;
}

static JfStatus batch_write(ShardOut *o, ShardDoc *docs, size_t n, ShardEncodeStats *st,
                            JfError *err)
{
    for (size_t i = 0; i < n; i++) {
        if (o->max_tokens && mmidx_writer_tokens(o->w) >= o->max_tokens) {
            JfStatus rc = out_commit(o, st, err);
            if (rc == JF_OK) rc = out_open(o, err);
            if (rc != JF_OK) return rc;
        }
        MmidxWriter *w = o->w;
        if (docs[i].rc != JF_OK)
            return jf_error_set(err, docs[i].rc, NULL, JF_OFFSET_UNKNOWN,
                                "encoding document %llu: %s", (unsigned long long)st->docs,
                                jf_status_text(docs[i].rc));
        JfStatus rc = mmidx_writer_add(w, docs[i].ids, docs[i].n_ids, err);
        if (rc == JF_OK) rc = mmidx_writer_end_document(w, err);
        if (rc != JF_OK) return rc;
        st->docs++;
        st->tokens += docs[i].n_ids;
        st->bytes += docs[i].len;
        st->chars += utf8_chars(docs[i].text, docs[i].len);
    }
    return JF_OK;
}

static JfStatus encode_all(ShardSource *src, ShardOut *out,
                           const ShardEncodeOptions *o, ShardSlice *slices, ShardEncodeStats *st,
                           JfError *err)
{
    /* two batches: one being encoded while the next is read */
    ShardDoc *cur = jf_calloc(o->batch_docs, sizeof *cur), *next = jf_calloc(o->batch_docs, sizeof *next);
    if (!cur || !next) {
        jf_free(cur);
        jf_free(next);
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    }
    pthread_t tids[64];
    int started[64];
    size_t n, n_next = 0;
    JfStatus rc = source_fill(src, cur, o->batch_docs, &n, st, err);
    while (rc == JF_OK && n > 0) {
        batch_encode_start(slices, o->threads, cur, n, tids, started);
        JfStatus rr = source_fill(src, next, o->batch_docs, &n_next, st, err);
        batch_encode_wait(o->threads, tids, started);
        rc = rr == JF_OK ? batch_write(out, cur, n, st, err) : rr;
        batch_free(cur, n);
        ShardDoc *t = cur;
        cur = next, next = t;
        n = n_next, n_next = 0;
    }
    batch_free(cur, o->batch_docs);
    batch_free(next, o->batch_docs);
    jf_free(cur);
    jf_free(next);
    return rc;
}

JfStatus shard_encode_files(const SpModel *m, const JfPathList *inputs, const char *prefix,
                            const ShardEncodeOptions *opt, ShardEncodeStats *st,
                            void (*on_error)(void *ctx, const JfError *err), void *ctx,
                            JfError *err)
{
    ShardEncodeOptions o;
    if (opt) o = *opt;
    else shard_encode_options_init(&o);
    if (o.threads < 1) o.threads = 1;
    if (o.threads > 64) o.threads = 64;
    if (o.batch_docs == 0) o.batch_docs = 512;
    memset(st, 0, sizeof *st);
    JfStatus rc = bpe_model_check(m, err);
    if (rc != JF_OK) return rc;
    int64_t eod = o.eod_id >= 0 ? o.eod_id : sp_model_info(m)->eos_id;
    if (o.append_eod && (eod < 0 || (uint64_t)eod >= sp_model_size(m)))
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "the model has no end-of-document id (eos); give one");

    ShardSlice slices[64] = { 0 };
    ShardSource src = { .inputs = inputs, .on_error = on_error, .ctx = ctx };
    ShardOut out = { .prefix = prefix, .max_tokens = o.max_tokens, .vocab = sp_model_size(m) };
    rc = jf_doc_init(&src.doc) == JF_OK ? JF_OK : JF_ENOMEM;
    for (int t = 0; rc == JF_OK && t < o.threads; t++) {
        slices[t] = (ShardSlice){ .m = m, .eod = o.append_eod, .eod_id = (uint32_t)eod };
        rc = bpe_scratch_open(&slices[t].scratch, err);
    }
    if (rc == JF_OK) rc = out_open(&out, err);
    if (rc == JF_OK) rc = encode_all(&src, &out, &o, slices, st, err);
    if (rc == JF_OK) rc = out_commit(&out, st, err);
    mmidx_writer_close(out.w);
    for (int t = 0; t < o.threads; t++) bpe_scratch_close(slices[t].scratch);
    jf_docreader_close(src.reader);
    jf_doc_free(&src.doc);
    return rc;
}
