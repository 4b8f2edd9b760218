/* fuzz_warc.c: the WARC reader (container detection, gzip/zstd members,
 * record headers, resynchronisation) on arbitrary bytes. */
#include <unistd.h>

#include "fuzz.h"
#include "warc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0) return 0;
    WarcReaderOptions opt = { .max_record_bytes = 1 << 20 };
    WarcReader *r;
    JfError err;
    if (warc_reader_open(path, &opt, &r, &err) == JF_OK) {
        WarcRecord rec;
        JfStatus rc;
        for (int i = 0; i < 100000 && (rc = warc_reader_next(r, &rec, &err)) != JF_DONE; i++) {
            if (rc == JF_ROW) {
                (void)warc_record_header(&rec, "Content-Type");
                volatile uint8_t sink = rec.body_len ? rec.body[rec.body_len - 1] : 0;
                (void)sink;
            } else if (rc != JF_EFORMAT && rc != JF_ETRUNC && rc != JF_ETOOBIG) {
                break;
            }
        }
        warc_reader_close(r);
    }
    close(fd);
    return 0;
}
