/*
 * job_segment_stream.c -- fib_job_segment() on a volume larger than its
 * memory budget (issue 15, item 2): the threshold methods (Otsu,
 * multi-Otsu, manual) slab by slab.
 *
 *   pass 1  min and max of the finite voxels, slab by slab;
 *   pass 2  the FIB_OTSU_BINS histogram over [min, max], slab by slab
 *           (fib_recon_hist_add) -> thresholds (fib_recon_multi_otsu_hist):
 *           the same bins, sums and arithmetic as the whole-volume path,
 *           hence the same thresholds bit for bit;
 *   pass 3  each slab classified and its sections appended to the output
 *           writer (MRC, TIFF, NRRD, OME-Zarr stream slice by slice).
 * Manual thresholds skip passes 1-2.  Memory: one input slab and its u8
 * labels, the slab depth chosen so that they take at most half of the
 * budget (at least one section), and an OME-Zarr output's chunk depth cut
 * to a quarter; the output is byte-identical to the whole-volume path
 * (OME-Zarr: the same data, chunks possibly shallower).  Opening and
 * closing stream too: each slab is read with a halo of sections deeper
 * than the sum of the four ball radii (open = erode + dilate, close =
 * dilate + erode), so that every voxel it writes sees, through the chain
 * of EDT thresholds, exactly the voxels the whole volume would show it
 * (fib_recon_morph: the cut faces count as neither phase, like the volume
 * border, and lie beyond the reach of every operation).  Holes, the size
 * filter, hysteresis and the watershed need whole-volume connectivity and
 * are not streamed: they are refused with the budget they would need.
 * Several processes (env->comm): passes 1-2 split the sections in rank
 * order and combine the extremes and the counts on every rank (whole
 * numbers: the thresholds are bit for bit those of one process); pass 3
 * writes each rank's z-chunks of the OME-Zarr (parts aligned with
 * fib_fmt_zarr_z_align()), the class counts summed at the end.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/formats.h"
#include "fib/segment.h"
#include "job_segment_internal.h"

/* Sections per slab: input + u8 labels of a slab within half the budget. */
static size_t slab_depth(const fib_fmt_info *info, size_t budget)
{
    const size_t per = info->nx * info->ny *
                       (fib_pixel_size_bytes(info->type) + sizeof(uint8_t));
    size_t d = per ? budget / 2 / per : 1;
    if (d < 1)
        d = 1;
    return d > info->nz ? info->nz : d;
}

typedef fib_status (*slab_fn)(void *ctx, const fib_volume *slab, size_t z0,
                              fib_error *err);

/* The slabs of sections [zb, ze) of @p in through @p fn, with progress. */
static fib_status each_slab(const char *in, const fib_fmt_info *info, size_t zb,
                            size_t ze, size_t depth, const fib_job_env *env,
                            const char *stage, slab_fn fn, void *ctx,
                            fib_error *err)
{
    const fib_progress *prog = env ? &env->progress : NULL;
    fib_status st = FIB_OK;
    for (size_t z0 = zb; !st && z0 < ze; z0 += depth) {
        const size_t n = ze - z0 < depth ? ze - z0 : depth;
        st = fib_progress_report(prog, stage, z0, info->nz, err);
        fib_volume slab = {0};
        if (!st)
            st = fib_fmt_volume_read_z(in, NULL, z0, n, &slab, NULL, err);
        if (!st)
            st = fn(ctx, &slab, z0, err);
        fib_volume_clear(&slab);
    }
    return st;
}

typedef struct minmax_ctx {
    double lo, hi;
} minmax_ctx;

static fib_status slab_minmax(void *ctx, const fib_volume *slab, size_t z0,
                              fib_error *err)
{
    (void)z0;
    (void)err;
    minmax_ctx *m = ctx;
    double lo, hi;
    fib_volume_minmax(slab, &lo, &hi);
    /* fib_volume_minmax gives 0, 0 for a slab without a finite voxel */
    bool any = lo != 0 || hi != 0;
    if (!any) { /* all zero, or none finite: look */
        const size_t n = slab->nx * slab->ny * slab->nz;
        for (size_t i = 0; i < n && !any; i++)
            any = isfinite(fib_volume_get(slab, i % slab->nx,
                                          i / slab->nx % slab->ny,
                                          i / (slab->nx * slab->ny)));
    }
    if (any) {
        m->lo = fmin(m->lo, lo);
        m->hi = fmax(m->hi, hi);
    }
    return FIB_OK;
}

typedef struct hist_ctx {
    double lo, hi;
    double count[FIB_OTSU_BINS];
} hist_ctx;

static fib_status slab_hist(void *ctx, const fib_volume *slab, size_t z0,
                            fib_error *err)
{
    (void)z0;
    hist_ctx *h = ctx;
    return fib_recon_hist_add(slab, h->lo, h->hi, h->count, err);
}

typedef struct write_ctx {
    fib_fmt_volume_writer *w;
    const fib_job_segment_result *res;
    size_t *class_voxels;
    const double *voxel_nm;
} write_ctx;

/* Voxel i of a u8 / u16 / f32 slab as the classifier sees it. */
static inline double value_at(const fib_volume *v, size_t i)
{
    switch (v->type) {
    case FIB_PX_U8:
        return ((const uint8_t *)v->data)[i];
    case FIB_PX_U16:
        return ((const uint16_t *)v->data)[i];
    default:
        return (double)((const float *)v->data)[i];
    }
}

/* Classify each section (the rule of fib_recon_classify(): the number of
 * thresholds the value is strictly greater than) straight into u8 and
 * append it. */
static fib_status slab_write(void *ctx, const fib_volume *slab, size_t z0,
                             fib_error *err)
{
    (void)z0;
    write_ctx *c = ctx;
    if (slab->type != FIB_PX_U8 && slab->type != FIB_PX_U16 &&
        slab->type != FIB_PX_F32)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: thresholds need a u8, u16 or f32 volume, "
                             "not a u32 label volume");
    const double *t = c->res->thresholds;
    const size_t nt = c->res->n_thresholds, plane = slab->nx * slab->ny;
    fib_image lab = {0};
    fib_status st = fib_image_init(&lab, FIB_PX_U8, slab->nx, slab->ny, err);
    for (size_t z = 0; !st && z < slab->nz; z++) {
        for (size_t y = 0; y < slab->ny; y++) {
            uint8_t *row = fib_image_row(&lab, y);
            for (size_t x = 0; x < slab->nx; x++) {
                const double v = value_at(slab, z * plane + y * slab->nx + x);
                uint32_t k = 0;
                while (k < nt && v > t[k])
                    k++;
                row[x] = (uint8_t)k;
                c->class_voxels[k]++;
            }
        }
        st = fib_fmt_volume_writer_append(c->w, &lab, err);
    }
    fib_image_clear(&lab);
    return st;
}

/* Sections of halo that opening and closing need on each side of a slab:
 * deeper than 2 open_nm + 2 close_nm (the reach of the four EDT
 * thresholds) at the z voxel size (unknown: 1 nm, as fib_recon_morph). */
size_t fib__job_segment_halo(const fib_job_segment_params *p, double sz_nm)
{
    if (!(p->open_nm > 0) && !(p->close_nm > 0))
        return 0;
    const double sz = sz_nm > 0 && isfinite(sz_nm) ? sz_nm : 1.0;
    const double reach = 2.0 * p->open_nm + 2.0 * p->close_nm;
    return (size_t)floor(reach / sz) + 1;
}

/* Classify, open and close, write: the slabs of sections [zb, ze) with
 * the halo. */
static fib_status write_cleaned(const fib_job_segment_params *p, const char *in,
                                const fib_fmt_info *info, size_t zb, size_t ze,
                                size_t depth, size_t halo,
                                const fib_job_env *env, write_ctx *c,
                                fib_error *err)
{
    const fib_progress *prog = env ? &env->progress : NULL;
    const size_t nz = info->nz, plane = info->nx * info->ny;
    const double *t = c->res->thresholds;
    const size_t nt = c->res->n_thresholds;
    fib_status st = FIB_OK;
    for (size_t z0 = zb; !st && z0 < ze; z0 += depth) {
        const size_t z1 = z0 + depth < ze ? z0 + depth : ze;
        const size_t a = z0 > halo ? z0 - halo : 0;
        const size_t b = z1 + halo < nz ? z1 + halo : nz;
        fib_volume v = {0}, lab = {0}, mask = {0};
        fib_image out = {0};
        st = fib_progress_report(prog, "classify and clean", z0, nz, err);
        if (!st)
            st = fib_fmt_volume_read_z(in, NULL, a, b - a, &v, NULL, err);
        if (!st && p->voxel_nm[0] > 0)
            memcpy(v.voxel_size_nm, p->voxel_nm, sizeof v.voxel_size_nm);
        if (!st)
            st = fib_volume_init(&lab, FIB_PX_U8, v.nx, v.ny, v.nz, err);
        if (!st)
            st = fib_volume_init(&mask, FIB_PX_U8, v.nx, v.ny, v.nz, err);
        if (!st)
            st = fib_image_init(&out, FIB_PX_U8, v.nx, v.ny, err);
        uint8_t *L = lab.data, *M = mask.data;
        const size_t n = v.nx * v.ny * v.nz;
        for (size_t i = 0; !st && i < n; i++) { /* fib_recon_classify's rule */
            const double x = value_at(&v, i);
            uint32_t k = 0;
            while (k < nt && x > t[k])
                k++;
            L[i] = (uint8_t)k;
        }
        if (!st)
            memcpy(mask.voxel_size_nm, v.voxel_size_nm,
                   sizeof mask.voxel_size_nm);
        /* fib__job_segment_clean(): each class in turn, later ones win */
        uint8_t *C = calloc(n ? n : 1, 1);
        if (!st && !C)
            st = fib_error_set(err, FIB_ENOMEM, "segment: out of memory");
        for (size_t k = 1; !st && k <= nt; k++) {
            for (size_t i = 0; i < n; i++)
                M[i] = L[i] == k;
            if (p->open_nm > 0)
                st = fib_recon_morph(&mask, FIB_MORPH_OPEN, p->open_nm, err);
            if (!st && p->close_nm > 0)
                st = fib_recon_morph(&mask, FIB_MORPH_CLOSE, p->close_nm, err);
            for (size_t i = 0; !st && i < n; i++)
                if (M[i])
                    C[i] = (uint8_t)k;
        }
        for (size_t z = z0; !st && z < z1; z++) {
            const uint8_t *src = C + (z - a) * plane;
            for (size_t y = 0; y < info->ny; y++)
                memcpy(fib_image_row(&out, y), src + y * info->nx, info->nx);
            for (size_t i = 0; i < plane; i++)
                c->class_voxels[src[i]]++;
            st = fib_fmt_volume_writer_append(c->w, &out, err);
        }
        free(C);
        fib_image_clear(&out);
        fib_volume_clear(&mask);
        fib_volume_clear(&lab);
        fib_volume_clear(&v);
    }
    return st;
}

/* Several processes: agree on @p st, then @p n values of every rank
 * combined on all in rank order: summed (@p extremes 0), or as (min of
 * the first, max of the second) pairs (1). */
static fib_status combine(const fib_comm *comm, fib_status st, double *v,
                          size_t n, int extremes, fib_error *err)
{
    st = fib_comm_agree(comm, st, err);
    if (st || fib_comm_size(comm) == 1)
        return st;
    void *all = NULL;
    st = fib_comm_allgather(comm, v, n * sizeof *v, &all, NULL, err);
    if (!st) {
        const double *a = all;
        for (size_t i = 0; i < n; i++) {
            double acc = a[i];
            for (int q = 1; q < comm->size; q++) {
                const double x = a[(size_t)q * n + i];
                acc = !extremes ? acc + x : i % 2 ? fmax(acc, x) : fmin(acc, x);
            }
            v[i] = acc;
        }
    }
    free(all);
    return fib_comm_agree(comm, st, err);
}

/* Several processes: this rank's sections of the output, in blocks of
 * the zarr alignment split in rank order, into @p wo. */
static void part_of(const fib_comm *comm, const fib_fmt_info *info,
                    fib_fmt_write_opts *wo)
{
    if (fib_comm_size(comm) == 1)
        return;
    const size_t al = fib_fmt_zarr_z_align(info->nx, info->ny, info->nz, wo);
    const size_t blocks = info->nz / al + (info->nz % al != 0);
    size_t zb, ze;
    fib_comm_split(blocks, comm->rank, comm->size, &zb, &ze);
    wo->zarr_part = true;
    wo->zarr_z_begin = zb * al < info->nz ? zb * al : info->nz;
    wo->zarr_z_end = ze * al < info->nz ? ze * al : info->nz;
}

/* Several processes: every rank's class counts summed on all (counts
 * below 2^53 travel exactly as doubles). */
static fib_status combine_counts(const fib_comm *comm, fib_status st,
                                 fib_job_segment_result *res, fib_error *err)
{
    double cv[FIB_JOB_SEGMENT_MAX_THRESHOLDS + 2];
    const size_t ncv = sizeof cv / sizeof *cv;
    for (size_t k = 0; k < ncv; k++)
        cv[k] = (double)res->class_voxels[k];
    st = combine(comm, st, cv, ncv, 0, err); /* counts below 2^53: exact */
    for (size_t k = 0; !st && k < ncv; k++)
        res->class_voxels[k] = (size_t)cv[k];
    return st;
}

fib_status fib__job_segment_stream(const fib_job_segment_params *p,
                                   const char *in, const char *staged,
                                   const fib_fmt_info *info, size_t budget,
                                   const fib_job_env *env,
                                   fib_job_segment_result *res, fib_error *err)
{
    const fib_comm *comm = env ? env->comm : NULL;
    size_t depth = slab_depth(info, budget);
    /* opening and closing: the slab and its halo, input + 7 bytes a voxel
     * (labels, mask, the EDT of fib_recon_morph, the cleaned labels) */
    const double sz =
        p->voxel_nm[0] > 0 ? p->voxel_nm[2] : info->meta.voxel_depth_nm;
    const size_t halo = fib__job_segment_halo(p, sz);
    if (halo) {
        const double per = (double)info->nx * (double)info->ny *
                           ((double)fib_pixel_size_bytes(info->type) + 7.0);
        const double fit = floor((double)budget / 2 / per) - 2.0 * (double)halo;
        if (fit < 1)
            return fib_error_set(err, FIB_EBUDGET,
                                 "segment: --open/--close on %s need a slab "
                                 "with %zu halo sections on each side, about "
                                 "%.0f MiB (--memory %.0f MiB keeps half for "
                                 "it): raise --memory",
                                 in, halo,
                                 per * (double)(1 + 2 * halo) * 2 / 1048576.0,
                                 (double)budget / 1048576.0);
        depth = fit >= (double)info->nz ? info->nz : (size_t)fit;
    }
    fib_status st = FIB_OK;
    if (p->method == FIB_JOB_SEGMENT_MANUAL) {
        res->n_thresholds = p->n_thresholds;
        memcpy(res->thresholds, p->thresholds,
               sizeof(double) * p->n_thresholds);
    } else {
        /* several processes: each its sections, then the extremes and
         * the histogram's counts (whole numbers: exact in any order)
         * combined on every rank */
        size_t a, b;
        fib_comm_split(info->nz, fib_comm_rank(comm), fib_comm_size(comm), &a,
                       &b);
        minmax_ctx m = {INFINITY, -INFINITY};
        st = each_slab(in, info, a, b, depth, env, "min/max", slab_minmax, &m,
                       err);
        double lh[2] = {m.lo, m.hi};
        st = combine(comm, st, lh, 2, 1, err);
        m.lo = lh[0];
        m.hi = lh[1];
        if (!st && !(m.hi >= m.lo))
            m.lo = m.hi = 0; /* no finite voxel: refused below */
        hist_ctx *h = calloc(1, sizeof *h);
        if (!st && !h)
            st = fib_error_set(err, FIB_ENOMEM, "segment: out of memory");
        if (!st) {
            h->lo = m.lo;
            h->hi = m.hi;
            st = each_slab(in, info, a, b, depth, env, "histogram", slab_hist,
                           h, err);
        }
        st = combine(comm, st, h ? h->count : NULL, FIB_OTSU_BINS, 0, err);
        res->n_thresholds =
            p->method == FIB_JOB_SEGMENT_OTSU ? 1 : (size_t)p->classes - 1;
        if (!st)
            st = fib_recon_multi_otsu_hist(h->count, h->lo, h->hi,
                                           (int)res->n_thresholds + 1,
                                           res->thresholds, err);
        free(h);
    }
    if (st)
        return st;
    if (fib_comm_size(comm) > 1)
        fib_job_say(env, FIB_JOB_NOTE,
                    "segment: %d processes, each its part in slabs of %zu "
                    "sections",
                    comm->size, depth);
    else
        fib_job_say(env, FIB_JOB_NOTE,
                    "segment: streamed in slabs of %zu sections (the volume "
                    "does not fit --memory whole)",
                    depth);
    double vs[3] = {info->meta.pixel_size_nm[0], info->meta.pixel_size_nm[1],
                    info->meta.voxel_depth_nm};
    if (p->voxel_nm[0] > 0)
        memcpy(vs, p->voxel_nm, sizeof vs);
    for (int a = 0; a < 3; a++)
        if (!(vs[a] > 0) || !isfinite(vs[a]))
            vs[a] = 0;
    fib_fmt_write_opts wo = {0};
    wo.zarr_labels = true;
    /* an OME-Zarr writer holds one chunk depth of sections per level: at
     * most a quarter of the budget (128 by default; the data are the same
     * as the whole-volume path's, the chunking may be shallower) */
    const size_t plane = info->nx * info->ny;
    size_t cz = plane ? budget / 4 / plane : 1;
    wo.zarr_chunk[0] = cz < 1 ? 1 : cz > 128 ? 128 : cz;
    write_ctx c = {NULL, res, res->class_voxels, vs};
    /* several processes: each writes its z-chunks of the OME-Zarr, the
     * parts aligned so that no chunk of any level is shared */
    part_of(comm, info, &wo);
    const size_t zb = wo.zarr_part ? wo.zarr_z_begin : 0,
                 ze = wo.zarr_part ? wo.zarr_z_end : info->nz;
    st = fib_fmt_volume_writer_create(staged, FIB_PX_U8, info->nx, info->ny,
                                      info->nz, vs, &wo, &c.w, err);
    if (!st && halo)
        st = write_cleaned(p, in, info, zb, ze, depth, halo, env, &c, err);
    else if (!st)
        st = each_slab(in, info, zb, ze, depth, env, "classify", slab_write, &c,
                       err);
    if (!st)
        st = fib_fmt_volume_writer_finish(c.w, err);
    fib_fmt_volume_writer_destroy(c.w);
    st = combine_counts(comm, st, res, err);
    res->nx = info->nx;
    res->ny = info->ny;
    res->nz = info->nz;
    return st;
}
