/* cli_warc.c: `jaforge warc index FILE...` and `jaforge warc stats FILE...`.
 * index prints one JSON object per record the way `warcio index -f
 * offset,length,warc-type,warc-target-uri,filename` does (same keys, order
 * and escaping), so the two outputs can be diffed. stats reads every record
 * and prints counts per WARC-Type and the rate. Bad records are reported as
 * "jaforge: FILE:OFFSET: reason" and skipped; the exit code is then 1. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "warc.h"

#define INDEX_DEFAULT_FIELDS "offset,length,warc-type,warc-target-uri,filename"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: jaforge warc index [options] FILE...\n"
        "       jaforge warc stats [options] FILE...\n"
        "\n"
        "Reads WARC/WET files: plain, gzip (one member per record or whole file) or zstd,\n"
        "recognized by content. FILE - reads standard input.\n"
        "\n"
        "  index   one JSON line per record: offset, length, warc-type, warc-target-uri\n"
        "          (omitted when absent), filename; like `warcio index -f\n"
        "          offset,length,warc-type,warc-target-uri,filename`. offset/length are the\n"
        "          gzip member for per-record gzip, else uncompressed bytes.\n"
        "  stats   records per WARC-Type, block bytes, errors and records/s (JSON)\n"
        "\n"
        "options:\n"
        "  -f, --fields LIST     index: fields to print, comma-separated: offset, length,\n"
        "                        filename, or any WARC header name (default\n"
        "                        " INDEX_DEFAULT_FIELDS ")\n"
        "  --max-record-bytes N  skip records whose block is larger (default 64 MiB)\n"
        "  -h, --help            this text\n"
        "\n"
        "Exit status: 0 all records read, 1 some record or file failed (reported on\n"
        "stderr, the others are still printed), 2 bad usage.\n");
}

/* JSON string as JSON.stringify writes it: escapes ", \ and control bytes,
 * leaves other bytes (UTF-8) as they are. */
static void json_string(FILE *out, const char *s)
{
    putc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':  fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\b': fputs("\\b", out); break;
        case '\f': fputs("\\f", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20) fprintf(out, "\\u%04x", *p);
            else putc(*p, out);
        }
    }
    putc('"', out);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

typedef struct {
    const char *name;
    uint64_t    count;
} TypeCount;

typedef struct {
    TypeCount types[16];      /* the 8 WARC types and a few unknown ones */
    size_t    n_types;
    uint64_t  records, errors, block_bytes, file_bytes;
    char      names[16][32];
} WarcStats;

static void stats_add(WarcStats *st, const WarcRecord *rec)
{
    st->records++;
    st->block_bytes += rec->body_len;
    for (size_t i = 0; i < st->n_types; i++) {
        if (!strcmp(st->types[i].name, rec->type)) {
            st->types[i].count++;
            return;
        }
    }
    if (st->n_types == 16) return;
    snprintf(st->names[st->n_types], sizeof st->names[0], "%s", rec->type);
    st->types[st->n_types] = (TypeCount){ st->names[st->n_types], 1 };
    st->n_types++;
}

/* Prints the fields of rec named in fields (comma-separated) as warcio does:
 * offset and length as numbers, filename, and any WARC header by name
 * (omitted when the record lacks it). */
static void index_print(const WarcRecord *rec, const char *fname, const char *fields)
{
    char name[128];
    bool first = true;
    putchar('{');
    for (const char *f = fields; *f;) {
        size_t n = strcspn(f, ",");
        snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), f);
        f += n + (f[n] == ',');
        const char *val = NULL;
        char num[32];
        bool is_num = false;
        if (!strcmp(name, "offset") || !strcmp(name, "length")) {
            snprintf(num, sizeof num, "%llu",
                     (unsigned long long)(name[0] == 'o' ? rec->offset : rec->length));
            val = num;
            is_num = true;
        } else if (!strcmp(name, "filename")) {
            val = fname;
        } else if (!strcmp(name, "warc-target-uri")) {
            val = rec->target_uri;
        } else {
            val = warc_record_header(rec, name);
        }
        if (!val) continue;
        printf("%s\"%s\":", first ? "" : ",", name);
        if (is_num) fputs(val, stdout);
        else json_string(stdout, val);
        first = false;
    }
    fputs("}\n", stdout);
}

/* Reads one file; bad records are reported and counted. @return false when the
 * file could not be read to its end. */
static bool warc_run_file(const char *path, const WarcReaderOptions *opt, const char *index,
                          WarcStats *st)
{
    WarcReader *r = NULL;
    JfError err;
    jf_error_clear(&err);
    JfStatus rc = warc_reader_open(path, opt, &r, &err);
    if (rc != JF_OK) {
        cli_report(&err);
        st->errors++;
        return false;
    }
    WarcRecord rec;
    const char *fname = base_name(path);
    bool ok = true;
    while ((rc = warc_reader_next(r, &rec, &err)) != JF_DONE) {
        if (rc == JF_ROW) {
            if (index) index_print(&rec, fname, index);
            else stats_add(st, &rec);
            continue;
        }
        cli_report(&err);
        st->errors++;
        if (rc != JF_EFORMAT && rc != JF_ETRUNC && rc != JF_ETOOBIG) {
            ok = false;   /* I/O error or out of memory: this file is over */
            break;
        }
    }
    st->file_bytes += warc_reader_bytes_read(r);
    warc_reader_close(r);
    return ok;
}

static void stats_print(const WarcStats *st, double secs)
{
    printf("{\"records\":%llu,\"errors\":%llu,\"block_bytes\":%llu,\"file_bytes\":%llu,"
           "\"seconds\":%.3f,\"records_per_s\":%.0f,\"file_mb_per_s\":%.1f,\"types\":{",
           (unsigned long long)st->records, (unsigned long long)st->errors,
           (unsigned long long)st->block_bytes, (unsigned long long)st->file_bytes, secs,
           secs > 0 ? (double)st->records / secs : 0.0,
           secs > 0 ? (double)st->file_bytes / 1e6 / secs : 0.0);
    for (size_t i = 0; i < st->n_types; i++) {
        if (i) putchar(',');
        json_string(stdout, st->types[i].name);
        printf(":%llu", (unsigned long long)st->types[i].count);
    }
    printf("}}\n");
}

int cli_warc_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "max-record-bytes", required_argument, NULL, 'm' },
        { "fields",           required_argument, NULL, 'f' },
        { "help",             no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    const char *index = !strcmp(cmd, "index") ? INDEX_DEFAULT_FIELDS : NULL;
    if (!index && strcmp(cmd, "stats")) {
        cli_errorf("warc: unknown command '%s' (see jaforge warc --help)", cmd);
        return CLI_EXIT_USAGE;
    }
    WarcReaderOptions opt = { 0 };
    argc--;
    argv++;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "hf:", longopts, NULL)) != -1;) {
        switch (c) {
        case 'f':
            if (!index || !*optarg) {
                cli_errorf("warc: --fields needs a list and goes with index");
                return CLI_EXIT_USAGE;
            }
            index = optarg;
            break;
        case 'm': {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*end || !v) {
                cli_errorf("warc: bad --max-record-bytes '%s'", optarg);
                return CLI_EXIT_USAGE;
            }
            opt.max_record_bytes = (size_t)v;
            break;
        }
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cli_errorf("warc %s: no input file (see jaforge warc --help)", cmd);
        return CLI_EXIT_USAGE;
    }
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    WarcStats st;
    memset(&st, 0, sizeof st);
    double t0 = cli_now();
    for (int i = optind; i < argc; i++) warc_run_file(argv[i], &opt, index, &st);
    if (!index) stats_print(&st, cli_now() - t0);
    if (fflush(stdout) != 0) {
        cli_errorf("warc: cannot write standard output");
        return CLI_EXIT_FAIL;
    }
    return st.errors ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
