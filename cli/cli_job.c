/* cli_job.c -- running one pipeline job (fib/job.h) from a command:
 * options by table, progress bar, output transaction, message lines held
 * until the outputs are committed. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const cli_opt *rows, size_t n_rows, cli_opt_fn fn, void *ctx,
               const char *unknown)
{
    struct option lo[CLI_MAX_OPTS + 1];
    size_t n = 0;
    for (; n < n_rows && n < CLI_MAX_OPTS; n++)
        lo[n] =
            (struct option){rows[n].name, rows[n].has_arg, NULL,
                            rows[n].val ? rows[n].val : CLI_OPT_AUTO + (int)n};
    lo[n] = (struct option){0, 0, 0, 0};
    optind = 1;
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, shortopts, lo, NULL)) != -1;) {
        const cli_opt *r = NULL;
        for (size_t i = 0; i < n && !r; i++)
            r = lo[i].val == c ? &rows[i] : NULL;
        int rc = CLI_EXIT_USAGE;
        if (r && (r->str || r->flag)) {
            if (r->str)
                *r->str = optarg;
            else
                *r->flag = true;
            rc = CLI_EXIT_OK;
        } else if (r && fn)
            rc = fn(ctx, c, optarg);
        else
            (void)cli_usage_error(cmd, unknown, argv[optind - 1]);
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    return CLI_EXIT_OK;
}

static fib_status cancel_on_signal(void *user, const char *stage, size_t done,
                                   size_t total)
{
    (void)user;
    (void)stage;
    (void)done;
    (void)total;
    return cli_interrupted() ? FIB_ECANCELED : FIB_OK;
}

int cli_txn_finish(const char *cmd, fib_fmt_txn *t, int rc)
{
    if (rc != CLI_EXIT_OK || !t) {
        fib_fmt_txn_abort(t);
        return rc;
    }
    const fib_progress own = {cancel_on_signal, NULL};
    fib_error err = {0};
    /* the signal flag itself, not the progress bar (it is cleared by now) */
    const fib_status st = fib_fmt_txn_commit(t, &own, &err);
    if (st != FIB_OK)
        return cli_fail(cmd, st, &err);
    if (cli_interrupted()) {
        fprintf(stderr,
                "cryofib %s: interrupted after the outputs were committed "
                "(they are complete)\n",
                cmd);
        return cli_interrupt_status();
    }
    return CLI_EXIT_OK;
}

void cli_job_message(void *user, fib_job_level level, const char *text)
{
    (void)user;
    if (level == FIB_JOB_RESULT) {
        fputs(text, stdout);
        fputc('\n', stdout);
        return;
    }
    fflush(stdout);
    fputs(text, stderr);
    fputc('\n', stderr);
}

/* Message lines held until the commit: each a level byte then the text
 * and its NUL. */
typedef struct held {
    char *text;
    size_t n, cap;
} held;

static void hold(void *user, fib_job_level level, const char *text)
{
    held *h = user;
    const size_t len = strlen(text) + 2;
    if (h->n + len > h->cap) {
        const size_t cap = 2 * (h->n + len);
        char *p = realloc(h->text, cap);
        if (!p) { /* no memory: print it now rather than lose it */
            cli_job_message(NULL, level, text);
            return;
        }
        h->text = p;
        h->cap = cap;
    }
    h->text[h->n] = (char)level;
    memcpy(h->text + h->n + 1, text, len - 1);
    h->n += len;
}

int cli_job_run(const char *cmd, unsigned flags, cli_job_fn fn, const void *ctx)
{
    cli_progress_state ps;
    held h = {0};
    fib_job_env env = {.message = hold, .message_user = &h};
    fib_error err = {0};
    fib_status st = FIB_OK;
    const bool txn = !(flags & CLI_JOB_NO_TXN);
    if (txn) {
        env.progress = cli_progress_make(&ps, (flags & CLI_JOB_QUIET) != 0);
        st = fib_fmt_txn_begin(&env.txn, &err);
    }
    if (st == FIB_OK)
        st = fn(ctx, &env, &err);
    if (txn)
        cli_progress_done(&ps);
    const int rc = cli_txn_finish(
        cmd, env.txn, st == FIB_OK ? CLI_EXIT_OK : cli_fail(cmd, st, &err));
    for (size_t i = 0; rc == CLI_EXIT_OK && i < h.n;
         i += strlen(h.text + i + 1) + 2)
        cli_job_message(NULL, (fib_job_level)h.text[i], h.text + i + 1);
    free(h.text);
    return rc;
}
