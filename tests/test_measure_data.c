/* test_measure_data.c -- measurements on the real electrode volumes in
 * ../shared/data (skipped when absent). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/formats.h"
#include "fib/measure.h"
#include "fib/segment.h"
#include "fib_test.h"

static char electrode[4096], nrel[4096];

static fib_volume load(const char *path)
{
    fib_volume v;
    fib_error e = {0};
    ck_assert_msg(fib_fmt_volume_read(path, NULL, &v, NULL, &e) == FIB_OK, "%s",
                  e.msg);
    return v;
}

static fib_volume mask_of(const fib_volume *v, unsigned value, size_t x0,
                          size_t n)
{
    /* crop [x0, x0 + n)^3 (n = 0: whole volume) */
    fib_volume m;
    fib_error e = {0};
    size_t nx = n ? n : v->nx, ny = n ? n : v->ny, nz = n ? n : v->nz;
    ck_assert_int_eq(fib_volume_init(&m, FIB_PX_U8, nx, ny, nz, &e), FIB_OK);
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++)
                ((uint8_t *)m.data)[(z * ny + y) * nx + x] =
                    fib_volume_get(v, x + x0, y + x0, z + x0) == value;
    return m;
}

START_TEST(test_electrode_fractions_labels)
{
    fib_volume v = load(electrode);
    ck_assert_uint_eq(v.nx, 256);
    ck_assert_uint_eq(v.nz, 256);
    fib_error e = {0};
    double f0, f85, f170;
    ck_assert_int_eq(fib_recon_volume_fraction(&v, 0, &f0, &e), FIB_OK);
    ck_assert_int_eq(fib_recon_volume_fraction(&v, 85, &f85, &e), FIB_OK);
    ck_assert_int_eq(fib_recon_volume_fraction(&v, 170, &f170, &e), FIB_OK);
    /* README: 44.99 %, 40.05 %, 14.96 % */
    ck_assert_double_le(fabs(f0 - 0.4499), 6e-5);
    ck_assert_double_le(fabs(f85 - 0.4005), 6e-5);
    ck_assert_double_le(fabs(f170 - 0.1496), 6e-5);
    /* component counts equal scipy.ndimage.label (bench/run_measure.sh):
       pore 2317 (6-conn) / 789 (26-conn), active 121 / 81 */
    fib_volume m = mask_of(&v, 0, 0, 0), l;
    size_t n;
    ck_assert_int_eq(fib_recon_label(&m, 6, &l, &n, &e), FIB_OK);
    ck_assert_uint_eq(n, 2317);
    fib_volume_clear(&l);
    ck_assert_int_eq(fib_recon_label(&m, 26, &l, &n, &e), FIB_OK);
    ck_assert_uint_eq(n, 789);
    fib_volume_clear(&l);
    fib_volume_clear(&m);
    m = mask_of(&v, 85, 0, 0);
    ck_assert_int_eq(fib_recon_label(&m, 6, &l, &n, &e), FIB_OK);
    ck_assert_uint_eq(n, 121);
    fib_volume_clear(&l);
    /* marching-cubes specific surface of the active phase: skimage's
       marching_cubes + mesh_surface_area gives 1747917.1 voxel^2 */
    fib_phase_surface s;
    ck_assert_int_eq(fib_recon_phase_surface(&v, 85, 0, &s, &e), FIB_OK);
    ck_assert_double_le(fabs(s.area_um2 * 1e6 / 1747917.1 - 1), 0.005);
    fib_volume_clear(&m);
    fib_volume_clear(&v);
}
END_TEST

START_TEST(test_electrode_tortuosity_crop)
{
    /* pore phase in a 64^3 crop: multigrid and Jacobi CG agree, the
       value is finite and > 1, fluxes balance */
    fib_volume v = load(electrode);
    fib_volume m = mask_of(&v, 0, 40, 64);
    fib_volume_clear(&v);
    fib_error e = {0};
    fib_tort_result a, b;
    fib_tort_opts o = {.rel_tol = 1e-8};
    ck_assert_int_eq(fib_recon_tortuosity(&m, 2, &o, &a, NULL, &e), FIB_OK);
    o.jacobi = true;
    ck_assert_int_eq(fib_recon_tortuosity(&m, 2, &o, &b, NULL, &e), FIB_OK);
    ck_assert(a.percolating);
    ck_assert_double_gt(a.tau, 1.0);
    ck_assert_double_lt(a.tau, 20.0);
    ck_assert_double_le(fabs(a.tau / b.tau - 1), 1e-5);
    ck_assert_double_le(a.flux_mismatch, 1e-5);
    ck_assert_uint_lt(a.iterations, b.iterations / 5);
    fib_volume_clear(&m);
}
END_TEST

START_TEST(test_nrel_fractions_objects)
{
    fib_volume v = load(nrel);
    ck_assert_uint_eq(v.nx, 301);
    ck_assert_uint_eq(v.nz, 251);
    fib_error e = {0};
    double f;
    /* README: 0 = pore 40.1 %, 1 = NMC 49.9 %, 2 = CBD 10.0 % */
    ck_assert_int_eq(fib_recon_volume_fraction(&v, 1, &f, &e), FIB_OK);
    ck_assert_double_le(fabs(f - 0.499), 6e-4);
    ck_assert_int_eq(fib_recon_volume_fraction(&v, 2, &f, &e), FIB_OK);
    ck_assert_double_le(fabs(f - 0.100), 6e-4);
    fib_volume m = mask_of(&v, 1, 0, 0), l;
    size_t n;
    ck_assert_int_eq(fib_recon_label(&m, 6, &l, &n, &e), FIB_OK);
    ck_assert_uint_eq(n, 144); /* scipy.ndimage.label */
    fib_object_stats *o;
    ck_assert_int_eq(fib_recon_objects(&l, n, NULL, NULL, &o, &e), FIB_OK);
    size_t tot = 0;
    for (size_t k = 0; k < n; k++) {
        tot += o[k].n_voxels;
        ck_assert_double_gt(o[k].sphericity, 0);
        ck_assert_double_le(o[k].sphericity, 1.1);
    }
    ck_assert_double_le(fabs((double)tot / (301.0 * 301 * 251) - 0.499), 6e-4);
    free(o);
    fib_volume_clear(&l);
    fib_volume_clear(&m);
    fib_volume_clear(&v);
}
END_TEST

int main(void)
{
    bool have =
        fib_test_shared("taufactor-electrode/electrode.tiff", electrode,
                        sizeof electrode) &&
        fib_test_shared(
            "nrel-nmc-electrode-segmented/nmc-1-cal_generatedCBD_bridge.tif",
            nrel, sizeof nrel);
    Suite *s = suite_create("measure_data");
    TCase *tc = tcase_create("data");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_electrode_fractions_labels);
    tcase_add_test(tc, test_electrode_tortuosity_crop);
    tcase_add_test(tc, test_nrel_fractions_objects);
    suite_add_tcase(s, tc);
    return fib_test_run(s, have ? NULL : "shared electrode data absent");
}
