/* bench_floor.c -- the single-thread floor of a slice-series reconstruction
 * (issue 18): the least work any aligner must do on a series of files.
 *
 *   bench_floor SERIES OUT.raw
 *
 * For every slice, in order, on one thread: decode the file once
 * (fib_fmt_image_read: libpng / libtiff), convert it to float, one forward
 * real FFT of the whole slice (FFTW r2c, planned once with FFTW_ESTIMATE),
 * resample it by a fixed sub-pixel shift (bilinear) and write the float
 * slice to OUT.raw.  No pair measurement, no solve, no second read: what
 * `cryofib recon` does on top of this is the alignment itself.  Prints
 * "floor total_s T decode_s D fft_s F shift_s S write_s W slices N".
 */
#define _POSIX_C_SOURCE 200809L
#include <fftw3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fib/formats.h"
#include "fib/recon.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_floor SERIES OUT.raw\n");
        return 2;
    }
    fib_error err = {0};
    char **paths = NULL;
    size_t n = 0;
    if (fib_fmt_series_list(argv[1], &paths, &n, &err)) {
        fprintf(stderr, "bench_floor: %s\n", err.msg);
        return 2;
    }
    FILE *out = fopen(argv[2], "wb");
    if (!out) {
        perror(argv[2]);
        return 2;
    }
    double t_dec = 0, t_fft = 0, t_shift = 0, t_write = 0;
    const double t0 = now_s();
    fib_image f = {0}, g = {0};
    float *in = NULL;
    fftwf_complex *spec = NULL;
    fftwf_plan plan = NULL;
    size_t w = 0, h = 0;
    const float fx = 0.37f, fy = 0.21f; /* sub-pixel shift */
    for (size_t i = 0; i < n; i++) {
        double t = now_s();
        fib_image img = {0};
        if (fib_fmt_image_read(paths[i], NULL, &img, NULL, &err)) {
            fprintf(stderr, "bench_floor: %s\n", err.msg);
            return 2;
        }
        if (!plan) {
            w = img.width;
            h = img.height;
            if (fib_image_init(&f, FIB_PX_F32, w, h, &err) ||
                fib_image_init(&g, FIB_PX_F32, w, h, &err))
                return 2;
            in = fftwf_alloc_real(w * h);
            spec = fftwf_alloc_complex(h * (w / 2 + 1));
            plan =
                fftwf_plan_dft_r2c_2d((int)h, (int)w, in, spec, FFTW_ESTIMATE);
        }
        if (fib_recon_fill_f32(&img, &f, &err)) {
            fprintf(stderr, "bench_floor: %s\n", err.msg);
            return 2;
        }
        fib_image_clear(&img);
        double t2 = now_s();
        t_dec += t2 - t;
        for (size_t y = 0; y < h; y++)
            memcpy(in + y * w, fib_image_row(&f, y), w * sizeof(float));
        fftwf_execute(plan);
        t = now_s();
        t_fft += t - t2;
        for (size_t y = 0; y + 1 < h; y++) {
            const float *a = fib_image_row(&f, y),
                        *b = fib_image_row(&f, y + 1);
            float *o = fib_image_row(&g, y);
            for (size_t x = 0; x + 1 < w; x++)
                o[x] = (1 - fy) * ((1 - fx) * a[x] + fx * a[x + 1]) +
                       fy * ((1 - fx) * b[x] + fx * b[x + 1]);
            o[w - 1] = 0;
        }
        memset(fib_image_row(&g, h - 1), 0, w * sizeof(float));
        t2 = now_s();
        t_shift += t2 - t;
        for (size_t y = 0; y < h; y++)
            if (fwrite(fib_image_row(&g, y), sizeof(float), w, out) != w)
                return 2;
        t_write += now_s() - t2;
    }
    const double t2 = now_s();
    if (fclose(out) != 0)
        return 2;
    const double total = now_s() - t0;
    t_write += now_s() - t2;
    printf("floor total_s %.3f decode_s %.3f fft_s %.3f shift_s %.3f write_s "
           "%.3f slices %zu\n",
           total, t_dec, t_fft, t_shift, t_write, n);
    fftwf_destroy_plan(plan);
    fftwf_free(in);
    fftwf_free(spec);
    fib_image_clear(&f);
    fib_image_clear(&g);
    fib_fmt_series_free(paths, n);
    return 0;
}
