/* fetcher.h: downloads the entries of a manifest into a directory with the
 * libcurl multi interface: N transfers at once, HTTP Range resume of partial
 * files (DIR/NAME.part), retries with exponential backoff and jitter on
 * timeouts, connection resets, 408/429 and 5xx (Retry-After honoured, seconds
 * or HTTP date), at once failure on other 4xx, size and checksum verification
 * (xxh3, md5, sha1), and an atomic rename of NAME.part to NAME only once the
 * file is complete and verified. A NAME already present is checked again
 * (size, checksum) and kept when it matches. http://, https:// and file://
 * URLs and plain local paths are accepted; TLS peers are always verified.
 *
 * It does not print, keep the run database (the CLI does, through
 * FetchSink.on_file) or decode what it downloads. Verification reads the
 * file in the calling thread, so transfers pause while a large file is hashed. */
#ifndef JF_FETCHER_H
#define JF_FETCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"
#include "manifest.h"

typedef struct {
    int         jobs;             /* transfers at once (default 4) */
    int         retries;          /* tries after the first (default 5) */
    uint64_t    limit_rate;       /* bytes/s for the whole run, split evenly over jobs; 0 = none */
    long        timeout_s;        /* connect timeout, and a transfer receiving nothing for this
                                   * long is aborted and retried (default 60) */
    double      retry_wait_s;     /* first backoff delay, doubled per retry (default 1) */
    double      retry_max_wait_s; /* cap of a backoff delay and of Retry-After (default 300) */
    const char *user_agent;       /* default "jaforge/VERSION" */
    const char *ca_file;          /* PEM bundle of certificate authorities to trust instead
                                   * of the system's (a private mirror); NULL: system.
                                   * TLS peer and host verification are always on. */
} FetchOptions;

void fetch_options_init(FetchOptions *o);

typedef enum {
    FETCH_DONE = 0,     /* downloaded (or resumed) and verified, renamed to NAME */
    FETCH_PRESENT,      /* NAME was already there and verified: nothing fetched */
    FETCH_FAILED,       /* see reason; no NAME was written */
} FetchOutcome;

typedef struct {
    FetchOutcome outcome;
    uint64_t     bytes;        /* size of NAME (DONE, PRESENT) */
    uint64_t     received;     /* body bytes received over all tries of this run */
    int          attempts;     /* requests made (0 for PRESENT) */
    bool         resumed;      /* a Range request continued a partial file */
    char         reason[512];  /* FAILED: why, e.g. "HTTP 404", "gave up after 6 tries: ..." */
} FetchResult;

/* Callbacks, all from the thread calling fetch_run; any may be NULL. i is
 * the entry's index in the array given to fetch_run. */
typedef struct {
    void (*on_file)(void *ctx, size_t i, const FetchResult *r);
    void (*on_retry)(void *ctx, size_t i, int attempt, double delay_s, const char *reason);
    /* bytes: of the entries' files on disk now; total: sum of the expected
     * sizes known so far (manifest sizes, else Content-Length). */
    void (*on_progress)(void *ctx, uint64_t bytes, uint64_t total);
    void *ctx;
} FetchSink;

/* Fetches entries[0..count) into out_dir (created if missing). Every entry
 * ends in exactly one on_file call. *failed (may be NULL) gets how many
 * entries ended FETCH_FAILED.
 * @return JF_OK when every entry was processed (failed ones included),
 * JF_EUSAGE (bad options), JF_EIO (out_dir), JF_ENOMEM or JF_EINTERNAL (libcurl). */
JfStatus fetch_run(const FetchOptions *o, const char *out_dir, const ManifestEntry *entries,
                   size_t count, const FetchSink *sink, size_t *failed, JfError *err);

#endif
