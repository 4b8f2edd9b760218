/* llama_vocab.c: new_pieces.tsv and the vocabulary resize (see llama_vocab.h). */
#include "llama_vocab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jf_alloc.h"

typedef struct {
    uint32_t id, start, count;   /* base ids are raw[start, start + count) */
} PieceRow;

/* The pieces of one file while it is read: rows in file order, base ids raw. */
typedef struct {
    PieceRow *rows;
    size_t    nrows, caprows;
    uint32_t *raw;
    size_t    nraw, capraw;
} PieceList;

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return true;
    size_t c = *cap ? *cap * 2 : 64;
    while (c < need) c *= 2;
    void *q = jf_realloc(*p, c * elem);
    if (!q) return false;
    *p = q;
    *cap = c;
    return true;
}

static bool is_header(const char *s)
{
    if (*s == '#') return true;
    return (s[0] == 'i' || s[0] == 'I') && (s[1] == 'd' || s[1] == 'D') &&
           !(s[2] >= '0' && s[2] <= '9');
}

/* Parses a decimal number at *s; @return false when none. */
static bool parse_u32(const char **s, uint32_t *out)
{
    const char *p = *s;
    if (*p < '0' || *p > '9') return false;
    uint64_t v = 0;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (uint64_t)(*p++ - '0');
        if (v > UINT32_MAX) return false;
    }
    *s = p;
    *out = (uint32_t)v;
    return true;
}

/* One line without its newline. @return 1 a piece, 0 skipped (header, blank),
 * -1 bad, -2 out of memory. */
static int line_parse(PieceList *pl, const char *s, size_t V0, size_t V1)
{
    while (*s == ' ' || *s == '\r') s++;
    if (!*s || is_header(s)) return 0;
    uint32_t id;
    if (!parse_u32(&s, &id) || *s != '\t' || id < V0 || id >= V1) return -1;
    const char *ids = strchr(s + 1, '\t');   /* the piece's text may hold spaces */
    if (!ids) return -1;
    PieceRow row = { id, (uint32_t)pl->nraw, 0 };
    for (s = ids + 1;;) {
        while (*s == ' ' || *s == ',' || *s == '\t' || *s == '\r') s++;
        if (!*s) break;
        uint32_t b;
        if (!parse_u32(&s, &b) || b >= V0) return -1;
        if (!grow((void **)&pl->raw, &pl->capraw, pl->nraw + 1, sizeof *pl->raw)) return -2;
        pl->raw[pl->nraw++] = b;
        row.count++;
    }
    if (row.count == 0) return -1;
    if (!grow((void **)&pl->rows, &pl->caprows, pl->nrows + 1, sizeof *pl->rows)) return -2;
    pl->rows[pl->nrows++] = row;
    return 1;
}

/* Rows in file order -> CSR by new id; a repeated id keeps its first line. */
static JfStatus pieces_index(LlamaNewPieces *np, const PieceList *pl, JfError *err)
{
    size_t nn = np->new_vocab - np->base_vocab, V0 = np->base_vocab;
    PieceRow **by_id = jf_calloc(nn, sizeof *by_id);
    np->split_off = jf_calloc(nn + 1, sizeof *np->split_off);
    np->split_ids = jf_malloc((pl->nraw ? pl->nraw : 1) * sizeof *np->split_ids);
    if (!by_id || !np->split_off || !np->split_ids) {
        jf_free(by_id);
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "new pieces index");
    }
    for (size_t r = 0; r < pl->nrows; r++) {
        PieceRow *row = &pl->rows[r];
        if (by_id[row->id - V0]) {
            np->bad++;   /* repeated id */
            np->lines--;
        } else {
            by_id[row->id - V0] = row;
        }
    }
    uint32_t off = 0;
    for (size_t i = 0; i < nn; i++) {
        np->split_off[i] = off;
        if (by_id[i]) {
            memcpy(np->split_ids + off, pl->raw + by_id[i]->start,
                   by_id[i]->count * sizeof *np->split_ids);
            off += by_id[i]->count;
        }
    }
    np->split_off[nn] = off;
    jf_free(by_id);
    return JF_OK;
}

JfStatus llama_new_pieces_read(const char *path, size_t base_vocab, size_t new_vocab,
                               LlamaNewPieces *np, JfError *err)
{
    memset(np, 0, sizeof *np);
    if (new_vocab <= base_vocab || new_vocab > UINT32_MAX)
        return jf_error_set(err, JF_EUSAGE, path, JF_OFFSET_UNKNOWN,
                            "new vocabulary %zu must exceed the base vocabulary %zu", new_vocab,
                            base_vocab);
    np->base_vocab = base_vocab;
    np->new_vocab = new_vocab;
    FILE *f = fopen(path, "r");
    if (!f) return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
    PieceList pl = { 0 };
    char *line = NULL;
    size_t cap = 0;
    uint64_t offset = 0;
    ssize_t n;
    JfStatus st = JF_OK;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n') line[n - 1] = '\0';
        int r = strlen(line) == (size_t)n - (line[n - 1] == '\0') ? line_parse(&pl, line, base_vocab,
                                                                               new_vocab) : -1;
        if (r == -2) {
            st = jf_error_set(err, JF_ENOMEM, path, offset, "new pieces");
            break;
        }
        if (r == -1 && np->bad++ == 0) np->first_bad_offset = offset;
        if (r == 1) np->lines++;
        offset += (uint64_t)n;
    }
    if (st == JF_OK && ferror(f))
        st = jf_error_set(err, JF_EIO, path, offset, "read: %s", strerror(errno));
    free(line);   /* getline's buffer comes from libc malloc */
    fclose(f);
    if (st == JF_OK) st = pieces_index(np, &pl, err);
    jf_free(pl.rows);
    jf_free(pl.raw);
    if (st != JF_OK) llama_new_pieces_free(np);
    return st;
}

void llama_new_pieces_free(LlamaNewPieces *np)
{
    if (!np) return;
    jf_free(np->split_off);
    jf_free(np->split_ids);
    memset(np, 0, sizeof *np);
}

/* dst (C) = float(mean of src rows ids[0..n)) summed in double in list order;
 * n == 0: the mean of all V0 rows. */
static void row_mean(float *dst, const float *src, const uint32_t *ids, size_t n, size_t V0,
                     size_t C, double *acc)
{
    memset(acc, 0, C * sizeof *acc);
    size_t k = n ? n : V0;
    for (size_t j = 0; j < k; j++) {
        const float *r = src + (size_t)(n ? ids[j] : j) * C;
        for (size_t c = 0; c < C; c++) acc[c] += (double)r[c];
    }
    for (size_t c = 0; c < C; c++) dst[c] = (float)(acc[c] / (double)k);
}

static void table_grow(float *dst, const float *src, const LlamaNewPieces *np, size_t C,
                       double *acc)
{
    size_t V0 = np->base_vocab;
    memcpy(dst, src, V0 * C * sizeof *dst);
    for (size_t i = 0; i < np->new_vocab - V0; i++) {
        uint32_t a = np->split_off[i], b = np->split_off[i + 1];
        row_mean(dst + (V0 + i) * C, src, np->split_ids + a, b - a, V0, C, acc);
    }
}

JfStatus llama_model_resize_vocab(LlamaModel *m, const LlamaNewPieces *np, JfError *err)
{
    if (m->cfg.vocab_size != np->base_vocab)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "the checkpoint's vocabulary is %zu, new_pieces.tsv extends %zu",
                            m->cfg.vocab_size, np->base_vocab);
    LlamaConfig c = m->cfg;
    c.vocab_size = np->new_vocab;
    LlamaModel big;
    JfStatus st = llama_model_init(&big, &c, err);
    if (st != JF_OK) return st;
    double *acc = jf_malloc(c.dim * sizeof *acc);
    if (!acc) {
        llama_model_free(&big);
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "vocabulary resize");
    }
    /* tensors 1..10 keep their sizes; wte (0) and wcls (11) grow */
    size_t mid = m->num_params - m->sizes[0] - m->sizes[11];
    memcpy(big.params.rms_att, m->params.rms_att, mid * sizeof(float));
    table_grow(big.params.wte, m->params.wte, np, c.dim, acc);
    table_grow(big.params.wcls, m->params.wcls, np, c.dim, acc);
    jf_free(acc);
    llama_model_free(m);
    *m = big;
    return JF_OK;
}
