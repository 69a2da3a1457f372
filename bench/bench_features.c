/*
 * bench_features.c -- timing of the pixel-classifier filter bank
 * (fib/features.h) on a synthetic volume.
 *
 *   bench_features [NX NY NZ [SLAB [REPS]]]
 *       default 256 256 64, SLAB 0 (the whole volume in one call),
 *       REPS 3; the default feature set (6 scales, every set, raw: 67
 *       channels).  Prints one line:
 *       "features <nx> <ny> <nz> <channels> <threads> <slab> <best_s>
 *        <cpu_s> <work_MiB>"
 *       (best wall time of REPS runs and the process CPU time of that run,
 *       all threads: the work, whatever the machine's load; work_MiB:
 *       fib_features_work_bytes() of one call; with SLAB > 0 the volume is done
 * in slabs of SLAB sections, each with its halo, as a streaming caller does,
 * and the time is the sum).  Threads: OMP_NUM_THREADS.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <omp.h>

#include "fib/features.h"

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    size_t nx = argc > 3 ? strtoul(argv[1], NULL, 10) : 256;
    size_t ny = argc > 3 ? strtoul(argv[2], NULL, 10) : 256;
    size_t nz = argc > 3 ? strtoul(argv[3], NULL, 10) : 64;
    size_t slab = argc > 4 ? strtoul(argv[4], NULL, 10) : 0;
    int reps = argc > 5 ? atoi(argv[5]) : 3;
    if (nx == 0 || ny == 0 || nz == 0 || reps < 1) {
        fprintf(stderr, "bench_features: bad size\n");
        return 2;
    }
    if (slab == 0 || slab > nz)
        slab = nz;
    fib_features_params p = {0};
    size_t nch = fib_features_count(&p), n = nx * ny * nz;
    float *in = malloc(n * sizeof *in);
    float *out = malloc(slab * nx * ny * nch * sizeof *out);
    if (!in || !out) {
        fprintf(stderr, "bench_features: out of memory\n");
        return 1;
    }
    /* smooth structure plus deterministic noise, roughly unit variance */
    unsigned long long st = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        size_t x = i % nx, y = (i / nx) % ny, z = i / (nx * ny);
        st ^= st << 13, st ^= st >> 7, st ^= st << 17;
        double u = (double)(st >> 11) * (1.0 / 9007199254740992.0);
        in[i] = (float)(sin(0.11 * (double)x) * cos(0.07 * (double)y) +
                        0.3 * sin(0.19 * (double)z) + 0.5 * (u - 0.5));
    }
    size_t halo = fib_features_halo_z(&p);
    double best = 1e30, best_cpu = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = clock_s(CLOCK_MONOTONIC);
        double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        for (size_t z0 = 0; z0 < nz; z0 += slab) {
            size_t z1 = z0 + slab < nz ? z0 + slab : nz;
            size_t lo = z0 > halo ? z0 - halo : 0;
            size_t hi = nz - z1 > halo ? z1 + halo : nz;
            fib_error e = {0};
            if (fib_features_compute(&p, in + lo * nx * ny, nx, ny, lo, hi - lo,
                                     nz, z0, z1, out, &e) != FIB_OK) {
                fprintf(stderr, "bench_features: %s\n", e.msg);
                return 1;
            }
        }
        double t = clock_s(CLOCK_MONOTONIC) - t0;
        if (t < best) {
            best = t;
            best_cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        }
    }
    printf("features %zu %zu %zu %zu %d %zu %.3f %.3f %.1f\n", nx, ny, nz, nch,
           omp_get_max_threads(), slab, best, best_cpu,
           (double)fib_features_work_bytes(&p, nx, ny, slab) / 1048576.0);
    free(in);
    free(out);
    return 0;
}
