/* cli_common.c: error reporting and the progress display shared by all
 * subcommands. The progress display draws a bar with rate and ETA when stderr
 * is a terminal, and otherwise prints a plain log line at most every 10 s so
 * batch logs (Slurm, CI) stay readable. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

int cli_parse_u64(const char *s, const char *name, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || errno || s[0] == '-') {
        cli_errorf("%s: not a number: '%s'", name, s);
        return -1;
    }
    *out = v;
    return 0;
}

char *cli_command_line(int argc, char **argv)
{
    size_t n = 16;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
    char *s = malloc(n);
    if (!s) return NULL;
    strcpy(s, "jaforge");
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

void cli_output_stem(const JfPathList *inputs, size_t i, char *out, size_t cap)
{
    jf_fs_stem(inputs->paths[i], out, cap);
    int same = 1;
    char other[4096];
    for (size_t k = 0; k < i; k++) {
        jf_fs_stem(inputs->paths[k], other, sizeof other);
        if (!strcmp(other, out)) same++;
    }
    if (same > 1) {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "-%d", same);
    }
}

void cli_report(const JfError *err)
{
    char buf[768];
    jf_error_format(err, buf, sizeof buf);
    fprintf(stderr, "jaforge: %s\n", buf);
}

void cli_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("jaforge: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_exit_code(JfStatus st)
{
    if (st == JF_OK || st == JF_DONE || st == JF_ROW) return CLI_EXIT_OK;
    return st == JF_EUSAGE ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void cli_progress_start(CliProgress *p, const char *label, const char *unit, uint64_t total,
                        bool quiet)
{
    memset(p, 0, sizeof *p);
    p->label = label;
    p->unit = unit;
    p->total = total;
    p->t_start = p->t_last = cli_now();
    p->tty = isatty(STDERR_FILENO);
    p->quiet = quiet;
}

/* 1234567 -> "1.2M" */
static void human(double v, char *buf, size_t cap)
{
    const char *suffix = " kMGTP";
    int i = 0;
    while (v >= 1000.0 && i < 5) { v /= 1000.0; i++; }
    if (i == 0) snprintf(buf, cap, "%.0f", v);
    else snprintf(buf, cap, "%.1f%c", v, suffix[i]);
}

static void hms(double s, char *buf, size_t cap)
{
    if (s < 0 || s > 1e7) { snprintf(buf, cap, "--:--"); return; }
    unsigned t = (unsigned)(s + 0.5);
    if (t >= 3600) snprintf(buf, cap, "%u:%02u:%02u", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, cap, "%02u:%02u", t / 60, t % 60);
}

static void progress_draw(CliProgress *p, double now, const char *note, bool final)
{
    double el = now - p->t_start;
    double rate = el > 0 ? (double)p->done / el : 0;
    char done[16], total[16], r[16], eta[16];
    human((double)p->done, done, sizeof done);
    human((double)p->total, total, sizeof total);
    human(rate, r, sizeof r);
    hms(p->total && rate > 0 ? (double)(p->total - (p->done < p->total ? p->done : p->total)) / rate : -1,
        eta, sizeof eta);
    if (p->tty) {
        char bar[31];
        double frac = p->total ? (double)p->done / (double)p->total : 0;
        if (frac > 1) frac = 1;
        int fill = (int)(frac * 30);
        for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r%-8s [%s] %5.1f%% %s/%s%s %s%s/s ETA %s %s\033[K%s", p->label, bar,
                frac * 100, done, p->total ? total : "?", p->unit, r, p->unit, eta,
                note ? note : "", final ? "\n" : "");
    } else {
        fprintf(stderr, "jaforge: %s: %s/%s %s, %s %s/s, eta %s%s%s\n", p->label, done,
                p->total ? total : "?", p->unit, r, p->unit, eta, note ? ", " : "",
                note ? note : "");
    }
    fflush(stderr);
}

void cli_progress_update(CliProgress *p, uint64_t done, const char *note)
{
    p->done = done;
    if (p->quiet) return;
    double now = cli_now();
    if (now - p->t_last < (p->tty ? 0.2 : 10.0)) return;
    p->t_last = now;
    progress_draw(p, now, note, false);
}

void cli_progress_finish(CliProgress *p, const char *note)
{
    if (p->quiet) return;
    progress_draw(p, cli_now(), note, true);
}
