/*
 * test_job_correct.c -- fib_job_correct() (fib/job_correct.h) on inputs
 * made here: a striped, brightness-ramped volume (stripe power and slice
 * mean drift must fall), a PNG slice series of constant slices through the
 * 3D median (the known medians, names kept in a folder output), and the
 * correction's parameter tables (ranges, defaults, option parsing) that
 * the job and `cryofib correct` share.
 */
#include "fib_test.h"

#include "fib/formats.h"
#include "fib/job_correct.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---------- message capture ---------- */
typedef struct said {
    char text[4096];
    int results, others;
} said;

static void on_message(void *user, fib_job_level level, const char *text)
{
    said *s = user;
    if (level == FIB_JOB_RESULT)
        s->results++;
    else
        s->others++;
    const size_t used = strlen(s->text);
    snprintf(s->text + used, sizeof s->text - used, "%s\n", text);
}

static uint64_t rng = 0x2545f4914f6cdd1dull;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

enum { NX = 128, NY = 96, NZ = 4 };

/* Discs on grey 100, vertical stripes of sd ~6 (one value per column),
 * slice k brighter by 6 k, uniform noise +-2. */
static void striped_volume(fib_volume *v)
{
    fib_error err = {0};
    ck_assert_int_eq(fib_volume_init(v, FIB_PX_F32, NX, NY, NZ, &err), FIB_OK);
    v->voxel_size_nm[0] = v->voxel_size_nm[1] = 5;
    v->voxel_size_nm[2] = 10;
    float clean[NY][NX], stripe[NX];
    for (size_t y = 0; y < NY; y++)
        for (size_t x = 0; x < NX; x++)
            clean[y][x] = 100;
    for (int i = 0; i < 25; i++) {
        const double cx = urand() * NX, cy = urand() * NY, r = 3 + 6 * urand(),
                     g = 50 + 120 * urand();
        for (size_t y = 0; y < NY; y++)
            for (size_t x = 0; x < NX; x++)
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r)
                    clean[y][x] = (float)g;
    }
    for (size_t x = 0; x < NX; x++)
        stripe[x] = (float)(12 * (urand() - 0.5) * 1.7);
    for (size_t z = 0; z < NZ; z++) {
        fib_image s = fib_volume_slice(v, z);
        for (size_t y = 0; y < NY; y++) {
            float *row = fib_image_row(&s, y);
            for (size_t x = 0; x < NX; x++)
                row[x] = clean[y][x] + stripe[x] + 6.0f * (float)z +
                         (float)(4 * (urand() - 0.5));
        }
    }
}

static double slice_mean(const fib_volume *v, size_t z)
{
    fib_image s = fib_volume_slice(v, z);
    double sum = 0;
    for (size_t y = 0; y < s.height; y++)
        for (size_t x = 0; x < s.width; x++)
            sum += (double)((const float *)fib_image_row(&s, y))[x];
    return sum / (double)(s.width * s.height);
}

static double stripe_power(const fib_volume *v, size_t z)
{
    fib_image s = fib_volume_slice(v, z);
    fib_error err = {0};
    double p = -1;
    ck_assert_int_eq(fib_recon_stripe_power(&s, 0, &p, &err), FIB_OK);
    return p;
}

START_TEST(volume_destripe_normalize)
{
    char dir[4096], in[4200], out[4200];
    fib_test_tmpdir(dir, sizeof dir);
    ck_assert(dir[0]);
    snprintf(in, sizeof in, "%s/in.mrc", dir);
    snprintf(out, sizeof out, "%s/out.mrc", dir);
    fib_volume v = {0}, o = {0};
    fib_error err = {0};
    striped_volume(&v);
    ck_assert_int_eq(fib_fmt_volume_write(in, &v, NULL, &err), FIB_OK);

    fib_job_correct_params p;
    memset(&p, 0, sizeof p);
    p.out_type = FIB_JOB_OUT_SAME;
    const char *given[FIB_JOB_CORRECT_GROUPS] = {NULL};
    /* a plain destripe: the default method (VSNR) */
    ck_assert_int_eq(fib_job_correct_destripe_pick(&p, true, given, &err),
                     FIB_OK);
    ck_assert_int_eq(p.correct.destripe.method, FIB_DESTRIPE_DEFAULT);
    p.correct.normalize.enabled = true;
    p.correct.normalize.ema_slices = INFINITY; /* reference = slice 0 */
    said s = {0};
    fib_job_env env = {.message = on_message, .message_user = &s};
    fib_job_correct_result res = {0};
    ck_assert_int_eq(fib_job_correct(&p, in, out, &env, &res, &err), FIB_OK);
    ck_assert_uint_eq(res.slices, NZ);
    ck_assert(!res.series);
    char want[4400];
    snprintf(want, sizeof want, "wrote %s (4 slices)\n", out);
    ck_assert_str_eq(s.text, want);
    ck_assert_int_eq(s.results, 1);

    ck_assert_int_eq(fib_fmt_volume_read(out, NULL, &o, NULL, &err), FIB_OK);
    ck_assert_uint_eq(o.nx, NX);
    ck_assert_uint_eq(o.ny, NY);
    ck_assert_uint_eq(o.nz, NZ);
    ck_assert_int_eq(o.type, FIB_PX_F32);
    ck_assert(fabs(o.voxel_size_nm[0] - 5) < 1e-6);
    /* curtains: stripe power of every slice down by 5 x or more */
    for (size_t z = 0; z < NZ; z++) {
        const double before = stripe_power(&v, z), after = stripe_power(&o, z);
        ck_assert_msg(before > 5 && after < 0.2 * before,
                      "slice %zu stripe power %g -> %g", z, before, after);
    }
    /* brightness ramp of 18 grey levels: slice means within 10 % of it */
    double lo = INFINITY, hi = -INFINITY;
    for (size_t z = 0; z < NZ; z++) {
        lo = fmin(lo, slice_mean(&o, z));
        hi = fmax(hi, slice_mean(&o, z));
    }
    ck_assert_msg(hi - lo < 1.8, "slice mean spread %g", hi - lo);
    ck_assert(slice_mean(&v, 3) - slice_mean(&v, 0) > 17);
    fib_volume_clear(&v);
    fib_volume_clear(&o);
    fib_test_rmdir(dir);
}
END_TEST

/* Constant slices 10, 50, 30 through the 3D median alone: slice 0 sees
 * (50, 10, 50) by the mirror at z = 0, slice 1 (10, 50, 30), slice 2 (50,
 * 30, 50): 50, 30, 50.  Into a folder, each slice under its own name. */
START_TEST(series_median3d_folder)
{
    char dir[4096], sdir[4200], odir[4200], path[4400];
    fib_test_tmpdir(dir, sizeof dir);
    snprintf(sdir, sizeof sdir, "%s/series", dir);
    snprintf(odir, sizeof odir, "%s/out", dir);
    ck_assert_int_eq(mkdir(sdir, 0700), 0);
    ck_assert_int_eq(mkdir(odir, 0700), 0);
    const int grey[3] = {10, 50, 30};
    fib_error err = {0};
    for (int k = 0; k < 3; k++) {
        fib_image im = {0};
        ck_assert_int_eq(fib_image_init(&im, FIB_PX_U8, 20, 16, &err), FIB_OK);
        for (size_t y = 0; y < 16; y++)
            memset(fib_image_row(&im, y), grey[k], 20);
        snprintf(path, sizeof path, "%s/s_%d.png", sdir, k + 1);
        ck_assert_int_eq(fib_fmt_image_write(path, &im, NULL, &err), FIB_OK);
        fib_image_clear(&im);
    }
    ck_assert(fib_job_correct_is_series(sdir));
    fib_job_correct_params p;
    memset(&p, 0, sizeof p);
    p.out_type = FIB_JOB_OUT_SAME;
    ck_assert(fib_job_denoise_parse("median3d", &p));
    ck_assert(p.median3d);
    ck_assert_int_eq(p.correct.denoise.method, FIB_DENOISE_NONE);
    fib_job_correct_result res = {0};
    ck_assert_int_eq(fib_job_correct(&p, sdir, odir, NULL, &res, &err), FIB_OK);
    ck_assert(res.series);
    ck_assert_uint_eq(res.slices, 3);
    const int want[3] = {50, 30, 50};
    for (int k = 0; k < 3; k++) {
        fib_image im = {0};
        snprintf(path, sizeof path, "%s/s_%d.png", odir, k + 1);
        ck_assert_int_eq(fib_fmt_image_read(path, NULL, &im, NULL, &err),
                         FIB_OK);
        ck_assert_int_eq(im.type, FIB_PX_U8);
        for (size_t y = 0; y < im.height; y++)
            for (size_t x = 0; x < im.width; x++)
                ck_assert_int_eq(((uint8_t *)fib_image_row(&im, y))[x],
                                 want[k]);
        fib_image_clear(&im);
    }
    /* the glob form of the same series into one u16 volume */
    char glob[4400], vol[4400];
    snprintf(glob, sizeof glob, "%s/s_*.png", sdir);
    snprintf(vol, sizeof vol, "%s/v.tif", dir);
    ck_assert(fib_job_out_type_parse("u16", &p.out_type));
    ck_assert_int_eq(fib_job_correct(&p, glob, vol, NULL, &res, &err), FIB_OK);
    fib_volume v = {0};
    ck_assert_int_eq(fib_fmt_volume_read(vol, NULL, &v, NULL, &err), FIB_OK);
    ck_assert_uint_eq(v.nz, 3);
    ck_assert_int_eq(v.type, FIB_PX_U16);
    ck_assert_int_eq(((uint16_t *)v.data)[v.nx * v.ny + 5], 30);
    fib_volume_clear(&v);
    fib_test_rmdir(dir);
}
END_TEST

START_TEST(refused_before_writing)
{
    char dir[4096], in[4200], out[4200];
    fib_test_tmpdir(dir, sizeof dir);
    snprintf(in, sizeof in, "%s/in.mrc", dir);
    fib_volume v = {0};
    fib_error err = {0};
    striped_volume(&v);
    ck_assert_int_eq(fib_fmt_volume_write(in, &v, NULL, &err), FIB_OK);
    fib_volume_clear(&v);
    fib_job_correct_params p;
    memset(&p, 0, sizeof p);
    p.out_type = FIB_JOB_OUT_SAME;
    snprintf(out, sizeof out, "%s/o.tif", dir);
    /* no step */
    ck_assert_int_eq(fib_job_correct(&p, in, out, NULL, NULL, &err),
                     FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "no step chosen"));
    fib_error_clear(&err);
    /* f32 into PNG */
    p.correct.denoise.method = FIB_DENOISE_GAUSS;
    ck_assert(fib_job_out_type_parse("f32", &p.out_type));
    snprintf(out, sizeof out, "%s/o.png", dir);
    ck_assert_int_eq(fib_job_correct(&p, in, out, NULL, NULL, &err),
                     FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "PNG cannot hold f32"));
    fib_error_clear(&err);
    /* a folder output needs a series */
    ck_assert_int_eq(fib_job_correct(&p, in, dir, NULL, NULL, &err),
                     FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "needs a slice series"));
    fib_error_clear(&err);
    /* a range of the table: sigma_px in (0, 1000] */
    p.correct.denoise.sigma_px = 1001;
    snprintf(out, sizeof out, "%s/o.tif", dir);
    ck_assert_int_eq(fib_job_correct(&p, in, out, NULL, NULL, &err),
                     FIB_EINVAL);
    ck_assert_str_eq(err.msg, "correct: denoise.sigma_px must be in (0, "
                              "1000] (got 1001)");
    struct stat sb;
    ck_assert_int_ne(stat(out, &sb), 0);
    fib_test_rmdir(dir);
}
END_TEST

/* The tables: every option names a row; defaults and ranges as documented
 * in fib/correct.h; 0 = the default; open ends refused. */
START_TEST(param_tables)
{
    size_t n = 0;
    const fib_job_correct_option *o = fib_job_correct_options(&n);
    ck_assert_uint_ge(n, 20);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fib_job_correct_option_row(&o[i]) != NULL, "%s",
                      o[i].name);
    const fib_param_table *ds =
        fib_recon_correct_param_table(FIB_CORRECT_STEP_DESTRIPE);
    ck_assert_ptr_nonnull(ds);
    ck_assert_ptr_null(fib_recon_correct_param_table(
        (fib_recon_correct_step)(FIB_CORRECT_STEP_DENOISE + 1)));
    const fib_param *lv = fib_params_find(ds, "levels");
    ck_assert(lv && lv->min == 1 && lv->max == 10 && lv->def == 4);
    char buf[96];
    ck_assert_str_eq(fib_recon_correct_param_range(fib_params_find(ds, "sigma"),
                                                   buf, sizeof buf),
                     "in (0, 1e6)");
    ck_assert_str_eq(fib_recon_correct_param_range(
                         fib_params_find(fib_recon_correct_param_table(
                                             FIB_CORRECT_STEP_NORMALIZE),
                                         "ema_slices"),
                         buf, sizeof buf),
                     ">= 1");
    /* the defaults of every table make a valid context */
    fib_recon_correct_params cp;
    memset(&cp, 0, sizeof cp);
    fib_params_defaults(ds, &cp.destripe);
    fib_params_defaults(
        fib_recon_correct_param_table(FIB_CORRECT_STEP_BACKGROUND),
        &cp.background);
    fib_params_defaults(
        fib_recon_correct_param_table(FIB_CORRECT_STEP_NORMALIZE),
        &cp.normalize);
    fib_params_defaults(fib_recon_correct_param_table(FIB_CORRECT_STEP_DENOISE),
                        &cp.denoise);
    ck_assert_int_eq(cp.destripe.method, FIB_DESTRIPE_VSNR);
    ck_assert(cp.destripe.vsnr_sigma_along_px == 100);
    ck_assert_uint_eq(cp.denoise.search_radius, 10);
    fib_recon_correct *ctx = NULL;
    fib_error err = {0};
    ck_assert_int_eq(fib_recon_correct_create(&cp, &ctx, &err), FIB_OK);
    fib_recon_correct_destroy(ctx);
    /* the open end 1e6 itself is refused, 0 takes the default */
    cp.destripe.sigma = 1e6;
    ck_assert_int_eq(fib_recon_correct_create(&cp, &ctx, &err), FIB_EINVAL);
    ck_assert_str_eq(err.msg,
                     "correct: destripe.sigma must be in (0, 1e6) (got 1e+06)");
    fib_error_clear(&err);
    cp.destripe.sigma = 0;
    cp.denoise.radius = 65;
    ck_assert_int_eq(fib_recon_correct_create(&cp, &ctx, &err), FIB_EINVAL);
    ck_assert_str_eq(err.msg, "correct: denoise.radius must be 1..64 (got 65)");
    fib_error_clear(&err);
    /* options: integers checked here, radius also the 3D median's */
    fib_job_correct_params p;
    memset(&p, 0, sizeof p);
    const fib_job_correct_option *lev = NULL, *rad = NULL, *ema = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(o[i].name, "destripe-levels"))
            lev = &o[i];
        if (!strcmp(o[i].name, "radius"))
            rad = &o[i];
        if (!strcmp(o[i].name, "ema-slices"))
            ema = &o[i];
    }
    ck_assert(lev && rad && ema);
    ck_assert_int_eq(fib_job_correct_option_set(&p, lev, "12", &err),
                     FIB_EINVAL);
    ck_assert_str_eq(err.msg,
                     "--destripe-levels must be an integer in 1..10 (got 12)");
    fib_error_clear(&err);
    ck_assert_int_eq(fib_job_correct_option_set(&p, lev, "3", &err), FIB_OK);
    ck_assert_uint_eq(p.correct.destripe.levels, 3);
    ck_assert_int_eq(fib_job_correct_option_set(&p, rad, "2", &err), FIB_OK);
    ck_assert_uint_eq(p.correct.denoise.radius, 2);
    ck_assert_uint_eq(p.median3d_radius, 2);
    ck_assert_int_eq(fib_job_correct_option_set(&p, ema, "inf", &err), FIB_OK);
    ck_assert(isinf(p.correct.normalize.ema_slices));
    /* destripe options of two methods refuse a plain destripe */
    const char *given[FIB_JOB_CORRECT_GROUPS] = {NULL};
    given[FIB_JOB_CORRECT_WAVELET] = "destripe-levels";
    ck_assert_int_eq(fib_job_correct_destripe_pick(&p, true, given, &err),
                     FIB_OK);
    ck_assert_int_eq(p.correct.destripe.method, FIB_DESTRIPE_WAVELET_FFT);
    given[FIB_JOB_CORRECT_WEDGE] = "wedge-deg";
    ck_assert_int_eq(fib_job_correct_destripe_pick(&p, true, given, &err),
                     FIB_EINVAL);
    ck_assert_str_eq(err.msg, "--destripe-levels and --wedge-deg belong to "
                              "different destripe methods");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job_correct");
    TCase *tc = tcase_create("job");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, volume_destripe_normalize);
    tcase_add_test(tc, series_median3d_folder);
    tcase_add_test(tc, refused_before_writing);
    tcase_add_test(tc, param_tables);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fib_test_run(suite(), NULL);
}
