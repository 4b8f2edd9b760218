/* cli_report.c: `jaforge report DIR` writes DIR/report/index.html, a
 * self-contained HTML page with charts of a work directory (see
 * src/report/report.h). Only parses options and prints; the page is the
 * report library's. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: jaforge report [--quiet] DIR\n"
        "\n"
        "Writes DIR/report/index.html: one self-contained HTML page (inline SVG charts,\n"
        "no scripts, nothing fetched) about a work directory made by `jaforge run`:\n"
        "documents and characters through each stage, filter rules, extract drop reasons,\n"
        "languages and sources, document lengths, dedup clusters, characters per token,\n"
        "requested versus realized mixture, training and validation loss. Parts not run\n"
        "yet are shown as \"not run\".\n"
        "\n"
        "  -q, --quiet   print nothing on success\n"
        "  -h, --help    this help\n");
}

int cli_report_main(int argc, char **argv)
{
    static const struct option OPTS[] = {
        { "quiet", no_argument, NULL, 'q' },
        { "help",  no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", OPTS, NULL)) != -1) {
        if (c == 'q') quiet = true;
        else if (c == 'h') {
            usage(stdout);
            return CLI_EXIT_OK;
        } else {
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    ReportSummary sum;
    JfError err;
    jf_error_clear(&err);
    JfStatus rc = report_write(argv[optind], &sum, &err);
    if (rc != JF_OK) {
        cli_report(&err);
        return rc == JF_EUSAGE ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    }
    if (!quiet)
        printf("%s: %zu sections (%zu not run), %llu documents read, %llu unreadable skipped\n",
               sum.path, sum.sections, sum.sections_not_run, (unsigned long long)sum.documents,
               (unsigned long long)sum.bad);
    return CLI_EXIT_OK;
}
