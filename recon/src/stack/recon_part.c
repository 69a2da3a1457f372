/* recon_part.c -- a reconstruction shared by several processes
 * (fib_recon_params.comm, fib/recon.h): the part of pass 1 each process
 * reads, the pair tables gathered in rank order, the part of the output
 * each process emits in pass 2 and the per-slice quality gathered after
 * it.  Everything that follows a gather is computed by every process from
 * the same bytes, so the results are those of one process. */
#include <stdlib.h>
#include <string.h>

#include "recon_stack.h"

bool fib__recon_parted(const fib_recon *r)
{
    return fib_comm_size(r->p.comm) > 1;
}

/* Pass 1 of this process: the pairs that end in its part of the series,
 * which needs the K slices before the part as well. */
void fib__recon_part_pass1(fib_recon *r)
{
    const size_t n = r->src.n_slices;
    r->p1_lo = r->own_lo = 0;
    r->own_hi = n;
    if (!fib__recon_parted(r))
        return;
    fib_comm_split(n, r->p.comm->rank, r->p.comm->size, &r->own_lo, &r->own_hi);
    r->p1_lo = r->own_lo > r->K ? r->own_lo - r->K : 0;
}

/* What one process sends after pass 1: its pair count, then its pairs
 * (and their tile fits), then one byte per slice of its part (skipped). */
fib_status fib__recon_share_pairs(fib_recon *r, fib_status st, fib_error *err)
{
    if (!fib__recon_parted(r))
        return st;
    const fib_comm *c = r->p.comm;
    st = fib_comm_agree(c, st, err);
    if (st)
        return st;
    const bool lin = r->plin != NULL;
    const size_t each =
        sizeof(fib_recon_pair) + (lin ? sizeof(fib__pair_lin) : 0);
    const size_t own = r->own_hi - r->own_lo;
    const size_t bytes = sizeof(size_t) + r->n_pairs * each + own;
    unsigned char *msg = malloc(bytes);
    if (!msg)
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    if (!st) {
        unsigned char *p = msg;
        memcpy(p, &r->n_pairs, sizeof(size_t));
        p += sizeof(size_t);
        if (r->n_pairs) {
            memcpy(p, r->pairs, r->n_pairs * sizeof(fib_recon_pair));
            p += r->n_pairs * sizeof(fib_recon_pair);
        }
        if (lin && r->n_pairs) {
            memcpy(p, r->plin, r->n_pairs * sizeof(fib__pair_lin));
            p += r->n_pairs * sizeof(fib__pair_lin);
        }
        for (size_t i = r->own_lo; i < r->own_hi; i++)
            *p++ = r->info[i].skipped;
    }
    /* a failed allocation still takes part in the exchange (0 bytes) so
     * that no process waits: the agree below reports it */
    void *all = NULL;
    size_t *counts = malloc((size_t)c->size * sizeof *counts);
    fib_status xs = st;
    if (!counts && !xs)
        xs = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    fib_status gs = fib_comm_allgather(c, msg, st || !counts ? 0 : bytes, &all,
                                       counts, err);
    free(msg);
    if (!xs)
        xs = gs;
    /* every process's count is known to all, so each tells the same
     * story about a failure */
    for (int q = 0; !xs && q < c->size; q++)
        if (counts[q] < sizeof(size_t))
            xs = fib_error_set(err, FIB_EIO,
                               "recon: process %d sent no pair table", q);
    size_t total = 0;
    const unsigned char *p = all;
    for (int q = 0; !xs && q < c->size; q++) {
        size_t m;
        memcpy(&m, p, sizeof m);
        total += m;
        p += counts[q];
    }
    /* the gathered table within the budget, as one process's would be */
    if (!xs && total > r->cap_pairs) {
        xs = fib__recon_charge(r, (total - r->cap_pairs) * each, "pair table",
                               err);
        fib_recon_pair *np = xs ? NULL : realloc(r->pairs, total * sizeof *np);
        fib__pair_lin *nl =
            xs || !lin ? NULL : realloc(r->plin, total * sizeof *nl);
        if (np)
            r->pairs = np;
        if (nl)
            r->plin = nl;
        if (!xs && (!np || (lin && !nl)))
            xs = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        if (!xs)
            r->cap_pairs = total;
    }
    if (!xs) {
        size_t at = 0;
        p = all;
        for (int q = 0; q < c->size; q++) {
            const unsigned char *b = p;
            size_t m, lo, hi;
            memcpy(&m, b, sizeof m);
            b += sizeof m;
            if (m)
                memcpy(r->pairs + at, b, m * sizeof(fib_recon_pair));
            b += m * sizeof(fib_recon_pair);
            if (lin && m)
                memcpy(r->plin + at, b, m * sizeof(fib__pair_lin));
            b += lin ? m * sizeof(fib__pair_lin) : 0;
            fib_comm_split(r->src.n_slices, q, c->size, &lo, &hi);
            for (size_t i = lo; i < hi; i++)
                r->info[i].skipped = *b++ != 0;
            at += m;
            p += counts[q];
        }
        r->n_pairs = total;
    }
    free(all);
    free(counts);
    return fib_comm_agree(c, xs, err);
}

/* The output slices [*zb, *ze) this process emits: the nz slices cut
 * into blocks of z_align, the blocks split in rank order. */
void fib__recon_part_output(const fib_recon *r, size_t z_align, size_t *zb,
                            size_t *ze)
{
    const size_t nz = r->geom.nz;
    *zb = 0;
    *ze = nz;
    if (!fib__recon_parted(r))
        return;
    const size_t a = z_align ? z_align : 1;
    const size_t blocks = nz / a + (nz % a != 0);
    size_t lo, hi;
    fib_comm_split(blocks, r->p.comm->rank, r->p.comm->size, &lo, &hi);
    *zb = lo * a < nz ? lo * a : nz;
    *ze = hi * a < nz ? hi * a : nz;
}

/* One slice's pass-2 quality on the wire. */
typedef struct slice_qc {
    size_t i;
    double ncc, nmi, frc;
} slice_qc;

/* After pass 2 of the reference: the similarity and FRC of the slices
 * this process owns (@p own, n flags) on every process. */
fib_status fib__recon_share_write_qc(fib_recon *r, const bool *own,
                                     fib_status st, fib_error *err)
{
    if (!fib__recon_parted(r))
        return st;
    const fib_comm *c = r->p.comm;
    st = fib_comm_agree(c, st, err);
    if (st)
        return st;
    const size_t n = r->src.n_slices;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += own[i];
    slice_qc *mine = malloc((m ? m : 1) * sizeof *mine);
    if (!mine)
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    for (size_t i = 0, k = 0; !st && i < n; i++)
        if (own[i])
            mine[k++] = (slice_qc){i, r->info[i].ncc_prev, r->info[i].nmi_prev,
                                   r->info[i].frc_px};
    void *all = NULL;
    size_t *counts = malloc((size_t)c->size * sizeof *counts);
    fib_status gs = fib_comm_allgather(
        c, mine, st || !counts ? 0 : m * sizeof *mine, &all, counts, err);
    if (!st && !counts)
        st = fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    if (!st)
        st = gs;
    if (!st) {
        size_t tot = 0;
        for (int q = 0; q < c->size; q++)
            tot += counts[q];
        const slice_qc *a = all;
        for (size_t k = 0; k < tot / sizeof *a; k++)
            if (a[k].i < n) {
                r->info[a[k].i].ncc_prev = a[k].ncc;
                r->info[a[k].i].nmi_prev = a[k].nmi;
                r->info[a[k].i].frc_px = a[k].frc;
            }
    }
    free(all);
    free(counts);
    free(mine);
    return fib_comm_agree(c, st, err);
}
