/* shard.h: the shard stage's public face: Megatron indexed datasets
 * (mmidx.h), the shard writer from documents (shard_encode.h), Megatron's
 * blending and sample order (megatron_order.h) and blend plans
 * (blend_plan.h). */
#ifndef JF_SHARD_H
#define JF_SHARD_H

#include "blend_plan.h"
#include "megatron_order.h"
#include "mmidx.h"
#include "shard_encode.h"

#endif
