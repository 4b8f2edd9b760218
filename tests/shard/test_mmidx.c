/* test_mmidx.c: the MMIDIDX writer and reader against fixtures written byte by
 * byte from the layout (uint16 and int32), round trips, atomic commit, every
 * kind of structural damage (each reported with its file and offset), random
 * byte damage (never a crash), and failed allocations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jf_alloc.h"
#include "mmidx.h"

static char g_dir[] = "/tmp/jf-test-mmidx-XXXXXX";

static void prefix_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", g_dir, name);
}

/* ---- fixture 1: uint16 (vocab 32000); documents {1, 258, 3} and {}, {31999} ---- */
static const uint8_t U16_BIN[] = { 0x01, 0x00, 0x02, 0x01, 0x03, 0x00, 0xff, 0x7c };
static const uint8_t U16_IDX[] = {
    'M', 'M', 'I', 'D', 'I', 'D', 'X', 0, 0,        /* 0: magic */
    1, 0, 0, 0, 0, 0, 0, 0,                         /* 9: version 1 */
    8,                                              /* 17: dtype uint16 */
    3, 0, 0, 0, 0, 0, 0, 0,                         /* 18: S = 3 */
    3, 0, 0, 0, 0, 0, 0, 0,                         /* 26: D = 3 */
    3, 0, 0, 0,  0, 0, 0, 0,  1, 0, 0, 0,           /* 34: lengths 3, 0, 1 */
    0, 0, 0, 0, 0, 0, 0, 0,                         /* 46: pointers 0, */
    6, 0, 0, 0, 0, 0, 0, 0,                         /* 54:   6, */
    6, 0, 0, 0, 0, 0, 0, 0,                         /* 62:   6 */
    0, 0, 0, 0, 0, 0, 0, 0,                         /* 70: documents 0, */
    1, 0, 0, 0, 0, 0, 0, 0,                         /* 78:   1, */
    3, 0, 0, 0, 0, 0, 0, 0,                         /* 86:   3 */
};

/* ---- fixture 2: int32 (vocab 100000); one document {0, 99999, 65536} ---- */
static const uint8_t I32_BIN[] = { 0, 0, 0, 0, 0x9f, 0x86, 0x01, 0, 0, 0, 0x01, 0 };
static const uint8_t I32_IDX[] = {
    'M', 'M', 'I', 'D', 'I', 'D', 'X', 0, 0,
    1, 0, 0, 0, 0, 0, 0, 0,
    4,                                              /* int32 */
    1, 0, 0, 0, 0, 0, 0, 0,                         /* S = 1 */
    2, 0, 0, 0, 0, 0, 0, 0,                         /* D = 2 */
    3, 0, 0, 0,                                     /* length 3 */
    0, 0, 0, 0, 0, 0, 0, 0,                         /* pointer 0 */
    0, 0, 0, 0, 0, 0, 0, 0,  1, 0, 0, 0, 0, 0, 0, 0, /* documents 0, 1 */
};

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void spit(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void assert_file_is(const char *prefix, const char *ext, const uint8_t *want, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", prefix, ext);
    size_t len;
    uint8_t *got = slurp(path, &len);
    assert_int_equal(len, n);
    assert_memory_equal(got, want, n);
    free(got);
}

static void write_u16_fixture(const char *prefix)
{
    MmidxWriter *w;
    JfError err;
    const uint32_t a[] = { 1, 258, 3 }, c[] = { 31999 };
    assert_int_equal(mmidx_writer_open(prefix, 32000, &w, &err), JF_OK);
    assert_int_equal(mmidx_writer_dtype(w), MMIDX_UINT16);
    assert_int_equal(mmidx_writer_add(w, a, 3, &err), JF_OK);
    assert_int_equal(mmidx_writer_end_document(w, &err), JF_OK);
    assert_int_equal(mmidx_writer_add(w, NULL, 0, &err), JF_OK);
    assert_int_equal(mmidx_writer_add(w, c, 1, &err), JF_OK);
    /* commit ends the open document */
    assert_int_equal(mmidx_writer_commit(w, &err), JF_OK);
    mmidx_writer_close(w);
}

/* mmidx-1.1: the writer produces exactly the hand-made uint16 bytes. */
static void writer_matches_uint16_fixture(void **state)
{
    (void)state;
    char prefix[256];
    prefix_in(prefix, sizeof prefix, "u16");
    write_u16_fixture(prefix);
    assert_file_is(prefix, ".bin", U16_BIN, sizeof U16_BIN);
    assert_file_is(prefix, ".idx", U16_IDX, sizeof U16_IDX);
}

/* mmidx-1.2: ... and the int32 bytes for a vocabulary of 100000. */
static void writer_matches_int32_fixture(void **state)
{
    (void)state;
    char prefix[256];
    prefix_in(prefix, sizeof prefix, "i32");
    MmidxWriter *w;
    JfError err;
    const uint32_t a[] = { 0, 99999, 65536 };
    assert_int_equal(mmidx_writer_open(prefix, 100000, &w, &err), JF_OK);
    assert_int_equal(mmidx_writer_dtype(w), MMIDX_INT32);
    assert_int_equal(mmidx_writer_add(w, a, 3, &err), JF_OK);
    assert_int_equal(mmidx_writer_end_document(w, &err), JF_OK);
    assert_int_equal(mmidx_writer_commit(w, &err), JF_OK);
    mmidx_writer_close(w);
    assert_file_is(prefix, ".bin", I32_BIN, sizeof I32_BIN);
    assert_file_is(prefix, ".idx", I32_IDX, sizeof I32_IDX);
}

/* mmidx-1.3: the reader reads the hand-made files back. */
static void reader_reads_fixtures(void **state)
{
    (void)state;
    char prefix[256], path[300];
    JfError err;
    MmidxReader *r;
    uint32_t ids[4];
    prefix_in(prefix, sizeof prefix, "hand16");
    snprintf(path, sizeof path, "%s.bin", prefix);
    spit(path, U16_BIN, sizeof U16_BIN);
    snprintf(path, sizeof path, "%s.idx", prefix);
    spit(path, U16_IDX, sizeof U16_IDX);
    assert_int_equal(mmidx_reader_open(prefix, &r, &err), JF_OK);
    assert_int_equal(mmidx_reader_dtype(r), MMIDX_UINT16);
    assert_int_equal(mmidx_reader_sequences(r), 3);
    assert_int_equal(mmidx_reader_documents(r), 2);
    assert_int_equal(mmidx_reader_tokens(r), 4);
    assert_int_equal(mmidx_reader_length(r, 1), 0);
    assert_int_equal(mmidx_reader_pointer(r, 2), 6);
    assert_int_equal(mmidx_reader_doc_index(r, 1), 1);
    assert_int_equal(mmidx_reader_read(r, 0, ids, &err), JF_OK);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 258);
    assert_int_equal(ids[2], 3);
    assert_int_equal(mmidx_reader_read(r, 2, ids, &err), JF_OK);
    assert_int_equal(ids[0], 31999);
    mmidx_reader_close(r);

    prefix_in(prefix, sizeof prefix, "hand32");
    snprintf(path, sizeof path, "%s.bin", prefix);
    spit(path, I32_BIN, sizeof I32_BIN);
    snprintf(path, sizeof path, "%s.idx", prefix);
    spit(path, I32_IDX, sizeof I32_IDX);
    assert_int_equal(mmidx_reader_open(prefix, &r, &err), JF_OK);
    assert_int_equal(mmidx_reader_dtype(r), MMIDX_INT32);
    assert_int_equal(mmidx_reader_read(r, 0, ids, &err), JF_OK);
    assert_int_equal(ids[1], 99999);
    assert_int_equal(ids[2], 65536);
    mmidx_reader_close(r);
}

/* mmidx-1.4: Megatron's dtype threshold. */
static void dtype_threshold(void **state)
{
    (void)state;
    assert_int_equal(mmidx_dtype_for_vocab(65499), MMIDX_UINT16);
    assert_int_equal(mmidx_dtype_for_vocab(65500), MMIDX_INT32);
    assert_int_equal(mmidx_dtype_size(MMIDX_UINT16), 2);
    assert_int_equal(mmidx_dtype_size(9), 0);
    assert_string_equal(mmidx_dtype_name(4), "int32");
}

static uint32_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*s >> 33);
}

static void round_trip(uint64_t vocab, int docs)
{
    char prefix[256];
    prefix_in(prefix, sizeof prefix, "rt");
    MmidxWriter *w;
    MmidxReader *r;
    JfError err;
    static uint32_t ids[3000], back[3000];
    uint64_t seed = vocab, total = 0;
    assert_int_equal(mmidx_writer_open(prefix, vocab, &w, &err), JF_OK);
    for (int d = 0; d < docs; d++) {
        size_t n = lcg(&seed) % 3000;
        for (size_t i = 0; i < n; i++) ids[i] = lcg(&seed) % (uint32_t)vocab;
        assert_int_equal(mmidx_writer_add(w, ids, n, &err), JF_OK);
        assert_int_equal(mmidx_writer_end_document(w, &err), JF_OK);
        total += n;
    }
    assert_int_equal(mmidx_writer_tokens(w), total);
    assert_int_equal(mmidx_writer_commit(w, &err), JF_OK);
    mmidx_writer_close(w);
    assert_int_equal(mmidx_reader_open(prefix, &r, &err), JF_OK);
    assert_int_equal(mmidx_reader_sequences(r), (uint64_t)docs);
    assert_int_equal(mmidx_reader_documents(r), (uint64_t)docs);
    assert_int_equal(mmidx_reader_tokens(r), total);
    assert_int_equal(mmidx_reader_bin_size(r), total * mmidx_dtype_size(mmidx_dtype_for_vocab(vocab)));
    seed = vocab;
    for (int d = 0; d < docs; d++) {
        size_t n = lcg(&seed) % 3000;
        for (size_t i = 0; i < n; i++) ids[i] = lcg(&seed) % (uint32_t)vocab;
        assert_int_equal(mmidx_reader_length(r, (uint64_t)d), n);
        assert_int_equal(mmidx_reader_doc_index(r, (uint64_t)d + 1), (uint64_t)d + 1);
        assert_int_equal(mmidx_reader_read(r, (uint64_t)d, back, &err), JF_OK);
        assert_memory_equal(ids, back, n * sizeof *ids);
    }
    mmidx_reader_close(r);
}

/* mmidx-2.1: random documents come back id for id, both dtypes. */
static void round_trip_both_dtypes(void **state)
{
    (void)state;
    round_trip(65499, 200);
    round_trip(65500, 200);
    round_trip(250000, 100);
}

/* mmidx-2.2: an empty dataset (S = 0, empty .bin) is valid. */
static void empty_dataset(void **state)
{
    (void)state;
    char prefix[256];
    prefix_in(prefix, sizeof prefix, "empty");
    MmidxWriter *w;
    MmidxReader *r;
    JfError err;
    assert_int_equal(mmidx_writer_open(prefix, 100, &w, &err), JF_OK);
    assert_int_equal(mmidx_writer_commit(w, &err), JF_OK);
    mmidx_writer_close(w);
    assert_int_equal(mmidx_reader_open(prefix, &r, &err), JF_OK);
    assert_int_equal(mmidx_reader_sequences(r), 0);
    assert_int_equal(mmidx_reader_documents(r), 0);
    assert_int_equal(mmidx_reader_idx_size(r), 42);
    mmidx_reader_close(r);
}

/* mmidx-2.3: nothing appears under the final names before commit; closing an
 * uncommitted writer leaves nothing behind; a bad id is refused alone. */
static void atomic_commit_and_bad_id(void **state)
{
    (void)state;
    char prefix[256], path[300];
    prefix_in(prefix, sizeof prefix, "atomic");
    MmidxWriter *w;
    JfError err;
    struct stat st;
    const uint32_t good[] = { 5, 6 }, bad[] = { 5, 100 };
    assert_int_equal(mmidx_writer_open(prefix, 100, &w, &err), JF_OK);
    assert_int_equal(mmidx_writer_add(w, good, 2, &err), JF_OK);
    assert_int_equal(mmidx_writer_add(w, bad, 2, &err), JF_EFORMAT);
    assert_non_null(strstr(err.msg, "token id 100"));
    assert_int_equal(mmidx_writer_sequences(w), 1);
    snprintf(path, sizeof path, "%s.bin", prefix);
    assert_int_not_equal(stat(path, &st), 0);
    snprintf(path, sizeof path, "%s.bin.tmp", prefix);
    assert_int_equal(stat(path, &st), 0);
    mmidx_writer_close(w);                         /* not committed */
    assert_int_not_equal(stat(path, &st), 0);
    snprintf(path, sizeof path, "%s.idx", prefix);
    assert_int_not_equal(stat(path, &st), 0);

    assert_int_equal(mmidx_writer_open("/nonexistent-dir/x", 100, &w, &err), JF_EIO);
    assert_null(w);
    assert_int_equal(mmidx_writer_open(prefix, 0, &w, &err), JF_EUSAGE);
}

/* Writes the uint16 fixture with one change and expects open to fail with
 * code at (ext, offset). */
typedef struct {
    const char *name;
    size_t      at;          /* byte of .idx to overwrite, or SIZE_MAX */
    uint8_t     bytes[8];
    size_t      nbytes;
    long        idx_len;     /* -1: full */
    long        bin_len;     /* -1: full; > full: padded */
    JfStatus    code;
    const char *ext;
    uint64_t    offset;
} Damage;

static const Damage DAMAGE[] = {
    { "mmidx-3.1 short header",   SIZE_MAX, {0}, 0, 20, -1, JF_ETRUNC, ".idx", 20 },
    { "mmidx-3.2 empty index",    SIZE_MAX, {0}, 0, 0, -1, JF_ETRUNC, ".idx", 0 },
    { "mmidx-3.3 bad magic",      0, {'X'}, 1, -1, -1, JF_EFORMAT, ".idx", 0 },
    { "mmidx-3.4 magic padding",  8, {1}, 1, -1, -1, JF_EFORMAT, ".idx", 0 },
    { "mmidx-3.5 version 2",      9, {2}, 1, -1, -1, JF_EFORMAT, ".idx", 9 },
    { "mmidx-3.6 dtype 0",        17, {0}, 1, -1, -1, JF_EFORMAT, ".idx", 17 },
    { "mmidx-3.7 dtype 9",        17, {9}, 1, -1, -1, JF_EFORMAT, ".idx", 17 },
    { "mmidx-3.8 huge S",         18, {0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff}, 8, -1, -1,
      JF_ETRUNC, ".idx", 18 },
    { "mmidx-3.9 D = 0",          26, {0}, 1, -1, -1, JF_EFORMAT, ".idx", 26 },
    { "mmidx-3.10 S too large",   18, {4}, 1, -1, -1, JF_ETRUNC, ".idx", 94 },
    { "mmidx-3.11 idx short 1",   SIZE_MAX, {0}, 0, 93, -1, JF_ETRUNC, ".idx", 93 },
    { "mmidx-3.12 idx trailing",  SIZE_MAX, {0}, 0, 95, -1, JF_EFORMAT, ".idx", 94 },
    { "mmidx-3.13 negative len",  38, {0xff,0xff,0xff,0xff}, 4, -1, -1, JF_EFORMAT, ".idx", 38 },
    { "mmidx-3.14 bad pointer",   54, {8}, 1, -1, -1, JF_EFORMAT, ".idx", 54 },
    { "mmidx-3.15 first pointer", 46, {2}, 1, -1, -1, JF_EFORMAT, ".idx", 46 },
    { "mmidx-3.16 bin truncated", SIZE_MAX, {0}, 0, -1, 7, JF_ETRUNC, ".bin", 7 },
    { "mmidx-3.17 bin empty",     SIZE_MAX, {0}, 0, -1, 0, JF_ETRUNC, ".bin", 0 },
    { "mmidx-3.18 bin trailing",  SIZE_MAX, {0}, 0, -1, 9, JF_EFORMAT, ".bin", 8 },
    { "mmidx-3.19 doc[0] != 0",   70, {1}, 1, -1, -1, JF_EFORMAT, ".idx", 70 },
    { "mmidx-3.20 doc > S",       78, {4}, 1, -1, -1, JF_EFORMAT, ".idx", 78 },
    { "mmidx-3.21 doc[-1] != S",  86, {2}, 1, -1, -1, JF_EFORMAT, ".idx", 86 },
    { "mmidx-3.22 doc decreases", 78, {3}, 1, -1, -1, JF_OK, ".idx", 0 },   /* [0,3,3] is valid */
    { "mmidx-3.23 length grows",  38, {1}, 1, -1, -1, JF_EFORMAT, ".idx", 62 },
};

static void write_damaged(const char *prefix, const Damage *d)
{
    uint8_t idx[sizeof U16_IDX + 8] = { 0 }, bin[sizeof U16_BIN + 8] = { 0 };
    memcpy(idx, U16_IDX, sizeof U16_IDX);
    memcpy(bin, U16_BIN, sizeof U16_BIN);
    if (d->at != SIZE_MAX) memcpy(idx + d->at, d->bytes, d->nbytes);
    char path[300];
    snprintf(path, sizeof path, "%s.idx", prefix);
    spit(path, idx, d->idx_len < 0 ? sizeof U16_IDX : (size_t)d->idx_len);
    snprintf(path, sizeof path, "%s.bin", prefix);
    spit(path, bin, d->bin_len < 0 ? sizeof U16_BIN : (size_t)d->bin_len);
}

/* mmidx-3.*: each damage is found, with the right file and offset. */
static void every_kind_of_damage(void **state)
{
    (void)state;
    char prefix[256];
    prefix_in(prefix, sizeof prefix, "dmg");
    for (size_t i = 0; i < sizeof DAMAGE / sizeof DAMAGE[0]; i++) {
        const Damage *d = &DAMAGE[i];
        write_damaged(prefix, d);
        MmidxReader *r = NULL;
        JfError err;
        jf_error_clear(&err);
        JfStatus rc = mmidx_reader_open(prefix, &r, &err);
        if (rc != d->code) fail_msg("%s: status %d, expected %d (%s)", d->name, rc, d->code, err.msg);
        if (rc == JF_OK) {
            mmidx_reader_close(r);
            continue;
        }
        assert_null(r);
        size_t pl = strlen(err.path), el = strlen(d->ext);
        if (pl < el || strcmp(err.path + pl - el, d->ext) != 0)
            fail_msg("%s: path %s, expected *%s", d->name, err.path, d->ext);
        if (err.offset != d->offset)
            fail_msg("%s: offset %llu, expected %llu (%s)", d->name,
                     (unsigned long long)err.offset, (unsigned long long)d->offset, err.msg);
    }
}

/* mmidx-3.30: a missing file is an I/O error naming it. */
static void missing_files(void **state)
{
    (void)state;
    char prefix[256], path[300];
    prefix_in(prefix, sizeof prefix, "missing");
    MmidxReader *r;
    JfError err;
    assert_int_equal(mmidx_reader_open(prefix, &r, &err), JF_EIO);
    assert_non_null(strstr(err.path, "missing.idx"));
    snprintf(path, sizeof path, "%s.idx", prefix);
    spit(path, U16_IDX, sizeof U16_IDX);
    assert_int_equal(mmidx_reader_open(prefix, &r, &err), JF_EIO);
    assert_non_null(strstr(err.path, "missing.bin"));
}

/* mmidx-4.1: random byte damage never crashes; what opens reads fully. */
static void random_damage_never_crashes(void **state)
{
    (void)state;
    char prefix[256], path[300];
    prefix_in(prefix, sizeof prefix, "fuzz");
    uint64_t seed = 42;
    size_t opened = 0;
    for (int iter = 0; iter < 3000; iter++) {
        uint8_t idx[sizeof U16_IDX], bin[sizeof U16_BIN];
        memcpy(idx, U16_IDX, sizeof idx);
        memcpy(bin, U16_BIN, sizeof bin);
        int flips = 1 + (int)(lcg(&seed) % 3);
        for (int k = 0; k < flips; k++) idx[lcg(&seed) % sizeof idx] = (uint8_t)lcg(&seed);
        size_t ilen = lcg(&seed) % 8 ? sizeof idx : lcg(&seed) % sizeof idx;
        size_t blen = lcg(&seed) % 8 ? sizeof bin : lcg(&seed) % sizeof bin;
        snprintf(path, sizeof path, "%s.idx", prefix);
        spit(path, idx, ilen);
        snprintf(path, sizeof path, "%s.bin", prefix);
        spit(path, bin, blen);
        MmidxReader *r;
        JfError err;
        if (mmidx_reader_open(prefix, &r, &err) != JF_OK) {
            assert_true(err.code == JF_EFORMAT || err.code == JF_ETRUNC);
            assert_true(err.offset != JF_OFFSET_UNKNOWN);
            continue;
        }
        opened++;
        uint32_t ids[8];
        for (uint64_t i = 0; i < mmidx_reader_sequences(r); i++) {
            assert_true(mmidx_reader_length(r, i) <= 8);
            (void)mmidx_reader_read(r, i, ids, &err);
        }
        mmidx_reader_close(r);
    }
    assert_true(opened > 0);     /* flips in the data of lengths... some stay valid */
}

/* mmidx-5.1: every failed allocation in open/add/commit/read is reported, leaks nothing. */
static void out_of_memory_everywhere(void **state)
{
    (void)state;
    char prefix[256];
    prefix_in(prefix, sizeof prefix, "oom");
    size_t base = jf_alloc_live_bytes();
    for (uint64_t n = 1; n < 200; n++) {
        MmidxWriter *w = NULL;
        JfError err;
        const uint32_t a[] = { 1, 2, 3 };
        jf_alloc_fail_at(n);
        JfStatus rc = mmidx_writer_open(prefix, 32000, &w, &err);
        for (int d = 0; rc == JF_OK && d < 40; d++) {
            rc = mmidx_writer_add(w, a, 3, &err);
            if (rc == JF_OK) rc = mmidx_writer_end_document(w, &err);
        }
        if (rc == JF_OK) rc = mmidx_writer_commit(w, &err);
        mmidx_writer_close(w);
        MmidxReader *r = NULL;
        if (rc == JF_OK) rc = mmidx_reader_open(prefix, &r, &err);
        mmidx_reader_close(r);
        jf_alloc_fail_at(0);
        assert_int_equal(jf_alloc_live_bytes(), base);
        if (rc == JF_OK) return;
        assert_int_equal(rc, JF_ENOMEM);
    }
    fail_msg("never succeeded");
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writer_matches_uint16_fixture),
        cmocka_unit_test(writer_matches_int32_fixture),
        cmocka_unit_test(reader_reads_fixtures),
        cmocka_unit_test(dtype_threshold),
        cmocka_unit_test(round_trip_both_dtypes),
        cmocka_unit_test(empty_dataset),
        cmocka_unit_test(atomic_commit_and_bad_id),
        cmocka_unit_test(every_kind_of_damage),
        cmocka_unit_test(missing_files),
        cmocka_unit_test(random_damage_never_crashes),
        cmocka_unit_test(out_of_memory_everywhere),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
