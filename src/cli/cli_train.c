/* cli_train.c: `jaforge train --config FILE [--set KEY=VALUE ...]`. Parses
 * options, starts MPI when launched by mpirun, runs train_run (src/train) and
 * prints its notes and one line per step on rank 0. Under MPI, an error on
 * any rank is reported and turned into MPI_Abort so no rank hangs in a
 * collective. Keys and outputs: docs/train.md. */
#include <getopt.h>
#include <math.h>
#include <mpi.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jf_config.h"
#include "train.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: jaforge train --config FILE [--set SECTION.KEY=VALUE ...] [--quiet]\n"
        "       mpirun -n N jaforge train --config FILE ...\n"
        "\n"
        "Trains a LLaMA-style model on the samples of a blend plan (jaforge blend), in\n"
        "Megatron's order; data parallel over MPI ranks. Writes OUT/log.csv, checkpoints\n"
        "OUT/ckpt-STEP.bin (llama2.c format), OUT/optim-STEP.bin and OUT/state.json;\n"
        "resumes when OUT/state.json exists. Keys: docs/train.md; at least data.plan,\n"
        "train.steps, out.dir (and model.vocab_size without init.checkpoint).\n"
        "\n"
        "options:\n"
        "  -c, --config FILE   INI configuration (pipelines/train-tiny.conf)\n"
        "  -s, --set K=V       override a key (repeatable)\n"
        "  -q, --quiet         no per-step lines\n"
        "  -h, --help          this text\n");
}

static void on_note(const char *msg, void *user)
{
    (void)user;
    fprintf(stderr, "jaforge train: %s\n", msg);
}

static void on_step(const TrainStepInfo *s, void *user)
{
    if (*(const bool *)user) return;
    fprintf(stderr, "step %llu/%llu loss %.4f lr %.3g norm %.3f %.0f tok/s mfu %.1f%%",
            (unsigned long long)s->step, (unsigned long long)s->steps, s->loss, s->lr,
            s->grad_norm, s->tokens_per_s, 100 * s->mfu);
    if (!isnan(s->val_loss)) fprintf(stderr, " val %.4f", s->val_loss);
    if (!isnan(s->val_lang[0])) fprintf(stderr, " ja %.4f", s->val_lang[0]);
    if (!isnan(s->val_lang[1])) fprintf(stderr, " en %.4f", s->val_lang[1]);
    fputc('\n', stderr);
}

/* Launched by an MPI starter (Open MPI, PMI, PMIx)? Then MPI_Init; alone, no MPI. */
static bool mpi_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

static JfStatus config_build(int argc, char **argv, JfConfig **out, bool *quiet, JfError *err)
{
    static const struct option LONG[] = {
        { "config", required_argument, 0, 'c' }, { "set", required_argument, 0, 's' },
        { "quiet", no_argument, 0, 'q' },        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *path = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:s:qh", LONG, NULL)) != -1) {
        if (c == 'c') path = optarg;
        else if (c == 'q') *quiet = true;
        else if (c == 'h') { usage(stdout); return JF_DONE; }
        else if (c != 's') { usage(stderr); return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN, "bad option"); }
    }
    if (!path || optind != argc)
        return jf_error_set(err, JF_EUSAGE, NULL, JF_OFFSET_UNKNOWN,
                            "train: expected --config FILE and no other arguments");
    JfStatus st = jf_config_load(path, out, err);
    optind = 1;
    while (st == JF_OK && (c = getopt_long(argc, argv, "c:s:qh", LONG, NULL)) != -1)
        if (c == 's') st = jf_config_set(*out, optarg, err);
    return st;
}

int cli_train_main(int argc, char **argv)
{
    bool mpi = mpi_launched(), quiet = false;
    int rank = 0, size = 1;
    if (mpi) {
        MPI_Init(&argc, &argv);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
    }
    JfError err;
    jf_error_clear(&err);
    JfConfig *cfg = NULL;
    JfStatus st = config_build(argc, argv, &cfg, &quiet, &err);
    if (st == JF_OK) {
        TrainHooks hooks = { .on_step = on_step, .on_note = on_note, .user = &quiet };
        st = train_run(cfg, &hooks, &err);
    }
    jf_config_close(cfg);
    if (st != JF_OK && st != JF_DONE) {
        cli_report(&err);   /* every failing rank: the one that failed says why */
        if (size > 1) MPI_Abort(MPI_COMM_WORLD, cli_exit_code(st));
    }
    if (mpi) MPI_Finalize();
    return st == JF_DONE ? CLI_EXIT_OK : cli_exit_code(st);
}
