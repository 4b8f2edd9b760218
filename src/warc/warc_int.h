/* warc_int.h: private to src/warc. The byte stream under the record parser:
 * it reads the file, recognizes the container by its first bytes and turns it
 * into one uncompressed byte window, remembering where each gzip member / zstd
 * frame started in the file so per-record-compressed files can report member
 * offsets. It knows nothing about WARC records; warc_reader.c does.
 *
 * Also the small gzip header parser shared with http.c. */
#ifndef JF_WARC_INT_H
#define JF_WARC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"

struct inflate_state;
struct ZSTD_DCtx_s;

typedef enum {
    WARC_CODEC_PLAIN = 0,
    WARC_CODEC_GZIP,
    WARC_CODEC_ZSTD,
} WarcCodec;

/* One gzip member or zstd frame seen in the file. */
typedef struct {
    uint64_t c_start, c_end;   /* file offsets; c_end valid when done */
    uint64_t u_start, u_end;   /* offsets in the uncompressed stream; u_end valid when done */
    bool     done;
} WarcMember;

#define WARC_MEMBER_RING 64u

typedef struct {
    const char *path;          /* borrowed from the reader, for errors */
    int         fd;
    bool        close_fd;
    WarcCodec   codec;

    /* compressed input: in[in_pos..in_len) not yet consumed; in[0] is at file offset in_off */
    uint8_t    *in;
    size_t      in_cap, in_pos, in_len;
    uint64_t    in_off;
    bool        in_eof;        /* read() returned 0 */
    uint64_t    file_size;     /* a regular file's size at open; 0: unknown (a pipe) */
    size_t      out_want;      /* compressed: free window bytes wanted before decoding */

    struct inflate_state *inf;
    struct ZSTD_DCtx_s   *zd;
    bool        member_open;   /* inside a gzip member / zstd frame */
    bool        dict_checked;  /* zstd: the leading dictionary frame was looked for */

    WarcMember  ring[WARC_MEMBER_RING];
    size_t      ring_head, ring_count;   /* oldest entry, number of entries */

    /* uncompressed window: w[w_pos..w_len) not yet consumed by the record parser;
     * w[0] is at uncompressed offset w_off. w_cap > w_len always (room for a NUL). */
    uint8_t    *w;
    size_t      w_cap, w_len, w_pos, w_limit;
    uint64_t    w_off;
    bool        eof;           /* no more output will ever come */
    uint32_t    max_ratio;     /* decompression bomb limit (jf_stream.h); 0: none */
} WarcStream;

/* Opens path ("-" = stdin) and recognizes the container from its first bytes.
 * w_limit: the largest window the record parser may need.
 * @return JF_OK, JF_EIO, JF_EFORMAT (not gzip, zstd or "WARC/"), JF_ENOMEM. */
JfStatus warc_stream_open(WarcStream *s, const char *path, size_t w_limit, JfError *err);

/* Appends more uncompressed bytes to the window (compacting or growing it as
 * needed), or at least moves past a member boundary.
 * @return JF_OK (progress made), JF_DONE (no more data), JF_EFORMAT / JF_ETRUNC
 * (a corrupt or truncated member, or garbage between members: err has the file
 * offset; the stream has already skipped to the next member header, what the
 * bad member produced stays in the window), JF_ETOOBIG (window at w_limit with
 * nothing consumed; or past max_ratio, which ends the stream), JF_EIO,
 * JF_ENOMEM. */
JfStatus warc_stream_fill(WarcStream *s, JfError *err);

/* Bytes available to the parser: w + w_pos, warc_stream_avail(s) bytes. */
static inline size_t warc_stream_avail(const WarcStream *s) { return s->w_len - s->w_pos; }
static inline uint64_t warc_stream_pos(const WarcStream *s) { return s->w_off + s->w_pos; }

/* The member (gzip) / frame (zstd) whose output starts at uncompressed offset
 * u, if it is still remembered. @return true and *m filled. */
bool warc_stream_member_at(const WarcStream *s, uint64_t u, WarcMember *m);

/* Is a member still open whose output started at u and has reached the end of
 * the window? (Then one more fill tells whether it ends there.) */
bool warc_stream_member_is_open_at(const WarcStream *s, uint64_t u);

/* The first remembered member start u with from < u <= to. @return true, *u set. */
bool warc_stream_member_start_in(const WarcStream *s, uint64_t from, uint64_t to, uint64_t *u);

uint64_t warc_stream_bytes_read(const WarcStream *s);
void     warc_stream_close(WarcStream *s);

/* ---- gzip header (RFC 1952), shared with http.c ---- */
typedef enum { GZ_HDR_OK, GZ_HDR_SHORT, GZ_HDR_BAD } GzHdrResult;

/* Parses the gzip member header at p (n bytes available): magic 1f 8b, method 8,
 * no reserved flag bits, then the optional extra field, name, comment and
 * header CRC. @return GZ_HDR_OK (*hdr_len = header bytes), GZ_HDR_SHORT (need
 * more bytes), GZ_HDR_BAD (not a gzip header). */
GzHdrResult warc_gzip_header_parse(const uint8_t *p, size_t n, size_t *hdr_len);

/* ---- "Name: value" header lines, shared by WARC and HTTP ---- */
typedef struct {
    const char *name;
    const char *value;
} WarcField;

/* Parses the header lines of b[i..n) in place, up to the first blank line:
 * each line becomes "name\0value\0" (blanks around both trimmed; continuation
 * lines starting with SP/HT joined to the value with one space; lines without
 * ':' ignored), so pointers into b stay valid. Appends to *fields (grown with
 * jf_realloc). @return JF_OK or JF_ENOMEM. */
JfStatus warc_fields_parse(char *b, size_t n, size_t i, WarcField **fields, size_t *count,
                           size_t *cap);

/* Case-insensitive ASCII compare of a NUL-terminated string with n bytes. */
bool warc_ascii_ieq(const char *a, const char *b);

/* Index just past the blank line that ends a header block (WARC or HTTP)
 * in b[0..n), searching lines from `from`; 0 if it is not there (yet).
 * CRLF and bare LF line ends are both accepted. */
size_t warc_header_end(const uint8_t *b, size_t n, size_t from);

#endif
