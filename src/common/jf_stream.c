/* jf_stream.c: one decompressed byte stream over plain, gzip (zlib, members
 * back to back), zstd (frames back to back) or bzip2 (streams back to back,
 * as Wikipedia's multistream dumps are) files. */
#include "jf_stream.h"

#include <bzlib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

#include "jf_alloc.h"

#define STREAM_CHUNK (256u * 1024u)
#define STREAM_SLACK (4u * 1024u)   /* past a small file's end: one read sees it */

struct JfStream {
    FILE      *f;
    bool       own;
    char      *path;
    JfCodec    codec;
    uint8_t   *in;            /* compressed bytes from the file */
    size_t     in_cap, in_pos, in_len;
    bool       file_eof;
    uint64_t   file_bytes;
    uint8_t   *out;           /* decompressed bytes not yet consumed: out[out_pos..out_len) */
    size_t     out_cap, out_pos, out_len;
    uint64_t   out_off;       /* stream offset of out[out_pos] */
    bool       done;          /* no more output */
    bool       failed;        /* decoder error already reported */
    bool       bomb;          /* stopped at the decompression ratio; not yet reported */
    uint32_t   max_ratio;     /* 0: no limit */
    uint64_t   produced;      /* decompressed bytes so far */
    bool       member_end;    /* gzip/bzip2: a member ended; the next one may follow */
    bool       zstd_between;  /* zstd: the last frame is complete */
    z_stream   z;
    bool       z_init;
    bz_stream  bz;
    bool       bz_init;
    ZSTD_DCtx *zd;
};

static bool in_refill(JfStream *s)
{
    if (s->in_pos < s->in_len) return true;
    if (s->file_eof) return false;
    s->in_pos = 0;
    s->in_len = fread(s->in, 1, s->in_cap, s->f);
    s->file_bytes += s->in_len;
    if (s->in_len == 0) s->file_eof = true;
    return s->in_len > 0;
}

static JfCodec sniff(const uint8_t *p, size_t n)
{
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) return JF_CODEC_GZIP;
    if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) return JF_CODEC_ZSTD;
    if (n >= 3 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h') return JF_CODEC_BZIP2;
    return JF_CODEC_PLAIN;
}

static JfStatus codec_init(JfStream *s)
{
    switch (s->codec) {
    case JF_CODEC_GZIP:
        if (inflateInit2(&s->z, 15 + 32) != Z_OK) return JF_ENOMEM;
        s->z_init = true;
        return JF_OK;
    case JF_CODEC_ZSTD:
        return (s->zd = ZSTD_createDCtx()) ? JF_OK : JF_ENOMEM;
    case JF_CODEC_BZIP2:
        if (BZ2_bzDecompressInit(&s->bz, 0, 0) != BZ_OK) return JF_ENOMEM;
        s->bz_init = true;
        return JF_OK;
    default:
        return JF_OK;
    }
}

/* A small regular file gets an input buffer of about its size and, when it is
 * compressed, a window of eight times that, not STREAM_CHUNK each: readers of
 * many small files stay cheap. */
static void size_input(JfStream *s)
{
    struct stat st;
    s->in_cap = STREAM_CHUNK;
    if (fstat(fileno(s->f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size < STREAM_CHUNK)
        s->in_cap = (size_t)st.st_size + STREAM_SLACK;
}

static size_t window_size(const JfStream *s)
{
    if (s->in_cap == STREAM_CHUNK) return STREAM_CHUNK;
    if (s->codec == JF_CODEC_PLAIN) return s->in_cap;
    size_t w = s->in_cap * 8;
    return w < STREAM_CHUNK ? w : STREAM_CHUNK;
}

JfStatus jf_stream_open(const char *path, JfStream **out, JfError *err)
{
    *out = NULL;
    JfStream *s = jf_calloc(1, sizeof *s);
    if (!s || !(s->path = jf_strdup(path))) {
        jf_stream_close(s);
        return jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "out of memory");
    }
    if (!strcmp(path, "-")) {
        s->f = stdin;
    } else if (!(s->f = fopen(path, "rb"))) {
        JfStatus rc = jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot open: %s",
                                   strerror(errno));
        jf_stream_close(s);
        return rc;
    } else {
        s->own = true;
    }
    size_input(s);
    if (!(s->in = jf_malloc(s->in_cap))) {
        jf_stream_close(s);
        return jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "out of memory");
    }
    in_refill(s);
    s->codec = sniff(s->in, s->in_len);
    s->max_ratio = JF_MAX_RATIO_DEFAULT;
    s->out_cap = window_size(s);
    if (!(s->out = jf_malloc(s->out_cap)) || codec_init(s) != JF_OK) {
        jf_stream_close(s);
        return jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "out of memory");
    }
    *out = s;
    return JF_OK;
}

void jf_stream_close(JfStream *s)
{
    if (!s) return;
    if (s->own && s->f) fclose(s->f);
    if (s->z_init) inflateEnd(&s->z);
    if (s->bz_init) BZ2_bzDecompressEnd(&s->bz);
    ZSTD_freeDCtx(s->zd);
    jf_free(s->in);
    jf_free(s->out);
    jf_free(s->path);
    jf_free(s);
}

JfCodec jf_stream_codec(const JfStream *s) { return s->codec; }
const char *jf_stream_path(const JfStream *s) { return s->path; }
uint64_t jf_stream_file_bytes(const JfStream *s) { return s->file_bytes; }
void jf_stream_set_max_ratio(JfStream *s, uint32_t max_ratio) { s->max_ratio = max_ratio; }

/* A member (gzip) or stream (bzip2) ended: go on only if more input follows. */
static bool next_member(JfStream *s)
{
    if (!in_refill(s)) return false;
    if (s->codec == JF_CODEC_GZIP) return inflateReset(&s->z) == Z_OK;
    BZ2_bzDecompressEnd(&s->bz);
    memset(&s->bz, 0, sizeof s->bz);
    s->bz_init = BZ2_bzDecompressInit(&s->bz, 0, 0) == BZ_OK;
    return s->bz_init;
}

/* Decompresses into out + at, up to room bytes. @return bytes produced; sets
 * s->done at the end, s->failed (and returns 0) on corrupt data. */
static size_t decode_some(JfStream *s, uint8_t *at, size_t room)
{
    size_t made = 0;
    while (made == 0 && !s->done) {
        if (s->member_end) {
            s->member_end = false;
            if (!next_member(s)) { s->done = true; break; }
        }
        if (!in_refill(s)) {
            /* input over: fine only where a frame just ended (gzip and bzip2
             * members end through member_end) */
            if (s->codec != JF_CODEC_PLAIN && !s->zstd_between) s->failed = true;
            s->done = true;
            break;
        }
        const uint8_t *src = s->in + s->in_pos;
        size_t avail = s->in_len - s->in_pos, used = 0;
        if (s->codec == JF_CODEC_PLAIN) {
            used = made = avail < room ? avail : room;
            memcpy(at, src, made);
        } else if (s->codec == JF_CODEC_GZIP) {
            s->z.next_in = (Bytef *)src, s->z.avail_in = (uInt)avail;
            s->z.next_out = at, s->z.avail_out = (uInt)room;
            int zr = inflate(&s->z, Z_NO_FLUSH);
            used = avail - s->z.avail_in, made = room - s->z.avail_out;
            if (zr == Z_STREAM_END) s->member_end = true;
            else if (zr != Z_OK && zr != Z_BUF_ERROR) { s->failed = s->done = true; made = 0; }
        } else if (s->codec == JF_CODEC_ZSTD) {
            ZSTD_inBuffer ib = { src, avail, 0 };
            ZSTD_outBuffer ob = { at, room, 0 };
            size_t zr = ZSTD_decompressStream(s->zd, &ob, &ib);
            used = ib.pos, made = ob.pos;
            if (ZSTD_isError(zr)) { s->failed = s->done = true; made = 0; }
            s->zstd_between = zr == 0;
        } else {
            s->bz.next_in = (char *)src, s->bz.avail_in = (unsigned)avail;
            s->bz.next_out = (char *)at, s->bz.avail_out = (unsigned)room;
            int br = BZ2_bzDecompress(&s->bz);
            used = avail - s->bz.avail_in, made = room - s->bz.avail_out;
            if (br == BZ_STREAM_END) s->member_end = true;
            else if (br != BZ_OK) { s->failed = s->done = true; made = 0; }
        }
        s->in_pos += used;
    }
    s->produced += made;
    if (s->codec != JF_CODEC_PLAIN && jf_ratio_exceeded(s->produced, s->file_bytes, s->max_ratio))
        s->bomb = s->done = true;
    return made;
}

/* Makes sure out holds at least want unconsumed bytes, or all that is left. */
static JfStatus fill(JfStream *s, size_t want, JfError *err)
{
    if (want > s->out_cap) want = s->out_cap;
    while (s->out_len - s->out_pos < want && !s->done) {
        if (s->out_pos > 0) {   /* compact */
            memmove(s->out, s->out + s->out_pos, s->out_len - s->out_pos);
            s->out_len -= s->out_pos;
            s->out_pos = 0;
        }
        s->out_len += decode_some(s, s->out + s->out_len, s->out_cap - s->out_len);
        if (ferror(s->f))
            return jf_error_set(err, JF_EIO, s->path, s->out_off, "read error: %s", strerror(errno));
    }
    if (s->bomb && s->out_pos == s->out_len) {
        s->bomb = false;
        return jf_error_set(err, JF_ETOOBIG, s->path, s->out_off,
                            "%llu bytes decompressed from %llu: over the %u:1 ratio limit"
                            " (a decompression bomb?); the rest of the file is skipped",
                            (unsigned long long)s->produced, (unsigned long long)s->file_bytes,
                            s->max_ratio);
    }
    if (s->failed && s->out_pos == s->out_len) {
        s->failed = false;
        return jf_error_set(err, JF_ETRUNC, s->path, s->out_off,
                            "compressed data is truncated or corrupt here");
    }
    return JF_OK;
}

JfStatus jf_stream_peek(JfStream *s, const uint8_t **p, size_t cap, size_t *n, JfError *err)
{
    JfStatus rc = fill(s, cap, err);
    if (rc != JF_OK) return rc;
    *p = s->out + s->out_pos;
    size_t have = s->out_len - s->out_pos;
    *n = have < cap ? have : cap;
    return JF_OK;
}

JfStatus jf_stream_read(JfStream *s, void *buf, size_t cap, size_t *n, JfError *err)
{
    *n = 0;
    JfStatus rc = fill(s, 1, err);
    if (rc != JF_OK) return rc;
    size_t have = s->out_len - s->out_pos;
    if (have == 0) return JF_DONE;
    *n = have < cap ? have : cap;
    memcpy(buf, s->out + s->out_pos, *n);
    s->out_pos += *n;
    s->out_off += *n;
    return JF_OK;
}

JfStatus jf_stream_line(JfStream *s, JfBuf *line, size_t max, uint64_t *offset, JfError *err)
{
    jf_buf_reset(line);
    *offset = s->out_off;
    bool skipping = false, any = false;
    for (;;) {
        JfStatus rc = fill(s, 1, err);
        if (rc != JF_OK) return rc;
        size_t have = s->out_len - s->out_pos;
        if (have == 0) break;
        any = true;
        const uint8_t *p = s->out + s->out_pos;
        const uint8_t *nl = memchr(p, '\n', have);
        size_t take = nl ? (size_t)(nl - p) : have;
        if (!skipping && (line->len + take > max || jf_buf_append(line, p, take) != JF_OK))
            skipping = true;
        s->out_pos += take + (nl != NULL);
        s->out_off += take + (nl != NULL);
        if (nl) break;
    }
    if (skipping)
        return jf_error_set(err, JF_ETOOBIG, s->path, *offset, "line longer than %zu bytes skipped", max);
    return any ? JF_ROW : JF_DONE;
}
