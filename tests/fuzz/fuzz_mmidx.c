/* fuzz_mmidx.c: Megatron indexed datasets (.idx + .bin) on arbitrary bytes.
 * The input is a u32 (little-endian) length of the .idx part, the .idx
 * bytes, then the .bin bytes; both are written as PREFIX.idx / PREFIX.bin in
 * a private temporary folder, in memory (/dev/shm) where there is one, since
 * the reader opens files by prefix. When the
 * reader accepts them, every sequence is read (at most 4,096 of them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "mmidx.h"

static char prefix[64];

static int put(const char *ext, const uint8_t *p, size_t n)
{
    char path[80];
    snprintf(path, sizeof path, "%s%s", prefix, ext);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = n ? fwrite(p, 1, n, f) : 0;
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static void cleanup(void)
{
    char path[80];
    snprintf(path, sizeof path, "%s.idx", prefix);
    unlink(path);
    snprintf(path, sizeof path, "%s.bin", prefix);
    unlink(path);
    *strrchr(prefix, '/') = '\0';
    rmdir(prefix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!prefix[0]) {
        static const char *const bases[] = { "/dev/shm", "/tmp" };
        char dir[48] = "";
        for (size_t i = 0; i < 2 && !dir[0]; i++) {
            snprintf(dir, sizeof dir, "%s/jf-fuzz-mmidx-XXXXXX", bases[i]);
            if (!mkdtemp(dir)) dir[0] = '\0';
        }
        if (!dir[0]) return 0;
        snprintf(prefix, sizeof prefix, "%s/d", dir);
        atexit(cleanup);
    }
    if (size < 4) return 0;
    uint32_t idx_len;
    memcpy(&idx_len, data, 4);
    size_t rest = size - 4;
    if (idx_len > rest) idx_len = (uint32_t)rest;
    if (put(".idx", data + 4, idx_len) || put(".bin", data + 4 + idx_len, rest - idx_len)) return 0;
    MmidxReader *r;
    JfError err;
    if (mmidx_reader_open(prefix, &r, &err) != JF_OK) return 0;
    uint64_t n = mmidx_reader_sequences(r);
    for (uint64_t i = 0; i < n && i < 4096; i++) {
        uint32_t len = mmidx_reader_length(r, i);
        if (len > (1u << 20)) continue;
        uint32_t *ids = malloc(((size_t)len + 1) * sizeof *ids);
        if (!ids) break;
        mmidx_reader_read(r, i, ids, &err);
        free(ids);
    }
    for (uint64_t j = 0; j < mmidx_reader_documents(r) + 1 && j < 4096; j++)
        (void)mmidx_reader_doc_index(r, j);
    mmidx_reader_close(r);
    return 0;
}
