/* dedup_stats.c: the statistics of a dedup run as JSON (for the run
 * database) and the parsing of the `created` field for --keep newest. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "dedup.h"

static json_t *hist_json(const DedupStats *st)
{
    json_t *h = json_object();
    for (size_t i = 0; i < DEDUP_HIST_BUCKETS; i++) {
        if (!st->hist[i]) continue;
        char name[48];
        uint64_t lo = dedup_hist_low(i), hi = dedup_hist_low(i + 1) - 1;
        if (i + 1 == DEDUP_HIST_BUCKETS) snprintf(name, sizeof name, "%llu+", (unsigned long long)lo);
        else if (lo == hi) snprintf(name, sizeof name, "%llu", (unsigned long long)lo);
        else snprintf(name, sizeof name, "%llu-%llu", (unsigned long long)lo, (unsigned long long)hi);
        json_object_set_new(h, name, json_integer((json_int_t)st->hist[i]));
    }
    return h;
}

static json_t *groups_json(const DedupStats *st)
{
    json_t *a = json_array();
    size_t n = st->n_groups + (st->groups[DEDUP_MAX_GROUPS].in ? 1 : 0);
    for (size_t i = 0; i < n; i++) {
        const DedupGroupStats *g = &st->groups[i < st->n_groups ? i : DEDUP_MAX_GROUPS];
        uint64_t removed = g->removed_exact + g->removed_near;
        json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I, s:I, s:f}", "source", g->source,
            "lang", g->lang, "docs_in", (json_int_t)g->in, "removed_exact", (json_int_t)g->removed_exact,
            "removed_near", (json_int_t)g->removed_near,
            "removed_fraction", g->in ? (double)removed / (double)g->in : 0.0));
    }
    return a;
}

char *dedup_stats_to_json(const DedupStats *st)
{
    json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
        "docs_in", (json_int_t)st->docs_in, "docs_out", (json_int_t)st->docs_out,
        "removed_exact", (json_int_t)st->removed_exact, "removed_near", (json_int_t)st->removed_near,
        "bytes_in", (json_int_t)st->bytes_in, "clusters", (json_int_t)st->clusters,
        "candidates", (json_int_t)st->candidates, "verify_rejected", (json_int_t)st->verify_rejected,
        "runs_spilled", (json_int_t)st->runs_spilled, "merge_passes", (json_int_t)st->merge_passes);
    if (!o) return NULL;
    json_object_set_new(o, "phase1_resumed", json_boolean(st->phase1_resumed));
    json_object_set_new(o, "resumed_docs", json_integer((json_int_t)st->resumed_docs));
    json_object_set_new(o, "mem_planned", json_integer((json_int_t)st->mem_planned));
    json_object_set_new(o, "cluster_sizes", hist_json(st));
    json_object_set_new(o, "groups", groups_json(st));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int64_t dedup_time_parse(const char *s)
{
    if (!s) return INT64_MIN;
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return INT64_MIN;
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return INT64_MIN;
    const char *p = s + 10;
    int64_t off = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        int m = 0;
        if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &m) != 3 || m != 8) return INT64_MIN;
        p += 9;
        if (*p == '.') for (p++; *p >= '0' && *p <= '9'; p++) {}
        int oh, om;
        if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2)
            off = (*p == '+' ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
    }
    return days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec - off;
}
