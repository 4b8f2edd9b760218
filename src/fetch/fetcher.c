/* fetcher.c: the download loop of fetcher.h. One Xfer per manifest entry;
 * at most o->jobs of them own a curl easy handle at a time, all in one multi
 * handle (which keeps the connection pool). An entry that must be retried
 * waits in a list until its backoff has passed, its .part kept for a Range
 * request. The body is written straight to NAME.part; the first body bytes
 * decide whether the server honoured the Range (206 with the asked start) or
 * sent the whole file (200: the .part is emptied first).
 * It does not hash while receiving: a finished .part is hashed once, as a
 * whole, so resumed and fresh downloads are verified the same way. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fetch_int.h"
#include "fetcher.h"
#include "jf_alloc.h"
#include "jf_fs.h"

typedef enum { XFER_NEW, XFER_ACTIVE, XFER_WAITING, XFER_FINISHED } XferState;

typedef struct Fetch Fetch;

typedef struct {
    Fetch      *f;
    const ManifestEntry *e;
    size_t      index;
    XferState   state;
    char       *url;          /* what curl is given (a plain path becomes file://) */
    bool        is_http;
    char        part[PATH_MAX];
    char        final[PATH_MAX];
    CURL       *h;
    int         fd;           /* NAME.part while ACTIVE, else -1 */
    uint64_t    offset;       /* bytes of .part when the request was made (Range start) */
    uint64_t    written;      /* body bytes written by this request */
    uint64_t    expect;       /* full size when known (manifest, else Content-Length) */
    bool        body_seen;    /* the first body bytes were classified */
    bool        discard;      /* error response: body not written */
    int         write_errno;  /* a write to .part failed */
    bool        range_bad;    /* 206 starting elsewhere than asked */
    long        range_start;  /* from Content-Range, -1 when none */
    double      retry_after;  /* seconds from Retry-After, -1 when none */
    double      ready_at;     /* monotonic time a WAITING entry may start */
    double      last_data;    /* monotonic time of the last header or body bytes */
    FetchResult res;
    char        errbuf[CURL_ERROR_SIZE];
} Xfer;

struct Fetch {
    const FetchOptions *o;
    const FetchSink    *sink;
    CURLM              *multi;
    Xfer               *x;
    size_t              count;
    size_t              next_new;    /* next entry never started */
    size_t             *waiting;     /* indices of WAITING entries */
    size_t              n_waiting;
    Xfer              **slots;       /* the ACTIVE entries, o->jobs places */
    size_t              active;
    size_t              finished;
    size_t              failed;
    uint64_t            bytes_final; /* of entries ended DONE or PRESENT */
    uint64_t            total;       /* expected sizes known so far */
    unsigned            seed;        /* rand_r state for the jitter */
    char                agent[64];
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void fetch_options_init(FetchOptions *o)
{
    memset(o, 0, sizeof *o);
    o->jobs = 4;
    o->retries = 5;
    o->timeout_s = 60;
    o->retry_wait_s = 1.0;
    o->retry_max_wait_s = 300.0;
}

/* ---- ending an entry ---- */

static uint64_t file_size_or_zero(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static void xfer_finish(Fetch *f, Xfer *x, FetchOutcome outcome)
{
    x->state = XFER_FINISHED;
    x->res.outcome = outcome;
    f->finished++;
    if (outcome == FETCH_FAILED) {
        f->failed++;
        if (file_size_or_zero(x->part) == 0) unlink(x->part);   /* nothing worth resuming */
    } else if (!x->expect) {
        f->total += x->res.bytes;   /* its size was learned only now */
    }
    if (f->sink->on_file) f->sink->on_file(f->sink->ctx, x->index, &x->res);
}

static void xfer_fail(Fetch *f, Xfer *x, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void xfer_fail(Fetch *f, Xfer *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->res.reason, sizeof x->res.reason, fmt, ap);
    va_end(ap);
    xfer_finish(f, x, FETCH_FAILED);
}

/* Schedules another try after backoff (doubling, capped, equal jitter) or
 * Retry-After, whichever is later; gives up once the retries are spent. */
static void xfer_retry(Fetch *f, Xfer *x, const char *reason)
{
    if (x->res.attempts > f->o->retries) {
        xfer_fail(f, x, "gave up after %d %s: %s", x->res.attempts,
                  x->res.attempts == 1 ? "try" : "tries", reason);
        return;
    }
    double d = f->o->retry_wait_s;
    for (int i = 1; i < x->res.attempts && d < f->o->retry_max_wait_s; i++) d *= 2;
    if (d > f->o->retry_max_wait_s) d = f->o->retry_max_wait_s;
    d *= 0.5 + 0.5 * ((double)rand_r(&f->seed) / RAND_MAX);
    if (x->retry_after >= 0) {
        double ra = x->retry_after < f->o->retry_max_wait_s ? x->retry_after : f->o->retry_max_wait_s;
        if (ra > d) d = ra;
    }
    x->state = XFER_WAITING;
    x->ready_at = mono_now() + d;
    f->waiting[f->n_waiting++] = x->index;
    if (f->sink->on_retry) f->sink->on_retry(f->sink->ctx, x->index, x->res.attempts, d, reason);
}

/* ---- .part handling ---- */

static void part_discard(Xfer *x)
{
    unlink(x->part);
}

/* Verifies NAME.part and renames it to NAME. @return true when renamed;
 * otherwise the entry has failed (its .part removed on a mismatch). */
static bool part_promote(Fetch *f, Xfer *x)
{
    bool ok = false;
    char why[256] = "";
    JfError err;
    jf_error_clear(&err);
    if (fetch_file_verify(x->part, x->e, &ok, why, sizeof why, &err) != JF_OK) {
        char msg[768];
        jf_error_format(&err, msg, sizeof msg);
        xfer_fail(f, x, "cannot verify: %s", msg);
        return false;
    }
    if (!ok) {
        part_discard(x);
        xfer_fail(f, x, "downloaded file does not match the manifest: %s", why);
        return false;
    }
    if (rename(x->part, x->final) != 0) {
        xfer_fail(f, x, "rename to %s: %s", x->final, strerror(errno));
        return false;
    }
    x->res.bytes = file_size_or_zero(x->final);
    f->bytes_final += x->res.bytes;
    return true;
}

/* A NAME already there: kept when it verifies, else removed and fetched. */
static bool final_is_verified(Fetch *f, Xfer *x)
{
    if (access(x->final, F_OK) != 0) return false;
    bool ok = false;
    char why[256] = "";
    JfError err;
    jf_error_clear(&err);
    if (fetch_file_verify(x->final, x->e, &ok, why, sizeof why, &err) == JF_OK && ok) {
        x->res.bytes = file_size_or_zero(x->final);
        f->bytes_final += x->res.bytes;
        return true;
    }
    unlink(x->final);
    return false;
}

/* ---- libcurl callbacks ---- */

static void header_value_parse(Xfer *x, const char *line, size_t n)
{
    char buf[256];
    if (n >= sizeof buf) return;
    memcpy(buf, line, n);
    buf[n] = '\0';
    char *v = strchr(buf, ':');
    if (!v) return;
    *v++ = '\0';
    while (*v == ' ' || *v == '\t') v++;
    v[strcspn(v, "\r\n")] = '\0';
    if (!strcasecmp(buf, "Retry-After")) {
        char *end;
        long s = strtol(v, &end, 10);
        if (end != v && *end == '\0' && s >= 0) x->retry_after = (double)s;
        else {
            time_t t = curl_getdate(v, NULL);
            if (t != -1) x->retry_after = t > time(NULL) ? (double)(t - time(NULL)) : 0;
        }
    } else if (!strcasecmp(buf, "Content-Range")) {
        long start;
        if (sscanf(v, "bytes %ld-", &start) == 1) x->range_start = start;
    }
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    Xfer *x = ud;
    size_t len = size * n;
    x->last_data = mono_now();
    if (len >= 5 && !memcmp(p, "HTTP/", 5)) {   /* a new response (redirects) */
        x->retry_after = -1;
        x->range_start = -1;
    } else {
        header_value_parse(x, p, len);
    }
    return len;
}

/* First body bytes: decides where they go. */
static void body_classify(Xfer *x)
{
    x->body_seen = true;
    long code = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
    if (x->is_http && code != 200 && code != 206) {
        x->discard = true;
        return;
    }
    if (x->offset > 0 && code == 206 && x->range_start != (long)x->offset) {
        x->range_bad = true;
        return;
    }
    if (x->offset > 0 && code != 206) {   /* Range ignored: the whole file comes */
        if (ftruncate(x->fd, 0) != 0 || lseek(x->fd, 0, SEEK_SET) != 0) x->write_errno = errno;
        x->offset = 0;
        x->res.resumed = false;
    } else if (x->offset > 0) {
        x->res.resumed = true;
    }
    curl_off_t cl = -1;
    curl_easy_getinfo(x->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
    if (!x->expect && cl >= 0) {
        x->expect = x->offset + (uint64_t)cl;
        x->f->total += x->expect;
    }
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    Xfer *x = ud;
    size_t len = size * n;
    if (!x->body_seen) body_classify(x);
    if (x->discard) return len;
    if (x->range_bad || x->write_errno) return 0;   /* aborts the transfer */
    for (size_t done = 0; done < len;) {
        ssize_t w = write(x->fd, p + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            x->write_errno = errno;
            return 0;
        }
        done += (size_t)w;
    }
    x->written += len;
    x->res.received += len;
    x->last_data = mono_now();
    return len;
}

/* ---- starting a request ---- */

/* A plain path as a file:// URL, each byte outside [A-Za-z0-9/._~-] escaped. */
static char *path_to_file_url(const char *path)
{
    char abs[PATH_MAX];
    if (!realpath(path, abs)) snprintf(abs, sizeof abs, "%s", path);
    size_t n = strlen(abs);
    char *u = jf_malloc(8 + 3 * n + 1);
    if (!u) return NULL;
    char *w = u + sprintf(u, "file://");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)abs[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("/._~-", c))
            *w++ = (char)c;
        else
            w += sprintf(w, "%%%02X", c);
    }
    *w = '\0';
    return u;
}

static CURLcode handle_setup(Fetch *f, Xfer *x)
{
    const FetchOptions *o = f->o;
    CURL *h = x->h;
    CURLcode c = CURLE_OK;
    char range[32];
    snprintf(range, sizeof range, "%llu-", (unsigned long long)x->offset);
#define SET(opt, val) if (c == CURLE_OK) c = curl_easy_setopt(h, opt, val)
    SET(CURLOPT_URL, x->url);
    SET(CURLOPT_PRIVATE, x);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, x);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, x);
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, 10L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https,file");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");   /* a server cannot redirect to file:// */
    SET(CURLOPT_USERAGENT, f->agent);
    /* libcurl verifies TLS peers and host names by default; say so, so that no
     * build or environment can turn it off silently. */
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->ca_file) SET(CURLOPT_CAINFO, o->ca_file);
    SET(CURLOPT_CONNECTTIMEOUT, o->timeout_s);
    SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
    SET(CURLOPT_LOW_SPEED_TIME, o->timeout_s);
    if (o->limit_rate) SET(CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)(o->limit_rate / (uint64_t)o->jobs + 1));
    if (x->offset > 0) SET(CURLOPT_RANGE, range);
#undef SET
    return c;
}

/* Opens NAME.part for a request: kept (resume) for HTTP, emptied for
 * file:// and when it cannot be a prefix of the expected file. */
static bool part_open(Fetch *f, Xfer *x)
{
    x->fd = open(x->part, O_WRONLY | O_CREAT | O_CLOEXEC | (x->is_http ? 0 : O_TRUNC), 0644);
    if (x->fd < 0) {
        xfer_fail(f, x, "cannot open %s: %s", x->part, strerror(errno));
        return false;
    }
    off_t end = lseek(x->fd, 0, SEEK_END);
    x->offset = end > 0 ? (uint64_t)end : 0;
    if (x->e->has_size && x->offset > x->e->size) {
        if (ftruncate(x->fd, 0) != 0 || lseek(x->fd, 0, SEEK_SET) != 0) {
            xfer_fail(f, x, "cannot empty %s: %s", x->part, strerror(errno));
            return false;
        }
        x->offset = 0;
    }
    return true;
}

/* Frees the easy handle and closes the .part of an entry leaving ACTIVE. */
static void xfer_release(Fetch *f, Xfer *x)
{
    for (size_t i = 0; i < f->active; i++)
        if (f->slots[i] == x) {
            f->slots[i] = f->slots[--f->active];
            break;
        }
    if (x->h) {
        curl_multi_remove_handle(f->multi, x->h);
        curl_easy_cleanup(x->h);
        x->h = NULL;
    }
    if (x->fd >= 0) {
        fdatasync(x->fd);   /* the rename must never name bytes still in flight */
        close(x->fd);
        x->fd = -1;
    }
}

/* Starts one try of x. May end the entry at once (already present, a
 * complete .part, or an error); otherwise x becomes ACTIVE. */
static void xfer_start(Fetch *f, Xfer *x)
{
    if (x->res.attempts == 0 && x->state == XFER_NEW && final_is_verified(f, x)) {
        xfer_finish(f, x, FETCH_PRESENT);
        return;
    }
    x->state = XFER_ACTIVE;
    if (!part_open(f, x)) return;
    if (x->e->has_size && x->offset == x->e->size) {   /* complete from an earlier try or run */
        xfer_release(f, x);
        if (part_promote(f, x)) xfer_finish(f, x, FETCH_DONE);
        return;
    }
    x->written = 0;
    x->body_seen = x->discard = x->range_bad = false;
    x->write_errno = 0;
    x->retry_after = -1;
    x->range_start = -1;
    x->errbuf[0] = '\0';
    x->last_data = mono_now();
    x->res.attempts++;
    x->h = curl_easy_init();
    if (!x->h || handle_setup(f, x) != CURLE_OK ||
        curl_multi_add_handle(f->multi, x->h) != CURLM_OK) {
        xfer_release(f, x);
        xfer_fail(f, x, "cannot set up the transfer (libcurl)");
        return;
    }
    f->slots[f->active++] = x;
}

/* ---- ending a request ---- */

static bool curl_code_is_transient(CURLcode c)
{
    switch (c) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
        return true;
    default:
        return false;
    }
}

/* An HTTP answer that is not 2xx. */
static void xfer_http_error(Fetch *f, Xfer *x, long code)
{
    char reason[64];
    snprintf(reason, sizeof reason, "HTTP %ld", code);
    if (code == 416) {   /* our .part is not a prefix of what the server has now */
        part_discard(x);
        xfer_retry(f, x, "HTTP 416 (range not satisfiable): starting over");
    } else if (code == 408 || code == 429 || code >= 500) {
        xfer_retry(f, x, reason);
    } else {
        xfer_fail(f, x, "%s", reason);
    }
}

static void xfer_done(Fetch *f, Xfer *x, CURLcode cc)
{
    long code = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
    if (cc == CURLE_OK && !x->body_seen) body_classify(x);   /* an empty body */
    xfer_release(f, x);
    if (x->write_errno) {
        xfer_fail(f, x, "cannot write %s: %s", x->part, strerror(x->write_errno));
        return;
    }
    if (x->range_bad) {
        part_discard(x);
        xfer_retry(f, x, "the server answered the Range request from another offset");
        return;
    }
    if (cc != CURLE_OK) {
        char reason[CURL_ERROR_SIZE + 64];
        snprintf(reason, sizeof reason, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
        if (curl_code_is_transient(cc)) xfer_retry(f, x, reason);
        else xfer_fail(f, x, "%s", reason);
        return;
    }
    if (x->is_http && (code < 200 || code >= 300 || x->discard)) {
        xfer_http_error(f, x, code);
        return;
    }
    uint64_t have = file_size_or_zero(x->part);
    if (x->expect && have < x->expect) {
        char reason[96];
        snprintf(reason, sizeof reason, "short body: %llu of %llu bytes",
                 (unsigned long long)have, (unsigned long long)x->expect);
        xfer_retry(f, x, reason);
        return;
    }
    if (part_promote(f, x)) xfer_finish(f, x, FETCH_DONE);
}

/* ---- the loop ---- */

/* A waiting entry whose backoff has passed, else the next new one. */
static Xfer *xfer_next_ready(Fetch *f, double now)
{
    for (size_t i = 0; i < f->n_waiting; i++) {
        Xfer *x = &f->x[f->waiting[i]];
        if (x->ready_at <= now) {
            f->waiting[i] = f->waiting[--f->n_waiting];
            return x;
        }
    }
    return f->next_new < f->count ? &f->x[f->next_new++] : NULL;
}

/* Milliseconds to sleep at most: until the first waiting entry is ready. */
static int poll_timeout_ms(const Fetch *f, double now)
{
    double wait = 0.5;
    if (f->active < (size_t)f->o->jobs)
        for (size_t i = 0; i < f->n_waiting; i++) {
            double d = f->x[f->waiting[i]].ready_at - now;
            if (d < wait) wait = d;
        }
    return wait <= 0 ? 0 : (int)(wait * 1000) + 1;
}

static void progress_report(const Fetch *f)
{
    if (!f->sink->on_progress) return;
    uint64_t bytes = f->bytes_final;
    for (size_t i = 0; i < f->active; i++) bytes += f->slots[i]->offset + f->slots[i]->written;
    f->sink->on_progress(f->sink->ctx, bytes, f->total);
}

/* Aborts transfers silent for o->timeout_s. libcurl's own low-speed check
 * averages over a few seconds, so after a burst it notices a stall late. */
static void stalls_abort(Fetch *f)
{
    double now = mono_now();
    for (size_t i = 0; i < f->active;) {
        Xfer *x = f->slots[i];
        if (now - x->last_data <= (double)f->o->timeout_s) {
            i++;
            continue;
        }
        snprintf(x->errbuf, sizeof x->errbuf, "no data received for %ld s", f->o->timeout_s);
        xfer_done(f, x, CURLE_OPERATION_TIMEDOUT);   /* removes x from slots */
    }
}

static JfStatus fetch_loop(Fetch *f, JfError *err)
{
    while (f->finished < f->count) {
        Xfer *x;
        while (f->active < (size_t)f->o->jobs && (x = xfer_next_ready(f, mono_now())))
            xfer_start(f, x);
        if (f->finished == f->count) break;
        int running = 0;
        CURLMcode mc = curl_multi_perform(f->multi, &running);
        CURLMsg *msg;
        int left;
        while (mc == CURLM_OK && (msg = curl_multi_info_read(f->multi, &left)))
            if (msg->msg == CURLMSG_DONE) {
                Xfer *done = NULL;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&done);
                xfer_done(f, done, msg->data.result);
            }
        stalls_abort(f);
        progress_report(f);
        if (mc == CURLM_OK && f->finished < f->count)
            mc = curl_multi_poll(f->multi, NULL, 0, poll_timeout_ms(f, mono_now()), NULL);
        if (mc != CURLM_OK)
            return jf_error_set(err, JF_EINTERNAL, NULL, JF_OFFSET_UNKNOWN, "libcurl: %s",
                                curl_multi_strerror(mc));
    }
    return JF_OK;
}

/* ---- setup ---- */

static JfStatus xfer_init(Fetch *f, Xfer *x, const char *out_dir, const ManifestEntry *e,
                          size_t i, JfError *err)
{
    x->f = f;
    x->e = e;
    x->index = i;
    x->fd = -1;
    x->is_http = !strncmp(e->url, "http://", 7) || !strncmp(e->url, "https://", 8);
    x->url = manifest_url_has_scheme(e->url) ? jf_strdup(e->url) : path_to_file_url(e->url);
    if (!x->url) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    if (snprintf(x->final, sizeof x->final, "%s/%s", out_dir, e->name) >= (int)sizeof x->final ||
        snprintf(x->part, sizeof x->part, "%s/%s.part", out_dir, e->name) >= (int)sizeof x->part)
        return jf_error_set(err, JF_EUSAGE, out_dir, JF_OFFSET_UNKNOWN, "output path too long");
    if (e->has_size) {
        x->expect = e->size;
        f->total += e->size;
    }
    return JF_OK;
}

static JfStatus options_check(const FetchOptions *o, JfError *err)
{
    if (o->jobs < 1 || o->jobs > 1024 || o->retries < 0 || o->timeout_s < 1 ||
        o->retry_wait_s < 0 || o->retry_max_wait_s < 0)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "fetch: jobs 1..1024, retries >= 0, timeout >= 1 s, waits >= 0");
    return JF_OK;
}

static void fetch_free(Fetch *f)
{
    if (f->x)
        for (size_t i = 0; i < f->count; i++) {
            xfer_release(f, &f->x[i]);
            jf_free(f->x[i].url);
        }
    if (f->multi) curl_multi_cleanup(f->multi);
    jf_free(f->x);
    jf_free(f->waiting);
    jf_free(f->slots);
}

JfStatus fetch_run(const FetchOptions *o, const char *out_dir, const ManifestEntry *entries,
                   size_t count, const FetchSink *sink, size_t *failed, JfError *err)
{
    static const FetchSink NO_SINK = { 0 };
    JfStatus rc = options_check(o, err);
    if (rc == JF_OK) rc = jf_fs_mkdir_p(out_dir, err);
    if (rc != JF_OK) return rc;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return jf_error_set(err, JF_EINTERNAL, NULL, JF_OFFSET_UNKNOWN, "libcurl init failed");
    Fetch f = { .o = o, .sink = sink ? sink : &NO_SINK, .count = count };
    f.seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    snprintf(f.agent, sizeof f.agent, "%s", o->user_agent ? o->user_agent : "jaforge/" JF_VERSION);
    f.x = jf_calloc(count ? count : 1, sizeof *f.x);
    f.waiting = jf_calloc(count ? count : 1, sizeof *f.waiting);
    f.slots = jf_calloc((size_t)o->jobs, sizeof *f.slots);
    f.multi = curl_multi_init();
    if (!f.x || !f.waiting || !f.slots || !f.multi)
        rc = jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    for (size_t i = 0; rc == JF_OK && i < count; i++)
        rc = xfer_init(&f, &f.x[i], out_dir, &entries[i], i, err);
    if (rc == JF_OK) rc = fetch_loop(&f, err);
    if (failed) *failed = f.failed;
    fetch_free(&f);
    curl_global_cleanup();
    return rc;
}
