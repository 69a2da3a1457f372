/*
 * bench_measure.c -- timings of the measurement kernels for
 * bench/run_measure.sh, which runs scipy/scikit-image on the same data in
 * the same run and compares.
 *
 *   bench_measure kernels VOLUME PHASE EDT_OUT.f32
 *       connected components (6, 26), EDT (written raw, float32, x
 *       fastest), marching-cubes area of the phase; one line per kernel:
 *       "label6 <count> <seconds>", "edt <seconds>", "mc <area> <seconds>"
 *   bench_measure labelthreads VOLUME PHASE [REPS]
 *       labelling on 1 and on 2 threads (wall time, best of REPS runs
 *       taken alternately, default 9), one line per connectivity:
 *       "labelthreads <conn> <count> <t1_s> <t2_s> <labels_identical>
 *        <cpu1_s> <cpu2_s>" (cpu: process CPU time of the best runs, all
 *       threads: what the second thread adds in work, whatever the load)
 *   bench_measure tortuosity VOLUME PHASE AXIS [TOL] [jacobi]
 *       "tortuosity <axis> <tau> <iterations> <seconds> <peak_rss_MiB>
 *        <converged> <rel_residual> <flux_mismatch> <unknowns> <voxels>"
 *       (seconds: the solve alone; peak RSS: the whole process, the
 *       volume read included)
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fib/formats.h"
#include "fib/measure.h"
#include "fib/mesh.h"
#include "fib/segment.h"
#include "fib/threads.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int die(const char *what, const fib_error *e)
{
    fprintf(stderr, "bench_measure: %s: %s\n", what, e->msg);
    return 1;
}

static int load_mask(const char *path, long phase, fib_volume *mask)
{
    fib_error e = {0};
    fib_volume v;
    if (fib_fmt_volume_read(path, NULL, &v, NULL, &e) != FIB_OK)
        return die(path, &e);
    if (fib_volume_init(mask, FIB_PX_U8, v.nx, v.ny, v.nz, &e) != FIB_OK)
        return die("mask", &e);
    size_t n = v.nx * v.ny * v.nz;
    for (size_t i = 0; i < n; i++) {
        double x =
            fib_volume_get(&v, i % v.nx, (i / v.nx) % v.ny, i / (v.nx * v.ny));
        ((uint8_t *)mask->data)[i] = x == (double)phase;
    }
    fib_volume_clear(&v);
    return 0;
}

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Labelling with 1 and 2 threads: best wall time of reps runs each,
 * alternated so that both see the same machine load; the label volumes
 * must be identical. */
static int label_threads(const char *path, long phase, int reps)
{
    fib_error e = {0};
    fib_volume m;
    if (load_mask(path, phase, &m))
        return 1;
    for (int conn = 6; conn <= 26; conn += 20) {
        double best[2] = {1e300, 1e300}, cpu[2] = {0, 0};
        fib_volume l[2];
        size_t n[2] = {0, 0};
        for (int rep = 0; rep < reps; rep++)
            for (int t = 0; t < 2; t++) {
                fib_threads_scope sc = fib_threads_begin(t + 1);
                double c0 = cpu_s(), t0 = now_s();
                fib_status st = fib_recon_label(&m, conn, &l[t], &n[t], &e);
                double dt = now_s() - t0, dc = cpu_s() - c0;
                fib_threads_end(sc);
                if (st != FIB_OK)
                    return die("label", &e);
                if (dt < best[t]) {
                    best[t] = dt;
                    cpu[t] = dc;
                }
                if (rep + 1 < reps)
                    fib_volume_clear(&l[t]);
            }
        size_t nv = m.nx * m.ny * m.nz;
        int same = n[0] == n[1] &&
                   !memcmp(l[0].data, l[1].data, nv * sizeof(uint32_t));
        printf("labelthreads %d %zu %.4f %.4f %d %.4f %.4f\n", conn, n[0],
               best[0], best[1], same, cpu[0], cpu[1]);
        fib_volume_clear(&l[0]);
        fib_volume_clear(&l[1]);
    }
    fib_volume_clear(&m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "labelthreads") == 0)
        return label_threads(argv[2], atol(argv[3]),
                             argc >= 5 ? atoi(argv[4]) : 9);
    fib_error e = {0};
    fib_volume m;
    if (argc >= 5 && strcmp(argv[1], "kernels") == 0) {
        if (load_mask(argv[2], atol(argv[3]), &m))
            return 1;
        fib_volume l;
        size_t n = 0;
        /* labelling takes a fraction of a second: best of 3 runs (the
           peer script times scipy the same way) */
        for (int conn = 6; conn <= 26; conn += 20) {
            double best = 1e300;
            for (int rep = 0; rep < 3; rep++) {
                double t0 = now_s();
                if (fib_recon_label(&m, conn, &l, &n, &e) != FIB_OK)
                    return die("label", &e);
                double dt = now_s() - t0;
                best = dt < best ? dt : best;
                fib_volume_clear(&l);
            }
            printf("label%d %zu %.4f\n", conn, n, best);
        }
        double t;
        fib_volume d;
        t = now_s();
        if (fib_recon_edt(&m, &d, &e) != FIB_OK)
            return die("edt", &e);
        printf("edt %.4f\n", now_s() - t);
        FILE *f = fopen(argv[4], "wb");
        if (!f || fwrite(d.data, sizeof(float), m.nx * m.ny * m.nz, f) !=
                      m.nx * m.ny * m.nz) {
            fprintf(stderr, "bench_measure: cannot write %s\n", argv[4]);
            return 1;
        }
        fclose(f);
        fib_volume_clear(&d);
        /* marching cubes of the 0/1 field at level 0.5, no padding (as
           skimage.measure.marching_cubes(mask, 0.5)) */
        size_t nv = m.nx * m.ny * m.nz;
        t = now_s();
        float *fl = malloc(sizeof(float) * nv);
        for (size_t i = 0; i < nv; i++)
            fl[i] = ((uint8_t *)m.data)[i] ? 1.0f : 0.0f;
        fib_mesh mesh;
        double sp[3] = {1, 1, 1};
        if (fib_recon_marching_cubes(fl, m.nx, m.ny, m.nz, sp, NULL, 0.5, &mesh,
                                     &e) != FIB_OK)
            return die("marching cubes", &e);
        double area = fib_mesh_area(&mesh);
        printf("mc %.6f %.4f %zu\n", area, now_s() - t, mesh.n_triangles);
        fib_mesh_clear(&mesh);
        free(fl);
        fib_volume_clear(&m);
        return 0;
    }
    if (argc >= 5 && strcmp(argv[1], "tortuosity") == 0) {
        if (load_mask(argv[2], atol(argv[3]), &m))
            return 1;
        int axis = argv[4][0] - 'x';
        fib_tort_opts o = {.rel_tol = argc >= 6 ? atof(argv[5]) : 1e-6,
                           .jacobi = argc >= 7 && !strcmp(argv[6], "jacobi")};
        fib_tort_result r;
        double t = now_s();
        fib_status st = fib_recon_tortuosity(&m, axis, &o, &r, NULL, &e);
        double dt = now_s() - t;
        if (st != FIB_OK && st != FIB_ENUMERIC)
            return die("tortuosity", &e);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("tortuosity %c %.6f %zu %.3f %.1f %d %.3g %.3g %zu %zu\n",
               argv[4][0], r.tau, r.iterations, dt,
               (double)ru.ru_maxrss / 1024.0, r.converged, r.rel_residual,
               r.flux_mismatch, r.unknowns, m.nx * m.ny * m.nz);
        fib_volume_clear(&m);
        return 0;
    }
    if (argc >= 5 && strcmp(argv[1], "skeleton") == 0) {
        /* 3-D thinning of the phase mask; the skeleton goes to OUT (u8,
         * x fastest) for the peer script to compare voxel by voxel */
        if (load_mask(argv[2], atol(argv[3]), &m))
            return 1;
        double t = now_s();
        if (fib_recon_skeletonize(&m, &e) != FIB_OK)
            return die("skeleton", &e);
        double dt = now_s() - t;
        size_t nv = m.nx * m.ny * m.nz, on = 0;
        for (size_t i = 0; i < nv; i++)
            on += ((uint8_t *)m.data)[i] != 0;
        FILE *f = fopen(argv[4], "wb");
        if (!f || fwrite(m.data, 1, nv, f) != nv) {
            fprintf(stderr, "bench_measure: cannot write %s\n", argv[4]);
            return 1;
        }
        fclose(f);
        printf("skeleton %zu %.4f\n", on, dt);
        fib_volume_clear(&m);
        return 0;
    }
    fprintf(stderr, "usage: bench_measure kernels VOLUME PHASE EDT_OUT | "
                    "skeleton VOLUME PHASE OUT | "
                    "tortuosity VOLUME PHASE AXIS [TOL] [jacobi]\n");
    return 2;
}
