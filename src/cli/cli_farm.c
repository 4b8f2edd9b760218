/* cli_farm.c: the MPI task farm of cli_farm.h. Tags: TASK (rank 0 -> worker,
 * one int64, -1 = stop) and RESULT (worker -> rank 0, bytes). Rank 0 polls
 * with MPI_Iprobe and sleeps a millisecond when nothing came: a blocking
 * receive in Open MPI spins and would take a core from rank 0's own
 * extraction threads. */
#include "cli_farm.h"

#include <mpi.h>
#include <stdlib.h>
#include <time.h>

enum { TAG_TASK = 7301, TAG_RESULT = 7302 };

/* Sends worker r its next task (-1: stop). @return the task sent. */
static int64_t give(const CliFarm *f, int r)
{
    int64_t t = f->next(f->ctx);
    MPI_Send(&t, 1, MPI_INT64_T, r, TAG_TASK, MPI_COMM_WORLD);
    return t;
}

void cli_farm_lead(const CliFarm *f, int size)
{
    int64_t *busy = malloc((size_t)size * sizeof *busy);   /* task of each rank, -1: stopped */
    int active = 0;
    for (int r = 1; r < size; r++) {
        busy[r] = give(f, r);
        active += busy[r] >= 0;
    }
    const struct timespec nap = { 0, 1000000 };
    while (active > 0) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &st);
        if (!flag) {
            nanosleep(&nap, NULL);
            continue;
        }
        int len = 0, r = st.MPI_SOURCE;
        MPI_Get_count(&st, MPI_BYTE, &len);
        char *buf = malloc(len > 0 ? (size_t)len : 1);
        MPI_Recv(buf, len, MPI_BYTE, r, TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        f->done(f->ctx, busy[r], buf, (size_t)len);
        free(buf);
        busy[r] = give(f, r);
        active -= busy[r] < 0;
    }
    free(busy);
}

void cli_farm_serve(const CliFarm *f)
{
    for (;;) {
        int64_t t;
        MPI_Recv(&t, 1, MPI_INT64_T, 0, TAG_TASK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (t < 0) return;
        void *res = NULL;
        size_t len = 0;
        f->work(f->ctx, t, &res, &len);
        MPI_Send(res, (int)len, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
        free(res);
    }
}
