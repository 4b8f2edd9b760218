/* extract_page.c: one page from raw bytes to a normalized, language-tagged
 * document: binary sniffing, the Japanese pre-filter, charset detection and
 * conversion, HTML to text, normalization and language identification. The
 * WARC loop around it is extract_warc.c. */
#include <stdio.h>
#include <string.h>

#include "charset.h"
#include "extract.h"
#include "extractor_int.h"
#include "jf_alloc.h"
#include "langid.h"
#include "prefilter.h"

static const char *const LANG_CODE[EXTRACT_LANG_COUNT] = { "ja", "en" };

static const char *const DROP_NAME[] = {
#define EXTRACT_X_NAME(id, name, text) name,
    EXTRACT_DROP_LIST(EXTRACT_X_NAME)
#undef EXTRACT_X_NAME
};

static const char *const CHARSET_SOURCES[5] = { "http", "bom", "meta", "detected", "default" };

const char *extract_lang_code(ExtractLang l) { return l < EXTRACT_LANG_COUNT ? LANG_CODE[l] : "und"; }
const char *extract_drop_name(ExtractDrop d) { return d < EXTRACT_DROP_COUNT ? DROP_NAME[d] : "?"; }

void extract_options_init(ExtractOptions *o)
{
    memset(o, 0, sizeof *o);
    o->want[EXTRACT_LANG_JA] = o->want[EXTRACT_LANG_EN] = true;
    o->prefilter = true;
    o->max_replaced_ratio = 0.01;
    o->max_ratio = JF_MAX_RATIO_DEFAULT;
    o->source = "cc";
    html_text_options_init(&o->html);
    normalizer_options_default(&o->norm);
}

JfStatus extractor_open(const ExtractOptions *opt, Extractor **out, JfError *err)
{
    *out = NULL;
    Extractor *x = jf_calloc(1, sizeof *x);
    if (!x) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    if (opt) x->opt = *opt;
    else extract_options_init(&x->opt);
    x->only_ja = x->opt.want[EXTRACT_LANG_JA] && !x->opt.want[EXTRACT_LANG_EN];
    jf_buf_init(&x->utf8, x->opt.html.max_input ? x->opt.html.max_input * 4 : 32u << 20);
    jf_buf_init(&x->joined, 0);
    jf_buf_init(&x->norm, 0);
    JfStatus rc = http_parser_open(x->opt.max_record_bytes, &x->http, err);
    if (rc == JF_OK) rc = html_extractor_open(&x->opt.html, &x->html, err);
    if (rc == JF_OK) rc = normalizer_open(&x->opt.norm, &x->normalizer, err);
    if (rc != JF_OK) {
        extractor_close(x);
        return rc;
    }
    *out = x;
    return JF_OK;
}

void extractor_close(Extractor *x)
{
    if (!x) return;
    http_parser_close(x->http);
    html_extractor_close(x->html);
    normalizer_close(x->normalizer);
    jf_buf_free(&x->utf8);
    jf_buf_free(&x->joined);
    jf_buf_free(&x->norm);
    jf_free(x);
}

/* Text formats never hold NUL, and hardly any C0 control other than
 * TAB/LF/CR/FF/ESC (ESC starts ISO-2022-JP shifts). A payload where more than
 * 1% of the first 4 KB are such bytes is an image or archive mislabelled. */
static bool looks_binary(const uint8_t *p, size_t len)
{
    size_t n = len < 4096 ? len : 4096, bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b) bad++;
    }
    return n && bad * 100 > n;
}

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += ((uint8_t)s[i] & 0xC0) != 0x80;
    return n;
}

static int charset_source_index(const char *source)
{
    for (int i = 0; i < 5; i++)
        if (!strcmp(source, CHARSET_SOURCES[i])) return i;
    return 4;
}

/* Builds "title\nbody" in x->joined, leaving out a title that the body
 * already starts with (most pages repeat it as their <h1>). */
static JfStatus join_title(Extractor *x, const HtmlText *ht)
{
    jf_buf_reset(&x->joined);
    bool repeat = ht->title_len && ht->text_len >= ht->title_len &&
                  !memcmp(ht->text, ht->title, ht->title_len) &&
                  (ht->text_len == ht->title_len || ht->text[ht->title_len] == '\n');
    JfStatus rc = JF_OK;
    if (ht->title_len && !repeat) {
        rc = jf_buf_append(&x->joined, ht->title, ht->title_len);
        if (rc == JF_OK && ht->text_len) rc = jf_buf_append_byte(&x->joined, '\n');
    }
    if (rc == JF_OK) rc = jf_buf_append(&x->joined, ht->text, ht->text_len);
    return rc;
}

static JfStatus set_meta_str(JfDoc *doc, const char *key, const char *val)
{
    return json_object_set_new(doc->meta, key, json_string(val ? val : "")) ? JF_ENOMEM : JF_OK;
}

/* Decodes page bytes into x->utf8; fills the charset guess. */
static JfStatus decode_page(Extractor *x, const ExtractPage *page, CharsetGuess *cs,
                            size_t *replaced, JfError *err)
{
    JfStatus rc = charset_detect(page->body, page->len, page->content_type, cs, err);
    if (rc != JF_OK) return rc;
    jf_buf_reset(&x->utf8);
    *replaced = 0;
    return charset_to_utf8(cs->name, page->body, page->len, &x->utf8, replaced, err);
}

static JfStatus page_text(Extractor *x, const ExtractPage *page, JfDoc *doc, ExtractDrop *why,
                          bool *kept, ExtractStats *st, JfError *err)
{
    CharsetGuess cs;
    size_t replaced;
    JfStatus rc = decode_page(x, page, &cs, &replaced, err);
    if (rc == JF_ETOOBIG) { *why = EXTRACT_DROP_TOO_BIG; return JF_OK; }
    if (rc != JF_OK) return rc;
    size_t nchars = utf8_chars((const char *)x->utf8.data, x->utf8.len);
    if (nchars && (double)replaced / (double)nchars > x->opt.max_replaced_ratio) {
        *why = EXTRACT_DROP_REPLACEMENT;
        return JF_OK;
    }
    HtmlText ht = { 0 };
    if (page->is_html) {
        rc = html_extractor_run(x->html, (const char *)x->utf8.data, x->utf8.len, &ht, err);
        if (rc == JF_ETOOBIG) { *why = EXTRACT_DROP_TOO_BIG; return JF_OK; }
        if (rc == JF_ETIMEOUT) { *why = EXTRACT_DROP_TOO_SLOW; return JF_OK; }
        if (rc != JF_OK) return rc;
        rc = join_title(x, &ht);
    } else {
        jf_buf_reset(&x->joined);
        rc = jf_buf_append(&x->joined, x->utf8.data, x->utf8.len);
    }
    if (rc == JF_OK) rc = normalizer_apply(x->normalizer, (const char *)x->joined.data,
                                           x->joined.len, &x->norm, err);
    if (rc == JF_ETOOBIG) { *why = EXTRACT_DROP_TOO_BIG; return JF_OK; }
    if (rc != JF_OK) return rc;
    if (x->norm.len == 0) { *why = EXTRACT_DROP_EMPTY; return JF_OK; }

    LangGuess lg;
    rc = langid_identify((const char *)x->norm.data, x->norm.len, &lg, err);
    if (rc != JF_OK) return rc;
    int li = -1;
    for (int l = 0; l < EXTRACT_LANG_COUNT; l++)
        if (x->opt.want[l] && !strcmp(lg.lang, LANG_CODE[l])) li = l;
    if (li < 0) { *why = EXTRACT_DROP_LANG; return JF_OK; }

    if (jf_doc_set(&doc->text, (const char *)x->norm.data, x->norm.len) != JF_OK ||
        jf_doc_set(&doc->lang, lg.lang, strlen(lg.lang)) != JF_OK)
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    doc->text_len = x->norm.len;
    rc = set_meta_str(doc, "charset", cs.name);
    if (rc == JF_OK) rc = set_meta_str(doc, "charset_source", cs.source);
    if (rc == JF_OK && page->is_html) rc = set_meta_str(doc, "title", ht.title);
    if (rc == JF_OK && page->is_html) rc = set_meta_str(doc, "html_lang", ht.html_lang);
    if (rc == JF_OK) rc = set_meta_str(doc, "normalization", normalizer_profile_name(x->normalizer));
    if (rc == JF_OK) rc = set_meta_str(doc, "lang_method", lg.method);
    if (rc == JF_OK && json_object_set_new(doc->meta, "lang_score", json_real(lg.confidence)))
        rc = JF_ENOMEM;
    if (rc == JF_OK && replaced &&
        json_object_set_new(doc->meta, "replaced_chars", json_integer((json_int_t)replaced)))
        rc = JF_ENOMEM;
    if (rc != JF_OK) return jf_error_set(err, rc, NULL, JF_OFFSET_UNKNOWN, "out of memory");
    st->charset_by_source[charset_source_index(cs.source)]++;
    st->replaced_chars += replaced;
    st->chars_kept[li] += utf8_chars(doc->text, doc->text_len);
    *kept = true;
    return JF_OK;
}

JfStatus extractor_page(Extractor *x, const ExtractPage *page, JfDoc *doc, bool *kept,
                        ExtractDrop *why, ExtractStats *st, JfError *err)
{
    *kept = false;
    *why = EXTRACT_DROP_EMPTY;
    if (looks_binary(page->body, page->len)) {
        *why = EXTRACT_DROP_BINARY;
        return JF_OK;
    }
    if (page->is_html && x->only_ja && x->opt.prefilter &&
        !prefilter_maybe_japanese(page->body, page->len, page->content_type)) {
        *why = EXTRACT_DROP_PREFILTER;
        return JF_OK;
    }
    return page_text(x, page, doc, why, kept, st, err);
}
