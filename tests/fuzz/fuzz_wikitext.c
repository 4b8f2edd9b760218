/* fuzz_wikitext.c: wikitext to plain text on arbitrary bytes. */
#include "fuzz.h"
#include "wikitext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    JfBuf out;
    jf_buf_init(&out, 16u << 20);
    WikitextStats st;
    wikitext_to_text((const char *)data, size, &out, &st);
    if (out.len > 4 * size + 16) __builtin_trap();   /* entities never grow text this much */
    jf_buf_free(&out);
    return 0;
}
