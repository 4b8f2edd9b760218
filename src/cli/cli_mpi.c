/* cli_mpi.c: MPI for the subcommands that use it (extract, dedup, shard,
 * train, run). A subcommand launched by mpirun or srun initialises MPI here;
 * `jaforge run` under mpirun runs its steps in the same process, so
 * initialisation nests: only the outermost begin initialises and only its
 * end finalises (MPI cannot be initialised twice in a process).
 * Does not do: any communication; each subcommand has its own protocol. */
#include <mpi.h>
#include <stdlib.h>

#include "cli.h"

static int depth;          /* begins not yet ended */
static bool we_initialised;

bool cli_mpi_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

bool cli_mpi_begin(int *argc, char ***argv, int *rank, int *size)
{
    *rank = 0;
    *size = 1;
    if (!cli_mpi_launched()) return false;
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) {
        /* SERIALIZED: extract's rank 0 talks to the workers from one thread
         * while its own extraction threads run (they never call MPI). */
        int provided;
        MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided);
        we_initialised = true;
    }
    depth++;
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    return true;
}

void cli_mpi_end(void)
{
    if (depth == 0) return;
    if (--depth == 0 && we_initialised) {
        MPI_Finalize();
        we_initialised = false;
    }
}

void cli_mpi_abort(int code)
{
    int inited = 0, size = 1;
    MPI_Initialized(&inited);
    if (inited) MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 1) MPI_Abort(MPI_COMM_WORLD, code);
}
