/* test_recon_z.c -- measured slice positions (fib_recon_params.z_nm, issue
 * 16 item 2): a static texture whose grey level is its face depth, so
 * every output slice's mean grey says where in z it was taken.  Faces at
 * jittered depths (10 nm nominal, +-1.2 nm); the engine must resample to a
 * uniform 10 nm grid from the first face: output slice k at k x 10 nm
 * within 0.05 nm (linear interpolation of a linear function is exact), the
 * count floor(span / 10) + 1, each slice's z_nm recorded.  The nominal
 * grid (no z_nm) puts slice k at the jittered depth of input k: the error
 * the measured positions remove.  Bad positions are refused naming the
 * slice. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fib/recon.h"
#include "fib_test.h"

enum { W = 64, H = 48, NZ = 14 };

static const double JIT[NZ] = {0.0,  0.8, -1.2, 0.5,  1.1, -0.7, 0.0,
                               -1.0, 0.9, 0.3,  -0.4, 1.2, -1.1, 0.6};

typedef struct series {
    float tex[W * H];
    double z[NZ]; /* face depth of each slice, nm */
} series;

static fib_status read_z(void *user, size_t i, fib_image *out, fib_error *err)
{
    (void)err;
    const series *s = user;
    for (size_t y = 0; y < H; y++) {
        float *row = fib_image_row(out, y);
        for (size_t x = 0; x < W; x++)
            row[x] = s->tex[y * W + x] + (float)s->z[i];
    }
    return FIB_OK;
}

typedef struct grab {
    size_t n;
    double mean[64]; /* mean grey of each output slice minus the texture's */
} grab;

static fib_status sink_slice(void *user, size_t z, const fib_image *im,
                             fib_error *err)
{
    (void)err;
    grab *g = user;
    double s = 0;
    for (size_t y = 0; y < im->height; y++)
        for (size_t x = 0; x < im->width; x++)
            s += (double)((const float *)fib_image_row(im, y))[x];
    if (z < 64)
        g->mean[z] = s / (double)(im->width * im->height) - 150.0;
    g->n = z + 1;
    return FIB_OK;
}

static void make(series *s)
{
    /* smooth random texture of mean 150 exactly (the mean is removed) */
    uint64_t r = 7;
    double sum = 0;
    for (size_t k = 0; k < W * H; k++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        s->tex[k] = 100.0f + 100.0f * (float)(r >> 40) / (float)(1 << 24);
        sum += (double)s->tex[k];
    }
    const float d = (float)(150.0 - sum / (W * H));
    for (size_t k = 0; k < W * H; k++)
        s->tex[k] += d;
    for (size_t i = 0; i < NZ; i++)
        s->z[i] = 1000.0 + 10.0 * (double)i + JIT[i];
}

static void run(series *s, bool measured, grab *g, fib_recon_geometry *geo)
{
    fib_recon_source src = {0};
    src.n_slices = NZ;
    src.width = W;
    src.height = H;
    src.type = FIB_PX_F32;
    src.pixel_size_nm[0] = src.pixel_size_nm[1] = 5.0;
    src.read = read_z;
    src.user = s;
    fib_recon_params p = {0};
    p.slice_nm = 10.0;
    p.float_out = true;
    p.threads = 1;
    p.z_nm = measured ? s->z : NULL;
    fib_recon *r = NULL;
    fib_error err = {0};
    ck_assert_msg(fib_recon_create(&p, &src, &r, &err) == FIB_OK, "%s",
                  err.msg);
    ck_assert_msg(fib_recon_estimate(r, NULL, &err) == FIB_OK, "%s", err.msg);
    memset(g, 0, sizeof *g);
    fib_recon_sink sink = {NULL, sink_slice, g, 0};
    ck_assert_msg(fib_recon_write(r, NULL, &sink, NULL, &err) == FIB_OK, "%s",
                  err.msg);
    *geo = fib_recon_get_geometry(r);
    for (size_t i = 0; i < NZ; i++) {
        const fib_recon_slice_info in = fib_recon_get_slice(r, i);
        /* a static texture: no shift at all */
        ck_assert(fabs(in.dx) < 1e-6 && fabs(in.dy) < 1e-6);
        ck_assert_double_eq_tol(in.z_nm, measured ? s->z[i] : 10.0 * (double)i,
                                1e-12);
    }
    fib_recon_destroy(r);
}

START_TEST(test_measured_z)
{
    series s;
    make(&s);
    grab g;
    fib_recon_geometry geo;
    run(&s, true, &g, &geo);
    const double span = s.z[NZ - 1] - s.z[0];
    ck_assert(geo.z_resampled);
    ck_assert_double_eq_tol(geo.voxel_size_nm[2], 10.0, 1e-12);
    ck_assert_uint_eq(geo.nz, (size_t)floor(span / 10.0 + 1e-9) + 1);
    ck_assert_uint_eq(g.n, geo.nz);
    double worst = 0;
    for (size_t k = 0; k < g.n; k++) {
        const double want = s.z[0] + 10.0 * (double)k;
        worst = fmax(worst, fabs(g.mean[k] - want));
    }
    ck_assert_msg(worst < 0.05, "measured z: worst output depth error %g nm",
                  worst);
    /* nominal grid: slice k is input k, at its jittered depth -- the error
     * the measured positions remove (up to the 1.2 nm jitter) */
    run(&s, false, &g, &geo);
    ck_assert(!geo.z_resampled);
    ck_assert_uint_eq(g.n, NZ);
    double worst_nom = 0;
    for (size_t k = 0; k < g.n; k++)
        worst_nom =
            fmax(worst_nom, fabs(g.mean[k] - (s.z[0] + 10.0 * (double)k)));
    ck_assert_msg(worst_nom > 1.0, "nominal z error %g nm", worst_nom);
}
END_TEST

START_TEST(test_measured_z_unknown_thickness)
{
    /* slice_nm 0 with measured positions: the step is the median spacing */
    series s;
    make(&s);
    fib_recon_source src = {0};
    src.n_slices = NZ;
    src.width = W;
    src.height = H;
    src.type = FIB_PX_F32;
    src.pixel_size_nm[0] = src.pixel_size_nm[1] = 5.0;
    src.read = read_z;
    src.user = &s;
    fib_recon_params p = {0};
    p.z_nm = s.z;
    p.threads = 1;
    fib_recon *r = NULL;
    fib_error err = {0};
    ck_assert_int_eq(fib_recon_create(&p, &src, &r, &err), FIB_OK);
    ck_assert_int_eq(fib_recon_estimate(r, NULL, &err), FIB_OK);
    const fib_recon_geometry geo = fib_recon_get_geometry(r);
    double d[NZ - 1];
    for (size_t i = 1; i < NZ; i++)
        d[i - 1] = s.z[i] - s.z[i - 1];
    /* median of 13 steps by counting */
    double med = 0;
    for (size_t i = 0; i < NZ - 1; i++) {
        size_t below = 0, equal = 0;
        for (size_t j = 0; j < NZ - 1; j++) {
            below += d[j] < d[i];
            equal += d[j] == d[i];
        }
        if (below <= 6 && below + equal > 6)
            med = d[i];
    }
    ck_assert_double_eq_tol(geo.voxel_size_nm[2], med, 1e-12);
    fib_recon_destroy(r);
}
END_TEST

START_TEST(test_bad_z)
{
    series s;
    make(&s);
    fib_recon_source src = {0};
    src.n_slices = NZ;
    src.width = W;
    src.height = H;
    src.type = FIB_PX_F32;
    src.read = read_z;
    src.user = &s;
    fib_recon_params p = {0};
    p.slice_nm = 10;
    p.z_nm = s.z;
    fib_recon *r = NULL;
    fib_error err = {0};
    s.z[5] = s.z[4]; /* not increasing */
    ck_assert_int_eq(fib_recon_create(&p, &src, &r, &err), FIB_EINVAL);
    ck_assert_msg(strstr(err.msg, "z_nm[5]"), "%s", err.msg);
    s.z[5] = NAN;
    err = (fib_error){0};
    ck_assert_int_eq(fib_recon_create(&p, &src, &r, &err), FIB_EINVAL);
    ck_assert_msg(strstr(err.msg, "z_nm[5]"), "%s", err.msg);
    ck_assert(r == NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recon_z");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_measured_z);
    tcase_add_test(tc, test_measured_z_unknown_thickness);
    tcase_add_test(tc, test_bad_z);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
