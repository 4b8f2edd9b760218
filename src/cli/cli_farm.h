/* cli_farm.h: hands the inputs of a per-input stage (extract, filter) out to
 * MPI ranks, dynamically: rank 0 owns the run database and decides what is
 * left to do; each worker rank asks for the next input when it finishes one,
 * does it (writing its own output files, named by the input, so the result
 * is the same for any number of ranks) and sends back a result record that
 * rank 0 commits. Workers never open SQLite.
 * Rank 0 keeps working too: the farm runs in rank 0's main thread, polling,
 * while the stage's own threads extract; only this thread calls MPI. */
#ifndef JF_CLI_FARM_H
#define JF_CLI_FARM_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    /* rank 0: the next task to hand out, or -1 when none is left (or the
     * stage stops on an error). */
    int64_t (*next)(void *ctx);
    /* rank 0: a worker's result for task (bytes, as sent). */
    void (*done)(void *ctx, int64_t task, const void *result, size_t len);
    /* workers: does task; *result (malloc'ed, freed by the farm) is sent to
     * rank 0. */
    void (*work)(void *ctx, int64_t task, void **result, size_t *len);
    void *ctx;
} CliFarm;

/* Rank 0: serves ranks 1..size-1 until every one has been told to stop. */
void cli_farm_lead(const CliFarm *f, int size);
/* Ranks 1..size-1: asks, works and answers until rank 0 says stop. */
void cli_farm_serve(const CliFarm *f);

#endif
