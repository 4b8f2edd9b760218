/* bpe_count.c: unique words of a corpus counted on several threads, merged in
 * input order (see bpe_count.h for why the result does not depend on the
 * thread count).
 *
 * A ring of threads + 2 batch slots: the caller's thread fills one slot, the
 * workers take the ready ones in ring order, and the caller merges a slot
 * (in ring order, so in batch order) before filling it again. The caller's
 * thread thus reads and merges while the workers cut; memory is the slots'
 * text and tables, bounded by the batch size and the thread count. */
#include <pthread.h>
#include <string.h>

#include "bpe_count.h"
#include "jf_alloc.h"

#define BPE_BATCH_BYTES ((size_t)1 << 20)

enum { SLOT_FREE, SLOT_READY, SLOT_BUSY, SLOT_DONE };

typedef struct {
    char     *buf;   size_t len, cap;
    BpeWords  words;                   /* the batch's own table */
    uint64_t  ctr[BPE_COUNTERS];
    int       state;                   /* SLOT_*, under the mutex */
    JfStatus  rc;
    JfError   err;
} CountSlot;

typedef struct {
    BpeCounter *c;
    size_t      i;                     /* the worker's cutter */
} CountWorker;

struct BpeCounter {
    BpeCutFn    fn;
    void      **cutters;
    BpeWords   *words;
    uint64_t   *counters;
    size_t      threads, n_slots;
    CountSlot  *slots;
    size_t      cur;                   /* the slot being filled (caller's thread) */
    size_t      take;                  /* the next slot a worker takes (mutex) */
    bool        stop;                  /* (mutex) */
    JfStatus    failed;                /* sticky: the first error */
    JfError     ferr;
    pthread_mutex_t mu;
    pthread_cond_t  work, done;
    pthread_t      *tids;
    CountWorker    *workers;
    size_t          n_started;
};

static JfStatus nomem(JfError *err)
{
    return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory (word counts)");
}

static void *worker_main(void *arg)
{
    CountWorker *w = arg;
    BpeCounter *c = w->c;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->stop && c->slots[c->take].state != SLOT_READY)
            pthread_cond_wait(&c->work, &c->mu);
        if (c->stop) break;
        CountSlot *s = &c->slots[c->take];
        c->take = (c->take + 1) % c->n_slots;
        s->state = SLOT_BUSY;
        pthread_mutex_unlock(&c->mu);
        jf_error_clear(&s->err);
        s->rc = c->fn(c->cutters[w->i], s->buf, s->len, &s->words, s->ctr, &s->err);
        pthread_mutex_lock(&c->mu);
        s->state = SLOT_DONE;
        pthread_cond_broadcast(&c->done);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

static JfStatus fail(BpeCounter *c, JfStatus rc, JfError *err)
{
    if (rc != JF_OK && c->failed == JF_OK) {
        c->failed = rc;
        c->ferr = *err;
    }
    return rc;
}

/* Waits for slot s, merges its table and tallies into the result, frees it. */
static JfStatus slot_collect(BpeCounter *c, CountSlot *s, JfError *err)
{
    pthread_mutex_lock(&c->mu);
    while (s->state == SLOT_READY || s->state == SLOT_BUSY) pthread_cond_wait(&c->done, &c->mu);
    bool was_done = s->state == SLOT_DONE;
    s->state = SLOT_FREE;
    pthread_mutex_unlock(&c->mu);
    if (!was_done) return JF_OK;
    JfStatus rc = s->rc;
    if (rc != JF_OK) *err = s->err;
    else if (!bpe_words_merge(c->words, &s->words)) rc = nomem(err);
    for (size_t k = 0; rc == JF_OK && k < BPE_COUNTERS; k++) c->counters[k] += s->ctr[k];
    memset(s->ctr, 0, sizeof s->ctr);
    bpe_words_clear(&s->words);
    s->len = 0;
    return fail(c, rc, err);
}

/* Hands the slot being filled to the workers and frees the next one. */
static JfStatus submit(BpeCounter *c, JfError *err)
{
    pthread_mutex_lock(&c->mu);
    c->slots[c->cur].state = SLOT_READY;
    pthread_cond_signal(&c->work);
    pthread_mutex_unlock(&c->mu);
    c->cur = (c->cur + 1) % c->n_slots;
    return slot_collect(c, &c->slots[c->cur], err);
}

JfStatus bpe_counter_open(size_t threads, BpeCutFn fn, void *const *cutters, BpeWords *words,
                          uint64_t *counters, BpeCounter **out, JfError *err)
{
    *out = NULL;
    if (threads < 1 || threads > BPE_COUNT_MAX_THREADS)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "threads must be 1..%d, not %zu", BPE_COUNT_MAX_THREADS, threads);
    BpeCounter *c = jf_calloc(1, sizeof *c);
    if (!c) return nomem(err);
    *c = (BpeCounter){ .fn = fn, .words = words, .counters = counters, .threads = threads };
    c->cutters = jf_calloc(threads, sizeof *c->cutters);
    if (!c->cutters) {
        jf_free(c);
        return nomem(err);
    }
    memcpy(c->cutters, cutters, threads * sizeof *c->cutters);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->work, NULL);
    pthread_cond_init(&c->done, NULL);
    *out = c;
    if (threads == 1) return JF_OK;
    c->n_slots = threads + 2;
    c->slots = jf_calloc(c->n_slots, sizeof *c->slots);
    c->tids = jf_calloc(threads, sizeof *c->tids);
    c->workers = jf_calloc(threads, sizeof *c->workers);
    if (!c->slots || !c->tids || !c->workers) goto out_nomem;
    for (size_t i = 0; i < c->n_slots; i++) bpe_words_init(&c->slots[i].words);
    for (size_t i = 0; i < threads; i++) {
        c->workers[i] = (CountWorker){ c, i };
        if (pthread_create(&c->tids[i], NULL, worker_main, &c->workers[i]) != 0) {
            bpe_counter_close(c);
            *out = NULL;
            return jf_error_set(err, JF_EIO, NULL, JF_OFFSET_UNKNOWN, "cannot start a thread");
        }
        c->n_started++;
    }
    return JF_OK;
out_nomem:
    bpe_counter_close(c);
    *out = NULL;
    return nomem(err);
}

JfStatus bpe_counter_add(BpeCounter *c, const char *text, size_t len, JfError *err)
{
    if (c->failed != JF_OK) {
        *err = c->ferr;
        return c->failed;
    }
    if (c->threads == 1)
        return fail(c, c->fn(c->cutters[0], text, len, c->words, c->counters, err), err);
    if (!len) return JF_OK;
    CountSlot *s = &c->slots[c->cur];
    if (!BPE_GROW(s->buf, s->cap, s->len + len + 1)) return fail(c, nomem(err), err);
    memcpy(s->buf + s->len, text, len);
    s->len += len;
    if (text[len - 1] != '\n') s->buf[s->len++] = '\n';   /* lines of two calls never join */
    return s->len >= BPE_BATCH_BYTES ? submit(c, err) : JF_OK;
}

JfStatus bpe_counter_finish(BpeCounter *c, JfError *err)
{
    if (c->failed != JF_OK) {
        *err = c->ferr;
        return c->failed;
    }
    if (c->threads == 1) return JF_OK;
    JfStatus rc = c->slots[c->cur].len ? submit(c, err) : JF_OK;
    /* the others, oldest first: the ring order after the one being filled */
    for (size_t k = 1; rc == JF_OK && k < c->n_slots; k++)
        rc = slot_collect(c, &c->slots[(c->cur + k) % c->n_slots], err);
    return rc;
}

void bpe_counter_close(BpeCounter *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_broadcast(&c->work);
    pthread_mutex_unlock(&c->mu);
    for (size_t i = 0; i < c->n_started; i++) pthread_join(c->tids[i], NULL);
    for (size_t i = 0; c->slots && i < c->n_slots; i++) {
        jf_free(c->slots[i].buf);
        bpe_words_free(&c->slots[i].words);
    }
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->work);
    pthread_cond_destroy(&c->done);
    jf_free(c->slots);
    jf_free(c->tids);
    jf_free(c->workers);
    jf_free(c->cutters);
    jf_free(c);
}
