/* cli_util.c -- usage errors and option values. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fib/checked.h"
#include "fib/formats.h"

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

bool cli_parse_memory(const char *cmd, const char *text, size_t *out)
{
    if (!cli_parse_size(cmd, "--memory", text, out))
        return false;
    if (*out && *out < ((size_t)1 << 20))
        return !cli_usage_error(cmd,
                                "--memory must be at least 1M (or 0: "
                                "default; got %zu bytes)",
                                *out);
    return true;
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
    const bool mem = n && v;
    if (mem)
        n[eq - t] = '\0';
    if (!mem || strpbrk(n, "/\\ .")) {
        free(n);
        free(v);
        cli_usage_error(cmd,
                        mem ? "%s name must be a plain word (got '%s')"
                            : "%s: out of memory (got '%s')",
                        opt, t);
        return false;
    }
    *name = n;
    *value = v;
    return true;
}
