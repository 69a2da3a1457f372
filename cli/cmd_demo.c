/*
 * cmd_demo.c -- `cryofib demo`: the main job on embedded defaults.
 *
 * Runs the project end to end with nothing but built-in data, through the
 * same subcommands a user would type, and writes every output under one
 * folder (default ./cryofib-demo):
 *
 *   1. plan     the built-in Li-metal dendrite cryo lift-out, Ga vs Xe
 *               (tables, plan.json, site drawings, timeline chart);
 *   2. sputter  ion sources compared on lithium and NMC811;
 *   3. phantom  a synthetic dendrite slice-and-view series with known
 *               drift, curtains, shading, intensity drift and noise;
 *   4. recon    alignment + destriping + normalisation + denoising (and of
 *               the drift-free twin, to separate the aligner's error from
 *               the content's apparent motion), and the
 *               recovered drift compared with the truth;
 *   5. segment + measure  the lithium phase: fractions, surface, objects,
 *               thickness, skeleton, heights, mesh and pictures, compared
 *               with the ground-truth labels.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "fib/formats.h"
#include "fib/image.h"

static const char *const CMD = "demo";

/* Run one subcommand with a NULL-terminated argument list. */
static int run(int (*fn)(int, char **), ...)
{
    char *argv[64];
    int argc = 0;
    va_list ap;
    va_start(ap, fn);
    for (char *a = va_arg(ap, char *); a && argc < 63; a = va_arg(ap, char *))
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    fflush(stdout);
    return fn(argc, argv);
}

static void section(int n, const char *title)
{
    printf("\n== %d/5 %s\n", n, title);
    fflush(stdout);
}

/* Read "slice,dx,dy" rows; returns the number of rows (<= max). */
static size_t read_drift(const char *path, double *dx, double *dy, size_t max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[256];
    size_t n = 0;
    while (fgets(line, sizeof line, f) && n < max) {
        long s;
        double a, b;
        if (sscanf(line, "%ld,%lf,%lf", &s, &a, &b) == 3) {
            dx[n] = a;
            dy[n] = b;
            n++;
        }
    }
    fclose(f);
    return n;
}

/* RMS about its mean of v = a + b - c (c may be NULL), n samples. */
static double rms_centred(const double *a, const double *b, const double *c,
                          size_t n)
{
    double m = 0, s = 0;
    for (size_t i = 0; i < n; i++)
        m += a[i] + b[i] - (c ? c[i] : 0);
    m /= (double)n;
    for (size_t i = 0; i < n; i++) {
        const double e = a[i] + b[i] - (c ? c[i] : 0) - m;
        s += e * e;
    }
    return sqrt(s / (double)n);
}

/* RMS of (applied + true) after removing its mean: the drift error that
 * remains once the arbitrary constant offset of an aligner is removed. */
static void drift_check(const char *dir)
{
    enum { MAXS = 4096 };
    static double tx[MAXS], ty[MAXS], ax[MAXS], ay[MAXS], bx[MAXS], by[MAXS];
    static const double zero[MAXS];
    char p[4200];
    snprintf(p, sizeof p, "%s/phantom/true_drift.csv", dir);
    const size_t nt = read_drift(p, tx, ty, MAXS);
    snprintf(p, sizeof p, "%s/recon/drift.csv", dir);
    const size_t na = read_drift(p, ax, ay, MAXS);
    if (!nt || nt != na) {
        printf("drift check skipped (%zu true vs %zu applied rows)\n", nt, na);
        return;
    }
    double truth = 0;
    for (size_t i = 0; i < nt; i++)
        truth += tx[i] * tx[i] + ty[i] * ty[i];
    printf("drift recovered: true drift %.2f px RMS over %zu slices; error "
           "after removing the constant offset %.3f px (x) %.3f px (y) RMS\n",
           sqrt(truth / (double)nt), nt, rms_centred(ax, tx, NULL, nt),
           rms_centred(ay, ty, NULL, nt));
    /* The same phantom without drift, reconstructed the same way: what an
     * image-only aligner takes for motion in the content itself (features
     * growing, shrinking, sliding through the section).  Drifted minus
     * drift-free against the truth is the aligner's own error. */
    snprintf(p, sizeof p, "%s/recon-still/drift.csv", dir);
    if (read_drift(p, bx, by, MAXS) != nt)
        return;
    printf("aligner error against the known drift (drifted minus drift-free "
           "reconstruction) %.3f px (x) %.3f px (y) RMS; the drift-free "
           "phantom alone seems to move %.3f px (x) %.3f px (y) RMS (its "
           "content growing and sliding through the section; "
           "recon/README.md, Accuracy)\n",
           rms_centred(ax, tx, bx, nt), rms_centred(ay, ty, by, nt),
           rms_centred(bx, zero, NULL, nt), rms_centred(by, zero, NULL, nt));
}

/* The crop box (x, y) recon wrote in report.json ("box": [x, y, w, h]);
 * 0, 0 when absent. */
static void crop_offset(const char *dir, size_t *x0, size_t *y0)
{
    char p[4200], buf[8192];
    *x0 = *y0 = 0;
    snprintf(p, sizeof p, "%s/recon/report.json", dir);
    FILE *f = fopen(p, "r");
    if (!f)
        return;
    const size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *b = strstr(buf, "\"box\": [");
    size_t x = 0, y = 0;
    if (b && sscanf(b, "\"box\": [ %zu , %zu", &x, &y) == 2) {
        *x0 = x;
        *y0 = y;
    }
}

/* Compare the segmented lithium (label 1) with the phantom's truth, on
 * the region recon kept (its default crop to the region every slice
 * covers). */
static void truth_check(const char *dir)
{
    char ps[4200], pt[4200];
    snprintf(ps, sizeof ps, "%s/measure/labels.mrc", dir);
    snprintf(pt, sizeof pt, "%s/phantom/labels.mrc", dir);
    fib_volume s = {0}, t = {0};
    fib_error err = {0};
    size_t ox = 0, oy = 0;
    crop_offset(dir, &ox, &oy);
    if (fib_fmt_volume_read(ps, NULL, &s, NULL, &err) != FIB_OK ||
        fib_fmt_volume_read(pt, NULL, &t, NULL, &err) != FIB_OK ||
        s.nx + ox > t.nx || s.ny + oy > t.ny || s.nz != t.nz) {
        printf("truth check skipped: %s\n", err.msg[0] ? err.msg : "sizes");
        fib_volume_clear(&s);
        fib_volume_clear(&t);
        return;
    }
    size_t ns = 0, nt = 0, both = 0;
    for (size_t z = 0; z < s.nz; z++)
        for (size_t y = 0; y < s.ny; y++)
            for (size_t x = 0; x < s.nx; x++) {
                const bool a = fib_volume_get(&s, x, y, z) == 1.0;
                const bool b = fib_volume_get(&t, x + ox, y + oy, z) == 1.0;
                ns += a;
                nt += b;
                both += a && b;
            }
    const double n = (double)s.nx * (double)s.ny * (double)s.nz;
    printf("lithium vs ground truth: volume fraction %.4f segmented, %.4f "
           "true; Dice overlap %.2f (thin dendrites, partial volume and "
           "residual misregistration lower it)\n",
           (double)ns / n, (double)nt / n,
           ns + nt ? 2.0 * (double)both / (double)(ns + nt) : 0.0);
    fib_volume_clear(&s);
    fib_volume_clear(&t);
}

static bool make_dir(const char *dir)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST)
        return true;
    (void)cli_usage_error(CMD, "%s: cannot create folder: %s", dir,
                          strerror(errno));
    return false;
}

int cli_cmd_demo(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: cryofib demo [--out DIR]\n\n"
               "Run cryofib end to end on built-in data (no input files):\n"
               "plan a Li-metal dendrite cryo lift-out with Ga and Xe,\n"
               "compare ion sources, render a dendrite slice-and-view\n"
               "phantom, reconstruct it (alignment and artifact\n"
               "correction), segment and measure the lithium, and compare\n"
               "with the ground truth.  Outputs go to DIR (default\n"
               "./cryofib-demo).\n");
        return CLI_EXIT_OK;
    }
    const char *dir = "cryofib-demo";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            dir = argv[++i];
        else
            return cli_usage_error(CMD,
                                   "unexpected argument '%s' (see "
                                   "'cryofib demo --help')",
                                   argv[i]);
    }
    if (!make_dir(dir))
        return CLI_EXIT_USAGE;
    printf("cryofib %s demo -> %s/\n", fib_version_string(), dir);

    char plan_dir[4200], plan_json[4200], ph[4200], rc_dir[4200], ph0[4200],
        rc0[4200];
    char vol[4200], me[4200], labels[4200], rep[4200], csv[4200], mesh[4200],
        pics[4200];
    snprintf(plan_dir, sizeof plan_dir, "%s/plan", dir);
    snprintf(plan_json, sizeof plan_json, "%s/plan/plan.json", dir);
    snprintf(ph, sizeof ph, "%s/phantom", dir);
    snprintf(rc_dir, sizeof rc_dir, "%s/recon", dir);
    snprintf(vol, sizeof vol, "%s/recon/volume.mrc", dir);
    snprintf(me, sizeof me, "%s/measure", dir);
    snprintf(labels, sizeof labels, "%s/measure/labels.mrc", dir);
    snprintf(rep, sizeof rep, "%s/measure/report.json", dir);
    snprintf(csv, sizeof csv, "%s/measure/objects.csv", dir);
    snprintf(mesh, sizeof mesh, "%s/measure/lithium.ply", dir);
    snprintf(pics, sizeof pics, "%s/measure/pictures", dir);

    int rc;
    section(1, "session plan: Li-metal dendrite cryo lift-out, Ga vs Xe");
    if (!make_dir(plan_dir))
        return CLI_EXIT_USAGE;
    rc = run(cli_cmd_plan, "plan", "--demo", "--out", plan_dir, "--json",
             plan_json, (char *)NULL);
    if (rc)
        return rc;

    section(2, "ion sources compared on lithium and NMC811 (30 kV)");
    rc = run(cli_cmd_sputter, "sputter", "--compare", "Ga,Xe,Ar", "--material",
             "Li", "--energy-kev", "5,30", (char *)NULL);
    if (!rc)
        rc = run(cli_cmd_sputter, "sputter", "--compare", "Ga,Xe", "--material",
                 "NMC811", "--energy-kev", "30", (char *)NULL);
    if (rc)
        return rc;

    section(3, "phantom: dendrite slice-and-view series with known drift");
    rc = run(cli_cmd_phantom, "phantom", "--kind", "dendrites", "--out", ph,
             "--seed", "7", (char *)NULL);
    if (rc)
        return rc;

    section(4, "reconstruction: align, destripe, normalise, denoise");
    rc = run(cli_cmd_recon, "recon", "--input", ph, "--out", rc_dir,
             "--pixel-size-nm", "10", "--slice-nm", "10", "--destripe",
             "--normalize", "--denoise", "median", (char *)NULL);
    if (rc)
        return rc;
    /* the drift-free twin (same seed: same structure, artifacts, noise),
     * reconstructed the same way, separates the aligner's error from the
     * content's apparent motion */
    snprintf(ph0, sizeof ph0, "%s/phantom-still", dir);
    snprintf(rc0, sizeof rc0, "%s/recon-still", dir);
    rc = run(cli_cmd_phantom, "phantom", "--kind", "dendrites", "--out", ph0,
             "--seed", "7", "--drift-px", "0", (char *)NULL);
    if (!rc)
        rc = run(cli_cmd_recon, "recon", "--input", ph0, "--out", rc0,
                 "--pixel-size-nm", "10", "--slice-nm", "10", "--destripe",
                 "--normalize", "--denoise", "median", "--quiet", (char *)NULL);
    if (rc)
        return rc;
    drift_check(dir);

    section(5, "segmentation and measurement of the lithium");
    if (!make_dir(me))
        return CLI_EXIT_USAGE;
    rc = run(cli_cmd_segment, "segment", vol, "--out", labels, "--multi-otsu",
             "3", "--open", "10", "--min-size", "50", (char *)NULL);
    if (!rc)
        rc =
            run(cli_cmd_measure, "measure", labels, "--phase", "1",
                "--skeleton", "--substrate", "y1", "--grey", vol, "--json", rep,
                "--csv", csv, "--mesh", mesh, "--pictures", pics, (char *)NULL);
    if (rc)
        return rc;
    truth_check(dir);

    printf("\ndone: %s/plan (plan.json, site-*.png, timeline.png), "
           "%s/phantom (slices, labels.mrc, true_drift.csv),\n"
           "      %s/recon (volume.mrc, drift.csv, drift.png, ortho.png, "
           "report.json), %s/measure (labels.mrc, report.json,\n"
           "      objects.csv, lithium.ply, pictures/); the drift-free twin "
           "in %s/phantom-still and %s/recon-still\n",
           dir, dir, dir, dir, dir, dir);
    return CLI_EXIT_OK;
}
