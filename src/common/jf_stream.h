/* jf_stream.h: reads a file of outside data as one decompressed byte stream,
 * whatever its compression: gzip (one or many members), zstd, bzip2, or none,
 * recognized by the first bytes, not by the name. Lines can be taken one at a
 * time with their offset in the decompressed stream. Memory is bounded by the
 * longest line asked for.
 * Used by the JSON-lines and XML readers; the WARC reader has its own
 * member-aware stream (src/warc/warc_stream.c), since it needs to know where
 * each gzip member starts. */
#ifndef JF_STREAM_H
#define JF_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_buf.h"
#include "jf_error.h"

/* Decompression bombs: once a stream has produced JF_RATIO_FREE_BYTES, more
 * output than max_ratio times the compressed bytes read so far ends it with
 * JF_ETOOBIG. Real text compresses 3-10x (gzip itself cannot exceed about
 * 1032:1); a file of 1 KiB that claims gigabytes is an attack or a mistake. */
#define JF_MAX_RATIO_DEFAULT 1000u
#define JF_RATIO_FREE_BYTES  (64ull << 20)

static inline bool jf_ratio_exceeded(uint64_t out_bytes, uint64_t in_bytes, uint32_t max_ratio)
{
    return max_ratio && out_bytes > JF_RATIO_FREE_BYTES &&
           out_bytes / (in_bytes ? in_bytes : 1) >= max_ratio;
}

typedef enum { JF_CODEC_PLAIN = 0, JF_CODEC_GZIP, JF_CODEC_ZSTD, JF_CODEC_BZIP2 } JfCodec;

typedef struct JfStream JfStream;

/* path "-" reads standard input. @return JF_OK, JF_EIO, JF_ENOMEM. */
JfStatus jf_stream_open(const char *path, JfStream **out, JfError *err);
void     jf_stream_close(JfStream *s);          /* accepts NULL */
JfCodec  jf_stream_codec(const JfStream *s);
const char *jf_stream_path(const JfStream *s);

/* Sets the largest decompression ratio (JF_MAX_RATIO_DEFAULT after open; 0:
 * no limit). Plain files are never limited. */
void     jf_stream_set_max_ratio(JfStream *s, uint32_t max_ratio);

/* Reads up to cap decompressed bytes. @return JF_OK with *n > 0, JF_DONE at the
 * end, JF_ETRUNC (corrupt or truncated compressed data: err has the offset in
 * the decompressed stream; what came before was delivered), JF_ETOOBIG (over
 * the decompression ratio: what came before was delivered, nothing follows),
 * JF_EIO. */
JfStatus jf_stream_read(JfStream *s, void *buf, size_t cap, size_t *n, JfError *err);

/* Peeks at the first decompressed bytes (up to cap) without consuming them;
 * *n may be less at the end of a short stream. */
JfStatus jf_stream_peek(JfStream *s, const uint8_t **p, size_t cap, size_t *n, JfError *err);

/* Next line into line (reset first, without its '\n'; a final line without
 * '\n' counts). *offset gets its offset in the decompressed stream.
 * @return JF_ROW, JF_DONE, JF_ETOOBIG (the line exceeded max bytes and was
 * skipped; or the stream passed its decompression ratio and ends), JF_ETRUNC,
 * JF_EIO. */
JfStatus jf_stream_line(JfStream *s, JfBuf *line, size_t max, uint64_t *offset, JfError *err);

/* Bytes of the file consumed so far (compressed), for progress. */
uint64_t jf_stream_file_bytes(const JfStream *s);

#endif
