/*
 * cfg_util.c -- private libconfig helpers (see cfg_util.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "cfg_util.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool fib__cfg_is_number(const config_setting_t *s)
{
    const int t = config_setting_type(s);
    return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 ||
           t == CONFIG_TYPE_FLOAT;
}

double fib__cfg_number(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
        return (double)config_setting_get_int(s);
    case CONFIG_TYPE_INT64:
        return (double)config_setting_get_int64(s);
    default:
        return config_setting_get_float(s);
    }
}

fib_status fib__cfg_session_error(fib_error *err, const char *file,
                                  const config_setting_t *s, const char *field,
                                  const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const unsigned line = s ? (unsigned)config_setting_source_line(s) : 0;
    if (line)
        return fib_error_set(err, FIB_EINVAL, "session: %s:%u: %s %s", file,
                             line, field, msg);
    return fib_error_set(err, FIB_EINVAL, "session: %s: %s %s", file, field,
                         msg);
}

/* The target of an `@include "X"` line (libconfig 1.5 scanner.l:
 * ^[ \t]*@include[ \t]+\" then the text up to \", with \\ and \"
 * escapes) into @p out; false when the line is no @include. */
static bool include_target(const char *line, char *out, size_t cap)
{
    while (*line == ' ' || *line == '\t')
        line++;
    if (strncmp(line, "@include", 8) != 0)
        return false;
    line += 8;
    if (*line != ' ' && *line != '\t')
        return false;
    while (*line == ' ' || *line == '\t')
        line++;
    if (*line++ != '"')
        return false;
    size_t n = 0;
    for (; *line && *line != '"'; line++) {
        if (*line == '\\' && (line[1] == '\\' || line[1] == '"'))
            line++;
        if (n + 1 < cap)
            out[n++] = *line;
    }
    out[n] = '\0';
    return true;
}

static fib_status check_stream(const char *module, const char *name, FILE *f,
                               int depth, fib_error *err)
{
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    fib_status st = FIB_OK;
    char target[1024];
    while (st == FIB_OK && getline(&line, &cap, f) >= 0) {
        lineno++;
        if (!include_target(line, target, sizeof target))
            continue;
        struct stat sb;
        if (stat(target, &sb) != 0)
            continue; /* libconfig: "cannot open include file" */
        if (!S_ISREG(sb.st_mode)) {
            st = fib_error_set(err, FIB_EINVAL,
                               "%s: %s:%u: @include \"%s\" is not a regular "
                               "file",
                               module, name, lineno, target);
        } else if (depth < 10) {
            FILE *g = fopen(target, "r");
            if (g) {
                st = check_stream(module, target, g, depth + 1, err);
                fclose(g);
            }
        }
    }
    free(line);
    return st;
}

fib_status fib__cfg_check_includes(const char *module, const char *name,
                                   const char *path, const char *text,
                                   fib_error *err)
{
    FILE *f = text ? fmemopen((void *)(uintptr_t)text, strlen(text), "r")
                   : fopen(path, "r");
    if (!f)
        return FIB_OK; /* the reader reports a file it cannot open */
    const fib_status st = check_stream(module, name, f, 0, err);
    fclose(f);
    return st;
}
