/*
 * bench_correct.c -- time the artifact-correction steps of fib/correct.h
 * on one image (best of N runs, in process, excluding file I/O).
 *
 *   bench_correct IMAGE [REPS] [OUTDIR]
 *
 * Prints one line per operation: "name ms_best ms_per_megapixel".  With
 * OUTDIR, also writes the f32 results of the destripe runs as raw files
 * (OUTDIR/NAME.f32, row-major, width x height) for error comparisons.
 * The peer timings come from bench/peer_correct.py in the same run
 * (bench/run_correct.sh).
 */
#define _POSIX_C_SOURCE 200809L
#include "fib/correct.h"
#include "fib/formats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Process CPU time: with OMP_NUM_THREADS=1 it is the single-thread cost
 * and far less disturbed by other processes on a shared machine than wall
 * time (set FIB_BENCH_WALL=1 for wall-clock time, needed with threads). */
static double now_s(void)
{
    static int wall = -1;
    if (wall < 0)
        wall = getenv("FIB_BENCH_WALL") != NULL;
    struct timespec t;
    clock_gettime(wall ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef fib_status (*op_fn)(const void *params, fib_image *img, fib_error *err);

static fib_status run_destripe(const void *p, fib_image *img, fib_error *err)
{
    return fib_recon_destripe(p, img, err);
}
static fib_status run_denoise(const void *p, fib_image *img, fib_error *err)
{
    return fib_recon_denoise(p, img, err);
}
static fib_status run_background(const void *p, fib_image *img, fib_error *err)
{
    return fib_recon_background(p, img, err);
}

static int bench(const char *name, op_fn fn, const void *params,
                 const fib_image *src, int reps, const char *outdir)
{
    const char *only = getenv("FIB_BENCH_ONLY"); /* a name filter */
    if (only && !strstr(name, only))
        return 0;
    double best = 1e30;
    fib_image work;
    for (int r = 0; r < reps; r++) {
        fib_error err = {0};
        if (fib_image_copy(src, &work, &err) != FIB_OK) {
            fprintf(stderr, "bench_correct: %s\n", err.msg);
            return 1;
        }
        double t0 = now_s();
        fib_status st = fn(params, &work, &err);
        double t = now_s() - t0;
        if (st != FIB_OK) {
            fprintf(stderr, "bench_correct: %s: %s\n", name, err.msg);
            fib_image_clear(&work);
            return 1;
        }
        if (t < best)
            best = t;
        if (r + 1 < reps)
            fib_image_clear(&work);
    }
    double mpx = (double)src->width * (double)src->height / 1e6;
    printf("%-24s %10.3f %10.3f\n", name, 1e3 * best, 1e3 * best / mpx);
    if (outdir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/c_%s.f32", outdir, name);
        FILE *f = fopen(path, "wb");
        if (f) {
            for (size_t y = 0; y < work.height; y++)
                fwrite(fib_image_row(&work, y), sizeof(float), work.width, f);
            fclose(f);
        }
    }
    fib_image_clear(&work);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_correct IMAGE [REPS] [OUTDIR]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (reps < 1)
        reps = 1;
    const char *outdir = argc > 3 ? argv[3] : NULL;
    fib_error err = {0};
    fib_image in, f;
    if (fib_fmt_image_read(argv[1], NULL, &in, NULL, &err) != FIB_OK ||
        fib_image_convert(&in, FIB_PX_F32, &f, &err) != FIB_OK) {
        fprintf(stderr, "bench_correct: %s\n", err.msg);
        return 1;
    }
    fib_image_clear(&in);
    printf("# image %zu x %zu (%.3f Mpx), best of %d, %s time\n", f.width,
           f.height, (double)f.width * (double)f.height / 1e6, reps,
           getenv("FIB_BENCH_WALL") ? "wall" : "process cpu");
    printf("# %-22s %10s %10s\n", "operation", "ms", "ms/Mpx");
    int rc = 0;
    fib_recon_destripe_params d4 = {.method = FIB_DESTRIPE_WAVELET_FFT,
                                    .wavelet = "db5",
                                    .levels = 4,
                                    .sigma = 2};
    fib_recon_destripe_params d6 = d4;
    d6.levels = 6;
    fib_recon_destripe_params dm = d4;
    dm.method = FIB_DESTRIPE_WAVELET_MEDIAN;
    fib_recon_destripe_params dw = {.method = FIB_DESTRIPE_WEDGE};
    rc |= bench("destripe_fw_db5_L4", run_destripe, &d4, &f, reps, outdir);
    rc |= bench("destripe_fw_db5_L6", run_destripe, &d6, &f, reps, outdir);
    /* streaming: one context, work space and FFT plans reused per slice */
    {
        fib_recon_correct_params cp = {0};
        cp.destripe = d4;
        fib_recon_correct *ctx;
        if (fib_recon_correct_create(&cp, &ctx, &err) != FIB_OK) {
            fprintf(stderr, "bench_correct: %s\n", err.msg);
            return 1;
        }
        fib_image work;
        double best = 1e30;
        for (int r = 0; r <= reps; r++) {
            if (fib_image_copy(&f, &work, &err) != FIB_OK)
                return 1;
            double t0 = now_s();
            fib_status st =
                fib_recon_correct_slice(ctx, (size_t)r, &work, &err);
            double t = now_s() - t0;
            fib_image_clear(&work);
            if (st != FIB_OK) {
                fprintf(stderr, "bench_correct: %s\n", err.msg);
                return 1;
            }
            if (r > 0 && t < best) /* run 0 makes the work space */
                best = t;
        }
        double mpx = (double)f.width * (double)f.height / 1e6;
        printf("%-24s %10.3f %10.3f\n", "destripe_fw_L4_stream", 1e3 * best,
               1e3 * best / mpx);
        fib_recon_correct_destroy(ctx);
    }
    rc |= bench("destripe_median_db5_L4", run_destripe, &dm, &f, reps, outdir);
    rc |= bench("destripe_wedge", run_destripe, &dw, &f, reps, outdir);
    fib_recon_destripe_params dv = {.method = FIB_DESTRIPE_VSNR};
    rc |= bench("destripe_vsnr", run_destripe, &dv, &f, reps, outdir);
    fib_recon_denoise_params m1 = {.method = FIB_DENOISE_MEDIAN, .radius = 1};
    fib_recon_denoise_params m2 = {.method = FIB_DENOISE_MEDIAN, .radius = 2};
    fib_recon_denoise_params g2 = {.method = FIB_DENOISE_GAUSS, .sigma_px = 2};
    fib_recon_denoise_params pm = {.method = FIB_DENOISE_DIFFUSION};
    rc |= bench("median_3x3", run_denoise, &m1, &f, reps, outdir);
    rc |= bench("median_5x5", run_denoise, &m2, &f, reps, outdir);
    rc |= bench("gauss_sigma2", run_denoise, &g2, &f, reps, outdir);
    rc |= bench("diffusion_10it", run_denoise, &pm, &f, reps, NULL);
    fib_recon_denoise_params nl = {
        .method = FIB_DENOISE_NLM, .patch_radius = 3, .search_radius = 5};
    rc |=
        bench("nlm_p7_s11", run_denoise, &nl, &f, reps > 3 ? 3 : reps, outdir);
    fib_recon_background_params bp = {.method = FIB_BACKGROUND_POLY};
    fib_recon_background_params bg = {.method = FIB_BACKGROUND_GAUSS};
    rc |= bench("background_poly2", run_background, &bp, &f, reps, NULL);
    rc |= bench("background_gauss", run_background, &bg, &f, reps, NULL);
    fib_image_clear(&f);
    return rc;
}
