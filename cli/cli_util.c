/* cli_util.c -- error printing, option values, progress bar, SIGINT, the
 * identity checks with the command's printing. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fib/checked.h"
#include "fib/formats.h"

/* the number of the first SIGINT/SIGTERM received, 0 before; the handler
 * only stores it (async-signal-safe), the work polls it through the
 * progress callback and the output transaction's commit */
static volatile sig_atomic_t got_sigint;

static void on_sigint(int sig)
{
    if (!got_sigint)
        got_sigint = sig;
}

bool cli_interrupted(void)
{
    return got_sigint != 0;
}

int cli_interrupt_status(void)
{
    return got_sigint ? 128 + (int)got_sigint : 0;
}

static void cli_signals_install(void)
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

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "cryofib %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_EXIT_USAGE;
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return true;
    }
    return false;
}

bool cli_parse_double(const char *cmd, const char *opt, const char *text,
                      double *out)
{
    char *end = NULL;
    errno = 0;
    const double v = text ? strtod(text, &end) : (double)NAN;
    if (!text || end == text || *end || errno || !isfinite(v)) {
        (void)cli_usage_error(cmd, "%s expects a finite number (got '%s')", opt,
                              text ? text : "");
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_size(const char *cmd, const char *opt, const char *text,
                    size_t *out)
{
    fib_error err = {0};
    if (fib_parse_size(text, out, &err) != FIB_OK) {
        (void)cli_usage_error(cmd, "%s: %s", opt, err.msg);
        return false;
    }
    return true;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static fib_status progress_cb(void *user, const char *stage, size_t done,
                              size_t total)
{
    cli_progress_state *s = user;
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

fib_progress cli_progress_make(cli_progress_state *state, bool quiet)
{
    memset(state, 0, sizeof *state);
    state->enabled = !quiet && isatty(STDERR_FILENO);
    state->t_start = state->t_last = now_s();
    cli_signals_install();
    fib_progress p = {progress_cb, state};
    return p;
}

void cli_progress_done(cli_progress_state *state)
{
    if (state->enabled) {
        fprintf(stderr, "\r%*s\r", 78, "");
        fflush(stderr);
    }
}

bool cli_parse_rect(const char *cmd, const char *opt, const char *t,
                    size_t r[4])
{
    unsigned long v[4];
    char tail;
    /* %lu would take "-1" as ULONG_MAX */
    if (strchr(t, '-') ||
        sscanf(t, "%lu,%lu,%lu,%lu%c", &v[0], &v[1], &v[2], &v[3], &tail) !=
            4 ||
        !v[2] || !v[3]) {
        cli_usage_error(cmd, "%s expects x,y,w,h >= 0 with w, h > 0 (got '%s')",
                        opt, t);
        return false;
    }
    for (int i = 0; i < 4; i++)
        r[i] = (size_t)v[i];
    return true;
}

bool cli_parse_name_value(const char *cmd, const char *opt, const char *t,
                          char **name, char **value)
{
    const char *eq = strchr(t, '=');
    if (!eq || eq == t || !eq[1]) {
        cli_usage_error(cmd, "%s expects NAME=SRC (got '%s')", opt, t);
        return false;
    }
    char *n = strdup(t), *v = strdup(eq + 1);
    if (!n || !v) {
        free(n);
        free(v);
        cli_usage_error(cmd, "out of memory");
        return false;
    }
    n[eq - t] = '\0';
    if (strpbrk(n, "/\\ .")) {
        free(n);
        free(v);
        cli_usage_error(cmd, "%s name must be a plain word (got '%s')", opt, t);
        return false;
    }
    *name = n;
    *value = v;
    return true;
}

int cli_check_outputs(const char *cmd, const char *const *inputs,
                      size_t n_inputs, size_t n_out, const char *const *opt,
                      const char *const *out, bool dir)
{
    fib_error err = {0};
    for (size_t k = 0; k < n_out; k++) {
        const fib_status st = dir ? fib_job_check_dir_not_input(
                                        opt[k], out[k], inputs, n_inputs, &err)
                                  : fib_job_check_not_input(
                                        opt[k], out[k], inputs, n_inputs, &err);
        if (st != FIB_OK)
            return cli_fail(cmd, st, &err);
    }
    return CLI_EXIT_OK;
}
