/* bpe_count.c: unique words of a corpus counted on several threads, merged in
 * input order (see bpe_count.h for why the result does not depend on the
 * thread count), and the sampling of sentences before they are counted.
 *
 * A ring of threads + 2 batch slots: the caller's thread fills one slot, the
 * workers take the ready ones in ring order, and the caller merges a slot
 * (in ring order, so in batch order) before filling it again. The caller's
 * thread thus reads and merges while the workers cut; memory is the slots'
 * text and tables, bounded by the batch size and the thread count.
 *
 * Sampling runs on the caller's thread, before the batches: per sentence it
 * costs a line split, the filter and an 8-byte hash, far less than cutting,
 * and a sentence left out is never copied. Choosing on one thread in input
 * order is what keeps the sample (and so the model) the same for any thread
 * count, without per-thread heaps to merge. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "bpe_count.h"
#include "jf_alloc.h"

#define BPE_BATCH_BYTES ((size_t)1 << 20)
#define BPE_COMPACT_MIN ((size_t)1 << 20)   /* arena bytes below which holes stay */

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

/* A kept sentence of a shuffled sample: its key and its bytes in the arena
 * (its '\n' included). */
typedef struct {
    uint64_t key;
    size_t   off, len;
} SampleEnt;

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
    bool            added;             /* text came: sampling can no longer be set */
    /* sampling (bpe_counter_sample), all on the caller's thread */
    bool            sampling;
    BpeSampleOptions so;
    BpeSampleFilter filter;
    void           *filter_ctx;
    BpeSampleStats  ss;
    SampleEnt      *heap;  size_t n_heap, cap_heap;     /* max-heap of the kept keys */
    char           *arena; size_t arena_len, arena_cap; /* kept sentences, input order, holes */
    size_t          live;              /* bytes of the kept sentences in the arena */
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

/* Hands whole lines to the cutting (see bpe_counter_add). */
static JfStatus counter_put(BpeCounter *c, const char *text, size_t len, JfError *err)
{
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

/* ---- sampling ---- */

static void heap_down(SampleEnt *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && h[l].key > h[m].key) m = l;
        if (l + 1 < n && h[l + 1].key > h[m].key) m = l + 1;
        if (m == i) return;
        SampleEnt x = h[i];
        h[i] = h[m];
        h[m] = x;
        i = m;
    }
}

static void heap_push(BpeCounter *c, SampleEnt e)
{
    SampleEnt *h = c->heap;
    size_t i = c->n_heap++;
    for (; i && h[(i - 1) / 2].key < e.key; i = (i - 1) / 2) h[i] = h[(i - 1) / 2];
    h[i] = e;
}

/* Drops the kept sentence with the largest key (its bytes become a hole). */
static void heap_drop_max(BpeCounter *c)
{
    c->live -= c->heap[0].len;
    c->heap[0] = c->heap[--c->n_heap];
    heap_down(c->heap, c->n_heap, 0);
}

static int ent_off_cmp(const void *a, const void *b)
{
    const SampleEnt *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

/* Sorts the kept sentences into input order (arena order) and closes the
 * holes; the heap is rebuilt when it is still needed. */
static void sample_compact(BpeCounter *c, bool reheap)
{
    qsort(c->heap, c->n_heap, sizeof *c->heap, ent_off_cmp);
    size_t o = 0;
    for (size_t i = 0; i < c->n_heap; i++) {
        SampleEnt *e = &c->heap[i];
        memmove(c->arena + o, c->arena + e->off, e->len);
        e->off = o;
        o += e->len;
    }
    c->arena_len = o;
    for (size_t i = c->n_heap / 2; reheap && i-- > 0;) heap_down(c->heap, c->n_heap, i);
}

/* Shuffled: keeps s[0..n) when its key is among the smallest (bottom-k). */
static JfStatus sample_offer(BpeCounter *c, const char *s, size_t n, JfError *err)
{
    uint64_t ord = c->ss.seen++;
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(ord >> 8 * i);   /* the same on any host */
    uint64_t key = XXH3_64bits_withSeed(b, sizeof b, c->so.seed);
    uint64_t k = c->ss.limit ? c->ss.limit : UINT64_MAX;
    if (c->n_heap >= k) {
        if (key >= c->heap[0].key) return JF_OK;   /* a tie keeps the earlier sentence */
        heap_drop_max(c);
    }
    if (!BPE_GROW(c->arena, c->arena_cap, c->arena_len + n + 1) ||
        !BPE_GROW(c->heap, c->cap_heap, c->n_heap + 1))
        return nomem(err);
    memcpy(c->arena + c->arena_len, s, n);
    c->arena[c->arena_len + n] = '\n';
    heap_push(c, (SampleEnt){ key, c->arena_len, n + 1 });
    c->arena_len += n + 1;
    c->live += n + 1;
    /* The byte cap: dropping the largest keys leaves the smallest keys of
     * everything seen, so the sample stays a bottom-k one, k lowered. */
    while (c->so.max_bytes && c->live - c->n_heap > c->so.max_bytes && c->n_heap > 1) {
        heap_drop_max(c);
        c->ss.limit = c->n_heap;
    }
    c->ss.kept = c->n_heap;
    c->ss.kept_bytes = c->live - c->n_heap;
    if (c->arena_len - c->live > c->live && c->arena_len >= BPE_COMPACT_MIN)
        sample_compact(c, true);
    return JF_OK;
}

/* Not shuffled: the first sentences, cut as they come. */
static JfStatus first_offer(BpeCounter *c, const char *s, size_t n, JfError *err)
{
    c->ss.seen++;
    if (c->so.max_bytes && c->ss.kept && c->ss.kept_bytes + n > c->so.max_bytes) {
        c->ss.full = true;
        c->ss.limit = c->ss.kept;
        return JF_OK;
    }
    c->ss.kept++;
    c->ss.kept_bytes += n;
    if (c->ss.kept == c->so.size) c->ss.full = true;
    return counter_put(c, s, n, err);
}

static JfStatus sample_add(BpeCounter *c, const char *text, size_t len, JfError *err)
{
    for (size_t p = 0; p < len && !c->ss.full;) {
        const char *s = text + p, *nl = memchr(s, '\n', len - p);
        size_t n = nl ? (size_t)(nl - s) : len - p;
        p += n + 1;
        if (n && s[n - 1] == '\r') n--;
        if (!n || (c->filter && !c->filter(c->filter_ctx, s, n, c->counters))) continue;
        JfStatus rc = c->so.shuffle ? sample_offer(c, s, n, err) : first_offer(c, s, n, err);
        if (rc != JF_OK) return fail(c, rc, err);
    }
    return JF_OK;
}

/* Cuts the kept sentences of a shuffled sample, in input order, and frees
 * them. */
static JfStatus sample_flush(BpeCounter *c, JfError *err)
{
    sample_compact(c, false);
    JfStatus rc = JF_OK;
    for (size_t i = 0; rc == JF_OK && i < c->n_heap; i++)
        rc = counter_put(c, c->arena + c->heap[i].off, c->heap[i].len, err);
    jf_free(c->heap);
    jf_free(c->arena);
    c->heap = NULL;
    c->arena = NULL;
    c->n_heap = c->cap_heap = c->arena_len = c->arena_cap = c->live = 0;
    return rc;
}

JfStatus bpe_counter_sample(BpeCounter *c, const BpeSampleOptions *o, BpeSampleFilter filter,
                            void *ctx, JfError *err)
{
    if (c->added)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "sampling must be set before any text");
    if (!o->size && !o->max_bytes) return JF_OK;
    c->sampling = true;
    c->so = *o;
    c->filter = filter;
    c->filter_ctx = ctx;
    c->ss = (BpeSampleStats){ .limit = o->size };
    return JF_OK;
}

const BpeSampleStats *bpe_counter_sample_stats(const BpeCounter *c)
{
    return c->sampling ? &c->ss : NULL;
}

JfStatus bpe_counter_add(BpeCounter *c, const char *text, size_t len, JfError *err)
{
    if (c->failed != JF_OK) {
        *err = c->ferr;
        return c->failed;
    }
    c->added = true;
    return c->sampling ? sample_add(c, text, len, err) : counter_put(c, text, len, err);
}

JfStatus bpe_counter_finish(BpeCounter *c, JfError *err)
{
    if (c->failed != JF_OK) {
        *err = c->ferr;
        return c->failed;
    }
    if (c->sampling && c->so.shuffle) {
        JfStatus rc = sample_flush(c, err);
        if (rc != JF_OK) return fail(c, rc, err);
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
    jf_free(c->heap);
    jf_free(c->arena);
    jf_free(c);
}
