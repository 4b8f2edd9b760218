/* manifest.c: parsing of data-manifests/ files (format in
 * data-manifests/README.md). Lines are read with getline so a line of any
 * length is seen whole; a line over MANIFEST_LINE_MAX is rejected, not cut.
 * It does not touch the network or the files named. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jf_alloc.h"
#include "manifest.h"

#define MANIFEST_LINE_MAX (64 * 1024)

static const struct {
    const char     *prefix;
    ManifestSumKind kind;
    size_t          digits;
} SUMS[] = {
    { "xxh3:", MANIFEST_SUM_XXH3, 16 },
    { "md5:",  MANIFEST_SUM_MD5,  32 },
    { "sha1:", MANIFEST_SUM_SHA1, 40 },
};

const char *manifest_sum_name(ManifestSumKind k)
{
    switch (k) {
    case MANIFEST_SUM_XXH3: return "xxh3";
    case MANIFEST_SUM_MD5:  return "md5";
    case MANIFEST_SUM_SHA1: return "sha1";
    default:                return "none";
    }
}

bool manifest_url_has_scheme(const char *url)
{
    return !strncmp(url, "http://", 7) || !strncmp(url, "https://", 8) ||
           !strncmp(url, "file://", 7);
}

void manifest_init(Manifest *m)
{
    memset(m, 0, sizeof *m);
}

void manifest_entry_free(ManifestEntry *e)
{
    if (!e) return;
    jf_free(e->url);
    jf_free(e->name);
    jf_free(e->source);
    jf_free(e->lang);
    memset(e, 0, sizeof *e);
}

void manifest_free(Manifest *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->count; i++) manifest_entry_free(&m->entries[i]);
    jf_free(m->entries);
    memset(m, 0, sizeof *m);
}

bool manifest_name_from_url(const char *url, char *out, size_t cap)
{
    size_t end = strcspn(url, manifest_url_has_scheme(url) ? "?#" : "");
    size_t start = end;
    while (start > 0 && url[start - 1] != '/') start--;
    size_t n = end - start;
    if (n == 0 || n > MANIFEST_NAME_MAX || n >= cap) return false;
    memcpy(out, url + start, n);
    out[n] = '\0';
    if (!strcmp(out, ".") || !strcmp(out, "..") || strchr(out, '\\')) return false;
    return true;
}

/* One TAB-separated field after the URL: size, checksum, "-" or key=value. */
static JfStatus field_parse(const char *f, ManifestEntry *e, JfError *err)
{
    if (!strcmp(f, "-")) return JF_OK;
    if (isdigit((unsigned char)f[0])) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(f, &end, 10);
        if (*end || errno)
            return jf_error_set(err, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN, "bad size '%.40s'", f);
        if (e->has_size)
            return jf_error_set(err, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN, "two sizes");
        e->has_size = true;
        e->size = v;
        return JF_OK;
    }
    for (size_t i = 0; i < sizeof SUMS / sizeof SUMS[0]; i++) {
        size_t pl = strlen(SUMS[i].prefix);
        if (strncmp(f, SUMS[i].prefix, pl)) continue;
        const char *hex = f + pl;
        if (strlen(hex) != SUMS[i].digits || strspn(hex, "0123456789abcdefABCDEF") != SUMS[i].digits)
            return jf_error_set(err, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN,
                                "bad %s checksum '%.60s' (%zu hex digits expected)",
                                manifest_sum_name(SUMS[i].kind), hex, SUMS[i].digits);
        if (e->sum_kind != MANIFEST_SUM_NONE)
            return jf_error_set(err, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN, "two checksums");
        e->sum_kind = SUMS[i].kind;
        for (size_t k = 0; k <= SUMS[i].digits; k++) e->sum_hex[k] = (char)tolower((unsigned char)hex[k]);
        return JF_OK;
    }
    char **slot = !strncmp(f, "source=", 7) ? &e->source : !strncmp(f, "lang=", 5) ? &e->lang : NULL;
    if (!slot)
        return jf_error_set(err, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN,
                            "unknown field '%.60s' (size, xxh3:/md5:/sha1: checksum, -, "
                            "source=, lang=)", f);
    const char *v = strchr(f, '=') + 1;
    if (!*v || *slot)
        return jf_error_set(err, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN, "empty or repeated '%.60s'", f);
    *slot = jf_strdup(v);
    return *slot ? JF_OK : jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
}

static bool line_is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)s[i])) return false;
    return true;
}

/* Splits the copy of a line at TABs and parses each piece. */
static JfStatus fields_parse(char *buf, ManifestEntry *e, JfError *err)
{
    char *save = NULL;
    char *url = strtok_r(buf, "\t", &save);
    if (!url || !*url) return jf_error_set(err, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN, "no URL");
    if (strchr(url, ' ') && manifest_url_has_scheme(url))
        return jf_error_set(err, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN,
                            "space in URL (fields are separated by TAB)");
    char name[MANIFEST_NAME_MAX + 1];
    if (!manifest_name_from_url(url, name, sizeof name))
        return jf_error_set(err, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN,
                            "'%.80s' gives no safe file name (last path segment)", url);
    e->url = jf_strdup(url);
    e->name = jf_strdup(name);
    if (!e->url || !e->name) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    for (char *f = strtok_r(NULL, "\t", &save); f; f = strtok_r(NULL, "\t", &save)) {
        JfStatus rc = field_parse(f, e, err);
        if (rc != JF_OK) return rc;
    }
    return JF_OK;
}

JfStatus manifest_line_parse(const char *line, size_t len, ManifestEntry *e, JfError *err)
{
    memset(e, 0, sizeof *e);
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ')) len--;
    size_t lead = 0;
    while (lead < len && (line[lead] == ' ' || line[lead] == '\t')) lead++;
    if (line_is_blank(line, len) || line[lead] == '#') return JF_DONE;
    if (memchr(line, '\0', len))
        return jf_error_set(err, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN, "NUL byte in line");
    char *buf = jf_strndup(line + lead, len - lead);
    if (!buf) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    JfStatus rc = fields_parse(buf, e, err);
    jf_free(buf);
    if (rc != JF_OK) manifest_entry_free(e);
    return rc;
}

/* Names seen so far, for the "two lines save to the same file" check:
 * open addressing over entry indices + 1 (0 = free), load at most 1/2, so
 * a manifest of a whole Common Crawl snapshot (~100k lines) stays linear. */
typedef struct {
    size_t *slots;
    size_t  cap;     /* power of two */
} NameSet;

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static JfStatus nameset_grow(NameSet *ns, const Manifest *m)
{
    size_t cap = ns->cap ? ns->cap * 2 : 256;
    size_t *slots = jf_calloc(cap, sizeof *slots);
    if (!slots) return JF_ENOMEM;
    for (size_t i = 0; i < m->count; i++) {
        size_t k = name_hash(m->entries[i].name) & (cap - 1);
        while (slots[k]) k = (k + 1) & (cap - 1);
        slots[k] = i + 1;
    }
    jf_free(ns->slots);
    ns->slots = slots;
    ns->cap = cap;
    return JF_OK;
}

/* @return the slot where name is or would go. */
static size_t nameset_find(const NameSet *ns, const Manifest *m, const char *name)
{
    size_t k = name_hash(name) & (ns->cap - 1);
    while (ns->slots[k] && strcmp(m->entries[ns->slots[k] - 1].name, name))
        k = (k + 1) & (ns->cap - 1);
    return k;
}

static JfStatus entry_append(Manifest *m, ManifestEntry *e)
{
    if (m->count == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        ManifestEntry *n = jf_realloc(m->entries, cap * sizeof *n);
        if (!n) return JF_ENOMEM;
        m->entries = n;
        m->cap = cap;
    }
    m->entries[m->count++] = *e;
    return JF_OK;
}

static void bad_line(Manifest *m, const char *path, uint64_t off, uint64_t lineno,
                     const JfError *why, ManifestBadFn *on_bad, void *ctx)
{
    JfError e;
    jf_error_clear(&e);
    jf_error_set(&e, JF_EFORMAT, path, off, "line %llu: %s", (unsigned long long)lineno, why->msg);
    m->bad++;
    if (on_bad) on_bad(ctx, &e);
}

/* Parses one line read from the file and appends it or reports it. */
static JfStatus line_take(Manifest *m, NameSet *ns, const char *path, const char *line,
                          size_t len, uint64_t off, uint64_t lineno, ManifestBadFn *on_bad,
                          void *ctx, JfError *err)
{
    ManifestEntry e;
    JfError why;
    jf_error_clear(&why);
    JfStatus rc = len > MANIFEST_LINE_MAX
                      ? jf_error_set(&why, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN, "line over 64 KiB")
                      : manifest_line_parse(line, len, &e, &why);
    if (rc == JF_DONE) return JF_OK;
    if (rc == JF_ENOMEM) return jf_error_set(err, JF_ENOMEM, path, off, "out of memory");
    if (rc == JF_OK && (m->count + 1) * 2 > ns->cap && nameset_grow(ns, m) != JF_OK) {
        manifest_entry_free(&e);
        return jf_error_set(err, JF_ENOMEM, path, off, "out of memory");
    }
    size_t slot = rc == JF_OK ? nameset_find(ns, m, e.name) : 0;
    if (rc == JF_OK && ns->slots[slot]) {
        jf_error_set(&why, JF_EFORMAT, NULL, JF_OFFSET_UNKNOWN,
                     "file name '%.80s' already used by line %llu", e.name,
                     (unsigned long long)m->entries[ns->slots[slot] - 1].line);
        manifest_entry_free(&e);
        rc = JF_EFORMAT;
    }
    if (rc != JF_OK) {
        bad_line(m, path, off, lineno, &why, on_bad, ctx);
        return JF_OK;
    }
    e.line = lineno;
    if (entry_append(m, &e) != JF_OK) {
        manifest_entry_free(&e);
        return jf_error_set(err, JF_ENOMEM, path, off, "out of memory");
    }
    ns->slots[slot] = m->count;
    return JF_OK;
}

JfStatus manifest_load(const char *path, Manifest *m, ManifestBadFn *on_bad, void *ctx,
                       JfError *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    uint64_t off = 0, lineno = 0;
    ssize_t n;
    JfStatus rc = JF_OK;
    NameSet ns = { 0 };
    if (m->count && nameset_grow(&ns, m) != JF_OK) rc = jf_error_set(err, JF_ENOMEM, path, 0, "out of memory");
    /* getline uses malloc: its buffer is freed with free(), not jf_free */
    while (rc == JF_OK && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        if (len > 0 && line[len - 1] == '\n') len--;
        rc = line_take(m, &ns, path, line, len, off, lineno, on_bad, ctx, err);
        off += (uint64_t)n;
    }
    if (rc == JF_OK && ferror(f)) rc = jf_error_set(err, JF_EIO, path, off, "read error");
    free(line);
    jf_free(ns.slots);
    fclose(f);
    return rc;
}
