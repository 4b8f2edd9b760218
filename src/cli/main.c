/* main.c: `jaforge SUBCOMMAND ...` dispatch. Nothing but the table. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    CliMainFn  *fn;
    const char *help;
} COMMANDS[] = {
    { "extract", cli_extract_main, "WARC/WET files -> Japanese/English documents (*.jsonl.zst)" },
    { "warc",    cli_warc_main,    "inspect WARC files (warc index FILE...)" },
#ifdef JF_HAVE_FETCH
    { "fetch",   cli_fetch_main,   "download the files of a manifest (parallel, resumable, verified)" },
#endif
#ifdef JF_HAVE_FILTER
    { "filter",  cli_filter_main,  "quality-filter documents with a rule profile" },
#endif
#ifdef JF_HAVE_DEDUP
    { "dedup",   cli_dedup_main,   "remove exact and near-duplicate documents" },
#endif
#ifdef JF_HAVE_TOKENIZER
    { "tokenizer", cli_tokenizer_main, "train, extend, encode, decode SentencePiece BPE models" },
#endif
#ifdef JF_HAVE_SHARD
    { "shard",   cli_shard_main,   "write, inspect, verify Megatron indexed datasets" },
#endif
#ifdef JF_HAVE_TRAIN
    { "train",   cli_train_main,   "train a LLaMA-style model on blended shards (MPI data parallel)" },
#endif
#ifdef JF_HAVE_REPORT
    { "report",  cli_report_main,  "an HTML report with charts of a work directory" },
#endif
#ifdef JF_HAVE_BLEND
    { "blend",   cli_blend_main,   "plan a JA:EN mixture in Megatron's sample order" },
#endif
    { "run",     cli_run_main,     "run a recipe of pipelines/ (resumable)" },
    { "status",  cli_status_main,  "progress of a work directory" },
    { "version", cli_version_main, "print versions of jaforge and its libraries" },
};

CliMainFn *cli_command_find(const char *name)
{
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (!strcmp(name, COMMANDS[i].name)) return COMMANDS[i].fn;
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: jaforge [--version] [--help] COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(f, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].help);
    fprintf(f, "\nRun `jaforge COMMAND --help` for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) return cli_version_main(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (!strcmp(argv[1], COMMANDS[i].name)) return COMMANDS[i].fn(argc - 1, argv + 1);
    cli_errorf("unknown command '%s' (see jaforge --help)", argv[1]);
    return CLI_EXIT_USAGE;
}
