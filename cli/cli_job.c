/* cli_job.c -- running one pipeline job (fib/job.h) from a command:
 * options by table, failures, SIGINT/SIGTERM, progress bar, output
 * transaction, message lines held until the outputs are committed. */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* the number of the first SIGINT/SIGTERM received, 0 before; the handler
 * only stores it (async-signal-safe), the work polls it through the
 * progress callback and the output transaction's commit */
static volatile sig_atomic_t got_sigint;

static void on_sigint(int sig)
{
    if (!got_sigint)
        got_sigint = sig;
}

static bool interrupted(void)
{
    return got_sigint != 0;
}

static int interrupt_status(void)
{
    return got_sigint ? 128 + (int)got_sigint : 0;
}

static void signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
}

int cli_fail(const char *cmd, fib_status st, const fib_error *err)
{
    const char *msg = err && err->msg[0] ? err->msg : fib_strerror(st);
    fprintf(stderr, "cryofib %s: %s\n", cmd, msg);
    if (st == FIB_ECANCELED) /* 128 + the signal: 130 SIGINT, 143 SIGTERM */
        return got_sigint ? 128 + (int)got_sigint : 130;
    return fib_status_is_bad_input(st) ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
}

/* The progress bar's state. */
typedef struct progress_state {
    bool enabled;
    double t_start;
    double t_last;
    char stage[32];
} progress_state;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static fib_status progress_cb(void *user, const char *stage, size_t done,
                              size_t total)
{
    progress_state *s = user;
    if (got_sigint)
        return FIB_ECANCELED;
    if (!s->enabled)
        return FIB_OK;
    const double t = now_s();
    const bool finished = total && done >= total;
    if (!finished && t - s->t_last < 0.1 && !strcmp(stage, s->stage))
        return FIB_OK;
    if (strcmp(stage, s->stage) != 0) {
        s->t_start = t;
        (void)snprintf(s->stage, sizeof s->stage, "%s", stage);
    }
    s->t_last = t;
    if (total) {
        const double f = (double)done / (double)total;
        const int width = 30;
        const int fill = (int)(f * width + 0.5);
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = '\0';
        const double el = t - s->t_start;
        const double eta = f > 0.0 ? el * (1.0 - f) / f : 0.0;
        fprintf(stderr, "\r%-10.10s [%s] %5.1f%% %zu/%zu  ETA %4.0fs ", stage,
                bar, 100.0 * f, done, total, eta);
    } else {
        fprintf(stderr, "\r%-10.10s %zu ", stage, done);
    }
    fflush(stderr);
    return FIB_OK;
}

static fib_progress progress_make(progress_state *state, bool quiet)
{
    memset(state, 0, sizeof *state);
    state->enabled = !quiet && isatty(STDERR_FILENO);
    state->t_start = state->t_last = now_s();
    signals_install();
    fib_progress p = {progress_cb, state};
    return p;
}

static void progress_done(progress_state *state)
{
    if (state->enabled) {
        fprintf(stderr, "\r%*s\r", 78, "");
        fflush(stderr);
    }
}

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
    return interrupted() ? FIB_ECANCELED : FIB_OK;
}

static int txn_finish(const char *cmd, fib_fmt_txn *t, int rc)
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
    if (interrupted()) {
        fprintf(stderr,
                "cryofib %s: interrupted after the outputs were committed "
                "(they are complete)\n",
                cmd);
        return interrupt_status();
    }
    return CLI_EXIT_OK;
}

static void message(void *user, fib_job_level level, const char *text)
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
            message(NULL, level, text);
            return;
        }
        h->text = p;
        h->cap = cap;
    }
    h->text[h->n] = (char)level;
    memcpy(h->text + h->n + 1, text, len - 1);
    h->n += len;
}

/* CLI_JOB_LIVE: each line at once, after clearing the progress bar (the
 * next report redraws it). */
static void live(void *user, fib_job_level level, const char *text)
{
    progress_done(user);
    message(NULL, level, text);
}

int cli_job_run(const char *cmd, unsigned flags, cli_job_fn fn, const void *ctx)
{
    progress_state ps;
    held h = {0};
    fib_job_env env = {.message = hold, .message_user = &h, .comm = cli_ranks};
    fib_error err = {0};
    fib_status st = FIB_OK;
    const bool is_live = (flags & CLI_JOB_LIVE) != 0;
    const bool txn = !(flags & (CLI_JOB_NO_TXN | CLI_JOB_LIVE)) &&
                     !fib_comm_rank(cli_ranks); /* rank 0 commits */
    if (txn || is_live)
        env.progress = progress_make(&ps, (flags & CLI_JOB_QUIET) != 0);
    if (is_live) {
        env.message = live;
        env.message_user = &ps;
    }
    if (txn)
        st = fib_fmt_txn_begin(&env.txn, &err);
    if (st == FIB_OK)
        st = fn(ctx, &env, &err);
    if (txn || is_live)
        progress_done(&ps);
    int rc = txn_finish(cmd, env.txn,
                        st == FIB_OK ? CLI_EXIT_OK : cli_fail(cmd, st, &err));
    if (is_live && rc == CLI_EXIT_OK && interrupted())
        rc = interrupt_status(); /* never 0 after a signal */
    for (size_t i = 0; rc == CLI_EXIT_OK && i < h.n;
         i += strlen(h.text + i + 1) + 2)
        message(NULL, (fib_job_level)h.text[i], h.text + i + 1);
    free(h.text);
    return rc;
}
