/*
 * job_simulate_truth.c -- the ground truth of a phantom on the grid of its
 * reconstruction (fib_job_phantom_truth(), `cryofib phantom --truth-for
 * RECON_DIR`): what a perfect segmentation of that volume would be, so
 * that segmentation (and a classifier trained on a twin) is scored and
 * trained against labels that sit where the reconstruction put the
 * content.
 *
 * recon's frame is the slices' mean position: an arbitrary constant offset
 * c = mean over slices of (applied shift + true drift) from the sample
 * frame (the same constant the demo's drift check removes).  The output
 * voxel (i, j) of a reconstruction cropped to its box (x0, y0) shows the
 * frame pixel (i + x0, j + y0), hence the structure point (i + x0 - c_x,
 * j + y0 - c_y); the phantom's labels are rasterised exactly there
 * (fib_phantom_labels_at(), analytic primitives, sub-pixel exact).  What
 * remains between truth and volume is the reconstruction's own per-slice
 * error.  For reconstructions without a y stretch or z resampling (a
 * phantom's PNG series carries no tilt and one slice per file).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/formats.h"
#include "fib/job_simulate.h"
#include "job_simulate_internal.h"

/* Most slices of a phantom (fib/phantom.h). */
enum { MAX_ROWS = 4096 };

/* The applied shifts "slice,dx,dy,..." of @p path into dx, dy indexed by
 * slice (rows that do not parse are skipped); the number of rows read. */
static size_t read_applied(const char *path, double *dx, double *dy, bool *seen,
                           size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[512];
    size_t rows = 0;
    while (fgets(line, sizeof line, f)) {
        long s;
        double a, b;
        if (sscanf(line, "%ld,%lf,%lf", &s, &a, &b) == 3 && s >= 0 &&
            (size_t)s < n && isfinite(a) && isfinite(b)) {
            dx[s] = a;
            dy[s] = b;
            seen[s] = true;
            rows++;
        }
    }
    fclose(f);
    return rows;
}

/* The crop box corner recon recorded ("box": [x, y, w, h] in the first 16
 * KiB of report.json); 0, 0 when absent (an uncropped volume). */
static void box_corner(const char *recon_dir, size_t *x0, size_t *y0)
{
    char p[4200], buf[16384];
    *x0 = *y0 = 0;
    snprintf(p, sizeof p, "%s/report.json", recon_dir);
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

fib_status fib_job_phantom_truth_volume(const fib_phantom_params *pp,
                                        const char *recon_dir, size_t nx,
                                        size_t ny, fib_volume *out,
                                        fib_error *err)
{
    if (!pp || !recon_dir || !out)
        return fib_error_set(err, FIB_EINVAL,
                             "phantom truth: parameters, folder or output "
                             "NULL");
    fib_phantom *ph = NULL;
    fib_status st = fib_phantom_create(pp, &ph, err);
    if (st)
        return st;
    const fib_phantom_params u = fib_phantom_get_params(ph);
    double *buf = calloc(2 * u.nz, sizeof *buf);
    bool *seen = calloc(u.nz, sizeof *seen);
    char path[4200];
    snprintf(path, sizeof path, "%s/drift.csv", recon_dir);
    size_t rows = 0;
    if (!buf || !seen)
        st = fib_error_set(err, FIB_ENOMEM, "phantom truth: out of memory");
    else
        rows = read_applied(path, buf, buf + u.nz, seen, u.nz);
    if (!st && rows != u.nz)
        st = fib_error_set(err, FIB_EINVAL,
                           "%s: %zu slices of shifts, the phantom has %zu "
                           "(a reconstruction of this phantom, every slice "
                           "kept?)",
                           path, rows, u.nz);
    double c[2] = {0, 0};
    for (size_t z = 0; !st && z < u.nz; z++) {
        double tx, ty;
        fib_phantom_true_drift(ph, z, &tx, &ty);
        c[0] += buf[z] + tx;
        c[1] += buf[u.nz + z] + ty;
    }
    c[0] /= (double)u.nz;
    c[1] /= (double)u.nz;
    size_t bx, by;
    box_corner(recon_dir, &bx, &by);
    if (!st && (nx == 0 || ny == 0 || nx > u.nx || ny > u.ny))
        st = fib_error_set(err, FIB_EINVAL,
                           "phantom truth: a %zu x %zu reconstruction of a "
                           "%zu x %zu phantom",
                           nx, ny, u.nx, u.ny);
    fib_image lab = {0};
    if (!st)
        st = fib_image_init(&lab, FIB_PX_U8, u.nx, u.ny, err);
    if (!st)
        st = fib_volume_init(out, FIB_PX_U8, nx, ny, u.nz, err);
    /* output pixel i shows structure point i + box - c: the labels
     * displaced by c - box */
    for (size_t z = 0; !st && z < u.nz; z++) {
        st = fib_phantom_labels_at(ph, z, c[0] - (double)bx, c[1] - (double)by,
                                   &lab, err);
        for (size_t y = 0; !st && y < ny; y++)
            memcpy(fib_volume_at(out, 0, y, z), fib_image_row(&lab, y), nx);
    }
    if (!st) {
        out->voxel_size_nm[0] = out->voxel_size_nm[1] = u.pixel_nm;
        out->voxel_size_nm[2] = u.slice_nm;
    }
    fib_image_clear(&lab);
    fib_phantom_destroy(ph);
    free(buf);
    free(seen);
    if (st)
        fib_volume_clear(out);
    return st;
}

/* The reconstruction's volume file in @p recon_dir (volume.mrc, .tif,
 * .nrrd or .zarr) into @p path; false when there is none. */
static bool recon_volume(const char *recon_dir, char *path, size_t n)
{
    static const char *const ext[] = {"mrc", "tif", "nrrd", "zarr"};
    for (size_t k = 0; k < sizeof ext / sizeof *ext; k++) {
        snprintf(path, n, "%s/volume.%s", recon_dir, ext[k]);
        FILE *f = fopen(path, "r");
        if (f) {
            fclose(f);
            return true;
        }
        fib_fmt_info info;
        if (!strcmp(ext[k], "zarr") &&
            fib_fmt_probe(path, NULL, &info, NULL) == FIB_OK)
            return true;
    }
    return false;
}

fib_status fib__job_phantom_truth(const fib_job_phantom_params *p,
                                  const char *out, const fib_job_env *env,
                                  fib_error *err)
{
    char vol[4300];
    if (!recon_volume(p->truth_for, vol, sizeof vol))
        return fib_error_set(err, FIB_EINVAL,
                             "--truth-for %s: no volume.mrc/.tif/.nrrd/.zarr "
                             "there (a cryofib recon output folder)",
                             p->truth_for);
    fib_fmt_info info;
    fib_status st = fib_fmt_probe(vol, NULL, &info, err);
    fib_volume t = {0};
    if (!st)
        st = fib_job_phantom_truth_volume(&p->phantom, p->truth_for, info.nx,
                                          info.ny, &t, err);
    if (!st && t.nz != info.nz)
        st = fib_error_set(err, FIB_EINVAL,
                           "%s: %zu sections, the phantom %zu (resampled in "
                           "z? use --z-positions nominal)",
                           vol, info.nz, t.nz);
    fib_fmt_txn *own = NULL;
    const char *staged = NULL;
    if (!st)
        st = fib_job_stage(env, &own, out, &staged, err);
    if (!st)
        st = fib_fmt_volume_write(staged, &t, NULL, err);
    st = fib_job_finish(env, own, st, err);
    if (!st)
        fib_job_say(env, FIB_JOB_RESULT,
                    "cryofib phantom: truth of %s seed %llu on the grid of "
                    "%s (%zu x %zu x %zu) -> %s",
                    fib_phantom_kind_name(p->phantom.kind),
                    (unsigned long long)p->phantom.seed, vol, t.nx, t.ny, t.nz,
                    out);
    fib_volume_clear(&t);
    return st;
}
