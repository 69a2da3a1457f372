/*
 * recon_measure.c -- a slice-and-view reconstruction and a measurement
 * through the pipeline jobs (fib/fib.h), as a program that links
 * libcryofib would run them: render a particle phantom series (PNG slices
 * with known drift and ground-truth labels), reconstruct it, segment the
 * volume into four classes by multi-Otsu, measure the segmented labels and
 * the true labels, and read the volume fractions back from the two
 * report.json files.
 *
 *   recon_measure [DIR]     (default: a fresh folder under $TMPDIR, removed
 *                            at the end; with DIR the files are kept)
 *   cc recon_measure.c $(pkg-config --cflags --libs --static cryofib)
 *
 * Exit status 0 when every job succeeded and each phase's segmented
 * volume fraction is within 0.05 of the true one (the noisy slices are
 * segmented without denoising, so the fractions differ by a few percent).
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fib/fib.h"

/* The jobs never print: their lines arrive here. */
static void show(void *user, fib_job_level level, const char *text)
{
    (void)user;
    printf("%s%s\n", level == FIB_JOB_WARN ? "warning: " : "  ", text);
}

static int fail(const char *what, fib_status st, const fib_error *err)
{
    fprintf(stderr, "recon_measure: %s: %s\n", what,
            err->msg[0] ? err->msg : fib_strerror(st));
    return EXIT_FAILURE;
}

/* The "volume_fraction" object of a measure report: label -> fraction,
 * for labels 0..7 (NaN where absent).  Returns false when it is missing. */
static bool read_fractions(const char *path, double frac[8])
{
    for (int i = 0; i < 8; i++)
        frac[i] = (double)NAN;
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char text[1 << 16];
    const size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *p = strstr(text, "\"volume_fraction\": {");
    if (!p)
        return false;
    p = strchr(p, '{') + 1;
    const char *end = strchr(p, '}');
    int label;
    double v;
    int used;
    while (p < end && sscanf(p, " \"%d\": %lf%n", &label, &v, &used) == 2) {
        if (label >= 0 && label < 8)
            frac[label] = v;
        p += used;
        p += strspn(p, ", \n");
    }
    return true;
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(int argc, char **argv)
{
    char dir[512], series[1100], recon_dir[1100], volume[1200], labels[1100],
        report[1100], truth[1200], truth_report[1100];
    const bool keep = argc > 1;
    if (keep) {
        snprintf(dir, sizeof dir, "%s", argv[1]);
        mkdir(dir, 0777);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/cryofib-example-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
            perror("recon_measure: mkdtemp");
            return EXIT_FAILURE;
        }
    }
    snprintf(series, sizeof series, "%s/series", dir);
    snprintf(recon_dir, sizeof recon_dir, "%s/recon", dir);
    snprintf(labels, sizeof labels, "%s/labels.mrc", dir);
    snprintf(report, sizeof report, "%s/report.json", dir);
    snprintf(truth, sizeof truth, "%s/labels.mrc", series);
    snprintf(truth_report, sizeof truth_report, "%s/truth.json", dir);

    fib_job_env env = {0};
    env.message = show;
    fib_error err = {0};
    fib_status st;

    /* 1. A rendered acquisition: 128 x 128 px, 32 slices, 10 nm voxels. */
    fib_job_phantom_params ph;
    fib_job_phantom_params_init(&ph);
    ph.phantom.kind = FIB_PHANTOM_PARTICLES;
    ph.phantom.nx = ph.phantom.ny = 128;
    ph.phantom.nz = 32;
    ph.phantom.seed = 7;
    printf("phantom -> %s\n", series);
    if ((st = fib_job_phantom(&ph, series, &env, NULL, &err)) != FIB_OK)
        return fail("phantom", st, &err);

    /* 2. Reconstruct: PNG slices carry no metadata, so the pixel size and
     *    the slice thickness are given (the phantom's 10 nm). */
    fib_job_recon_params rp;
    fib_job_recon_params_init(&rp);
    rp.run.input = series;
    rp.run.out = recon_dir;
    rp.run.pixel_size_nm[0] = rp.run.pixel_size_nm[1] = 10;
    rp.run.slice_nm = 10;
    fib_job_recon_result rr;
    printf("recon -> %s\n", recon_dir);
    if ((st = fib_job_recon(&rp, &env, &rr, &err)) != FIB_OK)
        return fail("recon", st, &err);
    snprintf(volume, sizeof volume, "%s/%s", recon_dir, rr.volume);

    /* 3. Segment: pore, two particle phases and the cap are four grey
     *    levels -> multi-Otsu with four classes (labels 0..3). */
    fib_job_segment_params sp = {0};
    sp.method = FIB_JOB_SEGMENT_MULTI_OTSU;
    sp.classes = 4;
    fib_job_segment_result sr;
    printf("segment -> %s\n", labels);
    if ((st = fib_job_segment(&sp, volume, labels, &env, &sr, &err)) != FIB_OK)
        return fail("segment", st, &err);

    /* 4. Measure the segmented and the true labels (no local thickness,
     *    to keep the example quick). */
    const char *in[2] = {labels, truth}, *out[2] = {report, truth_report};
    for (int k = 0; k < 2; k++) {
        fib_job_measure_params mp;
        fib_job_measure_defaults(&mp);
        mp.labels_path = in[k];
        mp.json_path = out[k];
        mp.thickness = false;
        printf("measure %s -> %s\n", in[k], out[k]);
        if ((st = fib_job_measure(&mp, &env, NULL, &err)) != FIB_OK)
            return fail("measure", st, &err);
    }

    /* 5. Read the reports back. */
    double seg[8], tru[8];
    if (!read_fractions(report, seg) || !read_fractions(truth_report, tru)) {
        fprintf(stderr, "recon_measure: no volume_fraction in the reports\n");
        return EXIT_FAILURE;
    }
    /* Multi-Otsu numbers the classes by grey level; the phantom's grey
     * levels rise pore (0) < binder (2) < particle (1) < cap (3)
     * (fib/phantom.h), so class k is true label by_grey[k]. */
    static const int by_grey[4] = {0, 2, 1, 3};
    printf("\nclass  segmented  true label  true\n");
    int bad = 0;
    for (int k = 0; k < 4; k++) {
        const double t = tru[by_grey[k]];
        printf("%5d  %9.4f  %10d  %6.4f\n", k, seg[k], by_grey[k], t);
        bad += !(fabs(seg[k] - t) <= 0.05);
    }
    if (!keep)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return bad ? EXIT_FAILURE : EXIT_SUCCESS;
}
