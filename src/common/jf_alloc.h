/* jf_alloc.h: the allocator every jaforge module uses. It counts live bytes
 * (for --mem and statistics) and lets tests make the Nth allocation fail, so
 * each stage's out-of-memory path is exercised. It is a thin layer over
 * malloc: no pools, no arenas (see jf_buf.h for growable buffers). */
#ifndef JF_ALLOC_H
#define JF_ALLOC_H

#include <stddef.h>
#include <stdint.h>

/* Return NULL on failure (real or injected); never abort. */
void *jf_malloc(size_t n);
void *jf_calloc(size_t count, size_t size);
void *jf_realloc(void *p, size_t n);
char *jf_strdup(const char *s);
char *jf_strndup(const char *s, size_t n);
void  jf_free(void *p);            /* accepts NULL */

/* Live bytes allocated through jf_* right now, and the high-water mark. */
size_t jf_alloc_live_bytes(void);
size_t jf_alloc_peak_bytes(void);

/* Test hook: the n-th allocation from now (1-based) fails, and every one
 * after it succeeds again. 0 disables. */
void jf_alloc_fail_at(uint64_t n);

#endif
