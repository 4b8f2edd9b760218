/* fuzz_config.c: INI configuration parsing, --set assignments and typed
 * getters on arbitrary text. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "jf_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    JfConfig *c;
    JfError err;
    if (jf_config_load_string(text, "fuzz.ini", &c, &err) == JF_OK) {
        for (size_t i = 0; i < jf_config_count(c); i++) {
            const char *k = jf_config_key_at(c, i);
            int64_t n;
            double d;
            bool b;
            jf_config_get_int(c, k, 0, &n, &err);
            jf_config_get_double(c, k, 0, &d, &err);
            jf_config_get_bool(c, k, false, &b, &err);
        }
        jf_config_set(c, text, &err);
        jf_config_close(c);
    }
    free(text);
    return 0;
}
