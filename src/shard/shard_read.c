/* shard_read.c: the chunk ring and the reader thread of the shard writer
 * (shard_int.h). The reader decompresses each input (jf_stream: zstd, gzip,
 * bzip2 or plain) and cuts it into chunks of whole lines: a chunk ends at the
 * first '\n' at or past SHARD_CHUNK_BYTES, so where it ends depends only on
 * the content. A line longer than max_line is skipped and becomes a chunk of
 * its own that carries only the error. It does not parse JSON (the workers
 * do) and reports nothing itself: errors travel in the chunks, in order. */
#include <string.h>

#include "jf_alloc.h"
#include "jf_stream.h"
#include "shard_int.h"

/* ------------------------------------------------------------- chunks ---- */

void shard_chunk_reset(ShardChunk *c)
{
    jf_buf_reset(&c->data);
    c->seq = c->offset = 0;
    c->input = 0;
    c->remote = false;
    c->read_rc = c->rc = JF_OK;
    c->n_items = c->n_errs = 0;
    c->n_ids = 0;
}

void shard_chunk_free(ShardChunk *c)
{
    jf_buf_free(&c->data);
    jf_free(c->items);
    jf_free(c->ids);
    jf_free(c->errs);
    memset(c, 0, sizeof *c);
}

static JfStatus grow(void **p, uint64_t *cap, uint64_t need, size_t size)
{
    if (need <= *cap) return JF_OK;
    uint64_t n = *cap ? *cap : 64;
    while (n < need) n *= 2;
    if (n > SIZE_MAX / size) return JF_ENOMEM;
    void *q = jf_realloc(*p, (size_t)n * size);
    if (!q) return JF_ENOMEM;
    *p = q;
    *cap = n;
    return JF_OK;
}

JfStatus shard_chunk_reserve(ShardChunk *c, size_t items, uint64_t ids, size_t errs)
{
    uint64_t ci = c->cap_items, ce = c->cap_errs;
    JfStatus rc = grow((void **)&c->items, &ci, c->n_items + items, sizeof *c->items);
    c->cap_items = (size_t)ci;
    if (rc == JF_OK) rc = grow((void **)&c->ids, &c->cap_ids, c->n_ids + ids, sizeof *c->ids);
    if (rc == JF_OK) rc = grow((void **)&c->errs, &ce, c->n_errs + errs, sizeof *c->errs);
    c->cap_errs = (size_t)ce;
    return rc;
}

/* --------------------------------------------------------------- ring ---- */

JfStatus shard_ring_init(ShardRing *r, size_t n, JfError *err)
{
    memset(r, 0, sizeof *r);
    r->slot = jf_calloc(n, sizeof *r->slot);
    r->state = jf_calloc(n, sizeof *r->state);
    if (!r->slot || !r->state) {
        jf_free(r->slot);
        jf_free(r->state);
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    }
    for (size_t i = 0; i < n; i++) jf_buf_init(&r->slot[i].data, 0);
    r->n = n;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    return JF_OK;
}

void shard_ring_free(ShardRing *r)
{
    if (!r->slot) return;
    for (size_t i = 0; i < r->n; i++) shard_chunk_free(&r->slot[i]);
    jf_free(r->slot);
    jf_free(r->state);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    memset(r, 0, sizeof *r);
}

void shard_ring_stop(ShardRing *r)
{
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* The reader's next slot, once the writer freed it. NULL on stop. */
static ShardChunk *ring_acquire(ShardRing *r)
{
    pthread_mutex_lock(&r->mu);
    while (!r->stop && r->read_at - r->write_at >= r->n) pthread_cond_wait(&r->cv, &r->mu);
    ShardChunk *c = r->stop ? NULL : &r->slot[r->read_at % r->n];
    pthread_mutex_unlock(&r->mu);
    return c;
}

static void ring_publish(ShardRing *r)
{
    pthread_mutex_lock(&r->mu);
    r->state[r->read_at % r->n] = SLOT_READ;
    r->read_at++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

ShardChunk *shard_ring_next_done(ShardRing *r)
{
    pthread_mutex_lock(&r->mu);
    for (;;) {
        if (r->stop || (r->read_done && r->write_at == r->read_at)) break;
        if (r->write_at < r->read_at && r->state[r->write_at % r->n] == SLOT_DONE) break;
        pthread_cond_wait(&r->cv, &r->mu);
    }
    ShardChunk *c = r->stop || r->write_at == r->read_at ? NULL : &r->slot[r->write_at % r->n];
    pthread_mutex_unlock(&r->mu);
    return c;
}

void shard_ring_release(ShardRing *r)
{
    pthread_mutex_lock(&r->mu);
    r->state[r->write_at % r->n] = SLOT_FREE;
    r->write_at++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

ShardChunk *shard_ring_take(ShardRing *r)
{
    ShardChunk *c = NULL;
    pthread_mutex_lock(&r->mu);
    while (!r->stop && r->work_at == r->read_at && !r->read_done) pthread_cond_wait(&r->cv, &r->mu);
    if (!r->stop && r->work_at < r->read_at) {
        r->state[r->work_at % r->n] = SLOT_WORKING;
        c = &r->slot[r->work_at++ % r->n];
    }
    pthread_mutex_unlock(&r->mu);
    return c;
}

void shard_ring_done(ShardRing *r, ShardChunk *c)
{
    pthread_mutex_lock(&r->mu);
    r->state[c - r->slot] = SLOT_DONE;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* ------------------------------------------------------------- reader ---- */

#define READ_STEP (256u * 1024u)

typedef struct {
    ShardReader *rd;
    ShardChunk  *c;           /* being filled; owned by the reader */
    uint64_t     seq;         /* its number over all inputs */
    size_t       scan;        /* bytes of c->data already searched for '\n' */
    size_t       line_start;  /* where the unfinished line starts in c->data */
    bool         skipping;    /* inside a line too long: dropping bytes up to its '\n' */
    JfBuf        carry;
} Cutter;

static bool is_fatal(JfStatus rc) { return rc != JF_OK && rc != JF_ETOOBIG && rc != JF_ETRUNC; }

/* Hands data[0..end) of the current chunk on (nothing of it when !keep_data)
 * and starts the next chunk with the bytes after end. Another rank's chunk
 * is not handed on (rank 0 gets a placeholder). @return JF_OK, or JF_ENOMEM /
 * JF_EINTERNAL (the writer stopped) with the reader to end. */
static JfStatus cut_emit(Cutter *k, size_t end, bool keep_data)
{
    ShardChunk *c = k->c;
    const ShardReader *rd = k->rd;
    jf_buf_reset(&k->carry);
    if (jf_buf_append(&k->carry, c->data.data + end, c->data.len - end) != JF_OK) return JF_ENOMEM;
    size_t input = c->input;
    uint64_t next_off = c->offset + end;
    bool own = rd->ranks <= 1 || c->seq % (uint64_t)rd->ranks == (uint64_t)rd->rank;
    c->data.len = keep_data ? end : 0;
    c->remote = !own;
    if (own || rd->rank == 0 || is_fatal(c->read_rc)) {
        ring_publish(rd->ring);
        if (!(k->c = ring_acquire(rd->ring))) return JF_EINTERNAL;
    }
    shard_chunk_reset(k->c);
    k->c->seq = ++k->seq;
    k->c->input = input;
    k->c->offset = next_off;
    k->scan = k->line_start = 0;
    return jf_buf_append(&k->c->data, k->carry.data, k->carry.len) == JF_OK ? JF_OK : JF_ENOMEM;
}

/* The line at line_start is longer than max_line: lines before it go on,
 * then a chunk that carries only the error; complete: the line ends at end
 * (its '\n' included), else bytes are dropped up to its end. */
static JfStatus cut_long_line(Cutter *k, size_t end, bool complete)
{
    size_t start = k->line_start;
    JfStatus rc = start ? cut_emit(k, start, true) : JF_OK;
    if (rc != JF_OK) return rc;
    if (complete) end -= start;
    ShardChunk *c = k->c;
    c->read_rc = jf_error_set(&c->read_err, JF_ETOOBIG, k->rd->inputs->paths[c->input], c->offset,
                              "line longer than %zu bytes skipped", k->rd->max_line);
    k->skipping = !complete;
    return cut_emit(k, complete ? end : c->data.len, false);
}

/* Drops bytes of a long line up to its '\n'. */
static void cut_skip(Cutter *k)
{
    ShardChunk *c = k->c;
    const uint8_t *nl = memchr(c->data.data, '\n', c->data.len);
    size_t drop = nl ? (size_t)(nl - c->data.data) + 1 : c->data.len;
    memmove(c->data.data, c->data.data + drop, c->data.len - drop);
    c->data.len -= drop;
    c->offset += drop;
    k->skipping = !nl;
}

/* Searches the new bytes for line ends: cuts at the first one at or past
 * SHARD_CHUNK_BYTES, and sets long lines aside. */
static JfStatus cut_scan(Cutter *k)
{
    for (;;) {
        if (k->skipping) cut_skip(k);
        if (k->skipping) return JF_OK;
        ShardChunk *c = k->c;
        const uint8_t *nl = memchr(c->data.data + k->scan, '\n', c->data.len - k->scan);
        if (!nl) {
            k->scan = c->data.len;
            if (c->data.len - k->line_start > k->rd->max_line) {
                JfStatus rc = cut_long_line(k, 0, false);
                if (rc != JF_OK) return rc;
                continue;
            }
            return JF_OK;
        }
        size_t end = (size_t)(nl - c->data.data) + 1;
        JfStatus rc = JF_OK;
        if (end - 1 - k->line_start > k->rd->max_line) rc = cut_long_line(k, end, true);
        else if ((k->scan = k->line_start = end) >= SHARD_CHUNK_BYTES) rc = cut_emit(k, end, true);
        if (rc != JF_OK) return rc;
    }
}

/* A fatal error ends the reading: it goes on in a chunk every rank keeps. */
static JfStatus read_fatal(Cutter *k, JfStatus rc, const JfError *e)
{
    ShardChunk *c = k->c;
    c->read_rc = rc;
    if (e) c->read_err = *e;
    else jf_error_set(&c->read_err, rc, k->rd->inputs->paths[c->input], JF_OFFSET_UNKNOWN,
                      "reading: %s", jf_status_text(rc));
    c->data.len = k->skipping ? 0 : k->line_start;   /* whole lines before the failure */
    if (cut_emit(k, c->data.len, true) == JF_ENOMEM) return JF_ENOMEM;
    return rc;
}

/* The end of an input: the last line (without '\n') and a truncation error
 * (lines before it are kept; the partial line is dropped). */
static JfStatus read_end(Cutter *k, JfStatus rc, const JfError *e)
{
    ShardChunk *c = k->c;
    JfStatus r = JF_OK;
    if (rc == JF_DONE && !k->skipping && c->data.len - k->line_start > k->rd->max_line)
        r = cut_long_line(k, 0, false);
    c = k->c;
    if (rc == JF_ETRUNC) {
        c->data.len = k->skipping ? 0 : k->line_start;
        c->read_rc = JF_ETRUNC;
        c->read_err = *e;
    }
    k->skipping = false;
    if (r == JF_OK && (c->data.len > 0 || c->read_rc != JF_OK)) r = cut_emit(k, c->data.len, true);
    return r;
}

static JfStatus read_input(Cutter *k, size_t i)
{
    JfStream *s = NULL;
    JfError e;
    k->c->input = i;
    k->c->offset = 0;
    k->scan = k->line_start = 0;
    JfStatus rc = jf_stream_open(k->rd->inputs->paths[i], &s, &e);
    if (rc != JF_OK) return read_fatal(k, rc, &e);
    for (;;) {
        ShardChunk *c = k->c;
        size_t n = 0;
        if (jf_buf_reserve(&c->data, READ_STEP) != JF_OK) {
            rc = JF_ENOMEM;
            break;
        }
        rc = jf_stream_read(s, c->data.data + c->data.len, READ_STEP, &n, &e);
        if (rc != JF_OK) break;
        c->data.len += n;
        if ((rc = cut_scan(k)) != JF_OK) break;
    }
    jf_stream_close(s);
    if (rc == JF_DONE || rc == JF_ETRUNC) return read_end(k, rc, &e);
    if (rc == JF_EINTERNAL) return rc;             /* the writer stopped */
    return read_fatal(k, rc, rc == JF_ENOMEM ? NULL : &e);
}

static void read_finish(ShardRing *r)
{
    pthread_mutex_lock(&r->mu);
    r->read_done = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void *shard_read_main(void *arg)
{
    ShardReader *rd = arg;
    Cutter k = { .rd = rd };
    jf_buf_init(&k.carry, 0);
    if ((k.c = ring_acquire(rd->ring))) {
        shard_chunk_reset(k.c);
        for (size_t i = 0; i < rd->inputs->count; i++)
            if (read_input(&k, i) != JF_OK) break;
    }
    jf_buf_free(&k.carry);
    read_finish(rd->ring);
    return NULL;
}
