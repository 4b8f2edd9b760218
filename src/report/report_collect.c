/* report_collect.c: reads what a work directory holds into ReportData: the
 * statistics of the run databases of DIR/extract (with the filter statistics
 * when filtering streamed there), DIR/filter/<lang> and
 * DIR/dedup/<lang> (tasks "done" only), the documents after dedup (lengths,
 * sources, longest), DIR/blend/plan.json and DIR/train/log.csv. Whatever is
 * missing stays absent; damaged statistics, documents or lines are counted
 * in d->bad and skipped. Never creates a run database and writes nothing. */
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jf_alloc.h"
#include "jf_doc.h"
#include "jf_fs.h"
#include "report_int.h"
#include "rundb.h"

#define MAX_LANGS REPORT_MAX_COLS
#define PATH_CAP  4096

typedef struct {
    ReportData *d;
    const char *lang;     /* filter and dedup databases are per language */
} TaskCtx;

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The sub-folders of dir (languages), sorted. @return how many. */
static size_t list_langs(const char *dir, char names[MAX_LANGS][32])
{
    size_t n = 0;
    DIR *dh = opendir(dir);
    if (!dh) return 0;
    for (struct dirent *e; (e = readdir(dh)) && n < MAX_LANGS;) {
        char sub[PATH_CAP];
        if (e->d_name[0] == '.' || strlen(e->d_name) >= 32) continue;
        snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        if (is_dir(sub)) snprintf(names[n++], 32, "%s", e->d_name);
    }
    closedir(dh);
    qsort(names, n, 32, name_cmp);
    return n;
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : 0;
}

/* Adds every number of object obj to t: row = key, column col (NULL: the key
 * is the column and row is fixed). */
static void add_object(ReportTable *t, const json_t *obj, const char *row, const char *col)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        if (!json_is_number(v)) continue;
        report_table_add(t, col ? key : row, col ? col : key, json_number_value(v));
    }
}

static json_t *stats_parse(ReportData *d, const char *status, const char *json)
{
    if (strcmp(status, "done") != 0) return NULL;
    json_t *o = json_loads(json, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        d->bad++;
        return NULL;
    }
    return o;
}

/* One input's filter statistics for language lang. */
static void filter_add(ReportData *d, const json_t *o, const char *lang)
{
    d->has_filter = true;
    report_table_add(&d->funnel_docs, "filtered", lang, num(o, "kept_docs"));
    report_table_add(&d->funnel_chars, "filtered", lang, num(o, "kept_chars"));
    const char *rule;
    json_t *r;
    json_object_foreach(json_object_get(o, "rules"), rule, r) {
        double n = num(r, "docs_first");
        if (n > 0) report_table_add(&d->rules, rule, lang, n);
    }
}

/* Tasks of "extract", or "extract+filter" (filtered as extracted: the
 * statistics hold each language's filter statistics under "filter"). */
static int on_extract(void *vctx, const char *stage, const char *input, const char *status,
                      int attempts, double secs, const char *stats)
{
    (void)input, (void)attempts, (void)secs;
    TaskCtx *c = vctx;
    bool streamed = !strcmp(stage, "extract+filter");
    json_t *o = strcmp(stage, "extract") && !streamed ? NULL : stats_parse(c->d, status, stats);
    if (!o) return 0;
    c->d->has_extract = true;
    add_object(&c->d->funnel_docs, json_object_get(o, "kept"), "extracted", NULL);
    add_object(&c->d->funnel_chars, json_object_get(o, "chars_kept"), "extracted", NULL);
    add_object(&c->d->langs, json_object_get(o, "kept"), NULL, "documents");
    const json_t *dropped = json_object_get(o, "dropped");
    add_object(&c->d->drops, dropped, NULL, "documents");
    report_table_add(&c->d->langs, "other (dropped)", "documents", num(dropped, "lang_other"));
    const char *lang;   /* after "extracted": the funnel's rows are in stage order */
    json_t *f;
    json_object_foreach(json_object_get(o, "filter"), lang, f) {
        if (streamed && json_is_object(f)) filter_add(c->d, f, lang);
    }
    json_decref(o);
    return 0;
}

static int on_filter(void *vctx, const char *stage, const char *input, const char *status,
                     int attempts, double secs, const char *stats)
{
    (void)input, (void)attempts, (void)secs;
    TaskCtx *c = vctx;
    json_t *o = strcmp(stage, "filter") ? NULL : stats_parse(c->d, status, stats);
    if (!o) return 0;
    filter_add(c->d, o, c->lang);
    json_decref(o);
    return 0;
}

static int on_dedup(void *vctx, const char *stage, const char *input, const char *status,
                    int attempts, double secs, const char *stats)
{
    (void)input, (void)attempts, (void)secs;
    TaskCtx *c = vctx;
    json_t *o = strcmp(stage, "dedup") ? NULL : stats_parse(c->d, status, stats);
    if (!o) return 0;
    c->d->has_dedup = true;
    report_table_add(&c->d->funnel_docs, "deduplicated", c->lang, num(o, "docs_out"));
    report_table_add(&c->d->dedup, "exact duplicates", c->lang, num(o, "removed_exact"));
    report_table_add(&c->d->dedup, "near duplicates", c->lang, num(o, "removed_near"));
    report_table_add(&c->d->dedup, "kept", c->lang, num(o, "docs_out"));
    add_object(&c->d->clusters, json_object_get(o, "cluster_sizes"), NULL, c->lang);
    json_decref(o);
    return 0;
}

/* Runs fn over the tasks of dir/jaforge.db when that file exists. */
static void db_read(ReportData *d, const char *dir, const char *lang, RunDbTaskFn *fn)
{
    char path[PATH_CAP];
    struct stat st;
    snprintf(path, sizeof path, "%s/jaforge.db", dir);
    if (stat(path, &st) != 0) return;   /* not run: rundb_open would create it */
    RunDb *db;
    JfError e;
    jf_error_clear(&e);
    if (rundb_open(path, &db, &e) != JF_OK) {
        d->bad++;
        return;
    }
    TaskCtx c = { d, lang };
    if (rundb_tasks_foreach(db, NULL, fn, &c, &e) != JF_OK) d->bad++;
    rundb_close(db);
}

static uint64_t utf8_chars(const char *s, size_t len)
{
    uint64_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static const char *const BUCKETS[] = { "<100", "100-299", "300-999", "1k-3k", "3k-10k",
                                       "10k-30k", "30k-100k", ">=100k" };
static const double EDGES[] = { 100, 300, 1e3, 3e3, 1e4, 3e4, 1e5 };

static const char *bucket_of(uint64_t chars)
{
    size_t i = 0;
    while (i < sizeof EDGES / sizeof EDGES[0] && (double)chars >= EDGES[i]) i++;
    return BUCKETS[i];
}

/* Keeps the REPORT_TOP_DOCS longest documents, longest first. */
static void top_add(ReportData *d, const JfDoc *doc, const char *lang, uint64_t chars)
{
    size_t i = d->ntop;
    if (i == REPORT_TOP_DOCS && d->top[i - 1].chars >= chars) return;
    if (i == REPORT_TOP_DOCS) i--;
    else d->ntop++;
    for (; i > 0 && d->top[i - 1].chars < chars; i--) d->top[i] = d->top[i - 1];
    ReportDoc *t = &d->top[i];
    const json_t *title = json_object_get(doc->meta, "title");
    snprintf(t->id, sizeof t->id, "%s", doc->id);
    snprintf(t->title, sizeof t->title, "%s", json_is_string(title) ? json_string_value(title) : "");
    snprintf(t->lang, sizeof t->lang, "%s", lang);
    t->chars = chars;
}

static void doc_add(ReportData *d, const JfDoc *doc, const char *lang)
{
    uint64_t chars = utf8_chars(doc->text, doc->text_len);
    d->has_docs = true;
    d->documents++;
    report_table_add(&d->lengths, bucket_of(chars), lang, 1);
    report_table_add(&d->sources, doc->source ? doc->source : "?", lang, 1);
    report_table_add(&d->funnel_chars, "deduplicated", lang, (double)chars);
    top_add(d, doc, lang, chars);
}

static bool is_docs(const char *name)
{
    size_t n = strlen(name);
    return n > 10 && !strcmp(name + n - 10, ".jsonl.zst");
}

static JfStatus docs_read_file(ReportData *d, const char *path, const char *lang)
{
    JfDocReader *r;
    JfDoc doc;
    JfError e;
    if (jf_docreader_open(path, 0, &r, &e) != JF_OK) {
        d->bad++;
        return JF_OK;
    }
    JfStatus rc = jf_doc_init(&doc);
    while (rc == JF_OK) {
        JfStatus st = jf_docreader_next(r, &doc, &e);
        if (st == JF_ROW) doc_add(d, &doc, lang);
        else if (st == JF_ENOMEM) rc = st;
        else if (st == JF_EFORMAT) d->bad++;
        else {
            if (st != JF_DONE) d->bad++;   /* truncated or unreadable: the rest is lost */
            break;
        }
    }
    jf_doc_free(&doc);
    jf_docreader_close(r);
    return rc;
}

static JfStatus docs_read(ReportData *d, const char *dir, const char *lang)
{
    JfPathList files;
    JfError e;
    jf_pathlist_init(&files);
    JfStatus rc = jf_fs_expand_input(dir, is_docs, &files, &e);
    if (rc != JF_OK) d->bad++;
    for (size_t b = 0; b < sizeof BUCKETS / sizeof BUCKETS[0]; b++)   /* buckets in order */
        report_table_add(&d->lengths, BUCKETS[b], lang, 0);
    for (size_t i = 0; i < files.count && rc == JF_OK; i++)
        rc = docs_read_file(d, files.paths[i], lang);
    jf_pathlist_free(&files);
    return rc == JF_ENOMEM ? rc : JF_OK;
}

/* Gives every per-language table the same column order (hence the same
 * colour per language in every chart): the language folders of filter/ and
 * dedup/, sorted. */
static void langs_seed(ReportData *d, const char *workdir)
{
    ReportTable *const tables[] = { &d->funnel_docs, &d->funnel_chars, &d->rules, &d->sources,
                                    &d->dedup, &d->clusters, &d->lengths };
    static const char *const DIRS[] = { "filter", "dedup" };
    char path[PATH_CAP];
    char langs[MAX_LANGS][32];
    for (size_t k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", workdir, DIRS[k]);
        size_t n = list_langs(path, langs);
        for (size_t i = 0; i < n; i++)
            for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
                report_table_col(tables[t], langs[i]);
    }
}

static void stages_read(ReportData *d, const char *workdir)
{
    char path[PATH_CAP];
    char langs[MAX_LANGS][32];
    langs_seed(d, workdir);
    snprintf(path, sizeof path, "%s/extract", workdir);
    db_read(d, path, NULL, on_extract);
    snprintf(path, sizeof path, "%s/filter", workdir);
    size_t n = list_langs(path, langs);
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/filter/%s", workdir, langs[i]);
        db_read(d, path, langs[i], on_filter);
    }
    snprintf(path, sizeof path, "%s/dedup", workdir);
    n = list_langs(path, langs);
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/dedup/%s", workdir, langs[i]);
        db_read(d, path, langs[i], on_dedup);
    }
}

static JfStatus docs_read_all(ReportData *d, const char *workdir)
{
    char path[PATH_CAP];
    char langs[MAX_LANGS][32];
    snprintf(path, sizeof path, "%s/dedup", workdir);
    size_t n = list_langs(path, langs);
    JfStatus rc = JF_OK;
    for (size_t i = 0; i < n && rc == JF_OK; i++) {
        snprintf(path, sizeof path, "%s/dedup/%s", workdir, langs[i]);
        rc = docs_read(d, path, langs[i]);
    }
    return rc;
}

static double table_get(const ReportTable *t, const char *row, const char *col)
{
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++)
            if (!strcmp(t->rows[r], row) && !strcmp(t->cols[c], col)) return t->v[r][c];
    return 0;
}

/* Requested weights vs realized token fractions, and characters per token
 * (the shard's tokens less one EOD per document, against the characters of
 * the documents after dedup of the dataset's language). */
static void plan_read(ReportData *d, const char *workdir)
{
    char path[PATH_CAP];
    snprintf(path, sizeof path, "%s/blend/plan.json", workdir);
    struct stat st;
    if (stat(path, &st) != 0) return;
    json_t *plan = json_load_file(path, 0, NULL);
    json_t *sets = json_object_get(plan, "datasets");
    if (!json_is_array(sets)) {
        d->bad++;
        json_decref(plan);
        return;
    }
    double drawn = 0;
    size_t i;
    json_t *ds;
    json_array_foreach(sets, i, ds) drawn += num(ds, "tokens_drawn");
    json_array_foreach(sets, i, ds) {
        const char *prefix = json_string_value(json_object_get(ds, "prefix"));
        const char *base = prefix ? strrchr(prefix, '/') : NULL;
        const char *name = base ? base + 1 : prefix ? prefix : "?";
        report_table_add(&d->mixture, name, "requested %", 100 * num(ds, "weight_normalized"));
        report_table_add(&d->mixture, name, "realized %",
                         drawn > 0 ? 100 * num(ds, "tokens_drawn") / drawn : 0);
        double chars = table_get(&d->funnel_chars, "deduplicated", name);
        double tokens = num(ds, "tokens") - num(ds, "documents");
        if (d->has_docs && chars > 0 && tokens > 0)
            report_table_add(&d->cpt, name, "characters per token", chars / tokens);
    }
    d->has_plan = true;
    json_decref(plan);
}

/* Index of name among the comma-separated header fields, or -1. */
static int csv_col(char **fields, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(fields[i], name)) return i;
    return -1;
}

static int csv_split(char *line, char **fields, int cap)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < cap;) {
        fields[n++] = p;
        p = strchr(p, ',');
        if (!p) break;
        *p++ = '\0';
    }
    return n;
}

static JfStatus train_row(ReportData *d, char **f, int n, const int col[4])
{
    char *end;
    double step = col[0] < n ? strtod(f[col[0]], &end) : NAN;
    if (col[0] >= n || end == f[col[0]]) {
        d->bad++;
        return JF_OK;
    }
    for (int s = 0; s < 3; s++) {
        if (col[s + 1] < 0 || col[s + 1] >= n || !f[col[s + 1]][0]) continue;
        double y = strtod(f[col[s + 1]], &end);
        if (end == f[col[s + 1]] || !isfinite(y)) continue;
        JfStatus rc = jf_series_push(&d->train[s], step, y);
        if (rc == JF_ENOMEM) return rc;
    }
    return JF_OK;
}

static JfStatus train_read(ReportData *d, const char *workdir)
{
    static const char *const NAMES[] = { "loss", "val_loss_ja", "val_loss_en" };
    char path[PATH_CAP];
    snprintf(path, sizeof path, "%s/train/log.csv", workdir);
    FILE *f = fopen(path, "r");
    if (!f) return JF_OK;
    for (int s = 0; s < 3; s++) {
        d->train[s].name = d->train[s].key = NAMES[s];
        d->train[s].sparse = s > 0;   /* validation: every eval_interval steps */
        d->train[s].limit = REPORT_MAX_POINTS;
    }
    char *line = NULL, *fields[64];
    size_t cap = 0;
    int col[4] = { -1, -1, -1, -1 };
    JfStatus rc = JF_OK;
    if (getline(&line, &cap, f) > 0) {
        int n = csv_split(line, fields, 64);
        col[0] = csv_col(fields, n, "step");
        for (int s = 0; s < 3; s++) col[s + 1] = csv_col(fields, n, NAMES[s]);
    }
    while (col[0] >= 0 && rc == JF_OK && getline(&line, &cap, f) > 0) {
        int n = csv_split(line, fields, 64);
        rc = train_row(d, fields, n, col);
    }
    d->has_train = d->train[0].n > 0;
    free(line);
    fclose(f);
    return rc;
}

JfStatus report_collect(const char *workdir, ReportData *d, JfError *err)
{
    stages_read(d, workdir);
    JfStatus rc = docs_read_all(d, workdir);
    if (rc == JF_OK) plan_read(d, workdir);
    if (rc == JF_OK) rc = train_read(d, workdir);
    if (rc != JF_OK) return jf_error_set(err, rc, workdir, JF_OFFSET_UNKNOWN, "reading the report's data");
    return JF_OK;
}

void report_data_free(ReportData *d)
{
    for (int s = 0; s < 3; s++) jf_series_free(&d->train[s]);
}
