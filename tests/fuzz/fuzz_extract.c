/* fuzz_extract.c: one page through the whole extract chain (binary sniffing,
 * pre-filter, charset, HTML, normalization, language) on arbitrary bytes.
 * The first byte chooses HTML or plain text and the languages wanted. */
#include "extract.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static Extractor *both, *ja_only;
    JfError err;
    if (!both) {
        ExtractOptions opt;
        extract_options_init(&opt);
        if (extractor_open(&opt, &both, &err) != JF_OK) return 0;
        opt.want[EXTRACT_LANG_EN] = false;
        if (extractor_open(&opt, &ja_only, &err) != JF_OK) return 0;
    }
    if (size == 0) return 0;
    ExtractPage page = { data + 1, size - 1, (data[0] & 1) != 0,
                         (data[0] & 2) ? "text/html; charset=utf-8" : NULL };
    JfDoc doc;
    if (jf_doc_init(&doc) != JF_OK) return 0;
    ExtractStats st = { 0 };
    bool kept;
    ExtractDrop why;
    extractor_page((data[0] & 4) ? ja_only : both, &page, &doc, &kept, &why, &st, &err);
    jf_doc_free(&doc);
    return 0;
}
