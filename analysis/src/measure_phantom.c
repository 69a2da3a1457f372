/* measure_phantom.c -- synthetic dendritic Li deposit on a substrate (see
 * fib_recon_dendrite_phantom() in fib/measure.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/measure.h"
#include "analysis_internal.h"

/* 64-bit LCG (Knuth MMIX constants); uniform double in [0, 1). */
static double rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) * (1.0 / 9007199254740992.0);
}

typedef struct tip {
    double p[3], d[3];
} tip;

static void ball(uint8_t *v, size_t nx, size_t ny, size_t nz, const double c[3],
                 double r)
{
    long r0 = (long)ceil(r);
    for (long dz = -r0; dz <= r0; dz++)
        for (long dy = -r0; dy <= r0; dy++)
            for (long dx = -r0; dx <= r0; dx++) {
                if ((double)(dx * dx + dy * dy + dz * dz) > r * r)
                    continue;
                long x = lround(c[0]) + dx, y = lround(c[1]) + dy,
                     z = lround(c[2]) + dz;
                if (x < 0 || y < 0 || z < 0 || x >= (long)nx || y >= (long)ny ||
                    z >= (long)nz)
                    continue;
                uint8_t *q = v + ((size_t)z * ny + (size_t)y) * nx + (size_t)x;
                if (*q == 0)
                    *q = 2;
            }
}

fib_status fib_recon_dendrite_phantom(size_t nx, size_t ny, size_t nz,
                                      double voxel_nm, size_t substrate_vox,
                                      size_t n_seeds, double radius_vox,
                                      uint64_t seed, fib_volume *labels,
                                      fib_error *err)
{
    memset(labels, 0, sizeof *labels);
    if (!(voxel_nm > 0) || !isfinite(voxel_nm))
        return fib_error_set(
            err, FIB_EINVAL,
            "recon: phantom voxel size must be > 0 nm (got %g)", voxel_nm);
    if (!(radius_vox >= 0.5) || radius_vox > 32)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: phantom radius must be 0.5..32 voxels "
                             "(got %g)",
                             radius_vox);
    if (nx < 8 || ny < 8 || nz < substrate_vox + 8 || n_seeds > 4096)
        return fib_error_set(err, FIB_EINVAL,
                             "recon: phantom needs nx, ny >= 8, nz >= "
                             "substrate + 8 and <= 4096 seeds");
    fib_status st = fib_volume_init(labels, FIB_PX_U8, nx, ny, nz, err);
    if (st != FIB_OK)
        return st;
    for (int a = 0; a < 3; a++)
        labels->voxel_size_nm[a] = voxel_nm;
    uint8_t *v = labels->data;
    memset(v, 1, nx * ny * substrate_vox);
    uint64_t s = seed ? seed : 1;
    size_t cap = 4 * n_seeds + 64, nt = 0;
    tip *t = malloc(sizeof *t * cap);
    if (!t) {
        fib_volume_clear(labels);
        return fib_error_set(err, FIB_ENOMEM, "recon: out of memory");
    }
    for (size_t k = 0; k < n_seeds; k++) {
        t[nt].p[0] = 2 + rnd(&s) * (double)(nx - 4);
        t[nt].p[1] = 2 + rnd(&s) * (double)(ny - 4);
        t[nt].p[2] = (double)substrate_vox;
        t[nt].d[0] = t[nt].d[1] = 0;
        t[nt].d[2] = 1;
        nt++;
    }
    size_t zmax = nz - 3;
    for (size_t k = 0; k < nt; k++) {
        tip cur = t[k];
        size_t steps = 0;
        while (cur.p[2] < (double)zmax && steps < 4 * nz) {
            ball(v, nx, ny, nz, cur.p, radius_vox);
            for (int a = 0; a < 3; a++)
                cur.d[a] += 0.35 * (rnd(&s) - 0.5);
            cur.d[2] += 0.08; /* growth bias away from the substrate */
            double l = sqrt(cur.d[0] * cur.d[0] + cur.d[1] * cur.d[1] +
                            cur.d[2] * cur.d[2]);
            for (int a = 0; a < 3; a++) {
                cur.d[a] /= l;
                cur.p[a] += cur.d[a];
            }
            if (cur.p[0] < 1 || cur.p[1] < 1 || cur.p[0] > (double)nx - 2 ||
                cur.p[1] > (double)ny - 2)
                break;
            if (rnd(&s) < 0.04 && nt < cap) {
                t[nt] = cur;
                t[nt].d[0] += rnd(&s) - 0.5;
                t[nt].d[1] += rnd(&s) - 0.5;
                nt++;
            }
            steps++;
        }
    }
    /* a few detached ("dead") Li particles in the electrolyte */
    for (size_t k = 0; k < n_seeds / 2 + 1; k++) {
        double c[3] = {2 + rnd(&s) * (double)(nx - 4),
                       2 + rnd(&s) * (double)(ny - 4),
                       (double)substrate_vox + 4 +
                           rnd(&s) * (double)(nz - substrate_vox - 8)};
        ball(v, nx, ny, nz, c, radius_vox + 1);
    }
    free(t);
    return FIB_OK;
}
