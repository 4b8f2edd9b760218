/* fuzz_jats.c: J-STAGE articles (JATS XML) and J-STAGE Web API search
 * results (Atom) through the extract stage's JATS reader, on arbitrary bytes
 * (libxml2 pull parser, xml:lang splitting, the Japanese/English documents). */
#include <unistd.h>

#include "extract.h"
#include "extractor_int.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static Extractor *x;
    JfError err;
    if (!x) {
        ExtractOptions opt;
        extract_options_init(&opt);
        if (extractor_open(&opt, &x, &err) != JF_OK) return 0;
    }
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0) return 0;
    ExtractSink sink = { 0 };
    ExtractStats st = { 0 };
    extractor_run_jats(x, path, &sink, &st, &err);
    close(fd);
    return 0;
}
