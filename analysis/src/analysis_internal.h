/*
 * analysis_internal.h -- private helpers shared by the segmentation and
 * measurement files of analysis/ (not installed).
 */
#ifndef FIB_RECON_INTERNAL_H
#define FIB_RECON_INTERNAL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fib/image.h"
#include "fib/measure.h"
#include "fib/mesh.h"

/* True when @p vol has the packed strides fib_volume_init() makes. */
bool fib__vol_packed(const fib_volume *vol);

/* Check that @p vol is a packed volume of nonzero size; @p what names the
 * argument in the error. */
fib_status fib__vol_check(const fib_volume *vol, const char *what,
                          fib_error *err);

/* Voxel spacing in nm with unknown (0 or not finite) sizes taken as 1. */
void fib__vol_spacing(const fib_volume *vol, double sp[3]);

/* Number of voxels (already checked to fit at init). */
static inline size_t fib__vol_count(const fib_volume *vol)
{
    return vol->nx * vol->ny * vol->nz;
}

/* Value of voxel i of a packed volume as double. */
double fib__vol_value(const fib_volume *vol, size_t i);

/* Squared EDT core: @p f holds 0 (feature) or +inf per voxel (packed,
 * nx*ny*nz doubles... as float), transformed in place into squared
 * distances in nm^2 (Felzenszwalb & Huttenlocher 2012). */
fib_status fib__edt_sq(float *f, size_t nx, size_t ny, size_t nz,
                       const double sp[3], fib_error *err);

/* 6/18/26 neighbour offsets (dx, dy, dz) of the "backward" half
 * (neighbours earlier in raster order): 3, 9, 13 entries. */
int fib__backward_offsets(int connectivity, int off[13][3]);

/* Lee94 thinning predicates of skeleton.c on the 26 neighbours of a
 * voxel: bit k of @p cfg is the 3x3x3 index k (z * 9 + y * 3 + x) for
 * k < 13 and k + 1 above (the centre left out).  t26_le1: the object
 * voxels form at most one 26-component; euler_invariant: removing the
 * centre leaves the Euler characteristic (26/6) of the neighbourhood
 * unchanged. */
bool fib__skel_t26_le1(uint32_t cfg);
bool fib__skel_euler_invariant(uint32_t cfg);

/* The 26 neighbour offsets (dx, dy, dz) of a voxel, in raster order (dz,
 * then dy, then dx, each from -1 to 1), the centre left out.  Every
 * 26-neighbour loop of analysis/ walks this table so that the visiting
 * order (which decides ties, e.g. the skeleton walker's next voxel) is
 * one order. */
extern const int8_t fib__n26[26][3];

/* Packed index of neighbour @p k (fib__n26[k]) of voxel (x, y, z) of an
 * nx * ny * nz grid in *j; false (and *j untouched) when it lies outside. */
static inline bool fib__n26_index(size_t x, size_t y, size_t z, size_t nx,
                                  size_t ny, size_t nz, int k, size_t *j)
{
    const ptrdiff_t xx = (ptrdiff_t)x + fib__n26[k][0],
                    yy = (ptrdiff_t)y + fib__n26[k][1],
                    zz = (ptrdiff_t)z + fib__n26[k][2];
    if (xx < 0 || yy < 0 || zz < 0 || xx >= (ptrdiff_t)nx ||
        yy >= (ptrdiff_t)ny || zz >= (ptrdiff_t)nz)
        return false;
    *j = ((size_t)zz * ny + (size_t)yy) * nx + (size_t)xx;
    return true;
}

/* The tortuosity solver's aggregation-multigrid W-cycle (tortuosity.c)
 * for the voxels of the 6-connected clusters of @p mask touching both
 * faces normal to @p axis (*nact of them, raster order), as a
 * preconditioner z = M^-1 r of other symmetric operators on those voxels
 * (the composite conductivity); with *nact 0 (nothing percolates) it
 * must not be applied. */
typedef struct fib__tort_pc fib__tort_pc;
fib_status fib__tort_pc_create(const fib_volume *mask, int axis,
                               fib__tort_pc **out, size_t *nact,
                               fib_error *err);
void fib__tort_pc_apply(fib__tort_pc *pc, const float *r, float *z);
void fib__tort_pc_destroy(fib__tort_pc *pc);

/* fib_recon_watershed() with the EDT of @p mask (fib_recon_edt()) given. */
fib_status fib__recon_watershed_edt(const fib_volume *mask,
                                    const fib_volume *edt, double h_nm,
                                    fib_volume *labels, size_t *n_labels,
                                    fib_error *err);

/* Packed offsets of the fib__n26 neighbours (same order) in an nx * ny
 * grid, for voxels away from the border. */
static inline void fib__n26_offsets(size_t nx, size_t ny, ptrdiff_t off[26])
{
    for (int k = 0; k < 26; k++)
        off[k] = ((ptrdiff_t)fib__n26[k][2] * (ptrdiff_t)ny +
                  (ptrdiff_t)fib__n26[k][1]) *
                     (ptrdiff_t)nx +
                 (ptrdiff_t)fib__n26[k][0];
}

/* Length in nm of the voxel step (dx, dy, dz) with spacing @p sp. */
static inline double fib__step_len(const double sp[3], int dx, int dy, int dz)
{
    return sqrt(dx * dx * sp[0] * sp[0] + dy * dy * sp[1] * sp[1] +
                dz * dz * sp[2] * sp[2]);
}

/* Area of triangle @p k of @p m in the vertex units squared: half the norm
 * of the cross product of two edges, computed in double. */
double fib__mesh_triangle_area(const fib_mesh *m, size_t k);

/* Voxel @p c (indices) of a volume of @p dims added to an object's sums:
 * the count, coordinate sums @p s (x y z) and products @p ss (xx yy zz xy
 * xz yz) in nm, the box, border contact, and with a substrate @p face
 * (0..5; -1 none) the height above the face in um and the face contact
 * (measure_objects.c, measure_objects_stream.c). */
static inline void fib__object_voxel(const size_t c[3], const size_t dims[3],
                                     const double sp[3], int face, size_t *n,
                                     double s[3], double ss[6], size_t bmin[3],
                                     size_t bmax[3], bool *border,
                                     bool *substrate, double *height_um)
{
    double p[3];
    (*n)++;
    for (int d = 0; d < 3; d++) {
        p[d] = (double)c[d] * sp[d];
        s[d] += p[d];
        if (c[d] < bmin[d])
            bmin[d] = c[d];
        if (c[d] > bmax[d])
            bmax[d] = c[d];
        if (c[d] == 0 || c[d] == dims[d] - 1)
            *border = true;
    }
    ss[0] += p[0] * p[0];
    ss[1] += p[1] * p[1];
    ss[2] += p[2] * p[2];
    ss[3] += p[0] * p[1];
    ss[4] += p[0] * p[2];
    ss[5] += p[1] * p[2];
    if (face >= 0) {
        const int ax = face / 2;
        const bool hi = face % 2;
        const double h = hi ? (double)(dims[ax] - c[ax]) * sp[ax]
                            : (double)(c[ax] + 1) * sp[ax];
        if (h * 1e-3 > *height_um)
            *height_um = h * 1e-3;
        if (c[ax] == (hi ? dims[ax] - 1 : 0))
            *substrate = true;
    }
}

/* Volume, equivalent diameter, centroid (+ origin_nm, non-finite = 0) and
 * principal axes of object @p s (n_voxels set) from the sums of its voxel
 * coordinates in nm: sum = x y z, sum2 = xx yy zz xy xz yz
 * (measure_objects.c). */
void fib__object_moments(fib_object_stats *s, const double sum[3],
                         const double sum2[6], const double origin_nm[3],
                         const double sp[3]);

#endif
