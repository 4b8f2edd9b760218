/* jf_alloc.c: counting allocator. Each block carries a 16-byte header with its
 * size so that jf_free can subtract it; 16 keeps the payload aligned for any
 * type malloc would align. */
#include "jf_alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define JF_ALLOC_HDR 16

static atomic_size_t g_live;
static atomic_size_t g_peak;
static atomic_uint_fast64_t g_fail_countdown;

static int injected_failure(void)
{
    uint_fast64_t c = atomic_load(&g_fail_countdown);
    while (c > 0) {
        if (atomic_compare_exchange_weak(&g_fail_countdown, &c, c - 1)) return c == 1;
    }
    return 0;
}

static void account(size_t add, size_t sub)
{
    size_t now = atomic_fetch_add(&g_live, add) + add;
    atomic_fetch_sub(&g_live, sub);
    now -= sub;
    size_t peak = atomic_load(&g_peak);
    while (now > peak && !atomic_compare_exchange_weak(&g_peak, &peak, now)) {}
}

void *jf_malloc(size_t n)
{
    if (injected_failure() || n > SIZE_MAX - JF_ALLOC_HDR) return NULL;
    unsigned char *p = malloc(n + JF_ALLOC_HDR);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    account(n, 0);
    return p + JF_ALLOC_HDR;
}

void *jf_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = jf_malloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *jf_realloc(void *p, size_t n)
{
    if (!p) return jf_malloc(n);
    if (injected_failure() || n > SIZE_MAX - JF_ALLOC_HDR) return NULL;
    unsigned char *base = (unsigned char *)p - JF_ALLOC_HDR;
    size_t old;
    memcpy(&old, base, sizeof old);
    unsigned char *q = realloc(base, n + JF_ALLOC_HDR);
    if (!q) return NULL;
    memcpy(q, &n, sizeof n);
    account(n, old);
    return q + JF_ALLOC_HDR;
}

char *jf_strndup(const char *s, size_t n)
{
    char *d = jf_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *jf_strdup(const char *s) { return jf_strndup(s, strlen(s)); }

void jf_free(void *p)
{
    if (!p) return;
    unsigned char *base = (unsigned char *)p - JF_ALLOC_HDR;
    size_t n;
    memcpy(&n, base, sizeof n);
    atomic_fetch_sub(&g_live, n);
    free(base);
}

size_t jf_alloc_live_bytes(void) { return atomic_load(&g_live); }
size_t jf_alloc_peak_bytes(void) { return atomic_load(&g_peak); }
void jf_alloc_fail_at(uint64_t n) { atomic_store(&g_fail_countdown, n); }
