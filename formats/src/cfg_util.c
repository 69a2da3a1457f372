/*
 * cfg_util.c -- private libconfig helpers (see cfg_util.h).
 */
#include "cfg_util.h"

#include <stdarg.h>
#include <stdio.h>

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
