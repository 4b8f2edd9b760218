/* shard_encode.c: the shard writer's workers and writer (see shard_int.h for
 * how the work flows): a worker parses the lines of a chunk (shard_json.h)
 * and encodes each document into the chunk's ids; the caller's thread takes
 * chunks in input order and writes them (shard_out.h), or on MPI ranks
 * other than 0 sends them to rank 0 (shard_mpi.c). */
#include "shard_encode.h"

#include <pthread.h>
#include <string.h>

#include "bpe_encode.h"
#include "jf_alloc.h"
#include "shard_int.h"
#include "shard_out.h"

#define SHARD_MAX_THREADS 64

void shard_encode_options_init(ShardEncodeOptions *o)
{
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->append_eod = true;
    o->eod_id = -1;
    o->max_line = (size_t)256 << 20;
    o->ranks = 1;
}

void shard_encode_stats_free(ShardEncodeStats *st)
{
    for (size_t i = 0; i < st->n_outputs; i++) jf_free(st->outputs[i].prefix);
    jf_free(st->outputs);
    st->outputs = NULL;
    st->n_outputs = 0;
}

/* ------------------------------------------------------------- workers ---- */

typedef struct {
    const SpModel    *m;
    const JfPathList *inputs;
    ShardRing        *ring;
    bool              eod;
    uint32_t          eod_id;
    BpeScratch       *scratch;
    JfBuf             text;
} Worker;

/* A line that is no document: its error goes with the chunk, in order. */
static JfStatus bad_line(Worker *w, ShardChunk *c, const JfError *e, uint64_t off)
{
    JfStatus rc = shard_chunk_reserve(c, 1, 0, 1);
    if (rc != JF_OK) return rc;
    JfError *x = &c->errs[c->n_errs];
    jf_error_set(x, e->code, w->inputs->paths[c->input], off, "%s", e->msg);
    ShardItem *it = &c->items[c->n_items++];
    memset(it, 0, sizeof *it);
    it->err_at = (int64_t)c->n_errs++;
    return JF_OK;
}

static JfStatus encode_line(Worker *w, ShardChunk *c, const char *line, size_t len, uint64_t off)
{
    ShardJsonDoc d;
    JfError e;
    JfStatus rc = shard_json_doc(line, len, &w->text, &d, &e);
    const BpeToken *t = NULL;
    size_t n = 0;
    if (rc == JF_OK) rc = bpe_encode(w->m, w->scratch, d.text, d.text_len, &t, &n, &e);
    if (rc == JF_EFORMAT || rc == JF_ETOOBIG) return bad_line(w, c, &e, off);
    if (rc == JF_OK) rc = shard_chunk_reserve(c, 1, n + 1, 0);
    if (rc != JF_OK) return rc;
    ShardItem *it = &c->items[c->n_items++];
    it->ids_at = c->n_ids;
    for (size_t i = 0; i < n; i++) c->ids[c->n_ids++] = t[i].id;
    if (w->eod) c->ids[c->n_ids++] = w->eod_id;
    it->n_ids = c->n_ids - it->ids_at;
    it->bytes = d.text_len;
    it->chars = d.chars;
    it->err_at = -1;
    memcpy(it->lang, d.lang, sizeof it->lang);
    memcpy(it->source, d.source, sizeof it->source);
    return JF_OK;
}

/* Every line of a chunk (blank lines are no documents). */
static void encode_chunk(Worker *w, ShardChunk *c)
{
    const char *p = (const char *)c->data.data, *end = p + c->data.len;
    while (p < end && c->rc == JF_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        uint64_t off = c->offset + (uint64_t)(p - (const char *)c->data.data);
        if (e > p) c->rc = encode_line(w, c, p, (size_t)(e - p), off);
        p = e + 1;
    }
    if (c->rc != JF_OK)
        jf_error_set(&c->err, c->rc, w->inputs->paths[c->input], JF_OFFSET_UNKNOWN,
                     "encoding: %s", jf_status_text(c->rc));
}

static void *worker_main(void *arg)
{
    Worker *w = arg;
    ShardChunk *c;
    while ((c = shard_ring_take(w->ring))) {
        if (!c->remote) encode_chunk(w, c);
        shard_ring_done(w->ring, c);
    }
    return NULL;
}

/* -------------------------------------------------------------- writer ---- */

typedef struct {
    const ShardEncodeOptions *o;
    ShardOut                 *out;       /* rank 0 only */
    ShardEncodeStats         *st;
    void                    (*on_error)(void *ctx, const JfError *err);
    void                     *ctx;
} Writer;

static bool read_fatal(const ShardChunk *c)
{
    return c->read_rc != JF_OK && c->read_rc != JF_ETOOBIG && c->read_rc != JF_ETRUNC;
}

static void report(Writer *x, const JfError *e)
{
    x->st->bad_lines++;
    if (x->on_error) x->on_error(x->ctx, e);
}

static JfStatus write_chunk(Writer *x, const ShardChunk *c, JfError *err)
{
    for (size_t i = 0; i < c->n_items; i++) {
        const ShardItem *it = &c->items[i];
        if (it->err_at >= 0) {
            report(x, &c->errs[it->err_at]);
            continue;
        }
        JfStatus rc = shard_out_add(x->out, it->lang, it->source, c->ids + it->ids_at, it->n_ids,
                                    it->bytes, it->chars, err);
        if (rc != JF_OK) return rc;
        x->st->docs++;
        x->st->tokens += it->n_ids;
        x->st->bytes += it->bytes;
        x->st->chars += it->chars;
    }
    if (c->read_rc != JF_OK) report(x, &c->read_err);
    return JF_OK;
}

/* One chunk, in input order: written here (rank 0, after receiving it when
 * another rank encoded it) or sent to rank 0. */
static JfStatus take_chunk(Writer *x, ShardChunk *c, JfError *err)
{
    if (read_fatal(c)) {
        *err = c->read_err;
        return c->read_rc;
    }
    JfStatus rc = JF_OK;
    if (x->o->rank == 0 && c->remote)
        rc = shard_mpi_recv(c, (int)(c->seq % (uint64_t)x->o->ranks), err);
    if (rc == JF_OK && c->rc != JF_OK) {
        *err = c->err;
        rc = c->rc;
    }
    if (rc != JF_OK) return rc;
    return x->o->rank == 0 ? write_chunk(x, c, err) : shard_mpi_send(c, err);
}

static JfStatus write_all(Writer *x, ShardRing *ring, JfError *err)
{
    JfStatus rc = JF_OK;
    ShardChunk *c;
    while (rc == JF_OK && (c = shard_ring_next_done(ring))) {
        rc = take_chunk(x, c, err);
        shard_ring_release(ring);
    }
    return rc;
}

/* --------------------------------------------------------------- setup ---- */

typedef struct {
    ShardRing   ring;
    ShardReader reader;
    Worker      w[SHARD_MAX_THREADS];
    pthread_t   tid[SHARD_MAX_THREADS + 1];   /* workers, then the reader */
    int         started;                      /* threads started */
    bool        reader_started;
} Crew;

static JfStatus crew_start(Crew *k, int threads, JfError *err)
{
    for (int t = 0; t < threads; t++) {
        if (pthread_create(&k->tid[t], NULL, worker_main, &k->w[t]) != 0) break;
        k->started++;
    }
    pthread_t *reader = &k->tid[SHARD_MAX_THREADS];
    k->reader_started = k->started == threads &&
                        pthread_create(reader, NULL, shard_read_main, &k->reader) == 0;
    if (k->reader_started) return JF_OK;
    return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "cannot start threads");
}

static void crew_join(Crew *k)
{
    if (k->reader_started) pthread_join(k->tid[SHARD_MAX_THREADS], NULL);
    for (int t = 0; t < k->started; t++) pthread_join(k->tid[t], NULL);
}

static JfStatus crew_init(Crew *k, const SpModel *m, const JfPathList *inputs,
                          const ShardEncodeOptions *o, uint32_t eod, JfError *err)
{
    JfStatus rc = shard_ring_init(&k->ring, 2 * (size_t)o->threads + 2, err);
    k->reader = (ShardReader){ .ring = &k->ring, .inputs = inputs, .max_line = o->max_line,
                               .rank = o->rank, .ranks = o->ranks };
    for (int t = 0; rc == JF_OK && t < o->threads; t++) {
        k->w[t] = (Worker){ .m = m, .inputs = inputs, .ring = &k->ring, .eod = o->append_eod,
                            .eod_id = eod };
        jf_buf_init(&k->w[t].text, 0);
        rc = bpe_scratch_open(&k->w[t].scratch, err);
    }
    return rc;
}

static void crew_free(Crew *k, int threads)
{
    for (int t = 0; t < threads; t++) {
        bpe_scratch_close(k->w[t].scratch);
        jf_buf_free(&k->w[t].text);
    }
    shard_ring_free(&k->ring);
}

static JfStatus options_check(const SpModel *m, ShardEncodeOptions *o, uint32_t *eod, JfError *err)
{
    if (o->threads < 1) o->threads = 1;
    if (o->threads > SHARD_MAX_THREADS) o->threads = SHARD_MAX_THREADS;
    if (o->ranks < 1) o->ranks = 1;
    if (o->max_line == 0) o->max_line = (size_t)256 << 20;
    if (o->rank < 0 || o->rank >= o->ranks)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "rank %d of %d", o->rank,
                            o->ranks);
    JfStatus rc = bpe_model_check(m, err);
    if (rc != JF_OK) return rc;
    int64_t id = o->eod_id >= 0 ? o->eod_id : sp_model_info(m)->eos_id;
    if (o->append_eod && (id < 0 || (uint64_t)id >= sp_model_size(m)))
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "the model has no end-of-document id (eos); give one");
    *eod = (uint32_t)(id < 0 ? 0 : id);
    return JF_OK;
}

JfStatus shard_encode_files(const SpModel *m, const JfPathList *inputs, const char *out,
                            const ShardEncodeOptions *opt, ShardEncodeStats *st,
                            void (*on_error)(void *ctx, const JfError *err), void *ctx,
                            JfError *err)
{
    ShardEncodeOptions o;
    if (opt) o = *opt;
    else shard_encode_options_init(&o);
    memset(st, 0, sizeof *st);
    uint32_t eod = 0;
    JfStatus rc = options_check(m, &o, &eod, err);
    Crew *k = rc == JF_OK ? jf_calloc(1, sizeof *k) : NULL;
    if (rc == JF_OK && !k)
        rc = jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    Writer x = { .o = &o, .st = st, .on_error = on_error, .ctx = ctx };
    if (rc == JF_OK) rc = crew_init(k, m, inputs, &o, eod, err);
    if (rc == JF_OK && o.rank == 0)
        rc = shard_out_open(out, o.by_group, o.max_tokens, sp_model_size(m), &x.out, err);
    if (rc == JF_OK) rc = crew_start(k, o.threads, err);
    if (rc == JF_OK) rc = write_all(&x, &k->ring, err);
    if (k) {
        shard_ring_stop(&k->ring);      /* lets the threads leave after a failure */
        crew_join(k);
    }
    if (o.rank > 0 && o.ranks > 1) {
        JfError e;
        JfStatus sr = shard_mpi_send_end(rc, err, &e);
        if (rc == JF_OK && sr != JF_OK) *err = e, rc = sr;
    } else {
        if (rc == JF_OK && o.ranks > 1) rc = shard_mpi_recv_ends(o.ranks, err);
        if (rc == JF_OK) rc = shard_out_commit(x.out, st, err);
    }
    shard_out_close(x.out);
    if (k) crew_free(k, o.threads);
    jf_free(k);
    if (rc != JF_OK) shard_encode_stats_free(st);
    return rc;
}
