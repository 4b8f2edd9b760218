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

#include <stddef.h>
#include <stdint.h>

#include "jf_buf.h"
#include "jf_error.h"

typedef enum { JF_CODEC_PLAIN = 0, JF_CODEC_GZIP, JF_CODEC_ZSTD, JF_CODEC_BZIP2 } JfCodec;

typedef struct JfStream JfStream;

/* path "-" reads standard input. @return JF_OK, JF_EIO, JF_ENOMEM. */
JfStatus jf_stream_open(const char *path, JfStream **out, JfError *err);
void     jf_stream_close(JfStream *s);          /* accepts NULL */
JfCodec  jf_stream_codec(const JfStream *s);
const char *jf_stream_path(const JfStream *s);

/* Reads up to cap decompressed bytes. @return JF_OK with *n > 0, JF_DONE at the
 * end, JF_ETRUNC (corrupt or truncated compressed data: err has the offset in
 * the decompressed stream; what came before was delivered), JF_EIO. */
JfStatus jf_stream_read(JfStream *s, void *buf, size_t cap, size_t *n, JfError *err);

/* Peeks at the first decompressed bytes (up to cap) without consuming them;
 * *n may be less at the end of a short stream. */
JfStatus jf_stream_peek(JfStream *s, const uint8_t **p, size_t cap, size_t *n, JfError *err);

/* Next line into line (reset first, without its '\n'; a final line without
 * '\n' counts). *offset gets its offset in the decompressed stream.
 * @return JF_ROW, JF_DONE, JF_ETOOBIG (the line exceeded max bytes and was
 * skipped), JF_ETRUNC, JF_EIO. */
JfStatus jf_stream_line(JfStream *s, JfBuf *line, size_t max, uint64_t *offset, JfError *err);

/* Bytes of the file consumed so far (compressed), for progress. */
uint64_t jf_stream_file_bytes(const JfStream *s);

#endif
