/* test_warc_reader.c: warc_reader_* on WARC files built by the test itself:
 * plain, per-record gzip, whole-file gzip, zstd (plain, per-record frames,
 * dictionary frame), and every damage the reader must survive: truncation,
 * garbage, wrong Content-Length, missing headers, oversized records, gzip
 * bombs, random mutations, allocation failures. Cases are named warc-N.M. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <sys/wait.h>

#include "jf_alloc.h"
#include "warc.h"
#include "warc_fixture.h"

/* ---- running a reader over a file and summarising what came out ---- */

#define MAXC 4096

typedef struct {
    size_t   n;                       /* calls made, the last one returned JF_DONE */
    JfStatus code[MAXC];
    uint64_t off[MAXC], len[MAXC];    /* record offset/length, or error offset */
    char    *body[MAXC];
    size_t   body_len[MAXC];
    char     sum[16384];              /* "warcinfo response !EFORMAT resource ." */
    char     err_path[256];
    JfStatus open_rc;
    uint64_t bytes_read;
} Run;

static const char *code_name(JfStatus c)
{
    switch (c) {
    case JF_EFORMAT: return "EFORMAT";
    case JF_ETRUNC:  return "ETRUNC";
    case JF_ETOOBIG: return "ETOOBIG";
    case JF_ENOMEM:  return "ENOMEM";
    case JF_EIO:     return "EIO";
    default:         return "OTHER";
    }
}

static void sum_add(Run *run, const char *tok)
{
    size_t l = strlen(run->sum);
    snprintf(run->sum + l, sizeof run->sum - l, "%s%s", l ? " " : "", tok);
}

static void run_free(Run *run)
{
    for (size_t i = 0; i < run->n; i++) free(run->body[i]);
    memset(run, 0, sizeof *run);
}

/* Reads path to the end (at most max_calls calls; more means a hang). */
static void run_file_limit(Run *run, const char *path, size_t max_record, size_t max_calls)
{
    memset(run, 0, sizeof *run);
    WarcReaderOptions opt = { .max_record_bytes = max_record };
    WarcReader *r = NULL;
    JfError err;
    jf_error_clear(&err);
    run->open_rc = warc_reader_open(path, &opt, &r, &err);
    if (run->open_rc != JF_OK) {
        snprintf(run->sum, sizeof run->sum, "open:%s", code_name(run->open_rc));
        snprintf(run->err_path, sizeof run->err_path, "%s", err.path);
        return;
    }
    for (;;) {
        assert_true(run->n < max_calls && run->n < MAXC);
        WarcRecord rec;
        JfStatus rc = warc_reader_next(r, &rec, &err);
        size_t i = run->n++;
        run->code[i] = rc;
        if (rc == JF_DONE) {
            sum_add(run, ".");
            break;
        }
        if (rc == JF_ROW) {
            sum_add(run, rec.type);
            run->off[i] = rec.offset;
            run->len[i] = rec.length;
            run->body[i] = malloc(rec.body_len + 1);
            memcpy(run->body[i], rec.body, rec.body_len + 1);
            run->body_len[i] = rec.body_len;
            assert_int_equal(rec.body[rec.body_len], '\0');
            continue;
        }
        char tok[32];
        snprintf(tok, sizeof tok, "!%s", code_name(rc));
        sum_add(run, tok);
        run->off[i] = err.offset;
        snprintf(run->err_path, sizeof run->err_path, "%s", err.path);
        assert_string_not_equal(err.msg, "");
        if (rc != JF_EFORMAT && rc != JF_ETRUNC && rc != JF_ETOOBIG) break;
    }
    run->bytes_read = warc_reader_bytes_read(r);
    warc_reader_close(r);
}

static void run_file(Run *run, const char *path, size_t max_record)
{
    run_file_limit(run, path, max_record, MAXC);
}

/* Runs the bytes as a file; returns the summary in run. */
static void run_bytes(Run *run, const Bytes *b, size_t max_record)
{
    const char *path = tmp_write(b, 0);
    run_file(run, path, max_record);
    unlink(path);
}

static const char *g_self = "/proc/self/exe";   /* this test's binary (argv[0]) */

/* Reads path in a fresh process (this test re-executed with --peak) so that
 * jf_alloc_peak_bytes() measures the reader alone. Fills sum; returns the peak. */
static size_t child_peak(const char *path, size_t max_record, char *sum, size_t cap)
{
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char mr[32];
        snprintf(mr, sizeof mr, "%zu", max_record);
        dup2(pfd[1], STDOUT_FILENO);
        close(pfd[0]);
        execl(g_self, g_self, "--peak", path, mr, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    char buf[16384];
    size_t got = 0;
    ssize_t k;
    while ((k = read(pfd[0], buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)k;
    buf[got] = 0;
    close(pfd[0]);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char *nl = strchr(buf, '\n');
    assert_non_null(nl);
    *nl = 0;
    snprintf(sum, cap, "%s", nl + 1);
    sum[strcspn(sum, "\n")] = 0;
    return (size_t)strtoull(buf, NULL, 10);
}

static int peak_main(const char *path, const char *max_record)
{
    Run *run = calloc(1, sizeof *run);
    run_file(run, path, (size_t)strtoull(max_record, NULL, 10));
    printf("%zu\n%s\n", jf_alloc_peak_bytes(), run->sum);
    run_free(run);
    free(run);
    return 0;
}

/* ---- the standard record set ---- */

static const char HTTP_BLOCK[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 38\r\n\r\n"
    "<html><body>hello world</body></html>\n";

static void std_specs(RecSpec s[3])
{
    memset(s, 0, 3 * sizeof *s);
    s[0] = (RecSpec){ .type = "warcinfo", .body = "software: jaforge-test\r\nformat: WARC 1.1\r\n",
                      .id = 1 };
    s[1] = (RecSpec){ .type = "response", .uri = "http://example.com/a", .body = HTTP_BLOCK,
                      .id = 2 };
    s[2] = (RecSpec){ .type = "resource", .uri = "file:///doc.txt", .body_len = 3000, .id = 3 };
}

/* Builds records into a plain stream; starts[i] / hlen[i] / blen[i] describe them. */
static void build_plain(Bytes *out, const RecSpec *s, size_t n, uint64_t *starts, size_t *hlen)
{
    for (size_t i = 0; i < n; i++) {
        if (starts) starts[i] = out->n;
        size_t h = rec_build(out, &s[i]);
        if (hlen) hlen[i] = h;
    }
}

/* Builds records as one gzip member each; starts/sizes are member offsets/lengths. */
static void build_gz(Bytes *out, const RecSpec *s, size_t n, uint64_t *starts, uint64_t *sizes)
{
    for (size_t i = 0; i < n; i++) {
        Bytes one = { 0 };
        rec_build(&one, &s[i]);
        if (starts) starts[i] = out->n;
        gz_member(out, one.p, one.n);
        if (sizes) sizes[i] = out->n - starts[i];
        bytes_free(&one);
    }
}

/* n resource records of varied sizes, ids from id0 */
static RecSpec *many_specs(size_t n, int id0, size_t base_len)
{
    RecSpec *s = calloc(n, sizeof *s);
    static const char *types[] = { "warcinfo", "request", "response", "resource",
                                   "metadata", "revisit", "conversion", "continuation" };
    for (size_t i = 0; i < n; i++) {
        s[i].type = types[i % 8];
        s[i].uri = "http://example.org/page";
        s[i].body_len = base_len + (i * 7919) % (base_len + 1);
        s[i].id = id0 + (int)i;
    }
    return s;
}

/* ---- warc-1: plain WARC, fields and offsets ---- */

static void test_warc_1_plain(void **state)
{
    (void)state;
    RecSpec s[3];
    std_specs(s);
    Bytes b = { 0 };
    uint64_t starts[3];
    size_t hlen[3];
    build_plain(&b, s, 3, starts, hlen);
    const char *path = tmp_write(&b, 0);

    WarcReader *r = NULL;
    JfError err;
    assert_int_equal(warc_reader_open(path, NULL, &r, &err), JF_OK);
    WarcRecord rec;
    assert_int_equal(warc_reader_next(r, &rec, &err), JF_ROW);
    assert_string_equal(rec.type, "warcinfo");
    assert_string_equal(rec.version, "WARC/1.1");
    assert_string_equal(rec.record_id, "<urn:uuid:00000000-0000-4000-8000-000000000001>");
    assert_string_equal(rec.date, "2024-05-01T12:00:01Z");
    assert_null(rec.target_uri);
    assert_string_equal(rec.content_type, "text/plain");
    assert_int_equal(rec.offset, 0);
    assert_int_equal(rec.length, hlen[0] + strlen(s[0].body));
    assert_memory_equal(rec.body, s[0].body, strlen(s[0].body));
    /* any header, case-insensitively */
    assert_string_equal(warc_record_header(&rec, "warc-date"), "2024-05-01T12:00:01Z");
    assert_string_equal(warc_record_header(&rec, "CONTENT-LENGTH"), "42");
    assert_null(warc_record_header(&rec, "WARC-Refers-To"));

    assert_int_equal(warc_reader_next(r, &rec, &err), JF_ROW);
    assert_string_equal(rec.type, "response");
    assert_string_equal(rec.target_uri, "http://example.com/a");
    assert_string_equal(rec.content_type, "application/http; msgtype=response");
    assert_int_equal(rec.body_len, strlen(HTTP_BLOCK));
    assert_memory_equal(rec.body, HTTP_BLOCK, rec.body_len);
    assert_int_equal(rec.offset, starts[1]);

    assert_int_equal(warc_reader_next(r, &rec, &err), JF_ROW);
    assert_string_equal(rec.type, "resource");
    assert_int_equal(rec.body_len, 3000);
    assert_int_equal(rec.offset, starts[2]);
    assert_int_equal(rec.length, hlen[2] + 3000);
    assert_int_equal(warc_reader_next(r, &rec, &err), JF_DONE);
    assert_int_equal(warc_reader_next(r, &rec, &err), JF_DONE);   /* stays done */
    assert_int_equal(warc_reader_bytes_read(r), b.n);
    warc_reader_close(r);
    unlink(path);
    bytes_free(&b);
}

/* ---- warc-2: per-record gzip reports member offsets and lengths ---- */

static void test_warc_2_gzip_per_record(void **state)
{
    (void)state;
    RecSpec s[3];
    std_specs(s);
    Bytes b = { 0 };
    uint64_t starts[3], sizes[3];
    build_gz(&b, s, 3, starts, sizes);
    Run run;
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, "warcinfo response resource .");
    for (int i = 0; i < 3; i++) {
        assert_int_equal(run.off[i], starts[i]);
        assert_int_equal(run.len[i], sizes[i]);
    }
    assert_memory_equal(run.body[1], HTTP_BLOCK, strlen(HTTP_BLOCK));
    assert_int_equal(run.bytes_read, b.n);
    run_free(&run);
    bytes_free(&b);
}

/* ---- warc-3: whole-file gzip reports uncompressed offsets ---- */

static void test_warc_3_gzip_whole(void **state)
{
    (void)state;
    RecSpec s[3];
    std_specs(s);
    Bytes plain = { 0 }, b = { 0 };
    uint64_t starts[3];
    size_t hlen[3];
    build_plain(&plain, s, 3, starts, hlen);
    gz_member(&b, plain.p, plain.n);
    Run run;
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, "warcinfo response resource .");
    for (int i = 0; i < 3; i++) assert_int_equal(run.off[i], starts[i]);
    assert_int_equal(run.len[2], hlen[2] + 3000);
    run_free(&run);

    /* 3.2: many records crossing every internal buffer boundary */
    RecSpec *m = many_specs(600, 100, 9000);
    bytes_free(&plain);
    bytes_free(&b);
    build_plain(&plain, m, 600, NULL, NULL);
    gz_member(&b, plain.p, plain.n);
    run_bytes(&run, &b, 0);
    assert_int_equal(run.n, 601);
    for (size_t i = 0; i < 600; i++) {
        assert_int_equal(run.code[i], JF_ROW);
        assert_int_equal(run.body_len[i], m[i].body_len);
    }
    run_free(&run);
    free(m);
    bytes_free(&plain);
    bytes_free(&b);
}

/* ---- warc-4: zstd: one frame, a frame per record, dictionary frames ---- */

static void skippable_frame(Bytes *out, uint32_t magic, const void *p, size_t n)
{
    uint8_t h[8];
    for (int i = 0; i < 4; i++) h[i] = (uint8_t)(magic >> (8 * i));
    for (int i = 0; i < 4; i++) h[4 + i] = (uint8_t)((uint32_t)n >> (8 * i));
    bytes_add(out, h, 8);
    bytes_add(out, p, n);
}

static void test_warc_4_zstd(void **state)
{
    (void)state;
    RecSpec s[3];
    std_specs(s);
    Bytes plain = { 0 }, b = { 0 };
    uint64_t starts[3];
    build_plain(&plain, s, 3, starts, NULL);
    Run run;

    /* 4.1 one frame: uncompressed offsets */
    zstd_frame(&b, plain.p, plain.n, NULL, 0);
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, "warcinfo response resource .");
    for (int i = 0; i < 3; i++) assert_int_equal(run.off[i], starts[i]);
    run_free(&run);

    /* 4.2 one frame per record, behind a raw-content dictionary frame */
    const char dict[] = "WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:"
                        "Content-Type: application/http; msgtype=response\r\n";
    uint64_t fstart[3], fsize[3];
    for (int compressed_dict = 0; compressed_dict < 2; compressed_dict++) {
        bytes_free(&b);
        if (compressed_dict) {
            Bytes zd = { 0 };
            zstd_frame(&zd, dict, sizeof dict - 1, NULL, 0);
            skippable_frame(&b, 0x184D2A5Du, zd.p, zd.n);
            bytes_free(&zd);
        } else {
            skippable_frame(&b, 0x184D2A5Du, dict, sizeof dict - 1);
        }
        for (int i = 0; i < 3; i++) {
            Bytes one = { 0 };
            rec_build(&one, &s[i]);
            fstart[i] = b.n;
            zstd_frame(&b, one.p, one.n, dict, sizeof dict - 1);
            fsize[i] = b.n - fstart[i];
            bytes_free(&one);
        }
        run_bytes(&run, &b, 0);
        assert_string_equal(run.sum, "warcinfo response resource .");
        for (int i = 0; i < 3; i++) {
            assert_int_equal(run.off[i], fstart[i]);
            assert_int_equal(run.len[i], fsize[i]);
        }
        assert_memory_equal(run.body[1], HTTP_BLOCK, strlen(HTTP_BLOCK));
        run_free(&run);
    }

    /* 4.3 a truncated zstd frame at the end */
    bytes_free(&b);
    for (int i = 0; i < 3; i++) {
        Bytes one = { 0 };
        rec_build(&one, &s[i]);
        zstd_frame(&b, one.p, one.n, NULL, 0);
        bytes_free(&one);
    }
    b.n -= 40;
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, "warcinfo response !ETRUNC .");
    run_free(&run);
    bytes_free(&plain);
    bytes_free(&b);
}

/* ---- warc-5: empty, blank, not a WARC, missing file ---- */

static void test_warc_5_empty_and_foreign(void **state)
{
    (void)state;
    Bytes b = { 0 };
    Run run;
    run_bytes(&run, &b, 0);                       /* 5.1 empty */
    assert_string_equal(run.sum, ".");
    run_free(&run);
    bytes_str(&b, "\r\n\r\n");                    /* 5.2 blank */
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, ".");
    run_free(&run);
    bytes_free(&b);
    bytes_str(&b, "{\"id\": 1, \"text\": \"json, not WARC\"}\n");   /* 5.3 foreign */
    const char *path = tmp_write(&b, 0);
    run_file(&run, path, 0);
    assert_string_equal(run.sum, "open:EFORMAT");
    assert_string_equal(run.err_path, path);
    unlink(path);
    run_free(&run);
    run_file(&run, "/nonexistent/x.warc.gz", 0); /* 5.4 missing */
    assert_string_equal(run.sum, "open:EIO");
    assert_string_equal(run.err_path, "/nonexistent/x.warc.gz");
    run_free(&run);
    bytes_free(&b);
    /* 5.5 an empty gzip member only */
    gz_member(&b, "", 0);
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, ".");
    run_free(&run);
    bytes_free(&b);
}

/* ---- warc-6: truncated plain files ---- */

static void test_warc_6_truncated_plain(void **state)
{
    (void)state;
    RecSpec s[3];
    std_specs(s);
    Bytes b = { 0 };
    uint64_t starts[3];
    size_t hlen[3];
    build_plain(&b, s, 3, starts, hlen);
    size_t full = b.n;
    Run run;

    b.n = starts[2] + hlen[2] + 1000;             /* 6.1 inside the block */
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, "warcinfo response !ETRUNC .");
    assert_int_equal(run.off[2], starts[2]);
    run_free(&run);

    b.n = starts[2] + 30;                         /* 6.2 inside the header */
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, "warcinfo response !ETRUNC .");
    run_free(&run);

    b.n = full - 2;                               /* 6.3 inside the final CRLFCRLF: fine */
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, "warcinfo response resource .");
    run_free(&run);

    b.n = starts[2] + 3;                          /* 6.4 "WAR" */
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, "warcinfo response !ETRUNC .");
    run_free(&run);
    bytes_free(&b);
}

/* ---- warc-7: truncated gzip member at the end and in the middle ---- */

static void test_warc_7_truncated_gzip(void **state)
{
    (void)state;
    RecSpec *s = many_specs(5, 10, 4000);
    Bytes b = { 0 };
    uint64_t st[5], sz[5];
    build_gz(&b, s, 5, st, sz);
    Run run;

    Bytes cut = { 0 };                            /* 7.1 the last member cut in half */
    bytes_add(&cut, b.p, st[4] + sz[4] / 2);
    run_bytes(&run, &cut, 0);
    assert_string_equal(run.sum, "warcinfo request response resource !ETRUNC .");
    assert_int_equal(run.off[4], st[4]);
    run_free(&run);
    bytes_free(&cut);

    /* 7.2 member 1 cut in half, the others intact: one error, the rest read */
    bytes_add(&cut, b.p, st[1] + sz[1] / 2);
    bytes_add(&cut, b.p + st[2], b.n - st[2]);
    run_bytes(&run, &cut, 0);
    assert_string_equal(run.sum, "warcinfo !EFORMAT response resource metadata .");
    assert_int_equal(run.off[1], st[1]);
    assert_int_equal(run.off[2], st[2] - (sz[1] - sz[1] / 2));
    run_free(&run);
    bytes_free(&cut);

    /* 7.3 a flipped byte in member 2's deflate data (CRC or deflate error) */
    bytes_add(&cut, b.p, b.n);
    cut.p[st[2] + sz[2] / 2] ^= 0x55;
    run_bytes(&run, &cut, 0);
    assert_string_equal(run.sum, "warcinfo request !EFORMAT resource metadata .");
    assert_int_equal(run.off[2], st[2]);
    run_free(&run);
    bytes_free(&cut);

    /* 7.4 the file cut inside a gzip header */
    bytes_add(&cut, b.p, st[4] + 5);
    run_bytes(&run, &cut, 0);
    assert_string_equal(run.sum, "warcinfo request response resource !ETRUNC .");
    run_free(&run);
    bytes_free(&cut);
    bytes_free(&b);
    free(s);
}

/* ---- warc-8: garbage between records ---- */

static void test_warc_8_garbage(void **state)
{
    (void)state;
    RecSpec s[3];
    std_specs(s);
    Run run;
    Bytes b = { 0 }, one = { 0 };
    static const char junk[] = "junk \x01\x02\x03 WARC/1.0 not at a line start\r\nmore junk\r\n";

    /* 8.1 plain: garbage between records 0 and 1 */
    rec_build(&b, &s[0]);
    uint64_t g = b.n;
    bytes_add(&b, junk, sizeof junk - 1);
    rec_build(&b, &s[1]);
    rec_build(&b, &s[2]);
    const char *path = tmp_write(&b, 0);
    run_file(&run, path, 0);
    assert_string_equal(run.sum, "warcinfo !EFORMAT response resource .");
    assert_int_equal(run.off[1], g);              /* errors carry path and offset */
    assert_string_equal(run.err_path, path);
    unlink(path);
    run_free(&run);
    bytes_free(&b);

    /* 8.2 per-record gzip: raw garbage between members, and at the end */
    uint64_t st[3];
    for (int i = 0; i < 3; i++) {
        bytes_free(&one);
        rec_build(&one, &s[i]);
        if (i == 1) {
            g = b.n;
            bytes_add(&b, junk, sizeof junk - 1);
        }
        st[i] = b.n;
        gz_member(&b, one.p, one.n);
    }
    bytes_add(&b, "\0\0\0\0trailing", 12);
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, "warcinfo !EFORMAT response resource !EFORMAT .");
    assert_int_equal(run.off[1], g);
    assert_int_equal(run.off[2], st[1]);
    assert_int_equal(run.off[4], st[2] + (b.n - 12 - st[2]));
    run_free(&run);
    bytes_free(&b);

    /* 8.3 a valid gzip member holding no WARC record */
    for (int i = 0; i < 3; i++) {
        bytes_free(&one);
        rec_build(&one, &s[i]);
        if (i == 2) gz_member(&b, "<html>not a record</html>\n", 26);
        gz_member(&b, one.p, one.n);
    }
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, "warcinfo response !EFORMAT resource .");
    run_free(&run);
    bytes_free(&b);
    bytes_free(&one);
}

/* ---- warc-9: wrong Content-Length ---- */

static void test_warc_9_content_length(void **state)
{
    (void)state;
    RecSpec *s = many_specs(4, 20, 2000);
    Run run;
    static const long deltas[] = { +50, -10, +100000, -1999 };
    for (size_t d = 0; d < 4; d++) {
        for (int gz = 0; gz < 2; gz++) {
            RecSpec t[4];
            memcpy(t, s, sizeof t);
            t[1].cl_delta = deltas[d];
            Bytes b = { 0 };
            uint64_t st[4], sz[4], ps[4];
            if (gz) build_gz(&b, t, 4, st, sz);
            else build_plain(&b, t, 4, ps, NULL);
            run_bytes(&run, &b, 0);
            /* the bad record is reported, the ones around it come out */
            assert_string_equal(run.sum, "warcinfo !EFORMAT response resource .");
            assert_int_equal(run.off[1], gz ? st[1] : ps[1]);
            if (gz) assert_int_equal(run.off[3], st[3]);
            else assert_int_equal(run.off[3], ps[3]);
            run_free(&run);
            bytes_free(&b);
        }
    }
    /* 9.5 Content-Length that is not a number */
    Bytes b = { 0 };
    rec_build(&b, &s[0]);
    bytes_str(&b, "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:x>\r\n"
                  "WARC-Date: 2024-01-01T00:00:00Z\r\nContent-Length: 12abc\r\n\r\n"
                  "hello world!\r\n\r\n");
    rec_build(&b, &s[2]);
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, "warcinfo !EFORMAT response .");
    run_free(&run);
    bytes_free(&b);
    free(s);
}

/* ---- warc-10: missing mandatory headers ---- */

static void test_warc_10_missing_headers(void **state)
{
    (void)state;
    static const char *omit[] = { "WARC-Type", "WARC-Record-ID", "WARC-Date", "Content-Length" };
    RecSpec s[3];
    std_specs(s);
    Run run;
    for (size_t k = 0; k < 4; k++) {
        for (int gz = 0; gz < 2; gz++) {
            RecSpec t[3];
            memcpy(t, s, sizeof t);
            t[1].omit = omit[k];
            Bytes b = { 0 };
            if (gz) build_gz(&b, t, 3, NULL, NULL);
            else build_plain(&b, t, 3, NULL, NULL);
            run_bytes(&run, &b, 0);
            assert_string_equal(run.sum, "warcinfo !EFORMAT resource .");
            run_free(&run);
            bytes_free(&b);
        }
    }
    /* 10.2 a bad version line */
    Bytes b = { 0 };
    RecSpec t[3];
    memcpy(t, s, sizeof t);
    t[1].version = "WARC/x.y";
    build_plain(&b, t, 3, NULL, NULL);
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, "warcinfo !EFORMAT resource .");
    run_free(&run);
    bytes_free(&b);
}

/* ---- warc-11: records above max_record_bytes are skipped, not buffered ---- */

static void test_warc_11_too_big(void **state)
{
    (void)state;
    RecSpec s[3];
    std_specs(s);
    s[1].body = NULL;
    s[1].body_len = 30u << 20;    /* 30 MiB */
    for (int gz = 0; gz < 2; gz++) {
        Bytes b = { 0 };
        uint64_t st[3], sz[3];
        if (gz) build_gz(&b, s, 3, st, sz);
        else build_plain(&b, s, 3, st, NULL);
        const char *path = tmp_write(&b, 0);
        bytes_free(&b);
        Run run;
        run_file(&run, path, 1u << 20);
        assert_string_equal(run.sum, "warcinfo !ETOOBIG resource .");
        assert_int_equal(run.off[1], st[1]);
        run_free(&run);
        char sum[256];
        size_t peak = child_peak(path, 1u << 20, sum, sizeof sum);
        assert_string_equal(sum, "warcinfo !ETOOBIG resource .");
        assert_true(peak < (8u << 20));   /* skipped by streaming, never buffered */
        run_file(&run, path, 0);                 /* the default limit (64 MiB) reads it */
        assert_string_equal(run.sum, "warcinfo response resource .");
        assert_int_equal(run.body_len[1], 30u << 20);
        run_free(&run);
        unlink(path);
        /* 11.2 a lying Content-Length above the limit costs only its own record
         * when records are compressed one per member */
        if (gz) {
            RecSpec t[4];
            memcpy(t, s, 3 * sizeof *t);
            t[1].body = "short block";
            t[1].body_len = 0;
            t[1].cl_delta = 2000000000L;
            t[3] = (RecSpec){ .type = "metadata", .body = "m: 1\r\n", .id = 9 };
            Bytes c = { 0 };
            build_gz(&c, t, 4, (uint64_t[4]){ 0 }, (uint64_t[4]){ 0 });
            Run lie;
            run_bytes(&lie, &c, 1u << 20);
            assert_string_equal(lie.sum, "warcinfo !ETOOBIG resource metadata .");
            run_free(&lie);
            bytes_free(&c);
        }
    }
}

/* ---- warc-12: gzip bombs ---- */

static void test_warc_12_gzip_bomb(void **state)
{
    (void)state;
    RecSpec s[3];
    std_specs(s);
    const size_t big = 48u << 20;
    uint8_t *zeros = calloc(1, big);
    Bytes b = { 0 }, one = { 0 };

    /* 12.1 a record whose block is 48 MiB of zeros (a 48 KiB member) */
    rec_build(&one, &s[0]);
    gz_member(&b, one.p, one.n);
    bytes_free(&one);
    bytes_printf(&one, "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:bomb>\r\n"
                       "WARC-Date: 2024-01-01T00:00:00Z\r\nContent-Length: %zu\r\n\r\n", big);
    bytes_add(&one, zeros, big);
    bytes_str(&one, "\r\n\r\n");
    gz_member(&b, one.p, one.n);
    bytes_free(&one);
    rec_build(&one, &s[2]);
    gz_member(&b, one.p, one.n);
    bytes_free(&one);
    const char *path = tmp_write(&b, 0);
    char sum[256];
    size_t peak = child_peak(path, 1u << 20, sum, sizeof sum);
    assert_string_equal(sum, "warcinfo !ETOOBIG resource .");
    assert_true(peak < (8u << 20));
    unlink(path);
    bytes_free(&b);

    /* 12.2 a member that claims a 10-byte block and then inflates to 48 MiB of zeros */
    rec_build(&one, &s[0]);
    gz_member(&b, one.p, one.n);
    bytes_free(&one);
    bytes_str(&one, "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:bomb2>\r\n"
                    "WARC-Date: 2024-01-01T00:00:00Z\r\nContent-Length: 10\r\n\r\n0123456789");
    bytes_add(&one, zeros, big);
    gz_member(&b, one.p, one.n);
    bytes_free(&one);
    rec_build(&one, &s[2]);
    gz_member(&b, one.p, one.n);
    bytes_free(&one);
    path = tmp_write(&b, 0);
    peak = child_peak(path, 1u << 20, sum, sizeof sum);
    assert_string_equal(sum, "warcinfo !EFORMAT resource .");
    assert_true(peak < (8u << 20));
    unlink(path);
    bytes_free(&b);
    free(zeros);
}

/* ---- warc-13: header and layout variants ---- */

static void test_warc_13_variants(void **state)
{
    (void)state;
    Bytes b = { 0 };
    /* 13.1 bare LF line ends, WARC/1.0 */
    RecSpec a = { .type = "warcinfo", .body = "x: y\n", .eol = "\n", .version = "WARC/1.0",
                  .id = 1 };
    rec_build(&b, &a);
    /* 13.2 folded header line, angle-bracket URI (as wget writes), extra blank lines */
    RecSpec c = { .type = "response", .uri = "<http://example.com/folded>", .body = HTTP_BLOCK,
                  .extra = "X-Long: first part\r\n   second part\r\n\tthird\r\n", .id = 2 };
    rec_build(&b, &c);
    bytes_str(&b, "\r\n\r\n");
    /* 13.3 a WET conversion record */
    RecSpec w = { .type = "conversion", .uri = "http://example.com/wet",
                  .body = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e text\n", .id = 3,
                  .extra = "WARC-Refers-To: <urn:uuid:1>\r\n" };
    rec_build(&b, &w);
    /* 13.4 an empty block */
    RecSpec e = { .type = "metadata", .body = "", .id = 4 };
    rec_build(&b, &e);
    const char *path = tmp_write(&b, 0);

    WarcReader *r = NULL;
    JfError err;
    WarcRecord rec;
    assert_int_equal(warc_reader_open(path, NULL, &r, &err), JF_OK);
    assert_int_equal(warc_reader_next(r, &rec, &err), JF_ROW);
    assert_string_equal(rec.version, "WARC/1.0");
    assert_string_equal(rec.body, "x: y\n");
    assert_int_equal(warc_reader_next(r, &rec, &err), JF_ROW);
    assert_string_equal(rec.target_uri, "http://example.com/folded");
    assert_string_equal(warc_record_header(&rec, "WARC-Target-URI"), "http://example.com/folded");
    assert_string_equal(warc_record_header(&rec, "x-long"), "first part second part third");
    assert_int_equal(warc_reader_next(r, &rec, &err), JF_ROW);
    assert_string_equal(rec.type, "conversion");
    assert_string_equal(warc_record_header(&rec, "WARC-Refers-To"), "<urn:uuid:1>");
    assert_int_equal(warc_reader_next(r, &rec, &err), JF_ROW);
    assert_string_equal(rec.type, "metadata");
    assert_int_equal(rec.body_len, 0);
    assert_string_equal((const char *)rec.body, "");
    assert_int_equal(warc_reader_next(r, &rec, &err), JF_DONE);
    warc_reader_close(r);
    unlink(path);
    bytes_free(&b);

    /* 13.5 all eight record types come out, in order */
    RecSpec *m = many_specs(8, 50, 100);
    build_gz(&b, m, 8, NULL, NULL);
    Run run;
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, "warcinfo request response resource metadata revisit "
                                 "conversion continuation .");
    run_free(&run);
    free(m);
    bytes_free(&b);

    /* 13.6 a record with no separator at all before the next one (lenient) */
    bytes_str(&b, "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:a>\r\n"
                  "WARC-Date: 2024-01-01T00:00:00Z\r\nContent-Length: 5\r\n\r\nhello");
    bytes_str(&b, "WARC/1.1\r\nWARC-Type: metadata\r\nWARC-Record-ID: <urn:b>\r\n"
                  "WARC-Date: 2024-01-01T00:00:00Z\r\nContent-Length: 5\r\n\r\nworld\r\n\r\n");
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, "resource metadata .");
    assert_string_equal(run.body[0], "hello");
    run_free(&run);
    bytes_free(&b);
}

/* ---- warc-14: standard input and a pipe that delivers a few bytes at a time ---- */

static void feed_pipe_slowly(int fd, const Bytes *b, unsigned seed)
{
    size_t off = 0;
    while (off < b->n) {
        seed = seed * 1103515245u + 12345u;
        size_t k = 1 + (seed >> 16) % 97;
        if (k > b->n - off) k = b->n - off;
        if (write(fd, b->p + off, k) != (ssize_t)k) _exit(1);
        off += k;
        if ((seed >> 8) % 4 == 0) usleep(50);
    }
}

static void run_stdin(Run *run, const Bytes *b, bool slow)
{
    int saved = dup(STDIN_FILENO);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        if (slow) feed_pipe_slowly(pfd[1], b, 7);
        else if (write(pfd[1], b->p, b->n) != (ssize_t)b->n) _exit(1);
        _exit(0);
    }
    close(pfd[1]);
    dup2(pfd[0], STDIN_FILENO);
    close(pfd[0]);
    run_file(run, "-", 0);
    dup2(saved, STDIN_FILENO);
    close(saved);
    int status;
    waitpid(pid, &status, 0);
}

static void test_warc_14_stdin_and_pipes(void **state)
{
    (void)state;
    RecSpec *m = many_specs(40, 60, 1500);
    Run want, got;
    for (int kind = 0; kind < 3; kind++) {
        Bytes b = { 0 }, plain = { 0 };
        if (kind == 0) build_plain(&b, m, 40, NULL, NULL);
        if (kind == 1) build_gz(&b, m, 40, (uint64_t[40]){ 0 }, (uint64_t[40]){ 0 });
        if (kind == 2) {
            build_plain(&plain, m, 40, NULL, NULL);
            zstd_frame(&b, plain.p, plain.n, NULL, 0);
        }
        run_bytes(&want, &b, 0);
        assert_int_equal(want.n, 41);
        for (int slow = 0; slow < 2; slow++) {
            run_stdin(&got, &b, slow);
            assert_string_equal(got.sum, want.sum);
            for (size_t i = 0; i < want.n; i++) {
                assert_int_equal(got.off[i], want.off[i]);
                assert_int_equal(got.len[i], want.len[i]);
                assert_int_equal(got.body_len[i], want.body_len[i]);
            }
            run_free(&got);
        }
        run_free(&want);
        bytes_free(&b);
        bytes_free(&plain);
    }
    free(m);
}

/* ---- warc-15: large members (bigger than every internal buffer) ---- */

static void test_warc_15_large_members(void **state)
{
    (void)state;
    RecSpec s[4] = {
        { .type = "warcinfo", .body = "a: b\r\n", .id = 1 },
        { .type = "resource", .body_len = 3u << 20, .id = 2 },
        { .type = "resource", .body_len = 200, .id = 3 },
        { .type = "resource", .body_len = 5u << 20, .id = 4 },
    };
    /* incompressible bodies, so members are larger than the 1 MiB input buffer */
    Bytes b = { 0 };
    uint64_t st[4], sz[4];
    unsigned seed = 99;
    for (int i = 0; i < 4; i++) {
        Bytes one = { 0 }, body = { 0 };
        for (size_t k = 0; k < s[i].body_len; k++) {
            seed = seed * 1103515245u + 12345u;
            uint8_t c = (uint8_t)(seed >> 16);
            bytes_add(&body, &c, 1);
        }
        RecSpec t = s[i];
        if (body.n) t.body = (const char *)body.p;
        t.body_len = body.n ? body.n : strlen(s[i].body);
        rec_build(&one, &t);
        st[i] = b.n;
        gz_member(&b, one.p, one.n);
        sz[i] = b.n - st[i];
        bytes_free(&one);
        bytes_free(&body);
    }
    Run run;
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, "warcinfo resource resource resource .");
    for (int i = 0; i < 4; i++) {
        assert_int_equal(run.off[i], st[i]);
        assert_int_equal(run.len[i], sz[i]);
    }
    assert_int_equal(run.body_len[3], 5u << 20);
    run_free(&run);
    /* 15.2 the big member damaged in its middle: the records after it still come out */
    b.p[st[1] + sz[1] / 2] ^= 0xff;
    run_bytes(&run, &b, 0);
    assert_string_equal(run.sum, "warcinfo !EFORMAT resource resource .");
    assert_int_equal(run.off[1], st[1]);
    assert_int_equal(run.off[2], st[2]);
    run_free(&run);
    bytes_free(&b);
}

/* ---- warc-16: random damage never hangs or crashes ---- */

static void mutate(Bytes *b, unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    unsigned kind = (*seed >> 16) % 5;
    size_t n = b->n;
    *seed = *seed * 1103515245u + 12345u;
    size_t at = n ? ((size_t)(*seed >> 4)) % n : 0;
    switch (kind) {
    case 0:   /* flip a few bytes */
        for (int k = 0; k < 4 && n; k++) b->p[(at + (size_t)k * 131) % n] ^= (uint8_t)(*seed >> 3);
        break;
    case 1:   /* truncate */
        b->n = at;
        break;
    case 2: { /* insert garbage */
        Bytes c = { 0 };
        bytes_add(&c, b->p, at);
        static const char junk[] = "\x1f\x8b\x08\x00garbage\r\nWARC/1.0\r\n";
        bytes_add(&c, junk, sizeof junk - 1);
        bytes_add(&c, b->p + at, n - at);
        bytes_free(b);
        *b = c;
        break;
    }
    case 3: { /* delete a range */
        size_t len = (*seed >> 12) % 300;
        if (at + len > n) len = n - at;
        memmove(b->p + at, b->p + at + len, n - at - len);
        b->n -= len;
        break;
    }
    default: /* zero a range */
        for (size_t k = at; k < n && k < at + 50; k++) b->p[k] = 0;
    }
}

static void test_warc_16_fuzz(void **state)
{
    (void)state;
    RecSpec *m = many_specs(12, 70, 700);
    Bytes base[3] = { { 0 }, { 0 }, { 0 } }, plain = { 0 };
    build_plain(&base[0], m, 12, NULL, NULL);
    build_gz(&base[1], m, 12, (uint64_t[12]){ 0 }, (uint64_t[12]){ 0 });
    build_plain(&plain, m, 12, NULL, NULL);
    zstd_frame(&base[2], plain.p, plain.n, NULL, 0);
    unsigned seed = 12345;
    size_t rows = 0, errors = 0;
    /* JF_WARC_FUZZ_ITERS runs longer by hand; the default keeps ctest quick */
    const char *env = getenv("JF_WARC_FUZZ_ITERS");
    int iters = env && atoi(env) > 0 ? atoi(env) : 450;
    if (env && getenv("JF_WARC_FUZZ_SEED")) seed = (unsigned)atoi(getenv("JF_WARC_FUZZ_SEED"));
    for (int it = 0; it < iters; it++) {
        Bytes b = { 0 };
        bytes_add(&b, base[it % 3].p, base[it % 3].n);
        int muts = 1 + it % 3;
        for (int k = 0; k < muts; k++) mutate(&b, &seed);
        Run run;
        const char *path = tmp_write(&b, 0);
        /* a bound on calls proves progress: every call consumes input */
        run_file_limit(&run, path, 0, 64 + b.n / 8);
        unlink(path);
        for (size_t i = 0; i < run.n; i++) {
            if (run.code[i] == JF_ROW) rows++;
            else if (run.code[i] != JF_DONE) errors++;
        }
        run_free(&run);
        bytes_free(&b);
    }
    assert_true(rows > 1000);     /* damage costs only the records it hits */
    assert_true(errors > 100);
    for (int i = 0; i < 3; i++) bytes_free(&base[i]);
    bytes_free(&plain);
    free(m);
}

/* ---- warc-17: allocation failures are reported, nothing leaks ---- */

static void test_warc_17_oom(void **state)
{
    (void)state;
    RecSpec *m = many_specs(6, 80, 2000);
    Bytes b = { 0 };
    build_gz(&b, m, 6, (uint64_t[6]){ 0 }, (uint64_t[6]){ 0 });
    const char *path = tmp_write(&b, 0);
    size_t live0 = jf_alloc_live_bytes();
    bool saw_enomem = false, saw_clean = false;
    for (uint64_t n = 1; n < 60; n++) {
        jf_alloc_fail_at(n);
        Run run;
        run_file(&run, path, 0);
        jf_alloc_fail_at(0);
        if (strstr(run.sum, "ENOMEM")) saw_enomem = true;
        if (!strcmp(run.sum, "warcinfo request response resource metadata revisit ."))
            saw_clean = true;
        else
            assert_true(strstr(run.sum, "ENOMEM") != NULL);
        run_free(&run);
        assert_int_equal(jf_alloc_live_bytes(), live0);
    }
    assert_true(saw_enomem);
    assert_true(saw_clean);
    unlink(path);
    bytes_free(&b);
    free(m);
}

/* --write-sample PATH [damaged]: a per-record gzip WARC for the CLI test
 * (test_warc_cli.sh), which diffs `jaforge warc index` against warcio. */
static int sample_main(const char *path, bool damaged)
{
    RecSpec *m = many_specs(24, 200, 1200);
    static const char *uris[] = { "http://example.com/a\"quoted\"",
                                  "http://example.com/back\\slash",
                                  "http://example.com/tab\there", "<http://example.com/bracketed>",
                                  "http://xn--r8jz45g.jp/%E6%97%A5", NULL };
    /* (warcio reads header bytes as Latin-1, so raw UTF-8 URIs would differ: ours are right) */
    for (size_t i = 0; i < 24; i++) m[i].uri = uris[i % 6];
    Bytes b = { 0 }, one = { 0 };
    for (size_t i = 0; i < 24; i++) {
        bytes_free(&one);
        rec_build(&one, &m[i]);
        if (damaged && i == 9) bytes_str(&b, "garbage between members\n");
        gz_member(&b, one.p, one.n);
    }
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b.p, 1, b.n, f) != b.n || fclose(f)) return 1;
    bytes_free(&b);
    bytes_free(&one);
    free(m);
    return 0;
}

/* ---- warc-18: a small file costs buffers of its size; growing and compressible files still read ---- */

static void test_warc_18_small_files(void **state)
{
    (void)state;
    RecSpec s[3];
    std_specs(s);
    Bytes plain = { 0 };
    build_plain(&plain, s, 3, NULL, NULL);
    const char *path = tmp_write(&plain, 0);
    char sum[256];
    size_t peak = child_peak(path, 0, sum, sizeof sum);
    assert_string_equal(sum, "warcinfo response resource .");
    assert_true(peak < 64 * 1024);   /* was 2 MiB: two 1 MiB buffers per file */
    Run run;
    run_file(&run, path, 0);
    assert_int_equal(run.body_len[0], strlen(s[0].body));
    assert_int_equal(run.body_len[1], strlen(HTTP_BLOCK));
    assert_int_equal(run.body_len[2], 3000);
    run_free(&run);

    /* records appended after open (a WARC still being written) are read too */
    WarcReader *r = NULL;
    JfError err;
    WarcRecord rec;
    assert_int_equal(warc_reader_open(path, NULL, &r, &err), JF_OK);
    Bytes more = { 0 };
    RecSpec big = { .type = "resource", .uri = "file:///big", .body_len = 300000, .id = 9 };
    rec_build(&more, &big);
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    assert_int_equal(fwrite(more.p, 1, more.n, f), more.n);
    fclose(f);
    size_t n = 0, last_len = 0;
    while (warc_reader_next(r, &rec, &err) == JF_ROW) {
        n++;
        last_len = rec.body_len;
    }
    assert_int_equal(n, 4);
    assert_int_equal(last_len, 300000);
    warc_reader_close(r);
    unlink(path);

    /* a small gzip file whose records inflate to far more than 8 times its size */
    RecSpec z[2] = { { .type = "resource", .uri = "file:///a", .id = 1 },
                     { .type = "resource", .uri = "file:///b", .body = "short", .id = 2 } };
    char *as = malloc(2000000);
    memset(as, 'a', 1999999);
    as[1999999] = 0;
    z[0].body = as;
    Bytes gz = { 0 };
    build_gz(&gz, z, 2, NULL, NULL);
    assert_true(gz.n < 10000);
    run_bytes(&run, &gz, 0);
    assert_string_equal(run.sum, "resource resource .");
    assert_int_equal(run.body_len[0], 1999999);
    assert_int_equal(run.body_len[1], 5);
    run_free(&run);
    free(as);
    bytes_free(&more);
    bytes_free(&gz);
    bytes_free(&plain);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "--write-sample"))
        return sample_main(argv[2], argc > 3 && !strcmp(argv[3], "damaged"));
    if (argc == 4 && !strcmp(argv[1], "--peak")) return peak_main(argv[2], argv[3]);
    if (strchr(argv[0], '/')) g_self = argv[0];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_warc_1_plain),
        cmocka_unit_test(test_warc_2_gzip_per_record),
        cmocka_unit_test(test_warc_3_gzip_whole),
        cmocka_unit_test(test_warc_4_zstd),
        cmocka_unit_test(test_warc_5_empty_and_foreign),
        cmocka_unit_test(test_warc_6_truncated_plain),
        cmocka_unit_test(test_warc_7_truncated_gzip),
        cmocka_unit_test(test_warc_8_garbage),
        cmocka_unit_test(test_warc_9_content_length),
        cmocka_unit_test(test_warc_10_missing_headers),
        cmocka_unit_test(test_warc_11_too_big),
        cmocka_unit_test(test_warc_12_gzip_bomb),
        cmocka_unit_test(test_warc_13_variants),
        cmocka_unit_test(test_warc_14_stdin_and_pipes),
        cmocka_unit_test(test_warc_15_large_members),
        cmocka_unit_test(test_warc_16_fuzz),
        cmocka_unit_test(test_warc_17_oom),
        cmocka_unit_test(test_warc_18_small_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
