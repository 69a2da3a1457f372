/* cli_params.c -- command-line options from a parameter table
 * (fib/params.h): getopt_long rows, parsing with the command's one-line
 * errors, and --help lines. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

size_t cli_params_options(const fib_param_table *t, int base, cli_opt *lo,
                          cli_param_name *names, size_t cap)
{
    size_t n = 0;
    for (size_t r = 0; r < t->n && n < cap; r++) {
        const fib_param *p = &t->rows[r];
        if (p->flags & FIB_PARAM_NO_CLI)
            continue;
        size_t k = 0;
        for (const char *s = p->key; *s && k + 1 < sizeof names[n].s; s++)
            names[n].s[k++] = *s == '_' ? '-' : *s;
        names[n].s[k] = '\0';
        lo[n] = (cli_opt){names[n].s,
                          p->type == FIB_PARAM_BOOL ? no_argument
                                                    : required_argument,
                          base + (int)r, NULL, NULL};
        n++;
    }
    return n;
}

/* "a, b or c" */
static void choice_words(const fib_param *p, char *buf, size_t n)
{
    size_t used = 0, m = 0;
    buf[0] = '\0';
    while (p->choices && p->choices[m])
        m++;
    for (size_t i = 0; i < m && used < n; i++) {
        const int k = snprintf(buf + used, n - used, "%s%s",
                               i == 0       ? ""
                               : i + 1 == m ? " or "
                                            : ", ",
                               p->choices[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

/* One number of a list row (or the row's value) against the row's range,
 * with the command's wording.  @p idx >= 0 names a list element. */
static bool check_number(const char *cmd, const char *opt, const fib_param *p,
                         double v, const char *text, int idx)
{
    const bool is_int = p->type == FIB_PARAM_INT || p->type == FIB_PARAM_SIZE;
    const bool zero_auto = (p->flags & FIB_PARAM_ZERO_AUTO) != 0;
    const double lo = zero_auto ? 0 : p->min;
    if (is_int && (v != floor(v) || v < p->min || v > p->max)) {
        (void)cli_usage_error(cmd,
                              "%s must be an integer %.10g..%.10g (got %s)",
                              opt, p->min, p->max, text);
        return false;
    }
    if (zero_auto && !(v > 0)) {
        /* 0 = from the data: leave the option out */
        (void)cli_usage_error(cmd, "%s expects %s > 0 (got '%s')", opt,
                              p->type == FIB_PARAM_DLIST ? "X or X,Y" : "X",
                              text);
        return false;
    }
    if (v >= p->min && v <= p->max)
        return true;
    const char *u = p->unit && *p->unit ? p->unit : "";
    char key[64];
    if (idx >= 0)
        snprintf(key, sizeof key, "%s[%d]", p->key, idx);
    else
        snprintf(key, sizeof key, "%s", p->key);
    if (zero_auto)
        (void)cli_usage_error(cmd,
                              "%s must be in [%g, %g]%s%s, 0 for unknown, at "
                              "least %g%s%s when known (got %g)",
                              key, lo, p->max, *u ? " " : "", u, p->min,
                              *u ? " " : "", u, v);
    else
        (void)cli_usage_error(cmd, "%s must be in [%g, %g] (got %g)", opt, lo,
                              p->max, v);
    return false;
}

bool cli_params_parse(const char *cmd, const fib_param *p, void *obj,
                      const char *text)
{
    char opt[64];
    size_t k = 0;
    opt[k++] = '-';
    opt[k++] = '-';
    for (const char *s = p->key; *s && k + 1 < sizeof opt; s++)
        opt[k++] = *s == '_' ? '-' : *s;
    opt[k] = '\0';
    if (p->type == FIB_PARAM_ENUM) {
        for (size_t i = 0; p->choices && p->choices[i]; i++)
            if (!strcmp(text, p->choices[i]))
                goto store;
        char words[160];
        choice_words(p, words, sizeof words);
        (void)cli_usage_error(cmd, "%s expects %s (got '%s')", opt, words,
                              text);
        return false;
    }
    if (p->type == FIB_PARAM_DLIST || p->type == FIB_PARAM_INT ||
        p->type == FIB_PARAM_SIZE || p->type == FIB_PARAM_DOUBLE) {
        /* each number, with the command's messages, before the table's
         * own parse and check (which then cannot fail) */
        const size_t cap = p->type == FIB_PARAM_DLIST ? p->size : 1;
        const char *s = text;
        for (size_t i = 0; i < cap; i++) {
            char *end;
            const double v = strtod(s, &end);
            if (end == s || !isfinite(v) || (*end && *end != ',') ||
                (*end == ',' && i + 1 == cap)) {
                (void)cli_usage_error(cmd, "%s expects %s (got '%s')", opt,
                                      p->type == FIB_PARAM_DLIST
                                          ? "X or X,Y > 0"
                                          : "a finite number",
                                      text);
                return false;
            }
            if (!check_number(cmd, opt, p, v, text,
                              p->type == FIB_PARAM_DLIST ? (int)i : -1))
                return false;
            if (!*end)
                break;
            s = end + 1;
        }
    }
store:;
    fib_error err = {0};
    if (fib_params_parse(p, obj, p->type == FIB_PARAM_BOOL ? NULL : text,
                         &err) != FIB_OK) {
        (void)cli_usage_error(cmd, "%s: %s", opt, err.msg);
        return false;
    }
    return true;
}

/* Print @p line wrapped at 79 columns, continuation lines indented to
 * the help column (25). */
static void print_wrapped(const char *line)
{
    const size_t width = 79, indent = 25;
    size_t col = 0;
    while (strlen(line) + col > width) {
        size_t cut = width - col;
        while (cut > 0 && line[cut] != ' ')
            cut--;
        if (cut == 0)
            break;
        printf("%*s%.*s\n", (int)col, "", (int)cut, line);
        line += cut + 1;
        col = indent;
    }
    printf("%*s%s\n", (int)col, "", line);
}

void cli_params_help(const fib_param_table *t)
{
    char line[1024];
    for (size_t r = 0; r < t->n; r++)
        if (!(t->rows[r].flags & FIB_PARAM_NO_CLI))
            print_wrapped(fib_params_help_line(&t->rows[r], line, sizeof line));
}
