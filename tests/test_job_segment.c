/*
 * test_job_segment.c -- fib_job_segment() (fib/job_segment.h) on volumes
 * made here with known phases: a noisy sphere on a background (Otsu must
 * recover every voxel, the size filter must drop a one-voxel speck), three
 * phases (multi-Otsu class counts), two touching spheres (the watershed
 * finds two particles); and fib_job_convert() / fib_job_info()
 * (fib/job_formats.h) on the label volume written.
 */
#include "fib_test.h"

#include "fib/formats.h"
#include "fib/job_formats.h"
#include "fib/job_segment.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <sys/stat.h>

typedef struct said {
    char text[8192];
    int results;
} said;

static void on_message(void *user, fib_job_level level, const char *text)
{
    said *s = user;
    s->results += level == FIB_JOB_RESULT;
    const size_t used = strlen(s->text);
    snprintf(s->text + used, sizeof s->text - used, "%s\n", text);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

enum { NX = 40, NY = 36, NZ = 20 };

static bool in_sphere(size_t x, size_t y, size_t z, double cx, double cy,
                      double cz, double r)
{
    const double dx = (double)x - cx, dy = (double)y - cy, dz = (double)z - cz;
    return dx * dx + dy * dy + dz * dz <= r * r;
}

/* Grey = @p truth_grey[label] + uniform noise +-15; the truth labels
 * (0 background) into @p truth (NX*NY*NZ). */
static void make_volume(fib_volume *v, const uint8_t *truth, const double *grey)
{
    fib_error err = {0};
    ck_assert_int_eq(fib_volume_init(v, FIB_PX_U8, NX, NY, NZ, &err), FIB_OK);
    for (int i = 0; i < 3; i++)
        v->voxel_size_nm[i] = 10;
    uint8_t *d = v->data;
    for (size_t i = 0; i < (size_t)NX * NY * NZ; i++)
        d[i] = (uint8_t)lround(grey[truth[i]] + 30 * (urand() - 0.5));
}

static size_t idx(size_t x, size_t y, size_t z)
{
    return (z * NY + y) * NX + x;
}

static void write_in(const char *dir, const fib_volume *v, char *path, size_t n)
{
    fib_error err = {0};
    snprintf(path, n, "%s/in.mrc", dir);
    ck_assert_int_eq(fib_fmt_volume_write(path, v, NULL, &err), FIB_OK);
}

START_TEST(otsu_sphere_and_speck)
{
    static uint8_t truth[NX * NY * NZ];
    memset(truth, 0, sizeof truth);
    size_t sphere = 0;
    for (size_t z = 0; z < NZ; z++)
        for (size_t y = 0; y < NY; y++)
            for (size_t x = 0; x < NX; x++)
                if (in_sphere(x, y, z, 20, 18, 10, 8)) {
                    truth[idx(x, y, z)] = 1;
                    sphere++;
                }
    truth[idx(2, 2, 2)] = 1; /* a one-voxel speck */
    const double grey[2] = {60, 180};
    char dir[4096], in[4200], out[4200];
    fib_test_tmpdir(dir, sizeof dir);
    fib_volume v = {0}, lab = {0};
    make_volume(&v, truth, grey);
    write_in(dir, &v, in, sizeof in);
    fib_volume_clear(&v);
    snprintf(out, sizeof out, "%s/lab.tif", dir); /* u8 kept */

    fib_job_segment_params p = {.min_size_vox = 8, .fill_holes = true};
    said s = {0};
    fib_job_env env = {.message = on_message, .message_user = &s};
    fib_job_segment_result res;
    fib_error err = {0};
    ck_assert_int_eq(fib_job_segment(&p, in, out, &env, &res, &err), FIB_OK);
    ck_assert_uint_eq(res.n_thresholds, 1);
    ck_assert(res.thresholds[0] > 75 && res.thresholds[0] < 165);
    /* every sphere voxel, not the speck */
    ck_assert_uint_eq(res.class_voxels[1], sphere);
    ck_assert_uint_eq(res.class_voxels[0] + res.class_voxels[1],
                      (size_t)NX * NY * NZ);
    ck_assert_int_eq(s.results, 2);
    char want[4400];
    snprintf(want, sizeof want, "thresholds: %.6g\nwrote %s (40 x 36 x 20)\n",
             res.thresholds[0], out);
    ck_assert_str_eq(s.text, want);

    ck_assert_int_eq(fib_fmt_volume_read(out, NULL, &lab, NULL, &err), FIB_OK);
    ck_assert_int_eq(lab.type, FIB_PX_U8);
    ck_assert(fabs(lab.voxel_size_nm[2] - 10) < 1e-6);
    const uint8_t *L = lab.data;
    size_t wrong = 0;
    for (size_t i = 0; i < (size_t)NX * NY * NZ; i++)
        wrong += L[i] != (i == idx(2, 2, 2) ? 0 : truth[i]);
    ck_assert_uint_eq(wrong, 0);
    fib_volume_clear(&lab);

    /* the label file through convert and info */
    char nrrd[4400];
    snprintf(nrrd, sizeof nrrd, "%s/lab.nrrd", dir);
    fib_job_convert_result cr = {0};
    ck_assert_int_eq(fib_job_convert(NULL, out, nrrd, NULL, &cr, &err), FIB_OK);
    ck_assert_uint_eq(cr.nz, NZ);
    ck_assert_int_eq(fib_fmt_volume_read(nrrd, NULL, &lab, NULL, &err), FIB_OK);
    ck_assert_uint_eq(((const uint8_t *)lab.data)[idx(20, 18, 10)], 1);
    fib_volume_clear(&lab);
    memset(&s, 0, sizeof s);
    fib_job_info_params ip = {.check = true};
    ck_assert_int_eq(fib_job_info(&ip, nrrd, &env, &err), FIB_OK);
    ck_assert_ptr_nonnull(strstr(s.text, "kind             nrrd\n"));
    ck_assert_ptr_nonnull(strstr(s.text, "dimensions       40 x 36 x 20\n"));
    ck_assert_ptr_nonnull(strstr(s.text, "check            20 slices "
                                         "decoded\n"));
    memset(&s, 0, sizeof s);
    ip.json = true;
    ck_assert_int_eq(fib_job_info(&ip, nrrd, &env, &err), FIB_OK);
    ck_assert_int_eq(s.results, 1); /* one document */
    ck_assert(s.text[0] == '{');
    ck_assert_ptr_nonnull(strstr(s.text, "\"depth\": 20"));
    ck_assert_ptr_nonnull(strstr(s.text, "\"slices_checked\": 20"));
    ck_assert_int_eq(fib_job_convert(NULL, out, "x.xyz", NULL, &cr, &err),
                     FIB_EINVAL);
    fib_test_rmdir(dir);
}
END_TEST

START_TEST(multi_otsu_three_phases)
{
    static uint8_t truth[NX * NY * NZ];
    size_t count[3] = {0, 0, 0};
    for (size_t z = 0; z < NZ; z++)
        for (size_t y = 0; y < NY; y++)
            for (size_t x = 0; x < NX; x++) {
                uint8_t t = z < 6 ? 1 : 0;
                if (in_sphere(x, y, z, 20, 18, 12, 6))
                    t = 2;
                truth[idx(x, y, z)] = t;
                count[t]++;
            }
    const double grey[3] = {30, 120, 220};
    char dir[4096], in[4200], out[4200];
    fib_test_tmpdir(dir, sizeof dir);
    fib_volume v = {0};
    make_volume(&v, truth, grey);
    write_in(dir, &v, in, sizeof in);
    fib_volume_clear(&v);
    snprintf(out, sizeof out, "%s/lab.tif", dir);
    fib_job_segment_params p = {.method = FIB_JOB_SEGMENT_MULTI_OTSU,
                                .classes = 3};
    fib_job_segment_result res;
    fib_error err = {0};
    ck_assert_int_eq(fib_job_segment(&p, in, out, NULL, &res, &err), FIB_OK);
    ck_assert_uint_eq(res.n_thresholds, 2);
    for (int k = 0; k < 3; k++)
        ck_assert_uint_eq(res.class_voxels[k], count[k]);
    /* manual thresholds between the phases give the same classes */
    const double thr[2] = {75, 170};
    fib_job_segment_params m = {
        .method = FIB_JOB_SEGMENT_MANUAL, .thresholds = thr, .n_thresholds = 2};
    ck_assert_int_eq(fib_job_segment(&m, in, out, NULL, &res, &err), FIB_OK);
    ck_assert(res.thresholds[1] == 170);
    for (int k = 0; k < 3; k++)
        ck_assert_uint_eq(res.class_voxels[k], count[k]);
    /* refused: a picture format, a bad connectivity, 6 classes */
    snprintf(out, sizeof out, "%s/lab.png", dir);
    ck_assert_int_eq(fib_job_segment(&p, in, out, NULL, &res, &err),
                     FIB_EINVAL);
    snprintf(out, sizeof out, "%s/lab2.mrc", dir);
    p.connectivity = 7;
    ck_assert_int_eq(fib_job_segment(&p, in, out, NULL, &res, &err),
                     FIB_EINVAL);
    p.connectivity = 26;
    p.classes = 6;
    ck_assert_int_eq(fib_job_segment(&p, in, out, NULL, &res, &err),
                     FIB_EINVAL);
    struct stat sb;
    ck_assert_int_ne(stat(out, &sb), 0);
    fib_test_rmdir(dir);
}
END_TEST

START_TEST(watershed_two_spheres)
{
    static uint8_t truth[NX * NY * NZ];
    size_t n1 = 0;
    for (size_t z = 0; z < NZ; z++)
        for (size_t y = 0; y < NY; y++)
            for (size_t x = 0; x < NX; x++) {
                const bool in = in_sphere(x, y, z, 14, 18, 10, 7) ||
                                in_sphere(x, y, z, 26, 18, 10, 7);
                truth[idx(x, y, z)] = in;
                n1 += in;
            }
    const double grey[2] = {50, 200};
    char dir[4096], in[4200], out[4200];
    fib_test_tmpdir(dir, sizeof dir);
    fib_volume v = {0};
    make_volume(&v, truth, grey);
    write_in(dir, &v, in, sizeof in);
    fib_volume_clear(&v);
    snprintf(out, sizeof out, "%s/particles.mrc", dir);
    fib_job_segment_params p = {.watershed = true, .watershed_h_nm = -1};
    said s = {0};
    fib_job_env env = {.message = on_message, .message_user = &s};
    fib_job_segment_result res;
    fib_error err = {0};
    ck_assert_int_eq(fib_job_segment(&p, in, out, &env, &res, &err), FIB_OK);
    ck_assert_uint_eq(res.particles, 2);
    ck_assert_uint_eq(res.class_voxels[1], n1);
    ck_assert_ptr_nonnull(strstr(s.text, "\nwatershed: 2 particles\n"));
    fib_test_rmdir(dir);
}
END_TEST

/* env.threads: the watershed with 1 and 3 threads writes the same bytes,
 * and the caller's OpenMP setting is put back. */
static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(*n);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

START_TEST(threads_do_not_change_the_result)
{
    static uint8_t truth[NX * NY * NZ];
    for (size_t z = 0; z < NZ; z++)
        for (size_t y = 0; y < NY; y++)
            for (size_t x = 0; x < NX; x++)
                truth[idx(x, y, z)] = in_sphere(x, y, z, 14, 18, 10, 7) ||
                                      in_sphere(x, y, z, 25, 18, 10, 7);
    const double grey[2] = {50, 200};
    char dir[4096], in[4200], out[2][4200];
    fib_test_tmpdir(dir, sizeof dir);
    fib_volume v = {0};
    make_volume(&v, truth, grey);
    write_in(dir, &v, in, sizeof in);
    fib_volume_clear(&v);
    const int before = omp_get_max_threads();
    for (int k = 0; k < 2; k++) {
        snprintf(out[k], sizeof out[k], "%s/p%d.mrc", dir, k);
        fib_job_segment_params p = {.watershed = true,
                                    .watershed_h_nm = -1,
                                    .fill_holes = true,
                                    .min_size_vox = 5};
        fib_job_env env = {.threads = k ? 3 : 1};
        fib_job_segment_result res;
        fib_error err = {0};
        ck_assert_int_eq(fib_job_segment(&p, in, out[k], &env, &res, &err),
                         FIB_OK);
        ck_assert_uint_eq(res.particles, 2);
        ck_assert_int_eq(omp_get_max_threads(), before);
    }
    size_t n0, n1;
    char *a = slurp(out[0], &n0), *b = slurp(out[1], &n1);
    ck_assert_uint_eq(n0, n1);
    ck_assert_int_eq(memcmp(a, b, n0), 0);
    free(a);
    free(b);
    fib_test_rmdir(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job_segment");
    TCase *tc = tcase_create("job");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, otsu_sphere_and_speck);
    tcase_add_test(tc, multi_otsu_three_phases);
    tcase_add_test(tc, watershed_two_spheres);
    tcase_add_test(tc, threads_do_not_change_the_result);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fib_test_run(suite(), NULL);
}
