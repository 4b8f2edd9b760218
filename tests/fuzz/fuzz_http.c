/* fuzz_http.c: HTTP response parsing (status line, headers, chunked coding,
 * gzip/deflate/zstd content coding) on arbitrary bytes. */
#include "fuzz.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static HttpParser *p;
    JfError err;
    if (!p && http_parser_open(1 << 20, &p, &err) != JF_OK) return 0;
    HttpResponse resp;
    if (http_response_parse(p, data, size, &resp, &err) == JF_OK && resp.body_len) {
        volatile uint8_t sink = resp.body[resp.body_len - 1];
        (void)sink;
        (void)http_response_header(p, "Content-Type");
    }
    return 0;
}
