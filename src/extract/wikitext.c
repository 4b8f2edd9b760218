/* wikitext.c: MediaWiki markup to plain text in three linear passes over
 * buffers: (1) blocks that carry no article text are cut: comments,
 * templates {{...}} (nested), tables {|...|} (nested), <ref> and the other
 * content-less tags, magic words; other tags lose their markup only;
 * (2) inline markup: [[links]] keep their label (files, categories and
 * interlanguage links go), [external links] keep theirs, ''quotes'' go;
 * (3) lines: headings and list items lose their markers, entities are
 * decoded. Hand-written because no maintained C library parses wikitext;
 * it follows wikiextractor's choices, the tool corpora were built with. */
#include "wikitext.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

/* Tags whose whole content is dropped (as wikiextractor does). */
static const char *const DROP_TAGS[] = {
    "ref", "references", "gallery", "math", "timeline", "score", "syntaxhighlight", "source",
    "templatedata", "imagemap", "graph", "mapframe", "maplink", "noinclude", "chem", "ce",
    "hiero", "inputbox", "categorytree", "indicator",
};

/* Link namespaces whose links are dropped whole: files and categories. */
static const char *const DROP_LINK_NS[] = {
    "file", "image", "media", "category", "ファイル", "画像", "メディア", "カテゴリ",
};

static bool starts_ci(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(end - p) >= n && strncasecmp(p, lit, n) == 0;
}

static bool at_line_start(const char *src, const char *p)
{
    while (p > src && (p[-1] == ' ' || p[-1] == '\t')) p--;
    return p == src || p[-1] == '\n';
}

/* End of a {{template}} starting at p ("{{"), or NULL when it never closes.
 * Braces are counted one by one, so {{{parameters}}} nest too. */
static const char *skip_braces(const char *p, const char *end)
{
    size_t depth = 0;
    for (; p < end; p++) {
        if (*p == '{') depth++;
        else if (*p == '}' && depth && --depth == 0) return p + 1;
    }
    return NULL;
}

/* End of a {| table |} starting at p, or NULL. */
static const char *skip_table(const char *src, const char *p, const char *end)
{
    size_t depth = 0;
    while (p + 1 < end) {
        if (p[0] == '{' && p[1] == '|' && at_line_start(src, p)) { depth++; p += 2; continue; }
        if (p[0] == '|' && p[1] == '}' && at_line_start(src, p)) { p += 2; if (--depth == 0) return p; continue; }
        p++;
    }
    return NULL;
}

/* Name of the tag at p ("<name" or "</name"), lower-cased into name. */
static size_t tag_name(const char *p, const char *end, char *name, size_t cap)
{
    const char *q = p + 1 + (p + 1 < end && p[1] == '/');
    size_t n = 0;
    while (q < end && n + 1 < cap && (isalnum((unsigned char)*q) || *q == '-')) name[n++] = (char)tolower((unsigned char)*q++);
    name[n] = '\0';
    return n;
}

static bool is_drop_tag(const char *name)
{
    for (size_t i = 0; i < sizeof DROP_TAGS / sizeof DROP_TAGS[0]; i++)
        if (!strcmp(name, DROP_TAGS[i])) return true;
    return false;
}

/* At a tag: *next = where to go on; @return true to drop [p, *next).
 * *newline is set for <br>, which ends a line. */
static bool handle_tag(const char *p, const char *end, const char **next, bool *newline,
                       WikitextStats *st)
{
    char name[32];
    const char *gt = memchr(p, '>', (size_t)(end - p));
    if (!tag_name(p, end, name, sizeof name) || !gt) { *next = p + 1; return false; }
    *next = gt + 1;
    *newline = !strcmp(name, "br");
    if (p[1] == '/' || gt[-1] == '/' || !is_drop_tag(name)) return true;   /* markup only */
    char close[40];
    snprintf(close, sizeof close, "</%s", name);
    for (const char *q = gt + 1; q < end; q++) {
        if (*q == '<' && starts_ci(q, end, close)) {
            const char *e = memchr(q, '>', (size_t)(end - q));
            *next = e ? e + 1 : end;
            return true;
        }
    }
    st->unclosed++;
    *next = end;
    return true;
}

/* Pass 1: cut blocks. */
static JfStatus pass_blocks(const char *src, size_t len, JfBuf *out, WikitextStats *st)
{
    const char *p = src, *end = src + len, *run = src;
    JfStatus rc = JF_OK;
    while (p < end && rc == JF_OK) {
        const char *next = NULL;
        bool drop = false, newline = false;
        if (*p == '<' && starts_ci(p, end, "<!--")) {
            const char *e = memmem(p + 4, (size_t)(end - p - 4), "-->", 3);
            if (!e) st->unclosed++;
            next = e ? e + 3 : end;
            drop = true;
        } else if (*p == '{' && p + 1 < end && p[1] == '{') {
            next = skip_braces(p, end);
            if (!next) { st->unclosed++; next = end; }
            drop = true;
        } else if (*p == '{' && p + 1 < end && p[1] == '|' && at_line_start(src, p)) {
            next = skip_table(src, p, end);
            if (!next) { st->unclosed++; next = end; }
            drop = true;
        } else if (*p == '<') {
            drop = handle_tag(p, end, &next, &newline, st);
        } else if (*p == '_' && starts_ci(p, end, "__")) {
            const char *q = p + 2;
            while (q < end && (isupper((unsigned char)*q) || *q == '_')) q++;
            drop = q - p > 4 && q[-1] == '_' && q[-2] == '_';
            next = drop ? q : p + 1;
        } else {
            p++;
            continue;
        }
        if (drop) {
            rc = jf_buf_append(out, run, (size_t)(p - run));
            if (rc == JF_OK && newline) rc = jf_buf_append_byte(out, '\n');
            run = next;
        }
        p = next;
    }
    if (rc == JF_OK) rc = jf_buf_append(out, run, (size_t)(end - run));
    return rc;
}

/* End of a [[link]] at p (nested links in file captions), or NULL. */
static const char *link_end(const char *p, const char *end)
{
    size_t depth = 0;
    while (p + 1 < end) {
        if (p[0] == '[' && p[1] == '[') { depth++; p += 2; continue; }
        if (p[0] == ']' && p[1] == ']') { p += 2; if (--depth == 0) return p; continue; }
        if (*p == '\n' && p[1] == '\n') return NULL;   /* links never span paragraphs */
        p++;
    }
    return NULL;
}

/* True when target drops the link: files, categories, interlanguage ("en:"). */
static bool link_dropped(const char *t, const char *end)
{
    while (t < end && *t == ' ') t++;
    if (t >= end) return false;
    const char *colon = memchr(t, ':', (size_t)(end - t));
    if (!colon || colon == t) return false;
    size_t n = (size_t)(colon - t);
    for (size_t i = 0; i < sizeof DROP_LINK_NS / sizeof DROP_LINK_NS[0]; i++)
        if (strlen(DROP_LINK_NS[i]) == n && !strncasecmp(t, DROP_LINK_NS[i], n)) return true;
    if (n < 2 || n > 3) return false;                     /* language codes: 2-3 lower letters */
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)t[i])) return false;
    return true;
}

static JfStatus emit_link(const char *in, const char *in_end, JfBuf *out)
{
    if (link_dropped(in, in_end)) return JF_OK;
    const char *bar = NULL;
    for (const char *q = in; q < in_end; q++)
        if (*q == '|') bar = q;                            /* the label is after the last | */
    const char *label = bar ? bar + 1 : in;
    if (!bar && label < in_end && *label == ':') label++;  /* [[:Category:X]] shows X's name */
    return jf_buf_append(out, label, (size_t)(in_end - label));
}

/* Pass 2: links, external links, bold and italic quotes. */
static JfStatus pass_inline(const char *src, size_t len, JfBuf *out)
{
    const char *p = src, *end = src + len;
    JfStatus rc = JF_OK;
    while (p < end && rc == JF_OK) {
        if (p[0] == '[' && p + 1 < end && p[1] == '[') {
            const char *e = link_end(p, end);
            if (e) {
                rc = emit_link(p + 2, e - 2, out);
                p = e;
                continue;
            }
        } else if (p[0] == '[' && (starts_ci(p + 1, end, "http://") || starts_ci(p + 1, end, "https://") ||
                                   starts_ci(p + 1, end, "ftp://") || starts_ci(p + 1, end, "//"))) {
            const char *e = memchr(p, ']', (size_t)(end - p));
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (e && (!nl || e < nl)) {
                const char *sp = memchr(p, ' ', (size_t)(e - p));
                if (sp) rc = jf_buf_append(out, sp + 1, (size_t)(e - sp - 1));
                p = e + 1;
                continue;
            }
        } else if (p[0] == '\'' && p + 1 < end && p[1] == '\'') {
            while (p < end && *p == '\'') p++;
            continue;
        }
        rc = jf_buf_append_byte(out, (uint8_t)*p++);
    }
    return rc;
}

static const struct { const char *name; const char *utf8; } ENTITIES[] = {
    { "nbsp", " " }, { "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" },
    { "apos", "'" }, { "ndash", "\xE2\x80\x93" }, { "mdash", "\xE2\x80\x94" },
    { "hellip", "\xE2\x80\xA6" }, { "times", "\xC3\x97" }, { "minus", "\xE2\x88\x92" },
    { "thinsp", " " }, { "ensp", " " }, { "emsp", " " }, { "middot", "\xC2\xB7" },
};

static JfStatus put_codepoint(JfBuf *out, unsigned long c)
{
    uint8_t b[4];
    size_t n;
    if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = 0xFFFD;
    if (c < 0x80) b[0] = (uint8_t)c, n = 1;
    else if (c < 0x800) b[0] = (uint8_t)(0xC0 | c >> 6), b[1] = (uint8_t)(0x80 | (c & 0x3F)), n = 2;
    else if (c < 0x10000)
        b[0] = (uint8_t)(0xE0 | c >> 12), b[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F)),
        b[2] = (uint8_t)(0x80 | (c & 0x3F)), n = 3;
    else
        b[0] = (uint8_t)(0xF0 | c >> 18), b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F)),
        b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F)), b[3] = (uint8_t)(0x80 | (c & 0x3F)), n = 4;
    return jf_buf_append(out, b, n);
}

/* An entity at p ('&'): appends its text and @return its length, or 0. */
static size_t entity(const char *p, const char *end, JfBuf *out, JfStatus *rc)
{
    const char *semi = memchr(p, ';', (size_t)(end - p) < 12 ? (size_t)(end - p) : 12);
    if (!semi) return 0;
    if (p[1] == '#') {
        char *e;
        unsigned long c = (p[2] == 'x' || p[2] == 'X') ? strtoul(p + 3, &e, 16) : strtoul(p + 2, &e, 10);
        if (e != semi) return 0;
        *rc = put_codepoint(out, c);
        return (size_t)(semi - p) + 1;
    }
    for (size_t i = 0; i < sizeof ENTITIES / sizeof ENTITIES[0]; i++) {
        size_t n = strlen(ENTITIES[i].name);
        if ((size_t)(semi - p - 1) == n && !strncmp(p + 1, ENTITIES[i].name, n)) {
            *rc = jf_buf_append_str(out, ENTITIES[i].utf8);
            return n + 2;
        }
    }
    return 0;
}

/* One line of pass 3: markers off, entities decoded, appended with '\n'. */
static JfStatus pass_line(const char *p, const char *end, JfBuf *out)
{
    while (p < end && (*p == '*' || *p == '#' || *p == ':' || *p == ';' || *p == ' ' || *p == '\t')) p++;
    if (end - p >= 4 && !strncmp(p, "----", 4)) return JF_OK;
    if (p < end && *p == '=') {                              /* == heading == */
        while (p < end && (*p == '=' || *p == ' ' || *p == '\t')) p++;
        while (end > p && (end[-1] == '=' || end[-1] == ' ' || end[-1] == '\t')) end--;
    }
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) end--;
    if (p == end) return JF_OK;
    JfStatus rc = JF_OK;
    while (p < end && rc == JF_OK) {
        size_t used = *p == '&' ? entity(p, end, out, &rc) : 0;
        if (used) p += used;
        else rc = jf_buf_append_byte(out, (uint8_t)*p++);
    }
    return rc == JF_OK ? jf_buf_append_byte(out, '\n') : rc;
}

JfStatus wikitext_to_text(const char *src, size_t len, JfBuf *out, WikitextStats *st)
{
    WikitextStats local = { 0 };
    if (!st) st = &local;
    st->unclosed = 0;
    JfBuf a, b;
    jf_buf_init(&a, out->limit);
    jf_buf_init(&b, out->limit);
    jf_buf_reset(out);
    JfStatus rc = pass_blocks(src, len, &a, st);
    if (rc == JF_OK) rc = pass_inline(a.data ? (const char *)a.data : "", a.len, &b);
    const char *p = b.data ? (const char *)b.data : "", *end = p + b.len;
    while (rc == JF_OK && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        rc = pass_line(p, le, out);
        p = le + 1;
    }
    if (rc == JF_OK && out->len && out->data[out->len - 1] == '\n') out->data[--out->len] = '\0';
    jf_buf_free(&a);
    jf_buf_free(&b);
    return rc;
}
