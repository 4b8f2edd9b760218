/* train_fixture.c: see train_fixture.h. */
#include "train_fixture.h"

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

#include "blend_plan.h"
#include "jf_alloc.h"
#include "mmidx.h"

static uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

static JfStatus fixture_dataset(const char *prefix, uint32_t vocab, int lang, JfError *err)
{
    MmidxWriter *w;
    JfStatus st = mmidx_writer_open(prefix, vocab, &w, err);
    if (st != JF_OK) return st;
    uint64_t s = 17 + (uint64_t)lang;
    uint32_t lo = lang == 0 ? 2 : vocab / 2, hi = lang == 0 ? vocab / 2 : vocab;
    uint32_t step = lang == 0 ? 1 : 3, ids[64];
    for (int d = 0; d < 200 && st == JF_OK; d++) {
        size_t n = 5 + rnd(&s) % 56;
        uint32_t x = lo + (uint32_t)(rnd(&s) % (hi - lo));
        for (size_t k = 0; k + 1 < n; k++) {
            ids[k] = x;
            x = lo + (x - lo + step) % (hi - lo);
        }
        ids[n - 1] = 1;
        st = mmidx_writer_add(w, ids, n, err);
        if (st == JF_OK) st = mmidx_writer_end_document(w, err);
    }
    if (st == JF_OK) st = mmidx_writer_commit(w, err);
    mmidx_writer_close(w);
    return st;
}

JfStatus fixture_make(const char *dir, uint32_t vocab, uint32_t seq_len, uint64_t samples,
                      const char *split, JfError *err)
{
    static const char *const NAMES[2] = { "syn_ja", "syn_en" };
    static const char *const WEIGHTS[2] = { "0.6", "0.4" };
    char path[1024];
    mkdir(dir, 0777);
    BlendPlan p;
    JfStatus st = blend_plan_init(&p, 2, err);
    if (st != JF_OK) return st;
    p.seq_len = seq_len;
    p.seed = 1234;
    p.samples_requested = samples;
    snprintf(p.split_text, sizeof p.split_text, "%s", split);
    for (int i = 0; i < 2 && st == JF_OK; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, NAMES[i]);
        st = fixture_dataset(path, vocab, i, err);
        p.ds[i].prefix = jf_strdup(path);
        p.ds[i].weight_text = jf_strdup(WEIGHTS[i]);
    }
    if (st == JF_OK) st = blend_plan_build(&p, err);
    snprintf(path, sizeof path, "%s/plan.json", dir);
    if (st == JF_OK) st = blend_plan_write(&p, path, err);
    blend_plan_free(&p);
    return st;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int fixture_remove(const char *dir)
{
    return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
