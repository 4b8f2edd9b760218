/* warc_iter.c: benchmark of the WARC reader. Iterates every record of FILE
 * (touching every block byte, as a consumer would) REPEAT times and prints the
 * best run's records/s and MB/s; with --http it also parses the HTTP response
 * of every `response` record (dechunk + inflate), the work extract does next.
 * Prints one JSON line. Not a test: figures live in README.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "warc.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct {
    unsigned long long records, errors, block_bytes, http_bytes, file_bytes, sum;
    double seconds;
} IterResult;

static int iter_once(const char *path, HttpParser *hp, IterResult *res)
{
    WarcReader *r = NULL;
    JfError err;
    memset(res, 0, sizeof *res);
    double t0 = now();
    if (warc_reader_open(path, NULL, &r, &err) != JF_OK) {
        fprintf(stderr, "warc_iter: %s: %s\n", err.path, err.msg);
        return 1;
    }
    WarcRecord rec;
    JfStatus rc;
    while ((rc = warc_reader_next(r, &rec, &err)) != JF_DONE) {
        if (rc != JF_ROW) {
            res->errors++;
            if (rc == JF_EIO || rc == JF_ENOMEM) break;
            continue;
        }
        res->records++;
        res->block_bytes += rec.body_len;
        for (size_t i = 0; i < rec.body_len; i += 64) res->sum += rec.body[i];
        if (hp && !strcmp(rec.type, "response")) {
            HttpResponse h;
            if (http_response_parse(hp, rec.body, rec.body_len, &h, &err) == JF_OK)
                res->http_bytes += h.body_len;
        }
    }
    res->file_bytes = warc_reader_bytes_read(r);
    warc_reader_close(r);
    res->seconds = now() - t0;
    return 0;
}

int main(int argc, char **argv)
{
    int a = 1;
    bool http = false;
    if (a < argc && !strcmp(argv[a], "--http")) {
        http = true;
        a++;
    }
    if (a >= argc) {
        fprintf(stderr, "usage: warc_iter [--http] FILE [REPEAT]\n");
        return 2;
    }
    const char *path = argv[a];
    int repeat = a + 1 < argc ? atoi(argv[a + 1]) : 3;
    HttpParser *hp = NULL;
    JfError err;
    if (http && http_parser_open(0, &hp, &err) != JF_OK) return 1;
    IterResult best = { 0 }, cur;
    for (int i = 0; i < (repeat > 0 ? repeat : 1); i++) {
        if (iter_once(path, hp, &cur)) return 1;
        if (i == 0 || cur.seconds < best.seconds) best = cur;
    }
    http_parser_close(hp);
    printf("{\"tool\":\"jaforge warc_iter%s\",\"records\":%llu,\"errors\":%llu,\"seconds\":%.3f,"
           "\"records_per_s\":%.0f,\"file_mb_per_s\":%.1f,\"block_mb_per_s\":%.1f,"
           "\"http_body_bytes\":%llu,\"checksum\":%llu}\n",
           http ? " --http" : "", best.records, best.errors, best.seconds,
           best.records / best.seconds, best.file_bytes / 1e6 / best.seconds,
           best.block_bytes / 1e6 / best.seconds, best.http_bytes, best.sum);
    return 0;
}
