/* fuzz_charset.c: charset detection and conversion, and the Japanese
 * pre-filter, on arbitrary bytes. The first byte picks a declared
 * Content-Type, so declarations that lie are exercised too. */
#include "charset.h"
#include "fuzz.h"
#include "prefilter.h"

static const char *const TYPES[] = {
    NULL, "text/html", "text/html; charset=utf-8", "text/html; charset=Shift_JIS",
    "text/html; charset=euc-jp", "text/html; charset=iso-2022-jp", "text/html; charset=utf-16",
    "text/html; charset=x-unknown",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const char *ct = TYPES[data[0] % (sizeof TYPES / sizeof TYPES[0])];
    data++, size--;
    (void)prefilter_maybe_japanese(data, size, ct);
    CharsetGuess g;
    JfError err;
    if (charset_detect(data, size, ct, &g, &err) != JF_OK) return 0;
    JfBuf out;
    jf_buf_init(&out, 16u << 20);
    size_t replaced = 0;
    if (charset_to_utf8(g.name, data, size, &out, &replaced, &err) == JF_OK &&
        !charset_is_valid_utf8(out.data ? out.data : (const uint8_t *)"", out.len, false))
        __builtin_trap(); /* conversion must always give valid UTF-8 */
    jf_buf_free(&out);
    return 0;
}
