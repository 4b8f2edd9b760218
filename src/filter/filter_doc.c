/* filter_doc.c: what the filter stage does to a document once it has a
 * verdict: a kept document takes the edited text with meta.trimmed_chars and
 * meta.removed_lines; a rejected one gets meta.rejected_by (the failing rules)
 * and meta.filter_profile. `jaforge filter` and the streaming extract (which
 * filters each page as it comes out, with no intermediate file) both go
 * through here, so their outputs are the same bytes. No I/O here. */
#include <string.h>

#include "filter.h"

static void mark_rejected(JfDoc *d, const FilterVerdict *v, const char *profile)
{
    json_t *names = json_array();
    for (size_t i = 0; i < v->n_results; i++)
        if (v->results[i].outcome == FILTER_FAIL)
            json_array_append_new(names, json_string(v->results[i].rule));
    json_object_set_new(d->meta, "rejected_by", names);
    json_object_set_new(d->meta, "filter_profile", json_string(profile));
}

void filter_doc_apply(Filter *f, JfDoc *d, const FilterVerdict *v)
{
    filter_count(f, d->id, v);
    if (!v->keep) {
        mark_rejected(d, v, filter_name(f));
        return;
    }
    if (!v->edited) return;
    d->text[v->text_len] = '\0';   /* the edited text is d->text or a prefix of it */
    d->text_len = v->text_len;
    if (v->trimmed_chars)
        json_object_set_new(d->meta, "trimmed_chars", json_integer((json_int_t)v->trimmed_chars));
    if (v->cut_lines)
        json_object_set_new(d->meta, "removed_lines", json_integer((json_int_t)v->cut_lines));
}

JfStatus filter_doc_judge(Filter *f, JfDoc *d, bool *keep, JfError *err)
{
    FilterVerdict v;
    JfStatus rc = filter_measure(f, d->text, d->text_len, d->url, &v, err);
    if (rc != JF_OK) return rc;
    /* a rewritten text lives in the Filter's buffer: d takes a copy */
    if (v.keep && v.edited && v.text != d->text) {
        if (jf_doc_set(&d->text, v.text, v.text_len) != JF_OK)
            return jf_error_set(err, JF_ENOMEM, NULL, JF_OFFSET_UNKNOWN, "out of memory");
        v.text = d->text;
    }
    filter_doc_apply(f, d, &v);
    *keep = v.keep;
    return JF_OK;
}
