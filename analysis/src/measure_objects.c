/*
 * measure_objects.c -- per-object statistics of a component label volume:
 * volume, marching-cubes area, equivalent diameter, Wadell sphericity,
 * bounding box, principal axes (covariance / inertia eigen-decomposition
 * with LAPACKE_dsyev), border and substrate contact, height.
 */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/measure.h"
#include "fib/mesh.h"
#include "analysis_internal.h"

#define PI_ 3.14159265358979323846

typedef struct acc {
    double s[3], ss[6]; /* sums of x, y, z and xx yy zz xy xz yz (nm) */
} acc;

/* Pass 1 over the component volume: voxel counts, coordinate sums,
 * bounding boxes, border and substrate contact, heights. */
static void objects_scan(const fib_volume *cc, size_t n,
                         const fib_volume *src_labels,
                         const fib_substrate *substrate, int face,
                         const double sp[3], fib_object_stats *o, acc *A)
{
    const bool sub_label = substrate && substrate->has_label && src_labels;
    const size_t nx = cc->nx, ny = cc->ny, nz = cc->nz, dims[3] = {nx, ny, nz};
    const uint32_t *l = cc->data;
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++) {
                size_t i = (z * ny + y) * nx + x;
                uint32_t k = l[i];
                if (!k || k > n)
                    continue;
                fib_object_stats *s = &o[k - 1];
                acc *a = &A[k - 1];
                const size_t c[3] = {x, y, z};
                fib__object_voxel(c, dims, sp, face, &s->n_voxels, a->s, a->ss,
                                  s->bbox_min, s->bbox_max, &s->touches_border,
                                  &s->touches_substrate, &s->height_um);
                if (sub_label && !s->touches_substrate) {
                    static const int nb[6][3] = {{-1, 0, 0}, {1, 0, 0},
                                                 {0, -1, 0}, {0, 1, 0},
                                                 {0, 0, -1}, {0, 0, 1}};
                    for (int q = 0; q < 6; q++) {
                        ptrdiff_t xx = (ptrdiff_t)x + nb[q][0];
                        ptrdiff_t yy = (ptrdiff_t)y + nb[q][1];
                        ptrdiff_t zz = (ptrdiff_t)z + nb[q][2];
                        if (xx < 0 || yy < 0 || zz < 0 || xx >= (ptrdiff_t)nx ||
                            yy >= (ptrdiff_t)ny || zz >= (ptrdiff_t)nz)
                            continue;
                        size_t j =
                            ((size_t)zz * ny + (size_t)yy) * nx + (size_t)xx;
                        if (fib_volume_label_at(src_labels, j) ==
                            substrate->label) {
                            s->touches_substrate = true;
                            break;
                        }
                    }
                }
            }
}

/* Volume, equivalent diameter, centroid and principal axes of one object
 * from its sums (also the block-wise objects, measure_objects_stream.c). */
void fib__object_moments(fib_object_stats *s, const double sum[3],
                         const double sum2[6], const double origin_nm[3],
                         const double sp[3])
{
    const acc A = {{sum[0], sum[1], sum[2]},
                   {sum2[0], sum2[1], sum2[2], sum2[3], sum2[4], sum2[5]}};
    const acc *a = &A;
    double vvox_um3 = sp[0] * sp[1] * sp[2] * 1e-9;
    double nv = (double)s->n_voxels;
    s->volume_um3 = nv * vvox_um3;
    s->eq_diameter_um = cbrt(6.0 * s->volume_um3 / PI_);
    double m[3];
    for (int d = 0; d < 3; d++) {
        m[d] = a->s[d] / nv;
        s->centroid_nm[d] =
            m[d] + (isfinite(origin_nm[d]) ? origin_nm[d] : 0.0);
    }
    /* covariance of a voxel cube includes its own extent s^2/12 */
    double C[9];
    C[0] = a->ss[0] / nv - m[0] * m[0] + sp[0] * sp[0] / 12.0;
    C[4] = a->ss[1] / nv - m[1] * m[1] + sp[1] * sp[1] / 12.0;
    C[8] = a->ss[2] / nv - m[2] * m[2] + sp[2] * sp[2] / 12.0;
    C[1] = C[3] = a->ss[3] / nv - m[0] * m[1];
    C[2] = C[6] = a->ss[4] / nv - m[0] * m[2];
    C[5] = C[7] = a->ss[5] / nv - m[1] * m[2];
    double w[3];
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', 3, C, 3, w) == 0) {
        for (int i = 0; i < 3; i++) {
            int j = 2 - i; /* dsyev: ascending */
            s->axes_um[i] = sqrt(5.0 * (w[j] > 0 ? w[j] : 0)) * 1e-3;
            for (int d = 0; d < 3; d++)
                s->axis_dir[i][d] = C[d * 3 + j];
        }
    }
}

/* Area (marching cubes of the padded bounding-box crop) and sphericity of
 * object @p k (label k + 1); false when out of memory. */
static bool object_surface(fib_object_stats *s, const fib_volume *cc, size_t k,
                           const double sp[3])
{
    const size_t nx = cc->nx, ny = cc->ny;
    const uint32_t *l = cc->data;
    size_t b0[3], bd[3];
    for (int d = 0; d < 3; d++) {
        b0[d] = s->bbox_min[d];
        bd[d] = s->bbox_max[d] - s->bbox_min[d] + 1 + 2;
    }
    size_t nf = bd[0] * bd[1] * bd[2];
    float *f = calloc(nf, sizeof(float));
    if (!f)
        return false;
    for (size_t z = 0; z + 2 < bd[2]; z++)
        for (size_t y = 0; y + 2 < bd[1]; y++)
            for (size_t x = 0; x + 2 < bd[0]; x++) {
                size_t i = ((z + b0[2]) * ny + y + b0[1]) * nx + x + b0[0];
                if (l[i] == k + 1)
                    f[((z + 1) * bd[1] + y + 1) * bd[0] + x + 1] = 1.0f;
            }
    fib_mesh mesh;
    bool ok = true;
    if (fib_recon_marching_cubes(f, bd[0], bd[1], bd[2], sp, NULL, 0.5, &mesh,
                                 NULL) != FIB_OK) {
        ok = false;
    } else {
        s->area_um2 = fib_mesh_area(&mesh) * 1e-6;
        /* sphericity from the mesh's own enclosed volume, so that
           area and volume come from the same surface (voxel-count
           volume with a marching-cubes area gives psi > 1 for objects
           of a few voxels) */
        double vm = fib_mesh_volume(&mesh) * 1e-9;
        fib_mesh_clear(&mesh);
        if (s->area_um2 > 0 && vm > 0)
            s->sphericity = cbrt(PI_) * pow(6.0 * vm, 2.0 / 3.0) / s->area_um2;
    }
    free(f);
    return ok;
}

fib_status fib_recon_objects(const fib_volume *cc, size_t n,
                             const fib_volume *src_labels,
                             const fib_substrate *substrate,
                             fib_object_stats **out, fib_error *err)
{
    fib_status st;
    *out = NULL;
    if ((st = fib__vol_check(cc, "component volume", err)) != FIB_OK)
        return st;
    if (cc->type != FIB_PX_U32)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: component volume must be u32");
    if (src_labels &&
        (src_labels->nx != cc->nx || src_labels->ny != cc->ny ||
         src_labels->nz != cc->nz || !fib__vol_packed(src_labels)))
        return fib_error_set(err, FIB_EINVAL,
                             "recon: label volume size differs from the "
                             "component volume");
    int face = substrate ? substrate->face : -1;
    if (face < -1 || face > 5)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: substrate face must be -1..5 (got %d)",
                             face);
    fib_object_stats *o = calloc(n ? n : 1, sizeof *o);
    acc *A = calloc(n ? n : 1, sizeof *A);
    if (!o || !A) {
        free(o);
        free(A);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    double sp[3];
    fib__vol_spacing(cc, sp);
    for (size_t k = 0; k < n; k++) {
        o[k].label = (uint32_t)(k + 1);
        for (int a = 0; a < 3; a++) {
            o[k].bbox_min[a] = SIZE_MAX;
            o[k].bbox_max[a] = 0;
        }
        o[k].height_um = face >= 0 ? 0 : NAN;
    }
    objects_scan(cc, n, src_labels, substrate, face, sp, o, A);
    int failed = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : failed)
    for (size_t k = 0; k < n; k++) {
        if (o[k].n_voxels == 0)
            continue;
        fib__object_moments(&o[k], A[k].s, A[k].ss, cc->origin_nm, sp);
        if (!object_surface(&o[k], cc, k, sp))
            failed = 1;
    }
    free(A);
    if (failed) {
        free(o);
        return fib_error_set(err, FIB_ENOMEM,
                             "recon: out of memory measuring objects");
    }
    *out = o;
    return FIB_OK;
}
