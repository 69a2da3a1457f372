/*
 * job_simulate_phantom.c -- fib_job_phantom() (fib/job_simulate.h): a
 * synthetic slice series of a built-in phantom (fib/phantom.h) with its
 * ground truth.
 */
#include "fib/job_simulate.h"
#include "fib/threads.h"
#include "job_simulate_internal.h"

/* Render and write every slice, its labels and its drift row. */
static fib_status render_all(const fib_phantom *ph,
                             const fib_phantom_params *pp, int bits,
                             fib__series *s, fib_error *err)
{
    fib_image img = {0}, lab = {0};
    fib_status st = fib_image_init(&img, bits == 8 ? FIB_PX_U8 : FIB_PX_U16,
                                   pp->nx, pp->ny, err);
    if (!st)
        st = fib_image_init(&lab, FIB_PX_U8, pp->nx, pp->ny, err);
    if (!st) {
        static const char *const cols[] = {"slice", "dx", "dy"};
        const double vox[3] = {pp->pixel_nm, pp->pixel_nm, pp->slice_nm};
        img.pixel_size_nm[0] = img.pixel_size_nm[1] = pp->pixel_nm;
        st = fib__series_open(s, "labels.mrc", FIB_PX_U8, pp->nx, pp->ny,
                              pp->nz, vox, cols, 3, err);
    }
    const int digits = pp->nz > 9999 ? 5 : 4;
    const fib_progress *prog = s->env ? &s->env->progress : NULL;
    for (size_t z = 0; !st && z < pp->nz; z++) {
        st = fib_progress_report(prog, "render", z, pp->nz, err);
        if (!st)
            st = fib_phantom_render(ph, z, &img, err);
        if (!st)
            st = fib_fmt_image_write(
                fib__series_path(s, "slice_%0*zu.png", digits, z), &img, NULL,
                err);
        if (!st)
            st = fib_phantom_labels(ph, z, &lab, err);
        if (!st) {
            double d[2];
            fib_phantom_true_drift(ph, z, &d[0], &d[1]);
            st = fib__series_row(s, &lab, z, d, 2, err);
        }
    }
    fib_image_clear(&img);
    fib_image_clear(&lab);
    return st;
}

/* The whole series of the phantom @p pp into the staged folder. */
static fib_status write_series(const fib_phantom_params *params, int bits,
                               fib__series *s, fib_phantom_params *pp,
                               fib_error *err)
{
    fib_phantom *ph = NULL;
    fib_status st = fib_phantom_create(params, &ph, err);
    if (st)
        return st;
    *pp = fib_phantom_get_params(ph);
    st = render_all(ph, pp, bits, s, err);
    fib_phantom_destroy(ph);
    if (st)
        return st;
    /* a ready run file: the slice thickness is not in the PNG files */
    char base[256];
    fib__series_dir_base(s->out, "phantom", base, sizeof base);
    return fib__series_close(
        s, "true_drift.csv", err,
        "# recon.cfg -- written by cryofib phantom (%s, seed %llu).\n"
        "# Run:  cryofib recon %s/recon.cfg\n"
        "# Paths are relative to this folder.\n"
        "input = \".\";\nout = \"../%s-recon\";\n"
        "pixel_size_nm = %.17g;\nslice_nm = %.17g;\n",
        fib_phantom_kind_name(pp->kind), (unsigned long long)pp->seed, s->out,
        base, pp->pixel_nm, pp->slice_nm);
}

static fib_status job_phantom_run(const fib_job_phantom_params *p,
                                  const char *out_dir, const fib_job_env *env,
                                  fib_phantom_params *used, fib_error *err)
{
    if (!p || !out_dir)
        return fib_error_set(err, FIB_EINVAL,
                             "phantom: parameters and output folder are "
                             "required");
    if (p->bits != 8 && p->bits != 16)
        return fib_error_set(err, FIB_EINVAL,
                             "phantom: bits must be 8 or 16 (got %d)", p->bits);
    if (p->truth_for)
        return fib__job_phantom_truth(p, out_dir, env, err);
    /* output folder: staged whole by the output transaction (fib/txn.h);
     * an earlier result there (fewer or more slices) is replaced as a
     * whole at the commit */
    static const char *const outputs[] = {"slice_*.png", "labels.mrc",
                                          "recon.cfg", "true_drift.csv"};
    fib_phantom_params pp = p->phantom;
    fib__series s;
    fib_status st = fib__series_begin(&s, env, out_dir, outputs,
                                      sizeof outputs / sizeof *outputs,
                                      "true_drift.csv", err);
    if (!st)
        st = write_series(&p->phantom, p->bits, &s, &pp, err);
    st = fib__series_end(&s, st, err);
    if (st)
        return st;
    fib_job_say(env, FIB_JOB_RESULT,
                "cryofib phantom: %s, %zu x %zu x %zu, %g nm pixels, %g nm "
                "slices, seed %llu -> %s",
                fib_phantom_kind_name(pp.kind), pp.nx, pp.ny, pp.nz,
                pp.pixel_nm, pp.slice_nm, (unsigned long long)pp.seed, out_dir);
    if (used)
        *used = pp;
    return FIB_OK;
}

/* The job with env->threads OpenMP threads for every engine it runs
 * (fib/threads.h; 0 = the default); results do not depend on the count. */
fib_status fib_job_phantom(const fib_job_phantom_params *p, const char *out_dir,
                           const fib_job_env *env, fib_phantom_params *used,
                           fib_error *err)
{
    const fib_threads_scope scope = fib_threads_begin(env ? env->threads : 0);
    const fib_status st = job_phantom_run(p, out_dir, env, used, err);
    fib_threads_end(scope);
    return st;
}
