/* params.c -- parameter tables (fib/params.h): defaults, parsing, range
 * checks, text and help lines derived from one description per engine. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fib/params.h"

static void *field(const fib_param *p, void *obj)
{
    return (char *)obj + p->offset;
}

static const void *cfield(const fib_param *p, const void *obj)
{
    return (const char *)obj + p->offset;
}

static int enum_value(const fib_param *p, size_t i)
{
    return p->values ? p->values[i] : (int)i;
}

static const char *enum_name(const fib_param *p, int v)
{
    for (size_t i = 0; p->choices && p->choices[i]; i++)
        if (enum_value(p, i) == v)
            return p->choices[i];
    return "?";
}

void fib_params_defaults(const fib_param_table *t, void *obj)
{
    for (size_t r = 0; r < t->n; r++) {
        const fib_param *p = &t->rows[r];
        void *f = field(p, obj);
        switch (p->type) {
        case FIB_PARAM_BOOL:
            *(bool *)f = p->def != 0;
            break;
        case FIB_PARAM_INT:
        case FIB_PARAM_ENUM:
            *(int *)f = (int)p->def;
            break;
        case FIB_PARAM_SIZE:
            *(size_t *)f = (size_t)p->def;
            break;
        case FIB_PARAM_DOUBLE:
            *(double *)f = p->def;
            break;
        case FIB_PARAM_DLIST:
            for (size_t i = 0; i < p->size; i++)
                ((double *)f)[i] = p->def;
            break;
        case FIB_PARAM_STRING:
            if (p->size)
                snprintf((char *)f, p->size, "%s",
                         p->def_text ? p->def_text : "");
            break;
        }
    }
}

/* Keys compare with '-' == '_'; a leading "--" of an option is skipped. */
static bool key_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        const char ca = *a == '-' ? '_' : *a, cb = *b == '-' ? '_' : *b;
        if (ca != cb)
            return false;
    }
    return *a == *b;
}

const fib_param *fib_params_find(const fib_param_table *t, const char *key)
{
    if (!t || !key)
        return NULL;
    if (key[0] == '-' && key[1] == '-')
        key += 2;
    for (size_t r = 0; r < t->n; r++)
        if (key_eq(t->rows[r].key, key))
            return &t->rows[r];
    return NULL;
}

static bool is_int_type(const fib_param *p)
{
    return p->type == FIB_PARAM_INT || p->type == FIB_PARAM_SIZE;
}

/* Range check of one number; 0 passes with FIB_PARAM_ZERO_AUTO. */
static fib_status check_range(const fib_param *p, double v, fib_error *err)
{
    if (isnan(v))
        return fib_error_set(err, FIB_EINVAL, "%s must be a number (got nan)",
                             p->key);
    if ((p->flags & FIB_PARAM_ZERO_AUTO) && v == 0)
        return FIB_OK;
    if (is_int_type(p) && v != floor(v))
        return fib_error_set(err, FIB_EINVAL,
                             "%s must be an integer %.10g..%.10g (got %.10g)",
                             p->key, p->min, p->max, v);
    if (v < p->min || v > p->max) {
        const bool unit = p->unit && *p->unit;
        return fib_error_set(
            err, FIB_ERANGE, "%s must be %.10g..%.10g%s%s%s (got %.10g)",
            p->key, p->min, p->max, unit ? " " : "", unit ? p->unit : "",
            (p->flags & FIB_PARAM_ZERO_AUTO) ? ", or 0 = auto" : "", v);
    }
    return FIB_OK;
}

fib_status fib_params_set_number(const fib_param *p, void *obj, double v,
                                 fib_error *err)
{
    void *f = field(p, obj);
    fib_status st;
    switch (p->type) {
    case FIB_PARAM_BOOL:
        *(bool *)f = v != 0;
        return FIB_OK;
    case FIB_PARAM_ENUM:
        for (size_t i = 0; p->choices && p->choices[i]; i++)
            if ((double)enum_value(p, i) == v) {
                *(int *)f = enum_value(p, i);
                return FIB_OK;
            }
        return fib_error_set(err, FIB_EINVAL, "%s: no choice has value %.10g",
                             p->key, v);
    case FIB_PARAM_STRING:
        return fib_error_set(err, FIB_EINVAL, "%s expects text, not a number",
                             p->key);
    case FIB_PARAM_DLIST:
        return fib_params_set_list(p, obj, &v, 1, err);
    default:
        break;
    }
    if ((st = check_range(p, v, err)) != FIB_OK)
        return st;
    if (p->type == FIB_PARAM_INT)
        *(int *)f = (int)v;
    else if (p->type == FIB_PARAM_SIZE)
        *(size_t *)f = (size_t)v;
    else
        *(double *)f = v;
    return FIB_OK;
}

fib_status fib_params_set_list(const fib_param *p, void *obj, const double *v,
                               size_t n, fib_error *err)
{
    if (p->type != FIB_PARAM_DLIST)
        return n == 1
                   ? fib_params_set_number(p, obj, v[0], err)
                   : fib_error_set(err, FIB_EINVAL,
                                   "%s takes one value (got %zu)", p->key, n);
    if (n == 0 || n > p->size)
        return fib_error_set(err, FIB_EINVAL,
                             "%s takes 1..%zu values (got %zu)", p->key,
                             p->size, n);
    for (size_t i = 0; i < n; i++) {
        const fib_status st = check_range(p, v[i], err);
        if (st != FIB_OK)
            return st;
    }
    double *f = field(p, obj);
    for (size_t i = 0; i < p->size; i++)
        f[i] = v[i < n ? i : n - 1];
    return FIB_OK;
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

static fib_status parse_double(const fib_param *p, const char *s, double *v,
                               const char **end_out, fib_error *err)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    *v = strtod(s, &end);
    if (end == s || !isfinite(*v))
        return fib_error_set(err, FIB_EINVAL,
                             "%s: cannot parse '%s' as a number", p->key, s);
    while (isspace((unsigned char)*end))
        end++;
    *end_out = end;
    return FIB_OK;
}

fib_status fib_params_parse(const fib_param *p, void *obj, const char *text,
                            fib_error *err)
{
    fib_status st;
    if (p->type == FIB_PARAM_BOOL) {
        bool b = true;
        if (text && *text && !parse_bool(text, &b))
            return fib_error_set(err, FIB_EINVAL,
                                 "%s must be true or false (got '%s')", p->key,
                                 text);
        *(bool *)field(p, obj) = b;
        return FIB_OK;
    }
    if (!text)
        return fib_error_set(err, FIB_EINVAL, "%s needs a value", p->key);
    if (p->type == FIB_PARAM_STRING) {
        if (strlen(text) >= p->size)
            return fib_error_set(err, FIB_ERANGE,
                                 "%s: text longer than %zu characters", p->key,
                                 p->size - 1);
        snprintf((char *)field(p, obj), p->size, "%s", text);
        return FIB_OK;
    }
    if (p->type == FIB_PARAM_ENUM) {
        char list[256] = "";
        size_t used = 0;
        for (size_t i = 0; p->choices && p->choices[i]; i++) {
            if (strcasecmp(text, p->choices[i]) == 0) {
                *(int *)field(p, obj) = enum_value(p, i);
                return FIB_OK;
            }
            const int k = snprintf(list + used, sizeof list - used, "%s%s",
                                   i ? "|" : "", p->choices[i]);
            if (k > 0 && (size_t)k < sizeof list - used)
                used += (size_t)k;
        }
        return fib_error_set(err, FIB_EINVAL, "%s must be one of %s (got '%s')",
                             p->key, list, text);
    }
    double v[16];
    size_t n = 0;
    const char *s = text, *end = NULL;
    const size_t cap = p->type == FIB_PARAM_DLIST ? p->size : 1;
    for (;;) {
        if (n == cap || n == sizeof v / sizeof v[0])
            return fib_error_set(err, FIB_EINVAL,
                                 "%s takes at most %zu value%s (got '%s')",
                                 p->key, cap, cap == 1 ? "" : "s", text);
        if ((st = parse_double(p, s, &v[n], &end, err)) != FIB_OK)
            return st;
        n++;
        if (*end == '\0')
            break;
        if (*end != ',')
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: cannot parse '%s' as a number", p->key,
                                 text);
        s = end + 1;
    }
    return p->type == FIB_PARAM_DLIST
               ? fib_params_set_list(p, obj, v, n, err)
               : fib_params_set_number(p, obj, v[0], err);
}

double fib_params_number(const fib_param *p, const void *obj)
{
    const void *f = cfield(p, obj);
    switch (p->type) {
    case FIB_PARAM_BOOL:
        return *(const bool *)f ? 1 : 0;
    case FIB_PARAM_INT:
    case FIB_PARAM_ENUM:
        return *(const int *)f;
    case FIB_PARAM_SIZE:
        return (double)*(const size_t *)f;
    case FIB_PARAM_DOUBLE:
        return *(const double *)f;
    case FIB_PARAM_DLIST:
        return p->size ? *(const double *)f : (double)NAN;
    case FIB_PARAM_STRING:
        break;
    }
    return (double)NAN;
}

fib_status fib_params_check(const fib_param_table *t, const void *obj,
                            fib_error *err)
{
    for (size_t r = 0; r < t->n; r++) {
        const fib_param *p = &t->rows[r];
        fib_status st = FIB_OK;
        switch (p->type) {
        case FIB_PARAM_INT:
        case FIB_PARAM_SIZE:
        case FIB_PARAM_DOUBLE:
            st = check_range(p, fib_params_number(p, obj), err);
            break;
        case FIB_PARAM_DLIST:
            for (size_t i = 0; i < p->size && st == FIB_OK; i++)
                st = check_range(p, ((const double *)cfield(p, obj))[i], err);
            break;
        case FIB_PARAM_ENUM: {
            const int v = *(const int *)cfield(p, obj);
            bool found = false;
            for (size_t i = 0; p->choices && p->choices[i]; i++)
                found = found || enum_value(p, i) == v;
            if (!found)
                st = fib_error_set(err, FIB_EINVAL,
                                   "%s: no choice has value %d", p->key, v);
            break;
        }
        case FIB_PARAM_BOOL:
        case FIB_PARAM_STRING:
            break;
        }
        if (st != FIB_OK)
            return st;
    }
    return FIB_OK;
}

const char *fib_params_text(const fib_param *p, const void *obj, char *buf,
                            size_t n)
{
    if (!buf || n == 0)
        return buf;
    const void *f = cfield(p, obj);
    switch (p->type) {
    case FIB_PARAM_BOOL:
        snprintf(buf, n, "%s", *(const bool *)f ? "true" : "false");
        break;
    case FIB_PARAM_ENUM:
        snprintf(buf, n, "%s", enum_name(p, *(const int *)f));
        break;
    case FIB_PARAM_STRING:
        snprintf(buf, n, "%s", (const char *)f);
        break;
    case FIB_PARAM_DLIST: {
        size_t used = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < p->size && used < n; i++) {
            const int k = snprintf(buf + used, n - used, "%s%.10g",
                                   i ? "," : "", ((const double *)f)[i]);
            if (k < 0)
                break;
            used += (size_t)k;
        }
        break;
    }
    default:
        snprintf(buf, n, "%.10g", fib_params_number(p, obj));
        break;
    }
    return buf;
}

const char *fib_params_help_line(const fib_param *p, char *buf, size_t n)
{
    char opt[64], range[128] = "";
    size_t k = 0;
    for (const char *s = p->key; *s && k + 1 < sizeof opt; s++)
        opt[k++] = *s == '_' ? '-' : *s;
    opt[k] = '\0';
    const char *arg = p->type == FIB_PARAM_BOOL     ? ""
                      : p->type == FIB_PARAM_DLIST  ? " X[,Y..]"
                      : p->type == FIB_PARAM_STRING ? " TEXT"
                      : p->type == FIB_PARAM_ENUM   ? " NAME"
                                                    : " X";
    const bool unit = p->unit && *p->unit;
    if (p->type == FIB_PARAM_ENUM) {
        size_t used = 0;
        for (size_t i = 0; p->choices && p->choices[i]; i++) {
            const int m = snprintf(range + used, sizeof range - used, "%s%s",
                                   i ? "|" : "", p->choices[i]);
            if (m < 0 || (size_t)m >= sizeof range - used)
                break;
            used += (size_t)m;
        }
    } else if (p->type != FIB_PARAM_BOOL && p->type != FIB_PARAM_STRING) {
        snprintf(range, sizeof range, "%s%s%.10g..%.10g%s", unit ? p->unit : "",
                 unit ? "; " : "", p->min, p->max,
                 (p->flags & FIB_PARAM_ZERO_AUTO) ? "; 0 = auto" : "");
    }
    char head[96];
    snprintf(head, sizeof head, "--%s%s", opt, arg);
    snprintf(buf, n, "  %-22s %s%s%s%s", head, p->help ? p->help : "",
             range[0] ? " (" : "", range, range[0] ? ")" : "");
    return buf;
}
