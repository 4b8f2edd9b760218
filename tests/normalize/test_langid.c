/* test_langid.c: script statistics and language identification, on short
 * sentences and on the real Debian reference in Japanese, English and
 * Simplified Chinese (whole text, each HTML chapter, each paragraph):
 * Japanese is found by script, Chinese (kanji without kana) never is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "jf_buf.h"
#include "langid.h"
#include "norm_testdata.h"
#include "normalize.h"

static void langid_counts_scripts(void **state)
{
    (void)state;
    static const char s[] = "ひらがなカタカナ漢字abc、。123ー々ｶ・Привет \xFF";
    ScriptStats st;
    langid_script_stats(s, strlen(s), &st);
    assert_int_equal(st.hiragana, 4);
    assert_int_equal(st.katakana, 6);   /* カタカナ ー ｶ; not ・ */
    assert_int_equal(st.kanji, 3);      /* 漢字 々 */
    assert_int_equal(st.latin, 3);
    assert_int_equal(st.other, 6);
    assert_int_equal(st.chars, 22);
    langid_script_stats("", 0, &st);
    assert_int_equal(st.chars, 0);
}

typedef struct {
    const char *name;
    const char *text;
    const char *lang;     /* expected */
    const char *method;   /* expected, NULL: any */
} LangCase;

static const LangCase LANG_CASES[] = {
    { "langid-1.1", "これは日本語の文章です。言語識別を試験します。", "ja", "script" },
    { "langid-1.2", "sudo apt-get install foo を実行してパッケージをインストールします。", "ja",
      "script" },
    { "langid-1.3", "ｶﾀｶﾅﾃﾞｶｲﾃｱﾙﾌﾞﾝｼｮｳﾃﾞｽ。ﾊﾝｶｸﾀﾞｹ", "ja", "script" },
    /* from debian-reference-zh-cn, chapter 1 */
    { "langid-2.1", "我们认为学习一个计算机系统就像学习一门新的外语。虽然教程和文档是有帮助的，"
                    "但你必须自己练习。", "zh", "cld2" },
    { "langid-2.2", "我们去了一家叫做「美味の店」的餐厅，味道非常好，价格也很便宜。", "zh", NULL },
    { "langid-2.3", "這是一段繁體中文的文字，用來測試語言識別是否會把漢字誤認為日文。", NULL,
      "cld2" },
    { "langid-3.1", "The quick brown fox jumps over the lazy dog. This sentence is written in "
                    "plain English for the language identifier.", "en", "cld2" },
    { "langid-3.2", "In Japan, people say こんにちは when they meet each other in the "
                    "afternoon, and the phrase is polite.", "en", "cld2" },
    { "langid-3.3", "Le renard brun rapide saute par-dessus le chien paresseux. Cette phrase "
                    "est écrite en français.", "fr", "cld2" },
    { "langid-3.4", "이것은 한국어 문장입니다. 언어 식별을 시험하기 위해 작성되었습니다.", "ko",
      "cld2" },
    { "langid-4.1", "", "und", "script" },
    { "langid-4.2", "1234 5678 !!! ... ((( )))", "und", "script" },
    { "langid-4.3", "The system administrator \xFF\xFE should read the manual \xC0 page before "
                    "changing the configuration of the network.", "en", "cld2" },
};

static void langid_short_texts(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof LANG_CASES / sizeof LANG_CASES[0]; k++) {
        const LangCase *c = &LANG_CASES[k];
        LangGuess       g;
        JfError         err;
        assert_int_equal(langid_identify(c->text, strlen(c->text), &g, &err), JF_OK);
        if (c->lang ? strcmp(g.lang, c->lang) != 0 : strcmp(g.lang, "ja") == 0)
            fail_msg("%s: got %s (%s, %.2f), want %s", c->name, g.lang, g.method, g.confidence,
                     c->lang ? c->lang : "not ja");
        if (c->method && strcmp(g.method, c->method) != 0)
            fail_msg("%s: method %s, want %s", c->name, g.method, c->method);
        assert_true(g.confidence >= 0.0 && g.confidence <= 1.0);
        if (strcmp(g.lang, "und") != 0) assert_true(g.confidence > 0.3);
    }
}

/* Normalizes (as the pipeline does before langid) and identifies. */
static LangGuess langid_of(const JfBuf *text, JfBuf *scratch)
{
    Normalizer *nz;
    JfError     err;
    LangGuess   g;
    assert_int_equal(normalizer_open(NULL, &nz, &err), JF_OK);
    assert_int_equal(normalizer_apply(nz, (const char *)text->data, text->len, scratch, &err),
                     JF_OK);
    normalizer_close(nz);
    assert_int_equal(langid_identify((const char *)scratch->data, scratch->len, &g, &err), JF_OK);
    return g;
}

typedef struct {
    const char *pkg, *suffix, *lang;
} DebRef;

static const DebRef DEBREFS[] = {
    { "debian-reference-ja", "ja", "ja" },
    { "debian-reference-en", "en", "en" },
    { "debian-reference-zh-cn", "zh-cn", "zh" },
};

static void langid_real_whole_texts(void **state)
{
    (void)state;
    JfBuf text, norm;
    jf_buf_init(&text, 0);
    jf_buf_init(&norm, 0);
    for (size_t k = 0; k < sizeof DEBREFS / sizeof DEBREFS[0]; k++) {
        char rel[256];
        snprintf(rel, sizeof rel, TD_DEBREF_DIR "/debian-reference.%s.txt.gz", DEBREFS[k].suffix);
        td_read_required(DEBREFS[k].pkg, rel, &text);
        LangGuess g = langid_of(&text, &norm);
        if (strcmp(g.lang, DEBREFS[k].lang) != 0)
            fail_msg("%s: got %s (%s)", rel, g.lang, g.method);
        if (strcmp(g.lang, "ja") == 0) assert_string_equal(g.method, "script");
    }
    jf_buf_free(&text);
    jf_buf_free(&norm);
}

static void langid_real_html_chapters(void **state)
{
    (void)state;
    static const char *const pages[] = { "index", "pr01", "ch01", "ch02", "ch03", "ch04", "ch05",
                                         "ch06",  "ch07", "ch08", "ch09", "ch10", "ch11", "ch12",
                                         "apa" };
    JfBuf text, norm;
    jf_buf_init(&text, 0);
    jf_buf_init(&norm, 0);
    for (size_t k = 0; k < sizeof DEBREFS / sizeof DEBREFS[0]; k++) {
        for (size_t p = 0; p < sizeof pages / sizeof pages[0]; p++) {
            char rel[256];
            snprintf(rel, sizeof rel, TD_DEBREF_DIR "/%s.%s.html", pages[p], DEBREFS[k].suffix);
            td_read_required(DEBREFS[k].pkg, rel, &text);
            td_strip_tags(&text);
            LangGuess g = langid_of(&text, &norm);
            if (strcmp(g.lang, DEBREFS[k].lang) != 0)
                fail_msg("%s/%s: got %s (%s, %.2f)", DEBREFS[k].pkg, rel, g.lang, g.method,
                         g.confidence);
        }
    }
    jf_buf_free(&text);
    jf_buf_free(&norm);
}

/* Paragraphs (blank-line separated) of the normalized plain text with at
 * least min_cjk kana+kanji: returns how many, and how many came out "ja". */
static void langid_paragraphs(const char *pkg, const char *suffix, size_t min_cjk, size_t *total,
                              size_t *ja)
{
    JfBuf text, norm;
    char  rel[256];
    jf_buf_init(&text, 0);
    jf_buf_init(&norm, 0);
    snprintf(rel, sizeof rel, TD_DEBREF_DIR "/debian-reference.%s.txt.gz", suffix);
    td_read_required(pkg, rel, &text);
    Normalizer *nz;
    JfError     err;
    assert_int_equal(normalizer_open(NULL, &nz, &err), JF_OK);
    assert_int_equal(normalizer_apply(nz, (const char *)text.data, text.len, &norm, &err), JF_OK);
    normalizer_close(nz);

    *total = *ja = 0;
    const char *p = (const char *)norm.data, *end = p + norm.len;
    while (p < end) {
        const char *q = strstr(p, "\n\n");
        if (!q) q = end;
        ScriptStats st;
        langid_script_stats(p, (size_t)(q - p), &st);
        if (st.hiragana + st.katakana + st.kanji >= min_cjk) {
            LangGuess g;
            assert_int_equal(langid_identify(p, (size_t)(q - p), &g, &err), JF_OK);
            (*total)++;
            *ja += strcmp(g.lang, "ja") == 0;
        }
        p = q + (q < end ? 2 : 0);
    }
    jf_buf_free(&text);
    jf_buf_free(&norm);
}

static void langid_real_paragraphs(void **state)
{
    (void)state;
    size_t total, ja;
    /* Chinese: not one paragraph may pass for Japanese */
    langid_paragraphs("debian-reference-zh-cn", "zh-cn", 1, &total, &ja);
    print_message("zh-cn paragraphs with CJK: %zu, taken for ja: %zu\n", total, ja);
    assert_true(total > 1000);
    assert_int_equal(ja, 0);
    /* Japanese paragraphs with a real sentence in them (20+ kana/kanji):
     * nearly all are found; the rest are command listings with a caption */
    langid_paragraphs("debian-reference-ja", "ja", 20, &total, &ja);
    print_message("ja paragraphs with 20+ kana/kanji: %zu, identified ja: %zu\n", total, ja);
    assert_true(total > 1000);
    assert_true(ja * 100 >= total * 98);
}

typedef struct {
    const char *text;
    size_t      len;
    const char *want;
    int         bad;
} ThreadJob;

static void *langid_thread(void *arg)
{
    ThreadJob *j = arg;
    for (int i = 0; i < 300; i++) {
        LangGuess g;
        JfError   err;
        if (langid_identify(j->text, j->len, &g, &err) != JF_OK || strcmp(g.lang, j->want) != 0)
            j->bad++;
    }
    return NULL;
}

static void langid_is_thread_safe(void **state)
{
    (void)state;
    ThreadJob jobs[4] = {
        { LANG_CASES[0].text, strlen(LANG_CASES[0].text), "ja", 0 },
        { LANG_CASES[3].text, strlen(LANG_CASES[3].text), "zh", 0 },
        { LANG_CASES[6].text, strlen(LANG_CASES[6].text), "en", 0 },
        { LANG_CASES[9].text, strlen(LANG_CASES[9].text), "ko", 0 },
    };
    pthread_t t[4];
    for (int k = 0; k < 4; k++) assert_int_equal(pthread_create(&t[k], NULL, langid_thread, &jobs[k]), 0);
    for (int k = 0; k < 4; k++) {
        pthread_join(t[k], NULL);
        assert_int_equal(jobs[k].bad, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(langid_counts_scripts),
        cmocka_unit_test(langid_short_texts),
        cmocka_unit_test(langid_real_whole_texts),
        cmocka_unit_test(langid_real_html_chapters),
        cmocka_unit_test(langid_real_paragraphs),
        cmocka_unit_test(langid_is_thread_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
