/* job_demo_check.c -- the accuracy checks of fib_job_demo(): the drift
 * recon recovered and the lithium it segmented, each against the truth the
 * phantom wrote beside its slices.  They read the files the stages
 * committed (what a user of the command would compare), so the numbers
 * are those of the written outputs. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/formats.h"
#include "job_demo_internal.h"

/* Most rows read from a drift file: the phantom's most slices
 * (fib/phantom.h). */
enum { MAX_ROWS = 4096 };

/* Read the "slice,dx,dy[,...]" rows of @p path (the header and other
 * lines that do not parse are skipped); the number of rows (<= max), 0
 * when the file cannot be read. */
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

/* RMS about its mean of v = a + b - c over n samples (b, c may be NULL:
 * zero). */
static double rms_centred(const double *a, const double *b, const double *c,
                          size_t n)
{
    double m = 0, s = 0;
    for (size_t i = 0; i < n; i++)
        m += a[i] + (b ? b[i] : 0) - (c ? c[i] : 0);
    m /= (double)n;
    for (size_t i = 0; i < n; i++) {
        const double e = a[i] + (b ? b[i] : 0) - (c ? c[i] : 0) - m;
        s += e * e;
    }
    return sqrt(s / (double)n);
}

/* "DIR/NAME" into @p buf (names are short: the caller checked DIR). */
static const char *join(char *buf, size_t n, const char *dir, const char *name)
{
    (void)snprintf(buf, n, "%s/%s", dir, name);
    return buf;
}

/* The drift applied by recon is the correcting shift, the negative of the
 * content's displacement, so applied + true is the error; its mean is the
 * arbitrary constant offset of an aligner and is removed. */
fib_status fib__job_demo_drift_check(const char *dir, const fib_job_env *env,
                                     fib_job_demo_result *res, fib_error *err)
{
    double *buf = malloc(6 * MAX_ROWS * sizeof *buf);
    if (!buf)
        return fib_error_set(err, FIB_ENOMEM, "demo: out of memory");
    double *tx = buf, *ty = tx + MAX_ROWS, *ax = ty + MAX_ROWS,
           *ay = ax + MAX_ROWS, *bx = ay + MAX_ROWS, *by = bx + MAX_ROWS;
    char p[4200];
    const size_t nt = read_drift(
        join(p, sizeof p, dir, "phantom/true_drift.csv"), tx, ty, MAX_ROWS);
    const size_t na =
        read_drift(join(p, sizeof p, dir, "recon/drift.csv"), ax, ay, MAX_ROWS);
    if (!nt || nt != na) {
        fib_job_say(env, FIB_JOB_RESULT,
                    "drift check skipped (%zu true vs %zu applied rows)", nt,
                    na);
        free(buf);
        return FIB_OK;
    }
    double truth = 0;
    for (size_t i = 0; i < nt; i++)
        truth += tx[i] * tx[i] + ty[i] * ty[i];
    res->drift_checked = true;
    res->true_drift_rms_px = sqrt(truth / (double)nt);
    res->drift_error_px[0] = rms_centred(ax, tx, NULL, nt);
    res->drift_error_px[1] = rms_centred(ay, ty, NULL, nt);
    fib_job_say(env, FIB_JOB_RESULT,
                "drift recovered: true drift %.2f px RMS over %zu slices; "
                "error after removing the constant offset %.3f px (x) %.3f "
                "px (y) RMS",
                res->true_drift_rms_px, nt, res->drift_error_px[0],
                res->drift_error_px[1]);
    /* The same phantom without drift, reconstructed the same way: what an
     * image-only aligner takes for motion in the content itself (features
     * growing, shrinking, sliding through the section).  Drifted minus
     * drift-free against the truth is the aligner's own error. */
    if (read_drift(join(p, sizeof p, dir, "recon-still/drift.csv"), bx, by,
                   MAX_ROWS) == nt) {
        res->aligner_checked = true;
        res->aligner_error_px[0] = rms_centred(ax, tx, bx, nt);
        res->aligner_error_px[1] = rms_centred(ay, ty, by, nt);
        res->still_motion_px[0] = rms_centred(bx, NULL, NULL, nt);
        res->still_motion_px[1] = rms_centred(by, NULL, NULL, nt);
        fib_job_say(env, FIB_JOB_RESULT,
                    "aligner error against the known drift (drifted minus "
                    "drift-free reconstruction) %.3f px (x) %.3f px (y) RMS; "
                    "the drift-free phantom alone seems to move %.3f px (x) "
                    "%.3f px (y) RMS (its content growing and sliding "
                    "through the section; recon/README.md, Accuracy)",
                    res->aligner_error_px[0], res->aligner_error_px[1],
                    res->still_motion_px[0], res->still_motion_px[1]);
    }
    free(buf);
    return FIB_OK;
}

double fib__job_demo_dice(const fib_volume *seg, uint32_t seg_label,
                          const fib_volume *truth, uint32_t truth_label,
                          double *frac_seg, double *frac_true)
{
    size_t ns = 0, nt = 0, both = 0;
    const size_t n = seg->nx * seg->ny * seg->nz;
    for (size_t i = 0; i < n; i++) {
        const bool a = fib_volume_label_at(seg, i) == seg_label;
        const bool b = fib_volume_label_at(truth, i) == truth_label;
        ns += a;
        nt += b;
        both += a && b;
    }
    if (frac_seg)
        *frac_seg = n ? (double)ns / (double)n : 0;
    if (frac_true)
        *frac_true = n ? (double)nt / (double)n : 0;
    return ns + nt ? 2.0 * (double)both / (double)(ns + nt) : 0.0;
}
