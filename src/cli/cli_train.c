/* cli_train.c: `jaforge train --config FILE [--set KEY=VALUE ...]`. Parses
 * options, starts MPI when launched by mpirun (cli_mpi.c: once per process,
 * also when `jaforge run` calls this in-process), runs train_run
 * (src/train) and prints its notes and one line per step on rank 0. Under
 * MPI, an error on any rank is reported and turned into MPI_Abort so no
 * rank hangs in a collective. Keys and outputs: docs/train.md. */
#include <getopt.h>
#include <math.h>
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
        "Megatron's order; data parallel over MPI ranks (gradients reduced in buckets\n"
        "during backward; train.zero = 1 shards the optimizer). Writes OUT/log.csv,\n"
        "the loss chart OUT/loss.svg, checkpoints OUT/ckpt-STEP.bin (llama2.c format),\n"
        "OUT/optim-STEP.bin and OUT/state.json; resumes when OUT/state.json exists.\n"
        "Keys: docs/train.md; at least data.plan, train.steps, out.dir (and\n"
        "model.vocab_size without init.checkpoint).\n"
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
    bool quiet = false;
    int rank, size;
    /* MPI once per process: `jaforge run` under mpirun calls this in-process */
    bool mpi = cli_mpi_begin(&argc, &argv, &rank, &size);
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
        cli_mpi_abort(cli_exit_code(st));
    }
    if (mpi) cli_mpi_end();
    return st == JF_DONE ? CLI_EXIT_OK : cli_exit_code(st);
}
