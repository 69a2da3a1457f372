/* test_job_recon.c -- fib_job_recon() (fib/job_recon.h) end to end: a
 * phantom slice series with a known drift is written as PNG files, run
 * through the job (from a parameter struct and from a run file), and the
 * report.json keys and values are checked against the truth: the solved
 * drift against the phantom's, the parameter echo against what was asked,
 * the voxel size and extents against the job's result. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fib/formats.h"
#include "fib/job_recon.h"
#include "fib/phantom.h"
#include "fib_test.h"

enum { N = 96, NZ = 10 };

/* Static structure (a phantom slice thickness of 0.001 nm: the content
 * does not change along z), so that only the drift moves between slices
 * and the solved shifts must undo it (as in test_recon's pair tests). */
static fib_phantom *write_series(const char *dir)
{
    fib_phantom_params pp = {0};
    pp.kind = FIB_PHANTOM_PARTICLES;
    pp.seed = 7;
    pp.nx = pp.ny = N;
    pp.nz = NZ;
    pp.slice_nm = 0.001;
    fib_phantom *ph = NULL;
    fib_error err = {0};
    ck_assert_msg(fib_phantom_create(&pp, &ph, &err) == FIB_OK, "%s", err.msg);
    fib_image im = {0};
    ck_assert(fib_image_init(&im, FIB_PX_U16, N, N, &err) == FIB_OK);
    char path[4200];
    snprintf(path, sizeof path, "%s/slices", dir);
    ck_assert(mkdir(path, 0700) == 0);
    for (size_t z = 0; z < NZ; z++) {
        ck_assert(fib_phantom_render(ph, z, &im, &err) == FIB_OK);
        snprintf(path, sizeof path, "%s/slices/slice_%04zu.png", dir, z);
        ck_assert_msg(fib_fmt_image_write(path, &im, NULL, &err) == FIB_OK,
                      "%s", err.msg);
    }
    fib_image_clear(&im);
    return ph;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    ck_assert(s && fread(s, 1, (size_t)n, f) == (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* The value of the first "KEY": after *pos (advanced past it); NaN for
 * null.  Fails the test when the key is missing. */
static double jnum(const char **pos, const char *key)
{
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *q = strstr(*pos, pat);
    ck_assert_msg(q != NULL, "report.json: no key %s", key);
    q += strlen(pat);
    *pos = q;
    return strncmp(q, "null", 4) == 0 ? (double)NAN : strtod(q, NULL);
}

static void jstr(const char **pos, const char *key, char *buf, size_t n)
{
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *q = strstr(*pos, pat);
    ck_assert_msg(q != NULL, "report.json: no string key %s", key);
    q += strlen(pat);
    const char *e = strchr(q, '"');
    ck_assert(e != NULL);
    snprintf(buf, n, "%.*s", (int)(e - q), q);
    *pos = e;
}

static const char *section(const char *txt, const char *key)
{
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *q = strstr(txt, pat);
    ck_assert_msg(q != NULL, "report.json: no section %s", key);
    return q;
}

typedef struct said {
    int n_result, n_warn;
    char first[4096];
    char warn[4096];
} said;

static void collect(void *user, fib_job_level level, const char *text)
{
    said *s = user;
    if (level == FIB_JOB_RESULT && s->n_result++ == 0)
        snprintf(s->first, sizeof s->first, "%s", text);
    if (level == FIB_JOB_WARN && s->n_warn++ == 0)
        snprintf(s->warn, sizeof s->warn, "%s", text);
}

/* RMS of (applied + true drift) about its mean over the slices: the
 * applied shift undoes the drift up to a constant. */
static double drift_error(const char *report, const fib_phantom *ph)
{
    const char *p = section(report, "slices");
    double e[NZ][2], m[2] = {0, 0}, ss = 0;
    for (size_t i = 0; i < NZ; i++) {
        ck_assert(jnum(&p, "slice") == (double)i);
        const double dx = jnum(&p, "dx"), dy = jnum(&p, "dy");
        double tx, ty;
        fib_phantom_true_drift(ph, i, &tx, &ty);
        e[i][0] = dx + tx;
        e[i][1] = dy + ty;
        m[0] += e[i][0] / NZ;
        m[1] += e[i][1] / NZ;
    }
    for (size_t i = 0; i < NZ; i++)
        ss += pow(e[i][0] - m[0], 2) + pow(e[i][1] - m[1], 2);
    return sqrt(ss / NZ);
}

START_TEST(test_job_params)
{
    char dir[4096], in[4200], out[4200], path[4300], word[512], line[4400];
    fib_test_tmpdir(dir, sizeof dir);
    fib_phantom *ph = write_series(dir);
    snprintf(in, sizeof in, "%s/slices", dir);
    snprintf(out, sizeof out, "%s/rec", dir);
    fib_job_recon_params p;
    fib_job_recon_params_init(&p);
    p.run.input = in;
    p.run.out = out;
    p.run.pixel_size_nm[0] = p.run.pixel_size_nm[1] = 10;
    p.run.slice_nm = 5;
    p.run.neighbours = 4;
    said s = {0};
    fib_job_env env = {0};
    env.message = collect;
    env.message_user = &s;
    fib_job_recon_result res;
    fib_error err = {0};
    ck_assert_msg(fib_job_recon(&p, &env, &res, &err) == FIB_OK, "%s", err.msg);
    /* the result and the summary line */
    ck_assert_uint_eq(res.n_slices, NZ);
    ck_assert_uint_eq(res.n_skipped, 0);
    ck_assert(res.voxel_size_nm[0] == 10 && res.voxel_size_nm[1] == 10 &&
              res.voxel_size_nm[2] == 5);
    ck_assert_uint_eq(res.nz, NZ);
    ck_assert(res.nx > N - 12 && res.nx <= N && res.ny > N - 12 &&
              res.ny <= N); /* cropped to the common region */
    ck_assert_str_eq(res.volume, "volume.mrc");
    ck_assert_int_eq(s.n_warn, 0);
    snprintf(line, sizeof line,
             "cryofib recon: %d slices (0 skipped) -> %s/volume.mrc %zu x "
             "%zu x %d, voxel 10 nm x 10 nm x 5 nm; no tilt in the metadata",
             NZ, out, res.nx, res.ny, NZ);
    ck_assert_msg(strncmp(s.first, line, strlen(line)) == 0, "said '%s'",
                  s.first);
    /* every output exists */
    static const char *const files[] = {"volume.mrc", "drift.csv", "drift.png",
                                        "ortho.png", "report.json"};
    struct stat sb;
    for (size_t i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/%s", out, files[i]);
        ck_assert_msg(stat(path, &sb) == 0 && sb.st_size > 0, "%s", path);
    }
    /* report.json: the echo, the geometry, the drift against the truth */
    snprintf(path, sizeof path, "%s/report.json", out);
    char *rep = slurp(path);
    const char *q = rep;
    jstr(&q, "tool", word, sizeof word);
    ck_assert_str_eq(word, "cryofib recon");
    q = section(rep, "inputs");
    ck_assert(jnum(&q, "n_slices") == NZ);
    ck_assert(jnum(&q, "width_px") == N && jnum(&q, "height_px") == N);
    q = section(rep, "parameters");
    ck_assert(jnum(&q, "pixel_size_x_nm") == 10);
    ck_assert(jnum(&q, "pixel_size_y_nm") == 10);
    jstr(&q, "pixel_size_from", word, sizeof word);
    ck_assert_str_eq(word, "option");
    ck_assert(jnum(&q, "slice_nm") == 5);
    ck_assert(isnan(jnum(&q, "tilt_deg"))); /* no stretch: null */
    jstr(&q, "align_dark_clip", word, sizeof word);
    ck_assert_str_eq(word, "auto");
    ck_assert(jnum(&q, "neighbours") == 4);
    ck_assert(jnum(&q, "upsample") == 20); /* the table's default */
    jstr(&q, "window", word, sizeof word);
    ck_assert_str_eq(word, "periodic-plus-smooth");
    ck_assert(jnum(&q, "taper") == 0);
    ck_assert(jnum(&q, "memory_budget_bytes") == (double)(1 << 30));
    q = section(rep, "output");
    ck_assert(jnum(&q, "nx") == (double)res.nx);
    ck_assert(jnum(&q, "ny") == (double)res.ny);
    ck_assert(jnum(&q, "nz") == NZ);
    ck_assert(strstr(q, "\"voxel_size_nm\": [\n      10,\n      10,\n      5"));
    jstr(&q, "voxel_size_status", word, sizeof word);
    ck_assert_str_eq(word, "known");
    q = section(rep, "output");
    ck_assert(jnum(&q, "y_scale") == 1);
    const double e = drift_error(rep, ph);
    /* 0.1 px: the alignment target of recon/README.md ("Accuracy") */
    ck_assert_msg(e <= 0.1, "drift error %.4f px RMS", e);
    free(rep);
    fib_phantom_destroy(ph);
    fib_test_rmdir(dir);
}
END_TEST

START_TEST(test_job_run_file)
{
    /* the same series from a run file with relative paths, no pixel size
     * (PNG has no metadata): the unknown lengths are null in the report
     * and named in warnings; the echo follows the file */
    char dir[4096], path[4300], word[512];
    fib_test_tmpdir(dir, sizeof dir);
    fib_phantom *ph = write_series(dir);
    snprintf(path, sizeof path, "%s/run.cfg", dir);
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs("input = \"slices\";\nout = \"rec\";\nupsample = 50;\n"
          "taper = 0.5;\nformat = \"nrrd\";\n",
          f);
    fclose(f);
    fib_job_recon_params p;
    fib_error err = {0};
    ck_assert_msg(fib_fmt_recon_cfg_read(path, &p.run, &err) == FIB_OK, "%s",
                  err.msg);
    said s = {0};
    fib_job_env env = {.message = collect, .message_user = &s};
    fib_job_recon_result res;
    ck_assert_msg(fib_job_recon(&p, &env, &res, &err) == FIB_OK, "%s", err.msg);
    fib_fmt_recon_cfg_free(&p.run);
    ck_assert_str_eq(res.volume, "volume.nrrd");
    ck_assert(res.voxel_size_nm[0] == 0 && res.voxel_size_nm[2] == 0);
    ck_assert_int_eq(s.n_warn, 2);
    ck_assert_msg(strstr(s.warn, "pixel size unknown") != NULL, "%s", s.warn);
    snprintf(path, sizeof path, "%s/rec/report.json", dir);
    char *rep = slurp(path);
    const char *q = section(rep, "parameters");
    ck_assert(isnan(jnum(&q, "pixel_size_x_nm")));
    jstr(&q, "pixel_size_from", word, sizeof word);
    ck_assert_str_eq(word, "unknown");
    ck_assert(isnan(jnum(&q, "slice_nm")));
    ck_assert(jnum(&q, "neighbours") == 3);
    ck_assert(jnum(&q, "upsample") == 50);
    jstr(&q, "window", word, sizeof word);
    ck_assert_str_eq(word, "tukey");
    ck_assert(jnum(&q, "taper") == 0.5);
    q = section(rep, "output");
    jstr(&q, "volume", word, sizeof word);
    ck_assert_str_eq(word, "volume.nrrd");
    const double e = drift_error(rep, ph);
    ck_assert_msg(e <= 0.1, "drift error %.4f px RMS", e);
    free(rep);
    fib_phantom_destroy(ph);
    fib_test_rmdir(dir);
}
END_TEST

static fib_status never_read(void *user, size_t i, fib_image *out,
                             fib_error *err)
{
    (void)user;
    (void)i;
    (void)out;
    return fib_error_set(err, FIB_EIO, "not reached");
}

START_TEST(test_table_ranges)
{
    /* one range per parameter: the run-file reader, the command and the
     * engine take the table's limits (a value past one is refused by the
     * reader with the table's numbers) */
    const fib_param_table *t = fib_fmt_recon_cfg_params();
    const fib_param *k = fib_params_find(t, "neighbours");
    ck_assert(k && k->min == 1 && k->max == FIB_RECON_MAX_NEIGHBOURS);
    const fib_param *s = fib_params_find(t, "slice_nm");
    ck_assert(s && s->min == FIB_RECON_MIN_LENGTH_NM &&
              s->max == FIB_RECON_MAX_LENGTH_NM);
    char dir[4096], path[4300];
    fib_test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/bad.cfg", dir);
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs("input = \"s\";\nout = \"o\";\nneighbours = 17;\n", f);
    fclose(f);
    fib_fmt_recon_cfg c;
    fib_error err = {0};
    ck_assert_int_eq(fib_fmt_recon_cfg_read(path, &c, &err), FIB_EINVAL);
    ck_assert_msg(strstr(err.msg, ":3: neighbours must be an integer 1..16"),
                  "%s", err.msg);
    f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs("input = \"s\";\nout = \"o\";\nslice_nm = 2e6;\n", f);
    fclose(f);
    fib_error_clear(&err);
    ck_assert_int_eq(fib_fmt_recon_cfg_read(path, &c, &err), FIB_EINVAL);
    ck_assert_msg(strstr(err.msg, "slice_nm must be at most 1e6 nm"), "%s",
                  err.msg);
    /* the job checks a struct filled in C with the same table, before
     * it reads anything (the input does not exist) */
    fib_job_recon_params jp;
    fib_job_recon_params_init(&jp);
    ck_assert(jp.run.neighbours == 3 && jp.run.upsample == 20 &&
              jp.run.tilt_corrected == -1 && jp.run.crop_valid == -1);
    jp.run.input = path;
    jp.run.out = dir;
    jp.run.neighbours = 17;
    fib_error_clear(&err);
    ck_assert_int_eq(fib_job_recon(&jp, NULL, NULL, &err), FIB_ERANGE);
    ck_assert_str_eq(err.msg, "recon: neighbours must be 1..16 (got 17)");
    jp.run.neighbours = 3;
    jp.run.taper = -0.5;
    fib_error_clear(&err);
    ck_assert_int_eq(fib_job_recon(&jp, NULL, NULL, &err), FIB_ERANGE);
    ck_assert_str_eq(err.msg, "recon: taper must be 0..1 (got -0.5)");
    /* the engine refuses the same value in its own struct */
    fib_recon_params rp = {0};
    rp.neighbours = FIB_RECON_MAX_NEIGHBOURS + 1;
    fib_recon_source src = {0};
    src.n_slices = 2;
    src.width = src.height = 16;
    src.type = FIB_PX_U8;
    src.read = never_read;
    fib_recon *r = NULL;
    fib_error_clear(&err);
    ck_assert_int_eq(fib_recon_create(&rp, &src, &r, &err), FIB_EINVAL);
    ck_assert_msg(strstr(err.msg, "neighbours must be 1..16"), "%s", err.msg);
    fib_test_rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("job_recon");
    TCase *tc = tcase_create("job");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_job_params);
    tcase_add_test(tc, test_job_run_file);
    tcase_add_test(tc, test_table_ranges);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
