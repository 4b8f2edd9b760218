/* train_driver.c: test driver for the trainer, standing in for `jaforge
 * train` in tests. `train_driver mkdata DIR VOCAB SEQ_LEN SAMPLES` writes the
 * fixture datasets and DIR/plan.json (train_fixture.h); `train_driver run
 * CONFIG [KEY=VALUE ...]` runs train_run, under MPI when launched by mpirun
 * (an error on any rank becomes MPI_Abort). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jf_config.h"
#include "train.h"
#include "train_fixture.h"

static void on_note(const char *msg, void *user)
{
    (void)user;
    fprintf(stderr, "train: %s\n", msg);
}

static int run(int argc, char **argv)
{
    bool mpi = getenv("OMPI_COMM_WORLD_SIZE") != NULL;
    int size = 1;
    if (mpi) {
        MPI_Init(&argc, &argv);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
    }
    JfError err;
    JfConfig *cfg = NULL;
    JfStatus st = jf_config_load(argv[2], &cfg, &err);
    for (int i = 3; i < argc && st == JF_OK; i++) st = jf_config_set(cfg, argv[i], &err);
    TrainHooks hooks = { .on_note = on_note };
    if (st == JF_OK) st = train_run(cfg, &hooks, &err);
    jf_config_close(cfg);
    if (st != JF_OK) {
        fprintf(stderr, "train_driver: %s: %s\n", err.path, err.msg);
        if (size > 1) MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (mpi) MPI_Finalize();
    return st == JF_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 6 && !strcmp(argv[1], "mkdata")) {
        JfError err;
        JfStatus st = fixture_make(argv[2], (uint32_t)atoi(argv[3]), (uint32_t)atoi(argv[4]),
                                   strtoull(argv[5], NULL, 10), "90,8,2", &err);
        if (st != JF_OK) fprintf(stderr, "train_driver: %s: %s\n", err.path, err.msg);
        return st == JF_OK ? 0 : 1;
    }
    if (argc >= 3 && !strcmp(argv[1], "run")) return run(argc, argv);
    fprintf(stderr, "usage: train_driver mkdata DIR VOCAB SEQ_LEN SAMPLES | run CONFIG [K=V...]\n");
    return 2;
}
