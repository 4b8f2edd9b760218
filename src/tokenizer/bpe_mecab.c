/* bpe_mecab.c: morpheme starts of a line by MeCab, for BPE pre-tokenization
 * (see bpe_mecab.h). Opened as src/filter/filter_mecab.c opens MeCab: a
 * model from "-d DICDIR", then a tagger and a lattice from it. */
#include <mecab.h>
#include <stdio.h>
#include <string.h>

#include "bpe_mecab.h"
#include "bpe_words.h"
#include "jf_alloc.h"

#define BPE_MECAB_CHUNK (64 * 1024)

struct BpeMecab {
    mecab_model_t   *model;
    mecab_t         *tagger;
    mecab_lattice_t *lattice;
    uint32_t        *cuts;
    size_t           n_cuts, cap_cuts;
    char            *text;          /* the piece being analysed, NUL-terminated */
    size_t           cap_text;
};

JfStatus bpe_mecab_open(const char *dicdir, BpeMecab **out, JfError *err)
{
    *out = NULL;
    if (!dicdir) dicdir = BPE_MECAB_DICDIR;
    char arg[1200];
    if ((size_t)snprintf(arg, sizeof arg, "-d %s", dicdir) >= sizeof arg)
        return jf_error_set(err, JF_ETOOBIG, dicdir, JF_OFFSET_UNKNOWN, "dictionary path too long");
    BpeMecab *m = jf_calloc(1, sizeof *m);
    if (!m) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    m->model = mecab_model_new2(arg);
    if (m->model) m->tagger = mecab_model_new_tagger(m->model);
    if (m->tagger) m->lattice = mecab_model_new_lattice(m->model);
    if (!m->lattice) {
        const char *why = mecab_strerror(NULL);
        bpe_mecab_close(m);
        return jf_error_set(err, JF_EIO, dicdir, JF_OFFSET_UNKNOWN, "MeCab: %s",
                            why && *why ? why : "cannot open the dictionary");
    }
    *out = m;
    return JF_OK;
}

void bpe_mecab_close(BpeMecab *m)
{
    if (!m) return;
    if (m->lattice) mecab_lattice_destroy(m->lattice);
    if (m->tagger) mecab_destroy(m->tagger);
    if (m->model) mecab_model_destroy(m->model);
    jf_free(m->cuts);
    jf_free(m->text);
    jf_free(m);
}

static bool cut_put(BpeMecab *m, size_t off)
{
    if (off == 0 || (m->n_cuts && m->cuts[m->n_cuts - 1] >= off)) return true;
    if (!BPE_GROW(m->cuts, m->cap_cuts, m->n_cuts + 1)) return false;
    m->cuts[m->n_cuts++] = (uint32_t)off;
    return true;
}

/* Morpheme starts of s[base..base+n) (no line break inside). MeCab is given
 * a NUL-terminated copy: its dictionary lookup runs strlen from the last word
 * when only white space is left, whatever length it was told (over the rest
 * of a 1 MiB batch of lines, or past its end). */
static bool piece_cuts(BpeMecab *m, const char *s, size_t base, size_t n)
{
    if (!cut_put(m, base)) return false;
    if (!BPE_GROW(m->text, m->cap_text, n + 1)) return false;
    memcpy(m->text, s + base, n);
    m->text[n] = 0;
    mecab_lattice_set_sentence2(m->lattice, m->text, n);
    if (!mecab_parse_lattice(m->tagger, m->lattice)) return true;   /* MeCab gave up: no cuts */
    const char *text = mecab_lattice_get_sentence(m->lattice);
    for (const mecab_node_t *nd = mecab_lattice_get_bos_node(m->lattice); nd; nd = nd->next) {
        if (nd->stat != MECAB_NOR_NODE && nd->stat != MECAB_UNK_NODE) continue;
        /* rlength - length: the white space MeCab skipped before the morpheme */
        size_t start = (size_t)(nd->surface - text) - (size_t)(nd->rlength - nd->length);
        if (start <= n && !cut_put(m, base + start)) return false;
    }
    return true;
}

/* Length of the longest prefix of s[0..n) of at most max bytes that ends
 * before a character start (a lead byte), so no character is cut. */
static size_t cut_utf8(const char *s, size_t n, size_t max)
{
    if (n <= max) return n;
    size_t k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    return k ? k : max;
}

JfStatus bpe_mecab_cuts(BpeMecab *m, const char *s, size_t n, const uint32_t **cuts,
                        size_t *n_cuts, JfError *err)
{
    m->n_cuts = 0;
    *cuts = NULL;
    *n_cuts = 0;
    if (n > UINT32_MAX)
        return jf_error_set(err, JF_ETOOBIG, NULL, JF_OFFSET_UNKNOWN, "line over 4 GiB");
    for (size_t i = 0; i < n;) {
        size_t k = cut_utf8(s + i, n - i, BPE_MECAB_CHUNK);
        if (!piece_cuts(m, s, i, k))
            return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
        i += k;
    }
    *cuts = m->cuts;
    *n_cuts = m->n_cuts;
    return JF_OK;
}
