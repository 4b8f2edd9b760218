/* filter_match.c: the word-list machinery of the filter stage: reading word
 * lists, an Aho–Corasick automaton over UTF-8 bytes (a full 256-way DFA, so
 * scanning is one table lookup per byte: linear in the text whatever the
 * number of patterns), and a domain set for host block lists (sorted 64-bit
 * hashes, a parent-domain walk per URL). It does not know which rule uses
 * what: filter_rules_words.c does. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter_int.h"
#include "jf_alloc.h"
#include "jf_buf.h"

/* ---- word lists ---- */

JfStatus filter_wordlist_read(const char *path, JfStatus (*add)(void *ctx, const char *w, size_t n),
                              void *ctx, JfError *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot open word list");
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    JfStatus rc = JF_OK;
    while (rc == JF_OK && (got = getline(&line, &cap, f)) >= 0) {
        size_t a = 0, b = (size_t)got;
        if (b >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) a = 3;   /* BOM */
        while (a < b && isspace((unsigned char)line[a])) a++;
        while (b > a && isspace((unsigned char)line[b - 1])) b--;
        if (a == b || line[a] == '#') continue;
        rc = add(ctx, line + a, b - a);
        if (rc != JF_OK) jf_error_set(err, rc, path, JF_OFFSET_UNKNOWN, "cannot add an entry");
    }
    free(line);   /* getline's buffer comes from malloc */
    fclose(f);
    return rc;
}

/* ---- Aho–Corasick ---- */

struct FilterMatcher {
    int32_t  *next;      /* n_states × 256: trie edges, then DFA transitions; once built,
                            the target's row offset (state × 256), bitwise negated (< 0)
                            when a pattern ends in the target: one load per byte */
    uint32_t *out;       /* longest pattern length ending in the state (0: none) */
    int32_t  *fail;
    size_t    n_states, cap;
    size_t    n_patterns;
    bool      built;
};

static JfStatus state_new(FilterMatcher *m, int32_t *id)
{
    if (m->n_states == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        int32_t *nx = jf_realloc(m->next, cap * 256 * sizeof *nx);
        if (!nx) return JF_ENOMEM;
        m->next = nx;
        uint32_t *o = jf_realloc(m->out, cap * sizeof *o);
        if (!o) return JF_ENOMEM;
        m->out = o;
        int32_t *fl = jf_realloc(m->fail, cap * sizeof *fl);
        if (!fl) return JF_ENOMEM;
        m->fail = fl;
        m->cap = cap;
    }
    size_t s = m->n_states++;
    for (int c = 0; c < 256; c++) m->next[s * 256 + c] = -1;
    m->out[s] = 0;
    m->fail[s] = 0;
    *id = (int32_t)s;
    return JF_OK;
}

JfStatus filter_matcher_new(FilterMatcher **out)
{
    FilterMatcher *m = jf_calloc(1, sizeof *m);
    int32_t root;
    if (!m || state_new(m, &root) != JF_OK) {
        filter_matcher_free(m);
        return JF_ENOMEM;
    }
    *out = m;
    return JF_OK;
}

JfStatus filter_matcher_add(FilterMatcher *m, const char *pat, size_t len)
{
    if (len == 0 || m->built) return JF_OK;
    int32_t s = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)pat[i];
        if (m->next[(size_t)s * 256 + c] < 0) {
            int32_t n;
            if (state_new(m, &n) != JF_OK) return JF_ENOMEM;
            m->next[(size_t)s * 256 + c] = n;
        }
        s = m->next[(size_t)s * 256 + c];
    }
    if (m->out[s] < len) m->out[s] = (uint32_t)len;
    m->n_patterns++;
    return JF_OK;
}

/* Breadth-first: fail links, then every missing edge becomes the fail
 * state's transition, and out takes the longest match along the fail chain. */
JfStatus filter_matcher_build(FilterMatcher *m)
{
    int32_t *queue = jf_malloc(m->n_states * sizeof *queue);
    if (!queue) return JF_ENOMEM;
    size_t head = 0, tail = 0;
    for (int c = 0; c < 256; c++) {
        int32_t s = m->next[c];
        if (s < 0) m->next[c] = 0;
        else { m->fail[s] = 0; queue[tail++] = s; }
    }
    while (head < tail) {
        int32_t r = queue[head++];
        if (m->out[m->fail[r]] > m->out[r]) m->out[r] = m->out[m->fail[r]];
        for (int c = 0; c < 256; c++) {
            int32_t s = m->next[(size_t)r * 256 + c];
            int32_t f = m->next[(size_t)m->fail[r] * 256 + c];
            if (s < 0) {
                m->next[(size_t)r * 256 + c] = f;
            } else {
                m->fail[s] = f;
                queue[tail++] = s;
            }
        }
    }
    jf_free(queue);
    if (m->n_states > (size_t)INT32_MAX / 256) return JF_ENOMEM;   /* offsets must fit */
    for (size_t k = 0; k < m->n_states * 256; k++) {
        int32_t t = m->next[k];
        m->next[k] = m->out[t] ? ~(t * 256) : t * 256;
    }
    m->built = true;
    return JF_OK;
}

size_t filter_matcher_count(const FilterMatcher *m)
{
    return m->n_patterns;
}

void filter_matcher_scan(const FilterMatcher *m, const char *text, size_t len,
                         void (*fn)(void *ctx, size_t end, size_t len), void *ctx)
{
    if (!m->built || m->n_patterns == 0) return;
    const int32_t *next = m->next;
    int32_t s = 0;   /* row offset of the state */
    for (size_t i = 0; i < len; i++) {
        s = next[s + (uint8_t)text[i]];
        if (s < 0) {   /* rare: a pattern ends here */
            s = ~s;
            fn(ctx, i + 1, m->out[s / 256]);
        }
    }
}

void filter_matcher_free(FilterMatcher *m)
{
    if (!m) return;
    jf_free(m->next);
    jf_free(m->out);
    jf_free(m->fail);
    jf_free(m);
}

/* ---- host sets ---- */

struct FilterHostSet {
    uint64_t *h;
    size_t    n, cap;
    bool      sorted;
};

JfStatus filter_hostset_new(FilterHostSet **out)
{
    *out = jf_calloc(1, sizeof **out);
    return *out ? JF_OK : JF_ENOMEM;
}

static uint64_t host_hash(const char *s, size_t n)
{
    return filter_hash_bytes(s, n);
}

/* Lowercases and strips "*." / "." prefixes and a trailing dot. */
static size_t host_clean(const char *in, size_t n, char *out, size_t cap)
{
    if (n >= 2 && in[0] == '*' && in[1] == '.') { in += 2; n -= 2; }
    while (n && in[0] == '.') { in++; n--; }
    while (n && in[n - 1] == '.') n--;
    if (n >= cap) return 0;
    for (size_t i = 0; i < n; i++) out[i] = (char)tolower((unsigned char)in[i]);
    return n;
}

JfStatus filter_hostset_add(FilterHostSet *s, const char *domain, size_t len)
{
    char buf[256];
    size_t n = host_clean(domain, len, buf, sizeof buf);
    if (n == 0) return JF_OK;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *h = jf_realloc(s->h, cap * sizeof *h);
        if (!h) return JF_ENOMEM;
        s->h = h;
        s->cap = cap;
    }
    s->h[s->n++] = host_hash(buf, n);
    s->sorted = false;
    return JF_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool set_has(const FilterHostSet *s, uint64_t h)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->h[mid] == h) return true;
        if (s->h[mid] < h) lo = mid + 1;
        else hi = mid;
    }
    return false;
}

void filter_hostset_build(FilterHostSet *s)
{
    qsort(s->h, s->n, sizeof *s->h, cmp_u64);
    s->sorted = true;
}

bool filter_hostset_has_host(const FilterHostSet *s, const char *host, size_t len)
{
    if (!s->sorted) return false;
    for (size_t a = 0; a < len;) {
        if (set_has(s, host_hash(host + a, len - a))) return true;
        const char *dot = memchr(host + a, '.', len - a);
        if (!dot) break;
        a = (size_t)(dot - host) + 1;
    }
    return false;
}

void filter_hostset_free(FilterHostSet *s)
{
    if (!s) return;
    jf_free(s->h);
    jf_free(s);
}

bool filter_url_host(const char *url, char *out, size_t cap)
{
    if (!url) return false;
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n);
    while (at) {   /* userinfo: the host follows the last '@' */
        n -= (size_t)(at + 1 - p);
        p = at + 1;
        at = memchr(p, '@', n);
    }
    if (n && p[0] != '[') {
        const char *colon = memchr(p, ':', n);
        if (colon) n = (size_t)(colon - p);
    }
    n = host_clean(p, n, out, cap);
    out[n < cap ? n : 0] = '\0';
    return n > 0;
}

size_t filter_hostset_count(const FilterHostSet *s)
{
    return s->n;
}
