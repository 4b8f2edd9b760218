/* jf_config.h: the one configuration format of jaforge: INI files (parsed by
 * inih from Debian), used by filter profiles, pipelines and the trainer.
 * A key is addressed as "section.key" ("train.steps"); keys before any
 * section have no prefix. `--set section.key=value` overrides work the same
 * way. Values are kept as text; typed getters check them and name the key
 * and the file in their error. Later assignments of a key replace earlier ones.
 *
 *   # comment            ; comment
 *   [train]
 *   steps = 200
 *   lr = 3e-4
 *
 * Lines are at most 198 bytes (inih's fixed line buffer in Debian's build):
 * a longer line is an error, never silently split. Files are at most 1 MiB.
 *
 * Does not: interpolate variables, include other files, or know which keys a
 * stage accepts (each stage checks its own keys). */
#ifndef JF_CONFIG_H
#define JF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jf_error.h"

typedef struct JfConfig JfConfig;

/* An empty configuration (path "-" in messages). @return NULL on OOM. */
JfConfig *jf_config_new(void);
/* Loads path. @return JF_OK, JF_EIO (cannot open), JF_EFORMAT (syntax error,
 * err->msg names the line), JF_ENOMEM. */
JfStatus  jf_config_load(const char *path, JfConfig **out, JfError *err);
/* Loads INI text held in memory (name is used in messages). */
JfStatus  jf_config_load_string(const char *text, const char *name, JfConfig **out,
                                JfError *err);
void      jf_config_close(JfConfig *c);

/* Applies "section.key=value" (the --set form). @return JF_EUSAGE when there
 * is no '=' or the key is empty, JF_ENOMEM. */
JfStatus  jf_config_set(JfConfig *c, const char *assignment, JfError *err);
JfStatus  jf_config_put(JfConfig *c, const char *key, const char *value);

/* @return the value (borrowed, valid until the key is set again or the
 * config is closed) or NULL when absent. */
const char *jf_config_get(const JfConfig *c, const char *key);
bool        jf_config_has(const JfConfig *c, const char *key);

/* Typed getters: absent keys give def; a value that does not parse is
 * JF_EFORMAT ("profile.ini: train.steps: not an integer: 'x'"). Booleans
 * accept true/false, yes/no, on/off, 1/0. */
JfStatus jf_config_get_int(const JfConfig *c, const char *key, int64_t def, int64_t *out,
                           JfError *err);
JfStatus jf_config_get_double(const JfConfig *c, const char *key, double def, double *out,
                              JfError *err);
JfStatus jf_config_get_bool(const JfConfig *c, const char *key, bool def, bool *out,
                            JfError *err);

/* Iteration in first-assignment order. */
size_t      jf_config_count(const JfConfig *c);
const char *jf_config_key_at(const JfConfig *c, size_t i);
const char *jf_config_value_at(const JfConfig *c, size_t i);
const char *jf_config_path(const JfConfig *c);

#endif
