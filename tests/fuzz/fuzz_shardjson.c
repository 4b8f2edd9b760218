/* fuzz_shardjson.c: the shard writer's fast JSON scanner against jansson, on
 * arbitrary bytes (a differential target): both must accept or refuse the
 * same lines, and agree on text, its length in characters, lang and source. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "shard_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    JfBuf fast_buf, ref_buf;
    jf_buf_init(&fast_buf, 1u << 24);
    jf_buf_init(&ref_buf, 1u << 24);
    ShardJsonDoc fast, ref;
    JfError e1, e2;
    JfStatus a = shard_json_doc((const char *)data, size, &fast_buf, &fast, &e1);
    JfStatus b = shard_json_doc_jansson((const char *)data, size, &ref_buf, &ref, &e2);
    if ((a == JF_OK) != (b == JF_OK)) abort();
    if (a == JF_OK && (fast.text_len != ref.text_len || fast.chars != ref.chars ||
                       memcmp(fast.text, ref.text, ref.text_len) != 0 ||
                       strcmp(fast.lang, ref.lang) != 0 || strcmp(fast.source, ref.source) != 0))
        abort();
    jf_buf_free(&fast_buf);
    jf_buf_free(&ref_buf);
    return 0;
}
