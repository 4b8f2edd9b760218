/* normalize.c: the normalizer of normalize.h. Input is processed in chunks
 * (NORM_CHUNK bytes, cut at points that are boundaries for every step), each
 * going through three passes:
 *   norm_clean  steps 1-3: UTF-8 repair, control removal, line endings;
 *   ICU         step 4 (normalize_icu.cc), skipped for NORM_NONE;
 *   norm_ws     steps 5-6: spaces and blank lines, a state machine whose state
 *               (WsState) carries across chunks, writing into the caller's out.
 * So scratch memory is a few chunk sizes however long the document is.
 * Does not detect charsets or strip markup. */
#include "normalize.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "jf_alloc.h"
#include "normalize_int.h"

/* Big enough that per-chunk overhead (an ICU call) vanishes, small enough to
 * stay in L2 cache between the passes. */
#define NORM_CHUNK ((size_t)64 * 1024)

/* Scratch buffers above this are freed after a call, so one huge document
 * does not pin memory for the rest of the run. */
#define NORM_SCRATCH_KEEP ((size_t)4 * 1024 * 1024)

/* Word-at-a-time byte tests (SWAR): 8 bytes per step on the common runs. */
#define SWAR_ONES  0x0101010101010101ull
#define SWAR_HIGHS 0x8080808080808080ull

static inline uint64_t swar_load(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);   /* unaligned load, one instruction */
    return w;
}

/* Nonzero iff some byte of w is zero (exact as a boolean). */
static inline uint64_t swar_has_zero(uint64_t w) { return (w - SWAR_ONES) & ~w & SWAR_HIGHS; }
static inline uint64_t swar_has_byte(uint64_t w, uint8_t b) { return swar_has_zero(w ^ (SWAR_ONES * b)); }

/* Nonzero unless all 8 bytes are printable ASCII 0x20-0x7E. */
static inline uint64_t swar_not_printable(uint64_t w)
{
    return (w & SWAR_HIGHS) | ((w - SWAR_ONES * 0x20) & ~w & SWAR_HIGHS) | swar_has_byte(w, 0x7F);
}

/* Output state of steps 5-6 between content bytes. */
typedef struct {
    size_t nl_pending;    /* newlines since the last content byte */
    bool   space_pending; /* a space run since the last content byte, same line */
    bool   started;       /* content has been written (leading blank lines are dropped) */
} WsState;

struct Normalizer {
    NormalizerOptions opt;
    const void       *n2;       /* ICU Normalizer2 (shared, static); NULL for NORM_NONE */
    size_t            max_nl;   /* newlines written at most between two lines: max_blank_lines+1 */
    JfBuf             clean;    /* one chunk after steps 1-3 */
    JfBuf             normed;   /* one chunk after step 4 */
    char              profile[48];
};

void normalizer_options_default(NormalizerOptions *o)
{
    o->form = NORM_NFKC;
    o->collapse_spaces = true;
    o->max_blank_lines = 1;
}

static const char *norm_form_name(NormForm f)
{
    switch (f) {
    case NORM_NFKC: return "nfkc";
    case NORM_NFC:  return "nfc";
    case NORM_NONE: return "none";
    }
    return "?";
}

JfStatus normalizer_open(const NormalizerOptions *opt, Normalizer **out, JfError *err)
{
    NormalizerOptions def;
    *out = NULL;
    if (!opt) {
        normalizer_options_default(&def);
        opt = &def;
    }
    if ((unsigned)opt->form > NORM_NONE)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "unknown normalization form %d", (int)opt->form);

    Normalizer *nz = jf_calloc(1, sizeof *nz);
    if (!nz) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "normalizer");
    nz->opt = *opt;
    nz->max_nl = opt->max_blank_lines >= SIZE_MAX - 1 ? SIZE_MAX : opt->max_blank_lines + 1;
    jf_buf_init(&nz->clean, 0);
    jf_buf_init(&nz->normed, 0);
    if (opt->form != NORM_NONE) {
        nz->n2 = norm_icu_instance(opt->form, err);
        if (!nz->n2) {
            jf_free(nz);
            return JF_EINTERNAL;
        }
    }
    char bl[32] = "";
    if (opt->max_blank_lines != 1) snprintf(bl, sizeof bl, "+bl%zu", opt->max_blank_lines);
    snprintf(nz->profile, sizeof nz->profile, "%s%s%s-v1", norm_form_name(opt->form),
             opt->collapse_spaces ? "+ws" : "", bl);
    *out = nz;
    return JF_OK;
}

void normalizer_close(Normalizer *nz)
{
    if (!nz) return;
    jf_buf_free(&nz->clean);
    jf_buf_free(&nz->normed);
    jf_free(nz);
}

const char *normalizer_profile_name(const Normalizer *nz) { return nz->profile; }

/* @return the end of the chunk starting at start. A cut after \n, or before
 * printable ASCII, space or tab, is a boundary for every step: step 1 never
 * joins bytes across it (CR LF stays whole since \n is cut after, and a
 * broken UTF-8 sequence ends at an ASCII byte anyway), NFC/NFKC have a
 * boundary before every ASCII character (none composes with what precedes
 * it), and steps 5-6 carry their state. We do not cut before a control
 * character: removing it could join a base letter and a combining mark. */
static size_t norm_chunk_end(const uint8_t *in, size_t n, size_t start)
{
    if (n - start <= NORM_CHUNK) return n;
    for (size_t i = start + NORM_CHUNK; i < n; i++) {
        uint8_t b = in[i];
        if (b == '\n') return i + 1;
        if ((b >= 0x20 && b < 0x7F) || b == '\t') return i;
    }
    return n;   /* no ASCII in the rest: one chunk (memory stays linear) */
}

/* Steps 1-3 of n bytes at in into dst (reset first). Kept bytes are copied
 * in runs. Output never exceeds input except by U+FFFD (3 bytes for a bad
 * subpart of 1-2 bytes), so room is checked only there.
 * @return JF_OK, JF_ENOMEM or JF_ETOOBIG. */
static JfStatus norm_clean(JfBuf *dst, const uint8_t *in, size_t n)
{
    jf_buf_reset(dst);
    JfStatus rc = jf_buf_reserve(dst, n + 16);
    if (rc != JF_OK) return rc;

    uint8_t *o = dst->data;
    size_t   olen = 0, room = dst->cap - 1;   /* invariant: olen + (n - i) <= room */
    size_t   i = 0, run = 0;                  /* in[run, i) is kept, not yet copied */
    while (i < n) {
        uint8_t b = in[i];
        if (b >= 0x20 && b < 0x7F) {          /* printable ASCII: 8 at a time */
            i++;
            while (i + 8 <= n && !swar_not_printable(swar_load(in + i))) i += 8;
            continue;
        }
        /* 3-byte sequences whose code points are all kept: U+1000-1FFF,
         * U+3000-CFFF (kana, CJK, Hangul), U+E000-EFFF. Only E0/E2/ED/EF
         * leads need the full decoder and clean_action. */
        if ((b == 0xE1 || (b >= 0xE3 && b <= 0xEC) || b == 0xEE) && i + 2 < n &&
            (in[i + 1] & 0xC0) == 0x80 && (in[i + 2] & 0xC0) == 0x80) {
            i += 3;
            continue;
        }
        uint32_t c;
        size_t   k = utf8_decode(in + i, n - i, &c);
        int      act = c == UTF8_BAD ? -1 : clean_action(c);
        if (act == CLEAN_KEEP) {
            i += k;
            continue;
        }
        memcpy(o + olen, in + run, i - run);
        olen += i - run;
        if (act == -1) {
            if (olen + 3 + (n - i - k) > room) {
                dst->len = olen;
                rc = jf_buf_reserve(dst, 3 + (n - i - k) + 16);
                if (rc != JF_OK) return rc;
                o = dst->data;
                room = dst->cap - 1;
            }
            memcpy(o + olen, "\xEF\xBF\xBD", 3);
            olen += 3;
        } else if (act == CLEAN_NL) {
            o[olen++] = '\n';
        } else if (act == CLEAN_CR) {
            o[olen++] = '\n';
            if (i + 1 < n && in[i + 1] == '\n') k = 2;
        }
        i += k;
        run = i;
    }
    memcpy(o + olen, in + run, i - run);
    olen += i - run;
    dst->len = olen;
    o[olen] = '\0';
    return JF_OK;
}

/* Byte classes for steps 5-6. */
enum { WS_TEXT = 0, WS_SPACE, WS_NL, WS_MB };

/* collapse_spaces: space, tab, \n, and the lead bytes of wide spaces */
static const uint8_t WS_CLASS[256] = {
    ['\t'] = WS_SPACE, ['\n'] = WS_NL, [' '] = WS_SPACE,
    [0xC2] = WS_MB,     [0xE1] = WS_MB, [0xE2] = WS_MB, [0xE3] = WS_MB,
};
/* collapse_spaces after NFKC, which folds every wide space to U+0020 except
 * U+1680 (E1 9A 80): the lead E3 of all kana and kanji needs no check. */
static const uint8_t WS_CLASS_NFKC[256] = {
    ['\t'] = WS_SPACE, ['\n'] = WS_NL, [' '] = WS_SPACE, [0xE1] = WS_MB,
};
/* otherwise only \n is special */
static const uint8_t NL_CLASS[256] = { ['\n'] = WS_NL };

/* Nonzero if the 8 bytes at w hold a byte special in WS_CLASS_NFKC. */
static inline uint64_t ws_nfkc_special(uint64_t w)
{
    return swar_has_byte(w, ' ') | swar_has_byte(w, '\n') | swar_has_byte(w, '\t') |
           swar_has_byte(w, 0xE1);
}

/* @return the length of the Zs space (other than U+0020) encoded at p, or 0:
 * U+00A0, U+1680, U+2000-200A, U+202F, U+205F, U+3000. NFKC folds all but
 * U+1680 to U+0020; with NFC or none they reach us as they are. */
static inline size_t ws_wide_space_len(const uint8_t *p, size_t avail)
{
    if (p[0] == 0xC2) return avail >= 2 && p[1] == 0xA0 ? 2 : 0;
    if (avail < 3) return 0;
    switch (p[0]) {
    case 0xE1: return p[1] == 0x9A && p[2] == 0x80 ? 3 : 0;
    case 0xE2:
        if (p[1] == 0x80) return p[2] <= 0x8A || p[2] == 0xAF ? 3 : 0;
        return p[1] == 0x81 && p[2] == 0x9F ? 3 : 0;
    case 0xE3: return p[1] == 0x80 && p[2] == 0x80 ? 3 : 0;
    }
    return 0;
}

/* Writes what separates the previous content from the next: newlines
 * (capped by max_blank_lines) or one space, nothing at the start. */
static inline uint8_t *ws_emit_sep(const Normalizer *nz, WsState *st, uint8_t *o)
{
    if (st->started) {
        if (st->nl_pending) {
            size_t k = st->nl_pending < nz->max_nl ? st->nl_pending : nz->max_nl;
            memset(o, '\n', k);
            o += k;
        } else if (st->space_pending) {
            *o++ = ' ';
        }
    }
    st->started = true;
    st->nl_pending = 0;
    st->space_pending = false;
    return o;
}

/* Steps 5-6 of n bytes of valid UTF-8 at p, appended to out.
 * Output <= n + newlines carried in + 1 space, reserved up front. */
static JfStatus norm_ws(const Normalizer *nz, WsState *st, const uint8_t *p, size_t n,
                        JfBuf *out)
{
    size_t carried = st->nl_pending < nz->max_nl ? st->nl_pending : nz->max_nl;
    JfStatus rc = jf_buf_reserve(out, n + carried + 1);
    if (rc != JF_OK) return rc;

    const uint8_t *cls = !nz->opt.collapse_spaces     ? NL_CLASS
                         : nz->opt.form == NORM_NFKC ? WS_CLASS_NFKC
                                                     : WS_CLASS;
    bool           swar = cls == WS_CLASS_NFKC;
    uint8_t       *o = out->data + out->len;
    size_t         i = 0, sp;
    while (i < n) {
        uint8_t c = cls[p[i]];
        if (c == WS_NL) {
            st->nl_pending++;
            st->space_pending = false;   /* trailing spaces of a line go */
            i++;
        } else if (c == WS_SPACE) {
            st->space_pending = true;
            i++;
        } else if (c == WS_MB && (sp = ws_wide_space_len(p + i, n - i)) != 0) {
            st->space_pending = true;
            i += sp;
        } else {
            size_t j = i + 1;   /* a run of content bytes, copied at once */
            if (swar)
                while (j + 8 <= n && !ws_nfkc_special(swar_load(p + j))) j += 8;
            while (j < n) {
                uint8_t d = cls[p[j]];
                if (d == WS_TEXT || (d == WS_MB && ws_wide_space_len(p + j, n - j) == 0)) j++;
                else break;
            }
            o = ws_emit_sep(nz, st, o);
            memcpy(o, p + i, j - i);
            o += j - i;
            i = j;
        }
    }
    out->len = (size_t)(o - out->data);
    out->data[out->len] = '\0';
    return JF_OK;
}

static void norm_scratch_trim(JfBuf *b)
{
    if (b->cap > NORM_SCRATCH_KEEP) jf_buf_free(b);
}

JfStatus normalizer_apply(Normalizer *nz, const char *in, size_t len, JfBuf *out, JfError *err)
{
    jf_buf_reset(out);
    JfStatus rc = jf_buf_reserve(out, len < NORM_CHUNK ? len : NORM_CHUNK);
    if (rc != JF_OK)
        return jf_error_set(err, rc, NULL, 0, "normalized text: %s", jf_status_text(rc));

    const uint8_t *p = (const uint8_t *)in;
    WsState        st = { 0, false, false };
    for (size_t start = 0; start < len && rc == JF_OK;) {
        size_t end = norm_chunk_end(p, len, start);
        rc = norm_clean(&nz->clean, p + start, end - start);
        if (rc != JF_OK) {
            jf_error_set(err, rc, NULL, start, "cleaning text: %s", jf_status_text(rc));
            break;
        }
        const JfBuf *src = &nz->clean;
        if (nz->n2) {
            jf_buf_reset(&nz->normed);
            rc = norm_icu_apply(nz->n2, nz->clean.data, nz->clean.len, &nz->normed, err);
            if (rc != JF_OK) {
                if (err) err->offset = start;
                break;
            }
            src = &nz->normed;
        }
        rc = norm_ws(nz, &st, src->data, src->len, out);
        if (rc != JF_OK)
            jf_error_set(err, rc, NULL, start, "normalized text: %s", jf_status_text(rc));
        start = end;
    }
    out->data[out->len] = '\0';   /* a fresh buffer reserved above has no NUL yet */
    norm_scratch_trim(&nz->clean);
    norm_scratch_trim(&nz->normed);
    return rc;
}
