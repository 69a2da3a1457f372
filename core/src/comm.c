/* comm.c -- helpers over the fib_comm callbacks (fib/comm.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/comm.h"

int fib_comm_rank(const fib_comm *c)
{
    return c ? c->rank : 0;
}

int fib_comm_size(const fib_comm *c)
{
    return c && c->size > 0 ? c->size : 1;
}

static fib_status exchange(const fib_comm *c, int root, const void *send,
                           size_t n, void **out, size_t *counts, fib_error *err)
{
    *out = NULL;
    if (fib_comm_size(c) == 1 || !c->gather) {
        if (counts)
            counts[0] = n;
        if (!n)
            return FIB_OK;
        *out = malloc(n);
        if (!*out)
            return fib_error_set(err, FIB_ENOMEM, "comm: out of memory");
        memcpy(*out, send, n);
        return FIB_OK;
    }
    size_t *cn = counts;
    if (!cn) {
        cn = malloc((size_t)c->size * sizeof *cn);
        if (!cn)
            return fib_error_set(err, FIB_ENOMEM, "comm: out of memory");
    }
    const int rc = c->gather(c->user, root, send, n, out, cn);
    if (cn != counts)
        free(cn);
    if (rc != 0)
        return fib_error_set(err, FIB_EIO,
                             "comm: exchange between the %d processes failed "
                             "(code %d)",
                             c->size, rc);
    return FIB_OK;
}

fib_status fib_comm_allgather(const fib_comm *c, const void *send, size_t n,
                              void **out, size_t *counts, fib_error *err)
{
    return exchange(c, -1, send, n, out, counts, err);
}

fib_status fib_comm_gather(const fib_comm *c, int root, const void *send,
                           size_t n, void **out, size_t *counts, fib_error *err)
{
    if (root < 0 || root >= fib_comm_size(c))
        return fib_error_set(err, FIB_EINVAL, "comm: root %d of %d processes",
                             root, fib_comm_size(c));
    return exchange(c, root, send, n, out, counts, err);
}

/* One process's outcome on the wire: the status, then the message. */
typedef struct outcome {
    int code;
    char msg[FIB_ERROR_SIZE];
} outcome;

fib_status fib_comm_agree(const fib_comm *c, fib_status st, fib_error *err)
{
    if (fib_comm_size(c) == 1)
        return st;
    outcome me;
    memset(&me, 0, sizeof me);
    me.code = (int)st;
    if (st != FIB_OK && err)
        snprintf(me.msg, sizeof me.msg, "%s", err->msg);
    void *all = NULL;
    size_t *counts = malloc((size_t)c->size * sizeof *counts);
    if (!counts)
        return fib_error_set(err, FIB_ENOMEM, "comm: out of memory");
    fib_error own = {0};
    fib_status xs = fib_comm_allgather(c, &me, sizeof me, &all, counts, &own);
    free(counts);
    if (xs != FIB_OK) {
        if (err && err->code == FIB_OK)
            *err = own;
        return st != FIB_OK ? st : xs;
    }
    const outcome *o = all;
    fib_status res = FIB_OK;
    for (int r = 0; r < c->size; r++) {
        if (o[r].code == FIB_OK)
            continue;
        res = (fib_status)o[r].code;
        if (r != c->rank) {
            fib_error_clear(err);
            fib_error_set(err, res, "rank %d: %s", r, o[r].msg);
        }
        break;
    }
    free(all);
    return res;
}

fib_status fib_comm_barrier(const fib_comm *c, fib_error *err)
{
    return fib_comm_agree(c, FIB_OK, err);
}

void fib_comm_split(size_t n, int rank, int size, size_t *lo, size_t *hi)
{
    if (size < 1)
        size = 1;
    const size_t s = (size_t)size, r = (size_t)(rank < 0 ? 0 : rank);
    const size_t q = n / s, m = n % s;
    *lo = r * q + (r < m ? r : m);
    *hi = *lo + q + (r < m ? 1 : 0);
}
