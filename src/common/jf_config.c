/* jf_config.c: INI configuration on top of inih. Entries live in two parallel
 * arrays in first-assignment order; configurations are small (tens of keys),
 * so lookups are linear. */
#include "jf_config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jf_alloc.h"

#define JF_CONFIG_MAX_BYTES (1u << 20)   /* a configuration is a small file */

struct JfConfig {
    char  **keys;
    char  **values;
    size_t  count, cap;
    char   *path;
    bool    oom;
};

JfConfig *jf_config_new(void)
{
    JfConfig *c = jf_calloc(1, sizeof *c);
    if (c && !(c->path = jf_strdup("-"))) {
        jf_free(c);
        return NULL;
    }
    return c;
}

void jf_config_close(JfConfig *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->count; i++) {
        jf_free(c->keys[i]);
        jf_free(c->values[i]);
    }
    jf_free(c->keys);
    jf_free(c->values);
    jf_free(c->path);
    jf_free(c);
}

static ptrdiff_t find(const JfConfig *c, const char *key)
{
    for (size_t i = 0; i < c->count; i++)
        if (!strcmp(c->keys[i], key)) return (ptrdiff_t)i;
    return -1;
}

JfStatus jf_config_put(JfConfig *c, const char *key, const char *value)
{
    char *v = jf_strdup(value);
    if (!v) return JF_ENOMEM;
    ptrdiff_t i = find(c, key);
    if (i >= 0) {
        jf_free(c->values[i]);
        c->values[i] = v;
        return JF_OK;
    }
    if (c->count == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        char **k = jf_realloc(c->keys, ncap * sizeof *k);
        if (k) c->keys = k;
        char **vs = k ? jf_realloc(c->values, ncap * sizeof *vs) : NULL;
        if (!vs) {
            jf_free(v);
            return JF_ENOMEM;
        }
        c->values = vs;
        c->cap = ncap;
    }
    if (!(c->keys[c->count] = jf_strdup(key))) {
        jf_free(v);
        return JF_ENOMEM;
    }
    c->values[c->count++] = v;
    return JF_OK;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    JfConfig *c = user;
    char key[512];
    if (section && *section) snprintf(key, sizeof key, "%s.%s", section, name);
    else snprintf(key, sizeof key, "%s", name);
    if (jf_config_put(c, key, value ? value : "") != JF_OK) {
        c->oom = true;
        return 0;
    }
    return 1;
}

static JfStatus finish_load(JfConfig *c, int rc, const char *name, JfConfig **out, JfError *err)
{
    if (c->oom) rc = -2;
    if (rc == 0) {
        *out = c;
        return JF_OK;
    }
    jf_config_close(c);
    if (rc == -1) return jf_error_set(err, JF_EIO, name, JF_OFFSET_UNKNOWN, "cannot open: %s", strerror(errno));
    if (rc == -2) return jf_error_set(err, JF_ENOMEM, name, JF_OFFSET_UNKNOWN, "out of memory");
    return jf_error_set(err, JF_EFORMAT, name, JF_OFFSET_UNKNOWN, "syntax error on line %d", rc);
}

static JfConfig *config_named(const char *name)
{
    JfConfig *c = jf_config_new();
    if (!c) return NULL;
    jf_free(c->path);
    if (!(c->path = jf_strdup(name))) {
        jf_free(c);
        return NULL;
    }
    return c;
}

JfStatus jf_config_load(const char *path, JfConfig **out, JfError *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return jf_error_set(err, JF_EIO, path, JF_OFFSET_UNKNOWN, "cannot open: %s", strerror(errno));
    char *text = jf_malloc(JF_CONFIG_MAX_BYTES + 1);
    size_t n = text ? fread(text, 1, JF_CONFIG_MAX_BYTES + 1, f) : 0;
    fclose(f);
    if (!text) return jf_error_set(err, JF_ENOMEM, path, JF_OFFSET_UNKNOWN, "out of memory");
    JfStatus rc;
    if (n > JF_CONFIG_MAX_BYTES) {
        rc = jf_error_set(err, JF_ETOOBIG, path, JF_OFFSET_UNKNOWN, "larger than %u bytes",
                          JF_CONFIG_MAX_BYTES);
    } else {
        text[n] = '\0';
        rc = jf_config_load_string(text, path, out, err);
    }
    jf_free(text);
    return rc;
}

/* inih cuts lines at INI_MAX_LINE bytes (200 in Debian's build) and reads
 * the rest as a new line, which would turn into a wrong key silently. */
static JfStatus check_line_lengths(const char *text, const char *name, JfError *err)
{
    size_t line = 1;
    for (const char *p = text; *p; line++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len + 2 > INI_MAX_LINE)
            return jf_error_set(err, JF_EFORMAT, name, (uint64_t)(p - text),
                                "line %zu is longer than %d bytes; split its value over several keys",
                                line, INI_MAX_LINE - 2);
        if (!nl) break;
        p = nl + 1;
    }
    return JF_OK;
}

JfStatus jf_config_load_string(const char *text, const char *name, JfConfig **out, JfError *err)
{
    *out = NULL;
    JfStatus rc = check_line_lengths(text, name, err);
    if (rc != JF_OK) return rc;
    JfConfig *c = config_named(name);
    if (!c) return jf_error_set(err, JF_ENOMEM, name, JF_OFFSET_UNKNOWN, "out of memory");
    return finish_load(c, ini_parse_string(text, on_entry, c), name, out, err);
}

JfStatus jf_config_set(JfConfig *c, const char *assignment, JfError *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return jf_error_set(err, JF_EUSAGE, c->path, JF_OFFSET_UNKNOWN,
                            "--set needs KEY=VALUE, got '%s'", assignment);
    char key[512];
    size_t n = (size_t)(eq - assignment);
    if (n >= sizeof key) n = sizeof key - 1;
    memcpy(key, assignment, n);
    key[n] = '\0';
    if (jf_config_put(c, key, eq + 1) != JF_OK)
        return jf_error_set(err, JF_ENOMEM, c->path, JF_OFFSET_UNKNOWN, "out of memory");
    return JF_OK;
}

const char *jf_config_get(const JfConfig *c, const char *key)
{
    ptrdiff_t i = find(c, key);
    return i >= 0 ? c->values[i] : NULL;
}

bool jf_config_has(const JfConfig *c, const char *key) { return find(c, key) >= 0; }

static JfStatus bad_value(const JfConfig *c, const char *key, const char *what, const char *v,
                          JfError *err)
{
    return jf_error_set(err, JF_EFORMAT, c->path, JF_OFFSET_UNKNOWN, "%s: not %s: '%s'", key,
                        what, v);
}

JfStatus jf_config_get_int(const JfConfig *c, const char *key, int64_t def, int64_t *out,
                           JfError *err)
{
    const char *v = jf_config_get(c, key);
    *out = def;
    if (!v) return JF_OK;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 0);
    if (end == v || *end || errno) return bad_value(c, key, "an integer", v, err);
    *out = x;
    return JF_OK;
}

JfStatus jf_config_get_double(const JfConfig *c, const char *key, double def, double *out,
                              JfError *err)
{
    const char *v = jf_config_get(c, key);
    *out = def;
    if (!v) return JF_OK;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno) return bad_value(c, key, "a number", v, err);
    *out = x;
    return JF_OK;
}

JfStatus jf_config_get_bool(const JfConfig *c, const char *key, bool def, bool *out,
                            JfError *err)
{
    static const char *const T[] = { "true", "yes", "on", "1" }, *const F[] = { "false", "no", "off", "0" };
    const char *v = jf_config_get(c, key);
    *out = def;
    if (!v) return JF_OK;
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(v, T[i])) { *out = true; return JF_OK; }
        if (!strcasecmp(v, F[i])) { *out = false; return JF_OK; }
    }
    return bad_value(c, key, "a boolean", v, err);
}

size_t jf_config_count(const JfConfig *c) { return c->count; }
const char *jf_config_key_at(const JfConfig *c, size_t i) { return i < c->count ? c->keys[i] : NULL; }
const char *jf_config_value_at(const JfConfig *c, size_t i) { return i < c->count ? c->values[i] : NULL; }
const char *jf_config_path(const JfConfig *c) { return c->path; }
