/* bench_minhash.c: signature throughput (MB/s and docs/s, one core) of
 * minhash.h over the texts of a .jsonl.zst file, for a given bands x rows.
 * Build: see bench/dedup/README.md. Usage: bench_minhash FILE BANDS ROWS [REPEAT] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "jf_doc.h"
#include "minhash.h"

int main(int argc, char **argv)
{
    if (argc < 4) { fprintf(stderr, "usage: bench_minhash FILE BANDS ROWS [REPEAT]\n"); return 2; }
    MinHashParams p = { .bands = (uint32_t)atoi(argv[2]), .rows = (uint32_t)atoi(argv[3]), .ngram = 5, .seed = 1 };
    int repeat = argc > 4 ? atoi(argv[4]) : 20;
    JfError err;
    JfDocReader *r = NULL;
    if (jf_docreader_open(argv[1], 0, &r, &err) != JF_OK) return 1;
    JfDoc d, docs[4096];
    size_t n = 0, bytes = 0;
    jf_doc_init(&d);
    while (n < 4096 && jf_docreader_next(r, &docs[n], &err) == JF_ROW) bytes += docs[n++].text_len;
    MinHasher *m = NULL;
    if (minhash_open(&p, &m, &err) != JF_OK) return 1;
    uint64_t *sig = malloc(minhash_k(m) * 8), keys[65536];
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);   /* CPU time: the machine may be shared */
    for (int k = 0; k < repeat; k++)
        for (size_t i = 0; i < n; i++) {
            minhash_shingle(m, docs[i].text, docs[i].text_len, &err);
            minhash_signature(m, sig);
            minhash_band_keys(m, sig, keys);
        }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("K=%zu (%u x %u): %zu docs x %d, %.1f MB/s, %.0f docs/s (mean doc %zu bytes)\n", minhash_k(m),
           p.bands, p.rows, n, repeat, (double)bytes * repeat / s / 1e6, (double)n * repeat / s, bytes / n);
    return 0;
}
