/* cli_job.c -- run one pipeline job (fib/job.h) from a command: options
 * by name into the job's setter, progress bar, output transaction, result
 * lines printed once the outputs are committed. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* FIB_JOB_RESULT lines held until the commit, NUL-separated. */
typedef struct held {
    char *text;
    size_t n, cap;
} held;

static void hold(void *user, fib_job_level level, const char *text)
{
    held *h = user;
    const size_t len = strlen(text) + 1;
    if (level == FIB_JOB_RESULT && h->n + len > h->cap) {
        const size_t cap = 2 * (h->n + len);
        char *p = realloc(h->text, cap);
        if (p) {
            h->text = p;
            h->cap = cap;
        }
    }
    if (level != FIB_JOB_RESULT || h->n + len > h->cap) {
        cli_job_message(NULL, level, text); /* a note, or no memory */
        return;
    }
    memcpy(h->text + h->n, text, len);
    h->n += len;
}

int cli_job_run(const char *cmd, bool quiet, cli_job_fn fn, const void *ctx)
{
    cli_progress_state ps;
    held h = {0};
    fib_job_env env = {0};
    fib_error err = {0};
    env.progress = cli_progress_make(&ps, quiet);
    env.message = hold;
    env.message_user = &h;
    fib_status st = fib_fmt_txn_begin(&env.txn, &err);
    if (st == FIB_OK)
        st = fn(ctx, &env, &err);
    cli_progress_done(&ps);
    const int rc = cli_txn_finish(
        cmd, env.txn, st == FIB_OK ? CLI_EXIT_OK : cli_fail(cmd, st, &err));
    for (size_t i = 0; rc == CLI_EXIT_OK && i < h.n;
         i += strlen(h.text + i) + 1)
        cli_job_message(NULL, FIB_JOB_RESULT, h.text + i);
    free(h.text);
    return rc;
}

int cli_job_options(const char *cmd, int argc, char **argv,
                    const struct option *lo, cli_option_fn fn, void *ctx)
{
    fib_error err = {0};
    int ch, idx = 0;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", lo, &idx)) != -1) {
        if (ch != 0)
            return cli_usage_error(
                cmd, "unknown or incomplete option '%s' (see --help)",
                argv[optind - 1]);
        const fib_status st = fn(ctx, lo[idx].name, optarg, &err);
        if (st != FIB_OK)
            return cli_fail(cmd, st, &err);
    }
    return CLI_EXIT_OK;
}
