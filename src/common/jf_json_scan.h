/* jf_json_scan.h: a small JSON scanner for the hot paths that read documents
 * (jf_doc.c reading every stage's input, shard_json.c in the shard writer):
 * it validates and decodes strings, and skips any value, faster than building
 * a jansson tree. It never claims more than jansson would: where it cannot
 * vouch for the bytes it answers false ("unsure") and the caller hands the
 * line to jansson, which decides, so results and errors stay jansson's.
 * Written by hand because no JSON library in Debian validates and decodes in
 * place without building objects. Does not do: building values, numbers'
 * values, writing JSON. */
#ifndef JF_JSON_SCAN_H
#define JF_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { JF_JSON_SCAN_MAX_DEPTH = 32 };

typedef struct {
    const uint8_t *p, *e;    /* what is left to read */
    int            depth;    /* open containers */
    bool           nul;      /* a \u0000 was decoded (jansson refuses it in keys) */
} JfJsonScan;

void jf_json_skip_ws(JfJsonScan *s);

/* Length of the valid UTF-8 sequence starting with lead byte p[0] (>= 0x80),
 * 0 when invalid (the rules of jansson's utf8_check_full). */
size_t jf_json_utf8_len(const uint8_t *p, const uint8_t *e);

/* A string, s->p just past its opening quote. Decodes into out (room for cap
 * bytes; NULL: validate only): *kept gets the bytes of the whole characters
 * that fit, *len the full decoded length, *chars the code points (kept and
 * chars may be NULL). Decoding never lengthens, so room for the raw bytes is
 * enough. @return true, or false when unsure. */
bool jf_json_scan_string(JfJsonScan *s, uint8_t *out, size_t cap, size_t *kept, size_t *len,
                         uint64_t *chars);

/* The literal lit (n bytes) at s->p. */
bool jf_json_scan_literal(JfJsonScan *s, const char *lit, size_t n);

/* Any value at s->p (no leading white space), validated, not kept. */
bool jf_json_scan_value(JfJsonScan *s);

/* Reads a member's value for key index key (s->p at the value); must consume
 * it. @return 1, 0 when unsure, -1 out of memory. */
typedef int JfJsonMemberFn(void *ctx, JfJsonScan *s, int key);

/* An object that is the whole of what s holds (white space around it
 * allowed). Members whose key is one of keys[0..nkeys-1] go to fn with its
 * index (seen[i] set; the caller zeroes seen), the others are skipped. A
 * known key twice is unsure: jansson keeps the last one.
 * @return 1, 0 when unsure, -1 out of memory (from fn). */
int jf_json_scan_object(JfJsonScan *s, const char *const *keys, int nkeys, bool *seen,
                        JfJsonMemberFn *fn, void *ctx);

#endif
