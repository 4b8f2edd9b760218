/* hf_export.c: tokenizer.json and tokenizer_config.json for a SentencePiece
 * BPE model (see hf_export.h). JSON is built with jansson, which keeps the
 * insertion order of object keys, so the files read like Hugging Face's own.
 *
 * USER_DEFINED pieces. SentencePiece matches them twice: on the raw text
 * (Normalizer::NormalizePrefix copies a match unnormalized) and again, longest
 * first at each point, on the normalized text after the dummy prefix and
 * U+2581 (bpe_model.cc's PrefixMatcher: a match is one frozen symbol, so
 * merges never cross it, inside a word too). Hugging Face's added tokens
 * cannot give that: they are cut out of the text before the normalizer
 * (normalized false: the Prepend then runs on each piece between them, one
 * U+2581 too many after each) or matched after it with their own content
 * normalized (normalized true: "<mask>" becomes "\u2581<mask>", found only at
 * a word's start), and either way a line that is exactly one user piece gives
 * that piece alone where SentencePiece gives U+2581 then the piece. So they
 * are not added tokens here: the normalizer runs over the whole line as for
 * other models, a Split pre-tokenizer isolates every user piece in the
 * normalized text (a regular expression of them, longest first: leftmost,
 * then longest, as SentencePiece's matcher), and the BPE model's
 * ignore_merges gives an isolated piece its id (the merges never build a user
 * piece). That is SentencePiece's result when (checked here, else the model
 * is refused with the reason) the normalization leaves each user piece as it
 * is (the raw-text match only skips normalization), and every piece that a
 * stretch of text between user pieces could be equal to is what the merges
 * make of its own text (ignore_merges looks such a stretch up whole): no
 * NORMAL piece the merges never produce, no UNUSED piece of several
 * characters. A user piece with a space is never matched by SentencePiece
 * (the normalized text has none) and is left out of the expression. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bpe_encode.h"
#include "hf_export.h"
#include "jf_alloc.h"
#include "jf_buf.h"
#include "sp_model_int.h"

typedef struct {
    float    score;
    uint32_t piece, left, right;
} HfMerge;

static int merge_cmp(const void *a, const void *b)
{
    const HfMerge *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    if (x->piece != y->piece) return x->piece < y->piece ? -1 : 1;
    if (x->left != y->left) return x->left < y->left ? -1 : 1;
    return x->right < y->right ? -1 : x->right > y->right;
}

/* A part of a merge SentencePiece can make: a piece BPE symbols can be. User
 * pieces are frozen symbols; control and byte pieces are never looked up. */
static bool merge_part_ok(const SpModel *m, int32_t id)
{
    return id >= 0 && sp_piece_is_mergeable(m->pieces[id].type) &&
           m->pieces[id].type != SP_PIECE_USER_DEFINED;
}

/* Every split of a NORMAL piece into two pieces, sorted (hf_export.h). No
 * merge makes a USER_DEFINED piece (SentencePiece never merges into one: its
 * text is always matched first and frozen) or an UNUSED one (hf_export_write
 * has checked that SentencePiece's merges never reach one). */
static JfStatus merges_derive(const SpModel *m, HfMerge **out, size_t *n, JfError *err)
{
    size_t cap = 0, k = 0;
    for (size_t id = 0; id < m->n; id++)
        if (m->pieces[id].type == SP_PIECE_NORMAL) cap += m->pieces[id].len;
    HfMerge *v = jf_malloc((cap ? cap : 1) * sizeof *v);
    if (!v) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    for (size_t id = 0; id < m->n; id++) {
        const SpPiece *p = &m->pieces[id];
        if (p->type != SP_PIECE_NORMAL) continue;
        const uint8_t *t = (const uint8_t *)p->text;
        for (size_t i = sp_utf8_valid_len(t, p->len); i < p->len;
             i += sp_utf8_valid_len(t + i, p->len - i)) {
            int32_t l = sp_model_find(m, p->text, i), r = sp_model_find(m, p->text + i, p->len - i);
            if (merge_part_ok(m, l) && merge_part_ok(m, r))
                v[k++] = (HfMerge){ p->score, (uint32_t)id, (uint32_t)l, (uint32_t)r };
        }
    }
    qsort(v, k, sizeof *v, merge_cmp);
    *out = v;
    *n = k;
    return JF_OK;
}

/* What the export writes beyond the vocabulary and merges. */
typedef struct {
    char *user_regex;   /* jf_malloc'ed: the user pieces SentencePiece can match, as a
                         * regular expression (longest first); NULL when none */
} HfPlan;

/* Appends t[0..n) with each space as U+2581 (when esc) to b. */
static JfStatus put_escaped(JfBuf *b, const char *t, size_t n, bool esc)
{
    JfStatus rc = JF_OK;
    for (size_t i = 0; i < n && rc == JF_OK; i++)
        rc = esc && t[i] == ' ' ? jf_buf_append(b, SP_SPACE, SP_SPACE_LEN)
                                : jf_buf_append_byte(b, (uint8_t)t[i]);
    return rc;
}

/* *same: whether the model's charsmap (SentencePiece's normalization of t
 * alone, without user pieces) leaves t[0..n) as it is; with esc, a space and
 * U+2581 count as the same (both end as U+2581 when extra whitespace is kept:
 * nmt_nfkc makes U+2581 a space). */
static JfStatus charsmap_keeps(const SpModel *m, const char *t, size_t n, bool esc, bool *same)
{
    const uint8_t *u = (const uint8_t *)t;
    JfBuf a, b;
    jf_buf_init(&a, 0);
    jf_buf_init(&b, 0);
    JfStatus rc = put_escaped(&a, t, n, esc);
    for (size_t i = 0; i < n && rc == JF_OK;) {
        const char *out;
        size_t out_len, used = m->cmap.n_units ? sp_charsmap_match(&m->cmap, u + i, n - i, &out,
                                                                   &out_len) : 0;
        if (!used) {   /* the character itself (pieces are valid UTF-8) */
            out = t + i;
            out_len = used = sp_utf8_valid_len(u + i, n - i);
            if (!used) break;
        }
        rc = put_escaped(&b, out, out_len, esc);
        i += used;
    }
    *same = a.len == b.len && (!a.len || !memcmp(a.data, b.data, a.len));
    jf_buf_free(&a);
    jf_buf_free(&b);
    return rc;
}

static int user_len_cmp(const void *a, const void *b)
{
    const SpPiece *x = *(const SpPiece *const *)a, *y = *(const SpPiece *const *)b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* The pieces as one alternation, longest first (so that at each point the
 * longest matches, as in SentencePiece), with the characters that are syntax
 * in Oniguruma (Hugging Face's Rust library) or in JavaScript (tokenizers.js)
 * escaped. @return a jf_malloc'ed string, NULL when out of memory. */
static char *user_regex(const SpPiece **v, size_t n)
{
    qsort(v, n, sizeof *v, user_len_cmp);
    JfBuf b;
    jf_buf_init(&b, 0);
    JfStatus rc = JF_OK;
    for (size_t i = 0; i < n && rc == JF_OK; i++) {
        if (i) rc = jf_buf_append_byte(&b, '|');
        for (size_t k = 0; k < v[i]->len && rc == JF_OK; k++) {
            char c = v[i]->text[k];
            if (c && strchr("\\^$.|?*+()[]{}", c)) rc = jf_buf_append_byte(&b, '\\');
            if (rc == JF_OK) rc = jf_buf_append_byte(&b, (uint8_t)c);
        }
    }
    char *out = rc == JF_OK ? jf_malloc(b.len + 1) : NULL;
    if (out) {
        memcpy(out, b.data, b.len);
        out[b.len] = 0;
    }
    jf_buf_free(&b);
    return out;
}

static JfStatus refuse(JfError *err, const SpPiece *p, const char *why)
{
    return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "%s piece '%.80s' %s",
                        p->type == SP_PIECE_USER_DEFINED ? "user-defined" :
                        p->type == SP_PIECE_UNUSED ? "unused" : "normal", p->text, why);
}

/* Decides how user and unused pieces are written, or refuses the model with
 * the reason (see the top of this file). */
static JfStatus plan_make(const SpModel *m, HfPlan *plan, JfError *err)
{
    const SpModelInfo *in = &m->info;
    plan->user_regex = NULL;
    if (!in->escape_whitespaces || in->treat_whitespace_as_suffix)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "unescaped or suffix whitespace is not exported yet");
    BpeScratch *s = NULL;
    JfStatus rc = bpe_scratch_open(&s, err);
    if (rc != JF_OK) return rc;
    /* users, then the control and unknown pieces (the added tokens) from the end */
    const SpPiece **users = jf_malloc((m->n ? m->n : 1) * sizeof *users), **special = NULL;
    size_t n_users = 0, n_special = 0;
    if (!users) {
        bpe_scratch_close(s);
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    }
    special = users + m->n;
    for (size_t id = 0; id < m->n; id++)
        if (m->pieces[id].type == SP_PIECE_CONTROL || m->pieces[id].type == SP_PIECE_UNKNOWN)
            *--special = &m->pieces[id];
    n_special = (size_t)(users + m->n - special);
    for (size_t id = 0; id < m->n && rc == JF_OK; id++) {
        const SpPiece *p = &m->pieces[id];
        if (p->type == SP_PIECE_USER_DEFINED) {
            bool same = true;
            /* Where extra whitespace is removed, a space the rules make differs:
             * SentencePiece keeps the piece's bytes, the regular expressions
             * would drop or join that space. */
            if (m->cmap.n_units &&
                (rc = charsmap_keeps(m, p->text, p->len, !in->remove_extra_whitespaces,
                                     &same)) != JF_OK)
                break;
            if (!same) {
                rc = refuse(err, p, "is changed by the model's normalization rules: "
                            "SentencePiece matches it in the raw text, Hugging Face's tokenizer "
                            "can only match it after normalizing");
                break;
            }
            if (in->remove_extra_whitespaces && strstr(p->text, "  ")) {
                rc = refuse(err, p, "holds a run of spaces, which SentencePiece keeps in it and "
                            "Hugging Face's normalizer would make one space");
                break;
            }
            for (size_t c = 0; c < n_special; c++)
                if (strstr(p->text, special[c]->text)) {
                    rc = jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                                      "user-defined piece '%.80s' holds the control piece "
                                      "'%.40s', which Hugging Face's tokenizer cuts out of the "
                                      "text first", p->text, special[c]->text);
                    break;
                }
            if (!strchr(p->text, ' ')) users[n_users++] = p;
        } else if (p->type == SP_PIECE_UNUSED &&
                   sp_utf8_valid_len((const uint8_t *)p->text, p->len) < p->len) {
            int32_t got;
            if ((rc = bpe_reduce(m, s, p->text, p->len, &got, err)) != JF_OK) break;
            if (got == (int32_t)id)
                rc = refuse(err, p, "is reached by merges: SentencePiece splits it back after "
                            "merging, which Hugging Face's BPE cannot do");
        }
    }
    /* With user pieces, ignore_merges looks every stretch of text between them
     * up whole: it must never give what SentencePiece's merges would not. */
    for (size_t id = 0; n_users && id < m->n && rc == JF_OK; id++) {
        const SpPiece *p = &m->pieces[id];
        if (p->type == SP_PIECE_UNUSED &&
            sp_utf8_valid_len((const uint8_t *)p->text, p->len) < p->len) {
            rc = refuse(err, p, "with user-defined pieces: Hugging Face's ignore_merges (which "
                        "the user pieces need) would give it for a stretch of text that is "
                        "exactly its text");
        } else if (p->type == SP_PIECE_NORMAL) {
            int32_t got;
            if ((rc = bpe_reduce(m, s, p->text, p->len, &got, err)) != JF_OK) break;
            if (got != (int32_t)id)
                rc = refuse(err, p, "is never produced by SentencePiece's merges of its own "
                            "text; with user-defined pieces Hugging Face's ignore_merges would "
                            "give it for a stretch of text that is exactly its text");
        }
    }
    if (rc == JF_OK && n_users && !(plan->user_regex = user_regex(users, n_users)))
        rc = jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    jf_free(users);
    bpe_scratch_close(s);
    return rc;
}

static json_t *special_token(uint32_t id, const char *content)
{
    return json_pack("{s:i, s:s, s:b, s:b, s:b, s:b, s:b}", "id", (json_int_t)id, "content",
                     content, "single_word", 0, "lstrip", 0, "rstrip", 0, "normalized", 0,
                     "special", 1);
}

/* The id of the piece named by trainer_spec's id field, or -1. */
static int32_t meta_id(const SpModel *m, int32_t id)
{
    return id >= 0 && (size_t)id < m->n ? id : -1;
}

/* Standard base64 with padding, as Hugging Face stores a Precompiled charsmap.
 * @return a jf_malloc'ed NUL-terminated string, NULL when out of memory. */
static char *base64(const uint8_t *p, size_t n)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = jf_malloc((n + 2) / 3 * 4 + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        *o++ = A[v >> 18];
        *o++ = A[v >> 12 & 63];
        *o++ = i + 1 < n ? A[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? A[v & 63] : '=';
    }
    *o = 0;
    return out;
}

static json_t *replace_json(const char *kind, const char *pattern, const char *content)
{
    return json_pack("{s:s, s:{s:s}, s:s}", "type", "Replace", "pattern", kind, pattern,
                     "content", content);
}

/* SentencePiece's Normalizer::Normalize as Hugging Face normalizers, in its
 * order, over the whole text (no pre-tokenizer: merges run over the whole
 * line, as in SentencePiece): the charsmap rules (Precompiled, as
 * transformers' SpmConverter writes it); with remove_extra_whitespaces,
 * leading spaces dropped and runs of spaces made one; the dummy prefix;
 * spaces to U+2581; with remove_extra_whitespaces, trailing U+2581 dropped
 * (SentencePiece strips them after escaping: also a U+2581 of the text, and
 * the dummy prefix of a text that is all spaces). SpmConverter's own Strip +
 * Metaspace differ on a line that starts or ends with U+2581 or ends in
 * non-ASCII white space; these regular expressions do not. */
static json_t *normalizer_json(const SpModel *m)
{
    const SpModelInfo *in = &m->info;
    json_t *list = json_array();
    if (m->cmap.n_units) {
        char *b64 = base64(m->charsmap, m->charsmap_len);
        if (!b64) {
            json_decref(list);
            return NULL;
        }
        json_array_append_new(list, json_pack("{s:s, s:s}", "type", "Precompiled",
                                              "precompiled_charsmap", b64));
        jf_free(b64);
    }
    if (in->remove_extra_whitespaces) {
        json_array_append_new(list, replace_json("Regex", "^ +", ""));
        json_array_append_new(list, replace_json("Regex", " {2,}", " "));
    }
    if (in->add_dummy_prefix)
        json_array_append_new(list, json_pack("{s:s, s:s}", "type", "Prepend", "prepend", SP_SPACE));
    json_array_append_new(list, replace_json("String", " ", SP_SPACE));
    if (in->remove_extra_whitespaces)
        json_array_append_new(list, replace_json("Regex", SP_SPACE "+$", ""));
    return json_pack("{s:s, s:o}", "type", "Sequence", "normalizers", list);
}

static json_t *post_processor_json(const SpModel *m)
{
    int32_t bos = meta_id(m, m->info.bos_id);
    if (bos < 0) return json_null();
    const char *b = m->pieces[bos].text;
    json_t *single = json_pack("[{s:{s:s, s:i}}, {s:{s:s, s:i}}]", "SpecialToken", "id", b,
                               "type_id", 0, "Sequence", "id", "A", "type_id", 0);
    json_t *pair = json_pack("[{s:{s:s, s:i}}, {s:{s:s, s:i}}, {s:{s:s, s:i}}, {s:{s:s, s:i}}]",
                             "SpecialToken", "id", b, "type_id", 0, "Sequence", "id", "A",
                             "type_id", 0, "SpecialToken", "id", b, "type_id", 1, "Sequence",
                             "id", "B", "type_id", 1);
    json_t *special = json_object();
    json_object_set_new(special, b, json_pack("{s:s, s:[i], s:[s]}", "id", b, "ids",
                                              (json_int_t)bos, "tokens", b));
    return json_pack("{s:s, s:o, s:o, s:o}", "type", "TemplateProcessing", "single", single,
                     "pair", pair, "special_tokens", special);
}

static json_t *decoder_json(const SpModelInfo *in)
{
    json_t *list = json_array();
    json_array_append_new(list, json_pack("{s:s, s:{s:s}, s:s}", "type", "Replace", "pattern",
                                          "String", SP_SPACE, "content", " "));
    if (in->byte_fallback) json_array_append_new(list, json_pack("{s:s}", "type", "ByteFallback"));
    json_array_append_new(list, json_pack("{s:s}", "type", "Fuse"));
    if (in->add_dummy_prefix)
        json_array_append_new(list, json_pack("{s:s, s:s, s:i, s:i}", "type", "Strip", "content",
                                              " ", "start", 1, "stop", 0));
    return json_pack("{s:s, s:o}", "type", "Sequence", "decoders", list);
}

static JfStatus tokenizer_json(const SpModel *m, const HfPlan *plan, const HfMerge *mg,
                               size_t n_mg, json_t **out, JfError *err)
{
    json_t *added = json_array(), *vocab = json_object(), *merges = json_array();
    for (size_t id = 0; id < m->n; id++) {
        const SpPiece *p = &m->pieces[id];
        json_object_set_new(vocab, p->text, json_integer((json_int_t)id));
        if (p->type == SP_PIECE_UNKNOWN || p->type == SP_PIECE_CONTROL)
            json_array_append_new(added, special_token((uint32_t)id, p->text));
    }
    char *tmp = NULL;
    size_t tmp_cap = 0;
    for (size_t i = 0; i < n_mg; i++) {
        const SpPiece *l = &m->pieces[mg[i].left], *r = &m->pieces[mg[i].right];
        size_t need = l->len + r->len + 2;
        if (need > tmp_cap) {
            char *nt = jf_realloc(tmp, need);
            if (!nt) break;
            tmp = nt;
            tmp_cap = need;
        }
        memcpy(tmp, l->text, l->len);
        tmp[l->len] = ' ';
        memcpy(tmp + l->len + 1, r->text, r->len + 1);
        json_array_append_new(merges, json_string(tmp));
    }
    jf_free(tmp);
    const SpModelInfo *in = &m->info;
    json_t *model = json_pack("{s:s, s:n, s:s, s:n, s:n, s:b, s:b, s:b, s:o, s:o}", "type", "BPE",
                              "dropout", "unk_token", m->pieces[m->unk].text,
                              "continuing_subword_prefix", "end_of_word_suffix", "fuse_unk", 1,
                              "byte_fallback", in->byte_fallback, "ignore_merges",
                              plan->user_regex != NULL, "vocab", vocab, "merges", merges);
    json_t *pre = plan->user_regex ?
        json_pack("{s:s, s:{s:s}, s:s, s:b}", "type", "Split", "pattern", "Regex",
                  plan->user_regex, "behavior", "Isolated", "invert", 0) : json_null();
    json_t *root = json_pack("{s:s, s:n, s:n, s:o, s:o, s:o, s:o, s:o, s:o}", "version", "1.0",
                             "truncation", "padding", "added_tokens", added, "normalizer",
                             normalizer_json(m), "pre_tokenizer", pre, "post_processor",
                             post_processor_json(m), "decoder", decoder_json(in), "model", model);
    if (!root || json_array_size(merges) != n_mg)
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory (JSON)");
    *out = root;
    return JF_OK;
}

static json_t *config_json(const SpModel *m)
{
    int32_t bos = meta_id(m, m->info.bos_id), eos = meta_id(m, m->info.eos_id);
    json_t *c = json_object();
    json_object_set_new(c, "add_bos_token", json_boolean(bos >= 0));
    json_object_set_new(c, "add_eos_token", json_false());
    json_object_set_new(c, "bos_token", bos >= 0 ? json_string(m->pieces[bos].text) : json_null());
    json_object_set_new(c, "eos_token", eos >= 0 ? json_string(m->pieces[eos].text) : json_null());
    json_object_set_new(c, "unk_token", json_string(m->pieces[m->unk].text));
    json_object_set_new(c, "pad_token", json_null());
    json_object_set_new(c, "clean_up_tokenization_spaces", json_false());
    json_object_set_new(c, "legacy", json_true());
    json_object_set_new(c, "model_max_length", json_integer(1000000000));
    json_object_set_new(c, "sp_model_kwargs", json_object());
    json_object_set_new(c, "tokenizer_class", json_string("LlamaTokenizerFast"));
    return c;
}

/* Writes j to dir/name through dir/name.tmp and a rename. Takes j. */
static JfStatus json_save(json_t *j, const char *dir, const char *name, JfError *err)
{
    char path[4096], tmp[4200];
    JfStatus rc = JF_OK;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        json_decref(j);
        return jf_error_set(err, JF_EUSAGE, dir, JF_OFFSET_UNKNOWN, "path too long");
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!text) return jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "out of memory (JSON)");
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        rc = jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
        goto out_free;
    }
    size_t len = strlen(text);
    bool ok = fwrite(text, 1, len, f) == len && fputc('\n', f) != EOF;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        rc = jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot write: %s", strerror(errno));
        remove(tmp);
    }
out_free:
    free(text);
    return rc;
}

JfStatus hf_export_write(const SpModel *m, const char *dir, size_t *merges_out, JfError *err)
{
    JfStatus rc = bpe_model_check(m, err);
    if (rc != JF_OK) return rc;
    HfPlan plan;
    if ((rc = plan_make(m, &plan, err)) != JF_OK) return rc;
    HfMerge *mg = NULL;
    size_t n_mg = 0;
    json_t *tok = NULL;
    if ((rc = merges_derive(m, &mg, &n_mg, err)) == JF_OK)
        rc = tokenizer_json(m, &plan, mg, n_mg, &tok, err);
    jf_free(mg);
    jf_free(plan.user_regex);
    if (rc != JF_OK) return rc;
    if ((rc = json_save(tok, dir, "tokenizer.json", err)) != JF_OK) return rc;
    if (merges_out) *merges_out = n_mg;
    return json_save(config_json(m), dir, "tokenizer_config.json", err);
}
