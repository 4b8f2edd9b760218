/* cli_run.c: `jaforge run PIPELINE --workdir DIR` runs a recipe of
 * pipelines/ (see src/pipeline/pipeline.h) step by step; run it again to
 * resume. `--dry-run` prints the commands instead.
 * Under mpirun every rank plans the same steps; rank 0 owns the run database
 * and runs each step in-process, announcing it to the other ranks, which join
 * the steps that spread their work over MPI (extract, filter, dedup, shard,
 * train)
 * and wait, without spinning, through the others. */
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
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

/* ---- MPI: steps in-process, announced by rank 0 ---- */

/* Commands that spread their own work over the ranks; the others run on
 * rank 0 alone. */
static bool step_is_collective(const PipelineStep *s)
{
    static const char *const NAMES[] = { "extract", "filter", "dedup", "shard", "train" };
    for (size_t k = 0; k < sizeof NAMES / sizeof NAMES[0]; k++)
        if (s->argc > 0 && !strcmp(s->argv[0], NAMES[k])) return true;
    return false;
}

/* Runs the step's subcommand in this process, standard output to log. */
static int run_in_process(const PipelineStep *s, const char *log)
{
    CliMainFn *fn = s->argc > 0 ? cli_command_find(s->argv[0]) : NULL;
    if (!fn) return 127;
    char *argv[PIPELINE_MAX_ARGS + 1];   /* getopt permutes its argv: give it a copy */
    for (size_t a = 0; a < s->argc; a++) argv[a] = s->argv[a];
    argv[s->argc] = NULL;
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        close(fd);
    }
    int code = fn((int)s->argc, argv);
    fflush(stdout);
    if (saved >= 0) {
        dup2(saved, STDOUT_FILENO);
        close(saved);
    }
    return code;
}

/* Open MPI's blocking calls spin; a rank waiting through a step of rank 0
 * alone (tokenizer training, say) would take a core from it. */
static void wait_quietly(MPI_Request *r)
{
    const struct timespec nap = { 0, 2000000 };
    int done = 0;
    for (MPI_Test(r, &done, MPI_STATUS_IGNORE); !done; MPI_Test(r, &done, MPI_STATUS_IGNORE))
        nanosleep(&nap, NULL);
}

/* Rank 0 tells the others which step comes (-1: the end). */
static int64_t announce(int64_t step)
{
    MPI_Request r;
    MPI_Ibcast(&step, 1, MPI_INT64_T, 0, MPI_COMM_WORLD, &r);
    wait_quietly(&r);
    return step;
}

/* The worst exit status of a step over the ranks. */
static int agree(int code)
{
    int worst = code;
    MPI_Request r;
    MPI_Iallreduce(&code, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &r);
    wait_quietly(&r);
    return worst;
}

static int mpi_exec(void *ctx, const PipelineStep *s, size_t i, const char *log)
{
    (void)ctx;
    announce((int64_t)i);
    return agree(run_in_process(s, log));
}

/* Ranks 1..N-1: join the collective steps rank 0 announces. */
static void mpi_follow(const Pipeline *p, const char *workdir, int rank)
{
    for (int64_t i; (i = announce(0)) >= 0 && (size_t)i < p->count;) {
        const PipelineStep *s = &p->steps[i];
        int code = 0;
        if (step_is_collective(s)) {
            char log[PATH_MAX];
            if (snprintf(log, sizeof log, "%s/logs/%s.rank%d.out", workdir, s->name, rank) <
                (int)sizeof log)
                code = run_in_process(s, log);
            else
                code = 126;
        }
        agree(code);
    }
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
    int rank = 0, ranks = 1;
    bool mpi = !dry && cli_mpi_begin(&argc, &argv, &rank, &ranks);
    if (rank > 0) {   /* the same plan on every rank; a rank that failed to plan reported it */
        if (rc == JF_OK) mpi_follow(&p, wdir, rank);
        else announce(0);
    } else if (rc == JF_OK && dry) {
        print_steps(&p);
    } else if (rc == JF_OK) {
        fprintf(stderr, "jaforge: run: %s: %zu steps in %s%s\n", p.name, p.count, workdir,
                ranks > 1 ? " (MPI)" : "");
        rc = pipeline_run(&p, exe, wdir, on_step, ranks > 1 ? mpi_exec : NULL, NULL, &err);
    }
    if (mpi && rank == 0) announce(-1);
    if (rank == 0 && rc != JF_OK) cli_report(&err);
    else if (rank == 0 && !dry) fprintf(stderr, "jaforge: run: %s: done\n", p.name);
    pipeline_free(&p);
    jf_config_close(cfg);
    if (mpi) cli_mpi_end();
    return rank > 0 ? CLI_EXIT_OK : cli_exit_code(rc);
}
