/*
 * cli.h -- shared helpers of the `cryofib` command (private to cli/).
 *
 * The command is a thin client of the public API: it parses options,
 * calls the library, prints results and maps status codes to exit codes
 * (0 success, 1 failure of the work, 2 bad usage or bad input).
 */
#ifndef FIB_CLI_H
#define FIB_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "fib/common.h"
#include "fib/correct.h"
#include "fib/progress.h"

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
 * for @p st (2 for bad input, 1 otherwise). */
int cli_fail(const char *cmd, fib_status st, const fib_error *err);

/* Print "cryofib CMD: MESSAGE" (printf-style) and return 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* True when argv holds -h or --help. */
bool cli_wants_help(int argc, char **argv);

/* Parse a double / size option value; on error print a one-line message
 * naming the option and return false. */
bool cli_parse_double(const char *cmd, const char *opt, const char *text,
                      double *out);
bool cli_parse_size(const char *cmd, const char *opt, const char *text,
                    size_t *out);
/* Parse an integer in [lo, hi]; on error print "OPT must be an integer
 * LO..HI (got TEXT)" and return false. */
bool cli_parse_uint(const char *cmd, const char *opt, const char *text,
                    unsigned long lo, unsigned long hi, unsigned long *out);

/* Physical range of a pixel size, voxel size or slice thickness given on
 * the command line, nm (0.01 nm .. 1 mm; recon/README.md): below, a unit
 * mistake or garbage that overflows voxel-count conversions. */
#define CLI_MIN_LENGTH_NM 0.01
#define CLI_MAX_LENGTH_NM 1e6
static inline bool cli_length_nm_ok(double v)
{
    return v >= CLI_MIN_LENGTH_NM && v <= CLI_MAX_LENGTH_NM;
}

/* True when @p a and @p b name the same existing file or folder (same
 * device and inode, so links and "./x" are caught). */
bool cli_same_file(const char *a, const char *b);

/* When output @p out is the input @p in, print "cryofib CMD: OUT: is the
 * input file IN (refusing to overwrite it)" and return true.  Outputs are
 * renamed over their target, so without this check an input given again
 * as output would be replaced. */
bool cli_output_is_input(const char *cmd, const char *out, const char *in);

/* The one input/output identity check of every command (README
 * "Conventions"); it also refuses an output whose folder does not exist
 * or is not a folder ("OPT OUT: cannot create: DIR does not exist").  Output @p
 * out (given by option @p opt, e.g. "--json"; NULL for an operand) is refused
 * when it names one of
 * @p inputs (NULL entries skipped): the same device and inode when both
 * exist (links, hard links and "./x" included), else the same resolved
 * folder + name.  Prints "cryofib CMD: OPT OUT: is the input file IN
 * (refusing to overwrite it)" and returns true when refused (exit 2). */
bool cli_check_not_input(const char *cmd, const char *opt, const char *out,
                         const char *const *inputs, size_t n_inputs);

/* Same for an output folder @p dir that a command writes files into: it
 * is refused when it is one of @p inputs or holds one (a series folder,
 * a slice of a glob or list, a detached data file) at any depth, after
 * resolving links: "OPT DIR: holds the input IN (refusing to write into
 * an input folder)". */
bool cli_check_dir_not_input(const char *cmd, const char *opt, const char *dir,
                             const char *const *inputs, size_t n_inputs);

/* True when @p a and @p b are the same file (cli_same_file()) or resolve
 * to the same absolute name (one of them need not exist yet). */
bool cli_names_same(const char *a, const char *b);

/* The detached data file of an NRRD header @p path, as the reader would
 * open it, into @p buf (empty when the data are attached or @p path is not
 * a readable NRRD): an input of every command reading @p path. */
void cli_input_data_file(const char *path, char *buf, size_t n);

/* The inputs of one run for the identity checks: each added path, and for
 * an NRRD header its detached data file too. */
enum { CLI_MAX_INPUTS = 16 };
typedef struct cli_inputs {
    const char *p[2 * CLI_MAX_INPUTS];
    size_t n;
    char data[CLI_MAX_INPUTS][1024];
    size_t n_data;
} cli_inputs;
/* Add @p path (ignored when NULL or when the list is full). */
void cli_inputs_add(cli_inputs *in, const char *path);

/* Progress rendering: a bar with percentage and ETA on stderr when it is a
 * terminal, nothing otherwise (quiet: never drawn, still cancels).
 * Installs the SIGINT/SIGTERM handler (cli_signals_install) so that Ctrl-C
 * or kill makes the callback return FIB_ECANCELED (the work then unwinds
 * and the output transaction removes its staged outputs); cli_fail() then
 * returns 128 + the signal (130 SIGINT, 143 SIGTERM). */
typedef struct cli_progress_state {
    bool enabled;
    double t_start;
    double t_last;
    char stage[32];
} cli_progress_state;

fib_progress cli_progress_make(cli_progress_state *state, bool quiet);
void cli_progress_done(cli_progress_state *state);
/* True once SIGINT or SIGTERM was received. */
bool cli_interrupted(void);
/* 128 + the signal received (130 SIGINT, 143 SIGTERM), 0 when none. */
int cli_interrupt_status(void);
/* Install the flag-only handler for SIGINT and SIGTERM. */
void cli_signals_install(void);

/* The output transaction of a command (fib/txn.h): every output is
 * registered with cli_txn_file()/cli_txn_folder() (which begin the
 * transaction into *t when it is NULL and install the SIGINT/SIGTERM
 * handler) and written to the staged path; cli_txn_finish() commits (or
 * aborts when @p rc is not 0; @p t NULL: nothing to do) and returns the
 * exit status: @p rc, or the commit's failure, or 128 + the signal when
 * SIGINT/SIGTERM came (before the commit point the outputs are then
 * dropped; after it they are complete and the status still says the run
 * was interrupted).  Never exits 0 after a signal. */
#include "fib/txn.h"
fib_status cli_txn_file(fib_fmt_txn **t, const char *final_path,
                        const char **staged, fib_error *err);
fib_status cli_txn_folder(fib_fmt_txn **t, const char *final_dir,
                          const char *const *legacy, size_t n_legacy,
                          const char **staged, fib_error *err);
int cli_txn_finish(const char *cmd, fib_fmt_txn *t, int rc);
/* True when @p dir holds the regular file @p name: the mark of an earlier
 * result written before manifests existed (the legacy patterns of
 * cli_txn_folder() are passed only then, so that a user's folder never
 * loses files that merely match a pattern). */
bool cli_dir_has(const char *dir, const char *name);
/* A --out folder of pictures (replaced as a whole by its manifest, other
 * files kept); on failure print "--out DIR exists and is not a folder" or
 * "cannot create folder DIR (...)" and return false. */
bool cli_txn_out_dir(const char *cmd, fib_fmt_txn **t, const char *dir,
                     const char **staged);
/* An --export folder (new or empty, fib_fmt_txn_new_dir); 0, or the exit
 * status after printing "export folder DIR ..." (2: bad input). */
int cli_txn_export_dir(const char *cmd, fib_fmt_txn **t, const char *dir,
                       const char **staged);

/* The message callback of every job (fib/job.h) the command runs:
 * FIB_JOB_RESULT lines go to stdout, notes and warnings to stderr, each
 * as the job wrote it plus a newline (stdout is flushed first so that the
 * two streams keep their order on a terminal).  @p user is unused. */
#include "fib/job.h"
void cli_job_message(void *user, fib_job_level level, const char *text);

/* The output transaction a command hands to its job (fib_job_env.txn):
 * begun (with the SIGINT/SIGTERM handler) only when the run writes
 * something (@p any_output), else *@p t = NULL.  Errors: FIB_ENOMEM. */
fib_status cli_job_txn(bool any_output, fib_fmt_txn **t, fib_error *err);
/* After the job call: print the failure (cli_fail()) when @p st is not
 * FIB_OK, then commit or abort @p t (cli_txn_finish()); the exit status. */
int cli_job_done(const char *cmd, fib_fmt_txn *t, fib_status st,
                 const fib_error *err);

/* Run one job that writes outputs: the progress bar (none when @p quiet),
 * a fresh output transaction in env.txn, @p fn(@p ctx, &env, &err), then
 * cli_fail() on its failure and cli_txn_finish(); the job's FIB_JOB_RESULT
 * lines are printed only after the commit succeeded (notes and warnings
 * at once).  Returns the exit status. */
typedef fib_status (*cli_job_fn)(const void *ctx, const fib_job_env *env,
                                 fib_error *err);
int cli_job_run(const char *cmd, bool quiet, cli_job_fn fn, const void *ctx);

/* Parse the options of argv with getopt_long over @p lo (every val 0),
 * handing each to @p fn(@p ctx, name, value or NULL, err) -- the job's
 * option setter, after the command's own options.  An unknown option or
 * a refused value prints one line and returns its exit status (2 for bad
 * input); 0 when all were taken (optind: the first operand). */
struct option;
typedef fib_status (*cli_option_fn)(void *ctx, const char *name,
                                    const char *value, fib_error *err);
int cli_job_options(const char *cmd, int argc, char **argv,
                    const struct option *lo, cli_option_fn fn, void *ctx);

/* Command-line options from a parameter table (fib/params.h; cli_params.c).
 * cli_params_options() fills getopt_long rows (value base + row index) for
 * the rows without FIB_PARAM_NO_CLI, naming them in @p names ("slice_nm"
 * -> "slice-nm"); returns the count (at most @p cap).  cli_params_parse()
 * stores @p text (NULL for a flag) in @p obj after the row's range check;
 * on error it prints one line naming the option and the limit and returns
 * false (on the command line 0 = auto is the option left out).
 * cli_params_help() prints the rows' --help lines. */
#include "fib/params.h"
struct option;
typedef struct cli_param_name {
    char s[48];
} cli_param_name;
size_t cli_params_options(const fib_param_table *t, int base, struct option *lo,
                          cli_param_name *names, size_t cap);
bool cli_params_parse(const char *cmd, const fib_param *p, void *obj,
                      const char *text);
void cli_params_help(const fib_param_table *t);

/* "x,y,w,h" with w, h > 0 into @p r; else print the error, false. */
bool cli_parse_rect(const char *cmd, const char *opt, const char *t,
                    size_t r[4]);

/* A job's message lines held until its outputs are committed, so that a
 * failure stays the one line on stderr: pass cli_job_hold as the
 * message callback with a zeroed cli_job_lines, then cli_job_release()
 * (printing them with cli_job_message() when @p print). */
typedef struct cli_job_lines {
    fib_job_level level[16];
    char *text[16];
    size_t n;
} cli_job_lines;
void cli_job_hold(void *user, fib_job_level level, const char *text);
void cli_job_release(cli_job_lines *h, bool print);

/* The output folder @p dir may not be, nor hold, the slice series @p src
 * (folder, glob or list file: every slice it names): 0, or the exit
 * status after printing the error (a series that cannot be listed too). */
int cli_check_dir_not_series(const char *cmd, const char *opt, const char *dir,
                             const char *src);

/* "NAME=SRC" with NAME a plain word (no '/', '\\', ' ', '.'): both
 * malloc'ed into *name, *value; else print the error naming @p opt and
 * return false. */
bool cli_parse_name_value(const char *cmd, const char *opt, const char *t,
                          char **name, char **value);

#endif
