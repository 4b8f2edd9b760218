/* train_fixture.h: synthetic but learnable Megatron datasets and a blend plan
 * for the trainer's tests. Two datasets, DIR/syn_ja (weight 0.6) and
 * DIR/syn_en (0.4), 200 documents each of 5..60 tokens ending in EOD (id 1):
 * ja documents count up by 1 through ids [2, V/2), en documents by 3 through
 * [V/2, V), each from a random start, so the next token is predictable
 * inside a document. The plan is DIR/plan.json. */
#ifndef TRAIN_FIXTURE_H
#define TRAIN_FIXTURE_H

#include <stdint.h>

#include "jf_error.h"

JfStatus fixture_make(const char *dir, uint32_t vocab, uint32_t seq_len, uint64_t samples,
                      const char *split, JfError *err);

/* Removes dir and everything under it (a test's group teardown).
 * @return 0, or -1 when something could not be removed. */
int fixture_remove(const char *dir);

#endif
