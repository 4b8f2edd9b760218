/* bpe_decode.c: ids back to text, as SentencePiece 0.1.97's
 * SentencePieceProcessor::Decode does it (see bpe_encode.h for the contract).
 * Handles the dummy prefix only in the usual prefix position; with
 * treat_whitespace_as_suffix the trailing space is not removed.
 * Does not encode (bpe_encode.c). */
#include <string.h>

#include "bpe_encode.h"
#include "sp_model_int.h"

static int byte_of_piece(const SpPiece *p)
{
    static const char HEX[] = "0123456789ABCDEF";
    const char *hi = memchr(HEX, p->text[3], 16), *lo = memchr(HEX, p->text[4], 16);
    return (int)((hi - HEX) * 16 + (lo - HEX));   /* checked at load */
}

/* Flushes the collected byte pieces: valid UTF-8 characters as they are,
 * every byte that does not start one as U+FFFD. */
static JfStatus bytes_flush(const uint8_t *b, size_t n, JfBuf *out)
{
    size_t i = 0;
    while (i < n) {
        size_t k = sp_utf8_valid_len(b + i, n - i);
        JfStatus rc = k ? jf_buf_append(out, b + i, k) : jf_buf_append(out, "\xEF\xBF\xBD", 3);
        if (rc != JF_OK) return rc;
        i += k ? k : 1;
    }
    return JF_OK;
}

/* Appends piece text with U+2581 -> ' ', dropping one leading U+2581 when
 * the piece begins the text and the model adds a dummy prefix. */
static JfStatus piece_put(const SpModel *m, const SpPiece *p, bool at_start, JfBuf *out)
{
    const char *t = p->text;
    size_t n = p->len;
    if (at_start && m->info.add_dummy_prefix && n >= SP_SPACE_LEN &&
        !memcmp(t, SP_SPACE, SP_SPACE_LEN)) {
        t += SP_SPACE_LEN;
        n -= SP_SPACE_LEN;
    }
    size_t run = 0;
    for (size_t i = 0; i < n;) {
        if (n - i >= SP_SPACE_LEN && !memcmp(t + i, SP_SPACE, SP_SPACE_LEN)) {
            JfStatus rc = jf_buf_append(out, t + run, i - run);
            if (rc == JF_OK) rc = jf_buf_append_byte(out, ' ');
            if (rc != JF_OK) return rc;
            i += SP_SPACE_LEN;
            run = i;
        } else {
            i++;
        }
    }
    return jf_buf_append(out, t + run, n - run);
}

JfStatus bpe_decode(const SpModel *m, const uint32_t *ids, size_t n, JfBuf *out, JfError *err)
{
    size_t base = out->len;          /* "at the start" means nothing written yet */
    uint8_t bytes[256];
    size_t nbytes = 0;
    JfStatus rc = JF_OK;
    for (size_t i = 0; i < n && rc == JF_OK; i++) {
        if (ids[i] >= m->n)
            return jf_error_set(err, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN,
                                "id %u is out of range (the model has %zu pieces)",
                                (unsigned)ids[i], m->n);
        const SpPiece *p = &m->pieces[ids[i]];
        if (p->type == SP_PIECE_BYTE) {
            if (nbytes == sizeof bytes) {
                /* Flush at a character boundary: keep an unfinished character. */
                size_t keep = 0;
                while (keep < 3 && keep < nbytes && (bytes[nbytes - 1 - keep] & 0xC0) == 0x80)
                    keep++;
                if (keep < nbytes && bytes[nbytes - 1 - keep] >= 0xC0) keep++;
                else keep = 0;
                rc = bytes_flush(bytes, nbytes - keep, out);
                memmove(bytes, bytes + nbytes - keep, keep);
                nbytes = keep;
            }
            bytes[nbytes++] = (uint8_t)byte_of_piece(p);
            continue;
        }
        rc = bytes_flush(bytes, nbytes, out);
        nbytes = 0;
        if (rc != JF_OK) break;
        if (p->type == SP_PIECE_CONTROL) continue;             /* <s>, </s>: invisible */
        if (p->type == SP_PIECE_UNKNOWN) {
            rc = jf_buf_append_str(out, m->info.unk_surface);
            continue;
        }
        rc = piece_put(m, p, out->len == base, out);
    }
    if (rc == JF_OK) rc = bytes_flush(bytes, nbytes, out);
    if (rc != JF_OK)
        return jf_error_set(err, rc, NULL, JF_OFFSET_UNKNOWN, "decoded text: %s",
                            jf_status_text(rc));
    return JF_OK;
}
