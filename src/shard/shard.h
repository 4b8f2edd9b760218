/* shard.h: the shard stage's public face. Megatron indexed datasets (mmidx.h)
 * and Megatron's blending and sample order (megatron_order.h), and blend plans (blend_plan.h). Writing shards
 * from documents needs the tokenizer's encoder and is not here yet. */
#ifndef JF_SHARD_H
#define JF_SHARD_H

#include "blend_plan.h"
#include "megatron_order.h"
#include "mmidx.h"

#endif
