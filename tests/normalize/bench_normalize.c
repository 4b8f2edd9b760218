/* bench_normalize.c: throughput of normalizer_apply and langid_identify on
 * the real Japanese Debian reference (plain text, about 1 MB, repeated) and
 * on its paragraphs as separate documents. Prints MB/s of input; one thread.
 * Usage: bench_normalize [DATA_DIR]. Not a test: it asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jf_buf.h"
#include "langid.h"
#include "norm_testdata.h"
#include "normalize.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void bench_text(const char *label, const JfBuf *text)
{
    Normalizer *nz;
    JfError     err;
    JfBuf       out, para;
    jf_buf_init(&out, 0);
    jf_buf_init(&para, 0);
    if (normalizer_open(NULL, &nz, &err) != JF_OK) exit(1);

    /* whole text, 40 times */
    size_t bytes = 0;
    double t0 = now_s();
    for (int i = 0; i < 40; i++) {
        if (normalizer_apply(nz, (const char *)text->data, text->len, &out, &err) != JF_OK) exit(1);
        bytes += text->len;
    }
    double t = now_s() - t0;
    printf("%-3s normalizer_apply  whole text (%zu bytes): %7.1f MB/s\n", label, text->len,
           (double)bytes / t / 1e6);

    /* langid on the normalized whole text, and per ~4 KB document */
    JfBuf norm = out;
    jf_buf_init(&out, 0);
    LangGuess g;
    bytes = 0;
    t0 = now_s();
    for (int i = 0; i < 40; i++) {
        langid_identify((const char *)norm.data, norm.len, &g, &err);
        bytes += norm.len;
    }
    t = now_s() - t0;
    printf("%-3s langid_identify   whole text: %7.1f MB/s (%s via %s)\n", label,
           (double)bytes / t / 1e6, g.lang, g.method);

    size_t docs = 0, ja = 0;
    bytes = 0;
    t0 = now_s();
    for (int rep = 0; rep < 10; rep++) {
        const char *p = (const char *)norm.data, *end = p + norm.len;
        while (p < end) {
            const char *q = p + 4096 < end ? p + 4096 : end;
            while (q < end && *q != '\n') q++;
            langid_identify(p, (size_t)(q - p), &g, &err);
            docs++;
            ja += strcmp(g.lang, "ja") == 0;
            bytes += (size_t)(q - p);
            p = q;
        }
    }
    t = now_s() - t0;
    printf("%-3s langid_identify   ~4 KB docs: %7.1f MB/s, %.0f docs/s, %zu of %zu ja\n", label,
           (double)bytes / t / 1e6, (double)docs / t, ja, docs);

    /* normalizer per ~4 KB document (call overhead included) */
    bytes = 0;
    t0 = now_s();
    for (int rep = 0; rep < 10; rep++) {
        const char *p = (const char *)text->data, *end = p + text->len;
        while (p < end) {
            const char *q = p + 4096 < end ? p + 4096 : end;
            while (q < end && *q != '\n') q++;
            normalizer_apply(nz, p, (size_t)(q - p), &out, &err);
            bytes += (size_t)(q - p);
            p = q;
        }
    }
    t = now_s() - t0;
    printf("%-3s normalizer_apply  ~4 KB docs: %7.1f MB/s\n", label, (double)bytes / t / 1e6);

    normalizer_close(nz);
    jf_buf_free(&norm);
    jf_buf_free(&out);
    jf_buf_free(&para);
}

int main(int argc, char **argv)
{
    if (argc > 1) setenv("JF_DATA_DIR", argv[1], 1);
    static const char *const langs[][2] = { { "debian-reference-ja", "ja" },
                                            { "debian-reference-en", "en" },
                                            { "debian-reference-zh-cn", "zh-cn" } };
    JfBuf text;
    jf_buf_init(&text, 0);
    for (size_t k = 0; k < 3; k++) {
        char path[1024], rel[256];
        snprintf(rel, sizeof rel, TD_DEBREF_DIR "/debian-reference.%s.txt.gz", langs[k][1]);
        td_pkg_path(path, sizeof path, langs[k][0], rel);
        if (!td_read(path, &text)) {
            fprintf(stderr, "bench_normalize: missing %s (scripts/make-sample-data.sh)\n", path);
            return 1;
        }
        bench_text(langs[k][1], &text);
    }
    jf_buf_free(&text);
    return 0;
}
