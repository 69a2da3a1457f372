/* demo_recon.c -- `cryofib demo`: reconstruct a phantom series in memory. */
#include <math.h>
#include <stdio.h>

#include "cli.h"
#include "demo_recon.h"
#include "fib/phantom.h"
#include "fib/recon.h"

typedef struct demo_src {
    fib_phantom *ph;
    fib_image tmp;
} demo_src;

static fib_status demo_read(void *user, size_t i, fib_image *out,
                            fib_error *err)
{
    demo_src *d = user;
    fib_status st = fib_phantom_render(d->ph, i, &d->tmp, err);
    return st ? st : fib_recon_fill_f32(&d->tmp, out, err);
}

static fib_status demo_sink(void *user, size_t z, const fib_image *im,
                            fib_error *err)
{
    (void)user;
    (void)z;
    (void)im;
    (void)err;
    return FIB_OK;
}

int cli_demo_recon(void)
{
    fib_phantom_params pp = {0};
    pp.kind = FIB_PHANTOM_PARTICLES;
    pp.nx = pp.ny = 256;
    pp.nz = 32;
    pp.slice_nm = 2.5;
    pp.seed = 1;
    demo_src d = {0};
    fib_recon *r = NULL;
    fib_error err = {0};
    fib_status st = fib_phantom_create(&pp, &d.ph, &err);
    if (!st)
        st = fib_image_init(&d.tmp, FIB_PX_U16, pp.nx, pp.ny, &err);
    fib_recon_source s = {0};
    s.n_slices = pp.nz;
    s.width = pp.nx;
    s.height = pp.ny;
    s.type = FIB_PX_U16;
    s.pixel_size_nm[0] = s.pixel_size_nm[1] = 10;
    s.read = demo_read;
    s.user = &d;
    fib_recon_params p = {0};
    p.slice_nm = pp.slice_nm;
    p.tilt_deg = 52;
    fib_recon_sink sink = {NULL, demo_sink, NULL};
    if (!st)
        st = fib_recon_create(&p, &s, &r, &err);
    if (!st)
        st = fib_recon_estimate(r, NULL, &err);
    if (!st)
        st = fib_recon_write(r, NULL, &sink, NULL, &err);
    if (st) {
        fib_recon_destroy(r);
        fib_image_clear(&d.tmp);
        fib_phantom_destroy(d.ph);
        return cli_fail("demo", st, &err);
    }
    printf("\nslice-and-view reconstruction of a phantom (particles, 256 x "
           "256 x 32,\n10 nm pixels, 2.5 nm slices, 52 deg tilt, known "
           "random-walk drift):\n");
    printf("%6s %9s %9s %9s %9s\n", "slice", "true dx", "true dy", "applied dx",
           "applied dy");
    double m[2] = {0, 0}, ss = 0;
    for (size_t i = 0; i < pp.nz; i++) {
        double tx, ty;
        fib_phantom_true_drift(d.ph, i, &tx, &ty);
        fib_recon_slice_info in = fib_recon_get_slice(r, i);
        m[0] += (in.dx + tx) / (double)pp.nz;
        m[1] += (in.dy + ty) / (double)pp.nz;
        if (i % 4 == 0)
            printf("%6zu %9.3f %9.3f %10.3f %10.3f\n", i, tx, ty, in.dx, in.dy);
    }
    for (size_t i = 0; i < pp.nz; i++) {
        double tx, ty;
        fib_phantom_true_drift(d.ph, i, &tx, &ty);
        fib_recon_slice_info in = fib_recon_get_slice(r, i);
        ss += pow(in.dx + tx - m[0], 2) + pow(in.dy + ty - m[1], 2);
    }
    fib_recon_geometry g = fib_recon_get_geometry(r);
    printf("residual after removing the constant offset: %.3f px RMS\n"
           "output %zu x %zu x %zu voxels of %g x %g x %g nm (%s)\n",
           sqrt(ss / (double)pp.nz), g.nx, g.ny, g.nz, g.voxel_size_nm[0],
           g.voxel_size_nm[1], g.voxel_size_nm[2], g.tilt_note);
    fib_recon_destroy(r);
    fib_image_clear(&d.tmp);
    fib_phantom_destroy(d.ph);
    return CLI_EXIT_OK;
}
