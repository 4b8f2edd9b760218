/* fuzz_inputs.c: the extract stage's file readers behind format detection
 * (JSON lines: mC4, CirrusSearch; Wikipedia XML; WARC) over a decompressed
 * stream (gzip, zstd, bzip2 or plain), on arbitrary bytes. */
#include <unistd.h>

#include "extract.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static Extractor *x;
    JfError err;
    if (!x) {
        ExtractOptions opt;
        extract_options_init(&opt);
        opt.max_record_bytes = 1 << 20;
        if (extractor_open(&opt, &x, &err) != JF_OK) return 0;
    }
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0) return 0;
    ExtractSink sink = { 0 };
    ExtractStats st = { 0 };
    extractor_run_file(x, path, &sink, &st, &err);
    close(fd);
    return 0;
}
