/* warc.h: records of a WARC or WET file (WARC/1.0 and WARC/1.1), read one at a
 * time with bounded memory. The container is recognized by its first bytes, not
 * by its name: plain WARC, gzip with one member per record (the Common Crawl
 * layout), one gzip member holding the whole file, or zstd (also with the
 * dictionary frame of the WARC zstd convention in front).
 *
 * Every record type is returned (warcinfo, request, response, resource,
 * metadata, revisit, conversion, continuation); the caller filters. A bad
 * record (broken headers, wrong Content-Length, truncated member, garbage) is
 * reported once with its byte offset and the reader resynchronises on the next
 * record, so good records before and after it still come out.
 *
 * Does not: parse HTTP inside the block (see http.h), parse HTML, follow
 * segmented (continuation) records, or check WARC-Block-Digest. */
#ifndef JF_WARC_H
#define JF_WARC_H

#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"

typedef struct WarcReader WarcReader;

typedef struct {
    size_t max_record_bytes;   /* records with a larger body are skipped and reported
                                  JF_ETOOBIG; 0 = 64 MiB */
    uint32_t max_ratio;        /* decompressed / compressed bytes past which the file is
                                  abandoned as a bomb (JF_ETOOBIG; jf_stream.h);
                                  0 = JF_MAX_RATIO_DEFAULT, UINT32_MAX = no limit */
} WarcReaderOptions;

/* One record. Every pointer is borrowed from the reader and valid until the
 * next warc_reader_next() or warc_reader_close(). Strings are NUL-terminated. */
typedef struct {
    const char    *type;         /* WARC-Type value ("response", "resource", ...) */
    const char    *record_id;    /* WARC-Record-ID, as written (with <>) */
    const char    *target_uri;   /* WARC-Target-URI or NULL; "<uri>" (as wget writes it)
                                    comes without the brackets, as warcio does */
    const char    *date;         /* WARC-Date or NULL */
    const char    *content_type; /* Content-Type of the record block or NULL */
    const char    *version;      /* "WARC/1.0", "WARC/1.1" */
    const uint8_t *body;         /* the record block, body_len bytes (NUL after it) */
    size_t         body_len;
    uint64_t       offset;       /* record start in the FILE: the gzip member / zstd frame
                                    start when the record fills exactly one member
                                    (per-record compression, the Common Crawl layout);
                                    else the offset in the uncompressed data (the byte
                                    offset for plain files; whole-file gzip/zstd) */
    uint64_t       length;       /* bytes the record occupies at that offset: the member
                                    length for per-record gzip/zstd, else header + block
                                    bytes without the CRLFCRLF that ends the record (as
                                    `warcio index` counts it); 0 if unknown */
    const void    *hdrs_;        /* internal: lets warc_record_header() find the headers */
} WarcRecord;

/* Opens path ("-" = standard input). opt may be NULL (defaults). An empty file
 * opens fine and yields JF_DONE at once.
 * @return JF_OK (*out set), JF_EIO (cannot open/read), JF_EFORMAT (not a WARC
 * container we know: neither gzip, zstd nor "WARC/" at the start), JF_ENOMEM. */
JfStatus warc_reader_open(const char *path, const WarcReaderOptions *opt, WarcReader **out,
                          JfError *err);

/* @return JF_ROW (rec filled), JF_DONE, or an error. After JF_EFORMAT,
 * JF_ETRUNC or JF_ETOOBIG the reader has resynchronised (on the next line
 * starting "WARC/1." or the next gzip member / zstd frame): call again. err then
 * has the path and the file offset of the bad record or member (for a record
 * inside a whole-file gzip/zstd stream: its uncompressed offset, and the
 * message says so). Each bad record is reported once; records before and after
 * it still come out. JF_EIO and JF_ENOMEM are final. */
JfStatus warc_reader_next(WarcReader *r, WarcRecord *rec, JfError *err);

/* Case-insensitive lookup of any WARC header of the current record (the one
 * rec was filled with by the last warc_reader_next). @return the value (borrowed,
 * same lifetime as rec) or NULL if absent. */
const char *warc_record_header(const WarcRecord *rec, const char *name);

/* Bytes of the file consumed so far (compressed bytes for gzip/zstd), for
 * progress bars. */
uint64_t warc_reader_bytes_read(const WarcReader *r);

/* Frees everything. Accepts NULL. */
void warc_reader_close(WarcReader *r);

#endif
