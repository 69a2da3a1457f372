/*
 * cli.h -- shared helpers of the `cryofib` command (private to cli/).
 *
 * The command is a thin client of the public API: each subcommand parses
 * its options into a job's parameter struct and makes one job call
 * through cli_job_run() (the jobs refuse outputs that are inputs,
 * fib/job_paths.h); exit codes: 0 success, 1 failure of the work, 2 bad
 * usage or bad input.
 */
#ifndef FIB_CLI_H
#define FIB_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "fib/job.h"
#include "fib/job_paths.h"
#include "fib/params.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

/* One subcommand: name, one-line summary, entry point.  argv[0] is the
 * subcommand name. */
typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} cli_command;

#define CLI_CMD(name, summary) int cli_cmd_##name(int argc, char **argv);
#define CLI_CMD_NAMED(name, word, summary)                                     \
    int cli_cmd_##name(int argc, char **argv);
#include "commands.h"
#undef CLI_CMD_NAMED
#undef CLI_CMD

/* Print "cryofib CMD: MESSAGE" for a failed call and return the exit code
 * for @p st (2 for bad input, 1 otherwise; 128 + the signal for
 * FIB_ECANCELED after SIGINT/SIGTERM). */
int cli_fail(const char *cmd, fib_status st, const fib_error *err);

/* Print "cryofib CMD: MESSAGE" (printf-style) and return 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* True when argv holds -h or --help (before "--"). */
bool cli_wants_help(int argc, char **argv);

/* Parse a double / size option value; on error print a one-line message
 * naming the option and return false. */
bool cli_parse_double(const char *cmd, const char *opt, const char *text,
                      double *out);
/* --memory SIZE: a size of at least 1M, or 0 (the default budget). */
bool cli_parse_memory(const char *cmd, const char *text, size_t *out);
bool cli_parse_size(const char *cmd, const char *opt, const char *text,
                    size_t *out);
/* "x,y,w,h" with w, h > 0 into @p r; else print the error, false. */
bool cli_parse_rect(const char *cmd, const char *opt, const char *t,
                    size_t r[4]);
/* "NAME=SRC" with NAME a plain word (no '/', '\\', ' ', '.'): both
 * malloc'ed into *name, *value; else print the error naming @p opt and
 * return false. */
bool cli_parse_name_value(const char *cmd, const char *opt, const char *t,
                          char **name, char **value);

/* Physical range of a pixel size, voxel size or slice thickness given on
 * the command line, nm (0.01 nm .. 1 mm; recon/README.md): below, a unit
 * mistake or garbage that overflows voxel-count conversions. */
#define CLI_MIN_LENGTH_NM 0.01
#define CLI_MAX_LENGTH_NM 1e6
static inline bool cli_length_nm_ok(double v)
{
    return v >= CLI_MIN_LENGTH_NM && v <= CLI_MAX_LENGTH_NM;
}

/* A command's options (getopt_long, no error printing by getopt): each
 * row a long name, whether it takes a value, the value getopt returns
 * (a short option letter in @p shortopts, or any int; 0: CLI_OPT_AUTO +
 * the row's index) and where it goes:
 * @p str (set to the value) or @p flag (set true), else @p fn(@p ctx,
 * val, value) decides (returns 0 or the exit status after printing).  An
 * option not in the table prints "cryofib CMD: " @p unknown (a format
 * with one %s: the word) and returns 2.  0 when all were taken; optind
 * is then the first operand. */
typedef struct cli_opt {
    const char *name;
    int has_arg; /* no_argument, required_argument, optional_argument */
    int val;
    const char **str;
    bool *flag;
} cli_opt;
typedef int (*cli_opt_fn)(void *ctx, int val, const char *value);
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const cli_opt *rows, size_t n_rows, cli_opt_fn fn, void *ctx,
               const char *unknown);
enum { CLI_OPT_AUTO = 4096, CLI_MAX_OPTS = 96 };
/* rows: a value or a flag for @p fn (value CLI_OPT_AUTO + index, or c),
 * a string, a bool */
/* clang-format off */
#define CLI_ARG(name) {name, required_argument, 0, 0, 0}
#define CLI_NOARG(name) {name, no_argument, 0, 0, 0}
#define CLI_VAL(name, c) {name, required_argument, c, 0, 0}
#define CLI_SW(name, c) {name, no_argument, c, 0, 0}
#define CLI_STR(name, c, s) {name, required_argument, c, s, 0}
#define CLI_FLAG(name, c, f) {name, no_argument, c, 0, f}
/* clang-format on */
#define CLI_UNKNOWN "unknown or incomplete option '%s'"
#define CLI_UNKNOWN_SEE CLI_UNKNOWN " (see --help)"

/* The one way a command runs its job: the progress bar on stderr (none
 * with CLI_JOB_QUIET), a fresh output transaction in env.txn (none, and
 * no SIGINT handler, with CLI_JOB_NO_TXN: a job that writes nothing),
 * @p fn(@p ctx, &env, &err), cli_fail() on its failure, then
 * the commit (or abort).  Every message line of the job is held, in
 * order, and printed only once the outputs are committed (FIB_JOB_RESULT
 * lines to stdout, notes and warnings to stderr, stdout flushed first), so
 * that a failure is the one line on stderr.  The bar (on a terminal only)
 * and the SIGINT/SIGTERM handler turn Ctrl-C or kill into FIB_ECANCELED:
 * the staged outputs are removed and the exit status is 128 + the signal
 * (130, 143); a signal after the commit point still exits with it.
 * CLI_JOB_LIVE: a job that commits its own stages (the demo): no caller
 * transaction, lines printed as they come, the bar and the handler kept.
 * Returns the exit status. */
enum { CLI_JOB_QUIET = 1, CLI_JOB_NO_TXN = 2, CLI_JOB_LIVE = 4 };
extern fib_comm
    *cli_ranks; /* MPI (main.c; NULL: one process); rank 0 commits */
typedef fib_status (*cli_job_fn)(const void *ctx, const fib_job_env *env,
                                 fib_error *err);
int cli_job_run(const char *cmd, unsigned flags, cli_job_fn fn,
                const void *ctx);

/* Command-line options from a parameter table (fib/params.h; cli_params.c).
 * cli_params_options() fills cli_getopt() rows (value base + row index) for
 * the rows without FIB_PARAM_NO_CLI, naming them in @p names ("slice_nm"
 * -> "slice-nm"); returns the count (at most @p cap).  cli_params_parse()
 * stores @p text (NULL for a flag) in @p obj after the row's range check;
 * on error it prints one line naming the option and the limit and returns
 * false (on the command line 0 = auto is the option left out).
 * cli_params_help() prints the rows' --help lines. */
typedef struct cli_param_name {
    char s[48];
} cli_param_name;
size_t cli_params_options(const fib_param_table *t, int base, cli_opt *lo,
                          cli_param_name *names, size_t cap);
bool cli_params_parse(const char *cmd, const fib_param *p, void *obj,
                      const char *text);
void cli_params_help(const fib_param_table *t);

#endif
