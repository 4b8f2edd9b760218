/* filter_mecab.c: morphemes of a document with MeCab (libmecab, lattice API)
 * for the morpheme rules: each surface's hash and length in characters, and
 * how many morphemes are nouns (first POS field 名詞, the same in ipadic and
 * unidic). One model + tagger + lattice per FilterMecab, which belongs to one
 * Filter and so to one thread. The dictionary is always passed with -d.
 *
 * The text is analysed line by line (MeCab treats a line break as white space
 * anyway), and a line longer than FILTER_MECAB_CHUNK bytes in pieces cut at a
 * code-point boundary, so lattice memory stays bounded on a 20 MB line.
 * Does not split sentences or keep features beyond the noun flag. */
#include <mecab.h>
#include <stdio.h>
#include <string.h>

#include "filter_int.h"
#include "jf_alloc.h"

#define FILTER_MECAB_CHUNK (64 * 1024)

struct FilterMecab {
    mecab_model_t   *model;
    mecab_t         *tagger;
    mecab_lattice_t *lattice;
};

JfStatus filter_mecab_open(const char *dicdir, FilterMecab **out, JfError *err)
{
    *out = NULL;
    FilterMecab *m = jf_calloc(1, sizeof *m);
    if (!m) return JF_ENOMEM;
    char arg[1200];
    if ((size_t)snprintf(arg, sizeof arg, "-d %s", dicdir) >= sizeof arg) {
        jf_free(m);
        return jf_error_set(err, JF_ETOOBIG, dicdir, JF_OFFSET_UNKNOWN, "dictionary path too long");
    }
    m->model = mecab_model_new2(arg);
    if (m->model) m->tagger = mecab_model_new_tagger(m->model);
    if (m->tagger) m->lattice = mecab_model_new_lattice(m->model);
    if (!m->lattice) {
        const char *why = mecab_strerror(NULL);
        filter_mecab_close(m);
        return jf_error_set(err, JF_EIO, dicdir, JF_OFFSET_UNKNOWN, "MeCab: %s",
                            why && *why ? why : "cannot open the dictionary");
    }
    *out = m;
    return JF_OK;
}

void filter_mecab_close(FilterMecab *m)
{
    if (!m) return;
    if (m->lattice) mecab_lattice_destroy(m->lattice);
    if (m->tagger) mecab_destroy(m->tagger);
    if (m->model) mecab_model_destroy(m->model);
    jf_free(m);
}

static JfStatus morph_push(FilterText *t, const char *s, size_t n, bool noun)
{
    if (t->n_morphs == t->morph_cap) {
        size_t cap = t->morph_cap ? t->morph_cap * 2 : 1024;
        uint64_t *h = jf_realloc(t->morph_hash, cap * sizeof *h);
        if (!h) return JF_ENOMEM;
        t->morph_hash = h;
        uint32_t *l = jf_realloc(t->morph_len, cap * sizeof *l);
        if (!l) return JF_ENOMEM;
        t->morph_len = l;
        t->morph_cap = cap;
    }
    uint32_t chars = 0;
    for (size_t i = 0; i < n;)
        if (!filter_cp_is_space(filter_utf8_next(s, n, &i))) chars++;
    if (chars == 0) return JF_OK;   /* white space only: not a morpheme for our rules */
    t->morph_hash[t->n_morphs] = filter_hash_bytes(s, n);
    t->morph_len[t->n_morphs++] = chars;
    t->n_nouns += noun;
    return JF_OK;
}

/* Analyses s[0..n) (no line break inside) and appends its morphemes. */
static JfStatus morph_piece(FilterText *t, FilterMecab *m, const char *s, size_t n)
{
    mecab_lattice_set_sentence2(m->lattice, s, n);
    if (!mecab_parse_lattice(m->tagger, m->lattice)) return JF_OK;   /* MeCab gave up: no morphemes */
    for (const mecab_node_t *nd = mecab_lattice_get_bos_node(m->lattice); nd; nd = nd->next) {
        if (nd->stat != MECAB_NOR_NODE && nd->stat != MECAB_UNK_NODE) continue;
        bool noun = nd->feature && !strncmp(nd->feature, "名詞", strlen("名詞"));
        if (morph_push(t, nd->surface, nd->length, noun) != JF_OK) return JF_ENOMEM;
    }
    return JF_OK;
}

/* Length of the longest prefix of s[0..n) of at most max bytes ending on a code point. */
static size_t cut_utf8(const char *s, size_t n, size_t max)
{
    if (n <= max) return n;
    size_t k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    return k ? k : max;
}

JfStatus filter_text_morphs(FilterText *t, FilterMecab *m)
{
    if (t->have_morphs) return JF_OK;
    t->n_morphs = t->n_nouns = 0;
    for (size_t i = 0; i < t->len;) {
        const char *nl = memchr(t->text + i, '\n', t->len - i);
        size_t end = nl ? (size_t)(nl - t->text) : t->len;
        while (i < end) {
            size_t k = cut_utf8(t->text + i, end - i, FILTER_MECAB_CHUNK);
            if (morph_piece(t, m, t->text + i, k) != JF_OK) return JF_ENOMEM;
            i += k;
        }
        i = end + 1;
    }
    t->have_morphs = true;
    return JF_OK;
}
