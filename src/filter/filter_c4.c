/* filter_c4.c: C4's line filter (Raffel et al. 2020) as datatrove's
 * C4QualityFilter applies it (definitions in docs/filters.md, c4-en). Each
 * line is stripped; it is dropped when it has a too long word, when (after
 * Wikipedia citations are removed) it does not end in terminal punctuation or
 * ends in "...", when it has too few words, mentions javascript, or holds a
 * cookie / terms-of-use phrase. "lorem ipsum" or "{" in a line that reaches
 * those checks marks the document, and the sentences of the kept lines are
 * counted: the rules' bounds then judge the document. The kept lines, joined
 * by "\n" and stripped, are the new text.
 *
 * Lines and white space are Python's (str.splitlines, str.isspace), so that
 * datatrove's text is reproduced; characters counted for statistics are
 * jaforge's (non-white-space code points). Sentences are jaforge's, not
 * NLTK punkt's. Only the steps whose rules the profile enables run; when no
 * step drops or edits lines the text is left as it is and only measured.
 * It does not know about other rules. */
#include <stdio.h>
#include <string.h>

#include "filter_int.h"
#include "jf_alloc.h"
#include "jf_buf.h"

struct FilterC4 {
    size_t rule[FILTER_C4_STEPS];   /* rule index per step; SIZE_MAX: off */
    size_t max_word_chars;          /* a line with a longer word is dropped */
    size_t min_words;               /* a line with fewer words is dropped */
    bool   edits;                   /* a step that drops or edits lines is on */
    JfBuf  out;                     /* the new text */
    JfBuf  cite;                    /* one line without its citations */
    JfBuf  low;                     /* that line lower-cased */
};

/* ---- setup ---- */

/* c4_line_max_word_len: key chars (1000); c4_line_min_words: key words (3). */
JfStatus filter_setup_c4(FilterRuleConf *rc, const JfConfig *cfg, const char *base_dir,
                         JfError *err)
{
    (void)base_dir;
    bool chars = rc->def->c4 == FILTER_C4_MAX_WORD_LEN;
    char key[128];
    snprintf(key, sizeof key, "%s.%s", rc->def->name, chars ? "chars" : "words");
    int64_t v;
    JfStatus st = jf_config_get_int(cfg, key, chars ? 1000 : 3, &v, err);
    if (st != JF_OK) return st;
    if (v < 0 || v > 1000000000)
        return jf_error_set(err, JF_EFORMAT, jf_config_path(cfg), JF_OFFSET_UNKNOWN,
                            "%s = %lld: must be 0..1000000000", key, (long long)v);
    size_t *p = jf_malloc(sizeof *p);
    if (!p) return JF_ENOMEM;
    *p = (size_t)v;
    rc->data = p;
    return JF_OK;
}

void filter_teardown_c4(FilterRuleConf *rc)
{
    jf_free(rc->data);
    rc->data = NULL;
}

JfStatus filter_c4_open(const FilterRuleConf *rules, size_t n_rules, FilterC4 **out)
{
    *out = NULL;
    FilterC4 *c = NULL;
    for (size_t i = 0; i < n_rules; i++) {
        int step = rules[i].def->c4;
        if (step == FILTER_C4_NONE) continue;
        if (!c) {
            if (!(c = jf_calloc(1, sizeof *c))) return JF_ENOMEM;
            for (int k = 0; k < FILTER_C4_STEPS; k++) c->rule[k] = SIZE_MAX;
            jf_buf_init(&c->out, 0);
            jf_buf_init(&c->cite, 0);
            jf_buf_init(&c->low, 0);
        }
        c->rule[step] = i;
        if (step == FILTER_C4_MAX_WORD_LEN) c->max_word_chars = *(const size_t *)rules[i].data;
        if (step == FILTER_C4_MIN_WORDS) c->min_words = *(const size_t *)rules[i].data;
        if (step != FILTER_C4_LOREM && step != FILTER_C4_CURLY && step != FILTER_C4_MIN_SENTENCES)
            c->edits = true;
    }
    *out = c;
    return JF_OK;
}

void filter_c4_close(FilterC4 *c)
{
    if (!c) return;
    jf_buf_free(&c->out);
    jf_buf_free(&c->cite);
    jf_buf_free(&c->low);
    jf_free(c);
}

size_t filter_c4_rule(const FilterC4 *c, int step)
{
    return c->rule[step];
}

static bool on(const FilterC4 *c, int step)
{
    return c->rule[step] != SIZE_MAX;
}

/* ---- Python's text model ---- */

/* str.isspace */
static bool py_space(uint32_t c)
{
    if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Bytes of the str.splitlines boundary at s[i] (\n \r \r\n \v \f \x1c..\x1e,
 * U+0085, U+2028, U+2029), 0 when none. The lead bytes C2 and E2 are never
 * continuation bytes, so this agrees with decoding. */
static size_t line_break(const uint8_t *s, size_t n, size_t i)
{
    uint8_t b = s[i];
    if (b == '\r') return i + 1 < n && s[i + 1] == '\n' ? 2 : 1;
    if (b == '\n' || b == 0x0B || b == 0x0C || (b >= 0x1C && b <= 0x1E)) return 1;
    if (b == 0xC2 && i + 1 < n && s[i + 1] == 0x85) return 2;
    if (b == 0xE2 && i + 2 < n && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9))
        return 3;
    return 0;
}

/* Python's \d: Unicode decimal digits (Nd), as of Python 3.11 (Unicode 14). */
static bool py_digit(uint32_t c)
{
    static const uint32_t ND[][2] = {
        { 0x30, 0x39 }, { 0x660, 0x669 }, { 0x6F0, 0x6F9 }, { 0x7C0, 0x7C9 }, { 0x966, 0x96F },
        { 0x9E6, 0x9EF }, { 0xA66, 0xA6F }, { 0xAE6, 0xAEF }, { 0xB66, 0xB6F }, { 0xBE6, 0xBEF },
        { 0xC66, 0xC6F }, { 0xCE6, 0xCEF }, { 0xD66, 0xD6F }, { 0xDE6, 0xDEF }, { 0xE50, 0xE59 },
        { 0xED0, 0xED9 }, { 0xF20, 0xF29 }, { 0x1040, 0x1049 }, { 0x1090, 0x1099 },
        { 0x17E0, 0x17E9 }, { 0x1810, 0x1819 }, { 0x1946, 0x194F }, { 0x19D0, 0x19D9 },
        { 0x1A80, 0x1A89 }, { 0x1A90, 0x1A99 }, { 0x1B50, 0x1B59 }, { 0x1BB0, 0x1BB9 },
        { 0x1C40, 0x1C49 }, { 0x1C50, 0x1C59 }, { 0xA620, 0xA629 }, { 0xA8D0, 0xA8D9 },
        { 0xA900, 0xA909 }, { 0xA9D0, 0xA9D9 }, { 0xA9F0, 0xA9F9 }, { 0xAA50, 0xAA59 },
        { 0xABF0, 0xABF9 }, { 0xFF10, 0xFF19 }, { 0x104A0, 0x104A9 }, { 0x10D30, 0x10D39 },
        { 0x11066, 0x1106F }, { 0x110F0, 0x110F9 }, { 0x11136, 0x1113F }, { 0x111D0, 0x111D9 },
        { 0x112F0, 0x112F9 }, { 0x11450, 0x11459 }, { 0x114D0, 0x114D9 }, { 0x11650, 0x11659 },
        { 0x116C0, 0x116C9 }, { 0x11730, 0x11739 }, { 0x118E0, 0x118E9 }, { 0x11950, 0x11959 },
        { 0x11C50, 0x11C59 }, { 0x11D50, 0x11D59 }, { 0x11DA0, 0x11DA9 }, { 0x16A60, 0x16A69 },
        { 0x16AC0, 0x16AC9 }, { 0x16B50, 0x16B59 }, { 0x1D7CE, 0x1D7FF }, { 0x1E140, 0x1E149 },
        { 0x1E2F0, 0x1E2F9 }, { 0x1E950, 0x1E959 }, { 0x1FBF0, 0x1FBF9 },
    };
    if (c < 0x80) return c >= '0' && c <= '9';
    for (size_t i = 1; i < sizeof ND / sizeof *ND; i++)
        if (c >= ND[i][0] && c <= ND[i][1]) return true;
    return false;
}

/* ---- one line ---- */

typedef struct {
    size_t a, b;        /* the stripped line: s[a..b) */
    size_t words;       /* str.split() words */
    size_t longest;     /* code points of the longest word */
    size_t chars;       /* jaforge characters (for statistics) */
} LineInfo;

static void line_scan(const char *s, size_t n, LineInfo *li)
{
    *li = (LineInfo){ .a = n, .b = 0 };
    size_t run = 0;
    for (size_t i = 0; i < n;) {
        size_t at = i;
        uint32_t c = filter_utf8_next(s, n, &i);
        li->chars += !filter_cp_is_space(c);
        if (py_space(c)) {
            run = 0;
            continue;
        }
        if (li->a == n) li->a = at;
        li->b = i;
        li->words += run == 0;
        if (++run > li->longest) li->longest = run;
    }
    if (li->a == n) li->a = li->b = 0;
}

/* Length of a citation at s[0..n) (it starts with '['), 0 when none:
 * \[\d*] | \[edit] | \[citation needed]  (tried in this order). */
static size_t citation_at(const char *s, size_t n)
{
    size_t i = 1;
    while (i < n) {
        size_t k = i;
        if (!py_digit(filter_utf8_next(s, n, &k))) break;
        i = k;
    }
    if (i < n && s[i] == ']') return i + 1;
    if (n >= 6 && !memcmp(s, "[edit]", 6)) return 6;
    if (n >= 17 && !memcmp(s, "[citation needed]", 17)) return 17;
    return 0;
}

/* s[0..n) without its citations into c->cite. @return the characters removed,
 * or SIZE_MAX out of memory. */
static size_t citations_remove(FilterC4 *c, const char *s, size_t n)
{
    size_t removed = 0, from = 0;
    jf_buf_reset(&c->cite);
    if (jf_buf_reserve(&c->cite, n) != JF_OK) return SIZE_MAX;
    for (const char *p = memchr(s, '[', n); p; p = memchr(s + from, '[', n - from)) {
        size_t at = (size_t)(p - s), k = citation_at(p, n - at);
        if (!k) {
            jf_buf_append(&c->cite, s + from, at + 1 - from);
            from = at + 1;
            continue;
        }
        jf_buf_append(&c->cite, s + from, at - from);
        for (size_t i = at; i < at + k;)
            removed += !filter_cp_is_space(filter_utf8_next(s, at + k, &i));
        from = at + k;
    }
    jf_buf_append(&c->cite, s + from, n - from);
    return removed;
}

static bool ends_with(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && !memcmp(s + n - k, suf, k);
}

/* datatrove: not line.endswith((".", "?", "!", '"', "'")) or line.endswith("..."). */
static bool lacks_terminal_punct(const char *s, size_t n)
{
    return n == 0 || !strchr(".?!\"'", s[n - 1]) || ends_with(s, n, "...");
}

/* line.lower() as far as these ASCII phrases can tell: A-Z and the Kelvin
 * sign (U+212A, whose lower case is 'k'); other characters stay as they are
 * (none of them lower-cases into a match). */
static JfStatus lower(JfBuf *b, const char *s, size_t n)
{
    jf_buf_reset(b);
    if (jf_buf_reserve(b, n) != JF_OK) return JF_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = (uint8_t)s[i];
        if (ch == 0xE2 && i + 2 < n && (uint8_t)s[i + 1] == 0x84 && (uint8_t)s[i + 2] == 0xAA) {
            b->data[b->len++] = 'k';
            i += 2;
            continue;
        }
        b->data[b->len++] = ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch | 0x20) : ch;
    }
    return JF_OK;
}

static bool has(const JfBuf *b, const char *phrase)
{
    return memmem(b->data, b->len, phrase, strlen(phrase)) != NULL;
}

static bool has_policy(const JfBuf *b)
{
    static const char *const POLICY[] = { "terms of use",   "privacy policy", "cookie policy",
                                          "uses cookies",   "use of cookies", "use cookies" };
    for (size_t i = 0; i < sizeof POLICY / sizeof *POLICY; i++)
        if (has(b, POLICY[i])) return true;
    return false;
}

/* Counts a line dropped by step. @return JF_OK (for the caller's return). */
static JfStatus drop(FilterC4Result *r, int step, const LineInfo *li)
{
    r->cut_lines[step]++;
    r->cut_chars[step] += li->chars;
    return JF_OK;
}

/* The checks of one line s[0..n) (no line break inside), in datatrove's
 * order; a kept line is appended to c->out. @return JF_OK or JF_ENOMEM. */
static JfStatus c4_line(FilterC4 *c, const char *s, size_t n, FilterC4Result *r, size_t *kept)
{
    LineInfo li;
    line_scan(s, n, &li);
    const char *l = s + li.a;
    size_t ln = li.b - li.a, cited = 0;
    if (on(c, FILTER_C4_MAX_WORD_LEN) && li.longest > c->max_word_chars)
        return drop(r, FILTER_C4_MAX_WORD_LEN, &li);
    if (on(c, FILTER_C4_CITATIONS) && memchr(l, '[', ln)) {
        if ((cited = citations_remove(c, l, ln)) == SIZE_MAX) return JF_ENOMEM;
        l = (const char *)c->cite.data;
        ln = c->cite.len;
    }
    if (on(c, FILTER_C4_TERMINAL_PUNCT) && lacks_terminal_punct(l, ln))
        return drop(r, FILTER_C4_TERMINAL_PUNCT, &li);
    if (on(c, FILTER_C4_MIN_WORDS) && li.words < c->min_words)
        return drop(r, FILTER_C4_MIN_WORDS, &li);
    if ((on(c, FILTER_C4_LOREM) || on(c, FILTER_C4_JAVASCRIPT) || on(c, FILTER_C4_POLICY)) &&
        lower(&c->low, l, ln) != JF_OK)
        return JF_ENOMEM;
    if (on(c, FILTER_C4_LOREM) && has(&c->low, "lorem ipsum")) r->value[FILTER_C4_LOREM] = 1;
    if (on(c, FILTER_C4_JAVASCRIPT) && has(&c->low, "javascript"))
        return drop(r, FILTER_C4_JAVASCRIPT, &li);
    if (on(c, FILTER_C4_CURLY) && memchr(l, '{', ln)) r->value[FILTER_C4_CURLY] = 1;
    if (on(c, FILTER_C4_POLICY) && has_policy(&c->low))
        return drop(r, FILTER_C4_POLICY, &li);
    r->cut_chars[FILTER_C4_CITATIONS] += cited;
    if (on(c, FILTER_C4_MIN_SENTENCES))
        r->value[FILTER_C4_MIN_SENTENCES] += (double)filter_sentence_count(l, ln);
    if (!c->edits) return JF_OK;
    if ((*kept)++ > 0) jf_buf_append_byte(&c->out, '\n');   /* room reserved: cannot fail */
    return jf_buf_append(&c->out, l, ln);
}

/* Python's str.strip() of c->out, in place. */
static void out_strip(FilterC4 *c)
{
    LineInfo li;
    line_scan((const char *)c->out.data, c->out.len, &li);
    memmove(c->out.data, c->out.data + li.a, li.b - li.a);
    c->out.len = li.b - li.a;
    c->out.data[c->out.len] = '\0';
}

JfStatus filter_c4_run(FilterC4 *c, const char *text, size_t len, FilterC4Result *r)
{
    memset(r, 0, sizeof *r);
    jf_buf_reset(&c->out);
    /* kept lines and their separators never outgrow the text */
    if (c->edits && jf_buf_reserve(&c->out, len + 1) != JF_OK) return JF_ENOMEM;
    const uint8_t *u = (const uint8_t *)text;
    size_t start = 0, kept = 0;
    for (size_t i = 0; i < len;) {
        size_t br = line_break(u, len, i);
        if (!br) {
            i++;
            continue;
        }
        if (c4_line(c, text + start, i - start, r, &kept) != JF_OK) return JF_ENOMEM;
        start = i += br;
    }
    if (start < len && c4_line(c, text + start, len - start, r, &kept) != JF_OK) return JF_ENOMEM;
    for (int k = FILTER_C4_MAX_WORD_LEN; k < FILTER_C4_STEPS; k++)
        if (k != FILTER_C4_LOREM && k != FILTER_C4_CURLY && k != FILTER_C4_MIN_SENTENCES)
            r->value[k] = (double)r->cut_chars[k];
    r->text = text;
    r->len = len;
    if (!c->edits) return JF_OK;
    if (c->out.data) out_strip(c);
    r->edited = c->out.len != len || (len && memcmp(c->out.data, text, len) != 0);
    if (r->edited) {
        r->text = c->out.data ? (const char *)c->out.data : "";
        r->len = c->out.len;
    }
    return JF_OK;
}
