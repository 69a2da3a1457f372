/* checked.c -- memory budget and size parsing. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fib/checked.h"

fib_budget fib_budget_make(size_t limit_bytes)
{
    fib_budget b = {limit_bytes, 0, 0};
    return b;
}

fib_status fib_budget_charge(fib_budget *b, size_t bytes, const char *what,
                             fib_error *err)
{
    if (!b)
        return FIB_OK;
    size_t total;
    if (!fib_add_size(b->used_bytes, bytes, &total) ||
        (b->limit_bytes && total > b->limit_bytes)) {
        return fib_error_set(
            err, FIB_EBUDGET,
            "memory budget: %s needs %zu bytes, %zu of %zu already in use",
            what ? what : "allocation", bytes, b->used_bytes, b->limit_bytes);
    }
    b->used_bytes = total;
    if (total > b->peak_bytes)
        b->peak_bytes = total;
    return FIB_OK;
}

void fib_budget_release(fib_budget *b, size_t bytes)
{
    if (!b)
        return;
    b->used_bytes = bytes > b->used_bytes ? 0 : b->used_bytes - bytes;
}

fib_status fib_parse_size(const char *text, size_t *bytes_out, fib_error *err)
{
    if (!text || !*text)
        return fib_error_set(err, FIB_EINVAL, "size: empty text");
    char *end = NULL;
    errno = 0;
    const double v = strtod(text, &end);
    if (end == text || errno || !(v >= 0.0) || !isfinite(v))
        return fib_error_set(err, FIB_EINVAL,
                             "size: '%s' is not a non-negative number", text);
    double mult = 1.0;
    if (*end) {
        const char u = *end;
        if (u == 'k' || u == 'K')
            mult = 1024.0;
        else if (u == 'm' || u == 'M')
            mult = 1024.0 * 1024.0;
        else if (u == 'g' || u == 'G')
            mult = 1024.0 * 1024.0 * 1024.0;
        else if (u == 't' || u == 'T')
            mult = 1024.0 * 1024.0 * 1024.0 * 1024.0;
        else if (u != 'b' && u != 'B')
            return fib_error_set(err, FIB_EINVAL,
                                 "size: unknown unit in '%s' (use K, M, G, T)",
                                 text);
        const char *rest = end + (u == 'b' || u == 'B' ? 0 : 1);
        if (*rest && strcasecmp(rest, "b") != 0 &&
            strcasecmp(rest, "ib") != 0 && strcasecmp(rest, "iB") != 0)
            return fib_error_set(err, FIB_EINVAL,
                                 "size: unknown unit in '%s' (use K, M, G, T)",
                                 text);
    }
    const double bytes = v * mult;
    if (bytes > 1.8e19)
        return fib_error_set(err, FIB_ERANGE, "size: '%s' is too large", text);
    *bytes_out = (size_t)bytes;
    return FIB_OK;
}
