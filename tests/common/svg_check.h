/* svg_check.h: what the chart tests (test_svg.c, tests/train/test_train_chart.c)
 * count in an SVG text. Test code only: plain strstr, no XML parsing. */
#ifndef JF_SVG_CHECK_H
#define JF_SVG_CHECK_H

#include <stdio.h>
#include <string.h>

/* Places where what occurs in text (overlapping ones too). */
static inline int svg_count(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)); p++) n++;
    return n;
}

/* Points in the polyline of class cls, -1 when there is none. */
static inline int svg_points_of(const char *text, const char *cls)
{
    char key[64];
    snprintf(key, sizeof key, "<polyline class=\"%s\"", cls);
    const char *p = strstr(text, key);
    if (!p) return -1;
    p = strstr(p, "points=\"") + 8;
    int n = 0;
    for (; *p != '"'; p++) n += *p == ',';
    return n;
}

#endif
