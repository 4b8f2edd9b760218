// langid_cld2.cc: extern "C" wrapper around CLD2's C++ API (Debian's
// libcld2 ships no C interface). Only ExtDetectLanguageSummaryCheckUTF8 is
// used: it checks UTF-8 validity itself, and reports UNKNOWN_LANGUAGE rather
// than defaulting to English. No exceptions cross into C.
#include <climits>
#include <cstdio>   // compact_lang_det.h uses FILE without including it
#include <cstring>
#include <new>

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

#include "normalize_int.h"

namespace {

CLD2::Language cld2_run(const char *text, int n, int *percent, bool *reliable, int *valid)
{
    CLD2::CLDHints hints = { nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE };
    CLD2::Language lang3[3];
    int            pct3[3] = { 0, 0, 0 };
    double         score3[3];
    int            text_bytes = 0;
    CLD2::Language lang = CLD2::ExtDetectLanguageSummaryCheckUTF8(
        text, n, true, &hints, 0, lang3, pct3, score3, nullptr, &text_bytes, reliable, valid);
    *percent = pct3[0];
    for (int k = 0; k < 3; k++)
        if (lang3[k] == lang) *percent = pct3[k];
    return lang;
}

}  // namespace

extern "C" JfStatus langid_cld2_detect(const char *utf8, size_t len, char *code, size_t cap,
                                       int *percent, bool *reliable, JfError *err)
{
    try {
        int n = len > (size_t)INT_MAX ? INT_MAX : (int)len;
        int valid = n;
        CLD2::Language lang = cld2_run(utf8, n, percent, reliable, &valid);
        if (valid < n && valid > 0)   // judge the valid prefix rather than give up
            lang = cld2_run(utf8, valid, percent, reliable, &valid);
        const char *c = CLD2::LanguageCode(lang);
        size_t      cl = c ? std::strlen(c) : 0;
        if (cl >= cap) cl = 0;
        if (cl) std::memcpy(code, c, cl);
        code[cl] = '\0';
        return JF_OK;
    } catch (const std::bad_alloc &) {
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory in CLD2");
    } catch (...) {
        return jf_error_set(err, JF_EINTERNAL, NULL, JF_OFFSET_UNKNOWN, "exception in CLD2");
    }
}
