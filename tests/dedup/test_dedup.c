/* test_dedup.c: the dedup stage on real Japanese documents (extracted at
 * test time) plus exact copies and lightly edited copies of some of them.
 *   dedup-1: exact copies are removed as "exact", pointing at the original;
 *   dedup-2: copies with 2% of the text replaced are removed as "near";
 *   dedup-3: a small --mem forces spilled runs and several merge passes, and
 *            the fates are identical to the in-memory run;
 *   dedup-4: keep policies newest and longest; --verify 1.0 keeps near copies;
 *   dedup-5: RFC 3339 parsing for `created`;
 *   dedup-6: phase 1 checkpointed (dedup_open_dir + dedup_checkpoint), the
 *            Dedup closed and opened again: resumed with the same key gives
 *            the same fates without any add; another key or resume=false
 *            starts empty; dedup_state_remove leaves nothing;
 *   dedup-7: killed part-way through phase 1 (closed without the final
 *            checkpoint after its first mid-phase checkpoint): reopened, it
 *            says where to go on (input 1, document 61), the caller adds
 *            the rest, and the fates equal an uninterrupted run's;
 *   dedup-8: mem_planned (the most bytes held at once) stays within o.mem
 *            and counts the per-document arrays. */
#include "dedup_testdata.h"

#include <stdint.h>

#include "dedup.h"

static char g_tmp[] = "/tmp/jf-test-dedup-XXXXXX";
static TestTexts g_texts;

enum { N_ORIG = 60, N_EXACT = 10, N_NEAR = 10 };

/* Documents: 0..N_ORIG-1 originals, then exact copies of originals 0..9,
 * then near copies of originals 10..19 (a 2% block replaced by ASCII). */
static size_t make_docs(JfDoc *docs)
{
    size_t n = 0;
    char id[64], created[40];
    for (size_t i = 0; i < N_ORIG + N_EXACT + N_NEAR; i++) {
        size_t src = i < N_ORIG ? i : i < N_ORIG + N_EXACT ? i - N_ORIG : i - N_ORIG - N_EXACT + 10;
        JfDoc *d = &docs[n++];
        jf_doc_init(d);
        snprintf(id, sizeof id, "doc-%zu", i);
        jf_doc_set(&d->id, id, strlen(id));
        jf_doc_set(&d->text, g_texts.text[src], g_texts.len[src]);
        d->text_len = g_texts.len[src];
        if (i >= N_ORIG + N_EXACT) {   /* overwrite 2% in the middle with x's (keeps UTF-8 valid per byte run) */
            size_t len = d->text_len, w = len / 50, at = len / 2;
            for (size_t k = at; k < at + w; k++) d->text[k] = 'x';
            while (at + w < len && ((uint8_t)d->text[at + w] & 0xC0) == 0x80) d->text[at + w++] = 'x';
        }
        jf_doc_set(&d->source, "cc", 2);
        jf_doc_set(&d->lang, "ja", 2);
        snprintf(created, sizeof created, "2024-01-%02zuT00:00:00Z", 1 + i % 28 + (i >= N_ORIG ? 0 : 0));
        if (i >= N_ORIG) snprintf(created, sizeof created, "2025-03-01T00:00:00+09:00");
        jf_doc_set(&d->created, created, strlen(created));
    }
    return n;
}

static Dedup *run(const DedupOptions *o, JfDoc *docs, size_t n)
{
    Dedup *d = NULL;
    JfError err;
    jf_error_clear(&err);
    assert_int_equal(dedup_open(o, g_tmp, &d, &err), JF_OK);
    for (size_t i = 0; i < n; i++) assert_int_equal(dedup_add(d, &docs[i], &err), JF_OK);
    assert_int_equal(dedup_cluster(d, &err), JF_OK);
    return d;
}

static void test_exact_and_near(void **state)
{
    (void)state;
    JfDoc docs[N_ORIG + N_EXACT + N_NEAR];
    size_t n = make_docs(docs);
    DedupOptions o;
    dedup_options_init(&o);
    Dedup *d = run(&o, docs, n);
    DedupFate f;
    for (size_t i = 0; i < N_ORIG; i++) {
        dedup_fate(d, i, &f);
        assert_int_equal(f.kind, DEDUP_KEPT);
    }
    for (size_t i = N_ORIG; i < N_ORIG + N_EXACT; i++) {
        dedup_fate(d, i, &f);
        assert_int_equal(f.kind, DEDUP_REMOVED_EXACT);
        assert_int_equal(f.kept, i - N_ORIG);
        assert_int_equal(f.cluster, i - N_ORIG);
    }
    for (size_t i = N_ORIG + N_EXACT; i < n; i++) {
        dedup_fate(d, i, &f);
        assert_int_equal(f.kind, DEDUP_REMOVED_NEAR);
        assert_int_equal(f.kept, i - N_ORIG - N_EXACT + 10);
    }
    char id[64];
    JfError err;
    assert_int_equal(dedup_doc_id(d, 12, id, sizeof id, &err), JF_OK);
    assert_string_equal(id, "doc-12");
    const DedupStats *st = dedup_stats(d);
    assert_int_equal(st->docs_in, n);
    assert_int_equal(st->docs_out, N_ORIG);
    assert_int_equal(st->removed_exact, N_EXACT);
    assert_int_equal(st->removed_near, N_NEAR);
    assert_int_equal(st->clusters, N_EXACT + N_NEAR);
    assert_int_equal(st->hist[0], N_EXACT + N_NEAR);
    char *js = dedup_stats_to_json(st);
    assert_non_null(strstr(js, "\"removed_near\":10"));
    free(js);
    dedup_close(d);
    for (size_t i = 0; i < n; i++) jf_doc_free(&docs[i]);
}

static void test_spill_same(void **state)
{
    (void)state;
    JfDoc docs[N_ORIG + N_EXACT + N_NEAR];
    size_t n = make_docs(docs);
    DedupOptions o;
    dedup_options_init(&o);
    Dedup *big = run(&o, docs, n);
    o.mem = 1;   /* raised to the 64 KiB minimum: 80 docs x 41 records x 24 B = 78 KiB */
    Dedup *small = run(&o, docs, n);
    const DedupStats *sb = dedup_stats(big), *ss = dedup_stats(small);
    printf("dedup-3: in memory: %llu runs; --mem 64K: %llu runs, %llu merge passes\n",
           (unsigned long long)sb->runs_spilled, (unsigned long long)ss->runs_spilled,
           (unsigned long long)ss->merge_passes);
    assert_int_equal(sb->runs_spilled, 0);
    assert_true(ss->runs_spilled >= 2);
    for (size_t i = 0; i < n; i++) {
        DedupFate a, b;
        dedup_fate(big, i, &a);
        dedup_fate(small, i, &b);
        assert_int_equal(a.kind, b.kind);
        assert_int_equal(a.cluster, b.cluster);
        assert_int_equal(a.kept, b.kept);
    }
    dedup_close(big);
    dedup_close(small);
    for (size_t i = 0; i < n; i++) jf_doc_free(&docs[i]);
}

static void test_keep_and_verify(void **state)
{
    (void)state;
    JfDoc docs[N_ORIG + N_EXACT + N_NEAR];
    size_t n = make_docs(docs);
    DedupOptions o;
    dedup_options_init(&o);
    o.keep = DEDUP_KEEP_NEWEST;   /* the copies are newer */
    Dedup *d = run(&o, docs, n);
    DedupFate f;
    dedup_fate(d, 0, &f);
    assert_int_equal(f.kind, DEDUP_REMOVED_EXACT);
    assert_int_equal(f.kept, N_ORIG);
    dedup_fate(d, 10, &f);
    assert_int_equal(f.kind, DEDUP_REMOVED_NEAR);
    assert_int_equal(f.kept, N_ORIG + N_EXACT);
    dedup_close(d);
    o.keep = DEDUP_KEEP_LONGEST;   /* the x's are shorter than the Japanese they replace */
    d = run(&o, docs, n);
    dedup_fate(d, N_ORIG + N_EXACT, &f);
    assert_int_equal(f.kind, DEDUP_REMOVED_NEAR);
    assert_int_equal(f.kept, 10);
    dedup_fate(d, N_ORIG, &f);   /* equal length: the first stays */
    assert_int_equal(f.kept, 0);
    dedup_close(d);
    o.keep = DEDUP_KEEP_FIRST;
    o.verify = 1.0;
    d = run(&o, docs, n);
    const DedupStats *st = dedup_stats(d);
    assert_int_equal(st->removed_exact, N_EXACT);
    assert_int_equal(st->removed_near, 0);
    assert_int_equal(st->verify_rejected, st->candidates);
    assert_true(st->candidates >= N_NEAR);
    dedup_close(d);
    for (size_t i = 0; i < n; i++) jf_doc_free(&docs[i]);
}

static void test_time_parse(void **state)
{
    (void)state;
    assert_int_equal(dedup_time_parse("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(dedup_time_parse("2024-05-01"), 1714521600);
    assert_int_equal(dedup_time_parse("2024-05-01T09:00:00+09:00"), 1714521600);
    assert_int_equal(dedup_time_parse("2024-05-01T00:00:00.123Z"), 1714521600);
    assert_true(dedup_time_parse(NULL) == INT64_MIN);
    assert_true(dedup_time_parse("yesterday") == INT64_MIN);
}

static void test_checkpoint_resume(void **state)
{
    (void)state;
    JfDoc docs[N_ORIG + N_EXACT + N_NEAR];
    size_t n = make_docs(docs);
    DedupOptions o;
    dedup_options_init(&o);
    o.mh.bands = 10, o.mh.rows = 5;
    o.verify = 0.5;      /* the shingle sets are part of the checkpoint */
    o.mem = 64 * 1024;   /* and several spilled runs */
    Dedup *ref = run(&o, docs, n);
    char dir[sizeof g_tmp + 16];
    snprintf(dir, sizeof dir, "%s/ckpt", g_tmp);
    JfError err;
    jf_error_clear(&err);
    Dedup *d = NULL;
    assert_int_equal(dedup_open_dir(&o, dir, "key-1", true, &d, &err), JF_OK);
    assert_false(dedup_phase1_complete(d));
    for (size_t i = 0; i < n; i++) assert_int_equal(dedup_add(d, &docs[i], &err), JF_OK);
    assert_int_equal(dedup_checkpoint(d, &err), JF_OK);
    dedup_close(d);   /* as if killed after phase 1 */
    assert_int_equal(dedup_open_dir(&o, dir, "key-1", true, &d, &err), JF_OK);
    assert_true(dedup_phase1_complete(d));
    assert_int_equal(dedup_count(d), n);
    assert_int_equal(dedup_add(d, &docs[0], &err), JF_EUSAGE);
    assert_int_equal(dedup_cluster(d, &err), JF_OK);
    assert_int_equal(dedup_stats(d)->phase1_resumed, 1);
    assert_int_equal(dedup_stats(d)->removed_near, dedup_stats(ref)->removed_near);
    assert_int_equal(dedup_stats(d)->removed_exact, dedup_stats(ref)->removed_exact);
    for (size_t i = 0; i < n; i++) {
        DedupFate a, b;
        dedup_fate(ref, i, &a);
        dedup_fate(d, i, &b);
        assert_true(a.kind == b.kind && a.cluster == b.cluster && a.kept == b.kept);
        char ia[64], ib[64];
        assert_int_equal(dedup_doc_id(ref, i, ia, sizeof ia, &err), JF_OK);
        assert_int_equal(dedup_doc_id(d, i, ib, sizeof ib, &err), JF_OK);
        assert_string_equal(ia, ib);
    }
    dedup_close(d);
    /* dedup_cluster consumed nothing the checkpoint needs: it resumes again. */
    assert_int_equal(dedup_open_dir(&o, dir, "key-1", true, &d, &err), JF_OK);
    assert_true(dedup_phase1_complete(d));
    dedup_close(d);
    assert_int_equal(dedup_open_dir(&o, dir, "key-2", true, &d, &err), JF_OK);
    assert_false(dedup_phase1_complete(d));
    assert_int_equal(dedup_count(d), 0);
    assert_int_equal(dedup_checkpoint(d, &err), JF_OK);   /* an empty phase 1 */
    dedup_close(d);
    assert_int_equal(dedup_open_dir(&o, dir, "key-2", false, &d, &err), JF_OK);
    assert_false(dedup_phase1_complete(d));
    dedup_close(d);
    dedup_state_remove(dir);
    assert_int_equal(access(dir, F_OK), -1);
    dedup_close(ref);
    for (size_t i = 0; i < n; i++) jf_doc_free(&docs[i]);
}

static void test_checkpoint_partway(void **state)
{
    (void)state;
    JfDoc docs[N_ORIG + N_EXACT + N_NEAR];
    size_t n = make_docs(docs);
    DedupOptions o;
    dedup_options_init(&o);
    o.mem = 64 * 1024;   /* 2730 records: a checkpoint before document 66 (41 records each) */
    Dedup *ref = run(&o, docs, n);
    char dir[sizeof g_tmp + 16];
    snprintf(dir, sizeof dir, "%s/part", g_tmp);
    JfError err;
    jf_error_clear(&err);
    Dedup *d = NULL;
    /* Input 0: documents 0-4 (too few for a checkpoint at its end); input 1: the rest. */
    assert_int_equal(dedup_open_dir(&o, dir, "key-p", true, &d, &err), JF_OK);
    for (size_t i = 0; i < 76; i++) {
        assert_int_equal(dedup_input_begin(d, i < 5 ? 0 : 1, &err), JF_OK);
        assert_int_equal(dedup_add(d, &docs[i], &err), JF_OK);
    }
    assert_int_equal(dedup_checkpoints(d), 1);
    dedup_close(d);   /* killed: documents 66-75 were added after the checkpoint */
    assert_int_equal(dedup_open_dir(&o, dir, "key-p", true, &d, &err), JF_OK);
    assert_false(dedup_phase1_complete(d));
    assert_int_equal(dedup_count(d), 66);
    uint32_t input;
    uint64_t skip;
    dedup_resume_point(d, &input, &skip);
    assert_int_equal(input, 1);
    assert_int_equal(skip, 61);
    for (size_t i = 66; i < n; i++) {
        assert_int_equal(dedup_input_begin(d, 1, &err), JF_OK);
        assert_int_equal(dedup_add(d, &docs[i], &err), JF_OK);
    }
    assert_int_equal(dedup_checkpoint(d, &err), JF_OK);
    assert_int_equal(dedup_cluster(d, &err), JF_OK);
    const DedupStats *st = dedup_stats(d);
    assert_int_equal(st->resumed_docs, 66);
    assert_int_equal(st->docs_in, n);
    assert_int_equal(st->removed_exact, dedup_stats(ref)->removed_exact);
    assert_int_equal(st->removed_near, dedup_stats(ref)->removed_near);
    for (size_t i = 0; i < n; i++) {
        DedupFate a, b;
        dedup_fate(ref, i, &a);
        dedup_fate(d, i, &b);
        assert_true(a.kind == b.kind && a.cluster == b.cluster && a.kept == b.kept);
        char ia[64], ib[64];
        assert_int_equal(dedup_doc_id(d, i, ib, sizeof ib, &err), JF_OK);
        assert_int_equal(dedup_doc_id(ref, i, ia, sizeof ia, &err), JF_OK);
        assert_string_equal(ia, ib);
    }
    dedup_close(d);
    dedup_state_remove(dir);
    dedup_close(ref);
    for (size_t i = 0; i < n; i++) jf_doc_free(&docs[i]);
}

static void test_mem_planned(void **state)
{
    (void)state;
    JfDoc docs[N_ORIG + N_EXACT + N_NEAR];
    size_t n = make_docs(docs);
    DedupOptions o;
    dedup_options_init(&o);
    o.keep = DEDUP_KEEP_LONGEST;
    for (size_t mem = 64 * 1024; mem <= 4 * 1024 * 1024; mem *= 4) {
        o.mem = mem;
        Dedup *d = run(&o, docs, n);
        const DedupStats *st = dedup_stats(d);
        printf("dedup-8: --mem %zu: planned %llu bytes, %llu runs\n", mem,
               (unsigned long long)st->mem_planned, (unsigned long long)st->runs_spilled);
        assert_true(st->mem_planned <= mem);
        assert_true(st->mem_planned >= 9 * n);
        assert_int_equal(st->removed_exact, N_EXACT);
        assert_int_equal(st->removed_near, N_NEAR);
        dedup_close(d);
    }
    for (size_t i = 0; i < n; i++) jf_doc_free(&docs[i]);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(g_tmp)) return -1;
    testdata_load_ja(g_tmp, 2000, &g_texts);
    return g_texts.n >= N_ORIG ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    testdata_free(&g_texts);
    rmdir(g_tmp);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_and_near),
        cmocka_unit_test(test_spill_same),
        cmocka_unit_test(test_keep_and_verify),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_checkpoint_resume),
        cmocka_unit_test(test_checkpoint_partway),
        cmocka_unit_test(test_mem_planned),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
