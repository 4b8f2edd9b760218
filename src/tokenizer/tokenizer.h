/* tokenizer.h: the public face of src/tokenizer: SentencePiece model files
 * (sp_model.h) and SentencePiece-compatible BPE encoding (bpe_encode.h).
 * Training and vocabulary extension are not there yet. */
#ifndef JF_TOKENIZER_H
#define JF_TOKENIZER_H

#include "bpe_encode.h"
#include "sp_model.h"

#endif
