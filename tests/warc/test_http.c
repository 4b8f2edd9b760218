/* test_http.c: http_response_parse on responses built by the test: status
 * line, header fields (folded, repeated, bare LF), chunked transfer coding
 * (good, with extensions, bad sizes, truncated, not really chunked), content
 * coding (gzip, x-gzip, zlib deflate, raw deflate, zstd, chunked+gzip,
 * truncated, unknown) and the body size cap. Cases are named http-N.M. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http.h"
#include "jf_alloc.h"
#include "warc_fixture.h"

static const char PAGE[] =
    "<!DOCTYPE html>\n<html><head><title>t</title></head>\n"
    "<body><p>\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e and English text, repeated repeated.</p>"
    "</body></html>\n";

/* zlib stream of data with windowBits wb (31 gzip, 15 zlib, -15 raw deflate) */
static void deflate_wb(Bytes *out, const void *data, size_t n, int wb)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, wb, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    size_t bound = deflateBound(&z, (uLong)n) + 64;
    uint8_t *buf = malloc(bound);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)n;
    z.next_out = buf;
    z.avail_out = (uInt)bound;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
    bytes_add(out, buf, bound - z.avail_out);
    deflateEnd(&z);
    free(buf);
}

/* "HTTP/1.1 200 OK" + headers + blank line + body */
static void response(Bytes *out, const char *headers, const void *body, size_t n)
{
    bytes_str(out, "HTTP/1.1 200 OK\r\n");
    bytes_str(out, headers);
    bytes_str(out, "\r\n");
    bytes_add(out, body, n);
}

/* body as chunks of the given size */
static void chunked(Bytes *out, const void *body, size_t n, size_t chunk)
{
    for (size_t i = 0; i < n; i += chunk) {
        size_t k = n - i < chunk ? n - i : chunk;
        bytes_printf(out, "%zx\r\n", k);
        bytes_add(out, (const uint8_t *)body + i, k);
        bytes_str(out, "\r\n");
    }
    bytes_str(out, "0\r\n\r\n");
}

static HttpParser *parser(size_t max_body)
{
    HttpParser *p = NULL;
    JfError err;
    assert_int_equal(http_parser_open(max_body, &p, &err), JF_OK);
    return p;
}

static void assert_body(const HttpResponse *r, const void *want, size_t n)
{
    assert_int_equal(r->body_len, n);
    assert_memory_equal(r->body, want, n);
    assert_int_equal(r->body[n], '\0');
}

/* ---- http-1: status line and header fields ---- */

static void test_http_1_headers(void **state)
{
    (void)state;
    HttpParser *p = parser(0);
    HttpResponse r;
    JfError err;
    Bytes b = { 0 };
    response(&b,
             "Content-Type: text/html; charset=UTF-8\r\n"
             "X-Folded: one\r\n two\r\n\tthree\r\n"
             "Set-Cookie: a=1\r\nset-cookie: b=2\r\n"
             "Server:nginx   \r\n",
             PAGE, sizeof PAGE - 1);
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "text/html; charset=UTF-8");
    assert_null(r.content_encoding);
    assert_null(r.transfer_encoding);
    assert_true(r.body_decoded_ok);
    assert_body(&r, PAGE, sizeof PAGE - 1);
    assert_string_equal(http_response_header(p, "x-folded"), "one two three");
    assert_string_equal(http_response_header(p, "SET-COOKIE"), "b=2");   /* the last wins */
    assert_string_equal(http_response_header(p, "server"), "nginx");
    assert_null(http_response_header(p, "Location"));
    bytes_free(&b);

    /* 1.2 other status lines */
    static const struct { const char *line; int status; } lines[] = {
        { "HTTP/1.0 404 Not Found", 404 }, { "HTTP/2 301", 301 }, { "HTTP/1.1 200", 200 },
        { "HTTP/1.1 20x OK", 0 }, { "ICY 200 OK", 0 }, { "garbage", 0 }, { "HTTP/1.1", 0 },
        { "HTTP/1.1 2000 OK", 0 },
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        bytes_printf(&b, "%s\r\nContent-Type: text/plain\r\n\r\nbody", lines[i].line);
        assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
        assert_int_equal(r.status, lines[i].status);
        assert_string_equal(r.content_type, "text/plain");   /* headers still parsed */
        assert_body(&r, "body", 4);
        bytes_free(&b);
    }

    /* 1.3 bare LF line ends */
    bytes_str(&b, "HTTP/1.1 302 Found\nLocation: /x\nContent-Type: text/html\n\n<p>moved</p>");
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
    assert_int_equal(r.status, 302);
    assert_string_equal(http_response_header(p, "Location"), "/x");
    assert_body(&r, "<p>moved</p>", 12);
    bytes_free(&b);

    /* 1.4 no end of header: EFORMAT, but what was there is parsed */
    bytes_str(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/ht");
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_EFORMAT);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    assert_false(r.body_decoded_ok);
    bytes_free(&b);

    /* 1.5 empty block, headers only, empty body */
    assert_int_equal(http_response_parse(p, (const uint8_t *)"", 0, &r, &err), JF_EFORMAT);
    assert_int_equal(r.status, 0);
    bytes_str(&b, "HTTP/1.1 204 No Content\r\n\r\n");
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.body_len, 0);
    assert_true(r.body_decoded_ok);
    bytes_free(&b);
    http_parser_close(p);
}

/* ---- http-2: chunked transfer coding ---- */

static void test_http_2_chunked(void **state)
{
    (void)state;
    HttpParser *p = parser(0);
    HttpResponse r;
    JfError err;
    Bytes b = { 0 }, body = { 0 };

    /* 2.1 good, several chunk sizes */
    for (size_t chunk = 1; chunk < 200; chunk += 37) {
        chunked(&body, PAGE, sizeof PAGE - 1, chunk);
        response(&b, "Transfer-Encoding: chunked\r\n", body.p, body.n);
        assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
        assert_string_equal(r.transfer_encoding, "chunked");
        assert_true(r.body_decoded_ok);
        assert_body(&r, PAGE, sizeof PAGE - 1);
        bytes_free(&b);
        bytes_free(&body);
    }

    /* 2.2 chunk extensions, upper-case hex, trailer fields, "Chunked" */
    bytes_str(&body, "A;name=value\r\n0123456789\r\n1F\r\nabcdefghijklmnopqrstuvwxyzABCDE\r\n"
                     "0\r\nX-Trailer: 1\r\n\r\n");
    response(&b, "Transfer-Encoding: Chunked\r\n", body.p, body.n);
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
    assert_true(r.body_decoded_ok);
    assert_body(&r, "0123456789abcdefghijklmnopqrstuvwxyzABCDE", 41);
    bytes_free(&b);
    bytes_free(&body);

    /* 2.3 a bad chunk size in the middle: what was decoded, then the rest as stored */
    bytes_str(&body, "5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n");
    response(&b, "Transfer-Encoding: chunked\r\n", body.p, body.n);
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
    assert_false(r.body_decoded_ok);
    assert_body(&r, "hellozz\r\nworld\r\n0\r\n\r\n", 21);
    bytes_free(&b);
    bytes_free(&body);

    /* 2.4 not chunked at all despite the header (stored dechunked): kept as is */
    response(&b, "Transfer-Encoding: chunked\r\n", PAGE, sizeof PAGE - 1);
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
    assert_false(r.body_decoded_ok);
    assert_body(&r, PAGE, sizeof PAGE - 1);
    bytes_free(&b);

    /* 2.5 truncated inside a chunk, and missing the last chunk */
    bytes_str(&body, "5\r\nhello\r\n10\r\nonly part");
    response(&b, "Transfer-Encoding: chunked\r\n", body.p, body.n);
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
    assert_false(r.body_decoded_ok);
    assert_body(&r, "helloonly part", 14);
    bytes_free(&b);
    bytes_free(&body);
    bytes_str(&body, "5\r\nhello\r\n");
    response(&b, "Transfer-Encoding: chunked\r\n", body.p, body.n);
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
    assert_false(r.body_decoded_ok);
    assert_body(&r, "hello", 5);
    bytes_free(&b);
    bytes_free(&body);

    /* 2.6 a size that overflows 64 bits */
    bytes_str(&body, "fffffffffffffffffff\r\nabc\r\n0\r\n\r\n");
    response(&b, "Transfer-Encoding: chunked\r\n", body.p, body.n);
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
    assert_false(r.body_decoded_ok);
    assert_body(&r, body.p, body.n);
    bytes_free(&b);
    bytes_free(&body);
    http_parser_close(p);
}

/* ---- http-3: content coding ---- */

static void test_http_3_content_encoding(void **state)
{
    (void)state;
    HttpParser *p = parser(0);
    HttpResponse r;
    JfError err;
    Bytes b = { 0 }, z = { 0 }, c = { 0 };
    static const struct { const char *name; int wb; } codings[] = {
        { "gzip", 31 }, { "x-gzip", 31 }, { "GZIP", 31 }, { "deflate", 15 }, { "deflate", -15 },
    };
    for (size_t i = 0; i < sizeof codings / sizeof codings[0]; i++) {
        deflate_wb(&z, PAGE, sizeof PAGE - 1, codings[i].wb);
        char h[128];
        snprintf(h, sizeof h, "Content-Encoding: %s\r\n", codings[i].name);
        response(&b, h, z.p, z.n);
        assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
        assert_string_equal(r.content_encoding, codings[i].name);
        assert_true(r.body_decoded_ok);
        assert_body(&r, PAGE, sizeof PAGE - 1);
        /* 3.2 the same, chunked */
        bytes_free(&b);
        chunked(&c, z.p, z.n, 17);
        snprintf(h, sizeof h, "Transfer-Encoding: chunked\r\nContent-Encoding: %s\r\n",
                 codings[i].name);
        response(&b, h, c.p, c.n);
        assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
        assert_true(r.body_decoded_ok);
        assert_body(&r, PAGE, sizeof PAGE - 1);
        /* 3.3 truncated: the part that inflates, flagged */
        bytes_free(&b);
        response(&b, h + strlen("Transfer-Encoding: chunked\r\n"), z.p, z.n - 8);
        assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
        assert_false(r.body_decoded_ok);
        assert_true(r.body_len <= sizeof PAGE - 1);
        assert_memory_equal(r.body, PAGE, r.body_len);
        bytes_free(&b);
        bytes_free(&c);
        bytes_free(&z);
    }

    /* 3.4 zstd, and two gzip members in a row */
    zstd_frame(&z, PAGE, sizeof PAGE - 1, NULL, 0);
    response(&b, "Content-Encoding: zstd\r\n", z.p, z.n);
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
    assert_true(r.body_decoded_ok);
    assert_body(&r, PAGE, sizeof PAGE - 1);
    bytes_free(&b);
    bytes_free(&z);
    deflate_wb(&z, "first ", 6, 31);
    deflate_wb(&z, "second", 6, 31);
    response(&b, "Content-Encoding: gzip\r\n", z.p, z.n);
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
    assert_true(r.body_decoded_ok);
    assert_body(&r, "first second", 12);
    bytes_free(&b);
    bytes_free(&z);

    /* 3.5 claimed gzip, stored plain (the crawler already decoded it) */
    response(&b, "Content-Encoding: gzip\r\n", PAGE, sizeof PAGE - 1);
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
    assert_false(r.body_decoded_ok);
    assert_body(&r, PAGE, sizeof PAGE - 1);
    bytes_free(&b);

    /* 3.6 garbage after valid deflate data header: damaged stream */
    deflate_wb(&z, PAGE, sizeof PAGE - 1, 31);
    for (size_t i = 12; i < z.n - 8; i++) z.p[i] ^= 0xA5;
    response(&b, "Content-Encoding: gzip\r\n", z.p, z.n);
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
    assert_false(r.body_decoded_ok);
    bytes_free(&b);
    bytes_free(&z);

    /* 3.7 unknown coding (brotli): kept as stored, flagged; identity is nothing */
    response(&b, "Content-Encoding: br\r\n", "\x8b\x02\x80", 3);
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
    assert_false(r.body_decoded_ok);
    assert_body(&r, "\x8b\x02\x80", 3);
    bytes_free(&b);
    response(&b, "Content-Encoding: identity\r\n", "plain", 5);
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
    assert_true(r.body_decoded_ok);
    assert_body(&r, "plain", 5);
    bytes_free(&b);
    http_parser_close(p);
}

/* ---- http-4: the body cap stops bombs ---- */

static void test_http_4_max_body(void **state)
{
    (void)state;
    const size_t big = 32u << 20, cap = 1u << 20;
    uint8_t *zeros = calloc(1, big);
    HttpParser *p = parser(cap);
    HttpResponse r;
    JfError err;
    Bytes b = { 0 }, z = { 0 };
    deflate_wb(&z, zeros, big, 31);
    response(&b, "Content-Encoding: gzip\r\n", z.p, z.n);
    size_t live0 = jf_alloc_live_bytes();
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
    assert_false(r.body_decoded_ok);
    assert_int_equal(r.body_len, cap);
    assert_true(jf_alloc_live_bytes() - live0 < 4 * cap);
    bytes_free(&b);
    /* 4.2 a plain body above the cap is cut too */
    response(&b, "", zeros, 3 * cap);
    assert_int_equal(http_response_parse(p, b.p, b.n, &r, &err), JF_OK);
    assert_false(r.body_decoded_ok);
    assert_int_equal(r.body_len, cap);
    bytes_free(&b);
    bytes_free(&z);
    http_parser_close(p);
    free(zeros);
}

/* ---- http-5: allocation failures ---- */

static void test_http_5_oom(void **state)
{
    (void)state;
    Bytes b = { 0 }, z = { 0 }, c = { 0 };
    deflate_wb(&z, PAGE, sizeof PAGE - 1, 31);
    chunked(&c, z.p, z.n, 50);
    response(&b, "Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\nX-A: 1\r\n", c.p, c.n);
    size_t live0 = jf_alloc_live_bytes();
    bool clean = false;
    for (uint64_t n = 1; n < 40; n++) {
        jf_alloc_fail_at(n);
        HttpParser *p = NULL;
        JfError err;
        JfStatus rc = http_parser_open(0, &p, &err);
        if (rc == JF_OK) {
            HttpResponse r;
            rc = http_response_parse(p, b.p, b.n, &r, &err);
            if (rc == JF_OK) {
                assert_body(&r, PAGE, sizeof PAGE - 1);
                clean = true;
            }
        }
        jf_alloc_fail_at(0);
        assert_true(rc == JF_OK || rc == JF_ENOMEM);
        http_parser_close(p);
        assert_int_equal(jf_alloc_live_bytes(), live0);
    }
    assert_true(clean);
    bytes_free(&b);
    bytes_free(&z);
    bytes_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_1_headers),
        cmocka_unit_test(test_http_2_chunked),
        cmocka_unit_test(test_http_3_content_encoding),
        cmocka_unit_test(test_http_4_max_body),
        cmocka_unit_test(test_http_5_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
