/* tokenizer.h: the public face of src/tokenizer: SentencePiece model files
 * (sp_model.h), SentencePiece-compatible BPE encoding (bpe_encode.h), BPE
 * training (bpe_train.h), vocabulary extension (bpe_extend.h), the Hugging
 * Face export (hf_export.h) and the stats chart (tok_chart.h). */
#ifndef JF_TOKENIZER_H
#define JF_TOKENIZER_H

#include "bpe_count.h"
#include "bpe_encode.h"
#include "bpe_extend.h"
#include "bpe_train.h"
#include "hf_export.h"
#include "sp_model.h"
#include "tok_chart.h"

#endif
