/* shard_json.c: a document line's text, lang and source, validated and
 * decoded by a small JSON scanner, with jansson as the judge of everything the
 * scanner (src/common/jf_json_scan.h) does not vouch for (see shard_json.h). */
#include "shard_json.h"

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "jf_json_scan.h"

typedef enum { K_ID, K_TEXT, K_LANG, K_LANGUAGE, K_SOURCE, K_URL, K_CREATED, K_COUNT } Key;
static const char *const KEY_NAME[K_COUNT] = { "id", "text", "lang", "language", "source", "url",
                                               "created" };

/* A short string value (lang, source) into out, cut to SHARD_JSON_NAME_MAX
 * bytes; null leaves out empty. */
static int scan_name(JfJsonScan *s, char *out)
{
    size_t kept, len;
    out[0] = 0;
    if (s->p < s->e && *s->p == 'n') return jf_json_scan_literal(s, "null", 4);
    if (s->p >= s->e || *s->p != '"') return 0;
    s->p++;
    if (!jf_json_scan_string(s, (uint8_t *)out, SHARD_JSON_NAME_MAX, &kept, &len, NULL)) return 0;
    out[kept] = 0;
    return 1;
}

/* The text value into buf. @return 1, 0 when unsure, -1 out of memory. */
static int scan_text(JfJsonScan *s, JfBuf *buf, ShardJsonDoc *d)
{
    if (s->p >= s->e || *s->p != '"') return 0;
    s->p++;
    size_t room = (size_t)(s->e - s->p), kept, len;   /* decoding never lengthens */
    jf_buf_reset(buf);
    if (jf_buf_reserve(buf, room) != JF_OK) return -1;
    if (!jf_json_scan_string(s, buf->data, room, &kept, &len, &d->chars)) return 0;
    buf->len = len;
    buf->data[len] = 0;
    d->text = (const char *)buf->data;
    d->text_len = len;
    return 1;
}

/* What the member reader fills. */
typedef struct {
    JfBuf        *buf;
    ShardJsonDoc *d;
    char          language[SHARD_JSON_NAME_MAX + 1];
} ScanCtx;

/* One known member's value. @return 1, 0 when unsure, -1 out of memory. */
static int scan_member(void *ctx, JfJsonScan *s, int k)
{
    ScanCtx *c = ctx;
    size_t len;
    bool str_or_null = s->p < s->e && (*s->p == '"' || *s->p == 'n');
    switch ((Key)k) {
    case K_TEXT: return scan_text(s, c->buf, c->d);
    case K_ID:
        if (s->p >= s->e || *s->p != '"') return 0;
        s->p++;
        return jf_json_scan_string(s, NULL, 0, NULL, &len, NULL);
    case K_LANG: return scan_name(s, c->d->lang);
    case K_SOURCE: return scan_name(s, c->d->source);
    case K_LANGUAGE: return str_or_null ? scan_name(s, c->language) : jf_json_scan_value(s);
    case K_URL: case K_CREATED: return str_or_null && jf_json_scan_value(s);
    default: return jf_json_scan_value(s);
    }
}

/* The fast path over a whole line. @return 1 (d filled), 0 unsure, -1 out
 * of memory. */
static int scan_doc(const char *line, size_t len, JfBuf *buf, ShardJsonDoc *d)
{
    JfJsonScan s = { (const uint8_t *)line, (const uint8_t *)line + len, 1, 0 };
    bool seen[K_COUNT] = { false };
    ScanCtx c = { buf, d, "" };
    d->lang[0] = d->source[0] = 0;
    int r = jf_json_scan_object(&s, KEY_NAME, K_COUNT, seen, scan_member, &c);
    if (r <= 0) return r;
    if (!seen[K_ID] || !seen[K_TEXT]) return 0;
    if (!d->lang[0]) memcpy(d->lang, c.language, sizeof d->lang);
    return 1;
}

/* ------------------------------------------------------------ jansson ---- */

/* Copies the whole characters of v's string that fit SHARD_JSON_NAME_MAX
 * bytes (the scanner cuts the same way). */
static void name_copy(json_t *v, char *out)
{
    const uint8_t *p = (const uint8_t *)json_string_value(v);
    size_t n = json_string_length(v), k = 0;
    while (k < n) {
        size_t step = p[k] < 0x80 ? 1 : p[k] >= 0xF0 ? 4 : p[k] >= 0xE0 ? 3 : 2;
        if (k + step > SHARD_JSON_NAME_MAX) break;
        k += step;
    }
    memcpy(out, p, k);
    out[k] = 0;
}

/* A string-or-null field: *bad when of another type. */
static void name_field(json_t *o, const char *key, char *out, bool *bad)
{
    json_t *v = json_object_get(o, key);
    out[0] = 0;
    if (!v || json_is_null(v)) return;
    if (!json_is_string(v)) *bad = true;
    else name_copy(v, out);
}

static bool str_or_null(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return !v || json_is_null(v) || json_is_string(v);
}

JfStatus shard_json_doc_jansson(const char *line, size_t len, JfBuf *buf, ShardJsonDoc *d,
                                JfError *err)
{
    json_error_t je;
    json_t *o = json_loadb(line, len, JSON_ALLOW_NUL, &je);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return jf_error_set(err, JF_EFORMAT, NULL, o ? JF_OFFSET_UNKNOWN : (uint64_t)je.position,
                            "invalid JSON: %s", o ? "not an object" : je.text);
    }
    json_t *text = json_object_get(o, "text");
    bool bad = !json_is_string(json_object_get(o, "id")) || !json_is_string(text) ||
               !str_or_null(o, "url") || !str_or_null(o, "created");
    name_field(o, "lang", d->lang, &bad);
    name_field(o, "source", d->source, &bad);
    json_t *language = json_object_get(o, "language");
    if (!d->lang[0] && json_is_string(language)) name_copy(language, d->lang);
    JfStatus rc = JF_OK;
    if (bad) {
        rc = jf_error_set(err, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN,
                          "document lacks a string 'id' or 'text', or a field has the wrong type");
    } else {
        jf_buf_reset(buf);
        rc = jf_buf_append(buf, json_string_value(text), json_string_length(text));
        if (rc != JF_OK) jf_error_set(err, rc, NULL, JF_OFFSET_UNKNOWN, "document text: %s",
                                      jf_status_text(rc));
        d->text = (const char *)buf->data;
        d->text_len = buf->len;
        d->chars = 0;
        for (size_t i = 0; rc == JF_OK && i < buf->len; i++)
            d->chars += (buf->data[i] & 0xC0) != 0x80;
    }
    json_decref(o);
    return rc;
}

JfStatus shard_json_doc(const char *line, size_t len, JfBuf *buf, ShardJsonDoc *d, JfError *err)
{
    int r = scan_doc(line, len, buf, d);
    if (r > 0) return JF_OK;
    if (r < 0) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    return shard_json_doc_jansson(line, len, buf, d, err);
}
