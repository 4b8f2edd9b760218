/* fetch_verify.c: checksums of whole files (XXH3-64 from libxxhash, md5 and
 * sha1 from libcrypto's EVP interface) and the size + checksum check of a
 * fetched file. Reads files in 1 MiB blocks; keeps nothing between calls. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <xxhash.h>

#include "fetch_int.h"
#include "jf_alloc.h"

#define VERIFY_BLOCK (1u << 20)

static void hex_write(const unsigned char *b, size_t n, char *out)
{
    static const char D[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = D[b[i] >> 4];
        out[2 * i + 1] = D[b[i] & 15];
    }
    out[2 * n] = '\0';
}

/* The two digest families behind one feed/finish pair. */
typedef struct {
    ManifestSumKind kind;
    XXH3_state_t   *xxh;
    EVP_MD_CTX     *md;
} Digest;

static bool digest_init(Digest *d, ManifestSumKind kind)
{
    memset(d, 0, sizeof *d);
    d->kind = kind;
    if (kind == MANIFEST_SUM_XXH3) {
        d->xxh = XXH3_createState();
        return d->xxh && XXH3_64bits_reset(d->xxh) == XXH_OK;
    }
    d->md = EVP_MD_CTX_new();
    const EVP_MD *md = kind == MANIFEST_SUM_MD5 ? EVP_md5() : EVP_sha1();
    return d->md && EVP_DigestInit_ex(d->md, md, NULL) == 1;
}

static bool digest_feed(Digest *d, const void *p, size_t n)
{
    if (d->xxh) return XXH3_64bits_update(d->xxh, p, n) == XXH_OK;
    return EVP_DigestUpdate(d->md, p, n) == 1;
}

static bool digest_finish(Digest *d, char hex[41])
{
    if (d->xxh) {
        XXH64_hash_t h = XXH3_64bits_digest(d->xxh);
        snprintf(hex, 41, "%016llx", (unsigned long long)h);
        return true;
    }
    unsigned char b[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (EVP_DigestFinal_ex(d->md, b, &n) != 1 || n > 20) return false;
    hex_write(b, n, hex);
    return true;
}

static void digest_free(Digest *d)
{
    if (d->xxh) XXH3_freeState(d->xxh);
    if (d->md) EVP_MD_CTX_free(d->md);
}

JfStatus fetch_file_digest(const char *path, ManifestSumKind kind, char hex[41], uint64_t *size,
                           JfError *err)
{
    if (kind == MANIFEST_SUM_NONE)
        return jf_error_set(err, JF_EUSAGE, path, JF_OFFSET_UNKNOWN, "no checksum kind");
    FILE *f = fopen(path, "rb");
    if (!f) return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
    JfStatus rc = JF_OK;
    uint64_t total = 0;
    Digest d;
    unsigned char *buf = jf_malloc(VERIFY_BLOCK);
    if (!buf) rc = jf_error_set(err, JF_ENOMEM, path, 0, "out of memory");
    else if (!digest_init(&d, kind)) rc = jf_error_set(err, JF_EINTERNAL, path, 0, "digest init failed");
    size_t n;
    while (rc == JF_OK && (n = fread(buf, 1, VERIFY_BLOCK, f)) > 0) {
        if (!digest_feed(&d, buf, n)) rc = jf_error_set(err, JF_EINTERNAL, path, total, "digest failed");
        total += n;
    }
    if (rc == JF_OK && ferror(f)) rc = jf_error_set(err, JF_EIO, path, total, "read error");
    if (rc == JF_OK && !digest_finish(&d, hex))
        rc = jf_error_set(err, JF_EINTERNAL, path, total, "digest failed");
    if (buf && rc != JF_ENOMEM) digest_free(&d);
    jf_free(buf);
    fclose(f);
    if (size) *size = total;
    return rc;
}

JfStatus fetch_file_verify(const char *path, const ManifestEntry *e, bool *ok, char *why,
                           size_t why_cap, JfError *err)
{
    struct stat st;
    *ok = false;
    if (stat(path, &st) != 0)
        return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "%s", strerror(errno));
    if (e->has_size && (uint64_t)st.st_size != e->size) {
        snprintf(why, why_cap, "size %llu != expected %llu", (unsigned long long)st.st_size,
                 (unsigned long long)e->size);
        return JF_OK;
    }
    if (e->sum_kind != MANIFEST_SUM_NONE) {
        char hex[41];
        JfStatus rc = fetch_file_digest(path, e->sum_kind, hex, NULL, err);
        if (rc != JF_OK) return rc;
        if (strcmp(hex, e->sum_hex)) {
            snprintf(why, why_cap, "%s checksum %s != expected %s", manifest_sum_name(e->sum_kind),
                     hex, e->sum_hex);
            return JF_OK;
        }
    }
    *ok = true;
    return JF_OK;
}
