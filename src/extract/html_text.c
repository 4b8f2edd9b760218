/* html_text.c: HTML (UTF-8) to plain text with libxml2's HTML push parser in
 * SAX mode. No tree is built: SAX callbacks append text to one output buffer,
 * and a fixed array of frames (max_depth) carries per-element state, so
 * nothing recurses and memory is bounded by the input. Does not detect
 * charsets (charset.c) nor judge language or quality.
 *
 * Text rules
 *   - Dropped always: script, style, noscript, template, svg, math, iframe,
 *     object, embed, canvas, audio, video, form controls (select, option,
 *     textarea, button), ruby annotations (rt, rp: furigana would double the
 *     reading), and <head> except the first <title>.
 *   - Block elements (p, div, li, h1-h6, tr, td, th, br, section, article,
 *     pre, blockquote, dd, dt, table, ...) end the current line.
 *   - Whitespace runs (ASCII and U+00A0) collapse to one space; lines are
 *     trimmed and empty lines dropped. A whitespace run holding a line break
 *     between two CJK characters disappears (as Firefox renders it): Japanese
 *     HTML wraps source lines inside sentences.
 *   - <pre>, <listing>, <xmp>, <plaintext> keep their lines and indentation;
 *     only trailing blanks and blank lines go.
 *   - Entities are decoded by libxml2.
 *
 * Boilerplate heuristic (remove_boilerplate, default on). An element's
 * "region" is all the lines written between its start and its end; dropping it
 * cuts the output back to where the element began.
 *   1. Element: nav, aside, menu, dialog; header and footer unless inside
 *      article or main (there they hold the title and byline).
 *   2. Attributes, on block elements other than html/body/main/article:
 *      role = navigation, banner, contentinfo, complementary, menu, menubar,
 *      search, toolbar; or a class token or id whose words (split at
 *      non-alphanumerics and camelCase) include one of CLASS_WORDS (nav, menu,
 *      breadcrumb, footer, header, sidebar, banner, cookie, share, pankuzu,
 *      related, ...). Not when a word of the same attribute is in GUARD_WORDS
 *      (content, article, main, entry, post, body, text, story): "entry-header"
 *      holds the headline, "main-nav" is left to rule 3. Not for tokens of
 *      more than CLASS_MAX_WORDS (3) words, nor ids of section and h1-h6:
 *      those are slugs of headings ("handling-security-related-bugs").
 *   3. Link density, on containers (div, section, p, ul, ol, dl, table,
 *      center, dir) holding at least LINK_MIN_COUNT (3) links: dropped when
 *      more than half of its characters (code points, whitespace excluded) are
 *      inside <a href>, or more than 80% for containers over LINK_SHORT_CHARS
 *      (300) characters and for tables of any size. Inner containers are
 *      judged first, so a menu inside a long article goes on its own while the
 *      article stays. Items (li, td, dt) are not judged alone, so a table of
 *      package names that are links keeps its descriptions; a paragraph with
 *      one cross-reference ("「X」を参照下さい。") is not a menu. <a> without
 *      href is an anchor, not a link.
 *   4. form: dropped when it has fewer than FORM_MIN_CHARS (200) characters or
 *      is link-dense (ASP.NET wraps whole pages in one <form>).
 *   5. Hidden: the hidden attribute, aria-hidden="true", style with
 *      display:none or visibility:hidden -- their text is never written; nor
 *      that of heading permalinks (<a class="headerlink">¶</a>).
 * Measured on debian-reference-ja, maint-guide-ja, developers-reference-ja and
 * gimp-help-ja (tests/extract/test_html_text.c): 99% of the paragraph text
 * stays, the navigation headers and footers go.
 * n_blocks counts the lines written, n_blocks_removed those cut again. */
#include "html_text.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <time.h>
#include <string.h>

#include "extract_int.h"
#include "jf_alloc.h"
#include "jf_buf.h"

#define HTML_DEFAULT_MAX_INPUT ((size_t)8 << 20)
#define HTML_DEFAULT_MAX_DEPTH 256
#define HTML_MAX_DEPTH_CAP     65536
/* Input is fed in chunks so the time budget is checked often enough. */
#define HTML_DEFAULT_MAX_SECONDS 10.0
#define HTML_FEED_CHUNK        ((size_t)1 << 16)
#define FORM_MIN_CHARS         200
#define LINK_SHORT_CHARS       300
#define LINK_MIN_COUNT         3
#define CLASS_MAX_WORDS        3
#define LANG_CAP               64
#define HTML_TITLE_CAP         4096

/* Tag properties. */
enum {
    T_BLOCK    = 1u << 0,  /* ends the line before and after */
    T_SKIP     = 1u << 1,  /* content never written */
    T_BOILER   = 1u << 2,  /* boilerplate region by element */
    T_HEADFOOT = 1u << 3,  /* boilerplate unless inside article/main */
    T_PRE      = 1u << 4,  /* keeps lines */
    T_LINK     = 1u << 5,  /* <a> */
    T_JUDGE    = 1u << 6,  /* link-density container */
    T_CLASS    = 1u << 7,  /* class/id/role looked at */
    T_ARTMAIN  = 1u << 8,  /* article, main */
    T_FORM     = 1u << 9,
    T_TITLE    = 1u << 10,
    T_HEAD     = 1u << 11,
    T_HTML     = 1u << 12,
    T_TABLE    = 1u << 13,
    T_SLUGID   = 1u << 14, /* its id names its heading: not looked at */
};

/* Frame (and inherited) state. */
enum {
    F_SKIP    = 1u << 0,   /* inherited: drop text */
    F_HEAD    = 1u << 1,   /* inherited: in <head> (text dropped unless title) */
    F_TITLE   = 1u << 2,   /* inherited: text goes to the title */
    F_PRE     = 1u << 3,   /* inherited */
    F_LINK    = 1u << 4,   /* inherited */
    F_ARTMAIN = 1u << 5,   /* inherited: inside article/main */
    F_DROP    = 1u << 6,   /* this frame: cut its region at the end */
    F_JUDGE   = 1u << 7,   /* this frame: judge link density at the end */
    F_FORM    = 1u << 8,   /* this frame: the form rule at the end */
    F_BLOCK   = 1u << 9,   /* this frame: block element */
    F_TABLE   = 1u << 10,  /* this frame: a table (judged by the long rule only) */
};
#define F_INHERITED (F_SKIP | F_HEAD | F_TITLE | F_PRE | F_LINK | F_ARTMAIN)

typedef struct {
    const char *name;
    unsigned    props;
} HtmlTag;

static const HtmlTag TAGS[] = {
    {"a", T_LINK},
    {"address", T_BLOCK},
    {"applet", T_SKIP},
    {"article", T_BLOCK | T_ARTMAIN},
    {"aside", T_BLOCK | T_BOILER},
    {"audio", T_SKIP},
    {"blockquote", T_BLOCK | T_CLASS},
    {"body", T_BLOCK},
    {"br", T_BLOCK},
    {"button", T_SKIP},
    {"canvas", T_SKIP},
    {"caption", T_BLOCK},
    {"center", T_BLOCK | T_JUDGE | T_CLASS},
    {"datalist", T_SKIP},
    {"dd", T_BLOCK | T_CLASS},
    {"details", T_BLOCK | T_CLASS},
    {"dialog", T_BLOCK | T_BOILER},
    {"dir", T_BLOCK | T_JUDGE | T_CLASS},
    {"div", T_BLOCK | T_JUDGE | T_CLASS},
    {"dl", T_BLOCK | T_JUDGE | T_CLASS},
    {"dt", T_BLOCK | T_CLASS},
    {"embed", T_SKIP},
    {"fieldset", T_BLOCK | T_CLASS},
    {"figcaption", T_BLOCK},
    {"figure", T_BLOCK | T_CLASS},
    {"footer", T_BLOCK | T_HEADFOOT | T_CLASS},
    {"form", T_BLOCK | T_FORM | T_CLASS},
    {"frameset", T_BLOCK},
    {"h1", T_BLOCK | T_CLASS | T_SLUGID},
    {"h2", T_BLOCK | T_CLASS | T_SLUGID},
    {"h3", T_BLOCK | T_CLASS | T_SLUGID},
    {"h4", T_BLOCK | T_CLASS | T_SLUGID},
    {"h5", T_BLOCK | T_CLASS | T_SLUGID},
    {"h6", T_BLOCK | T_CLASS | T_SLUGID},
    {"head", T_HEAD},
    {"header", T_BLOCK | T_HEADFOOT | T_CLASS},
    {"hgroup", T_BLOCK},
    {"hr", T_BLOCK},
    {"html", T_BLOCK | T_HTML},
    {"iframe", T_SKIP},
    {"legend", T_BLOCK},
    {"li", T_BLOCK | T_CLASS},
    {"listing", T_BLOCK | T_PRE},
    {"main", T_BLOCK | T_ARTMAIN},
    {"math", T_SKIP},
    {"menu", T_BLOCK | T_BOILER},
    {"nav", T_BLOCK | T_BOILER},
    {"noembed", T_SKIP},
    {"noframes", T_SKIP},
    {"noscript", T_SKIP},
    {"object", T_SKIP},
    {"ol", T_BLOCK | T_JUDGE | T_CLASS},
    {"optgroup", T_SKIP},
    {"option", T_SKIP},
    {"p", T_BLOCK | T_JUDGE | T_CLASS},
    {"plaintext", T_BLOCK | T_PRE},
    {"pre", T_BLOCK | T_PRE},
    {"rp", T_SKIP},
    {"rt", T_SKIP},
    {"script", T_SKIP},
    {"section", T_BLOCK | T_JUDGE | T_CLASS | T_SLUGID},
    {"select", T_SKIP},
    {"style", T_SKIP},
    {"summary", T_BLOCK},
    {"svg", T_SKIP},
    {"table", T_BLOCK | T_JUDGE | T_TABLE | T_CLASS},
    {"tbody", T_BLOCK},
    {"td", T_BLOCK | T_CLASS},
    {"template", T_SKIP},
    {"textarea", T_SKIP},
    {"tfoot", T_BLOCK},
    {"th", T_BLOCK | T_CLASS},
    {"thead", T_BLOCK},
    {"title", T_TITLE},
    {"tr", T_BLOCK | T_CLASS},
    {"ul", T_BLOCK | T_JUDGE | T_CLASS},
    {"video", T_SKIP},
    {"xmp", T_BLOCK | T_PRE},
};
#define N_TAGS (sizeof TAGS / sizeof TAGS[0])

/* class/id words that mark navigation and other page furniture. */
static const char *const CLASS_WORDS[] = {
    "nav", "navi", "navbar", "navigation", "navheader", "navfooter", "gnav", "gnavi",
    "globalnav", "subnav", "topnav", "sidenav", "breadcrumb", "breadcrumbs", "pankuzu",
    "topicpath", "menu", "menus", "submenu", "megamenu", "menubar", "footer", "header",
    "sidebar", "side", "banner", "banners", "cookie", "cookies", "consent", "share", "sharing",
    "social", "sns", "ads", "advert", "advertisement", "sponsor", "pagetop", "copyright",
    "pager", "pagination", "related", "recommend", "ranking", "widget", "toolbar", "skip",
};
static const char *const GUARD_WORDS[] = {
    "content", "contents", "article", "main", "entry", "post", "body", "text", "story",
};
static const char *const BOILER_ROLES[] = {
    "navigation", "banner", "contentinfo", "complementary", "menu", "menubar", "search",
    "toolbar",
};

/* Open-addressing hash of TAGS, built once. */
#define TAG_HASH_SIZE 256
static int16_t tag_hash[TAG_HASH_SIZE];
static pthread_once_t html_once = PTHREAD_ONCE_INIT;

static uint32_t tag_hash_of(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static void html_init_once(void)
{
    xmlInitParser();
    for (size_t i = 0; i < TAG_HASH_SIZE; i++) tag_hash[i] = -1;
    for (size_t i = 0; i < N_TAGS; i++) {
        uint32_t h = tag_hash_of(TAGS[i].name) & (TAG_HASH_SIZE - 1);
        while (tag_hash[h] >= 0) h = (h + 1) & (TAG_HASH_SIZE - 1);
        tag_hash[h] = (int16_t)i;
    }
}

static unsigned tag_props(const char *name)
{
    uint32_t h = tag_hash_of(name) & (TAG_HASH_SIZE - 1);
    for (;;) {
        int16_t i = tag_hash[h];
        if (i < 0) return 0;
        if (strcmp(TAGS[i].name, name) == 0) return TAGS[i].props;
        h = (h + 1) & (TAG_HASH_SIZE - 1);
    }
}

typedef struct {
    unsigned flags;
    size_t   out_start;   /* text length when the element began */
    size_t   chars0;      /* counters when it began */
    size_t   links0;
    size_t   n_links0;    /* links opened before it */
} HtmlFrame;

/* One output line discipline: whitespace collapsing into a buffer. */
typedef struct {
    JfBuf  buf;
    size_t line_start;
    int    pending;       /* 0 none, 1 space, 2 space holding a line break */
} HtmlSink;

struct HtmlExtractor {
    HtmlTextOptions opt;
    HtmlSink        text;
    HtmlSink        title;
    JfBuf           scratch;   /* sanitized input, when the input was not clean UTF-8 */
    HtmlFrame      *frames;    /* opt.max_depth of them */
    size_t          depth;     /* open elements, may exceed max_depth */
    size_t          chars;     /* non-blank code points in text */
    size_t          links;     /* of which inside <a href> */
    size_t          n_links;   /* <a href> elements opened */
    size_t          n_blocks;
    size_t          n_removed;
    bool            title_done;
    bool            lang_done;
    char            lang[LANG_CAP];
    JfStatus        status;    /* first error raised inside a callback */
    htmlParserCtxtPtr ctxt;
};

void html_text_options_init(HtmlTextOptions *opt)
{
    opt->max_input = HTML_DEFAULT_MAX_INPUT;
    opt->max_depth = HTML_DEFAULT_MAX_DEPTH;
    opt->remove_boilerplate = true;
    opt->max_seconds = HTML_DEFAULT_MAX_SECONDS;
}

/* ---- output ---- */

static const uint8_t WS[256] = {[' '] = 1, ['\t'] = 1, ['\n'] = 2, ['\r'] = 2, ['\f'] = 1};

static void html_fail(HtmlExtractor *x, JfStatus rc)
{
    if (x->status == JF_OK) x->status = rc;
    if (x->ctxt) xmlStopParser(x->ctxt);
}

static size_t count_cps(const uint8_t *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += (s[i] & 0xC0) != 0x80;
    return c;
}

/* Code point starting at s (n bytes), trusting the input to be valid UTF-8. */
static uint32_t utf8_first(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    if (c < 0x80 || n < 2) return c;
    if (c < 0xE0) return ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
    if (c < 0xF0 || n < 4)
        return n < 3 ? 0 : ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) |
                                (s[2] & 0x3F);
    return ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
           ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

/* Last code point of the current line, 0 when the line is empty. */
static uint32_t sink_last_cp(const HtmlSink *k)
{
    size_t i = k->buf.len;
    if (i <= k->line_start) return 0;
    size_t back = 1;
    while (back < 4 && i - back > k->line_start && (k->buf.data[i - back] & 0xC0) == 0x80)
        back++;
    return utf8_first(k->buf.data + i - back, back);
}

/* East Asian wide characters other than Hangul: between two of them a source
 * line break is not a space. */
static bool cp_is_wide(uint32_t c)
{
    return (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFFEF) ||
           (c >= 0x20000 && c <= 0x3FFFF);
}

/* Appends s with whitespace collapsed. @return the code points written. */
static JfStatus sink_collapse(HtmlSink *k, const uint8_t *s, size_t n, size_t *cps)
{
    size_t i = 0, written = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (WS[c]) {
            if (WS[c] > k->pending) k->pending = WS[c];
            i++;
            continue;
        }
        if (c == 0xC2 && i + 1 < n && s[i + 1] == 0xA0) {
            if (k->pending == 0) k->pending = 1;
            i += 2;
            continue;
        }
        size_t j = i + 1;
        while (j < n && !WS[s[j]] && !(s[j] == 0xC2 && j + 1 < n && s[j + 1] == 0xA0)) j++;
        JfStatus rc = jf_buf_reserve(&k->buf, j - i + 1);
        if (rc != JF_OK) return rc;
        if (k->pending && k->buf.len > k->line_start) {
            bool join = k->pending == 2 && cp_is_wide(sink_last_cp(k)) &&
                        cp_is_wide(utf8_first(s + i, j - i));
            if (!join) k->buf.data[k->buf.len++] = ' ';
        }
        k->pending = 0;
        memcpy(k->buf.data + k->buf.len, s + i, j - i);
        k->buf.len += j - i;
        k->buf.data[k->buf.len] = '\0';
        written += count_cps(s + i, j - i);
        i = j;
    }
    *cps = written;
    return JF_OK;
}

/* Ends the current line: trailing blanks trimmed, empty lines dropped.
 * @return whether a line was written. */
static bool sink_break(HtmlSink *k, JfStatus *rc)
{
    k->pending = 0;
    while (k->buf.len > k->line_start &&
           (k->buf.data[k->buf.len - 1] == ' ' || k->buf.data[k->buf.len - 1] == '\t'))
        k->buf.len--;
    if (k->buf.data) k->buf.data[k->buf.len] = '\0';
    if (k->buf.len == k->line_start) return false;
    *rc = jf_buf_append_byte(&k->buf, '\n');
    k->line_start = k->buf.len;
    return *rc == JF_OK;
}

static bool is_blank_run(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t') return false;
    return true;
}

/* Preformatted text: lines kept, CR dropped, leading indentation kept. */
static JfStatus sink_pre(HtmlExtractor *x, const uint8_t *s, size_t n, size_t *cps)
{
    HtmlSink *k = &x->text;
    size_t written = 0;
    while (n) {
        const uint8_t *nl = memchr(s, '\n', n);
        size_t seg = nl ? (size_t)(nl - s) : n;
        size_t a = 0;
        while (a < seg) {
            const uint8_t *cr = memchr(s + a, '\r', seg - a);
            size_t b = cr ? (size_t)(cr - s) : seg;
            /* a blank run at the start of an empty line may still be indentation */
            JfStatus rc = jf_buf_append(&k->buf, s + a, b - a);
            if (rc != JF_OK) return rc;
            if (!is_blank_run(s + a, b - a)) written += count_cps(s + a, b - a);
            a = cr ? b + 1 : seg;
        }
        if (nl) {
            JfStatus rc = JF_OK;
            if (sink_break(k, &rc)) x->n_blocks++;
            if (rc != JF_OK) return rc;
            seg++;
        }
        s += seg, n -= seg;
    }
    *cps = written;
    return JF_OK;
}

static void html_break(HtmlExtractor *x)
{
    JfStatus rc = JF_OK;
    if (sink_break(&x->text, &rc)) x->n_blocks++;
    if (rc != JF_OK) html_fail(x, rc);
}

/* Cuts the text back to where frame f began. */
static void html_cut(HtmlExtractor *x, const HtmlFrame *f)
{
    HtmlSink *k = &x->text;
    size_t lines = 0;
    for (const uint8_t *p = k->buf.data + f->out_start, *end = k->buf.data + k->buf.len;
         p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
        lines++;
    x->n_removed += lines;
    k->buf.len = f->out_start;
    if (k->buf.data) k->buf.data[k->buf.len] = '\0';
    k->line_start = f->out_start;
    k->pending = 0;
    x->chars = f->chars0;
    x->links = f->links0;
    x->n_links = f->n_links0;
}

/* ---- attributes ---- */

static bool word_in(const char *w, size_t n, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(list[i]) == n && memcmp(list[i], w, n) == 0) return true;
    return false;
}

/* Words of one class token or id, lower-cased, split at non-alphanumerics and
 * camelCase ("globalNav" is "global nav"). *n_words gets their number. */
static void token_words(const char *t, size_t n, bool *hit, bool *guard, size_t *n_words)
{
    char w[32];
    size_t k = 0;
    *hit = *guard = false;
    *n_words = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = i < n ? t[i] : '\0';
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        bool split = alnum && c >= 'A' && c <= 'Z' && k > 0 && w[k - 1] >= 'a' && w[k - 1] <= 'z';
        if ((!alnum || split) && k) {
            (*n_words)++;
            if (k < sizeof w) {
                *guard |= word_in(w, k, GUARD_WORDS, sizeof GUARD_WORDS / sizeof GUARD_WORDS[0]);
                *hit |= word_in(w, k, CLASS_WORDS, sizeof CLASS_WORDS / sizeof CLASS_WORDS[0]);
            }
            k = 0;
        }
        if (alnum && k < sizeof w) w[k++] = (char)extract_lower((uint8_t)c);
        else if (alnum) k = sizeof w; /* too long to be a keyword */
    }
}

/* class/id value: a token naming page furniture, and no guard word? Tokens of
 * more than CLASS_MAX_WORDS words are slugs of headings
 * ("handling-security-related-bugs"), not layout names. */
static bool class_is_boiler(const char *v)
{
    bool hit = false;
    const char *p = v;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f') p++;
        const char *t = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\f') p++;
        if (p == t) break;
        bool h, g;
        size_t nw;
        token_words(t, (size_t)(p - t), &h, &g, &nw);
        if (g) return false;
        if (h && nw <= CLASS_MAX_WORDS) hit = true;
    }
    return hit;
}

/* Heading permalinks ("¶", "#") of Sphinx, markdown-it, anchor.js: noise in text. */
static bool class_is_permalink(const char *v)
{
    static const char *const tokens[] = {"headerlink", "header-anchor", "anchor-link",
                                         "anchorjs-link", "heading-anchor", "permalink"};
    const char *p = v;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n') p++;
        const char *t = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') p++;
        if (p > t && word_in(t, (size_t)(p - t), tokens, sizeof tokens / sizeof tokens[0]))
            return true;
    }
    return false;
}

static bool style_hides(const char *v)
{
    /* "display:none", "display: none", "visibility:hidden" in any case */
    const uint8_t *s = (const uint8_t *)v;
    size_t len = strlen(v);
    for (size_t off = 0; off < len;) {
        size_t at = extract_find_ci(s + off, len - off, "display", 7);
        if (at == len - off) break;
        size_t i = off + at + 7;
        while (i < len && (s[i] == ' ' || s[i] == ':')) i++;
        if (len - i >= 4 && extract_eq_ci(s + i, 4, "none")) return true;
        off = i;
    }
    size_t at = extract_find_ci(s, len, "visibility", 10);
    if (at == len) return false;
    size_t i = at + 10;
    while (i < len && (s[i] == ' ' || s[i] == ':')) i++;
    return len - i >= 6 && extract_eq_ci(s + i, 6, "hidden");
}

static void html_take_lang(HtmlExtractor *x, const char *v)
{
    while (*v == ' ' || *v == '\t' || *v == '\n') v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\n')) n--;
    if (n >= LANG_CAP) n = LANG_CAP - 1;
    memcpy(x->lang, v, n);
    x->lang[n] = '\0';
}

/* Flags that attributes add to a new frame. */
static unsigned html_attr_flags(HtmlExtractor *x, unsigned props, const xmlChar **atts)
{
    unsigned add = 0;
    bool boiler = x->opt.remove_boilerplate;
    bool classes = boiler && (props & T_CLASS);
    for (size_t i = 0; atts && atts[i]; i += 2) {
        const char *name = (const char *)atts[i];
        const char *val = (const char *)atts[i + 1];
        switch (name[0]) {
        case 'c':
            if (classes && val && strcmp(name, "class") == 0 && class_is_boiler(val))
                add |= F_DROP;
            if (boiler && (props & T_LINK) && val && strcmp(name, "class") == 0 &&
                class_is_permalink(val))
                add |= F_SKIP;
            break;
        case 'i':
            /* a section's or heading's id is its title's slug */
            if (classes && val && !(props & T_SLUGID) && strcmp(name, "id") == 0 &&
                class_is_boiler(val))
                add |= F_DROP;
            break;
        case 'r':
            if (classes && val && strcmp(name, "role") == 0) {
                size_t n = strlen(val);
                if (n < 32 && word_in(val, n, BOILER_ROLES,
                                      sizeof BOILER_ROLES / sizeof BOILER_ROLES[0]))
                    add |= F_DROP;
            }
            break;
        case 'h':
            if (boiler && strcmp(name, "hidden") == 0) add |= F_SKIP;
            /* <a id=x> (no href) is an anchor, not a link: XHTML's <a id="x"/>
             * even opens one over the heading that follows */
            if ((props & T_LINK) && strcmp(name, "href") == 0) add |= F_LINK;
            break;
        case 'a':
            if (boiler && val && strcmp(name, "aria-hidden") == 0 && strcmp(val, "true") == 0)
                add |= F_SKIP;
            break;
        case 's':
            if (boiler && val && strcmp(name, "style") == 0 && style_hides(val)) add |= F_SKIP;
            break;
        case 'l':
            if ((props & T_HTML) && !x->lang_done && val && strcmp(name, "lang") == 0) {
                html_take_lang(x, val);
                x->lang_done = true;
            }
            break;
        case 'x':
            if ((props & T_HTML) && !x->lang_done && val && strcmp(name, "xml:lang") == 0)
                html_take_lang(x, val);
            break;
        default:
            break;
        }
    }
    return add;
}

/* ---- SAX callbacks ---- */

static unsigned html_cur_flags(const HtmlExtractor *x)
{
    size_t n = x->depth < x->opt.max_depth ? x->depth : x->opt.max_depth;
    return n ? x->frames[n - 1].flags & F_INHERITED : 0;
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
    HtmlExtractor *x = ctx;
    if (x->status != JF_OK) return;
    unsigned props = tag_props((const char *)name);
    if (props & T_BLOCK) html_break(x);
    if (x->depth >= x->opt.max_depth) { /* too deep: transparent */
        x->depth++;
        return;
    }
    unsigned f = html_cur_flags(x);
    x->depth++;
    f |= html_attr_flags(x, props, atts);
    if (props & T_SKIP) f |= F_SKIP;
    if (props & T_HEAD) f |= F_HEAD;
    if (props & T_PRE) f |= F_PRE;
    if (props & T_BLOCK) f |= F_BLOCK;
    if ((props & T_TITLE) && !x->title_done && !(f & F_SKIP)) f |= F_TITLE;
    if (x->opt.remove_boilerplate) {
        if ((props & T_BOILER) || ((props & T_HEADFOOT) && !(f & F_ARTMAIN))) f |= F_DROP;
        if (props & T_JUDGE) f |= F_JUDGE;
        if (props & T_TABLE) f |= F_TABLE;
        if (props & T_FORM) f |= F_FORM;
    }
    if (props & T_ARTMAIN) f |= F_ARTMAIN;
    if (!(f & F_BLOCK)) f &= ~(unsigned)(F_DROP | F_JUDGE | F_FORM); /* regions are blocks */
    HtmlFrame *fr = &x->frames[x->depth - 1];
    fr->flags = f;
    fr->out_start = x->text.buf.len;
    fr->chars0 = x->chars;
    fr->links0 = x->links;
    fr->n_links0 = x->n_links;
    if ((f & F_LINK) && (props & T_LINK)) x->n_links++;
}

static void on_end(void *ctx, const xmlChar *name)
{
    HtmlExtractor *x = ctx;
    if (x->status != JF_OK || x->depth == 0) return;
    unsigned props = tag_props((const char *)name);
    if (props & T_BLOCK) html_break(x);
    if (x->depth-- > x->opt.max_depth) return;
    const HtmlFrame *fr = &x->frames[x->depth];
    if (fr->flags & F_TITLE) x->title_done = true;
    if (!(fr->flags & (F_DROP | F_JUDGE | F_FORM))) return;
    size_t chars = x->chars - fr->chars0, links = x->links - fr->links0;
    bool dense = (chars <= LINK_SHORT_CHARS && !(fr->flags & F_TABLE)) ? links * 2 > chars
                                                                        : links * 5 > chars * 4;
    dense = dense && x->n_links - fr->n_links0 >= LINK_MIN_COUNT;
    bool drop = (fr->flags & F_DROP) || ((fr->flags & (F_JUDGE | F_FORM)) && dense) ||
                ((fr->flags & F_FORM) && chars < FORM_MIN_CHARS);
    if (drop && x->text.buf.len > fr->out_start) html_cut(x, fr);
}

static void on_text(void *ctx, const xmlChar *ch, int len)
{
    HtmlExtractor *x = ctx;
    if (x->status != JF_OK || len <= 0) return;
    unsigned f = html_cur_flags(x);
    if (f & F_SKIP) return;
    size_t cps = 0;
    JfStatus rc;
    if (f & F_TITLE) {
        /* a title past its cap is cut, not an error */
        rc = x->title_done ? JF_OK : sink_collapse(&x->title, ch, (size_t)len, &cps);
        if (rc == JF_ETOOBIG) x->title_done = true, rc = JF_OK;
    } else if (f & F_HEAD) {
        return;
    } else {
        rc = (f & F_PRE) ? sink_pre(x, ch, (size_t)len, &cps)
                         : sink_collapse(&x->text, ch, (size_t)len, &cps);
        x->chars += cps;
        if (f & F_LINK) x->links += cps;
    }
    if (rc != JF_OK) html_fail(x, rc);
}

/* ---- public ---- */

JfStatus html_extractor_open(const HtmlTextOptions *opt, HtmlExtractor **out, JfError *err)
{
    *out = NULL;
    pthread_once(&html_once, html_init_once);
    HtmlExtractor *x = jf_calloc(1, sizeof *x);
    if (!x) return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "html extractor");
    if (opt) x->opt = *opt;
    else html_text_options_init(&x->opt);
    if (!x->opt.max_input) x->opt.max_input = HTML_DEFAULT_MAX_INPUT;
    if (!x->opt.max_depth) x->opt.max_depth = HTML_DEFAULT_MAX_DEPTH;
    if (x->opt.max_depth > HTML_MAX_DEPTH_CAP) x->opt.max_depth = HTML_MAX_DEPTH_CAP;
    x->frames = jf_malloc(x->opt.max_depth * sizeof *x->frames);
    if (!x->frames) {
        jf_free(x);
        return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "html extractor frames");
    }
    /* text can outgrow the input only by the line breaks and spaces we add */
    size_t cap = x->opt.max_input > SIZE_MAX / 4 ? SIZE_MAX / 2 : x->opt.max_input * 2 + 4096;
    jf_buf_init(&x->text.buf, cap);
    jf_buf_init(&x->title.buf, HTML_TITLE_CAP);
    jf_buf_init(&x->scratch, cap);
    *out = x;
    return JF_OK;
}

void html_extractor_close(HtmlExtractor *x)
{
    if (!x) return;
    jf_buf_free(&x->text.buf);
    jf_buf_free(&x->title.buf);
    jf_buf_free(&x->scratch);
    jf_free(x->frames);
    jf_free(x);
}

static void html_reset(HtmlExtractor *x)
{
    jf_buf_reset(&x->text.buf);
    jf_buf_reset(&x->title.buf);
    x->text.line_start = x->title.line_start = 0;
    x->text.pending = x->title.pending = 0;
    x->depth = x->chars = x->links = x->n_links = x->n_blocks = x->n_removed = 0;
    x->title_done = x->lang_done = false;
    x->lang[0] = '\0';
    x->status = JF_OK;
}

/* Makes the input clean UTF-8 without NUL (libxml2 switches to Latin-1 on the
 * first bad byte and stops at NUL). @return the bytes to parse. */
static JfStatus html_clean_input(HtmlExtractor *x, const uint8_t **p, size_t *len)
{
    if (*len >= 3 && (*p)[0] == 0xEF && (*p)[1] == 0xBB && (*p)[2] == 0xBF) *p += 3, *len -= 3;
    if (extract_utf8_is_clean(*p, *len)) return JF_OK;
    jf_buf_reset(&x->scratch);
    JfStatus rc = extract_utf8_sanitize(*p, *len, &x->scratch, NULL);
    if (rc != JF_OK) return rc;
    *p = x->scratch.data ? x->scratch.data : (const uint8_t *)"";
    *len = x->scratch.len;
    return JF_OK;
}

static double html_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static JfStatus html_parse(HtmlExtractor *x, const uint8_t *p, size_t len)
{
    htmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    sax.startElement = on_start;
    sax.endElement = on_end;
    sax.characters = on_text;
    sax.ignorableWhitespace = on_text;
    sax.cdataBlock = on_text;
    x->ctxt = htmlCreatePushParserCtxt(&sax, x, NULL, 0, NULL, XML_CHAR_ENCODING_UTF8);
    if (!x->ctxt) return JF_ENOMEM;
    htmlCtxtUseOptions(x->ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                    HTML_PARSE_NONET | HTML_PARSE_COMPACT |
                                    HTML_PARSE_IGNORE_ENC);
    size_t off = 0;
    double t0 = html_now();
    do {
        size_t n = len - off < HTML_FEED_CHUNK ? len - off : HTML_FEED_CHUNK;
        bool last = off + n == len;
        htmlParseChunk(x->ctxt, (const char *)p + off, (int)n, last);
        off += n;
        /* Every step is linear in its input, so this never fires on a real
         * page; it is the guard against a pathological case we do not know. */
        if (!last && x->opt.max_seconds > 0 && html_now() - t0 > x->opt.max_seconds)
            x->status = JF_ETIMEOUT;
    } while (off < len && x->status == JF_OK);
    if (x->ctxt->myDoc) xmlFreeDoc(x->ctxt->myDoc);
    htmlFreeParserCtxt(x->ctxt);
    x->ctxt = NULL;
    return x->status;
}

JfStatus html_extractor_run(HtmlExtractor *x, const char *utf8, size_t len, HtmlText *out,
                            JfError *err)
{
    html_reset(x);
    memset(out, 0, sizeof *out);
    out->text = out->title = out->html_lang = "";
    if (len > x->opt.max_input)
        return jf_error_set(err, JF_ETOOBIG, NULL, JF_OFFSET_UNKNOWN,
                            "HTML of %zu bytes exceeds the %zu byte limit", len,
                            x->opt.max_input);
    const uint8_t *p = (const uint8_t *)utf8;
    size_t bytes_in = len;
    JfStatus rc = html_clean_input(x, &p, &len);
    if (rc == JF_OK && len) rc = html_parse(x, p, len);
    if (rc == JF_OK) html_break(x), rc = x->status;
    if (rc != JF_OK) {
        html_reset(x);
        return jf_error_set(err, rc, NULL, JF_OFFSET_UNKNOWN, "HTML to text: %s",
                            jf_status_text(rc));
    }
    JfBuf *t = &x->text.buf;
    if (t->len && t->data[t->len - 1] == '\n') t->data[--t->len] = '\0';
    out->text = t->data ? (const char *)t->data : "";
    out->text_len = t->len;
    out->title = x->title.buf.data ? (const char *)x->title.buf.data : "";
    out->title_len = x->title.buf.len;
    out->html_lang = x->lang;
    out->n_blocks = x->n_blocks;
    out->n_blocks_removed = x->n_removed;
    out->bytes_in = bytes_in;
    out->bytes_out = t->len;
    return JF_OK;
}
