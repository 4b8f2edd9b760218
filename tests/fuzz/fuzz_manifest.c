/* fuzz_manifest.c: download manifests (the .tsv files of data-manifests/: URL, size,
 * checksum, key=value fields) on arbitrary bytes. Every accepted entry must
 * name a file that stays in the output folder: no '/', not "." or "..". */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "manifest.h"

static void on_bad(void *ctx, const JfError *err)
{
    (void)ctx;
    (void)err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0) return 0;
    Manifest m;
    manifest_init(&m);
    JfError err;
    if (manifest_load(path, &m, on_bad, NULL, &err) == JF_OK) {
        for (size_t i = 0; i < m.count; i++) {
            const char *name = m.entries[i].name;
            if (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
                abort();   /* a name that could write outside the output folder */
        }
    }
    manifest_free(&m);
    close(fd);
    return 0;
}
