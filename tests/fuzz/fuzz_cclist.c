/* fuzz_cclist.c: Common Crawl listings (warc.paths.gz, plain or gzip) turned
 * into a manifest by cc_manifest_write, on arbitrary bytes. A listing that is
 * accepted must give a manifest that the fetcher loads whole: one entry per
 * path written, no line rejected, every name inside the output folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc_manifest.h"
#include "fuzz.h"
#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char out[64];
    if (!out[0]) {
        char dir[] = "/tmp/jf-fuzz-cclist-XXXXXX";
        if (!mkdtemp(dir)) return 0;
        snprintf(out, sizeof out, "%s/m.tsv", dir);
    }
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0) return 0;
    size_t written = 0;
    JfError err;
    if (cc_manifest_write(path, CC_BASE_URL, 0, out, &written, &err) == JF_OK) {
        Manifest m;
        manifest_init(&m);
        if (manifest_load(out, &m, NULL, NULL, &err) != JF_OK || m.bad || m.count != written)
            abort();   /* the listing gave a manifest the fetcher cannot use whole */
        for (size_t i = 0; i < m.count; i++) {
            const char *name = m.entries[i].name;
            if (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
                abort();
        }
        manifest_free(&m);
        unlink(out);
    }
    close(fd);
    return 0;
}
