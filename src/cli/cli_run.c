/* cli_run.c: `jaforge run PIPELINE --workdir DIR` runs a recipe of
 * pipelines/ (see src/pipeline/pipeline.h) step by step; run it again to
 * resume. `--dry-run` prints the commands instead. */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "jf_config.h"
#include "pipeline.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: jaforge run PIPELINE --workdir DIR [--set KEY=VALUE ...] [--dry-run]\n"
        "\n"
        "Runs a recipe (an INI file such as pipelines/demo.conf): extract, filter, dedup,\n"
        "tokenizer, shard, blend and train steps, each one jaforge command whose outputs\n"
        "the next reads from DIR. Finished steps are remembered in DIR/jaforge.db: run the\n"
        "same command again to resume after a crash; a step whose settings changed runs again.\n"
        "\n"
        "  --workdir DIR     where every output goes (required)\n"
        "  --set KEY=VALUE   override a recipe key (section.key); data=DIR sets ${DATA}\n"
        "  --dry-run         print the steps' commands and stop\n"
        "  --until STEP      stop after STEP (a step name as --dry-run and status show them)\n"
        "  -h, --help        this text\n");
}

static void on_step(void *ctx, const PipelineStep *s, size_t i, size_t n, int skipped)
{
    (void)ctx;
    fprintf(stderr, "jaforge: run: [%zu/%zu] %s%s\n", i + 1, n, s->name,
            skipped ? " (done before, skipped)" : "");
}

static void print_steps(const Pipeline *p)
{
    for (size_t i = 0; i < p->count; i++) {
        printf("jaforge");
        for (size_t a = 0; a < p->steps[i].argc; a++) printf(" %s", p->steps[i].argv[a]);
        printf("\n");
    }
}

int cli_run_main(int argc, char **argv)
{
    static const struct option LONG[] = {
        { "workdir", required_argument, 0, 'w' }, { "set", required_argument, 0, 's' },
        { "dry-run", no_argument, 0, 'n' },        { "help", no_argument, 0, 'h' },
        { "until", required_argument, 0, 'u' },
        { 0, 0, 0, 0 },
    };
    const char *workdir = NULL, *until = NULL, *sets[64];
    size_t nsets = 0;
    bool dry = false;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "w:s:nhu:", LONG, NULL)) != -1;) {
        if (c == 'w') workdir = optarg;
        else if (c == 'u') until = optarg;
        else if (c == 's' && nsets < 64) sets[nsets++] = optarg;
        else if (c == 'n') dry = true;
        else if (c == 'h') { usage(stdout); return CLI_EXIT_OK; }
        else { usage(stderr); return CLI_EXIT_USAGE; }
    }
    if (!workdir || optind + 1 != argc) {
        cli_errorf("run: PIPELINE and --workdir DIR are required (see jaforge run --help)");
        return CLI_EXIT_USAGE;
    }
    JfError err;
    jf_error_clear(&err);
    JfConfig *cfg = NULL;
    JfStatus rc = jf_config_load(argv[optind], &cfg, &err);
    for (size_t i = 0; rc == JF_OK && i < nsets; i++) rc = jf_config_set(cfg, sets[i], &err);
    char pdir[PATH_MAX], wdir[PATH_MAX], exe[PATH_MAX];
    snprintf(pdir, sizeof pdir, "%s", argv[optind]);
    snprintf(wdir, sizeof wdir, "%s", workdir);
    Pipeline p = { 0 };
    if (rc == JF_OK) rc = pipeline_plan(cfg, dirname(pdir), wdir, &p, &err);
    if (rc == JF_OK && until) {   /* keep the steps up to and including it */
        size_t k = 0;
        while (k < p.count && strcmp(p.steps[k].name, until)) k++;
        if (k == p.count) rc = jf_error_set(&err, JF_EUSAGE, argv[optind], JF_OFFSET_UNKNOWN,
                                            "--until: no step named '%s'", until);
        else pipeline_truncate(&p, k + 1);
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    if (rc == JF_OK && dry) print_steps(&p);
    else if (rc == JF_OK) {
        fprintf(stderr, "jaforge: run: %s: %zu steps in %s\n", p.name, p.count, workdir);
        rc = pipeline_run(&p, exe, wdir, on_step, NULL, &err);
    }
    if (rc != JF_OK) cli_report(&err);
    else if (!dry) fprintf(stderr, "jaforge: run: %s: done\n", p.name);
    pipeline_free(&p);
    jf_config_close(cfg);
    return cli_exit_code(rc);
}
