/* sp_model.c: loading, checking and writing SentencePiece model files with
 * protobuf-c (generated from our sentencepiece_model.proto at build time).
 * protobuf-c keeps fields it does not know as unknown fields and packs known
 * fields in field-number order followed by the unknown ones, which is what the
 * C++ library writes, so an unchanged model round-trips byte for byte.
 * Does not encode (bpe_encode.c) or decode (bpe_decode.c). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>
#include <xxhash.h>

#include "jf_alloc.h"
#include "sentencepiece_model.pb-c.h"
#include "sp_model_int.h"

#define SP_MODEL_MAX_BYTES ((size_t)1 << 31)   /* protobuf's own 2 GiB limit */

/* data, when not NULL, is a bool set when an allocation fails: protobuf-c
 * reports that as a parse failure, we report it as JF_ENOMEM. */
static void *pb_alloc(void *data, size_t n)
{
    void *p = jf_malloc(n ? n : 1);
    if (!p && data) *(bool *)data = true;
    return p;
}

static void pb_free(void *data, void *p)
{
    (void)data;
    jf_free(p);
}

static ProtobufCAllocator PB_ALLOC = { pb_alloc, pb_free, NULL };

size_t sp_utf8_valid_len(const uint8_t *s, size_t n)
{
    if (n == 0) return 0;
    uint8_t c = s[0];
    if (c < 0x80) return 1;
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

uint32_t sp_utf8_decode(const uint8_t *s, size_t len)
{
    static const uint8_t LEAD_MASK[5] = { 0, 0x7F, 0x1F, 0x0F, 0x07 };
    uint32_t cp = s[0] & LEAD_MASK[len];
    for (size_t i = 1; i < len; i++) cp = (cp << 6) | (s[i] & 0x3F);
    return cp;
}

static bool utf8_is_valid(const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    while (n) {
        size_t k = sp_utf8_valid_len(p, n);
        if (!k) return false;
        p += k;
        n -= k;
    }
    return true;
}

/* @return 0..255 for "<0xXX>" (upper-case hex, as SentencePiece writes it), else -1. */
static int byte_piece_value(const char *s, size_t n)
{
    static const char HEX[] = "0123456789ABCDEF";
    if (n != 6 || memcmp(s, "<0x", 3) || s[5] != '>') return -1;
    const char *hi = memchr(HEX, s[3], 16), *lo = memchr(HEX, s[4], 16);
    if (!hi || !lo || !s[3] || !s[4]) return -1;
    return (int)((hi - HEX) * 16 + (lo - HEX));
}

static uint64_t piece_hash(const char *s, size_t n)
{
    return XXH3_64bits(s, n);
}

int32_t sp_model_find(const SpModel *m, const char *text, size_t len)
{
    for (size_t i = piece_hash(text, len) & m->mask;; i = (i + 1) & m->mask) {
        uint32_t v = m->slots[i];
        if (!v) return -1;
        const SpPiece *p = &m->pieces[v - 1];
        if (p->len == len && !memcmp(p->text, text, len)) return (int32_t)(v - 1);
    }
}

/* Inserts piece id; @return false when the same text is already there. */
static bool table_insert(SpModel *m, uint32_t id)
{
    const SpPiece *p = &m->pieces[id];
    for (size_t i = piece_hash(p->text, p->len) & m->mask;; i = (i + 1) & m->mask) {
        uint32_t v = m->slots[i];
        if (!v) {
            m->slots[i] = id + 1;
            return true;
        }
        const SpPiece *q = &m->pieces[v - 1];
        if (q->len == p->len && !memcmp(q->text, p->text, p->len)) return false;
    }
}

static void info_fill(SpModel *m)
{
    const JfSp__ModelProto *mp = m->proto;
    const JfSp__TrainerSpec *t = mp->trainer_spec;
    const JfSp__NormalizerSpec *ns = mp->normalizer_spec;
    SpModelInfo *i = &m->info;
    /* protobuf-c fills absent fields with the .proto defaults. */
    i->model_type = (SpModelType)t->model_type;
    i->vocab_size = t->vocab_size;
    i->byte_fallback = t->byte_fallback;
    i->split_digits = t->split_digits;
    i->allow_whitespace_only_pieces = t->allow_whitespace_only_pieces;
    i->treat_whitespace_as_suffix = t->treat_whitespace_as_suffix;
    i->max_sentencepiece_length = t->max_sentencepiece_length;
    i->unk_id = t->unk_id;
    i->bos_id = t->bos_id;
    i->eos_id = t->eos_id;
    i->pad_id = t->pad_id;
    i->unk_surface = t->unk_surface ? t->unk_surface : SP_UNK_SURFACE;
    i->normalizer_name = ns->name ? ns->name : "";
    i->charsmap_len = ns->has_precompiled_charsmap ? ns->precompiled_charsmap.len : 0;
    i->add_dummy_prefix = ns->add_dummy_prefix;
    i->remove_extra_whitespaces = ns->remove_extra_whitespaces;
    i->escape_whitespaces = ns->escape_whitespaces;
    m->charsmap = i->charsmap_len ? ns->precompiled_charsmap.data : NULL;
    m->charsmap_len = i->charsmap_len;
}

/* Builds the piece array and the lookup table, checking each piece. */
static JfStatus model_index(SpModel *m, const char *name, JfError *err)
{
    const JfSp__ModelProto *mp = m->proto;
    if (mp->n_pieces == 0)
        return jf_error_set(err, JF_EFORMAT, name, JF_OFFSET_UNKNOWN, "model has no pieces");
    if (mp->n_pieces > UINT32_MAX / 4)
        return jf_error_set(err, JF_EFORMAT, name, JF_OFFSET_UNKNOWN, "too many pieces");
    /* The C++ writer puts trainer_spec and normalizer_spec after the pieces:
     * a file cut at a piece boundary still parses, but lacks them. */
    if (!mp->trainer_spec || !mp->normalizer_spec)
        return jf_error_set(err, JF_EFORMAT, name, JF_OFFSET_UNKNOWN,
                            "model has no %s (truncated file?)",
                            mp->trainer_spec ? "normalizer_spec" : "trainer_spec");
    m->n = mp->n_pieces;
    size_t cap = 16;
    while (cap < m->n * 2) cap <<= 1;
    m->pieces = jf_calloc(m->n, sizeof *m->pieces);
    m->slots = jf_calloc(cap, sizeof *m->slots);
    if (!m->pieces || !m->slots)
        return jf_error_set(err, JF_ENOMEM, name, JF_OFFSET_UNKNOWN, "out of memory (pieces)");
    m->mask = cap - 1;
    m->unk = -1;
    for (int b = 0; b < 256; b++) m->byte_id[b] = -1;
    info_fill(m);
    for (size_t id = 0; id < m->n; id++) {
        const JfSp__ModelProto__SentencePiece *sp = mp->pieces[id];
        SpPiece *p = &m->pieces[id];
        if (!sp->piece || !sp->piece[0])
            return jf_error_set(err, JF_EFORMAT, name, JF_OFFSET_UNKNOWN,
                                "piece %zu has no text", id);
        size_t len = strlen(sp->piece);
        if (!utf8_is_valid(sp->piece, len))
            return jf_error_set(err, JF_EFORMAT, name, JF_OFFSET_UNKNOWN,
                                "piece %zu is not valid UTF-8", id);
        int type = sp->has_type ? (int)sp->type : SP_PIECE_NORMAL;
        if (type < SP_PIECE_NORMAL || type > SP_PIECE_BYTE)
            return jf_error_set(err, JF_EFORMAT, name, JF_OFFSET_UNKNOWN,
                                "piece %zu has unknown type %d", id, type);
        *p = (SpPiece){ sp->piece, (uint32_t)len, sp->has_score ? sp->score : 0.0f,
                        (uint8_t)type };
        if (!table_insert(m, (uint32_t)id))
            return jf_error_set(err, JF_EFORMAT, name, JF_OFFSET_UNKNOWN,
                                "piece %zu '%.64s' is already defined", id, sp->piece);
        if (type == SP_PIECE_UNKNOWN) {
            if (m->unk >= 0)
                return jf_error_set(err, JF_EFORMAT, name, JF_OFFSET_UNKNOWN,
                                    "piece %zu: a second UNKNOWN piece", id);
            m->unk = (int32_t)id;
        } else if (type == SP_PIECE_BYTE) {
            int b = byte_piece_value(sp->piece, len);
            if (b < 0)
                return jf_error_set(err, JF_EFORMAT, name, JF_OFFSET_UNKNOWN,
                                    "piece %zu '%.64s': a BYTE piece must be <0x00>..<0xFF>",
                                    id, sp->piece);
            m->byte_id[b] = (int32_t)id;
        } else if (type == SP_PIECE_USER_DEFINED) {
            if (len > m->max_user_len) m->max_user_len = len;
            sp_model_user_note(m, (const uint8_t *)sp->piece, len);
        } else if (type == SP_PIECE_UNUSED) {
            m->has_unused = true;
        }
        if (!(p->score > -INFINITY)) m->low_score = true;   /* -inf or NaN */
    }
    if (m->unk < 0)
        return jf_error_set(err, JF_EFORMAT, name, JF_OFFSET_UNKNOWN, "model has no UNKNOWN piece");
    /* Checked whole here, so that encoding never reads outside a damaged one. */
    return sp_charsmap_open(&m->cmap, m->charsmap, m->charsmap_len, name, err);
}

/* Inserts a merge into a table of 1 << bits slots; @return true when it was new. */
static bool pair_insert(SpPairSlot *t, unsigned bits, SpPairSlot v)
{
    size_t mask = ((size_t)1 << bits) - 1;
    for (size_t i = (size_t)((v.key * 0x9E3779B97F4A7C15ull) >> (64 - bits));; i = (i + 1) & mask) {
        if (t[i].key == SP_PAIR_EMPTY) {
            t[i] = v;
            return true;
        }
        if (t[i].key == v.key) return false;   /* cannot happen: the texts fix the piece */
    }
}

/* Adds a merge to the merge table, doubling it at three quarters full (a
 * smaller table stays in cache; the longer probes are cheap). @return false
 * when out of memory. */
static bool merge_add(SpModel *m, SpPairSlot v)
{
    if (pair_insert(m->pairs, m->pair_bits, v)) m->n_pairs++;
    if (m->n_pairs * 4 <= ((size_t)3 << m->pair_bits)) return true;
    SpPairSlot *old = m->pairs;
    size_t n_old = (size_t)1 << m->pair_bits;
    if (!(m->pairs = jf_malloc(sizeof *m->pairs << (m->pair_bits + 1)))) {
        m->pairs = old;
        return false;
    }
    m->pair_bits++;
    for (size_t k = 0; k < ((size_t)1 << m->pair_bits); k++) m->pairs[k].key = SP_PAIR_EMPTY;
    for (size_t k = 0; k < n_old; k++)
        if (old[k].key != SP_PAIR_EMPTY) pair_insert(m->pairs, m->pair_bits, old[k]);
    jf_free(old);
    return true;
}

/* Adds a code point pair to the adjacency set, doubling it at half full.
 * @return false when out of memory. */
static bool adj_insert(SpModel *m, size_t *count, uint64_t key)
{
    size_t mask = ((size_t)1 << m->adj_bits) - 1;
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - m->adj_bits));
    for (; m->adj[i] != SP_PAIR_EMPTY; i = (i + 1) & mask)
        if (m->adj[i] == key) return true;
    m->adj[i] = key;
    if (++*count * 2 <= mask + 1) return true;
    uint64_t *old = m->adj;
    unsigned bits = m->adj_bits + 1;
    if (!(m->adj = jf_malloc(sizeof *m->adj << bits))) {
        m->adj = old;
        return false;
    }
    for (size_t k = 0; k < ((size_t)1 << bits); k++) m->adj[k] = SP_PAIR_EMPTY;
    m->adj_bits = bits;
    for (size_t k = 0; k <= mask; k++) {
        if (old[k] == SP_PAIR_EMPTY) continue;
        size_t j = (size_t)((old[k] * 0x9E3779B97F4A7C15ull) >> (64 - bits));
        while (m->adj[j] != SP_PAIR_EMPTY) j = (j + 1) & (((size_t)1 << bits) - 1);
        m->adj[j] = old[k];
    }
    jf_free(old);
    return true;
}

/* Calls each split of the mergeable piece id at a character boundary k into
 * pieces l and r (-1 when a half is no piece); cp_l, cp_r: the code points
 * on each side of the boundary. */
typedef bool (*SplitFn)(SpModel *m, void *ctx, uint32_t id, int32_t l, int32_t r, uint32_t cp_l,
                        uint32_t cp_r);

static bool piece_splits(SpModel *m, uint32_t id, SplitFn fn, void *ctx)
{
    const SpPiece *p = &m->pieces[id];
    const uint8_t *t = (const uint8_t *)p->text;
    size_t first = sp_utf8_valid_len(t, p->len);
    uint32_t prev_cp = sp_utf8_decode(t, first);
    for (size_t k = first, cl; k < p->len; k += cl) {
        cl = sp_utf8_valid_len(t + k, p->len - k);
        uint32_t cp = sp_utf8_decode(t + k, cl);
        int32_t l = sp_model_find(m, p->text, k), r = sp_model_find(m, p->text + k, p->len - k);
        if (!fn(m, ctx, id, l, r, prev_cp, cp)) return false;
        prev_cp = cp;
    }
    return true;
}

static bool split_add(SpModel *m, void *ctx, uint32_t id, int32_t l, int32_t r, uint32_t cp_l,
                      uint32_t cp_r)
{
    if (!adj_insert(m, ctx, (uint64_t)cp_l << 32 | cp_r)) return false;
    if (cp_l < SP_CHAR_TABLE) m->char_adj[cp_l] |= SP_ADJ_LEFT;
    if (cp_r < SP_CHAR_TABLE) m->char_adj[cp_r] |= SP_ADJ_RIGHT;
    if ((cp_l | cp_r) < 256) {
        uint32_t bit = cp_l << 8 | cp_r;
        m->adj_latin[bit >> 6] |= (uint64_t)1 << (bit & 63);
    }
    return l < 0 || r < 0 ||
           merge_add(m, (SpPairSlot){ (uint64_t)l << 32 | (uint32_t)r, id, m->pieces[id].score });
}

/* The merge table: for every mergeable piece, every split at a character
 * boundary into two texts that are both pieces (of any type: a symbol's id
 * only names its text). Encoding then looks candidate pairs up by id, as the
 * merges of a Hugging Face tokenizer.json are derived (formats.md section 2).
 * Also the direct table of one-character pieces below U+10000, the set of
 * code point pairs that occur side by side in a mergeable piece, and which
 * characters a merge can join on their left or right (char_adj). The tables
 * grow with what they hold: encoding probes them for every pair of
 * characters, and small tables stay in cache. */
static JfStatus model_pairs_build(SpModel *m, const char *name, JfError *err)
{
    size_t n_adj = 0;
    m->pair_bits = 10;
    m->adj_bits = 10;
    m->pairs = jf_malloc(sizeof *m->pairs << m->pair_bits);
    m->adj = jf_malloc(sizeof *m->adj << m->adj_bits);
    m->char_id = jf_malloc(SP_CHAR_TABLE * sizeof *m->char_id);
    m->char_adj = jf_calloc(SP_CHAR_TABLE, sizeof *m->char_adj);
    if (!m->pairs || !m->adj || !m->char_id || !m->char_adj) goto out_nomem;
    for (size_t i = 0; i < ((size_t)1 << m->pair_bits); i++) m->pairs[i].key = SP_PAIR_EMPTY;
    for (size_t i = 0; i < ((size_t)1 << m->adj_bits); i++) m->adj[i] = SP_PAIR_EMPTY;
    for (size_t i = 0; i < SP_CHAR_TABLE; i++) m->char_id[i] = -1;
    for (uint32_t id = 0; id < m->n; id++) {
        const SpPiece *p = &m->pieces[id];
        size_t first = sp_utf8_valid_len((const uint8_t *)p->text, p->len);
        if (first == p->len && first < 4) {
            uint32_t cp = sp_utf8_decode((const uint8_t *)p->text, first);
            if (m->char_id[cp] < 0) m->char_id[cp] = (int32_t)id;
        }
        if (sp_piece_is_mergeable(p->type) && !piece_splits(m, id, split_add, &n_adj))
            goto out_nomem;
    }
    return JF_OK;
out_nomem:
    return jf_error_set(err, JF_ENOMEM, name, JF_OFFSET_UNKNOWN, "out of memory (merge table)");
}

/* protobuf-c keeps the tag of an unknown field in 32 bits: a field number
 * past 2^29 - 1 (or 0) parses but would be written back as a tag no parser
 * takes, so such a file is refused here (found by fuzz_spmodel). */
static bool unknown_ok(const ProtobufCMessage *msg)
{
    for (unsigned i = 0; msg && i < msg->n_unknown_fields; i++)
        if (msg->unknown_fields[i].tag == 0 || msg->unknown_fields[i].tag > 0x1FFFFFFFu) return false;
    return true;
}

static JfStatus unknown_fields_check(const JfSp__ModelProto *mp, const char *name, JfError *err)
{
    bool ok = unknown_ok(&mp->base) && unknown_ok((const ProtobufCMessage *)mp->trainer_spec) &&
              unknown_ok((const ProtobufCMessage *)mp->normalizer_spec) &&
              unknown_ok((const ProtobufCMessage *)mp->denormalizer_spec) &&
              unknown_ok((const ProtobufCMessage *)mp->self_test_data);
    for (size_t i = 0; ok && i < mp->n_pieces; i++) ok = unknown_ok(&mp->pieces[i]->base);
    return ok ? JF_OK : jf_error_set(err, JF_EFORMAT, name, JF_OFFSET_UNKNOWN,
                                     "not a SentencePiece model (a field number out of range)");
}

JfStatus sp_model_load_buffer(const uint8_t *data, size_t len, const char *name,
                              SpModel **out, JfError *err)
{
    *out = NULL;
    if (len > SP_MODEL_MAX_BYTES)
        return jf_error_set(err, JF_ETOOBIG, name, JF_OFFSET_UNKNOWN,
                            "model file larger than 2 GiB");
    SpModel *m = jf_calloc(1, sizeof *m);
    if (!m) return jf_error_set(err, JF_ENOMEM, name, JF_OFFSET_UNKNOWN, "out of memory");
    bool oom = false;
    ProtobufCAllocator alloc = { pb_alloc, pb_free, &oom };
    m->proto = jf_sp__model_proto__unpack(&alloc, len, data);
    if (!m->proto) {
        jf_free(m);
        if (oom) return jf_error_set(err, JF_ENOMEM, name, JF_OFFSET_UNKNOWN, "out of memory");
        return jf_error_set(err, JF_EFORMAT, name, JF_OFFSET_UNKNOWN,
                            "not a SentencePiece model (protobuf ModelProto does not parse: "
                            "truncated or corrupted file?)");
    }
    JfStatus rc = unknown_fields_check(m->proto, name, err);
    if (rc == JF_OK) rc = model_index(m, name, err);
    if (rc == JF_OK) rc = model_pairs_build(m, name, err);
    if (rc != JF_OK) {
        sp_model_close(m);
        return rc;
    }
    *out = m;
    return JF_OK;
}

JfStatus sp_model_load(const char *path, SpModel **out, JfError *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
    JfStatus rc = JF_OK;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap > SP_MODEL_MAX_BYTES) {
                rc = jf_error_set(err, JF_ETOOBIG, path, JF_OFFSET_UNKNOWN,
                                  "model file larger than 2 GiB");
                goto out_free;
            }
            cap = cap ? cap * 2 : 1 << 20;
            uint8_t *nb = jf_realloc(buf, cap);
            if (!nb) {
                rc = jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "out of memory");
                goto out_free;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        rc = jf_error_set(err, JF_EIO, path, len, "read error");
        goto out_free;
    }
    rc = sp_model_load_buffer(buf, len, path, out, err);
out_free:
    jf_free(buf);
    fclose(f);
    return rc;
}

void sp_model_close(SpModel *m)
{
    if (!m) return;
    if (m->proto) jf_sp__model_proto__free_unpacked(m->proto, &PB_ALLOC);
    jf_free(m->pieces);
    jf_free(m->slots);
    jf_free(m->pairs);
    jf_free(m->adj);
    jf_free(m->char_id);
    jf_free(m->char_adj);
    jf_free(m);
}

JfStatus sp_model_serialize(const SpModel *m, uint8_t **out, size_t *len, JfError *err)
{
    size_t n = jf_sp__model_proto__get_packed_size(m->proto);
    uint8_t *buf = jf_malloc(n ? n : 1);
    if (!buf) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    size_t w = jf_sp__model_proto__pack(m->proto, buf);
    if (w != n) {
        jf_free(buf);
        return jf_error_set(err, JF_EINTERNAL, NULL, JF_OFFSET_UNKNOWN,
                            "protobuf-c packed %zu bytes, expected %zu", w, n);
    }
    *out = buf;
    *len = n;
    return JF_OK;
}

JfStatus sp_model_save(const SpModel *m, const char *path, JfError *err)
{
    uint8_t *buf;
    size_t len;
    JfStatus rc = sp_model_serialize(m, &buf, &len, err);
    if (rc != JF_OK) return rc;
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        rc = jf_error_set(err, JF_EUSAGE, path, JF_OFFSET_UNKNOWN, "path too long");
        goto out_free;
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        rc = jf_error_set(err, JF_EIO, tmp, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
        goto out_free;
    }
    bool ok = fwrite(buf, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        rc = jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot write: %s",
                          strerror(errno));
        remove(tmp);
    }
out_free:
    jf_free(buf);
    return rc;
}

size_t sp_model_size(const SpModel *m) { return m->n; }
const SpModelInfo *sp_model_info(const SpModel *m) { return &m->info; }

const char *sp_model_piece(const SpModel *m, uint32_t id, size_t *len)
{
    if (len) *len = m->pieces[id].len;
    return m->pieces[id].text;
}

float sp_model_score(const SpModel *m, uint32_t id) { return m->pieces[id].score; }
SpPieceType sp_model_type(const SpModel *m, uint32_t id) { return m->pieces[id].type; }

static size_t count_unknown(const ProtobufCMessage *msg)
{
    if (!msg) return 0;
    size_t n = msg->n_unknown_fields;
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE) continue;
        const char *base = (const char *)msg + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t cnt = *(const size_t *)((const char *)msg + f->quantifier_offset);
            ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)base;
            for (size_t k = 0; k < cnt; k++) n += count_unknown(arr[k]);
        } else {
            n += count_unknown(*(ProtobufCMessage *const *)base);
        }
    }
    return n;
}

size_t sp_model_unknown_field_count(const SpModel *m)
{
    return count_unknown(m->proto);
}
