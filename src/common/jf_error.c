/* jf_error.c: status texts and error records. Prints nothing. */
#include "jf_error.h"

#include <stdio.h>
#include <string.h>

static const char *const STATUS_TEXT[] = {
#define JF_X_TEXT(name, text) text,
    JF_STATUS_LIST(JF_X_TEXT)
#undef JF_X_TEXT
};

const char *jf_status_text(JfStatus st)
{
    if ((unsigned)st >= JF_STATUS_COUNT) return "unknown status";
    return STATUS_TEXT[st];
}

void jf_error_clear(JfError *err)
{
    if (!err) return;
    err->code = JF_OK;
    err->path[0] = '\0';
    err->offset = JF_OFFSET_UNKNOWN;
    err->msg[0] = '\0';
}

JfStatus jf_error_set(JfError *err, JfStatus code, const char *path, uint64_t offset,
                      const char *fmt, ...)
{
    if (!err) return code;
    err->code = code;
    if (path) snprintf(err->path, sizeof err->path, "%s", path);
    err->offset = offset;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    } else {
        snprintf(err->msg, sizeof err->msg, "%s", jf_status_text(code));
    }
    return code;
}

void jf_error_format(const JfError *err, char *buf, size_t cap)
{
    const char *path = err->path[0] ? err->path : "-";
    if (err->offset != JF_OFFSET_UNKNOWN)
        snprintf(buf, cap, "%s:%llu: %s", path, (unsigned long long)err->offset,
                 err->msg[0] ? err->msg : jf_status_text(err->code));
    else
        snprintf(buf, cap, "%s: %s", path, err->msg[0] ? err->msg : jf_status_text(err->code));
}
