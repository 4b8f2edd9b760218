/* test_filter_rules.c: every rule of the table on crafted documents just
 * below and just above its default threshold (table-driven, cases named
 * filter-N.M), the profile format (unknown rules/keys, overrides, disabled
 * rules, "none" bounds), statistics and their JSON round trip, the matcher
 * and host set, and hostile input (empty, 20 MB line, all punctuation, one
 * character, invalid UTF-8, allocation failures): always a verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter.h"
#include "filter_int.h"
#include "jf_alloc.h"
#include "jf_buf.h"

/* ---- text builders ---- */

static void rep(JfBuf *b, const char *s, int n)
{
    for (int i = 0; i < n; i++) assert_int_equal(jf_buf_append_str(b, s), JF_OK);
}

static void put_cp(JfBuf *b, uint32_t c)
{
    char u[4];
    size_t n;
    if (c < 0x80) { u[0] = (char)c; n = 1; }
    else if (c < 0x800) { u[0] = (char)(0xC0 | c >> 6); u[1] = (char)(0x80 | (c & 0x3F)); n = 2; }
    else {
        u[0] = (char)(0xE0 | c >> 12);
        u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    }
    assert_int_equal(jf_buf_append(b, u, n), JF_OK);
}

/* k distinct kanji, starting at the start-th one. */
static void uniq(JfBuf *b, int k, int start)
{
    for (int i = 0; i < k; i++) put_cp(b, 0x4E00 + (uint32_t)(start + i));
}

/* k distinct English-looking words "wAAAA ". */
static void uniq_words(JfBuf *b, int k, int start)
{
    char w[16];
    for (int i = 0; i < k; i++) {
        int v = start + i;
        snprintf(w, sizeof w, "w%c%c%c ", 'a' + v % 26, 'a' + v / 26 % 26, 'a' + v / 676 % 26);
        rep(b, w, 1);
    }
}

/* ---- builders, one per case family (k: the knob) ---- */
static void b_hira(JfBuf *b, int k) { rep(b, "あ", k); }
static void b_hira_plus_a(JfBuf *b, int k) { rep(b, "あ", k); rep(b, "a", 1); }
static void b_hira20_kanji(JfBuf *b, int k) { rep(b, "あ", 20); uniq(b, k, 0); }
static void b_kata_hira(JfBuf *b, int k) { rep(b, "ア", k); rep(b, "あ", 100 - k); }
static void b_ja_ascii(JfBuf *b, int k) { rep(b, "あ", k); rep(b, "a", 100 - k); }
static void b_sent(JfBuf *b, int k)   /* three sentences of k characters */
{
    for (int i = 0; i < 3; i++) { rep(b, "あ", k - 1); rep(b, "。", 1); }
}
static void b_one_sent(JfBuf *b, int k)
{
    rep(b, "あ", k - 1); rep(b, "。", 1); rep(b, "いいいいい。", 1);
}
static void b_ellipsis(JfBuf *b, int k)  /* 5 lines, k end in … */
{
    for (int i = 0; i < 5; i++) { uniq(b, 10, 10 * i); rep(b, i < k ? "…\n" : "。\n", 1); }
}
static void b_dots(JfBuf *b, int k)  /* 5 sentences, k end in ・ */
{
    for (int i = 0; i < 5; i++) { uniq(b, 10, 10 * i); rep(b, i < k ? "・\n" : "\n", 1); }
}
static void b_dup_lines(JfBuf *b, int k)   /* 10 lines, k of them repeat line 0 */
{
    for (int i = 0; i < 10; i++) { uniq(b, 5, i < k + 1 && i > 0 ? 0 : 5 * i); rep(b, "\n", 1); }
}
static void b_dup_line_chars(JfBuf *b, int k)  /* a 4-char line twice + k unique chars */
{
    uniq(b, 4, 0); rep(b, "\n", 1); uniq(b, 4, 0); rep(b, "\n", 1);
    for (int i = 0; i < k; i++) { uniq(b, 1, 100 + i); rep(b, "\n", 1); }
}
static void b_dup_sents(JfBuf *b, int k)  /* 10 sentences on one line, k repeat sentence 0 */
{
    for (int i = 0; i < 10; i++) { uniq(b, 5, i < k + 1 && i > 0 ? 0 : 5 * i); rep(b, "。", 1); }
}
static void b_dup_sent_chars(JfBuf *b, int k)   /* sentence of 4 (3 + 。) twice + k unique */
{
    rep(b, "あいう。あいう。", 1);
    uniq(b, k, 100);
}
static void b_top2(JfBuf *b, int k)   /* "あい" ×10 + 80 - k unique */
{
    for (int i = 0; i < 10; i++) { rep(b, "あい", 1); uniq(b, 1, i); }
    uniq(b, 70 - k, 50);
}
static void b_top3(JfBuf *b, int k)   /* "あいう" ×6 (18 chars) in 100 - k */
{
    for (int i = 0; i < 6; i++) { rep(b, "あいう", 1); uniq(b, 1, i); }
    uniq(b, 76 - k, 50);
}
static void b_top4(JfBuf *b, int k)   /* "あいうえ" ×4 (16 chars) in 100 - k */
{
    for (int i = 0; i < 4; i++) { rep(b, "あいうえ", 1); uniq(b, 1, i); }
    uniq(b, 80 - k, 50);
}
static int g_n = 5;   /* n of the dup n-gram builders */
static void b_dupn(JfBuf *b, int k)   /* an n-gram twice + k unique chars */
{
    uniq(b, g_n, 0); uniq(b, k, 100); uniq(b, g_n, 0);
}
static void b_ng(JfBuf *b, int k) { rep(b, "アダルト", 1); rep(b, "あ", k); }
static void b_plain(JfBuf *b, int k) { (void)k; rep(b, "日本語の文章です。", 50); }
static void b_words(JfBuf *b, int k) { uniq_words(b, k, 0); }
static void b_wordlen(JfBuf *b, int k)
{
    for (int i = 0; i < 10; i++) rep(b, k == 2 ? "ab " : "abc ", 1);
}
static void b_hash(JfBuf *b, int k) { uniq_words(b, 10, 0); rep(b, "#", k); }
static void b_bullets(JfBuf *b, int k)
{
    for (int i = 0; i < 10; i++) { rep(b, i < k ? "- " : "", 1); uniq_words(b, 2, 2 * i); rep(b, "\n", 1); }
}
static void b_ell_lines(JfBuf *b, int k)
{
    for (int i = 0; i < 10; i++) { uniq_words(b, 2, 2 * i); rep(b, i < k ? "...\n" : "\n", 1); }
}
static void b_alpha(JfBuf *b, int k) { uniq_words(b, k, 0); rep(b, "12 ", 10 - k); }
static void b_stop(JfBuf *b, int k) { uniq_words(b, 10, 0); rep(b, "the ", k); }
static void b_dup_paras(JfBuf *b, int k)
{
    for (int i = 0; i < 10; i++) { uniq_words(b, 3, i < k + 1 && i > 0 ? 0 : 3 * i); rep(b, "\n\n", 1); }
}
static void b_en_dup_lines(JfBuf *b, int k)
{
    for (int i = 0; i < 10; i++) { uniq_words(b, 3, i < k + 1 && i > 0 ? 0 : 3 * i); rep(b, "\n", 1); }
}
static void b_en_top2(JfBuf *b, int k)   /* "xx yy" ×10 (40 chars) + unique 4-char words */
{
    for (int i = 0; i < 10; i++) { rep(b, "xx yy ", 1); uniq_words(b, 1, i); }
    uniq_words(b, 30 - k, 100);
}
static void b_en_dupn(JfBuf *b, int k)  /* 5 words (4 chars each) twice + k unique words */
{
    uniq_words(b, 5, 0); uniq_words(b, k, 100); uniq_words(b, 5, 0);
}
static void b_term(JfBuf *b, int k)
{
    for (int i = 0; i < 10; i++) { uniq_words(b, 3, 3 * i); rep(b, i < k ? ".\n" : "\n", 1); }
}
static void b_lorem(JfBuf *b, int k) { rep(b, k ? "Some Lorem Ipsum text" : "Some lorem text", 1); }
static void b_curly(JfBuf *b, int k) { rep(b, k ? "a { b" : "a ( b", 1); }
static void b_js(JfBuf *b, int k)
{
    for (int i = 0; i < 10; i++) { rep(b, i < k ? "enable JavaScript now\n" : "a b c\n", 1); }
}
static void b_short(JfBuf *b, int k)
{
    for (int i = 0; i < 10; i++) rep(b, i < k ? "a b\n" : "a b c\n", 1);
}

/* MeCab rules: morphemes checked with `mecab -d /var/lib/mecab/dic/ipadic-utf8`:
 * 猫 犬 鳥 馬 牛 are each one 名詞 (space separated), が is 助詞. */
static void b_nouns(JfBuf *b, int k)   /* k nouns + が */
{
    static const char *const N[] = { "猫 ", "犬 ", "鳥 ", "馬 ", "牛 " };
    for (int i = 0; i < k; i++) rep(b, N[i], 1);
    rep(b, "が", 1);
}
/* space-separated single kanji are one morpheme each: 7 of them twice + k unique */
static void b_morph7(JfBuf *b, int k)
{
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < 7; i++) { uniq(b, 1, i); rep(b, " ", 1); }
    for (int i = 0; i < k; i++) { uniq(b, 1, 100 + i); rep(b, " ", 1); }
}
static void b_ads(JfBuf *b, int k)   /* k ads, one overlapping pair counted once */
{
    uniq(b, 50, 0);
    rep(b, "送料無料", k);
}

typedef struct {
    const char *id;
    const char *rule;
    void      (*build)(JfBuf *b, int k);
    int         k;
    int         n;           /* for b_dupn */
    const char *url;
    double      value;       /* expected measure */
    bool        pass;
} RuleCase;

static const RuleCase CASES[] = {
    { "filter-1.1", "ja_min_chars", b_hira, 399, 0, 0, 399, false },
    { "filter-1.2", "ja_min_chars", b_hira, 400, 0, 0, 400, true },
    { "filter-1.3", "ja_min_ja_chars", b_hira_plus_a, 399, 0, 0, 399, false },
    { "filter-1.4", "ja_min_ja_chars", b_hira_plus_a, 400, 0, 0, 400, true },
    { "filter-2.1", "ja_hiragana_ratio", b_hira20_kanji, 81, 0, 0, 20.0 / 101, false },
    { "filter-2.2", "ja_hiragana_ratio", b_hira20_kanji, 80, 0, 0, 0.2, true },
    { "filter-2.3", "ja_katakana_ratio", b_kata_hira, 50, 0, 0, 0.5, true },
    { "filter-2.4", "ja_katakana_ratio", b_kata_hira, 51, 0, 0, 0.51, false },
    { "filter-2.5", "ja_japanese_ratio", b_ja_ascii, 50, 0, 0, 0.5, true },
    { "filter-2.6", "ja_japanese_ratio", b_ja_ascii, 49, 0, 0, 0.49, false },
    { "filter-3.1", "ja_sentence_mean_len", b_sent, 19, 0, 0, 19, false },
    { "filter-3.2", "ja_sentence_mean_len", b_sent, 20, 0, 0, 20, true },
    { "filter-3.3", "ja_sentence_mean_len", b_sent, 90, 0, 0, 90, true },
    { "filter-3.4", "ja_sentence_mean_len", b_sent, 91, 0, 0, 91, false },
    { "filter-3.5", "ja_sentence_max_len", b_one_sent, 200, 0, 0, 200, true },
    { "filter-3.6", "ja_sentence_max_len", b_one_sent, 201, 0, 0, 201, false },
    { "filter-3.7", "ja_ellipsis_sentence_ratio", b_ellipsis, 1, 0, 0, 0.2, true },
    { "filter-3.8", "ja_ellipsis_sentence_ratio", b_ellipsis, 2, 0, 0, 0.4, false },
    { "filter-3.9", "ja_ellipsis_sentence_ratio", b_dots, 2, 0, 0, 0.4, false },
    { "filter-4.1", "ja_dup_line_frac", b_dup_lines, 3, 0, 0, 0.3, true },
    { "filter-4.2", "ja_dup_line_frac", b_dup_lines, 4, 0, 0, 0.4, false },
    { "filter-4.3", "ja_dup_line_char_frac", b_dup_line_chars, 12, 0, 0, 0.2, true },
    { "filter-4.4", "ja_dup_line_char_frac", b_dup_line_chars, 11, 0, 0, 4.0 / 19, false },
    { "filter-4.6", "ja_dup_sentence_frac", b_dup_sents, 3, 0, 0, 0.3, true },
    { "filter-4.7", "ja_dup_sentence_frac", b_dup_sents, 4, 0, 0, 0.4, false },
    { "filter-4.8", "ja_dup_sentence_char_frac", b_dup_sent_chars, 12, 0, 0, 0.2, true },
    { "filter-4.9", "ja_dup_sentence_char_frac", b_dup_sent_chars, 11, 0, 0, 4.0 / 19, false },
    { "filter-5.1", "ja_top_2gram_char_frac", b_top2, 0, 0, 0, 0.2, true },
    { "filter-5.2", "ja_top_2gram_char_frac", b_top2, 1, 0, 0, 20.0 / 99, false },
    { "filter-5.3", "ja_top_3gram_char_frac", b_top3, 0, 0, 0, 0.18, true },
    { "filter-5.4", "ja_top_3gram_char_frac", b_top3, 1, 0, 0, 18.0 / 99, false },
    { "filter-5.5", "ja_top_4gram_char_frac", b_top4, 0, 0, 0, 0.16, true },
    { "filter-5.6", "ja_top_4gram_char_frac", b_top4, 1, 0, 0, 16.0 / 99, false },
    /* an n-gram twice: 2n covered characters; limit (0.15 .. 0.10) */
    { "filter-6.1", "ja_dup_5gram_char_frac", b_dupn, 24, 5, 0, 5.0 / 34, true },
    { "filter-6.2", "ja_dup_5gram_char_frac", b_dupn, 23, 5, 0, 5.0 / 33, false },
    { "filter-6.3", "ja_dup_6gram_char_frac", b_dupn, 31, 6, 0, 6.0 / 43, true },
    { "filter-6.4", "ja_dup_6gram_char_frac", b_dupn, 30, 6, 0, 6.0 / 42, false },
    { "filter-6.5", "ja_dup_7gram_char_frac", b_dupn, 40, 7, 0, 7.0 / 54, true },
    { "filter-6.6", "ja_dup_7gram_char_frac", b_dupn, 39, 7, 0, 7.0 / 53, false },
    { "filter-6.7", "ja_dup_8gram_char_frac", b_dupn, 51, 8, 0, 8.0 / 67, true },
    { "filter-6.8", "ja_dup_8gram_char_frac", b_dupn, 50, 8, 0, 8.0 / 66, false },
    { "filter-6.9", "ja_dup_9gram_char_frac", b_dupn, 64, 9, 0, 9.0 / 82, true },
    { "filter-6.10", "ja_dup_9gram_char_frac", b_dupn, 63, 9, 0, 9.0 / 81, false },
    { "filter-6.11", "ja_dup_10gram_char_frac", b_dupn, 80, 10, 0, 0.1, true },
    { "filter-6.12", "ja_dup_10gram_char_frac", b_dupn, 79, 10, 0, 10.0 / 99, false },
    { "filter-6.13", "ja_dup_5gram_char_frac", b_dupn, 57, 4, 0, 0, true },   /* only a 4-gram repeats */
    { "filter-7.1", "ja_ng_word_ratio", b_ng, 76, 0, 0, 0.05, false },   /* strict: value < 0.05 */
    { "filter-7.2", "ja_ng_word_ratio", b_ng, 77, 0, 0, 4.0 / 81, true },
    { "filter-7.3", "host_blocklist", b_plain, 0, 0, "http://www.Blocked.Example/a?b", 1, false },
    { "filter-7.4", "host_blocklist", b_plain, 0, 0, "https://u:p@spam.example.com:8080/", 1, false },
    { "filter-7.5", "host_blocklist", b_plain, 0, 0, "http://notblocked.example/", 0, true },
    { "filter-7.6", "host_blocklist", b_plain, 0, 0, "http://example.com/", 0, true },
    { "filter-7.7", "host_blocklist", b_plain, 0, 0, NULL, 0, true },
    { "filter-11.1", "ja_noun_ratio", b_nouns, 4, 0, 0, 0.8, true },
    { "filter-11.2", "ja_noun_ratio", b_nouns, 5, 0, 0, 5.0 / 6, false },
    { "filter-11.3", "ja_dup_word_7gram_char_frac", b_morph7, 40, 0, 0, 7.0 / 54, true },
    { "filter-11.4", "ja_dup_word_7gram_char_frac", b_morph7, 39, 0, 0, 7.0 / 53, false },
    { "filter-11.5", "ja_bbs_ad_patterns", b_ads, 14, 0, 0, 14, true },
    { "filter-11.6", "ja_bbs_ad_patterns", b_ads, 15, 0, 0, 15, false },
    { "filter-8.1", "en_word_count", b_words, 49, 0, 0, 49, false },
    { "filter-8.2", "en_word_count", b_words, 50, 0, 0, 50, true },
    { "filter-8.3", "en_mean_word_len", b_wordlen, 2, 0, 0, 2, false },
    { "filter-8.4", "en_mean_word_len", b_wordlen, 3, 0, 0, 3, true },
    { "filter-8.5", "en_symbol_word_ratio", b_hash, 1, 0, 0, 0.1, true },
    { "filter-8.6", "en_symbol_word_ratio", b_hash, 2, 0, 0, 0.2, false },
    { "filter-8.7", "en_bullet_line_ratio", b_bullets, 9, 0, 0, 0.9, true },
    { "filter-8.8", "en_bullet_line_ratio", b_bullets, 10, 0, 0, 1.0, false },
    { "filter-8.9", "en_ellipsis_line_ratio", b_ell_lines, 3, 0, 0, 0.3, true },
    { "filter-8.10", "en_ellipsis_line_ratio", b_ell_lines, 4, 0, 0, 0.4, false },
    { "filter-8.11", "en_alpha_word_ratio", b_alpha, 8, 0, 0, 0.8, true },
    { "filter-8.12", "en_alpha_word_ratio", b_alpha, 7, 0, 0, 0.7, false },
    { "filter-8.13", "en_stop_word_count", b_stop, 2, 0, 0, 2, true },
    { "filter-8.14", "en_stop_word_count", b_stop, 1, 0, 0, 1, false },
    { "filter-9.1", "en_dup_line_frac", b_en_dup_lines, 3, 0, 0, 0.3, true },
    { "filter-9.2", "en_dup_line_frac", b_en_dup_lines, 4, 0, 0, 0.4, false },
    { "filter-9.3", "en_dup_para_frac", b_dup_paras, 3, 0, 0, 0.3, true },
    { "filter-9.4", "en_dup_para_frac", b_dup_paras, 4, 0, 0, 0.4, false },
    { "filter-9.5", "en_dup_para_char_frac", b_dup_paras, 2, 0, 0, 0.2, true },
    { "filter-9.6", "en_dup_para_char_frac", b_dup_paras, 3, 0, 0, 0.3, false },
    { "filter-9.7", "en_top_2gram_char_frac", b_en_top2, 0, 0, 0, 40.0 / 200, true },
    { "filter-9.8", "en_top_2gram_char_frac", b_en_top2, 1, 0, 0, 40.0 / 196, false },
    { "filter-9.9", "en_dup_5gram_char_frac", b_en_dupn, 24, 0, 0, 20.0 / 136, true },
    { "filter-9.10", "en_dup_5gram_char_frac", b_en_dupn, 23, 0, 0, 20.0 / 132, false },
    { "filter-10.1", "c4_terminal_punct_line_ratio", b_term, 5, 0, 0, 0.5, true },
    { "filter-10.2", "c4_terminal_punct_line_ratio", b_term, 4, 0, 0, 0.4, false },
    { "filter-10.3", "c4_lorem_ipsum", b_lorem, 0, 0, 0, 0, true },
    { "filter-10.4", "c4_lorem_ipsum", b_lorem, 1, 0, 0, 1, false },
    { "filter-10.5", "c4_curly_bracket", b_curly, 0, 0, 0, 0, true },
    { "filter-10.6", "c4_curly_bracket", b_curly, 1, 0, 0, 1, false },
    { "filter-10.7", "c4_javascript_line_ratio", b_js, 1, 0, 0, 0.1, true },
    { "filter-10.8", "c4_javascript_line_ratio", b_js, 2, 0, 0, 0.2, false },
    { "filter-10.9", "c4_short_line_ratio", b_short, 5, 0, 0, 0.5, true },
    { "filter-10.10", "c4_short_line_ratio", b_short, 6, 0, 0, 0.6, false },
};

static char g_dir[256];   /* temporary folder with word lists */

static void write_file(const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/jf-filter-test-XXXXXX");
    if (!mkdtemp(g_dir)) return -1;
    write_file("ng.txt", "# test\nアダルト\n\n  カジノ  \n");
    write_file("hosts.txt", "# ut1\nblocked.example\n*.spam.example.com\n");
    write_file("ads.txt", "送料無料\nID:\nID:I\n");
    write_file("footer.txt", "Copyright\n会社概要\nお問い合わせ\n");
    return 0;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A Filter with one rule at its table defaults. */
static Filter *one_rule(const char *rule)
{
    char ini[512];
    snprintf(ini, sizeof ini, "[profile]\nname = t\n[%s]\nenabled = true\n%s", rule,
             !strcmp(rule, "ja_ng_word_ratio")     ? "files = ng.txt\n"
             : !strcmp(rule, "host_blocklist")     ? "files = hosts.txt\n"
             : !strcmp(rule, "ja_bbs_ad_patterns") ? "files = ads.txt\n"
             : !strcmp(rule, "footer_trim")        ? "files = footer.txt\n"
                                                   : "");
    JfConfig *c;
    JfError err;
    assert_int_equal(jf_config_load_string(ini, "t.ini", &c, &err), JF_OK);
    Filter *f = NULL;
    JfStatus rc = filter_open_config(c, g_dir, &f, &err);
    if (rc != JF_OK) fail_msg("%s: %s", rule, err.msg);
    jf_config_close(c);
    return f;
}

static void rule_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        const RuleCase *tc = &CASES[i];
        JfBuf b;
        jf_buf_init(&b, 0);
        g_n = tc->n ? tc->n : 5;
        tc->build(&b, tc->k);
        Filter *f = one_rule(tc->rule);
        FilterVerdict v;
        JfError err;
        assert_int_equal(filter_eval(f, tc->id, (const char *)b.data, b.len, tc->url, &v, &err), JF_OK);
        assert_int_equal(v.n_results, 2);   /* max_bytes + the rule */
        const FilterRuleResult *r = &v.results[1];
        assert_string_equal(r->rule, tc->rule);
        if (fabs(r->value - tc->value) > 1e-9 || (r->outcome == FILTER_PASS) != tc->pass)
            fail_msg("%s %s: value %.6f (want %.6f), %s (want %s)", tc->id, tc->rule, r->value,
                     tc->value, r->outcome == FILTER_PASS ? "pass" : "fail",
                     tc->pass ? "pass" : "fail");
        assert_int_equal(v.keep, tc->pass);
        filter_close(f);
        jf_buf_free(&b);
    }
}

/* Every rule of the table can be configured alone and measures hostile text. */
static void hostile_input(void **state)
{
    (void)state;
    static const char *const TEXTS[] = { "", "。。。！！！？？？......", "\xff\xfe\xc3\x28\xe3\x81",
                                         "\n\n\n   \t\n", "{}#...…・" };
    JfBuf one;
    jf_buf_init(&one, 0);
    rep(&one, "あ", 100000);   /* all one character */
    for (size_t i = 0; i < filter_rule_table_size(); i++) {
        Filter *f = one_rule(filter_rule_at(i)->name);
        FilterVerdict v;
        JfError err;
        for (size_t t = 0; t < sizeof TEXTS / sizeof *TEXTS; t++) {
            assert_int_equal(filter_eval(f, "x", TEXTS[t], strlen(TEXTS[t]), "::bad url", &v, &err), JF_OK);
            for (size_t k = 0; k < v.n_results; k++) assert_false(isnan(v.results[k].value));
        }
        assert_int_equal(filter_eval(f, "x", NULL, 0, NULL, &v, &err), JF_OK);
        assert_int_equal(filter_eval(f, "one", (const char *)one.data, one.len, NULL, &v, &err), JF_OK);
        filter_close(f);
    }
    jf_buf_free(&one);
}

static Filter *swallow(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/filters/swallow-ja.ini", JF_TEST_SRC_DIR);
    Filter *f = NULL;
    JfError err;
    if (filter_open(path, NULL, 0, &f, &err) != JF_OK) fail_msg("%s", err.msg);
    return f;
}

static void all_one_char_and_punct(void **state)
{
    (void)state;
    Filter *f = swallow();
    JfBuf b;
    jf_buf_init(&b, 0);
    rep(&b, "あ", 1000);
    FilterVerdict v;
    JfError err;
    assert_int_equal(filter_eval(f, "one", (const char *)b.data, b.len, NULL, &v, &err), JF_OK);
    assert_false(v.keep);
    /* 1000 chars, all hiragana: passes the class rules, fails the length and repetition rules */
    assert_string_equal(v.results[v.first_fail].rule, "ja_sentence_mean_len");
    jf_buf_reset(&b);
    rep(&b, "。！？・…", 200);
    assert_int_equal(filter_eval(f, "punct", (const char *)b.data, b.len, NULL, &v, &err), JF_OK);
    assert_false(v.keep);
    assert_string_equal(v.results[v.first_fail].rule, "ja_min_ja_chars");
    jf_buf_free(&b);
    filter_close(f);
}

static void huge_line(void **state)
{
    (void)state;
    Filter *f = swallow();
    size_t n = 20u << 20;
    char *s = malloc(n);
    assert_non_null(s);
    for (size_t i = 0; i + 3 <= n; i += 3) memcpy(s + i, "あ", 3);
    FilterVerdict v;
    JfError err;
    assert_int_equal(filter_eval(f, "big", s, n - n % 3, NULL, &v, &err), JF_OK);
    assert_false(v.keep);
    assert_string_equal(v.results[v.first_fail].rule, "max_bytes");
    assert_int_equal(v.results[v.n_results - 1].outcome, FILTER_SKIP);
    filter_close(f);
    /* raised limit: the whole 20 MB line is analysed, one sentence of 7M characters */
    char path[512], set[] = "max_bytes.max=33554432";
    const char *sets[] = { set };
    snprintf(path, sizeof path, "%s/filters/swallow-ja.ini", JF_TEST_SRC_DIR);
    assert_int_equal(filter_open(path, sets, 1, &f, &err), JF_OK);
    assert_int_equal(filter_eval(f, "big", s, n - n % 3, NULL, &v, &err), JF_OK);
    assert_false(v.keep);
    assert_string_equal(v.results[v.first_fail].rule, "ja_sentence_mean_len");
    for (size_t k = 0; k < v.n_results; k++) assert_int_not_equal(v.results[k].outcome, FILTER_SKIP);
    filter_close(f);
    free(s);
}

static void out_of_memory(void **state)
{
    (void)state;
    Filter *f = swallow();
    const char *text = "日本語の文章です。これはテストです。\n日本語の文章です。";
    FilterVerdict v;
    JfError err;
    for (uint64_t k = 1; k < 200; k++) {
        filter_close(f);
        f = swallow();
        jf_alloc_fail_at(k);
        JfStatus rc = filter_eval(f, "x", text, strlen(text), NULL, &v, &err);
        jf_alloc_fail_at(0);
        assert_true(rc == JF_OK || rc == JF_ENOMEM);
        if (rc == JF_ENOMEM) assert_int_equal(filter_stats(f)->docs, 0);
    }
    filter_close(f);
    /* C4's line pass (it rewrites into its own buffers) */
    char path[512];
    snprintf(path, sizeof path, "%s/filters/c4-en.ini", JF_TEST_SRC_DIR);
    const char *en = "A title\nThe first line is here.[1]\nuse cookies now.\nOne. Two. Three.\n";
    for (uint64_t k = 1; k < 100; k++) {
        assert_int_equal(filter_open(path, NULL, 0, &f, &err), JF_OK);
        jf_alloc_fail_at(k);
        JfStatus rc = filter_eval(f, "x", en, strlen(en), NULL, &v, &err);
        jf_alloc_fail_at(0);
        assert_true(rc == JF_OK || rc == JF_ENOMEM);
        if (rc == JF_ENOMEM) assert_int_equal(filter_stats(f)->docs, 0);
        filter_close(f);
    }
    /* and while loading: never a leak or crash */
    static const char *const PROFILES[] = { "swallow-ja", "c4-en" };
    for (size_t p = 0; p < 2; p++)
        for (uint64_t k = 1; k < 60; k++) {
            jf_alloc_fail_at(k);
            snprintf(path, sizeof path, "%s/filters/%s.ini", JF_TEST_SRC_DIR, PROFILES[p]);
            Filter *g = NULL;
            JfStatus rc = filter_open(path, NULL, 0, &g, &err);
            jf_alloc_fail_at(0);
            assert_true(rc == JF_OK || rc == JF_ENOMEM || rc == JF_EIO);
            filter_close(g);
        }
}

static JfStatus load_ini(const char *ini, Filter **f, JfError *err)
{
    JfConfig *c;
    assert_int_equal(jf_config_load_string(ini, "p.ini", &c, err), JF_OK);
    JfStatus rc = filter_open_config(c, g_dir, f, err);
    jf_config_close(c);
    return rc;
}

/* One rule from an INI snippet (bounds and keys given), measured on text. */
static const FilterRuleResult *measure_ini(Filter **f, const char *ini, const char *text,
                                           FilterVerdict *v)
{
    JfError err;
    assert_int_equal(load_ini(ini, f, &err), JF_OK);
    assert_int_equal(filter_eval(*f, "x", text, strlen(text), NULL, v, &err), JF_OK);
    return &v->results[v->n_results - 1];
}

/* zstd ratio: default window fails very repetitive text; at the measured value
 * a bound equal to it passes and the next double above (below) fails. */
static void zstd_window(void **state)
{
    (void)state;
    JfBuf b;
    jf_buf_init(&b, 0);
    rep(&b, "あ", 5000);
    Filter *f = one_rule("ja_zstd_ratio");
    FilterVerdict v;
    JfError err;
    assert_int_equal(filter_eval(f, "x", (const char *)b.data, b.len, NULL, &v, &err), JF_OK);
    assert_true(v.results[1].value > 0 && v.results[1].value < 0.01);
    assert_false(v.keep);
    filter_close(f);
    const char *text = "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。"
                       "何でも薄暗いじめじめした所でニャーニャー泣いていた事だけは記憶している。";
    char ini[256];
    f = one_rule("ja_zstd_ratio");
    assert_int_equal(filter_eval(f, "x", text, strlen(text), NULL, &v, &err), JF_OK);
    double r = v.results[1].value;
    assert_true(r > 0.5 && r < 1.2);   /* short text: little to gain */
    filter_close(f);
    snprintf(ini, sizeof ini, "[ja_zstd_ratio]\nmin = %.17g\nmax = none\n", r);
    assert_true(measure_ini(&f, ini, text, &v)->outcome == FILTER_PASS);
    filter_close(f);
    snprintf(ini, sizeof ini, "[ja_zstd_ratio]\nmin = %.17g\nmax = none\n", nextafter(r, 2));
    assert_true(measure_ini(&f, ini, text, &v)->outcome == FILTER_FAIL);
    filter_close(f);
    snprintf(ini, sizeof ini, "[ja_zstd_ratio]\nmin = none\nmax = %.17g\n", nextafter(r, 0));
    assert_true(measure_ini(&f, ini, text, &v)->outcome == FILTER_FAIL);
    filter_close(f);
    jf_buf_free(&b);
}

/* BBS/ad patterns: a match overlapping the previous counted one is not counted. */
static void pattern_overlap(void **state)
{
    (void)state;
    Filter *f;
    FilterVerdict v;
    const FilterRuleResult *r =
        measure_ini(&f, "[ja_bbs_ad_patterns]\nfiles = ads.txt\n", "xID:ID:x送料無料", &v);
    /* matches are taken by their end: ID: (1..4), ID:I would start inside it
     * and is skipped, ID: (4..7), 送料無料 */
    assert_int_equal((int)r->value, 3);
    filter_close(f);
}

typedef struct {
    const char *id;
    const char *text;
    size_t      kept;      /* bytes kept */
    double      cut;       /* characters cut */
} FooterCase;

#define BODY "本文の行はとても長いので、フッターではありません。本文の行はとても長いので、フッターではありません。本文の行はとても長いので、フッターではありません。\n"
static const FooterCase FOOTER[] = {
    /* keyword, short non-keyword, keyword lines under a body line: cut at 会社概要 */
    { "footer-1.1", BODY "会社概要 | お問い合わせ\n短い行\nCopyright 2024 Example\n",
      sizeof BODY - 2, 13 + 3 + 18 },
    /* one keyword line over three plain short lines: under half, kept whole */
    { "footer-1.2", BODY "お問い合わせ\nA\nB\nC\n", sizeof BODY + 24, 0 },
    /* two of four: exactly half, cut */
    { "footer-1.3", BODY "お問い合わせ\nA\nCopyright\nB\n", sizeof BODY - 2, 6 + 1 + 9 + 1 },
    /* a keyword inside a long (body) line is not a footer */
    { "footer-1.4", BODY, sizeof BODY - 1, 0 },
    /* everything is footer: empty text */
    { "footer-1.5", "Copyright\n\n  \n会社概要\n", 0, 13 },
    { "footer-1.6", "", 0, 0 },
};

static void footer_trim(void **state)
{
    (void)state;
    Filter *f = one_rule("footer_trim");
    for (size_t i = 0; i < sizeof FOOTER / sizeof *FOOTER; i++) {
        const FooterCase *tc = &FOOTER[i];
        FilterVerdict v;
        JfError err;
        assert_int_equal(filter_eval(f, tc->id, tc->text, strlen(tc->text), NULL, &v, &err), JF_OK);
        if (v.text_len != tc->kept || v.results[1].value != tc->cut)
            fail_msg("%s: kept %zu bytes (want %zu), cut %g (want %g)", tc->id, v.text_len,
                     tc->kept, v.results[1].value, tc->cut);
        assert_true(v.keep);
        assert_int_equal(v.trimmed_chars, (uint64_t)tc->cut);
    }
    filter_close(f);
    /* the other rules measure the trimmed text; a max on footer_trim can reject */
    Filter *g;
    FilterVerdict v;
    assert_int_equal(load_ini("[footer_trim]\nfiles = footer.txt\nmax = 10\n[ja_min_chars]\nmin = 75\n",
                              &g, &(JfError){ 0 }), JF_OK);
    assert_int_equal(filter_eval(g, "x", FOOTER[0].text, strlen(FOOTER[0].text), NULL, &v,
                                 &(JfError){ 0 }), JF_OK);
    assert_false(v.keep);
    assert_string_equal(v.results[v.first_fail].rule, "footer_trim");
    assert_int_equal(v.results[2].outcome, FILTER_PASS);
    assert_int_equal((int)v.results[2].value, 75);   /* the body line only */
    filter_close(g);
}

/* footer_trim's limits come from the profile: lines, long_line, share. */
static void footer_limits(void **state)
{
    (void)state;
    static const char TAIL[] = BODY "お問い合わせ\nA\nCopyright\nB\n";   /* 2 of 4 are keywords */
    static const struct {
        const char *id, *keys;
        size_t      kept;
    } CASES_[] = {
        { "footer-2.1", "", sizeof BODY - 2 },                      /* defaults: half, cut */
        { "footer-2.2", "share = 0.51\n", sizeof TAIL - 1 },        /* just above half: kept */
        { "footer-2.3", "lines = 3\n", sizeof BODY + 19 },          /* 3 lines: cut at Copyright */
        { "footer-2.4", "lines = 2\n", sizeof BODY + 19 },
        { "footer-2.5", "lines = 1\n", sizeof TAIL - 1 },           /* B alone: no keyword */
        { "footer-2.6", "long_line = 0\n", sizeof TAIL - 1 },       /* B is "long": stop at once */
        { "footer-2.7", "long_line = 8\n", sizeof TAIL - 1 },       /* Copyright (9) is body */
        { "footer-2.8", "long_line = 9\n", sizeof BODY - 2 },
    };
    for (size_t i = 0; i < sizeof CASES_ / sizeof *CASES_; i++) {
        char ini[256];
        snprintf(ini, sizeof ini, "[footer_trim]\nfiles = footer.txt\n%s", CASES_[i].keys);
        Filter *f;
        FilterVerdict v;
        measure_ini(&f, ini, TAIL, &v);
        if (v.text_len != CASES_[i].kept)
            fail_msg("%s: kept %zu bytes (want %zu)", CASES_[i].id, v.text_len, CASES_[i].kept);
        filter_close(f);
    }
    static const char *const BAD[] = { "share = 1.5\n", "lines = 0\n", "long_line = -1\n",
                                       "lines = x\n" };
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        char ini[256];
        snprintf(ini, sizeof ini, "[footer_trim]\nfiles = footer.txt\n%s", BAD[i]);
        Filter *f = NULL;
        JfError err;
        assert_int_equal(load_ini(ini, &f, &err), JF_EFORMAT);
        assert_null(f);
    }
}

/* C4's line pass: each step alone just below / above its threshold, the
 * value (characters of dropped lines; 1/0; sentences) and the new text. */
typedef struct {
    const char *id, *ini, *text;
    double      value;
    bool        keep;
    const char *out;    /* the verdict's text; NULL: unchanged */
} C4Case;

#define C4_S5 "One. Two. Three. Four. Five.\n"
static const C4Case C4[] = {
    { "c4-1.1", "[c4_line_max_word_len]\nchars = 5\n", "abcde fg h.\nabcdef g h.", 9, true,
      "abcde fg h." },
    { "c4-1.2", "[c4_line_max_word_len]\nchars = 6\n", "abcde fg h.\nabcdef g h.", 0, true,
      NULL },
    { "c4-2.1", "[c4_line_terminal_punct]\nenabled = 1\n", " a b c. \na b c\na b c...\na 'b'\n",
      9, true, "a b c.\na 'b'" },
    { "c4-2.2", "[c4_line_terminal_punct]\nenabled = 1\n", "x!\ny?\n\"z\"", 0, true, NULL },
    { "c4-3.1", "[c4_line_min_words]\nwords = 3\n", "a b.\na b c.", 3, true, "a b c." },
    { "c4-3.2", "[c4_line_min_words]\nwords = 2\n", "a b.\na b c.", 0, true, NULL },
    { "c4-4.1", "[c4_citations]\nenabled = 1\n", "x[1] y[edit] z[citation needed] w[] v[a].",
      3 + 6 + 16 + 2, true, "x y z w v[a]." },
    { "c4-5.1", "[c4_lorem_ipsum]\nmax = 0\n", "Some LOREM IPSUM here.", 1, false, NULL },
    { "c4-5.2", "[c4_lorem_ipsum]\nmax = 0\n", "Some lorem  ipsum here.", 0, true, NULL },
    { "c4-5.3", "[c4_line_terminal_punct]\nenabled = 1\n[c4_lorem_ipsum]\nmax = 0\n",
      "Lorem ipsum\nok then.", 0, true, "ok then." },
    { "c4-6.1", "[c4_curly_bracket]\nmax = 0\n", "a { b", 1, false, NULL },
    { "c4-6.2", "[c4_curly_bracket]\nmax = 0\n", "a } b", 0, true, NULL },
    { "c4-6.3", "[c4_line_javascript]\nenabled = 1\n[c4_curly_bracket]\nmax = 0\n",
      "Enable JavaScript {x}.\nok.", 0, true, "ok." },
    { "c4-7.1", "[c4_line_javascript]\nenabled = 1\n", "Java script.\nJAVASCRIPT off.", 14, true,
      "Java script." },
    { "c4-8.1", "[c4_line_policy]\nenabled = 1\n", "We use cookies.\nWe eat cookies.", 13, true,
      "We eat cookies." },
    { "c4-8.2", "[c4_line_policy]\nenabled = 1\n", "Privacy Policy!\nTerms of Use.", 25, true, "" },
    { "c4-9.1", "[c4_min_sentences]\nmin = 5\n", C4_S5, 5, true, NULL },
    { "c4-9.2", "[c4_min_sentences]\nmin = 6\n", C4_S5, 5, false, NULL },
    { "c4-9.3", "[c4_min_sentences]\nmin = 5\n", "One. Two.\nv3.14 e.g. x\n", 4, false, NULL },
};

static void c4_lines(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof C4 / sizeof *C4; i++) {
        const C4Case *tc = &C4[i];
        Filter *f;
        FilterVerdict v;
        const FilterRuleResult *r = measure_ini(&f, tc->ini, tc->text, &v);
        if (fabs(r->value - tc->value) > 1e-9 || v.keep != tc->keep)
            fail_msg("%s %s: value %g (want %g), %s", tc->id, r->rule, r->value, tc->value,
                     v.keep ? "kept" : "rejected");
        const char *want = tc->out ? tc->out : tc->text;
        if (v.text_len != strlen(want) || memcmp(v.text, want, v.text_len) != 0)
            fail_msg("%s: text \"%.*s\" (want \"%s\")", tc->id, (int)v.text_len, v.text, want);
        assert_int_equal(v.edited, tc->out != NULL);
        filter_close(f);
    }
}

/* Steps together, in datatrove's order whatever the profile's; statistics of
 * the lines and characters removed from kept documents. */
static void c4_pass(void **state)
{
    (void)state;
    static const char INI[] =
        "[c4_min_sentences]\nmin = 2\n[c4_line_policy]\nenabled = 1\n"
        "[c4_line_min_words]\nwords = 3\n[c4_line_terminal_punct]\nenabled = 1\n"
        "[c4_citations]\nenabled = 1\n[ja_min_chars]\nmin = 10\n";
    static const char TEXT[] = "Title\n  First line here.[2]  \nsee our privacy policy.\n"
                               "Two words.\r\nLast line of it!\n";
    Filter *f;
    FilterVerdict v;
    JfError err;
    assert_int_equal(load_ini(INI, &f, &err), JF_OK);
    assert_int_equal(filter_eval(f, "a", TEXT, strlen(TEXT), NULL, &v, &err), JF_OK);
    assert_true(v.keep);
    assert_string_equal(v.text, "First line here.\nLast line of it!");
    assert_int_equal(v.cut_lines, 3);
    assert_int_equal(v.trimmed_chars, 5 + 3 + 20 + 9);
    assert_int_equal((int)v.results[6].value, 27);   /* ja_min_chars sees the new text */
    const FilterStats *s = filter_stats(f);
    assert_string_equal(s->rules[2].name, "c4_line_policy");
    assert_int_equal(s->rules[2].lines_cut, 1);
    assert_int_equal(s->rules[2].chars_cut, 20);
    assert_int_equal(s->rules[5].chars_cut, 3);      /* c4_citations: "[2]" */
    assert_int_equal(s->rules[5].lines_cut, 0);
    assert_int_equal(s->rules[5].docs_edited, 1);
    /* a rejected document is not counted as edited; JSON keeps the edit counts */
    assert_int_equal(filter_eval(f, "b", "Too short.", 10, NULL, &v, &err), JF_OK);
    assert_false(v.keep);
    assert_int_equal(filter_stats(f)->rules[4].docs_edited, 1);
    char *json = filter_stats_to_json(filter_stats(f));
    FilterStats t;
    assert_int_equal(filter_stats_init(&t, f), JF_OK);
    assert_int_equal(filter_stats_add_json(&t, json, &err), JF_OK);
    assert_int_equal(t.rules[2].chars_cut, 20);
    assert_int_equal(t.rules[4].lines_cut, 1);
    free(json);
    filter_stats_free(&t);
    filter_close(f);
}

/* The dictionary comes from an INI named by the rule's "mecab" key; a missing
 * dictionary is an error naming it. */
static void mecab_dictionary(void **state)
{
    (void)state;
    write_file("mecab-bad.ini", "[mecab]\ndicdir = /nonexistent/dic\n");
    Filter *f = NULL;
    JfError err;
    assert_int_equal(load_ini("[ja_noun_ratio]\nmecab = mecab-bad.ini\n", &f, &err), JF_EIO);
    assert_non_null(strstr(err.msg, "MeCab"));
    assert_null(f);
    char ini[700];
    snprintf(ini, sizeof ini, "[ja_noun_ratio]\nmecab = %s/dicts/mecab.ini\n"
             "[ja_dup_word_7gram_char_frac]\nmecab = %s/dicts/mecab.ini\n",
             JF_TEST_SRC_DIR, JF_TEST_SRC_DIR);
    FilterVerdict v;
    measure_ini(&f, ini, "今日は良い天気です。", &v);
    assert_true(fabs(v.results[1].value - 2.0 / 6) < 1e-12);   /* 今日 天気 of 6 morphemes */
    assert_true(v.results[2].value == 0);
    filter_close(f);
    char path[512];
    snprintf(path, sizeof path, "%s/filters/llmjp-ja.ini", JF_TEST_SRC_DIR);
    assert_int_equal(filter_open(path, NULL, 0, &f, &err), JF_OK);
    assert_string_equal(filter_name(f), "llmjp-ja");
    filter_close(f);
}

static void profile_format(void **state)
{
    (void)state;
    Filter *f = NULL;
    JfError err;
    assert_int_equal(load_ini("[nope]\nmin = 1\n", &f, &err), JF_EFORMAT);
    assert_non_null(strstr(err.msg, "unknown rule"));
    assert_int_equal(load_ini("[ja_min_chars]\nminn = 1\n", &f, &err), JF_EFORMAT);
    assert_non_null(strstr(err.msg, "ja_min_chars.minn"));
    assert_int_equal(load_ini("[ja_min_chars]\nmin = abc\n", &f, &err), JF_EFORMAT);
    assert_int_equal(load_ini("[ja_ng_word_ratio]\nenabled = yes\n", &f, &err), JF_EFORMAT);
    assert_int_equal(load_ini("[ja_ng_word_ratio]\nfiles = missing.txt\n", &f, &err), JF_EIO);
    assert_int_equal(load_ini("[profile]\nname = p\nlang = ja\n[ja_min_chars]\nmin = 3\n"
                              "[ja_hiragana_ratio]\nenabled = false\n[ja_katakana_ratio]\nmax = none\n",
                              &f, &err), JF_OK);
    assert_string_equal(filter_name(f), "p");
    assert_string_equal(filter_lang(f), "ja");
    assert_int_equal(filter_rule_count(f), 3);   /* max_bytes, min_chars, katakana */
    assert_string_equal(filter_rule_name(f, 0), "max_bytes");
    assert_string_equal(filter_rule_name(f, 2), "ja_katakana_ratio");
    FilterVerdict v;
    assert_int_equal(filter_eval(f, "a", "アアア", 9, NULL, &v, &err), JF_OK);
    assert_true(v.keep);   /* katakana 1.0 passes without a max */
    assert_true(isnan(v.results[2].max));
    filter_close(f);

    char path[512];
    assert_int_equal(filter_profile_find("swallow-ja", path, sizeof path, &err), JF_OK);
    assert_non_null(strstr(path, "swallow-ja.ini"));
    assert_int_equal(filter_profile_find("no-such-profile", path, sizeof path, &err), JF_EUSAGE);
    setenv("JAFORGE_FILTERS_DIR", g_dir, 1);
    write_file("mine.ini", "[profile]\nname = mine\n[ja_min_chars]\nenabled = on\n");
    assert_int_equal(filter_open("mine", NULL, 0, &f, &err), JF_OK);
    assert_string_equal(filter_name(f), "mine");
    filter_close(f);
    unsetenv("JAFORGE_FILTERS_DIR");
    const char *sets[] = { "ja_min_chars.min=5" };
    assert_int_equal(filter_open("swallow-ja", sets, 1, &f, &err), JF_OK);
    assert_int_equal(filter_eval(f, "a", "あいうえお", 15, NULL, &v, &err), JF_OK);
    assert_int_equal(v.results[1].outcome, FILTER_PASS);
    filter_close(f);
}

static void statistics(void **state)
{
    (void)state;
    Filter *f = NULL;
    JfError err;
    assert_int_equal(load_ini("[ja_min_chars]\nmin = 5\n[ja_hiragana_ratio]\nenabled = 1\n", &f, &err), JF_OK);
    FilterVerdict v;
    assert_int_equal(filter_eval(f, "keep", "あいうえお", 15, NULL, &v, &err), JF_OK);   /* kept */
    assert_int_equal(filter_eval(f, "short", "漢字", 6, NULL, &v, &err), JF_OK);        /* both fail */
    assert_int_equal(filter_eval(f, "kanji", "漢字漢字漢字", 18, NULL, &v, &err), JF_OK); /* hiragana */
    const FilterStats *s = filter_stats(f);
    assert_int_equal(s->docs, 3);
    assert_int_equal(s->chars, 13);
    assert_int_equal(s->kept_docs, 1);
    assert_int_equal(s->kept_chars, 5);
    assert_string_equal(s->rules[1].name, "ja_min_chars");
    assert_int_equal(s->rules[1].docs_first, 1);
    assert_int_equal(s->rules[1].chars_first, 2);
    assert_int_equal(s->rules[2].docs_first, 1);
    assert_int_equal(s->rules[2].docs_any, 2);
    assert_int_equal(s->rules[2].chars_any, 8);
    assert_int_equal(s->rules[2].n_samples, 2);
    assert_string_equal(s->rules[2].samples[0], "short");
    char *json = filter_stats_to_json(s);
    assert_non_null(json);
    FilterStats t;
    assert_int_equal(filter_stats_init(&t, f), JF_OK);
    assert_int_equal(filter_stats_add_json(&t, json, &err), JF_OK);
    filter_stats_add(&t, s);
    assert_int_equal(t.docs, 6);
    assert_int_equal(t.rules[2].docs_any, 4);
    assert_int_equal(t.rules[2].n_samples, FILTER_SAMPLES);
    assert_int_equal(filter_stats_add_json(&t, "[1]", &err), JF_EFORMAT);
    free(json);
    filter_stats_free(&t);
    /* --explain's measure leaves statistics alone */
    assert_int_equal(filter_measure(f, "x", 1, NULL, &v, &err), JF_OK);
    assert_int_equal(filter_stats(f)->docs, 3);
    filter_stats_reset(f);
    assert_int_equal(filter_stats(f)->docs, 0);
    assert_string_equal(filter_stats(f)->rules[1].name, "ja_min_chars");
    filter_close(f);
}

typedef struct { size_t hits[16]; size_t n; } Hits;
static void on_hit(void *ctx, size_t end, size_t len)
{
    Hits *h = ctx;
    if (h->n < 8) { h->hits[2 * h->n] = end; h->hits[2 * h->n + 1] = len; h->n++; }
}

static void matcher_and_hosts(void **state)
{
    (void)state;
    FilterMatcher *m;
    assert_int_equal(filter_matcher_new(&m), JF_OK);
    assert_int_equal(filter_matcher_add(m, "he", 2), JF_OK);
    assert_int_equal(filter_matcher_add(m, "she", 3), JF_OK);
    assert_int_equal(filter_matcher_add(m, "hers", 4), JF_OK);
    assert_int_equal(filter_matcher_build(m), JF_OK);
    Hits h = { { 0 }, 0 };
    filter_matcher_scan(m, "ushers", 6, on_hit, &h);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.hits[0], 4);   /* "she" ends at 4 (longest there) */
    assert_int_equal(h.hits[1], 3);
    assert_int_equal(h.hits[2], 6);   /* "hers" */
    assert_int_equal(h.hits[3], 4);
    filter_matcher_free(m);

    FilterHostSet *s;
    assert_int_equal(filter_hostset_new(&s), JF_OK);
    assert_int_equal(filter_hostset_add(s, "Example.COM.", 12), JF_OK);
    filter_hostset_build(s);
    assert_true(filter_hostset_has_host(s, "a.b.example.com", 15));
    assert_false(filter_hostset_has_host(s, "badexample.com", 14));
    filter_hostset_free(s);
    char host[64];
    assert_true(filter_url_host("HTTP://user@WWW.x.org:80/p", host, sizeof host));
    assert_string_equal(host, "www.x.org");
    assert_false(filter_url_host("", host, sizeof host));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rule_cases),
        cmocka_unit_test(hostile_input),
        cmocka_unit_test(all_one_char_and_punct),
        cmocka_unit_test(huge_line),
        cmocka_unit_test(out_of_memory),
        cmocka_unit_test(profile_format),
        cmocka_unit_test(zstd_window),
        cmocka_unit_test(pattern_overlap),
        cmocka_unit_test(footer_trim),
        cmocka_unit_test(footer_limits),
        cmocka_unit_test(c4_lines),
        cmocka_unit_test(c4_pass),
        cmocka_unit_test(mecab_dictionary),
        cmocka_unit_test(statistics),
        cmocka_unit_test(matcher_and_hosts),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
