/* cli.h: what the subcommands of `jaforge` share. The CLI is the only layer
 * that prints or exits: it parses options, calls the library, reports errors as
 * "jaforge: FILE[:OFFSET]: reason" on stderr, and maps status to exit codes
 * (0 success, 1 failure of the work, 2 bad usage). */
#ifndef JF_CLI_H
#define JF_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "jf_error.h"
#include "jf_fs.h"

/* Subcommands for stages in progress exist only when built (JF_HAVE_<NAME>,
 * set by src/cli/CMakeLists.txt). */

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

/* One subcommand: argv[0] is the subcommand's name. @return the exit code. */
typedef int CliMainFn(int argc, char **argv);

int cli_version_main(int argc, char **argv);
int cli_extract_main(int argc, char **argv);
int cli_warc_main(int argc, char **argv);
int cli_fetch_main(int argc, char **argv);
int cli_filter_main(int argc, char **argv);
int cli_dedup_main(int argc, char **argv);
int cli_tokenizer_main(int argc, char **argv);
int cli_shard_main(int argc, char **argv);
int cli_blend_main(int argc, char **argv);
int cli_train_main(int argc, char **argv);
int cli_run_main(int argc, char **argv);
int cli_report_main(int argc, char **argv);
int cli_status_main(int argc, char **argv);
/* The subcommand called name (main.c's table), or NULL. */
CliMainFn *cli_command_find(const char *name);

/* MPI (cli_mpi.c). Launched by an MPI starter (Open MPI, PMI, PMIx)? */
bool cli_mpi_launched(void);
/* Initialises MPI when launched by a starter, once per process however
 * deeply nested (`jaforge run` runs steps in-process). @return true when MPI
 * is in use, with *rank and *size (0 and 1 otherwise). Pair with cli_mpi_end. */
bool cli_mpi_begin(int *argc, char ***argv, int *rank, int *size);
void cli_mpi_end(void);
/* Ends every rank of a job of more than one (after the caller reported). */
void cli_mpi_abort(int code);

/* "jaforge ARG..." for the run database's record of invocations (malloc;
 * free with free()). @return NULL on OOM. */
char *cli_command_line(int argc, char **argv);

/* Output file stem for input i of inputs: jf_fs_stem of its name, made unique
 * among the inputs (a second "x.warc.gz" from another folder becomes "x-2");
 * "-" is "stdin". */
void cli_output_stem(const JfPathList *inputs, size_t i, char *out, size_t cap);

/* Parses a whole non-negative decimal number for option name (reported as
 * "NAME: not a number: 'S'"). @return 0, or -1 after reporting. */
int cli_parse_u64(const char *s, const char *name, uint64_t *out);

/* Prints "jaforge: FILE[:OFFSET]: reason" for err on stderr. */
void cli_report(const JfError *err);
/* Prints "jaforge: <formatted>" on stderr. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Maps a status to an exit code (JF_EUSAGE → 2, other errors → 1). */
int  cli_exit_code(JfStatus st);

/* ---- progress: a bar with rate and ETA on a terminal, log lines otherwise ---- */
typedef struct {
    const char *label;       /* "extract" */
    const char *unit;        /* "B", "docs" */
    uint64_t    total;       /* 0 when unknown */
    uint64_t    done;
    double      t_start;     /* seconds, monotonic */
    double      t_last;      /* last time something was printed */
    bool        tty;
    bool        quiet;
} CliProgress;

void   cli_progress_start(CliProgress *p, const char *label, const char *unit, uint64_t total, bool quiet);
void   cli_progress_update(CliProgress *p, uint64_t done, const char *note);
void   cli_progress_finish(CliProgress *p, const char *note);
double cli_now(void);

#endif
