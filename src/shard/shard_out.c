/* shard_out.c: where the shard writer's documents go: one dataset PREFIX,
 * or one per (lang, source) under a folder, each split into numbered parts
 * past max_tokens. Names keep [A-Za-z0-9.-] of lang and source and turn any
 * other byte into '-', so a name is always one path segment and splits back
 * at its first '_'. Does not encode or read; mmidx.c writes the files. */
#include "shard_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jf_alloc.h"
#include "mmidx.h"

#define OUT_MAX_GROUPS 4096

typedef struct {
    ShardOutputStats st;
    char            *base;     /* prefix before the part number and suffix */
    MmidxWriter     *w;
    unsigned         part;     /* next part number */
} OutGroup;

struct ShardOut {
    char     *out;
    bool      by_group;
    uint64_t  max_tokens, vocab;
    OutGroup *g;
    size_t    n, cap;
    size_t    last;            /* the group of the previous document */
};

static void sanitize(char *dst, size_t cap, const char *src, const char *empty)
{
    if (!*src) src = empty;
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++) {
        char c = src[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-';
        dst[i] = ok ? c : '-';
    }
    dst[i] = 0;
}

static JfStatus group_open_part(ShardOut *o, OutGroup *g, JfError *err)
{
    char name[4200];
    const char *suffix = o->by_group ? "_text_document" : "";
    if (o->max_tokens) snprintf(name, sizeof name, "%s_%03u%s", g->base, g->part, suffix);
    else snprintf(name, sizeof name, "%s%s", g->base, suffix);
    if (g->part == 0 && !(g->st.prefix = jf_strdup(name)))
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    g->part++;
    return mmidx_writer_open(name, o->vocab, &g->w, err);
}

static JfStatus group_commit(OutGroup *g, JfError *err)
{
    JfStatus rc = mmidx_writer_commit(g->w, err);
    mmidx_writer_close(g->w);
    g->w = NULL;
    if (rc == JF_OK) g->st.parts++;
    return rc;
}

/* A new group (lang and source already sanitized). */
static JfStatus group_add(ShardOut *o, const char *lang, const char *source, JfError *err)
{
    if (o->n == OUT_MAX_GROUPS)
        return jf_error_set(err, JF_ETOOBIG, o->out, JF_OFFSET_UNKNOWN,
                            "more than %d (lang, source) pairs", OUT_MAX_GROUPS);
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 8;
        OutGroup *g = jf_realloc(o->g, cap * sizeof *g);
        if (!g) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
        o->g = g;
        o->cap = cap;
    }
    OutGroup *g = &o->g[o->n];
    memset(g, 0, sizeof *g);
    snprintf(g->st.lang, sizeof g->st.lang, "%s", lang);
    snprintf(g->st.source, sizeof g->st.source, "%s", source);
    size_t len = strlen(o->out) + strlen(lang) + strlen(source) + 3;
    if (!(g->base = jf_malloc(len)))
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    if (o->by_group) snprintf(g->base, len, "%s/%s_%s", o->out, lang, source);
    else snprintf(g->base, len, "%s", o->out);
    o->n++;
    return group_open_part(o, g, err);
}

JfStatus shard_out_open(const char *out, bool by_group, uint64_t max_tokens, uint64_t vocab,
                        ShardOut **res, JfError *err)
{
    ShardOut *o = jf_calloc(1, sizeof *o);
    *res = NULL;
    if (!o || !(o->out = jf_strdup(out))) {
        jf_free(o);
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    }
    size_t len = strlen(o->out);
    while (by_group && len > 1 && o->out[len - 1] == '/') o->out[--len] = 0;
    o->by_group = by_group;
    o->max_tokens = max_tokens;
    o->vocab = vocab;
    JfStatus rc = by_group ? JF_OK : group_add(o, "", "", err);   /* even with no document */
    if (rc != JF_OK) {
        shard_out_close(o);
        return rc;
    }
    *res = o;
    return JF_OK;
}

static JfStatus group_find(ShardOut *o, const char *lang_raw, const char *source_raw, OutGroup **g,
                           JfError *err)
{
    if (!o->by_group) {
        *g = &o->g[0];
        return JF_OK;
    }
    char lang[48], source[48];
    sanitize(lang, sizeof lang, lang_raw, "und");
    sanitize(source, sizeof source, source_raw, "unknown");
    for (size_t k = 0; k <= o->n; k++) {        /* the previous document's group first */
        size_t i = k == 0 ? o->last : k - 1;
        if (i < o->n && !strcmp(o->g[i].st.lang, lang) && !strcmp(o->g[i].st.source, source)) {
            *g = &o->g[o->last = i];
            return JF_OK;
        }
    }
    JfStatus rc = group_add(o, lang, source, err);
    *g = rc == JF_OK ? &o->g[o->last = o->n - 1] : NULL;
    return rc;
}

JfStatus shard_out_add(ShardOut *o, const char *lang, const char *source, const uint32_t *ids,
                       uint64_t n, uint64_t bytes, uint64_t chars, JfError *err)
{
    OutGroup *g;
    JfStatus rc = group_find(o, lang, source, &g, err);
    if (rc == JF_OK && o->max_tokens && mmidx_writer_tokens(g->w) >= o->max_tokens) {
        rc = group_commit(g, err);
        if (rc == JF_OK) rc = group_open_part(o, g, err);
    }
    if (rc == JF_OK) rc = mmidx_writer_add(g->w, ids, (size_t)n, err);
    if (rc == JF_OK) rc = mmidx_writer_end_document(g->w, err);
    if (rc != JF_OK) return rc;
    g->st.docs++;
    g->st.tokens += n;
    g->st.bytes += bytes;
    g->st.chars += chars;
    return JF_OK;
}

static int by_prefix(const void *a, const void *b)
{
    return strcmp(((const ShardOutputStats *)a)->prefix, ((const ShardOutputStats *)b)->prefix);
}

JfStatus shard_out_commit(ShardOut *o, ShardEncodeStats *st, JfError *err)
{
    JfStatus rc = JF_OK;
    for (size_t i = 0; rc == JF_OK && i < o->n; i++) rc = group_commit(&o->g[i], err);
    if (rc != JF_OK) return rc;
    if (o->n && !(st->outputs = jf_calloc(o->n, sizeof *st->outputs)))
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    for (size_t i = 0; i < o->n; i++) {
        st->outputs[i] = o->g[i].st;
        o->g[i].st.prefix = NULL;            /* moved */
        st->datasets += st->outputs[i].parts;
    }
    st->n_outputs = o->n;
    qsort(st->outputs, st->n_outputs, sizeof *st->outputs, by_prefix);
    return JF_OK;
}

void shard_out_close(ShardOut *o)
{
    if (!o) return;
    for (size_t i = 0; i < o->n; i++) {
        mmidx_writer_close(o->g[i].w);
        jf_free(o->g[i].base);
        jf_free(o->g[i].st.prefix);
    }
    jf_free(o->g);
    jf_free(o->out);
    jf_free(o);
}
