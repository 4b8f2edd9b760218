/* warc_stream.c: the byte stream under the WARC record parser. Reads the file
 * in large blocks, recognizes plain / gzip / zstd by the first bytes, and
 * decompresses into one window of uncompressed bytes, one gzip member or zstd
 * frame at a time so that member boundaries (the record offsets of Common
 * Crawl's per-record gzip layout) are known. A corrupt or truncated member is
 * reported with its file offset and the stream skips to the next member
 * header; nothing here knows what a WARC record is.
 *
 * Why gzip framing is parsed by hand: ISA-L's igzip inflates raw deflate about
 * 2-3x faster than zlib, but to resynchronise after garbage or a corrupt member
 * we must recognise a member header ourselves (scan for 1f 8b 08 + sane flags)
 * and know the exact file offset where each member starts and ends. So we
 * parse the RFC 1952 header here and let igzip inflate the deflate data and
 * verify the CRC32/ISIZE trailer (ISAL_GZIP_NO_HDR_VER). zstd frames are
 * delimited by libzstd itself (ZSTD_decompressStream returns 0 at each frame
 * end); only the WARC-zstd dictionary frame in front is handled here. */
#include "warc_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include "jf_alloc.h"
#include "jf_stream.h"

#define IN_CAP      (1u << 20)    /* initial compressed input buffer */
#define IN_LOW      (128u << 10)  /* keep this much input ahead of the decoder */
#define IN_READ_MIN (64u << 10)   /* smallest read worth a syscall */
#define OUT_MIN     (256u << 10)  /* free window bytes wanted before decoding */
#define W_INIT      (1u << 20)
#define PLAIN_READ  (4u << 20)    /* largest single read() for plain files */
#define GZ_HDR_MAX  (64u << 10)   /* a longer gzip header (name/extra) is garbage */
#define DICT_MAX    (64u << 20)   /* largest zstd dictionary accepted */
#define SLACK       (4u << 10)    /* room past a small file's end: one read sees it */

#define ZSTD_MAGIC      0xFD2FB528u
#define ZSTD_DICT_FRAME 0x184D2A5Du   /* skippable frame holding the WARC-zstd dictionary */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool is_zstd_frame_start(const uint8_t *p)
{
    uint32_t m = le32(p);
    return m == ZSTD_MAGIC || (m & 0xFFFFFFF0u) == 0x184D2A50u;
}

bool warc_ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z') x += 32;
        if (y >= 'A' && y <= 'Z') y += 32;
        if (x != y) return false;
    }
    return *a == *b;
}

/* ---- header lines ---- */

static JfStatus fields_add(WarcField **fields, size_t *count, size_t *cap, const char *name,
                           const char *value)
{
    if (*count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 32;
        WarcField *f = jf_realloc(*fields, ncap * sizeof *f);
        if (!f) return JF_ENOMEM;
        *fields = f;
        *cap = ncap;
    }
    (*fields)[(*count)++] = (WarcField){ name, value };
    return JF_OK;
}

JfStatus warc_fields_parse(char *b, size_t n, size_t i, WarcField **fields, size_t *count,
                           size_t *cap)
{
    size_t o = i;                 /* write cursor; never passes i */
    size_t value_start = 0;       /* of the last field's value, 0 when none */
    while (i < n) {
        size_t ls = i;
        while (i < n && b[i] != '\n') i++;
        size_t le = i > ls && b[i - 1] == '\r' ? i - 1 : i;
        i++;
        if (le == ls) break;      /* the blank line */
        size_t s = ls;
        while (s < le && (b[s] == ' ' || b[s] == '\t')) s++;
        while (le > s && (b[le - 1] == ' ' || b[le - 1] == '\t')) le--;
        if (s > ls && value_start) {   /* continuation: join to the value with one space */
            if (s == le) continue;
            o--;                       /* drop the value's NUL */
            if (o > value_start) b[o++] = ' ';
            memmove(b + o, b + s, le - s);
            o += le - s;
            b[o++] = '\0';
            continue;
        }
        const char *colon = memchr(b + s, ':', le - s);
        if (!colon) {                  /* not a field: tolerated, ignored */
            value_start = 0;
            continue;
        }
        size_t ne = (size_t)(colon - b), vs = ne + 1;
        while (ne > s && (b[ne - 1] == ' ' || b[ne - 1] == '\t')) ne--;
        while (vs < le && (b[vs] == ' ' || b[vs] == '\t')) vs++;
        char *name = b + o;
        memmove(b + o, b + s, ne - s);
        o += ne - s;
        b[o++] = '\0';
        value_start = o;
        memmove(b + o, b + vs, le - vs);
        o += le - vs;
        b[o++] = '\0';
        if (fields_add(fields, count, cap, name, b + value_start) != JF_OK) return JF_ENOMEM;
    }
    return JF_OK;
}

/* ---- gzip header ---- */

GzHdrResult warc_gzip_header_parse(const uint8_t *p, size_t n, size_t *hdr_len)
{
    static const uint8_t magic[3] = { 0x1f, 0x8b, 0x08 };
    for (size_t i = 0; i < 3 && i < n; i++)
        if (p[i] != magic[i]) return GZ_HDR_BAD;
    if (n > 3 && (p[3] & 0xE0)) return GZ_HDR_BAD;   /* reserved flag bits must be 0 */
    if (n < 10) return GZ_HDR_SHORT;
    uint8_t flg = p[3];
    size_t i = 10;
    if (flg & 0x04) {                                 /* FEXTRA */
        if (n < i + 2) return GZ_HDR_SHORT;
        i += 2 + ((size_t)p[i] | (size_t)p[i + 1] << 8);
        if (n < i) return GZ_HDR_SHORT;
    }
    for (uint8_t bit = 0x08; bit <= 0x10; bit <<= 1) { /* FNAME, FCOMMENT: NUL-terminated */
        if (!(flg & bit)) continue;
        const uint8_t *z = i < n ? memchr(p + i, 0, n - i) : NULL;
        if (!z) return GZ_HDR_SHORT;
        i = (size_t)(z - p) + 1;
    }
    if (flg & 0x02) i += 2;                           /* FHCRC */
    if (n < i) return GZ_HDR_SHORT;
    *hdr_len = i;
    return GZ_HDR_OK;
}

/* ---- member ring ---- */

static WarcMember *ring_last(WarcStream *s)
{
    if (!s->ring_count) return NULL;
    return &s->ring[(s->ring_head + s->ring_count - 1) % WARC_MEMBER_RING];
}

static void ring_push(WarcStream *s, uint64_t c_start, uint64_t u_start)
{
    if (s->ring_count == WARC_MEMBER_RING) {
        s->ring_head = (s->ring_head + 1) % WARC_MEMBER_RING;
        s->ring_count--;
    }
    WarcMember *m = &s->ring[(s->ring_head + s->ring_count) % WARC_MEMBER_RING];
    *m = (WarcMember){ .c_start = c_start, .u_start = u_start };
    s->ring_count++;
}

/* Closes the open member; one that produced nothing (a zstd skippable frame, an
 * empty gzip member) is forgotten so it cannot shadow the next one. */
static void ring_finish(WarcStream *s)
{
    WarcMember *m = ring_last(s);
    s->member_open = false;
    if (!m) return;
    m->c_end = s->in_off + s->in_pos;
    m->u_end = s->w_off + s->w_len;
    m->done = true;
    if (m->u_end == m->u_start) s->ring_count--;
}

static void ring_drop_last(WarcStream *s)
{
    if (s->ring_count) s->ring_count--;
    s->member_open = false;
}

bool warc_stream_member_at(const WarcStream *s, uint64_t u, WarcMember *m)
{
    for (size_t k = s->ring_count; k-- > 0;) {
        const WarcMember *e = &s->ring[(s->ring_head + k) % WARC_MEMBER_RING];
        if (e->u_start == u) {
            *m = *e;
            return true;
        }
        if (e->u_start < u) break;
    }
    return false;
}

bool warc_stream_member_is_open_at(const WarcStream *s, uint64_t u)
{
    if (!s->member_open || !s->ring_count) return false;
    const WarcMember *m = &s->ring[(s->ring_head + s->ring_count - 1) % WARC_MEMBER_RING];
    return m->u_start == u && s->w_off + s->w_len >= u;
}

bool warc_stream_member_start_in(const WarcStream *s, uint64_t from, uint64_t to, uint64_t *u)
{
    for (size_t k = 0; k < s->ring_count; k++) {
        const WarcMember *e = &s->ring[(s->ring_head + k) % WARC_MEMBER_RING];
        if (e->u_start > from && e->u_start <= to) {
            *u = e->u_start;
            return true;
        }
    }
    return false;
}

/* ---- compressed input ---- */

/* The first input byte that must stay buffered: the open member's start when
 * it is near (so a corrupt member can be rescanned from its second byte), else
 * the read position. */
static size_t in_keep_index(const WarcStream *s)
{
    if (s->member_open && s->ring_count) {
        const WarcMember *m = &s->ring[(s->ring_head + s->ring_count - 1) % WARC_MEMBER_RING];
        if (m->c_start >= s->in_off) {
            size_t k = (size_t)(m->c_start - s->in_off);
            if (k <= s->in_pos && s->in_pos - k <= s->in_cap / 2) return k;
        }
    }
    return s->in_pos;
}

static JfStatus in_read_once(WarcStream *s, JfError *err)
{
    ssize_t n;
    do {
        n = read(s->fd, s->in + s->in_len, s->in_cap - s->in_len);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return jf_error_set(err, JF_EIO, s->path, s->in_off + s->in_len, "read: %s",
                            strerror(errno));
    if (n == 0) s->in_eof = true;
    s->in_len += (size_t)n;
    return JF_OK;
}

/* Bytes a read at file offset at may still bring: the rest of a small file
 * plus SLACK (so a read sees its end, and a file that grows is still read), or
 * SIZE_MAX / 4 when the size is unknown. Buffers sized by it keep a reader of
 * many small files (and the fuzzers) from mapping megabytes per file. */
static size_t left_from(const WarcStream *s, uint64_t at)
{
    if (s->file_size == 0) return SIZE_MAX / 4;
    uint64_t rest = s->file_size > at ? s->file_size - at : 0;
    return rest < SIZE_MAX / 4 - SLACK ? (size_t)rest + SLACK : SIZE_MAX / 4;
}

static size_t in_left(const WarcStream *s) { return left_from(s, s->in_off + s->in_len); }

/* A plain file's reads after the first go straight to the window. */
static size_t plain_left(const WarcStream *s)
{
    return left_from(s, s->w_off + s->w_len + (s->in_len - s->in_pos));
}

/* Reads until at least need unconsumed input bytes are buffered or the file ends. */
static JfStatus in_want(WarcStream *s, size_t need, JfError *err)
{
    while (s->in_len - s->in_pos < need && !s->in_eof) {
        size_t left = in_left(s);
        size_t read_min = left < IN_READ_MIN ? left : IN_READ_MIN;
        size_t fit = s->in_len - s->in_pos + left;   /* all the file can still give */
        size_t room = need < fit ? need : fit;
        if (s->in_cap - s->in_len < read_min || s->in_cap - s->in_pos < room) {
            size_t keep = in_keep_index(s);
            if (keep > 0) {
                memmove(s->in, s->in + keep, s->in_len - keep);
                s->in_off += keep;
                s->in_len -= keep;
                s->in_pos -= keep;
            }
            size_t ncap = s->in_cap;
            while (ncap - s->in_len < read_min || ncap - s->in_pos < room) ncap *= 2;
            if (ncap != s->in_cap) {
                uint8_t *p = jf_realloc(s->in, ncap);
                if (!p) return jf_error_set(err, JF_ENOMEM, s->path, s->in_off, "out of memory");
                s->in = p;
                s->in_cap = ncap;
            }
        }
        JfStatus rc = in_read_once(s, err);
        if (rc != JF_OK) return rc;
    }
    return JF_OK;
}

/* ---- uncompressed window ---- */

/* Makes at least want free bytes (fewer at w_limit, but at least 1) after
 * w_len, keeping one byte spare for a NUL. @return the free bytes, 0 on error. */
static size_t w_room(WarcStream *s, size_t want, JfStatus *rc, JfError *err)
{
    *rc = JF_OK;
    if (s->w_cap - s->w_len - 1 >= want) return s->w_cap - s->w_len - 1;
    if (s->w_pos > 0) {
        memmove(s->w, s->w + s->w_pos, s->w_len - s->w_pos);
        s->w_off += s->w_pos;
        s->w_len -= s->w_pos;
        s->w_pos = 0;
    }
    if (s->w_cap - s->w_len - 1 < want && s->w_cap < s->w_limit) {
        size_t ncap = s->w_cap;
        while (ncap - s->w_len - 1 < want && ncap < s->w_limit) ncap *= 2;
        if (ncap > s->w_limit) ncap = s->w_limit;
        uint8_t *p = jf_realloc(s->w, ncap);
        if (!p) {
            *rc = jf_error_set(err, JF_ENOMEM, s->path, JF_OFFSET_UNKNOWN, "out of memory");
            return 0;
        }
        s->w = p;
        s->w_cap = ncap;
    }
    size_t room = s->w_cap - s->w_len - 1;
    if (room == 0)
        *rc = jf_error_set(err, JF_ETOOBIG, s->path, s->w_off, "record window full");
    return room;
}

/* ---- plain ---- */

static JfStatus plain_fill(WarcStream *s, JfError *err)
{
    JfStatus rc;
    size_t left = plain_left(s);
    size_t room = w_room(s, left < OUT_MIN ? left : OUT_MIN, &rc, err);
    if (rc != JF_OK) return rc;
    if (s->in_pos < s->in_len) {   /* bytes read while recognizing the file */
        size_t n = s->in_len - s->in_pos;
        if (n > room) n = room;
        memcpy(s->w + s->w_len, s->in + s->in_pos, n);
        s->in_pos += n;
        s->w_len += n;
        return JF_OK;
    }
    if (s->in_eof) {
        s->eof = true;
        return JF_DONE;
    }
    if (room > PLAIN_READ) room = PLAIN_READ;
    ssize_t n;
    do {
        n = read(s->fd, s->w + s->w_len, room);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return jf_error_set(err, JF_EIO, s->path, s->w_off + s->w_len, "read: %s",
                            strerror(errno));
    if (n == 0) {
        s->in_eof = s->eof = true;
        return JF_DONE;
    }
    s->w_len += (size_t)n;
    return JF_OK;
}

/* ---- gzip ---- */

/* Moves in_pos forward to the next plausible gzip member header.
 * @return JF_OK (in_pos at a header) or JF_DONE (file ended). */
static JfStatus gz_seek_header(WarcStream *s, JfError *err)
{
    for (;;) {
        JfStatus rc = in_want(s, GZ_HDR_MAX, err);
        if (rc != JF_OK) return rc;
        size_t avail = s->in_len - s->in_pos;
        if (avail == 0) return JF_DONE;
        const uint8_t *p = memchr(s->in + s->in_pos, 0x1f, avail);
        if (!p) {
            s->in_pos = s->in_len;
            continue;
        }
        s->in_pos = (size_t)(p - s->in);
        size_t hl;
        GzHdrResult h = warc_gzip_header_parse(p, s->in_len - s->in_pos, &hl);
        if (h == GZ_HDR_OK) return JF_OK;
        if (h == GZ_HDR_SHORT && s->in_eof) {
            s->in_pos = s->in_len;
            return JF_DONE;
        }
        s->in_pos++;
    }
}

/* After garbage at in_pos or a bad member (gzip) or frame (zstd) starting at
 * bad_off: skip to the next unit header with seek, and report. */
static JfStatus stream_resync(WarcStream *s, JfStatus code, uint64_t bad_off, const char *why,
                              JfStatus (*seek)(WarcStream *, JfError *), const char *unit,
                              JfError *err)
{
    /* rescan from the bad member's second byte when it is still buffered (a
     * truncated member may have swallowed the next header), else from here:
     * in_pos is already past bad_off, so the stream still moves forward */
    if (bad_off >= s->in_off && bad_off < s->in_off + s->in_len)
        s->in_pos = (size_t)(bad_off - s->in_off) + 1;
    s->member_open = false;
    JfStatus rc = seek(s, err);
    if (rc != JF_OK && rc != JF_DONE) return rc;
    uint64_t next = s->in_off + s->in_pos;
    if (rc == JF_DONE) s->eof = true;
    return jf_error_set(err, code, s->path, bad_off, "%s; skipped %llu bytes to %s", why,
                        (unsigned long long)(next - bad_off),
                        rc == JF_DONE ? "the end of the file" : unit);
}

static JfStatus gz_resync(WarcStream *s, JfStatus code, uint64_t bad_off, const char *why,
                          JfError *err)
{
    return stream_resync(s, code, bad_off, why, gz_seek_header, "the next gzip member", err);
}

static JfStatus gz_start_member(WarcStream *s, JfError *err)
{
    JfStatus rc = in_want(s, GZ_HDR_MAX, err);
    if (rc != JF_OK) return rc;
    size_t avail = s->in_len - s->in_pos;
    if (avail == 0) {
        s->eof = true;
        return JF_DONE;
    }
    uint64_t off = s->in_off + s->in_pos;
    size_t hl = 0;
    GzHdrResult h = warc_gzip_header_parse(s->in + s->in_pos, avail, &hl);
    if (h == GZ_HDR_SHORT && s->in_eof) {
        s->in_pos = s->in_len;
        s->eof = true;
        return jf_error_set(err, JF_ETRUNC, s->path, off, "truncated gzip header at end of file");
    }
    if (h != GZ_HDR_OK)
        return gz_resync(s, JF_EFORMAT, off, "garbage where a gzip member should start", err);
    isal_inflate_reset(s->inf);
    s->inf->crc_flag = ISAL_GZIP_NO_HDR_VER;
    ring_push(s, off, s->w_off + s->w_len);
    s->member_open = true;
    s->in_pos += hl;
    return JF_OK;
}

static JfStatus gz_fill(WarcStream *s, JfError *err)
{
    JfStatus rc;
    if (!s->member_open) {
        rc = gz_start_member(s, err);
        if (rc != JF_OK) return rc;
    }
    uint64_t m_off = ring_last(s)->c_start;
    for (int stalls = 0; stalls < 2;) {
        size_t room = w_room(s, s->out_want, &rc, err);
        if (rc != JF_OK) return rc;
        rc = in_want(s, IN_LOW, err);
        if (rc != JF_OK) return rc;
        if (room > UINT32_MAX / 2) room = UINT32_MAX / 2;
        struct inflate_state *z = s->inf;
        z->next_in = s->in + s->in_pos;
        z->avail_in = (uint32_t)(s->in_len - s->in_pos);
        z->next_out = s->w + s->w_len;
        z->avail_out = (uint32_t)room;
        int ret = isal_inflate(z);
        size_t used = (size_t)(z->next_in - (s->in + s->in_pos));
        size_t made = (size_t)(z->next_out - (s->w + s->w_len));
        s->in_pos += used;
        if (ret < 0) {   /* what the failing call wrote is not trusted */
            ring_drop_last(s);
            return gz_resync(s, JF_EFORMAT, m_off,
                             ret == ISAL_INCORRECT_CHECKSUM ? "gzip member fails its CRC check"
                                                            : "corrupt deflate data in gzip member",
                             err);
        }
        s->w_len += made;
        if (z->block_state == ISAL_BLOCK_FINISH) {
            ring_finish(s);
            return JF_OK;
        }
        if (made > 0) return JF_OK;
        if (used > 0) continue;
        if (s->in_eof && s->in_pos == s->in_len) {
            ring_drop_last(s);
            s->eof = true;
            return jf_error_set(err, JF_ETRUNC, s->path, m_off,
                                "truncated gzip member: the file ends inside it");
        }
        stalls++;   /* no input taken, no output made: should not happen */
    }
    ring_drop_last(s);
    return gz_resync(s, JF_EFORMAT, m_off, "gzip decoder made no progress", err);
}

/* ---- zstd ---- */

static JfStatus zs_seek_frame(WarcStream *s, JfError *err)
{
    for (;;) {
        JfStatus rc = in_want(s, 8, err);
        if (rc != JF_OK) return rc;
        size_t avail = s->in_len - s->in_pos;
        if (avail < 4) {
            s->in_pos = s->in_len;
            return JF_DONE;
        }
        const uint8_t *p = s->in + s->in_pos;
        size_t k = 0;
        while (k + 4 <= avail && !is_zstd_frame_start(p + k)) k++;
        s->in_pos += k;
        if (k + 4 <= avail) return JF_OK;
    }
}

static JfStatus zs_resync(WarcStream *s, JfStatus code, uint64_t bad_off, const char *why,
                          JfError *err)
{
    ZSTD_DCtx_reset(s->zd, ZSTD_reset_session_only);
    return stream_resync(s, code, bad_off, why, zs_seek_frame, "the next zstd frame", err);
}

/* The WARC-zstd convention puts a dictionary in a skippable frame (magic
 * 0x184D2A5D) before the first data frame, itself optionally zstd-compressed. */
static JfStatus zs_load_dict(WarcStream *s, JfError *err)
{
    JfStatus rc = in_want(s, 8, err);
    if (rc != JF_OK) return rc;
    if (s->in_len - s->in_pos < 8 || le32(s->in + s->in_pos) != ZSTD_DICT_FRAME) return JF_OK;
    uint64_t off = s->in_off + s->in_pos;
    size_t size = le32(s->in + s->in_pos + 4);
    if (size > DICT_MAX)
        return zs_resync(s, JF_EFORMAT, off, "zstd dictionary frame too large", err);
    rc = in_want(s, 8 + size, err);
    if (rc != JF_OK) return rc;
    if (s->in_len - s->in_pos < 8 + size) {
        s->in_pos = s->in_len;
        s->eof = true;
        return jf_error_set(err, JF_ETRUNC, s->path, off, "truncated zstd dictionary frame");
    }
    const uint8_t *d = s->in + s->in_pos + 8;
    uint8_t *plain = NULL;
    size_t dlen = size;
    if (size >= 4 && le32(d) == ZSTD_MAGIC) {
        unsigned long long n = ZSTD_getFrameContentSize(d, size);
        if (n == ZSTD_CONTENTSIZE_UNKNOWN || n == ZSTD_CONTENTSIZE_ERROR || n > DICT_MAX)
            return zs_resync(s, JF_EFORMAT, off, "unusable compressed zstd dictionary", err);
        plain = jf_malloc(n ? (size_t)n : 1);
        if (!plain) return jf_error_set(err, JF_ENOMEM, s->path, off, "out of memory");
        size_t got = ZSTD_decompress(plain, (size_t)n, d, size);
        if (ZSTD_isError(got)) {
            jf_free(plain);
            return zs_resync(s, JF_EFORMAT, off, "corrupt compressed zstd dictionary", err);
        }
        d = plain;
        dlen = got;
    }
    size_t zr = ZSTD_DCtx_loadDictionary(s->zd, d, dlen);
    jf_free(plain);
    if (ZSTD_isError(zr)) return zs_resync(s, JF_EFORMAT, off, "bad zstd dictionary", err);
    s->in_pos += 8 + size;
    return JF_OK;
}

static JfStatus zs_start_frame(WarcStream *s, JfError *err)
{
    JfStatus rc = in_want(s, IN_LOW, err);
    if (rc != JF_OK) return rc;
    size_t avail = s->in_len - s->in_pos;
    if (avail == 0) {
        s->eof = true;
        return JF_DONE;
    }
    uint64_t off = s->in_off + s->in_pos;
    if (avail < 4) {
        s->in_pos = s->in_len;
        s->eof = true;
        return jf_error_set(err, JF_ETRUNC, s->path, off, "truncated zstd frame at end of file");
    }
    if (!is_zstd_frame_start(s->in + s->in_pos))
        return zs_resync(s, JF_EFORMAT, off, "garbage where a zstd frame should start", err);
    ring_push(s, off, s->w_off + s->w_len);
    s->member_open = true;
    return JF_OK;
}

static JfStatus zs_fill(WarcStream *s, JfError *err)
{
    JfStatus rc;
    if (!s->dict_checked) {
        s->dict_checked = true;
        rc = zs_load_dict(s, err);
        if (rc != JF_OK) return rc;
    }
    if (!s->member_open) {
        rc = zs_start_frame(s, err);
        if (rc != JF_OK) return rc;
    }
    uint64_t m_off = ring_last(s)->c_start;
    for (int stalls = 0; stalls < 2;) {
        size_t room = w_room(s, s->out_want, &rc, err);
        if (rc != JF_OK) return rc;
        rc = in_want(s, IN_LOW, err);
        if (rc != JF_OK) return rc;
        ZSTD_inBuffer ib = { s->in, s->in_len, s->in_pos };
        ZSTD_outBuffer ob = { s->w, s->w_len + room, s->w_len };
        size_t ret = ZSTD_decompressStream(s->zd, &ob, &ib);
        size_t used = ib.pos - s->in_pos, made = ob.pos - s->w_len;
        s->in_pos = ib.pos;
        if (ZSTD_isError(ret)) {   /* what the failing call wrote is not trusted */
            ring_drop_last(s);
            char why[128];
            snprintf(why, sizeof why, "corrupt zstd frame (%s)", ZSTD_getErrorName(ret));
            return zs_resync(s, JF_EFORMAT, m_off, why, err);
        }
        s->w_len = ob.pos;
        if (ret == 0) {
            ring_finish(s);
            return JF_OK;
        }
        if (made > 0) return JF_OK;
        if (used > 0) continue;
        if (s->in_eof && s->in_pos == s->in_len) {
            ring_drop_last(s);
            s->eof = true;
            ZSTD_DCtx_reset(s->zd, ZSTD_reset_session_only);
            return jf_error_set(err, JF_ETRUNC, s->path, m_off,
                                "truncated zstd frame: the file ends inside it");
        }
        stalls++;
    }
    ring_drop_last(s);
    return zs_resync(s, JF_EFORMAT, m_off, "zstd decoder made no progress", err);
}

/* ---- open / fill / close ---- */

static JfStatus codec_fill(WarcStream *s, JfError *err)
{
    switch (s->codec) {
    case WARC_CODEC_GZIP: return gz_fill(s, err);
    case WARC_CODEC_ZSTD: return zs_fill(s, err);
    default:              return plain_fill(s, err);
    }
}

JfStatus warc_stream_fill(WarcStream *s, JfError *err)
{
    if (s->eof) return JF_DONE;
    JfStatus rc = codec_fill(s, err);
    uint64_t out = s->w_off + s->w_len, in = s->in_off + s->in_pos;
    if (rc == JF_OK && s->codec != WARC_CODEC_PLAIN && jf_ratio_exceeded(out, in, s->max_ratio)) {
        s->eof = true;
        return jf_error_set(err, JF_ETOOBIG, s->path, in,
                            "%llu bytes decompressed from %llu: over the %u:1 ratio limit"
                            " (a decompression bomb?); the rest of the file is skipped",
                            (unsigned long long)out, (unsigned long long)in, s->max_ratio);
    }
    return rc;
}

/* Recognizes the container from the first bytes (already in s->in). */
static JfStatus stream_detect(WarcStream *s, JfError *err)
{
    const uint8_t *p = s->in;
    size_t n = s->in_len;
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
        s->codec = WARC_CODEC_GZIP;
        return JF_OK;
    }
    if (n >= 4 && is_zstd_frame_start(p)) {
        s->codec = WARC_CODEC_ZSTD;
        return JF_OK;
    }
    size_t i = 0;
    while (i < n && (p[i] == '\r' || p[i] == '\n' || p[i] == ' ' || p[i] == '\t')) i++;
    s->codec = WARC_CODEC_PLAIN;
    if (i == n) return JF_OK;   /* empty or blank: no records */
    if (n - i >= 5 && !memcmp(p + i, "WARC/", 5)) return JF_OK;
    if (n - i < 5 && !memcmp(p + i, "WARC/", n - i)) return JF_OK;   /* tiny truncated file */
    return jf_error_set(err, JF_EFORMAT, s->path, 0,
                        "not a WARC file: no gzip or zstd magic and no WARC/ version line");
}

JfStatus warc_stream_open(WarcStream *s, const char *path, size_t w_limit, JfError *err)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    s->fd = -1;
    s->w_limit = w_limit;
    s->max_ratio = JF_MAX_RATIO_DEFAULT;
    if (!strcmp(path, "-")) {
        s->fd = STDIN_FILENO;
    } else {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0)
            return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot open: %s",
                                strerror(errno));
        s->close_fd = true;
        (void)posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    struct stat st;
    if (fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        s->file_size = (uint64_t)st.st_size;
    size_t left = in_left(s);
    s->in_cap = left < IN_CAP ? left : IN_CAP;
    s->in = jf_malloc(s->in_cap);
    if (!s->in) return jf_error_set(err, JF_ENOMEM, path, 0, "out of memory");
    JfStatus rc = in_want(s, 8, err);
    if (rc != JF_OK) return rc;
    rc = stream_detect(s, err);
    if (rc != JF_OK) return rc;
    /* A small compressed file starts with a window of a few times its size; the
     * window doubles when a record needs more. */
    size_t w_init = W_INIT;
    s->out_want = OUT_MIN;
    if (s->codec == WARC_CODEC_PLAIN) {
        size_t plain = s->in_len - s->in_pos + plain_left(s) + 1;   /* the whole file */
        if (plain < w_init) w_init = plain;
    } else if (s->file_size && s->file_size < OUT_MIN / 8) {
        s->out_want = (size_t)s->file_size * 8 + SLACK;
        w_init = 2 * s->out_want;
    }
    s->w_cap = w_init < w_limit ? w_init : w_limit;
    s->w = jf_malloc(s->w_cap);
    if (!s->w) return jf_error_set(err, JF_ENOMEM, path, 0, "out of memory");
    if (s->codec == WARC_CODEC_GZIP) {
        s->inf = jf_malloc(sizeof *s->inf);
        if (!s->inf) return jf_error_set(err, JF_ENOMEM, path, 0, "out of memory");
        isal_inflate_init(s->inf);
    } else if (s->codec == WARC_CODEC_ZSTD) {
        /* libzstd allocates with malloc: its few hundred KiB are not counted by jf_alloc */
        s->zd = ZSTD_createDCtx();
        if (!s->zd) return jf_error_set(err, JF_ENOMEM, path, 0, "out of memory");
    }
    return JF_OK;
}

uint64_t warc_stream_bytes_read(const WarcStream *s)
{
    if (s->codec == WARC_CODEC_PLAIN) return s->w_off + s->w_len;
    return s->in_off + s->in_pos;
}

void warc_stream_close(WarcStream *s)
{
    if (s->close_fd && s->fd >= 0) close(s->fd);
    s->fd = -1;
    jf_free(s->in);
    jf_free(s->w);
    jf_free(s->inf);
    ZSTD_freeDCtx(s->zd);
    s->in = s->w = NULL;
    s->inf = NULL;
    s->zd = NULL;
}
