/* fuzz_html.c: HTML to text (libxml2 SAX, boilerplate removal) on arbitrary
 * bytes, with a small nesting limit so deep-nesting paths are reached. */
#include "fuzz.h"
#include "html_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static HtmlExtractor *x;
    JfError err;
    if (!x) {
        HtmlTextOptions opt;
        html_text_options_init(&opt);
        opt.max_depth = 32;
        if (html_extractor_open(&opt, &x, &err) != JF_OK) return 0;
    }
    HtmlText ht;
    if (html_extractor_run(x, (const char *)data, size, &ht, &err) == JF_OK && ht.text_len) {
        volatile char sink = ht.text[ht.text_len - 1];
        (void)sink;
    }
    return 0;
}
