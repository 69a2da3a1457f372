/* cli_util.c -- error printing, option parsing, progress bar, SIGINT. */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
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

void cli_signals_install(void)
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

bool cli_parse_uint(const char *cmd, const char *opt, const char *text,
                    unsigned long lo, unsigned long hi, unsigned long *out)
{
    double v;
    if (!cli_parse_double(cmd, opt, text, &v))
        return false;
    if (!(v >= (double)lo && v <= (double)hi) || v != floor(v)) {
        (void)cli_usage_error(cmd, "%s must be an integer %lu..%lu (got %s)",
                              opt, lo, hi, text);
        return false;
    }
    *out = (unsigned long)v;
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

bool cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0)
        return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

bool cli_output_is_input(const char *cmd, const char *out, const char *in)
{
    return cli_check_not_input(cmd, NULL, out, &in, 1);
}

/* Absolute, link-free name of @p p into @p buf: realpath() of the path
 * when it exists, else realpath() of its folder + "/" + its last
 * component (a not-yet-written output).  False when neither resolves. */
static bool resolve_name(const char *p, char *buf, size_t n)
{
    char tmp[PATH_MAX];
    if (!p || !*p || n < 2)
        return false;
    if (realpath(p, tmp)) {
        if (strlen(tmp) >= n)
            return false;
        memcpy(buf, tmp, strlen(tmp) + 1);
        return true;
    }
    size_t e = strlen(p);
    while (e > 1 && p[e - 1] == '/')
        e--;
    size_t b = e;
    while (b > 0 && p[b - 1] != '/')
        b--;
    char dir[PATH_MAX];
    if (b == 0)
        snprintf(dir, sizeof dir, ".");
    else if (b == 1)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(b - 1), p);
    if (!realpath(dir, tmp))
        return false;
    const int k = snprintf(buf, n, "%s/%.*s", strcmp(tmp, "/") ? tmp : "",
                           (int)(e - b), p + b);
    return k > 0 && (size_t)k < n;
}

bool cli_names_same(const char *a, const char *b)
{
    if (cli_same_file(a, b))
        return true;
    char ra[PATH_MAX], rb[PATH_MAX];
    return resolve_name(a, ra, sizeof ra) && resolve_name(b, rb, sizeof rb) &&
           strcmp(ra, rb) == 0;
}

bool cli_check_not_input(const char *cmd, const char *opt, const char *out,
                         const char *const *inputs, size_t n_inputs)
{
    if (!out)
        return false;
    /* the folder an output goes into must exist: the same bad input (exit
     * 2) in every command, found before anything is written */
    size_t e = strlen(out);
    while (e > 1 && out[e - 1] == '/')
        e--;
    size_t b = e;
    while (b > 0 && out[b - 1] != '/')
        b--;
    if (b > 1) {
        char dir[PATH_MAX];
        struct stat sd;
        snprintf(dir, sizeof dir, "%.*s", (int)(b - 1), out);
        const bool exists = stat(dir, &sd) == 0;
        if (!exists || !S_ISDIR(sd.st_mode)) {
            (void)cli_usage_error(cmd, "%s%s%s: cannot create: %s %s",
                                  opt ? opt : "", opt ? " " : "", out, dir,
                                  exists ? "is not a folder"
                                         : "does not exist");
            return true;
        }
    }
    for (size_t i = 0; i < n_inputs; i++) {
        if (!inputs[i] || !cli_names_same(out, inputs[i]))
            continue;
        (void)cli_usage_error(cmd,
                              "%s%s%s: is the input file %s (refusing to "
                              "overwrite it)",
                              opt ? opt : "", opt ? " " : "", out, inputs[i]);
        return true;
    }
    return false;
}

bool cli_check_dir_not_input(const char *cmd, const char *opt, const char *dir,
                             const char *const *inputs, size_t n_inputs)
{
    char rd[PATH_MAX], ri[PATH_MAX];
    if (!dir || !resolve_name(dir, rd, sizeof rd))
        return false;
    const size_t nd = strlen(rd);
    for (size_t i = 0; i < n_inputs; i++) {
        if (!inputs[i])
            continue;
        if (cli_names_same(dir, inputs[i])) {
            (void)cli_usage_error(cmd,
                                  "%s%s%s: is the input file %s (refusing to "
                                  "overwrite it)",
                                  opt ? opt : "", opt ? " " : "", dir,
                                  inputs[i]);
            return true;
        }
        if (!resolve_name(inputs[i], ri, sizeof ri))
            continue;
        if (strncmp(ri, rd, nd) == 0 && (ri[nd] == '/' || !strcmp(rd, "/"))) {
            (void)cli_usage_error(cmd,
                                  "%s%s%s: holds the input %s (refusing to "
                                  "write into an input folder)",
                                  opt ? opt : "", opt ? " " : "", dir,
                                  inputs[i]);
            return true;
        }
    }
    return false;
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

void cli_input_data_file(const char *path, char *buf, size_t n)
{
    fib_fmt_info info;
    fib_error err = {0};
    if (n)
        buf[0] = '\0';
    if (!path || !n)
        return;
    /* by content, as the readers choose the format: "NRRD" magic */
    char magic[4] = {0};
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return;
    const size_t got = fread(magic, 1, sizeof magic, fp);
    fclose(fp);
    if (got != sizeof magic || memcmp(magic, "NRRD", 4) != 0 ||
        fib_fmt_probe(path, NULL, &info, &err) != FIB_OK)
        return;
    snprintf(buf, n, "%s", info.data_file);
}

void cli_inputs_add(cli_inputs *in, const char *path)
{
    if (!path || in->n_data >= CLI_MAX_INPUTS ||
        in->n + 2 > sizeof in->p / sizeof in->p[0])
        return;
    in->p[in->n++] = path;
    char *d = in->data[in->n_data];
    cli_input_data_file(path, d, sizeof in->data[0]);
    if (d[0]) {
        in->p[in->n++] = d;
        in->n_data++;
    }
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

fib_status cli_job_txn(bool any_output, fib_fmt_txn **t, fib_error *err)
{
    *t = NULL;
    if (!any_output)
        return FIB_OK;
    cli_signals_install();
    return fib_fmt_txn_begin(t, err);
}

int cli_job_done(const char *cmd, fib_fmt_txn *t, fib_status st,
                 const fib_error *err)
{
    return cli_txn_finish(cmd, t,
                          st == FIB_OK ? CLI_EXIT_OK : cli_fail(cmd, st, err));
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

void cli_job_hold(void *user, fib_job_level level, const char *text)
{
    cli_job_lines *h = user;
    const size_t cap = sizeof h->text / sizeof h->text[0];
    if (h->n < cap && (h->text[h->n] = strdup(text)) != NULL)
        h->level[h->n++] = level;
}

void cli_job_release(cli_job_lines *h, bool print)
{
    for (size_t i = 0; i < h->n; i++) {
        if (print)
            cli_job_message(NULL, h->level[i], h->text[i]);
        free(h->text[i]);
    }
    h->n = 0;
}

int cli_check_dir_not_series(const char *cmd, const char *opt, const char *dir,
                             const char *src)
{
    char **paths = NULL;
    size_t n = 0;
    fib_error err = {0};
    const fib_status st = fib_fmt_series_list(src, &paths, &n, &err);
    if (st)
        return cli_fail(cmd, st, &err);
    const bool bad =
        cli_check_dir_not_input(cmd, opt, dir, &src, 1) ||
        cli_check_dir_not_input(cmd, opt, dir, (const char *const *)paths, n);
    fib_fmt_series_free(paths, n);
    return bad ? CLI_EXIT_USAGE : CLI_EXIT_OK;
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
