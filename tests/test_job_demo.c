/*
 * test_job_demo.c -- fib_job_demo() (fib/job_demo.h) end to end into a
 * temporary folder: every promised output exists and no staged temporary
 * is left; the accuracy it reports holds the limits of tests/cli_demo.sh
 * (drift error < 1 px, the aligner's own error < 0.1 px on both axes,
 * segmented lithium fraction within a factor 2 of the truth, the trained
 * classifier's Dice >= 0.8 and above multi-Otsu's);
 * the numbers are cross-checked against sources the demo does not use for
 * them (the phantom engine's true drift, measure's report.json fraction)
 * and against the lines it said; a caller's transaction and an unusable
 * folder are refused with nothing written.
 */
#include "fib_test.h"

#include "fib/job_demo.h"
#include "fib/phantom.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Every message, newline-terminated, in one growing buffer. */
typedef struct said {
    char *text;
    size_t n, cap;
    int results, others;
} said;

static void on_message(void *user, fib_job_level level, const char *text)
{
    said *s = user;
    const size_t len = strlen(text) + 1;
    if (s->n + len + 1 > s->cap) {
        s->cap = 2 * (s->n + len + 1);
        s->text = realloc(s->text, s->cap);
        ck_assert(s->text != NULL);
    }
    memcpy(s->text + s->n, text, len - 1);
    s->n += len;
    s->text[s->n - 1] = '\n';
    s->text[s->n] = '\0';
    s->results += level == FIB_JOB_RESULT;
    s->others += level != FIB_JOB_RESULT;
}

static void assert_file(const char *dir, const char *rel)
{
    char p[8500];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    ck_assert_msg(stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0,
                  "missing or empty %s", p);
}

/* No ".tmp-" name (a staged output) in @p dir or its sub-folders. */
static void assert_no_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot list %s", dir);
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        ck_assert_msg(!strstr(e->d_name, ".tmp-"), "staged file %s/%s left",
                      dir, e->d_name);
        char p[4200];
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            assert_no_temporaries(p);
    }
    closedir(d);
}

/* The number after "KEY": {... "1": in measure/report.json's
 * volume_fraction object. */
static double report_fraction_1(const char *dir)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/measure/report.json", dir);
    FILE *f = fopen(p, "rb");
    ck_assert(f != NULL);
    static char buf[1 << 16];
    const size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *q = strstr(buf, "\"volume_fraction\": {");
    ck_assert_msg(q != NULL, "report.json: no volume_fraction");
    q = strstr(q, "\"1\": ");
    ck_assert_msg(q != NULL, "report.json: no volume_fraction of label 1");
    return strtod(q + 5, NULL);
}

/* RMS of the true drift of the demo's phantom (dendrites, seed 7, the
 * defaults), straight from the phantom engine. */
static double engine_true_drift_rms(size_t *nz)
{
    fib_phantom_params pp = {0};
    pp.kind = FIB_PHANTOM_DENDRITES;
    pp.seed = 7;
    fib_phantom *ph = NULL;
    fib_error err = {0};
    ck_assert_msg(fib_phantom_create(&pp, &ph, &err) == FIB_OK, "%s", err.msg);
    *nz = fib_phantom_get_params(ph).nz;
    double s = 0;
    for (size_t z = 0; z < *nz; z++) {
        double dx, dy;
        fib_phantom_true_drift(ph, z, &dx, &dy);
        s += dx * dx + dy * dy;
    }
    fib_phantom_destroy(ph);
    return sqrt(s / (double)*nz);
}

static void run_demo(const char *dir, said *s, fib_job_demo_result *r)
{
    const fib_job_demo_params p = {.out_dir = dir};
    const fib_job_env env = {.message = on_message, .message_user = s};
    fib_error err = {0};
    const fib_status st = fib_job_demo(&p, &env, r, &err);
    ck_assert_msg(st == FIB_OK, "fib_job_demo: %s", err.msg);
}

static void check_outputs(const char *d)
{
    static const char *const files[] = {"plan/plan.json",
                                        "plan/timeline.png",
                                        "plan/site-Ga.png",
                                        "plan/site-Xe.png",
                                        "phantom/labels.mrc",
                                        "phantom/true_drift.csv",
                                        "phantom/slice_0063.png",
                                        "recon/volume.mrc",
                                        "recon/drift.csv",
                                        "recon/drift.png",
                                        "recon/ortho.png",
                                        "recon/report.json",
                                        "phantom-still/labels.mrc",
                                        "recon-still/drift.csv",
                                        "measure/labels.mrc",
                                        "measure/report.json",
                                        "measure/objects.csv",
                                        "measure/lithium.ply",
                                        "measure/pictures/surface_1.png"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        assert_file(d, files[i]);
    assert_no_temporaries(d);
}

/* The limits of tests/cli_demo.sh, and the numbers against the engine,
 * the measurement report and the lines said. */
static void check_accuracy(const char *d, const fib_job_demo_result *r,
                           const said *s)
{
    ck_assert(r->drift_checked && r->aligner_checked && r->truth_checked);
    size_t nz = 0;
    const double truth = engine_true_drift_rms(&nz);
    ck_assert_uint_eq(r->n_slices, nz);
    /* drift.csv holds %.10g values: the same RMS to 1e-8 */
    ck_assert_msg(fabs(r->true_drift_rms_px - truth) < 1e-8 && truth > 1,
                  "true drift %g px RMS vs the engine's %g",
                  r->true_drift_rms_px, truth);
    for (int a = 0; a < 2; a++) {
        ck_assert_msg(r->drift_error_px[a] >= 0 && r->drift_error_px[a] < 1.0,
                      "drift error %c %g px", "xy"[a], r -> drift_error_px[a]);
        ck_assert_msg(
            r->aligner_error_px[a] >= 0 && r->aligner_error_px[a] < 0.1,
            "aligner error %c %g px", "xy"[a], r -> aligner_error_px[a]);
    }
    const double fs = r->fraction_segmented, ft = r->fraction_true;
    ck_assert_msg(ft > 0 && fs > ft / 2 && fs < 2 * ft,
                  "lithium fraction %g segmented vs %g true", fs, ft);
    /* the classifier trained on a twin of another seed finds the thin
     * dendrites (issue 19: >= 0.80) and beats multi-Otsu */
    ck_assert_msg(r->dice >= 0.8 && r->dice <= 1 && r->dice > r->dice_threshold,
                  "Dice %g (multi-Otsu %g)", r->dice, r->dice_threshold);
    /* the measurement counted the same label 1 voxels of the same file */
    ck_assert_msg(fabs(report_fraction_1(d) - fs) <= 1e-9 * fs,
                  "report.json fraction %.10g vs %.10g", report_fraction_1(d),
                  fs);
    char line[512];
    snprintf(line, sizeof line,
             "error after removing the constant offset %.3f px (x) %.3f px "
             "(y) RMS",
             r->drift_error_px[0], r->drift_error_px[1]);
    ck_assert_msg(strstr(s->text, line), "not said: %s", line);
    snprintf(line, sizeof line,
             "(drifted minus drift-free reconstruction) %.3f px (x) %.3f px "
             "(y) RMS",
             r->aligner_error_px[0], r->aligner_error_px[1]);
    ck_assert_msg(strstr(s->text, line), "not said: %s", line);
    snprintf(line, sizeof line,
             "volume fraction %.4f segmented, %.4f true; Dice overlap %.2f", fs,
             ft, r->dice);
    ck_assert_msg(strstr(s->text, line), "not said: %s", line);
}

START_TEST(demo_end_to_end)
{
    char tmp[4096], d[4200];
    fib_test_tmpdir(tmp, sizeof tmp);
    snprintf(d, sizeof d, "%s/demo", tmp);
    said s = {0};
    fib_job_demo_result r;
    run_demo(d, &s, &r);
    check_outputs(d);
    check_accuracy(d, &r, &s);
    /* the lines of `cryofib demo`: heading, five stages, the summary */
    char head[4400];
    snprintf(head, sizeof head, "cryofib %s demo -> %s/\n",
             fib_version_string(), d);
    ck_assert_msg(!strncmp(s.text, head, strlen(head)), "first line: %.80s",
                  s.text);
    for (int k = 1; k <= 5; k++) {
        char sec[16];
        snprintf(sec, sizeof sec, "\n\n== %d/5 ", k);
        ck_assert_msg(strstr(s.text, sec), "no stage heading %d", k);
    }
    ck_assert(strstr(s.text, "\n\ndone: ") != NULL);
    ck_assert_int_eq(s.others, 0);
    free(s.text);
    fib_test_rmdir(tmp);
}
END_TEST

START_TEST(demo_refusals)
{
    char tmp[4096], d[4200];
    fib_test_tmpdir(tmp, sizeof tmp);
    said s = {0};
    fib_error err = {0};
    /* a folder whose parent does not exist */
    snprintf(d, sizeof d, "%s/no/such", tmp);
    fib_job_demo_params p = {.out_dir = d};
    fib_job_env env = {.message = on_message, .message_user = &s};
    fib_job_demo_result r;
    r.dice = 1;
    ck_assert_int_eq(fib_job_demo(&p, &env, &r, &err), FIB_EINVAL);
    ck_assert_msg(strstr(err.msg, "cannot create folder") && strstr(err.msg, d),
                  "%s", err.msg);
    ck_assert(r.dice == 0 && !r.truth_checked); /* zeroed on failure */
    ck_assert_int_eq(s.results + s.others, 0);
    /* a caller's transaction: the stages read each other's outputs */
    snprintf(d, sizeof d, "%s/demo", tmp);
    err = (fib_error){0}; /* the first error of an fib_error sticks */
    ck_assert_int_eq(fib_fmt_txn_begin(&env.txn, &err), FIB_OK);
    ck_assert_int_eq(fib_job_demo(&p, &env, NULL, &err), FIB_EINVAL);
    ck_assert(strstr(err.msg, "env->txn") != NULL);
    fib_fmt_txn_abort(env.txn);
    struct stat sb;
    ck_assert(stat(d, &sb) != 0);
    ck_assert_int_eq(s.results + s.others, 0);
    free(s.text);
    fib_test_rmdir(tmp);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job_demo");
    TCase *tc = tcase_create("job");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, demo_end_to_end);
    tcase_add_test(tc, demo_refusals);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fib_test_run(suite(), NULL);
}
