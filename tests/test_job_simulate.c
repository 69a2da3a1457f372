/* test_job_simulate.c -- the series jobs (fib/job_simulate.h) on inputs
 * made here: fib_job_simulate() on a small label volume written to an MRC
 * file (truth labels equal to the input on the reconstruction grid that
 * the renderer reports, one drift row and one slice file per slice, the
 * run file, the summary line), its option setter, a refused input that
 * leaves nothing behind, and fib_job_phantom(). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fib/formats.h"
#include "fib/job_simulate.h"
#include "fib_test.h"

enum { NX = 40, NY = 36, NZ = 10 };
static const double VOX_NM = 10.0;

/* A label pattern that changes along x, y and z. */
static unsigned label_at(size_t x, size_t y, size_t z)
{
    return (unsigned)((x / 4 + 2 * (y / 5) + z) % 3);
}

static void write_labels(const char *path)
{
    fib_volume v = {0};
    ck_assert_int_eq(fib_volume_init(&v, FIB_PX_U8, NX, NY, NZ, NULL), FIB_OK);
    for (size_t z = 0; z < NZ; z++)
        for (size_t y = 0; y < NY; y++)
            for (size_t x = 0; x < NX; x++)
                fib_volume_set(&v, x, y, z, label_at(x, y, z));
    v.voxel_size_nm[0] = v.voxel_size_nm[1] = v.voxel_size_nm[2] = VOX_NM;
    ck_assert_int_eq(fib_fmt_volume_write(path, &v, NULL, NULL), FIB_OK);
    fib_volume_clear(&v);
}

/* The lines a job says, by level. */
typedef struct said {
    char result[8][512];
    size_t n_result, n_other;
} said;

static void on_message(void *user, fib_job_level level, const char *text)
{
    said *s = user;
    if (level != FIB_JOB_RESULT) {
        s->n_other++;
        return;
    }
    if (s->n_result < 8)
        snprintf(s->result[s->n_result], sizeof s->result[0], "%s", text);
    s->n_result++;
}

static size_t count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    size_t n = 0;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const size_t len = strlen(e->d_name), sl = strlen(suffix);
        if (len > sl && !strcmp(e->d_name + len - sl, suffix))
            n++;
    }
    closedir(d);
    return n;
}

/* Rows of drift_true.csv: z_nm and thickness per slice, dx/dy checked 0. */
static size_t read_drift(const char *path, double *z_nm, size_t max)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "slice,dx,dy,stage_dx,stage_dy,face_dy,z_nm,"
                           "thickness_nm,gain\n");
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        long k;
        double v[8];
        ck_assert_int_eq(sscanf(line, "%ld,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &k,
                                &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                                &v[7]),
                         9);
        ck_assert_int_eq(k, (long)n);
        for (int i = 0; i < 5; i++) /* no drift, no receding face */
            ck_assert_double_eq_tol(v[i], 0.0, 1e-12);
        ck_assert_double_eq_tol(v[6], VOX_NM, 1e-9); /* no jitter */
        if (n < max)
            z_nm[n] = v[5];
        n++;
    }
    fclose(f);
    return n;
}

START_TEST(test_simulate_truth_on_grid)
{
    char dir[512], in[600], out[600], path[800];
    fib_test_tmpdir(dir, sizeof dir);
    snprintf(in, sizeof in, "%s/labels.mrc", dir);
    snprintf(out, sizeof out, "%s/twin", dir);
    write_labels(in);

    fib_job_simulate_params p;
    fib_job_simulate_params_init(&p);
    ck_assert_uint_eq(p.sim.seed, 1);
    ck_assert_int_eq(p.bits, 8);
    static const char *const opts[][2] = {{"no-tilt", NULL}, {"no-drift", NULL},
                                          {"clean", NULL},   {"jitter", "0"},
                                          {"seed", "11"},    {"bits", "16"}};
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        ck_assert_int_eq(
            fib_job_simulate_option(&p, opts[i][0], opts[i][1], NULL), FIB_OK);
    ck_assert_double_eq(p.sim.tilt_deg, -1);
    ck_assert_double_eq(p.sim.slice_jitter, -1);
    ck_assert(isnan(p.sim.trend_px[0]));
    ck_assert_uint_eq(p.sim.seed, 11);
    ck_assert_int_eq(p.bits, 16);
    p.labels_path = in;

    said s = {0};
    fib_job_env env = {0};
    env.message = on_message;
    env.message_user = &s;
    fib_job_simulate_result r = {0};
    fib_error err = {0};
    ck_assert_msg(fib_job_simulate(&p, out, &env, &r, &err) == FIB_OK, "%s",
                  err.msg);
    const fib_sim_geometry *g = &r.geometry;
    ck_assert_uint_eq(r.seed, 11);
    ck_assert_uint_eq(g->n_phases, 3);
    ck_assert_double_eq(g->pixel_nm, VOX_NM);
    ck_assert_double_eq(g->slice_nm, VOX_NM);
    ck_assert_uint_eq(g->truth_ny, g->ny); /* orthogonal view */
    ck_assert(g->nx >= 16 && g->nx <= NX && g->ny >= 16 && g->ny <= NY);
    ck_assert(g->nz >= NZ - 1 && g->nz <= NZ);

    /* the summary line, once */
    ck_assert_uint_eq(s.n_result, 1);
    char want[1024];
    snprintf(want, sizeof want,
             "cryofib simulate: %zu x %zu x %zu slices (10 nm pixels, 10 nm "
             "slices, tilt 0 deg, 3 phases), truth %zu x %zu, seed 11 -> %s",
             g->nx, g->ny, g->nz, g->nx, g->truth_ny, out);
    ck_assert_str_eq(s.result[0], want);

    /* one 16-bit slice per drift row, of the reported size */
    double z_nm[NZ];
    snprintf(path, sizeof path, "%s/drift_true.csv", out);
    ck_assert_uint_eq(read_drift(path, z_nm, NZ), g->nz);
    snprintf(path, sizeof path, "%s/slices", out);
    ck_assert_uint_eq(count_files(path, ".tif"), g->nz);
    for (size_t k = 0; k < g->nz; k += g->nz - 1) {
        fib_image im = {0};
        fib_fmt_meta meta;
        snprintf(path, sizeof path, "%s/slices/slice_%05zu_z=%.4fum.tif", out,
                 k, z_nm[k] * 1e-3);
        ck_assert_msg(fib_fmt_image_read(path, NULL, &im, &meta, &err) ==
                          FIB_OK,
                      "%s", err.msg);
        ck_assert_uint_eq(im.width, g->nx);
        ck_assert_uint_eq(im.height, g->ny);
        ck_assert_int_eq(im.type, FIB_PX_U16);
        ck_assert_int_eq(meta.vendor, FIB_VENDOR_THERMO_FEI);
        ck_assert_double_eq_tol(meta.pixel_size_nm[0], VOX_NM, 1e-9);
        fib_image_clear(&im);
    }

    /* truth = the input labels at the sample point of each grid voxel:
     * X = (i + 1/2) pixel + X0, Y = (j + 1/2) pixel + Y0 (no drift), label
     * slice floor(z_k / voxel z) (fib/simulate.h) */
    fib_volume t = {0};
    snprintf(path, sizeof path, "%s/truth_labels.mrc", out);
    ck_assert_int_eq(fib_fmt_volume_read(path, NULL, &t, NULL, NULL), FIB_OK);
    ck_assert_uint_eq(t.nx, g->nx);
    ck_assert_uint_eq(t.ny, g->truth_ny);
    ck_assert_uint_eq(t.nz, g->nz);
    size_t checked = 0;
    for (size_t k = 0; k < g->nz; k++) {
        const size_t lz = (size_t)floor(z_nm[k] / VOX_NM + 1e-9);
        ck_assert_uint_lt(lz, NZ);
        for (size_t j = 0; j < t.ny; j++)
            for (size_t i = 0; i < t.nx; i++) {
                const double X = ((double)i + 0.5) * VOX_NM + g->origin_nm[0];
                const double Y = ((double)j + 0.5) * VOX_NM + g->origin_nm[1];
                const size_t lx = (size_t)floor(X / VOX_NM);
                const size_t ly = (size_t)floor(Y / VOX_NM);
                ck_assert_uint_lt(lx, NX);
                ck_assert_uint_lt(ly, NY);
                ck_assert_double_eq(fib_volume_get(&t, i, j, k),
                                    label_at(lx, ly, lz));
                checked++;
            }
    }
    ck_assert_uint_eq(checked, g->nx * g->truth_ny * g->nz);
    fib_volume_clear(&t);

    /* a run file for recon with the geometry */
    snprintf(path, sizeof path, "%s/recon.cfg", out);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char cfg[4096];
    const size_t n = fread(cfg, 1, sizeof cfg - 1, f);
    cfg[n] = '\0';
    fclose(f);
    ck_assert_ptr_nonnull(strstr(cfg, "input = \"slices/\";\n"));
    ck_assert_ptr_nonnull(strstr(cfg, "out = \"../twin-recon\";\n"));
    ck_assert_ptr_nonnull(strstr(cfg, "pixel_size_nm = 10;\n"));
    ck_assert_ptr_nonnull(strstr(cfg, "tilt_deg = 0;\n"));
    fib_test_rmdir(dir);
}
END_TEST

START_TEST(test_simulate_options_refused)
{
    fib_job_simulate_params p;
    fib_job_simulate_params_init(&p);
    fib_error err = {0};
    ck_assert_int_eq(fib_job_simulate_option(&p, "jitter", "2", &err),
                     FIB_EINVAL);
    ck_assert_str_eq(err.msg, "--jitter must be in [0, 1] (got 2)");
    fib_error e2 = {0};
    ck_assert_int_eq(fib_job_simulate_option(&p, "size", "8x8x8", &e2),
                     FIB_EINVAL);
    ck_assert_str_eq(e2.msg, "--size expects NXxNYxNZ with 16..4096 px and "
                             "1..4096 slices (got '8x8x8')");
    fib_error e3 = {0};
    ck_assert_int_eq(fib_job_simulate_option(&p, "frobnicate", NULL, &e3),
                     FIB_ENOTFOUND);
    /* a zero amplitude switches the artifact off; frame stripes stay 0 */
    ck_assert_int_eq(fib_job_simulate_option(&p, "curtains", "0", NULL),
                     FIB_OK);
    ck_assert_double_eq(p.sim.curtain_amp, -1);
    ck_assert_int_eq(fib_job_simulate_option(&p, "frame-stripes", "0", NULL),
                     FIB_OK);
    ck_assert_double_eq(p.sim.frame_stripes, 0);
    ck_assert_int_eq(fib_job_simulate_option(&p, "grey", "0.1,0.5,0.9", NULL),
                     FIB_OK);
    ck_assert_uint_eq(p.n_grey, 3);
    ck_assert_double_eq(p.grey[2], 0.9);
}
END_TEST

/* Values that are not labels: refused, naming the voxel, nothing written. */
START_TEST(test_simulate_bad_labels_leave_nothing)
{
    char dir[512], in[600], out[600];
    fib_test_tmpdir(dir, sizeof dir);
    snprintf(in, sizeof in, "%s/grey.mrc", dir);
    snprintf(out, sizeof out, "%s/twin", dir);
    fib_volume v = {0};
    ck_assert_int_eq(fib_volume_init(&v, FIB_PX_F32, 20, 20, 3, NULL), FIB_OK);
    fib_volume_set(&v, 1, 0, 0, 0.5);
    v.voxel_size_nm[0] = v.voxel_size_nm[1] = v.voxel_size_nm[2] = 5;
    ck_assert_int_eq(fib_fmt_volume_write(in, &v, NULL, NULL), FIB_OK);
    fib_volume_clear(&v);
    fib_job_simulate_params p;
    fib_job_simulate_params_init(&p);
    p.labels_path = in;
    said s = {0};
    fib_job_env env = {0};
    env.message = on_message;
    env.message_user = &s;
    fib_error err = {0};
    ck_assert_int_eq(fib_job_simulate(&p, out, &env, NULL, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "voxel 1 holds 0.5, not a label"));
    ck_assert_uint_eq(s.n_result, 0);
    struct stat sb;
    ck_assert_int_ne(stat(out, &sb), 0);
    fib_test_rmdir(dir);
}
END_TEST

START_TEST(test_phantom_series)
{
    char dir[512], out[600], path[800];
    fib_test_tmpdir(dir, sizeof dir);
    snprintf(out, sizeof out, "%s/ph", dir);
    fib_job_phantom_params p;
    fib_job_phantom_params_init(&p);
    ck_assert_int_eq(p.bits, 16);
    ck_assert_int_eq(fib_job_phantom_option(&p, "kind", "coating", NULL),
                     FIB_OK);
    ck_assert_int_eq(fib_job_phantom_option(&p, "size", "32x24x3", NULL),
                     FIB_OK);
    ck_assert_int_eq(fib_job_phantom_option(&p, "slice-nm", "4", NULL), FIB_OK);
    said s = {0};
    fib_job_env env = {0};
    env.message = on_message;
    env.message_user = &s;
    fib_phantom_params used = {0};
    fib_error err = {0};
    ck_assert_msg(fib_job_phantom(&p, out, &env, &used, &err) == FIB_OK, "%s",
                  err.msg);
    ck_assert_uint_eq(used.nx, 32);
    ck_assert_uint_eq(used.ny, 24);
    ck_assert_uint_eq(used.nz, 3);
    ck_assert_double_eq(used.pixel_nm, 10); /* the phantom's default */
    ck_assert_double_eq(used.slice_nm, 4);
    ck_assert_uint_eq(s.n_result, 1);
    char want[800];
    snprintf(want, sizeof want,
             "cryofib phantom: coating, 32 x 24 x 3, 10 nm pixels, 4 nm "
             "slices, seed 0 -> %s",
             out);
    ck_assert_str_eq(s.result[0], want);
    /* three 16-bit slices, the labels of the same size, the true drift of
     * the same phantom */
    ck_assert_uint_eq(count_files(out, ".png"), 3);
    fib_image im = {0};
    snprintf(path, sizeof path, "%s/slice_0002.png", out);
    ck_assert_int_eq(fib_fmt_image_read(path, NULL, &im, NULL, NULL), FIB_OK);
    ck_assert_uint_eq(im.width, 32);
    ck_assert_uint_eq(im.height, 24);
    ck_assert_int_eq(im.type, FIB_PX_U16);
    fib_image_clear(&im);
    fib_volume lab = {0};
    snprintf(path, sizeof path, "%s/labels.mrc", out);
    ck_assert_int_eq(fib_fmt_volume_read(path, NULL, &lab, NULL, NULL), FIB_OK);
    ck_assert_uint_eq(lab.nx, 32);
    ck_assert_uint_eq(lab.ny, 24);
    ck_assert_uint_eq(lab.nz, 3);
    ck_assert_double_eq_tol(lab.voxel_size_nm[2], 4, 1e-6);
    fib_volume_clear(&lab);
    fib_phantom *ph = NULL;
    ck_assert_int_eq(fib_phantom_create(&p.phantom, &ph, NULL), FIB_OK);
    snprintf(path, sizeof path, "%s/true_drift.csv", out);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[256];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "slice,dx,dy\n");
    size_t rows = 0;
    while (fgets(line, sizeof line, f)) {
        long k;
        double dx, dy, tx, ty;
        ck_assert_int_eq(sscanf(line, "%ld,%lf,%lf", &k, &dx, &dy), 3);
        fib_phantom_true_drift(ph, (size_t)k, &tx, &ty);
        ck_assert_double_eq_tol(dx, tx, 1e-9 * (1 + fabs(tx)));
        ck_assert_double_eq_tol(dy, ty, 1e-9 * (1 + fabs(ty)));
        rows++;
    }
    fclose(f);
    ck_assert_uint_eq(rows, 3);
    fib_phantom_destroy(ph);

    /* again into the same folder, fewer slices, no environment at all: the
     * earlier result is replaced as a whole (no stale slice_0002.png) */
    ck_assert_int_eq(fib_job_phantom_option(&p, "size", "32x24x2", NULL),
                     FIB_OK);
    ck_assert_int_eq(fib_job_phantom(&p, out, NULL, NULL, NULL), FIB_OK);
    ck_assert_uint_eq(count_files(out, ".png"), 2);
    struct stat sb;
    snprintf(path, sizeof path, "%s/slice_0002.png", out);
    ck_assert_int_ne(stat(path, &sb), 0);
    fib_test_rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("job_simulate");
    TCase *tc = tcase_create("series");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_simulate_truth_on_grid);
    tcase_add_test(tc, test_simulate_options_refused);
    tcase_add_test(tc, test_simulate_bad_labels_leave_nothing);
    tcase_add_test(tc, test_phantom_series);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
