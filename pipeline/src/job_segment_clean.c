/*
 * job_segment_clean.c -- the clean-up of fib_job_segment() (fib/
 * job_segment.h), shared by the thresholds (job_segment.c) and the trained
 * classifier (job_segment_classify.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fib/segment.h"
#include "job_segment_internal.h"

/* Opening, closing, hole filling and the size filter on each class > 0 in
 * turn (later classes win where they overlap). */
fib_status fib__job_segment_clean(const fib_job_segment_params *p, int conn,
                                  size_t n_classes, fib_volume *lab,
                                  fib_error *err)
{
    const size_t n = lab->nx * lab->ny * lab->nz;
    fib_volume mask = {0};
    fib_status st =
        fib_volume_init(&mask, FIB_PX_U8, lab->nx, lab->ny, lab->nz, err);
    if (st != FIB_OK)
        return st;
    memcpy(mask.voxel_size_nm, lab->voxel_size_nm, sizeof mask.voxel_size_nm);
    uint8_t *L = lab->data, *M = mask.data;
    uint8_t *out = calloc(n, 1);
    if (!out) {
        fib_volume_clear(&mask);
        return fib_error_set(err, FIB_ENOMEM, "segment: out of memory");
    }
    for (size_t k = 1; k <= n_classes; k++) {
        for (size_t i = 0; i < n; i++)
            M[i] = L[i] == k;
        if (st == FIB_OK && p->open_nm > 0)
            st = fib_recon_morph(&mask, FIB_MORPH_OPEN, p->open_nm, err);
        if (st == FIB_OK && p->close_nm > 0)
            st = fib_recon_morph(&mask, FIB_MORPH_CLOSE, p->close_nm, err);
        if (st == FIB_OK && p->fill_holes)
            st = fib_recon_fill_holes(&mask, err);
        if (st == FIB_OK && p->min_size_vox > 0)
            st = fib_recon_remove_small(&mask, conn, p->min_size_vox, err);
        for (size_t i = 0; st == FIB_OK && i < n; i++)
            if (M[i])
                out[i] = (uint8_t)k;
    }
    memcpy(L, out, n);
    free(out);
    fib_volume_clear(&mask);
    return st;
}
