/* sp_charsmap.c: SentencePiece's precompiled_charsmap: the check of the blob
 * and darts-clone's commonPrefixSearch over it (see sp_charsmap.h). Units are
 * read byte by byte as little-endian (the blob is little-endian on every
 * host, and need not be aligned); compilers make that one load on x86. */
#include <string.h>

#include "sp_charsmap.h"

/* darts-clone's DoubleArrayUnit, bit by bit: bit 31 marks a value (leaf)
 * unit, bits 0-7 the label, bit 8 "has a leaf child", bits 10-31 the offset
 * to the child block, shifted left by 8 more when bit 9 is set. */
static inline uint32_t unit_at(const SpCharsmap *cm, size_t i)
{
    const uint8_t *p = cm->units + 4 * i;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint32_t unit_label(uint32_t u) { return u & (UINT32_C(1) << 31 | 0xFF); }
static inline uint32_t unit_has_leaf(uint32_t u) { return u >> 8 & 1; }
static inline uint32_t unit_value(uint32_t u) { return u & ((UINT32_C(1) << 31) - 1); }
static inline uint32_t unit_offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }

JfStatus sp_charsmap_open(SpCharsmap *cm, const uint8_t *blob, size_t len, const char *name,
                          JfError *err)
{
    memset(cm, 0, sizeof *cm);
    if (len == 0) return JF_OK;
    if (len <= 4)
        return jf_error_set(err, JF_EFORMAT, name, JF_OFFSET_UNKNOWN,
                            "precompiled_charsmap of %zu bytes is too short", len);
    uint32_t tsize = (uint32_t)blob[0] | (uint32_t)blob[1] << 8 | (uint32_t)blob[2] << 16 |
                     (uint32_t)blob[3] << 24;
    if (tsize > len - 4)
        return jf_error_set(err, JF_EFORMAT, name, JF_OFFSET_UNKNOWN,
                            "precompiled_charsmap: trie of %u bytes in a blob of %zu bytes",
                            tsize, len);
    /* darts-clone's open() takes only whole blocks of 256 units: so does this,
     * and then a child block that starts inside the array ends inside it. */
    if (tsize % 4 || tsize / 4 < 256 || (tsize / 4) % 256)
        return jf_error_set(err, JF_EFORMAT, name, JF_OFFSET_UNKNOWN,
                            "precompiled_charsmap: trie of %u bytes is not whole blocks of "
                            "256 units", tsize);
    cm->units = blob + 4;
    cm->n_units = tsize / 4;
    cm->strings = (const char *)blob + 4 + tsize;
    cm->strings_len = len - 4 - tsize;
    /* A value is good when a NUL follows it inside the strings. */
    const char *nul = NULL;
    for (size_t i = cm->strings_len; i-- > 0;)
        if (!cm->strings[i]) {
            nul = cm->strings + i;
            break;
        }
    size_t last_nul = nul ? (size_t)(nul - cm->strings) : 0;
    const char *why = NULL;
    size_t bad = 0;
    uint32_t root = unit_at(cm, 0);
    if (unit_label(root) != 0 || unit_has_leaf(root) || unit_offset(root) == 0 ||
        (unit_offset(root) | 0xFF) >= cm->n_units)
        why = "the root unit is not a node";
    for (size_t i = 1; !why && i < cm->n_units; i++) {
        uint32_t u = unit_at(cm, i);
        if (unit_label(u) > 0xFF) continue;   /* a value unit: no children */
        size_t base = i ^ unit_offset(u);
        if ((base | 0xFF) >= cm->n_units) {
            why = "a unit's children lie outside the trie";
            bad = i;
        } else if (unit_has_leaf(u)) {
            uint32_t v = unit_value(unit_at(cm, base));
            if (!nul || v > last_nul) {
                why = "a rule's replacement lies outside the strings";
                bad = i;
            }
        }
    }
    if (why) {
        memset(cm, 0, sizeof *cm);
        return jf_error_set(err, JF_EFORMAT, name, JF_OFFSET_UNKNOWN,
                            "precompiled_charsmap is corrupted: %s (unit %zu)", why, bad);
    }
    return JF_OK;
}

size_t sp_charsmap_match(const SpCharsmap *cm, const uint8_t *t, size_t n, const char **out,
                         size_t *out_len)
{
    if (!cm->n_units) return 0;
    size_t pos = unit_offset(unit_at(cm, 0)), best = 0;
    uint32_t value = 0;
    unsigned found = 0;
    for (size_t i = 0; i < n; i++) {
        pos ^= t[i];
        uint32_t u = unit_at(cm, pos);
        if (unit_label(u) != t[i]) break;
        pos ^= unit_offset(u);
        if (unit_has_leaf(u)) {
            /* SentencePiece keeps the first 32 matches (shortest first) and
             * takes the longest of them: later ones are never seen. */
            if (found++ == SP_CHARSMAP_MAX_RESULTS) break;
            best = i + 1;
            value = unit_value(unit_at(cm, pos));
        }
    }
    if (best) {
        *out = cm->strings + value;
        *out_len = strlen(*out);
    }
    return best;
}
