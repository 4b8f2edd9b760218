/* fuzz_ckpt.c: llama2.c checkpoints (the base model a continued training run
 * starts from) on arbitrary bytes. A hostile header (huge dim, vocabulary or
 * layer counts) must be refused before anything that size is allocated:
 * the reader checks the sizes it implies against the file's size. */
#include <unistd.h>

#include "fuzz.h"
#include "llama_ckpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0) return 0;
    LlamaModel m;
    JfError err;
    if (llama_ckpt_read(path, &m, &err) == JF_OK) llama_model_free(&m);
    close(fd);
    return 0;
}
