/*
 * bench_recon.c -- timing, accuracy and memory of fib/recon.h, driven by
 * bench/run_recon.sh beside the scikit-image peer (bench/peer_recon.py).
 *
 *   bench_recon gen OUT.raw NX NY NZ SEED
 *       render a particles phantom (10 nm px, 2.5 nm slices, drift 0.6 px
 *       random walk) as raw little-endian u16 slices; OUT.raw.true.csv
 *       gets the true content drift (slice,dx,dy)
 *   bench_recon align IN.raw NX NY NZ THREADS OUT.csv [K [MODEL]]
 *       stream the raw series through fib_recon (pass 1 + solve + pass 2,
 *       output slices consumed by a checksum sink); OUT.csv = applied
 *       shifts; prints seconds; MODEL: translation (default), rigid,
 *       similarity, affine or regularized-affine (fib_recon_model)
 *   bench_recon mem NX NY NZ OUT.mrc [BUDGET]
 *       a u8 series generated on the fly (a fixed random texture moved by
 *       a random walk, plus noise: no input files) reconstructed into
 *       OUT.mrc by the streaming writer; prints peak resident memory
 *       (getrusage) and the budget's peak
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fib/checked.h"
#include "fib/formats.h"
#include "fib/phantom.h"
#include "fib/recon.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds (user + system) of this process, all threads: on a shared
 * machine the wall time includes waiting for the cores. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static size_t arg_size(const char *s)
{
    return (size_t)strtoull(s, NULL, 10);
}

static int gen(char **argv)
{
    fib_phantom_params pp = {0};
    pp.kind = FIB_PHANTOM_PARTICLES;
    pp.nx = arg_size(argv[3]);
    pp.ny = arg_size(argv[4]);
    pp.nz = arg_size(argv[5]);
    pp.seed = arg_size(argv[6]);
    pp.slice_nm = 2.5;
    fib_phantom *ph = NULL;
    fib_error err = {0};
    fib_image im = {0};
    if (fib_phantom_create(&pp, &ph, &err) ||
        fib_image_init(&im, FIB_PX_U16, pp.nx, pp.ny, &err)) {
        fprintf(stderr, "bench_recon: %s\n", err.msg);
        return 1;
    }
    FILE *f = fopen(argv[2], "wb");
    char csv[4096];
    snprintf(csv, sizeof csv, "%s.true.csv", argv[2]);
    FILE *c = fopen(csv, "w");
    if (!f || !c)
        return 1;
    fprintf(c, "slice,dx,dy\n");
    for (size_t z = 0; z < pp.nz; z++) {
        if (fib_phantom_render(ph, z, &im, &err)) {
            fprintf(stderr, "bench_recon: %s\n", err.msg);
            return 1;
        }
        fwrite(im.data, 2, pp.nx * pp.ny, f);
        double dx, dy;
        fib_phantom_true_drift(ph, z, &dx, &dy);
        fprintf(c, "%zu,%.10g,%.10g\n", z, dx, dy);
    }
    fclose(f);
    fclose(c);
    fib_image_clear(&im);
    fib_phantom_destroy(ph);
    return 0;
}

typedef struct raw_src {
    FILE *f;
    size_t nx, ny;
    uint16_t *buf;
} raw_src;

static fib_status read_raw(void *user, size_t i, fib_image *out, fib_error *err)
{
    raw_src *s = user;
    const size_t n = s->nx * s->ny;
    if (fseeko(s->f, (off_t)(i * n * 2), SEEK_SET) != 0 ||
        fread(s->buf, 2, n, s->f) != n)
        return fib_error_set(err, FIB_EIO, "raw: slice %zu: short read", i);
    for (size_t y = 0; y < s->ny; y++) {
        float *row = fib_image_row(out, y);
        for (size_t x = 0; x < s->nx; x++)
            row[x] = (float)s->buf[y * s->nx + x];
    }
    return FIB_OK;
}

static fib_status sum_slice(void *user, size_t z, const fib_image *im,
                            fib_error *err)
{
    (void)z;
    (void)err;
    double *acc = user;
    for (size_t y = 0; y < im->height; y += 16)
        *acc += fib_image_get(im, y % im->width, y);
    return FIB_OK;
}

static int align(char **argv)
{
    raw_src rs = {0};
    rs.nx = arg_size(argv[3]);
    rs.ny = arg_size(argv[4]);
    const size_t nz = arg_size(argv[5]);
    rs.f = fopen(argv[2], "rb");
    rs.buf = malloc(rs.nx * rs.ny * 2);
    if (!rs.f || !rs.buf)
        return 1;
    fib_recon_source s = {0};
    s.n_slices = nz;
    s.width = rs.nx;
    s.height = rs.ny;
    s.type = FIB_PX_U16;
    s.pixel_size_nm[0] = s.pixel_size_nm[1] = 10;
    s.read = read_raw;
    s.user = &rs;
    fib_recon_params p = {0};
    p.threads = atoi(argv[6]);
    if (argv[8])
        p.neighbours = arg_size(argv[8]);
    static const char *const models[] = {"translation", "rigid", "similarity",
                                         "affine", "regularized-affine"};
    for (int m = 0; argv[8] && argv[9] && m < 5; m++)
        if (!strcmp(argv[9], models[m]))
            p.model = (fib_recon_model)m;
    fib_recon *r = NULL;
    fib_error err = {0};
    double acc = 0;
    fib_recon_sink sink = {NULL, sum_slice, &acc, 0};
    const double t0 = now_s(), c0 = cpu_s();
    if (fib_recon_create(&p, &s, &r, &err) ||
        fib_recon_estimate(r, NULL, &err)) {
        fprintf(stderr, "bench_recon: %s\n", err.msg);
        return 1;
    }
    const double t1 = now_s(), c1 = cpu_s();
    if (fib_recon_write(r, NULL, &sink, NULL, &err)) {
        fprintf(stderr, "bench_recon: %s\n", err.msg);
        return 1;
    }
    const double t2 = now_s(), c2 = cpu_s();
    FILE *c = fopen(argv[7], "w");
    if (!c)
        return 1;
    fprintf(c, "slice,dx,dy\n");
    for (size_t i = 0; i < nz; i++) {
        fib_recon_slice_info in = fib_recon_get_slice(r, i);
        fprintf(c, "%zu,%.10g,%.10g\n", i, in.dx, in.dy);
    }
    fclose(c);
    printf("cryofib estimate_s %.3f apply_s %.3f total_s %.3f cpu_est_s %.3f "
           "cpu_apply_s %.3f cpu_s %.3f threads %d K %zu model %d checksum "
           "%.6g\n",
           t1 - t0, t2 - t1, t2 - t0, c1 - c0, c2 - c1, c2 - c0, p.threads,
           p.neighbours ? p.neighbours : 3, (int)p.model, acc);
    fib_recon_destroy(r);
    fclose(rs.f);
    free(rs.buf);
    return 0;
}

/* On-the-fly u8 series: a fixed texture T (2x the slice, smooth random
 * blobs) sampled at an integer random-walk offset, plus noise. */
typedef struct gen_src {
    size_t nx, ny, tw, th;
    uint8_t *tex;
    long *ox, *oy;
    uint64_t seed;
} gen_src;

static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static fib_status read_gen(void *user, size_t i, fib_image *out, fib_error *err)
{
    (void)err;
    gen_src *g = user;
    for (size_t y = 0; y < g->ny; y++) {
        float *row = fib_image_row(out, y);
        const uint8_t *t =
            g->tex + (size_t)((long)y + g->oy[i]) * g->tw + (size_t)g->ox[i];
        for (size_t x = 0; x < g->nx; x++) {
            const uint64_t h =
                mix(g->seed ^ (i * 0x100000001ULL) ^ (y * g->nx + x));
            row[x] = (float)t[x] + (float)(h & 15) - 7.5f;
        }
    }
    return FIB_OK;
}

typedef struct mrc_sink {
    fib_fmt_volume_writer *w;
    const char *path;
} mrc_sink;

static fib_status mrc_begin(void *user, const fib_recon_geometry *g,
                            fib_error *err)
{
    mrc_sink *m = user;
    return fib_fmt_volume_writer_create(m->path, g->type, g->nx, g->ny, g->nz,
                                        g->voxel_size_nm, NULL, &m->w, err);
}

static fib_status mrc_slice(void *user, size_t z, const fib_image *im,
                            fib_error *err)
{
    (void)z;
    mrc_sink *m = user;
    return fib_fmt_volume_writer_append(m->w, im, err);
}

static int mem(int argc, char **argv)
{
    gen_src g = {0};
    g.nx = arg_size(argv[2]);
    g.ny = arg_size(argv[3]);
    const size_t nz = arg_size(argv[4]);
    g.tw = g.nx + 256;
    g.th = g.ny + 256;
    g.seed = 7;
    g.tex = malloc(g.tw * g.th);
    g.ox = malloc(nz * sizeof(long));
    g.oy = malloc(nz * sizeof(long));
    if (!g.tex || !g.ox || !g.oy)
        return 1;
    /* texture: coarse random grid, bilinearly magnified x8 */
    for (size_t y = 0; y < g.th; y++)
        for (size_t x = 0; x < g.tw; x++) {
            const size_t cx = x / 8, cy = y / 8;
            const double fx = (double)(x % 8) / 8, fy = (double)(y % 8) / 8;
            double v = 0;
            for (int j = 0; j < 2; j++)
                for (int i = 0; i < 2; i++)
                    v += (double)(mix((cy + (size_t)j) * 100003 + cx +
                                      (size_t)i) &
                                  255) *
                         (i ? fx : 1 - fx) * (j ? fy : 1 - fy);
            g.tex[y * g.tw + x] = (uint8_t)v;
        }
    long px = 128, py = 128;
    for (size_t z = 0; z < nz; z++) {
        const uint64_t h = mix(z + 99);
        px += (long)(h % 3) - 1;
        py += (long)((h >> 8) % 3) - 1;
        px = px < 0 ? 0 : (px > 255 ? 255 : px);
        py = py < 0 ? 0 : (py > 255 ? 255 : py);
        g.ox[z] = px;
        g.oy[z] = py;
    }
    fib_recon_source s = {0};
    s.n_slices = nz;
    s.width = g.nx;
    s.height = g.ny;
    s.type = FIB_PX_U8;
    s.pixel_size_nm[0] = s.pixel_size_nm[1] = 5;
    s.read = read_gen;
    s.user = &g;
    size_t limit = FIB_BUDGET_DEFAULT_BYTES;
    fib_error err = {0};
    if (argc > 6 && fib_parse_size(argv[6], &limit, &err)) {
        fprintf(stderr, "bench_recon: %s\n", err.msg);
        return 2;
    }
    fib_budget b = fib_budget_make(limit);
    fib_recon_params p = {0};
    p.budget = &b;
    p.slice_nm = 10;
    fib_recon *r = NULL;
    mrc_sink ms = {NULL, argv[5]};
    fib_recon_sink sink = {mrc_begin, mrc_slice, &ms, 0};
    const double t0 = now_s();
    fib_status st = fib_recon_create(&p, &s, &r, &err);
    if (!st)
        st = fib_recon_estimate(r, NULL, &err);
    if (!st)
        st = fib_recon_write(r, NULL, &sink, NULL, &err);
    if (!st)
        st = fib_fmt_volume_writer_finish(ms.w, &err);
    const double t1 = now_s();
    fib_fmt_volume_writer_destroy(ms.w);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (st) {
        fprintf(stderr, "bench_recon: %s\n", err.msg);
        return 1;
    }
    /* the texture is sampled at +offset, so the content moved by
     * -offset: applied shift = offset + const */
    double ss2 = 0, n0 = 0, n1 = 0;
    for (size_t i = 0; i < nz; i++) {
        fib_recon_slice_info in = fib_recon_get_slice(r, i);
        n0 += (in.dx - (double)g.ox[i]) / (double)nz;
        n1 += (in.dy - (double)g.oy[i]) / (double)nz;
    }
    for (size_t i = 0; i < nz; i++) {
        fib_recon_slice_info in = fib_recon_get_slice(r, i);
        ss2 += pow(in.dx - (double)g.ox[i] - n0, 2) +
               pow(in.dy - (double)g.oy[i] - n1, 2);
    }
    printf("mem %zux%zux%zu: total_s %.1f peak_rss_MiB %.1f "
           "budget_peak_MiB %.1f budget_MiB %.0f shift_rms_px %.4f\n",
           g.nx, g.ny, nz, t1 - t0, (double)ru.ru_maxrss / 1024.0,
           (double)b.peak_bytes / 1048576.0, (double)limit / 1048576.0,
           sqrt(ss2 / (double)nz));
    fib_recon_destroy(r);
    free(g.tex);
    free(g.ox);
    free(g.oy);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 7 && !strcmp(argv[1], "gen"))
        return gen(argv);
    if (argc >= 8 && !strcmp(argv[1], "align"))
        return align(argv);
    if (argc >= 6 && !strcmp(argv[1], "mem"))
        return mem(argc, argv);
    fprintf(stderr, "usage: bench_recon gen OUT.raw NX NY NZ SEED\n"
                    "       bench_recon align IN.raw NX NY NZ THREADS "
                    "OUT.csv [K]\n"
                    "       bench_recon mem NX NY NZ OUT.mrc [BUDGET]\n");
    return 2;
}
