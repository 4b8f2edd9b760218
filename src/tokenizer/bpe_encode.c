/* bpe_encode.c: SentencePiece BPE encoding (see bpe_encode.h for the
 * contract). Follows SentencePiece 0.1.97's normalizer.cc (identity rule or a
 * precompiled charsmap, sp_charsmap.c) and bpe_model.cc step by step, so that
 * every line encodes to the same ids: the comments name the SentencePiece
 * behaviour each step reproduces.
 * Does not decode (bpe_decode.c). */
#include <math.h>
#include <string.h>

#include "bpe_encode.h"
#include "jf_alloc.h"
#include "sp_model_int.h"

#define BPE_MAX_INPUT ((size_t)256 << 20)

typedef struct {
    uint32_t start;      /* in the normalized text */
    uint32_t len;        /* 0 once merged into its left neighbour */
    int32_t  prev, next; /* -1 at the ends */
    int32_t  id;         /* the piece this symbol's text is, -1 when none */
    uint32_t cp;         /* code point of the original character; UINT32_MAX for user symbols */
    bool     freeze;     /* a USER_DEFINED symbol: never merged */
} BpeSymbol;

typedef struct {
    float    score;
    uint32_t left, right;
    uint32_t size;       /* bytes of the merged piece: a stale entry no longer matches */
    uint32_t id;         /* the merged piece */
} BpePair;

/* A merge that produced an UNUSED piece: how to split it back. */
typedef struct {
    uint32_t start, len, left_len;
} BpeRevMerge;

/* The chunk cache: the final symbols of recently merged chunks, by text.
 * A chunk's merges depend only on its bytes, so a hit is exact. */
#define BPE_CACHE_SLOTS 16384         /* direct-mapped */
#define BPE_CACHE_TEXT 32             /* chunks of at most this many bytes */
#define BPE_CACHE_SYMS 12             /* ... that end as at most this many symbols */

typedef struct {
    uint8_t text_len;                 /* 0: empty slot */
    uint8_t n;
    uint8_t len[BPE_CACHE_SYMS];      /* bytes of each final symbol */
    int32_t id[BPE_CACHE_SYMS];       /* its piece, -1 none */
    char    text[BPE_CACHE_TEXT];
} BpeCacheSlot;

struct BpeScratch {
    char        *norm;   size_t norm_cap;  size_t norm_len;
    BpeSymbol   *sym;    size_t sym_cap;
    BpePair     *heap;   size_t heap_cap;  size_t heap_len;
    BpeToken    *tok;    size_t tok_cap;   size_t tok_len;
    BpeRevMerge *rev;    size_t rev_cap;   size_t rev_len;
    bool         prev_unk;   /* the last token emitted is an unknown symbol */
    BpeCacheSlot *cache;     /* [BPE_CACHE_SLOTS], allocated on first use */
    uint16_t     *cache_tag; /* [BPE_CACHE_SLOTS]: hash bits of each slot's text, 0 empty;
                              * small enough to stay in cache, so a miss touches no slot */
};

/* "<0x00>".."<0xFF>": the text of byte pieces, also when the model lacks one. */
#define BT(h, l) "<0x" #h #l ">"
#define BT_ROW(h) BT(h, 0), BT(h, 1), BT(h, 2), BT(h, 3), BT(h, 4), BT(h, 5), BT(h, 6), \
    BT(h, 7), BT(h, 8), BT(h, 9), BT(h, A), BT(h, B), BT(h, C), BT(h, D), BT(h, E), BT(h, F)
static const char BYTE_TEXT[256][7] = {
    BT_ROW(0), BT_ROW(1), BT_ROW(2), BT_ROW(3), BT_ROW(4), BT_ROW(5), BT_ROW(6), BT_ROW(7),
    BT_ROW(8), BT_ROW(9), BT_ROW(A), BT_ROW(B), BT_ROW(C), BT_ROW(D), BT_ROW(E), BT_ROW(F),
};

/* Grows arr (elements of size sz) to hold need elements. */
static bool grow(void **arr, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *p = jf_realloc(*arr, c * sz);
    if (!p) return false;
    *arr = p;
    *cap = c;
    return true;
}
#define GROW(arr, cap, need) grow((void **)&(arr), &(cap), (need), sizeof *(arr))

JfStatus bpe_model_check(const SpModel *m, JfError *err)
{
    const SpModelInfo *i = sp_model_info(m);
    if (i->model_type != SP_MODEL_BPE)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "model type %d is not BPE: only BPE models can be encoded",
                            (int)i->model_type);
    return JF_OK;
}

JfStatus bpe_scratch_open(BpeScratch **out, JfError *err)
{
    *out = jf_calloc(1, sizeof **out);
    if (!*out) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    return JF_OK;
}

void bpe_scratch_close(BpeScratch *s)
{
    if (!s) return;
    jf_free(s->norm);
    jf_free(s->sym);
    jf_free(s->heap);
    jf_free(s->tok);
    jf_free(s->rev);
    jf_free(s->cache);
    jf_free(s->cache_tag);
    jf_free(s);
}

/* ---- normalization ---- */

static inline bool user_is(const SpModel *m, const char *t, size_t k)
{
    int32_t id = sp_model_find(m, t, k);
    return id >= 0 && m->pieces[id].type == SP_PIECE_USER_DEFINED;
}

/* user_match's probes: the longest USER_DEFINED piece of 3 bytes or more
 * that prefixes t[0..n), at the lengths some piece has; 0 when none. */
static size_t user_match_long(const SpModel *m, const char *t, size_t n)
{
    size_t top = n < m->max_user_len ? n : m->max_user_len;
    for (size_t k = top; k > 63; k--)   /* pieces of 64 bytes or more: rare */
        if (user_is(m, t, k)) return k;
    uint64_t lens = m->user_lens & (top >= 63 ? UINT64_MAX : ((uint64_t)2 << top) - 1);
    while (lens) {
        unsigned k = 63u - (unsigned)__builtin_clzll(lens);
        if (user_is(m, t, k)) return k;
        lens &= ~((uint64_t)1 << k);
    }
    return 0;
}

/* Longest USER_DEFINED piece that prefixes t[0..n) (n > 0); 0 when none.
 * This runs at every character of a model with user pieces (twice: raw and
 * normalized text), so the model's filters answer first: pieces of 1 and 2
 * bytes exactly, longer ones only when the hash of t's first three bytes is
 * one of theirs, and then only at lengths some piece has (a hash probe of the
 * piece table each). Most characters cost three bit tests. */
static inline size_t user_match(const SpModel *m, const char *t, size_t n)
{
    const uint8_t *u = (const uint8_t *)t;
    if (n >= 3 && sp_bit_has(m->user_3, sp_user_hash3(u))) {
        size_t k = user_match_long(m, t, n);
        if (k) return k;
    }
    if (n >= 2 && sp_bit_has(m->user_2, (uint32_t)u[0] << 8 | u[1])) return 2;
    return sp_bit_has(m->user_1, u[0]) ? 1 : 0;
}

/* SentencePiece's Normalizer::NormalizePrefix: a user symbol whole (not
 * normalized), else the longest charsmap rule's replacement, else one valid
 * UTF-8 character, else U+FFFD for one byte. */
static size_t norm_prefix(const SpModel *m, const char *t, size_t n, const char **out,
                          size_t *out_len)
{
    size_t k = m->max_user_len ? user_match(m, t, n) : 0;
    if (!k && m->cmap.n_units) {
        size_t used = sp_charsmap_match(&m->cmap, (const uint8_t *)t, n, out, out_len);
        if (used) return used;
    }
    if (!k) k = sp_utf8_valid_len((const uint8_t *)t, n);
    if (!k) {
        *out = "\xEF\xBF\xBD";
        *out_len = 3;
        return 1;
    }
    *out = t;
    *out_len = k;
    return k;
}

static void norm_put_space(const SpModel *m, BpeScratch *s)
{
    if (m->info.escape_whitespaces) {
        memcpy(s->norm + s->norm_len, SP_SPACE, SP_SPACE_LEN);
        s->norm_len += SP_SPACE_LEN;
    } else {
        s->norm[s->norm_len++] = ' ';
    }
}

/* SentencePiece's Normalizer::Normalize. */
static JfStatus normalize(const SpModel *m, BpeScratch *s, const char *t, size_t n, JfError *err)
{
    const SpModelInfo *in = &m->info;
    s->norm_len = 0;
    const char *p;
    size_t plen;
    if (in->remove_extra_whitespaces) {   /* drop leading spaces */
        while (n) {
            size_t used = norm_prefix(m, t, n, &p, &plen);
            if (plen != 1 || p[0] != ' ') break;
            t += used;
            n -= used;
        }
    }
    if (n == 0) return JF_OK;
    /* Without a charsmap each input byte grows to at most 3 (space -> U+2581, bad
     * byte -> U+FFFD), + prefix/suffix; a charsmap rule can grow more: then the
     * loop makes room for each replacement. */
    if (!GROW(s->norm, s->norm_cap, n * 3 + 2 * SP_SPACE_LEN))
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    const bool cmap = m->cmap.n_units != 0;
    bool suffix = in->treat_whitespace_as_suffix;
    if (!suffix && in->add_dummy_prefix) norm_put_space(m, s);
    bool prev_space = in->remove_extra_whitespaces;
    while (n) {
        size_t used = norm_prefix(m, t, n, &p, &plen);
        if (prev_space)
            while (plen && p[0] == ' ') { p++; plen--; }
        if (plen) {
            /* plen * 3: each byte may be a space that becomes U+2581. */
            if (cmap && !GROW(s->norm, s->norm_cap, s->norm_len + plen * 3 + 2 * SP_SPACE_LEN))
                return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
            for (size_t i = 0; i < plen; i++) {
                if (in->escape_whitespaces && p[i] == ' ') norm_put_space(m, s);
                else s->norm[s->norm_len++] = p[i];
            }
            prev_space = p[plen - 1] == ' ';
        }
        t += used;
        n -= used;
        if (!in->remove_extra_whitespaces) prev_space = false;
    }
    if (in->remove_extra_whitespaces) {   /* drop trailing spaces */
        const char *sp = in->escape_whitespaces ? SP_SPACE : " ";
        size_t sl = in->escape_whitespaces ? SP_SPACE_LEN : 1;
        while (s->norm_len >= sl && !memcmp(s->norm + s->norm_len - sl, sp, sl))
            s->norm_len -= sl;
    }
    if (suffix && in->add_dummy_prefix) norm_put_space(m, s);
    return JF_OK;
}

/* ---- the heap of candidate merges ---- */

/* a is merged before b: higher score, then leftmost (bpe_model.cc's comparator). */
static inline bool pair_before(const BpePair *a, const BpePair *b)
{
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static void heap_push(BpeScratch *s, BpePair v)
{
    size_t i = s->heap_len++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!pair_before(&v, &s->heap[up])) break;
        s->heap[i] = s->heap[up];
        i = up;
    }
    s->heap[i] = v;
}

static BpePair heap_pop(BpeScratch *s)
{
    BpePair top = s->heap[0];
    BpePair last = s->heap[--s->heap_len];
    size_t i = 0, n = s->heap_len;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && pair_before(&s->heap[c + 1], &s->heap[c])) c++;
        if (!pair_before(&s->heap[c], &last)) break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (n) s->heap[i] = last;
    return top;
}

/* bpe_model.cc's MaybeAddNewSymbolPair. Two symbols that are pieces are
 * looked up by their ids in the merge table; a symbol that is no piece (a
 * character outside the vocabulary) can still be half of a piece in
 * SentencePiece, so then the concatenated text is looked up. */
static JfStatus pair_try_add(const SpModel *m, BpeScratch *s, int32_t left, int32_t right)
{
    if (left < 0 || right < 0) return JF_OK;
    const BpeSymbol *l = &s->sym[left], *r = &s->sym[right];
    if (l->freeze || r->freeze) return JF_OK;
    uint32_t size = l->len + r->len;
    int32_t id;
    if (l->id >= 0 && r->id >= 0) {
        id = sp_model_pair_find(m, (uint32_t)l->id, (uint32_t)r->id);
        if (id < 0) return JF_OK;
    } else {
        id = sp_model_find(m, s->norm + l->start, size);
        if (id < 0 || !sp_piece_is_mergeable(m->pieces[id].type)) return JF_OK;
    }
    if (s->heap_len == s->heap_cap && !GROW(s->heap, s->heap_cap, s->heap_len + 1))
        return JF_ENOMEM;
    heap_push(s, (BpePair){ m->pieces[id].score, (uint32_t)left, (uint32_t)right, size,
                            (uint32_t)id });
    if (m->pieces[id].type == SP_PIECE_UNUSED) {
        if (!GROW(s->rev, s->rev_cap, s->rev_len + 1)) return JF_ENOMEM;
        s->rev[s->rev_len++] = (BpeRevMerge){ l->start, size, l->len };
    }
    return JF_OK;
}

/* ---- output ---- */

static JfStatus tok_put(BpeScratch *s, uint32_t id, const char *piece, uint32_t len)
{
    if (!GROW(s->tok, s->tok_cap, s->tok_len + 1)) return JF_ENOMEM;
    s->tok[s->tok_len++] = (BpeToken){ id, piece, len };
    return JF_OK;
}

/* SentencePiece's PieceToId: reserved pieces first, then normal ones, else <unk>. */
static uint32_t piece_to_id(const SpModel *m, const char *t, size_t n)
{
    int32_t id = sp_model_find(m, t, n);
    return id < 0 ? (uint32_t)m->unk : (uint32_t)id;
}

/* Emits one final symbol: <unk> becomes byte pieces when byte_fallback is on;
 * without it, consecutive unknown symbols become one <unk> token (as
 * SentencePieceProcessor::Encode merges them). */
static JfStatus emit(const SpModel *m, BpeScratch *s, uint32_t start, uint32_t len, int32_t known)
{
    const char *w = s->norm + start;
    uint32_t id = known >= 0 ? (uint32_t)known : piece_to_id(m, w, len);
    bool unk = m->pieces[id].type == SP_PIECE_UNKNOWN;
    if (!unk || !m->info.byte_fallback) {
        if (unk && s->prev_unk) {   /* symbols are contiguous in norm */
            s->tok[s->tok_len - 1].len += len;
            return JF_OK;
        }
        s->prev_unk = unk;
        return tok_put(s, id, w, len);
    }
    for (uint32_t i = 0; i < len; i++) {
        uint8_t b = (uint8_t)w[i];
        int32_t bid = m->byte_id[b];
        JfStatus rc = tok_put(s, bid >= 0 ? (uint32_t)bid : (uint32_t)m->unk, BYTE_TEXT[b], 6);
        if (rc != JF_OK) return rc;
    }
    return JF_OK;
}

/* bpe_model.cc's resegment: an UNUSED piece is split back into the two
 * symbols whose merge made it (the last such merge recorded for its text). */
static JfStatus resegment(const SpModel *m, BpeScratch *s, uint32_t start, uint32_t len,
                          unsigned depth)
{
    int32_t id = sp_model_find(m, s->norm + start, len);
    if (id < 0 || m->pieces[id].type != SP_PIECE_UNUSED || depth > 64)
        return emit(m, s, start, len, -1);
    for (size_t k = s->rev_len; k-- > 0;) {
        const BpeRevMerge *r = &s->rev[k];
        if (r->len != len || memcmp(s->norm + r->start, s->norm + start, len)) continue;
        uint32_t ll = r->left_len;
        JfStatus rc = resegment(m, s, start, ll, depth + 1);
        return rc != JF_OK ? rc : resegment(m, s, start + ll, len - ll, depth + 1);
    }
    return emit(m, s, start, len, -1);
}

/* ---- encode ---- */

/* Chunks up to this many symbols are merged by scanning an array of pair
 * scores (cache-friendly, no heap); longer ones use the heap. */
#define BPE_SCAN_MAX 64

/* The piece a symbol's text is: one-character pieces below U+10000 from the
 * direct table, anything else by its text. */
static int32_t symbol_id(const SpModel *m, const char *t, size_t len, uint32_t *cp)
{
    size_t k = sp_utf8_valid_len((const uint8_t *)t, len);
    *cp = k == len ? sp_utf8_decode((const uint8_t *)t, k) : UINT32_MAX;
    if (*cp < SP_CHAR_TABLE) return m->char_id[*cp];
    return sp_model_find(m, t, len);
}

/* Splits the normalized text into characters (user symbols whole, frozen).
 * cp holds the code point of a character symbol (UINT32_MAX for user symbols). */
static JfStatus split_symbols(const SpModel *m, BpeScratch *s, size_t *count)
{
    size_t n = 0, pos = 0, len = s->norm_len;
    if (!GROW(s->sym, s->sym_cap, len ? len : 1)) return JF_ENOMEM;
    while (pos < len) {
        bool freeze = false;
        size_t k = m->max_user_len ? user_match(m, s->norm + pos, len - pos) : 0;
        uint32_t cp = UINT32_MAX;
        int32_t id;
        if (k) {
            freeze = true;
            id = sp_model_find(m, s->norm + pos, k);
        } else {
            k = sp_utf8_len_guess((uint8_t)s->norm[pos]);
            if (k > len - pos) k = len - pos;
            id = symbol_id(m, s->norm + pos, k, &cp);
        }
        s->sym[n] = (BpeSymbol){ (uint32_t)pos, (uint32_t)k, (int32_t)n - 1,
                                 pos + k < len ? (int32_t)n + 1 : -1, id, cp, freeze };
        n++;
        pos += k;
    }
    *count = n;
    return JF_OK;
}

/* UTF-8 character at t (n > 0 bytes): its length, 0 when malformed (as
 * sp_utf8_valid_len), and *cp. Inline: this runs once per input character. */
static inline size_t utf8_next(const uint8_t *t, size_t n, uint32_t *cp)
{
    uint8_t c = t[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xE0 && c < 0xF0 && n >= 3 && (t[1] & 0xC0) == 0x80 && (t[2] & 0xC0) == 0x80) {
        uint32_t v = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(t[1] & 0x3F) << 6 | (t[2] & 0x3F);
        if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF)) return 0;
        *cp = v;
        return 3;
    }
    size_t k = sp_utf8_valid_len(t, n);
    if (k) *cp = sp_utf8_decode(t, k);
    return k;
}

/* Heap merging of symbols [first, end): linked as a list cut at the chunk's ends. */
static JfStatus merge_heap(const SpModel *m, BpeScratch *s, size_t first, size_t end)
{
    JfStatus rc;
    s->heap_len = 0;
    for (size_t i = first; i < end; i++) {
        s->sym[i].prev = (int32_t)i - 1;
        s->sym[i].next = (int32_t)i + 1;
    }
    s->sym[first].prev = -1;
    s->sym[end - 1].next = -1;
    for (size_t i = first + 1; i < end; i++)
        if ((rc = pair_try_add(m, s, (int32_t)i - 1, (int32_t)i)) != JF_OK) return rc;
    while (s->heap_len) {
        BpePair top = heap_pop(s);
        BpeSymbol *l = &s->sym[top.left], *r = &s->sym[top.right];
        /* Stale: one side was merged away or grew since the pair was pushed. */
        if (!l->len || !r->len || l->len + r->len != top.size) continue;
        l->len += r->len;
        l->id = (int32_t)top.id;
        l->next = r->next;
        if (r->next >= 0) s->sym[r->next].prev = (int32_t)top.left;
        r->len = 0;
        if ((rc = pair_try_add(m, s, l->prev, (int32_t)top.left)) != JF_OK) return rc;
        l = &s->sym[top.left];
        if ((rc = pair_try_add(m, s, (int32_t)top.left, l->next)) != JF_OK) return rc;
    }
    return JF_OK;
}

/* The merged piece of adjacent symbols (not frozen) at start (len_l bytes,
 * piece id_l) and start + len_l (len_r bytes, piece id_r), pair_try_add's
 * rule, and its score; -1 with score -inf when none. */
static inline int32_t pair_lookup(const SpModel *m, const BpeScratch *s, uint32_t start,
                                  uint32_t len_l, int32_t id_l, uint32_t len_r, int32_t id_r,
                                  float *score)
{
    *score = -INFINITY;
    if (id_l >= 0 && id_r >= 0) {
        const SpPairSlot *p = sp_model_pair_slot(m, (uint32_t)id_l, (uint32_t)id_r);
        if (!p) return -1;
        *score = p->score;
        return (int32_t)p->id;
    }
    int32_t id = sp_model_find(m, s->norm + start, len_l + len_r);
    if (id < 0 || !sp_piece_is_mergeable(m->pieces[id].type)) return -1;
    *score = m->pieces[id].score;
    return id;
}

/* The merged piece of adjacent symbols l, r (pair_try_add's rule) and its
 * score, or -1 with score -inf. */
static inline int32_t pair_piece(const SpModel *m, const BpeScratch *s, const BpeSymbol *l,
                                 const BpeSymbol *r, float *score)
{
    if (l->freeze || r->freeze) {
        *score = -INFINITY;
        return -1;
    }
    return pair_lookup(m, s, l->start, l->len, l->id, r->len, r->id, score);
}

/* Scan merging of the n <= BPE_SCAN_MAX symbols at y (compacted in place,
 * *n updated): the best pair is the highest score, the leftmost on ties,
 * exactly the heap's order. A chunk of two or more symbols holds no frozen
 * (user) symbol: chunks end at them. The work is done on small local arrays
 * (4 bytes an entry), not on the symbols. */
static void merge_scan(const SpModel *m, const BpeScratch *s, BpeSymbol *y, size_t *n)
{
    uint32_t start[BPE_SCAN_MAX], len[BPE_SCAN_MAX];
    int32_t  id[BPE_SCAN_MAX], piece[BPE_SCAN_MAX];   /* piece[i]: merge of i and i + 1 */
    float    score[BPE_SCAN_MAX];                     /* its score, -inf when none (no
                                                       * piece scores -inf: low_score) */
    size_t k = *n;
    for (size_t i = 0; i < k; i++) {
        start[i] = y[i].start;
        len[i] = y[i].len;
        id[i] = y[i].id;
    }
    for (size_t i = 0; i + 1 < k; i++) piece[i] = pair_piece(m, s, &y[i], &y[i + 1], &score[i]);
    score[k - 1] = -INFINITY;
    for (;;) {
        size_t best = 0;
        for (size_t i = 1; i + 1 < k; i++)
            if (score[i] > score[best]) best = i;
        if (k < 2 || score[best] == -INFINITY) break;
        len[best] += len[best + 1];
        id[best] = piece[best];
        for (size_t i = best + 1; i + 1 < k; i++) {
            start[i] = start[i + 1];
            len[i] = len[i + 1];
            id[i] = id[i + 1];
        }
        for (size_t i = best + 1; i + 2 < k; i++) {
            piece[i] = piece[i + 1];
            score[i] = score[i + 1];
        }
        k--;
        if (best > 0) piece[best - 1] = pair_lookup(m, s, start[best - 1], len[best - 1],
                                                    id[best - 1], len[best], id[best],
                                                    &score[best - 1]);
        if (best + 1 < k) piece[best] = pair_lookup(m, s, start[best], len[best], id[best],
                                                    len[best + 1], id[best + 1], &score[best]);
    }
    for (size_t i = 0; i < k; i++) {
        y[i].start = start[i];
        y[i].len = len[i];
        y[i].id = id[i];
    }
    *n = k;
}

/* True when no merge can join symbols a and b: one is frozen, or no
 * mergeable piece holds a's character followed by b's. Symbols are still
 * single characters here. */
static bool chunk_boundary_is(const SpModel *m, const BpeSymbol *a, const BpeSymbol *b)
{
    if (a->freeze || b->freeze) return true;
    if (a->cp == UINT32_MAX || b->cp == UINT32_MAX) return false;   /* cut short: be safe */
    return !sp_model_adjacent_has(m, a->cp, b->cp);
}

/* Hash of a chunk of at most BPE_CACHE_TEXT bytes, 8 bytes at a time. */
static uint64_t cache_hash(const char *t, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = 0;
        memcpy(&w, t + i, n - i < 8 ? n - i : 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
    }
    return h;
}

/* Emits a cached chunk; @return false (nothing emitted) on a miss, with
 * *slot and *tag set for cache_put. */
static bool cache_emit(const SpModel *m, BpeScratch *s, uint32_t start, uint32_t len,
                       BpeCacheSlot **slot, uint16_t *tag, JfStatus *rc)
{
    const char *t = s->norm + start;
    *slot = NULL;
    if (len > BPE_CACHE_TEXT) return false;
    if (!s->cache) {
        s->cache = jf_malloc(BPE_CACHE_SLOTS * sizeof *s->cache);
        s->cache_tag = jf_calloc(BPE_CACHE_SLOTS, sizeof *s->cache_tag);
        if (!s->cache || !s->cache_tag) {   /* no cache: every chunk is merged */
            jf_free(s->cache);
            jf_free(s->cache_tag);
            s->cache = NULL;
            s->cache_tag = NULL;
            return false;
        }
    }
    uint64_t h = cache_hash(t, len);
    size_t i = (size_t)h & (BPE_CACHE_SLOTS - 1);
    *tag = (uint16_t)(h >> 48) | 1;
    *slot = &s->cache[i];
    if (s->cache_tag[i] != *tag) return false;
    const BpeCacheSlot *c = *slot;
    if (c->text_len != len || memcmp(c->text, t, len)) return false;
    *rc = JF_OK;
    for (uint32_t k = 0, pos = start; k < c->n && *rc == JF_OK; pos += c->len[k++])
        *rc = emit(m, s, pos, c->len[k], c->id[k]);
    return true;
}

static void cache_put(BpeScratch *s, BpeCacheSlot *c, uint16_t tag, const char *t, uint32_t len,
                      const BpeSymbol *y, size_t n)
{
    if (!c || n > BPE_CACHE_SYMS) return;
    s->cache_tag[c - s->cache] = tag;
    c->text_len = (uint8_t)len;
    c->n = (uint8_t)n;
    memcpy(c->text, t, len);
    for (size_t i = 0; i < n; i++) {
        c->len[i] = (uint8_t)y[i].len;
        c->id[i] = y[i].id;
    }
}

/* Merges and emits symbols [first, end), one chunk no merge can leave. */
static JfStatus chunk_encode(const SpModel *m, BpeScratch *s, size_t first, size_t end)
{
    JfStatus rc;
    BpeSymbol *y = &s->sym[first];
    if (end - first == 1) return emit(m, s, y->start, y->len, y->id);
    if (end - first <= BPE_SCAN_MAX && !m->low_score) {
        uint32_t bytes = s->sym[end - 1].start + s->sym[end - 1].len - y->start;
        BpeCacheSlot *slot;
        uint16_t tag;
        if (cache_emit(m, s, y->start, bytes, &slot, &tag, &rc)) return rc;
        size_t n = end - first;
        merge_scan(m, s, y, &n);
        cache_put(s, slot, tag, s->norm + y->start, bytes, y, n);
        for (size_t i = 0; i < n; i++)
            if ((rc = emit(m, s, y[i].start, y[i].len, y[i].id)) != JF_OK) return rc;
        return JF_OK;
    }
    if ((rc = merge_heap(m, s, first, end)) != JF_OK) return rc;
    for (int32_t i = (int32_t)first; i >= 0; i = s->sym[i].next)
        if ((rc = emit(m, s, s->sym[i].start, s->sym[i].len, s->sym[i].id)) != JF_OK) return rc;
    return JF_OK;
}

/* Models with UNUSED pieces: one heap over the whole line, so that the
 * resegmentation records come in SentencePiece's order. */
static JfStatus encode_with_unused(const SpModel *m, BpeScratch *s, size_t nsym)
{
    JfStatus rc = merge_heap(m, s, 0, nsym);
    for (int32_t i = 0; i >= 0 && rc == JF_OK; i = s->sym[i].next)
        rc = resegment(m, s, s->sym[i].start, s->sym[i].len, 0);
    return rc;
}

/* Cuts the line into chunks where no piece can cross (merges in one chunk
 * never touch another, so the result is the same as over the whole line). */
static JfStatus encode_chunks(const SpModel *m, BpeScratch *s, size_t nsym)
{
    size_t first = 0;
    for (size_t i = 1; i <= nsym; i++) {
        if (i < nsym && !chunk_boundary_is(m, &s->sym[i - 1], &s->sym[i])) continue;
        JfStatus rc = chunk_encode(m, s, first, i);
        if (rc != JF_OK) return rc;
        first = i;
    }
    return JF_OK;
}

/* normalize(), split_symbols() and encode_chunks() in one pass, for the
 * models most are (no user or UNUSED pieces, extra whitespace kept,
 * whitespace as prefix): each input character is validated once and becomes
 * a symbol; a chunk is merged as soon as the next character cannot join it,
 * so the symbols of one chunk at a time stay in cache. Same output. */
static JfStatus encode_fast(const SpModel *m, BpeScratch *s, const char *text, size_t n)
{
    s->norm_len = 0;
    if (n == 0) return JF_OK;
    if (!GROW(s->norm, s->norm_cap, n * 3 + 2 * SP_SPACE_LEN) || !GROW(s->sym, s->sym_cap, n + 1))
        return JF_ENOMEM;
    const uint8_t *t = (const uint8_t *)text;
    const bool esc = m->info.escape_whitespaces;
    const uint32_t ws = esc ? 0x2581 : ' ';
    char *o = s->norm;
    BpeSymbol *y = s->sym;
    size_t len = 0, k = 0;
    uint32_t prev_cp = 0;
    JfStatus rc;
    if (m->info.add_dummy_prefix) {
        if (esc) { memcpy(o, SP_SPACE, SP_SPACE_LEN); len = SP_SPACE_LEN; }
        else o[len++] = ' ';
        y[k++] = (BpeSymbol){ 0, (uint32_t)len, -1, -1, m->char_id[ws], ws, false };
        prev_cp = ws;
    }
    for (size_t i = 0; i < n;) {
        uint32_t cp, cl = (uint32_t)utf8_next(t + i, n - i, &cp), start = (uint32_t)len;
        int32_t id;
        if (cl == 1 && cp == ' ' && esc) {
            memcpy(o + len, SP_SPACE, SP_SPACE_LEN);
            len += SP_SPACE_LEN;
            cp = ws;
            id = m->char_id[ws];
            i++;
        } else if (!cl) {
            memcpy(o + len, "\xEF\xBF\xBD", 3);
            len += 3;
            cp = 0xFFFD;
            id = m->char_id[cp];
            i++;
        } else {
            memcpy(o + len, t + i, cl);
            len += cl;
            i += cl;
            id = cp < SP_CHAR_TABLE ? m->char_id[cp] : sp_model_find(m, o + start, cl);
        }
        if (k && !sp_model_adjacent_has(m, prev_cp, cp)) {   /* a chunk ends */
            if ((rc = chunk_encode(m, s, 0, k)) != JF_OK) return rc;
            k = 0;
        }
        y[k++] = (BpeSymbol){ start, (uint32_t)len - start, -1, -1, id, cp, false };
        prev_cp = cp;
    }
    s->norm_len = len;
    return chunk_encode(m, s, 0, k);
}

JfStatus bpe_reduce(const SpModel *m, BpeScratch *s, const char *text, size_t len, int32_t *id,
                    JfError *err)
{
    *id = -1;
    s->heap_len = s->rev_len = 0;
    if (len == 0) return JF_OK;
    if (len > BPE_MAX_INPUT)
        return jf_error_set(err, JF_ETOOBIG, NULL, JF_OFFSET_UNKNOWN,
                            "text of %zu bytes is over the 256 MiB limit", len);
    if (!GROW(s->norm, s->norm_cap, len))
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    memcpy(s->norm, text, len);
    s->norm_len = len;
    size_t nsym = 0;
    if (split_symbols(m, s, &nsym) != JF_OK || merge_heap(m, s, 0, nsym) != JF_OK)
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    if (s->sym[0].next < 0) *id = s->sym[0].id;   /* one symbol: the whole text */
    return JF_OK;
}

JfStatus bpe_encode(const SpModel *m, BpeScratch *s, const char *text, size_t len,
                    const BpeToken **toks, size_t *n, JfError *err)
{
    *toks = NULL;
    *n = 0;
    s->tok_len = s->heap_len = s->rev_len = 0;
    s->prev_unk = false;
    if (len > BPE_MAX_INPUT)
        return jf_error_set(err, JF_ETOOBIG, NULL, JF_OFFSET_UNKNOWN,
                            "line of %zu bytes is over the 256 MiB limit", len);
    JfStatus rc;
    size_t nsym = 0;
    const SpModelInfo *in = &m->info;
    if (!m->max_user_len && !m->has_unused && !in->remove_extra_whitespaces &&
        !in->treat_whitespace_as_suffix && !m->cmap.n_units) {
        if ((rc = encode_fast(m, s, text, len)) != JF_OK) goto out_nomem;
        goto out_done;
    }
    if ((rc = normalize(m, s, text, len, err)) != JF_OK) return rc;
    if ((rc = split_symbols(m, s, &nsym)) != JF_OK) goto out_nomem;
    if (nsym) {
        rc = m->has_unused ? encode_with_unused(m, s, nsym) : encode_chunks(m, s, nsym);
        if (rc != JF_OK) goto out_nomem;
    }
out_done:
    *toks = s->tok;
    *n = s->tok_len;
    return JF_OK;
out_nomem:
    return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
}
