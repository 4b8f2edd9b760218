/* test_charset.c: charset labels, detection and conversion on real data:
 * vim's Japanese tutor in Shift_JIS, EUC-JP and UTF-8 (twins), namazu's
 * undeclared EUC-JP pages, the edict/kanjidic pages declaring EUC-JP in
 * <meta>, and debian-reference-ja re-encoded here with ICU into CP932, EUC-JP
 * and ISO-2022-JP, with and without declarations, right and wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unicode/ucnv.h>

#include "charset.h"
#include "extract_testutil.h"
#include "html_text.h"
#include "jf_alloc.h"

/* ---- helpers ---- */

/* UTF-8 -> charset with ICU, failing on anything unmappable (no fallbacks). */
static bool encode_exact(const char *icu, const char *utf8, size_t len, JfBuf *out)
{
    UErrorCode ue = U_ZERO_ERROR;
    UConverter *from = ucnv_open("UTF-8", &ue), *to = ucnv_open(icu, &ue);
    assert_true(U_SUCCESS(ue));
    ucnv_setFromUCallBack(to, UCNV_FROM_U_CALLBACK_STOP, NULL, NULL, NULL, &ue);
    ucnv_setFallback(to, false);
    size_t cap = len * 4 + 16;
    jf_buf_reset(out);
    assert_int_equal(jf_buf_reserve(out, cap), JF_OK);
    char *t = (char *)out->data;
    const char *s = utf8;
    ucnv_convertEx(to, from, &t, t + cap, &s, utf8 + len, NULL, NULL, NULL, NULL, true, true,
                   &ue);
    ucnv_close(from);
    ucnv_close(to);
    if (U_FAILURE(ue)) return false;
    out->len = (size_t)(t - (char *)out->data);
    out->data[out->len] = '\0';
    return true;
}

static void decode_ok(const char *icu, const uint8_t *b, size_t n, JfBuf *out)
{
    JfError err;
    size_t rep = 99;
    jf_buf_reset(out);
    assert_int_equal(charset_to_utf8(icu, b, n, out, &rep, &err), JF_OK);
    if (rep != 0) fail_msg("%s: %zu replacements", icu, rep);
}

static void expect_guess(const uint8_t *b, size_t n, const char *ct, const char *name,
                         const char *source, const char *what)
{
    CharsetGuess g;
    JfError err;
    assert_int_equal(charset_detect(b, n, ct, &g, &err), JF_OK);
    if (strcmp(g.name, name) != 0 || (source && strcmp(g.source, source) != 0))
        fail_msg("%s: got %s/%s/%d, want %s/%s", what, g.name, g.source, g.confidence, name,
                 source ? source : "*");
}

/* ---- labels ---- */

static void test_labels(void **state)
{
    (void)state;
    static const struct {
        const char *label, *icu;
    } cases[] = {
        {"Shift_JIS", CHARSET_ICU_CP932}, {"shift-jis", CHARSET_ICU_CP932},
        {"x-sjis", CHARSET_ICU_CP932},    {"MS_Kanji", CHARSET_ICU_CP932},
        {"cp932", CHARSET_ICU_CP932},     {"Windows-31J", CHARSET_ICU_CP932},
        {"SJIS", CHARSET_ICU_CP932},      {" \"euc-jp\" ", "EUC-JP"},
        {"x-euc-jp", "EUC-JP"},           {"ISO-2022-JP", "ISO-2022-JP"},
        {"utf-8", "UTF-8"},               {"UTF8", "UTF-8"},
        {"'utf-8'", "UTF-8"},             {"ISO-8859-1", "windows-1252"},
        {"us-ascii", "windows-1252"},     {"latin1", "windows-1252"},
        {"iso-8859-2", "ISO-8859-2"},     {"ISO8859-15", "ISO-8859-15"},
        {"windows-1251", "windows-1251"}, {"cp1250", "windows-1250"},
        {"utf-16", "UTF-16LE"},           {"UTF-16BE", "UTF-16BE"},
        {"gb2312", "GB18030"},            {"Big5", "windows-950"},
        {"euc-kr", "windows-949"},        {"koi8-r", "KOI8-R"},
    };
    char name[40];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!charset_label_to_icu(cases[i].label, strlen(cases[i].label), name, sizeof name))
            fail_msg("label %s unknown", cases[i].label);
        if (strcmp(name, cases[i].icu) != 0)
            fail_msg("label %s -> %s, want %s", cases[i].label, name, cases[i].icu);
    }
    static const char *const unknown[] = {"", "  ", "klingon", "iso-8859-99", "utf-9",
                                          "iso-8859-16", "iso-8859-12",
                                          "x-user-defined-but-far-too-long-to-be-a-label"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        assert_false(charset_label_to_icu(unknown[i], strlen(unknown[i]), name, sizeof name));
    assert_true(charset_is_japanese(CHARSET_ICU_CP932));
    assert_true(charset_is_japanese("euc-jp"));
    assert_true(charset_is_japanese("ISO-2022-JP"));
    assert_false(charset_is_japanese("UTF-8"));
    /* every name we hand out opens in ICU */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        UErrorCode ue = U_ZERO_ERROR;
        UConverter *c = ucnv_open(cases[i].icu, &ue);
        assert_true(U_SUCCESS(ue));
        ucnv_close(c);
    }
}

/* ---- CP932 specifics ---- */

static void test_cp932_specifics(void **state)
{
    (void)state;
    /* ～ (0x8160 -> U+FF5E, not U+301C), ① (NEC row 13), ㈱, 髙 (NEC-selected IBM
     * extension 0xEEE0 and IBM extension 0xFBFC), ⅰ (0xEEEF), № (0x8782) */
    static const uint8_t sj[] = {0x81, 0x60, 0x87, 0x40, 0x87, 0x8A, 0xEE, 0xE0,
                                 0xFB, 0xFC, 0xEE, 0xEF, 0x87, 0x82};
    const char *want = "～①㈱髙髙ⅰ№";
    JfBuf out;
    jf_buf_init(&out, 0);
    decode_ok(CHARSET_ICU_CP932, sj, sizeof sj, &out);
    assert_string_equal((const char *)out.data, want);
    /* the same bytes under every Shift_JIS label */
    static const char *const labels[] = {"Shift_JIS", "x-sjis", "MS_Kanji", "cp932",
                                         "windows-31j", "sjis"};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        char ct[80];
        snprintf(ct, sizeof ct, "text/html; charset=%s", labels[i]);
        expect_guess(sj, sizeof sj, ct, CHARSET_ICU_CP932, "http", labels[i]);
        char page[256];
        int n = snprintf(page, sizeof page, "<meta charset=\"%s\"><p>", labels[i]);
        memcpy(page + n, sj, sizeof sj);
        expect_guess((const uint8_t *)page, (size_t)n + sizeof sj, NULL, CHARSET_ICU_CP932,
                     "meta", labels[i]);
    }
    jf_buf_free(&out);
}

/* ---- vim tutor twins ---- */

static void test_vim_tutor_twins(void **state)
{
    (void)state;
    const char *dir = tu_vim_tutor_dir();
    char p[600];
    size_t nu, ns, ne;
    snprintf(p, sizeof p, "%s/tutor.ja.utf-8", dir);
    uint8_t *u = tu_read_data(p, &nu);
    snprintf(p, sizeof p, "%s/tutor.ja.sjis", dir);
    uint8_t *s = tu_read_data(p, &ns);
    snprintf(p, sizeof p, "%s/tutor.ja.euc", dir);
    uint8_t *e = tu_read_data(p, &ne);
    JfBuf out;
    jf_buf_init(&out, 0);
    /* declared */
    decode_ok(CHARSET_ICU_CP932, s, ns, &out);
    assert_int_equal(out.len, nu);
    assert_memory_equal(out.data, u, nu);
    decode_ok("EUC-JP", e, ne, &out);
    assert_int_equal(out.len, nu);
    assert_memory_equal(out.data, u, nu);
    decode_ok("UTF-8", u, nu, &out);
    assert_memory_equal(out.data, u, nu);
    /* detected (plain text, nothing declared) */
    expect_guess(s, ns, NULL, CHARSET_ICU_CP932, "detected", "tutor.ja.sjis");
    expect_guess(e, ne, NULL, "EUC-JP", "detected", "tutor.ja.euc");
    expect_guess(u, nu, NULL, "UTF-8", "detected", "tutor.ja.utf-8");
    expect_guess(s, ns, "text/plain", CHARSET_ICU_CP932, "detected", "tutor.ja.sjis");
    /* ISO-2022-JP made here from the UTF-8 twin */
    JfBuf jis;
    jf_buf_init(&jis, 0);
    assert_true(encode_exact("ISO-2022-JP", (const char *)u, nu, &jis));
    expect_guess(jis.data, jis.len, NULL, "ISO-2022-JP", "detected", "tutor ISO-2022-JP");
    decode_ok("ISO-2022-JP", jis.data, jis.len, &out);
    assert_int_equal(out.len, nu);
    assert_memory_equal(out.data, u, nu);
    /* statistics: bytes in, bytes out */
    size_t rep = 0;
    JfError err;
    jf_buf_reset(&out);
    assert_int_equal(charset_to_utf8("EUC-JP", e, ne, &out, &rep, &err), JF_OK);
    assert_true(out.len > ne); /* 2-byte EUC-JP characters take 3 in UTF-8 */
    jf_buf_free(&jis);
    jf_buf_free(&out);
    free(u);
    free(s);
    free(e);
}

/* ---- real pages ---- */

static void test_real_pages(void **state)
{
    (void)state;
    JfBuf out;
    jf_buf_init(&out, 0);
    HtmlExtractor *x;
    JfError err;
    assert_int_equal(html_extractor_open(NULL, &x, &err), JF_OK);
    HtmlText t;
    size_t n;
    CharsetGuess g;

    /* namazu: EUC-JP, declared nowhere */
    char **pages = tu_list_data("pkgs/namazu2-common/usr/share/doc/namazu2-common/ja", ".html");
    for (char **p = pages; *p; p++) {
        uint8_t *b = tu_read_data(*p, &n);
        assert_int_equal(charset_detect(b, n, "text/html", &g, &err), JF_OK);
        if (strcmp(g.name, "EUC-JP") != 0 || strcmp(g.source, "detected") != 0)
            fail_msg("%s: %s/%s", *p, g.name, g.source);
        assert_true(g.confidence >= 50);
        decode_ok(g.name, b, n, &out);
        free(b);
    }
    tu_free_list(pages);
    uint8_t *b = tu_read_data("pkgs/namazu2-common/usr/share/doc/namazu2-common/ja/tutorial.html",
                              &n);
    assert_int_equal(charset_detect(b, n, NULL, &g, &err), JF_OK);
    decode_ok(g.name, b, n, &out);
    assert_int_equal(html_extractor_run(x, (const char *)out.data, out.len, &t, &err), JF_OK);
    assert_non_null(strstr(t.text, "Namazu 2.0 入門\n"));
    assert_non_null(strstr(t.text, "Namazu 2.0 を初めて使う方のための入門書です。"));
    /* declared wrongly by the server: the bytes win */
    expect_guess(b, n, "text/html; charset=UTF-8", "EUC-JP", "detected", "namazu as UTF-8");
    expect_guess(b, n, "text/html; charset=iso-8859-1", "EUC-JP", "detected", "namazu latin1");
    expect_guess(b, n, "text/html; charset=Shift_JIS", "EUC-JP", "detected", "namazu as SJIS");
    expect_guess(b, n, "text/html; charset=klingon", "EUC-JP", "detected", "namazu unknown");
    free(b);

    /* edict and kanjidic documentation: EUC-JP declared in <meta> */
    static const char *const metas[] = {
        "pkgs/edict/usr/share/doc/edict/edict_doc.html",
        "pkgs/kanjidic/usr/share/doc/kanjidic/kanjidic_doc_legacy.html",
    };
    for (size_t i = 0; i < 2; i++) {
        b = tu_read_data(metas[i], &n);
        assert_int_equal(charset_detect(b, n, NULL, &g, &err), JF_OK);
        assert_string_equal(g.name, "EUC-JP");
        assert_string_equal(g.source, "meta");
        assert_int_equal(g.confidence, 100);
        decode_ok(g.name, b, n, &out);
        assert_int_equal(html_extractor_run(x, (const char *)out.data, out.len, &t, &err),
                         JF_OK);
        assert_true(t.text_len > 1000);
        /* the HTTP header outranks <meta> when the bytes agree with it */
        expect_guess(b, n, "text/html; charset=EUC-JP", "EUC-JP", "http", metas[i]);
        free(b);
    }
    b = tu_read_data("pkgs/edict/usr/share/doc/edict/edict_doc.html", &n);
    decode_ok("EUC-JP", b, n, &out);
    assert_int_equal(html_extractor_run(x, (const char *)out.data, out.len, &t, &err), JF_OK);
    assert_non_null(strstr(t.text, "EDICT"));
    free(b);

    /* debian-reference-ja: UTF-8 declared in the XML declaration and <meta> */
    b = tu_read_data("pkgs/debian-reference-ja/usr/share/debian-reference/ch02.ja.html", &n);
    expect_guess(b, n, NULL, "UTF-8", "meta", "debian-reference ch02");
    expect_guess(b, n, "text/html; charset=EUC-JP", "UTF-8", "meta", "ch02 lying header");
    free(b);
    html_extractor_close(x);
    jf_buf_free(&out);
}

/* ---- re-encoded debian-reference-ja ---- */

typedef struct {
    const char *icu;      /* converter used to encode */
    const char *label;    /* declared label */
} Target;

static const Target TARGETS[] = {
    {CHARSET_ICU_CP932, "Shift_JIS"},
    {"EUC-JP", "EUC-JP"},
    {"ISO-2022-JP", "ISO-2022-JP"},
};

/* Lines of a real page's text that every target charset represents exactly. */
static void common_lines(const char *text, size_t len, JfBuf *keep)
{
    JfBuf enc;
    jf_buf_init(&enc, 0);
    jf_buf_reset(keep);
    size_t n_kept = 0;
    for (const char *p = text, *end = text + len; p < end && n_kept < 400;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        bool ok = l > 0 && !memchr(p, '<', l) && !memchr(p, '&', l);
        for (size_t k = 0; ok && k < sizeof TARGETS / sizeof TARGETS[0]; k++)
            ok = encode_exact(TARGETS[k].icu, p, l, &enc);
        if (ok) {
            if (keep->len) jf_buf_append_byte(keep, '\n');
            jf_buf_append(keep, p, l);
            n_kept++;
        }
        p += l + 1;
    }
    jf_buf_free(&enc);
    assert_true(n_kept > 100);
}

static void make_page(JfBuf *page, const char *head, const char *lines, const char *extra)
{
    jf_buf_reset(page);
    jf_buf_append_str(page, "<!DOCTYPE html>\n<html><head>");
    jf_buf_append_str(page, head);
    jf_buf_append_str(page, "<title>再符号化のテスト</title></head><body>\n");
    for (const char *p = lines; *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        jf_buf_append_str(page, "<p>");
        jf_buf_append(page, p, l);
        jf_buf_append_str(page, "</p>\n");
        p += l + (nl ? 1 : 0);
    }
    if (extra) {
        jf_buf_append_str(page, "<p>");
        jf_buf_append_str(page, extra);
        jf_buf_append_str(page, "</p>\n");
    }
    jf_buf_append_str(page, "</body></html>\n");
}

static void roundtrip(HtmlExtractor *x, const JfBuf *encoded, const char *ct, const char *icu,
                      const char *source, const char *want, const char *what)
{
    CharsetGuess g;
    JfError err;
    assert_int_equal(charset_detect(encoded->data, encoded->len, ct, &g, &err), JF_OK);
    if (strcmp(g.name, icu) != 0 || strcmp(g.source, source) != 0)
        fail_msg("%s: detected %s/%s/%d, want %s/%s", what, g.name, g.source, g.confidence, icu,
                 source);
    JfBuf u;
    jf_buf_init(&u, 0);
    decode_ok(g.name, encoded->data, encoded->len, &u);
    HtmlText t;
    assert_int_equal(html_extractor_run(x, (const char *)u.data, u.len, &t, &err), JF_OK);
    if (strcmp(t.text, want) != 0) {
        size_t i = 0;
        while (t.text[i] && t.text[i] == want[i]) i++;
        fail_msg("%s: text differs at byte %zu: [%.60s] vs [%.60s]", what, i, t.text + i,
                 want + i);
    }
    assert_string_equal(t.title, "再符号化のテスト");
    jf_buf_free(&u);
}

static void test_reencoded_pages(void **state)
{
    (void)state;
    size_t n;
    uint8_t *b = tu_read_data("pkgs/debian-reference-ja/usr/share/debian-reference/ch02.ja.html",
                              &n);
    HtmlExtractor *x;
    JfError err;
    HtmlTextOptions o;
    html_text_options_init(&o);
    o.remove_boilerplate = false;
    assert_int_equal(html_extractor_open(&o, &x, &err), JF_OK);
    HtmlText t;
    assert_int_equal(html_extractor_run(x, (const char *)b, n, &t, &err), JF_OK);
    JfBuf lines, page, enc, want;
    jf_buf_init(&lines, 0);
    jf_buf_init(&page, 0);
    jf_buf_init(&enc, 0);
    jf_buf_init(&want, 0);
    common_lines(t.text, t.text_len, &lines);
    const char *cp932_extra = "全角チルダ～と丸数字①、㈱、髙橋さん";
    for (size_t k = 0; k < sizeof TARGETS / sizeof TARGETS[0]; k++) {
        const Target *tg = &TARGETS[k];
        const char *extra = k == 0 ? cp932_extra : NULL;
        jf_buf_reset(&want);
        jf_buf_append(&want, lines.data, lines.len);
        if (extra) {
            jf_buf_append_byte(&want, '\n');
            jf_buf_append_str(&want, extra);
        }
        char head[160], what[200];
        const char *heads[] = {"", "<meta charset=\"%s\">",
                               "<meta http-equiv=\"Content-Type\" content=\"text/html; "
                               "charset=%s\">"};
        for (size_t h = 0; h < 3; h++) {
            snprintf(head, sizeof head, heads[h], tg->label);
            make_page(&page, head, (const char *)lines.data, extra);
            assert_true(encode_exact(tg->icu, (const char *)page.data, page.len, &enc));
            const char *src = h ? "meta" : "detected";
            snprintf(what, sizeof what, "%s head %zu", tg->label, h);
            roundtrip(x, &enc, NULL, tg->icu, src, (const char *)want.data, what);
            roundtrip(x, &enc, "text/html", tg->icu, src, (const char *)want.data, what);
            char ct[80];
            snprintf(ct, sizeof ct, "text/html; charset=\"%s\"", tg->label);
            roundtrip(x, &enc, ct, tg->icu, "http", (const char *)want.data, what);
            /* a wrong header (UTF-8, or the old server default ISO-8859-1) loses to
             * the bytes; then <meta> if any, else detection */
            roundtrip(x, &enc, "text/html; charset=utf-8", tg->icu, src,
                      (const char *)want.data, what);
            roundtrip(x, &enc, "text/html; charset=ISO-8859-1", tg->icu, src,
                      (const char *)want.data, what);
        }
    }
    /* UTF-16 with a BOM, and UTF-8 with a BOM */
    make_page(&page, "", (const char *)lines.data, NULL);
    assert_true(encode_exact("UTF-16LE", (const char *)page.data, page.len, &enc));
    JfBuf bom;
    jf_buf_init(&bom, 0);
    jf_buf_append(&bom, "\xff\xfe", 2);
    jf_buf_append(&bom, enc.data, enc.len);
    roundtrip(x, &bom, NULL, "UTF-16LE", "bom", (const char *)lines.data, "UTF-16LE BOM");
    jf_buf_reset(&bom);
    jf_buf_append(&bom, "\xef\xbb\xbf", 3);
    jf_buf_append(&bom, page.data, page.len);
    roundtrip(x, &bom, "text/html", "UTF-8", "bom", (const char *)lines.data, "UTF-8 BOM");
    JfBuf u;
    jf_buf_init(&u, 0);
    decode_ok("UTF-8", bom.data, bom.len, &u);
    assert_int_equal(u.len, page.len); /* the BOM is dropped */
    jf_buf_free(&u);
    jf_buf_free(&bom);
    jf_buf_free(&lines);
    jf_buf_free(&page);
    jf_buf_free(&enc);
    jf_buf_free(&want);
    html_extractor_close(x);
    free(b);
}

/* ---- conversion details ---- */

static void test_replacements(void **state)
{
    (void)state;
    JfBuf out;
    jf_buf_init(&out, 0);
    JfError err;
    size_t rep = 0;
    /* invalid bytes, a cut sequence, and a U+FFFD already there */
    static const char bad[] = "a\xff" "b\xef\xbf\xbd" "c\xe3\x81";
    assert_int_equal(charset_to_utf8("UTF-8", (const uint8_t *)bad, sizeof bad - 1, &out, &rep,
                                     &err),
                     JF_OK);
    assert_int_equal(rep, 3);
    assert_string_equal((const char *)out.data, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd");
    /* EUC-JP: 0xA1 0x21 is not a character; ICU must give U+FFFD (not U+001A) */
    jf_buf_reset(&out);
    static const uint8_t euc[] = {0xA4, 0xA2, 0xA1, 0x21, 0xA4, 0xA4, 0xFF};
    assert_int_equal(charset_to_utf8("EUC-JP", euc, sizeof euc, &out, &rep, &err), JF_OK);
    assert_true(rep >= 2);
    assert_true(charset_is_valid_utf8(out.data, out.len, false));
    assert_null(memchr(out.data, 0x1A, out.len));
    assert_memory_equal(out.data, "あ", 3);
    /* output is appended; an unknown converter leaves it unchanged */
    size_t before = out.len;
    assert_int_equal(charset_to_utf8("no-such-charset", euc, sizeof euc, &out, &rep, &err),
                     JF_ECHARSET);
    assert_int_equal(err.code, JF_ECHARSET);
    assert_int_equal(out.len, before);
    /* the cap on the output buffer */
    JfBuf small;
    jf_buf_init(&small, 4);
    assert_int_equal(charset_to_utf8("EUC-JP", euc, sizeof euc, &small, &rep, &err),
                     JF_ETOOBIG);
    assert_int_equal(small.len, 0);
    jf_buf_free(&small);
    /* allocation failure */
    JfBuf fresh;
    jf_buf_init(&fresh, 0);
    jf_alloc_fail_at(1);
    assert_int_equal(charset_to_utf8("EUC-JP", euc, sizeof euc, &fresh, &rep, &err), JF_ENOMEM);
    jf_alloc_fail_at(1);
    assert_int_equal(charset_to_utf8("UTF-8", (const uint8_t *)"abc", 3, &fresh, &rep, &err),
                     JF_ENOMEM);
    jf_alloc_fail_at(0);
    assert_int_equal(fresh.len, 0);
    jf_buf_free(&fresh);
    /* validity */
    assert_true(charset_is_valid_utf8((const uint8_t *)"日本", 6, false));
    assert_false(charset_is_valid_utf8((const uint8_t *)"日本", 5, false));
    assert_true(charset_is_valid_utf8((const uint8_t *)"日本", 5, true));
    assert_false(charset_is_valid_utf8((const uint8_t *)"\xc0\xaf", 2, false)); /* overlong */
    assert_false(charset_is_valid_utf8((const uint8_t *)"\xed\xa0\x80", 3, false)); /* surrogate */
    jf_buf_free(&out);
}

static void test_detect_edges(void **state)
{
    (void)state;
    /* empty and ASCII input */
    expect_guess((const uint8_t *)"", 0, NULL, "UTF-8", NULL, "empty");
    expect_guess((const uint8_t *)"<p>plain ascii</p>", 18, NULL, "UTF-8", "detected", "ascii");
    /* <meta> hidden in a comment does not count; one after 4 KB is not looked for */
    const char *c = "<!-- <meta charset=\"EUC-JP\"> --><meta charset=\"utf-8\"><p>x</p>";
    expect_guess((const uint8_t *)c, strlen(c), NULL, "UTF-8", "meta", "comment");
    /* a document can not declare UTF-16 in ASCII bytes */
    const char *u16 = "<meta charset=\"utf-16\"><p>x</p>";
    expect_guess((const uint8_t *)u16, strlen(u16), NULL, "UTF-8", "meta", "meta utf-16");
    /* nor can a server call NUL-free bytes UTF-16 */
    expect_guess((const uint8_t *)"<p>x</p>", 8, "text/html; charset=utf-16", "UTF-8",
                 "detected", "header utf-16");
    /* a Latin-1 page keeps its declaration */
    const char *l1 = "<meta charset=\"iso-8859-1\"><p>caf\xe9 cr\xe8me br\xfbl\xe9" "e</p>";
    expect_guess((const uint8_t *)l1, strlen(l1), NULL, "windows-1252", "meta", "latin1");
    /* declared UTF-8 but not UTF-8 */
    expect_guess((const uint8_t *)l1, strlen(l1), "text/html; charset=utf-8", "windows-1252",
                 "meta", "latin1 under a UTF-8 header");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_cp932_specifics),
        cmocka_unit_test(test_vim_tutor_twins),
        cmocka_unit_test(test_real_pages),
        cmocka_unit_test(test_reencoded_pages),
        cmocka_unit_test(test_replacements),
        cmocka_unit_test(test_detect_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
