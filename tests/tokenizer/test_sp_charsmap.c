/* test_sp_charsmap.c: the precompiled_charsmap reader (sp_charsmap.c) on
 * blobs built here in darts-clone's layout: longest match, SentencePiece's
 * 32-result cap, rules that delete, input cut inside a key; then damaged
 * blobs (sizes, root, child blocks outside the array, values outside the
 * strings, no NUL) refused with JF_EFORMAT, and random byte flips that
 * either are refused or search without reading outside the blob (run it
 * under -DJF_SANITIZE=ON to see a stray read). The real charsmaps of
 * spm_train's rules are checked against spm_encode in test_tokenizer_nfkc.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sp_charsmap.h"

/* ---- a tiny darts-clone builder: every node gets its own block of 256 ---- */

#define MAX_NODES 64

typedef struct {
    int child[256];   /* node index, 0 = none (the root is never a child) */
    int value;        /* offset of the replacement, -1 none */
} Node;

typedef struct {
    Node     node[MAX_NODES];
    int      n;
    char     strings[4096];
    size_t   strings_len;
    uint8_t  blob[4 + 4 * 256 * (MAX_NODES + 1) + 4096];
    size_t   len;
} Builder;

static void b_init(Builder *b)
{
    memset(b, 0, sizeof *b);
    b->n = 1;
    b->node[0].value = -1;
}

static void b_add(Builder *b, const char *key, const char *repl)
{
    int at = 0;
    for (const uint8_t *k = (const uint8_t *)key; *k; k++) {
        if (!b->node[at].child[*k]) {
            assert_true(b->n < MAX_NODES);
            b->node[b->n].value = -1;
            b->node[at].child[*k] = b->n++;
        }
        at = b->node[at].child[*k];
    }
    b->node[at].value = (int)b->strings_len;
    size_t l = strlen(repl) + 1;
    memcpy(b->strings + b->strings_len, repl, l);
    b->strings_len += l;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Node k's children live in block k + 1: child c at 256 * (k + 1) + c, its
 * leaf (value unit) at 256 * (k + 1). Unused units get a label that no byte
 * reaching them can have, as darts-clone's builder does. */
static void b_emit(Builder *b)
{
    size_t n_units = 256 * ((size_t)b->n + 1);
    uint8_t *u = b->blob + 4;
    put32(b->blob, (uint32_t)(4 * n_units));
    for (size_t i = 0; i < n_units; i++) put32(u + 4 * i, (uint32_t)((i & 0xFF) ^ 1));
    put32(u, 256u << 10);   /* root: label 0, children in block 1 */
    for (int k = 0; k < b->n; k++) {
        size_t base = 256 * ((size_t)k + 1);
        if (b->node[k].value >= 0) put32(u + 4 * base, 0x80000000u | (uint32_t)b->node[k].value);
        for (int c = 1; c < 256; c++) {
            int ch = b->node[k].child[c];
            if (!ch) continue;
            size_t idx = base + (size_t)c, cbase = 256 * ((size_t)ch + 1);
            uint32_t unit = (uint32_t)c | (b->node[ch].value >= 0 ? 1u << 8 : 0) |
                            (uint32_t)(idx ^ cbase) << 10;
            put32(u + 4 * idx, unit);
        }
    }
    memcpy(u + 4 * n_units, b->strings, b->strings_len);
    b->len = 4 + 4 * n_units + b->strings_len;
}

/* The unit index of the node reached by key (the unit whose label is its last byte). */
static size_t b_unit_of(const Builder *b, const char *key)
{
    int at = 0;
    size_t idx = 0;
    for (const uint8_t *k = (const uint8_t *)key; *k; k++) {
        idx = 256 * ((size_t)at + 1) + *k;
        at = b->node[at].child[*k];
    }
    return idx;
}

static Builder B;

static void build_sample(void)
{
    b_init(&B);
    b_add(&B, "A", "a");
    b_add(&B, "AB", "x");
    b_add(&B, "\xEF\xBC\xA1", "A");                  /* Ａ */
    b_add(&B, "\xEF\xBC\xA1\xEF\xBC\xA2", "AB");     /* ＡＢ */
    b_add(&B, "\x01", "");                           /* deleted */
    b_add(&B, "\xEF\xAC\x81", "fi");                 /* ﬁ */
    b_emit(&B);
}

static size_t match(const SpCharsmap *cm, const char *in, size_t n, const char **out,
                    size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    return sp_charsmap_match(cm, (const uint8_t *)in, n, out, out_len);
}

#define ASSERT_MATCH(cm, in, used, want)                                   \
    do {                                                                   \
        const char *o_;                                                    \
        size_t ol_;                                                        \
        assert_int_equal(match(cm, in, sizeof in - 1, &o_, &ol_), used);   \
        if (used) {                                                        \
            assert_int_equal(ol_, strlen(want));                           \
            assert_memory_equal(o_, want, ol_);                            \
        }                                                                  \
    } while (0)

/* cm-1.1: the longest rule wins; no rule, or input cut inside a key: 0. */
static void test_cm_1_1_longest_match(void **state)
{
    (void)state;
    build_sample();
    SpCharsmap cm;
    JfError err;
    assert_int_equal(sp_charsmap_open(&cm, B.blob, B.len, "t", &err), JF_OK);
    assert_int_equal(cm.n_units, 256 * (size_t)(B.n + 1));
    ASSERT_MATCH(&cm, "ABC", 2, "x");
    ASSERT_MATCH(&cm, "AC", 1, "a");
    ASSERT_MATCH(&cm, "A", 1, "a");
    ASSERT_MATCH(&cm, "\xEF\xBC\xA1\xEF\xBC\xA2z", 6, "AB");
    ASSERT_MATCH(&cm, "\xEF\xBC\xA1\xEF\xBC\xA3", 3, "A");
    ASSERT_MATCH(&cm, "\xEF\xBC\xA1\xEF\xBC", 3, "A");
    ASSERT_MATCH(&cm, "\x01z", 1, "");
    ASSERT_MATCH(&cm, "\xEF\xAC\x81", 3, "fi");
    ASSERT_MATCH(&cm, "Z", 0, "");
    ASSERT_MATCH(&cm, "\xEF\xBC", 0, "");       /* cut inside a key */
    ASSERT_MATCH(&cm, "\x00" "A", 0, "");       /* NUL reaches an unused unit */
    ASSERT_MATCH(&cm, "\xFF", 0, "");
}

/* cm-1.2: SentencePiece keeps 32 results: of 40 nested keys the 32nd wins. */
static void test_cm_1_2_result_cap(void **state)
{
    (void)state;
    b_init(&B);
    char key[41] = { 0 }, repl[8];
    for (int k = 1; k <= 40; k++) {
        key[k - 1] = 'a';
        snprintf(repl, sizeof repl, "r%d", k);
        b_add(&B, key, repl);
    }
    b_emit(&B);
    SpCharsmap cm;
    JfError err;
    assert_int_equal(sp_charsmap_open(&cm, B.blob, B.len, "t", &err), JF_OK);
    ASSERT_MATCH(&cm, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 32, "r32");
    ASSERT_MATCH(&cm, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 31, "r31");
    ASSERT_MATCH(&cm, "aab", 2, "r2");
}

/* cm-1.3: no charsmap at all: nothing applies. */
static void test_cm_1_3_empty(void **state)
{
    (void)state;
    SpCharsmap cm;
    JfError err;
    assert_int_equal(sp_charsmap_open(&cm, (const uint8_t *)"", 0, "t", &err), JF_OK);
    assert_int_equal(cm.n_units, 0);
    ASSERT_MATCH(&cm, "A", 0, "");
}

static void expect_bad(const uint8_t *blob, size_t len, const char *what)
{
    SpCharsmap cm;
    JfError err;
    jf_error_clear(&err);
    JfStatus rc = sp_charsmap_open(&cm, blob, len, "t", &err);
    if (rc != JF_EFORMAT) print_error("%s: accepted\n", what);
    assert_int_equal(rc, JF_EFORMAT);
    assert_non_null(strstr(err.msg, "precompiled_charsmap"));
    assert_int_equal(cm.n_units, 0);
}

/* cm-2.1: damaged blobs are refused with a message, never searched. */
static void test_cm_2_1_corrupted(void **state)
{
    (void)state;
    build_sample();
    static uint8_t c[sizeof B.blob];
    uint8_t *u = c + 4;
    size_t n_units = (B.len - 4 - B.strings_len) / 4;
    expect_bad(B.blob, 3, "3 bytes");
    expect_bad(B.blob, 4, "header only");
    expect_bad(B.blob, 4 + 4 * 256, "trie cut short");
#define FRESH() memcpy(c, B.blob, B.len)
    FRESH();
    put32(c, (uint32_t)B.len);
    expect_bad(c, B.len, "trie size past the blob");
    FRESH();
    put32(c, 0xFFFFFFFFu);
    expect_bad(c, B.len, "trie size 2^32-1");
    FRESH();
    put32(c, (uint32_t)(4 * n_units - 4));
    expect_bad(c, B.len, "trie size not whole units/blocks");
    FRESH();
    put32(c, 4 * 255);
    expect_bad(c, B.len, "fewer than 256 units");
    FRESH();
    put32(u, get32(u) | 5);
    expect_bad(c, B.len, "root with a label");
    FRESH();
    put32(u, 0);
    expect_bad(c, B.len, "root without children");
    FRESH();
    put32(u, get32(u) | 1u << 8);
    expect_bad(c, B.len, "root with a leaf");
    FRESH();
    put32(u, (uint32_t)(n_units + 256) << 10);
    expect_bad(c, B.len, "root's children past the array");
    /* A node whose children block lies past the array. */
    FRESH();
    size_t a = b_unit_of(&B, "A");
    put32(u + 4 * a, (get32(u + 4 * a) & 0x3FF) | (uint32_t)(n_units * 2) << 10);
    expect_bad(c, B.len, "child block past the array");
    /* The same with the scaled offset (bit 9: offset << 8). */
    FRESH();
    put32(u + 4 * a, (get32(u + 4 * a) & 0x1FF) | 1u << 9 | 0x1FFFu << 10);
    expect_bad(c, B.len, "scaled offset past the array");
    /* A leaf whose value points past the strings. */
    FRESH();
    size_t leaf = a ^ (get32(u + 4 * a) >> 10);
    put32(u + 4 * leaf, 0x80000000u | (uint32_t)B.strings_len);
    expect_bad(c, B.len, "value past the strings");
    FRESH();
    put32(u + 4 * leaf, 0xFFFFFFFFu);
    expect_bad(c, B.len, "value 2^31-1");
    /* Strings that never end. */
    FRESH();
    for (size_t i = B.len - B.strings_len; i < B.len; i++)
        if (!c[i]) c[i] = 'z';
    expect_bad(c, B.len, "no NUL in the strings");
    /* Without strings at all. */
    FRESH();
    expect_bad(c, B.len - B.strings_len, "no strings");
    /* A value at the last NUL is an empty replacement: accepted. */
    FRESH();
    put32(u + 4 * leaf, 0x80000000u | (uint32_t)(B.strings_len - 1));
    SpCharsmap cm;
    JfError err;
    assert_int_equal(sp_charsmap_open(&cm, c, B.len, "t", &err), JF_OK);
    ASSERT_MATCH(&cm, "AC", 1, "");
#undef FRESH
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* cm-2.2: random byte flips: refused, or every search stays inside the blob
 * (the replacement and its NUL within the strings). */
static void test_cm_2_2_flips(void **state)
{
    (void)state;
    build_sample();
    static const char *inputs[] = { "ABC", "A", "\xEF\xBC\xA1\xEF\xBC\xA2", "\x01\x02",
                                    "\xEF\xAC\x81", "zz", "\x00\xFF", "AAAAAAAAAAAAAAAA" };
    size_t ok = 0;
    for (int it = 0; it < 20000; it++) {
        uint8_t *c = malloc(B.len);   /* exact size: a stray read shows under ASan */
        assert_non_null(c);
        memcpy(c, B.blob, B.len);
        int flips = 1 + (int)(rnd() % 4);
        for (int f = 0; f < flips; f++) {
            /* a third of the flips in block 0 (the root) */
            size_t at = rnd() % 3 == 0 ? 4 + rnd() % 1024 : rnd() % B.len;
            c[at] ^= (uint8_t)(1u << (rnd() % 8));
        }
        SpCharsmap cm;
        JfError err;
        if (sp_charsmap_open(&cm, c, B.len, "t", &err) == JF_OK) {
            ok++;
            for (size_t k = 0; k < sizeof inputs / sizeof *inputs; k++) {
                const char *o;
                size_t ol, n = strlen(inputs[k]) ? strlen(inputs[k]) : 2;
                size_t used = sp_charsmap_match(&cm, (const uint8_t *)inputs[k], n, &o, &ol);
                assert_true(used <= n);
                if (used) {
                    assert_true(o >= cm.strings && o + ol < cm.strings + cm.strings_len);
                    assert_int_equal(o[ol], 0);
                }
            }
        } else {
            assert_int_equal(cm.n_units, 0);
        }
        free(c);
    }
    assert_true(ok > 1000);   /* flips in unused units or strings are harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cm_1_1_longest_match),
        cmocka_unit_test(test_cm_1_2_result_cap),
        cmocka_unit_test(test_cm_1_3_empty),
        cmocka_unit_test(test_cm_2_1_corrupted),
        cmocka_unit_test(test_cm_2_2_flips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
