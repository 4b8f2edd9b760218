/* fuzz_docstream.c: the document stream reader (zstd or plain JSON lines)
 * on arbitrary bytes, with a small line limit. */
#include <unistd.h>

#include "fuzz.h"
#include "jf_doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0) return 0;
    JfDocReader *r;
    JfError err;
    if (jf_docreader_open(path, 1 << 16, &r, &err) == JF_OK) {
        JfDoc d;
        jf_doc_init(&d);
        JfStatus rc;
        for (int i = 0; i < 100000 && (rc = jf_docreader_next(r, &d, &err)) != JF_DONE; i++)
            if (rc != JF_ROW && rc != JF_EFORMAT && rc != JF_ETOOBIG) break;
        jf_doc_free(&d);
        jf_docreader_close(r);
    }
    close(fd);
    return 0;
}
