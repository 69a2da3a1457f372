/*
 * segment_label.c -- 3D connected components (6/18/26 connectivity).
 *
 * Two-pass union-find (Rosenfeld & Pfaltz 1966; Wu, Otoo & Suzuki 2009
 * for the array union-find): every foreground voxel starts as its own
 * set, keyed by its linear index; it is joined with its already-visited
 * ("backward") neighbours, always keeping the smaller index as root, so
 * that a root is the first voxel of its component in raster order.  The
 * first pass runs in parallel over z slabs (no neighbour crosses a slab),
 * the slab boundaries are merged serially, and a final raster pass numbers
 * roots 1..n, which is the numbering of scipy.ndimage.label.
 */
#include <stdlib.h>
#include <string.h>

#include "fib/checked.h"
#include "fib/segment.h"
#include "recon_internal.h"

#define BG UINT32_MAX

static inline uint32_t uf_find(uint32_t *p, uint32_t i)
{
    while (p[i] != i) {
        p[i] = p[p[i]];
        i = p[i];
    }
    return i;
}

static inline void uf_union(uint32_t *p, uint32_t a, uint32_t b)
{
    uint32_t ra = uf_find(p, a), rb = uf_find(p, b);
    while (ra != rb) {
        if (ra < rb) {
            uint32_t t = ra;
            ra = rb;
            rb = t;
        }
        /* ra > rb: hang ra below rb */
        uint32_t next = p[ra];
        if (next == ra) {
            p[ra] = rb;
            return;
        }
        ra = uf_find(p, next);
    }
}

static void join_plane(const uint8_t *fg, uint32_t *par, size_t nx, size_t ny,
                       size_t z, int noff, int off[13][3], bool only_dz)
{
    size_t nxy = nx * ny;
    for (size_t y = 0; y < ny; y++)
        for (size_t x = 0; x < nx; x++) {
            size_t i = z * nxy + y * nx + x;
            if (!fg[i])
                continue;
            for (int k = 0; k < noff; k++) {
                int dx = off[k][0], dy = off[k][1], dz = off[k][2];
                if (only_dz && dz == 0)
                    continue;
                if (dz < 0 && z == 0)
                    continue;
                if ((dx < 0 && x == 0) || (dx > 0 && x + 1 >= nx))
                    continue;
                if ((dy < 0 && y == 0) || (dy > 0 && y + 1 >= ny))
                    continue;
                size_t j = (size_t)((ptrdiff_t)i + dx + dy * (ptrdiff_t)nx +
                                    dz * (ptrdiff_t)nxy);
                if (fg[j])
                    uf_union(par, (uint32_t)i, (uint32_t)j);
            }
        }
}

fib_status fib_recon_label(const fib_volume *mask, int connectivity,
                           fib_volume *labels, size_t *n_labels, fib_error *err)
{
    fib_status st;
    uint8_t *tmp = NULL;
    const uint8_t *fg;
    int off[13][3];
    memset(labels, 0, sizeof *labels);
    if (n_labels)
        *n_labels = 0;
    if ((st = fib__vol_check(mask, "label input", err)) != FIB_OK)
        return st;
    if (connectivity != 6 && connectivity != 18 && connectivity != 26)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: connectivity must be 6, 18 or 26 (got %d)",
                             connectivity);
    size_t nx = mask->nx, ny = mask->ny, nz = mask->nz;
    size_t n = fib__vol_count(mask);
    if (n >= (size_t)UINT32_MAX)
        return fib_error_set(err, FIB_ERANGE,
                             "recon: labelling supports at most %u voxels "
                             "(got %zu)",
                             UINT32_MAX - 1u, n);
    int noff = fib__backward_offsets(connectivity, off);
    if (mask->type == FIB_PX_U8) {
        fg = mask->data;
    } else {
        tmp = malloc(n);
        if (!tmp)
            return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
        for (size_t i = 0; i < n; i++)
            tmp[i] = fib__vol_value(mask, i) != 0;
        fg = tmp;
    }
    st = fib_volume_init(labels, FIB_PX_U32, nx, ny, nz, err);
    if (st != FIB_OK)
        goto fail;
    memcpy(labels->voxel_size_nm, mask->voxel_size_nm, sizeof(double) * 3);
    memcpy(labels->origin_nm, mask->origin_nm, sizeof(double) * 3);
    uint32_t *par = labels->data; /* parent array, then labels in place */
    size_t nxy = nx * ny;
    int nslab = 1;
#ifdef _OPENMP
    nslab = 64;
#endif
    if ((size_t)nslab > nz)
        nslab = (int)nz;
#pragma omp parallel for schedule(dynamic, 1)
    for (int s = 0; s < nslab; s++) {
        size_t z0 = nz * (size_t)s / (size_t)nslab;
        size_t z1 = nz * (size_t)(s + 1) / (size_t)nslab;
        for (size_t i = z0 * nxy; i < z1 * nxy; i++)
            par[i] = fg[i] ? (uint32_t)i : BG;
        for (size_t z = z0; z < z1; z++) {
            /* in-slab neighbours only: skip dz = -1 on the slab's first
               plane (merged below) */
            if (z == z0) {
                int off2[13][3], n2 = 0;
                for (int k = 0; k < noff; k++)
                    if (off[k][2] == 0) {
                        memcpy(off2[n2], off[k], sizeof off[k]);
                        n2++;
                    }
                join_plane(fg, par, nx, ny, z, n2, off2, false);
            } else {
                join_plane(fg, par, nx, ny, z, noff, off, false);
            }
        }
    }
    for (int s = 1; s < nslab; s++) {
        size_t z0 = nz * (size_t)s / (size_t)nslab;
        join_plane(fg, par, nx, ny, z0, noff, off, true);
    }
    /* number the roots in raster order.  par[i] <= i always (roots are
       the smallest index of their set), so when voxel i is reached its
       parent already holds the final label of the component. */
    uint32_t next = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t p = par[i];
        if (p == BG)
            par[i] = 0;
        else if (p == (uint32_t)i)
            par[i] = ++next;
        else
            par[i] = par[p];
    }
    if (n_labels)
        *n_labels = next;
    free(tmp);
    return FIB_OK;
fail:
    free(tmp);
    fib_volume_clear(labels);
    return st;
}
