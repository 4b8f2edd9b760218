/* tok_fixture.h: what the tokenizer unit tests share: reading the files that
 * make_tok_data.py wrote (under JF_TOK_DIR, a ctest fixture run before them). */
#ifndef JF_TOK_FIXTURE_H
#define JF_TOK_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline char *tok_path(const char *name)
{
    static char buf[4][1024];
    static int k;
    char *p = buf[k++ & 3];
    snprintf(p, 1024, "%s/%s", JF_TOK_DIR, name);
    return p;
}

/* @return the whole file (malloc'ed, NUL-terminated) or NULL. */
static inline uint8_t *tok_read(const char *name, size_t *len)
{
    FILE *f = fopen(tok_path(name), "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
    fclose(f);
    if (b) { b[n] = 0; *len = (size_t)n; }
    return b;
}

#endif
