/*
 * job_simulate.c -- fib_job_simulate() (fib/job_simulate.h): the
 * slice-and-view digital twin from a label volume or a built-in phantom,
 * written as a vendor series with its ground truth.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fib/job_paths.h"
#include "fib/threads.h"
#include "fib/job_simulate.h"
#include "fib/vendor_out.h"
#include "job_simulate_internal.h"

/* Labels from a file: integer types kept, f32 accepted when every value is
 * a non-negative integer (as `measure` does). */
static fib_status read_labels(const char *in, fib_volume *vol, fib_error *err)
{
    fib_status st = fib_fmt_volume_read(in, NULL, vol, NULL, err);
    if (st || vol->type != FIB_PX_F32)
        return st;
    fib_volume u = {0};
    st = fib_volume_init(&u, FIB_PX_U32, vol->nx, vol->ny, vol->nz, err);
    if (st) {
        fib_volume_clear(vol);
        return st;
    }
    const size_t n = vol->nx * vol->ny * vol->nz;
    for (size_t i = 0; i < n; i++) {
        const float f = ((const float *)vol->data)[i];
        if (!(f >= 0) || f != floorf(f) || f > 16777216.0f) {
            fib_volume_clear(&u);
            fib_volume_clear(vol);
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: voxel %zu holds %g, not a label "
                                 "(integer >= 0)",
                                 in, i, (double)f);
        }
        ((uint32_t *)u.data)[i] = (uint32_t)f;
    }
    memcpy(u.voxel_size_nm, vol->voxel_size_nm, sizeof u.voxel_size_nm);
    fib_volume_clear(vol);
    *vol = u;
    return FIB_OK;
}

/* The label volume of @p p: the phantom's or the file's (with the voxel
 * size given or required). */
static fib_status load_labels(const fib_job_simulate_params *p, fib_volume *vol,
                              fib_error *err)
{
    fib_status st;
    if (p->use_phantom) {
        fib_phantom_params pp = p->phantom;
        fib_phantom *ph = NULL;
        pp.seed = p->sim.seed;
        pp.pixel_nm = p->voxel_nm[0] > 0 ? p->voxel_nm[0] : 0;
        pp.slice_nm = p->voxel_nm[0] > 0 ? p->voxel_nm[2] : 0;
        st = fib_phantom_create(&pp, &ph, err);
        if (!st)
            st = fib_sim_phantom_labels(ph, vol, err);
        fib_phantom_destroy(ph);
        return st;
    }
    st = read_labels(p->labels_path, vol, err);
    if (st)
        return st;
    if (p->voxel_nm[0] > 0)
        memcpy(vol->voxel_size_nm, p->voxel_nm, sizeof p->voxel_nm);
    for (int a = 0; a < 3; a++)
        if (!(vol->voxel_size_nm[a] > 0)) {
            fib_volume_clear(vol);
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: voxel size %c not in the file: give "
                                 "--voxel-nm X,Y,Z",
                                 p->labels_path, "xyz"[a]);
        }
    return FIB_OK;
}

/* The metadata every slice carries (a simulated instrument of the
 * vendor). */
static void slice_meta(fib_fmt_meta *meta, bool zeiss,
                       const fib_sim_geometry *g, const fib_sim_params *sp)
{
    fib_fmt_meta_init(meta);
    meta->vendor = zeiss ? FIB_VENDOR_ZEISS : FIB_VENDOR_THERMO_FEI;
    meta->beam = FIB_BEAM_ELECTRON;
    meta->pixel_size_nm[0] = meta->pixel_size_nm[1] = g->pixel_nm;
    meta->stage_tilt_deg = g->tilt_deg;
    meta->hv_kV = zeiss ? 1.5 : 2.0;
    meta->current_pA = 100.0;
    meta->working_distance_nm = 4.0e6;
    meta->tilt_correction = sp->tilt_corrected ? 1 : 0;
    snprintf(meta->instrument, sizeof meta->instrument, "%s",
             zeiss ? "Crossbeam-simulated" : "Helios simulated (cryofib)");
    snprintf(meta->detector, sizeof meta->detector, "%s",
             zeiss ? "SE2" : "TLD");
}

/* Render, write and record every slice (slices, truth labels, drift
 * rows). */
static fib_status render_all(const fib_job_simulate_params *p, fib_sim *sim,
                             fib__series *s, fib_error *err)
{
    const fib_sim_geometry g = fib_sim_get_geometry(sim);
    const fib_sim_params sp = fib_sim_get_params(sim);
    const bool zeiss = p->vendor == FIB_VENDOR_ZEISS;
    const bool big = g.labels[g.n_phases - 1] > 255;
    const int bits = p->bits;
    const bool affine = sp.scale_drift != 0 || sp.shear_drift != 0 ||
                        sp.rotation_drift_deg != 0;
    fib_image img = {0}, lab = {0};
    fib_fmt_meta meta;
    slice_meta(&meta, zeiss, &g, &sp);
    fib_status st = fib_image_init(&img, bits == 8 ? FIB_PX_U8 : FIB_PX_U16,
                                   g.nx, g.ny, err);
    if (!st)
        st = fib_image_init(&lab, big ? FIB_PX_U32 : FIB_PX_U8, g.nx,
                            g.truth_ny, err);
    if (!st) {
        /* the affine columns only when the twin distorts (the default
         * table stays as it was) */
        static const char *const cols[] = {
            "slice",   "dx",   "dy",           "stage_dx", "stage_dy",
            "face_dy", "z_nm", "thickness_nm", "gain",     "a11",
            "a12",     "a21",  "a22"};
        const double vox[3] = {g.pixel_nm, g.pixel_nm, g.slice_nm};
        st = fib__series_open(s, "truth_labels.mrc",
                              big ? FIB_PX_U32 : FIB_PX_U8, g.nx, g.truth_ny,
                              g.nz, vox, cols, affine ? 13 : 9, err);
    }
    const fib_progress *prog = s->env ? &s->env->progress : NULL;
    for (size_t k = 0; !st && k < g.nz; k++) {
        const fib_sim_slice q = fib_sim_get_slice(sim, k);
        st = fib_progress_report(prog, "render", k, g.nz, err);
        if (!st)
            st = fib_sim_render(sim, k, &img, err);
        if (!st) {
            const char *path =
                fib__series_path(s, "slices/slice_%05zu_z=%.4fum.%s", k,
                                 q.z_nm * 1e-3, p->png ? "png" : "tif");
            st = p->png ? fib_fmt_image_write(path, &img, NULL, err)
                        : fib_fmt_vendor_tiff_write(path, &img, &meta, err);
        }
        if (!st)
            st = fib_sim_truth_labels(sim, k, &lab, err);
        if (!st) {
            const double vals[12] = {q.dx,           q.dy,      q.stage_dx,
                                     q.stage_dy,     q.face_dy, q.z_nm,
                                     q.thickness_nm, q.gain,    q.a[0],
                                     q.a[1],         q.a[2],    q.a[3]};
            st = fib__series_row(s, &lab, k, vals, affine ? 12 : 8, err);
        }
    }
    fib_image_clear(&img);
    fib_image_clear(&lab);
    return st;
}

/* Write the series of @p sim into the staged folder of @p s. */
static fib_status write_series(const fib_job_simulate_params *p, fib_sim *sim,
                               fib__series *s, fib_error *err)
{
    if (mkdir(fib__series_path(s, "slices"), 0777) != 0)
        return fib_error_set(err, FIB_EINVAL,
                             "%s/slices: cannot create folder: %s", s->out,
                             strerror(errno));
    fib_status st = render_all(p, sim, s, err);
    if (st)
        return st;
    const fib_sim_geometry g = fib_sim_get_geometry(sim);
    const fib_sim_params sp = fib_sim_get_params(sim);
    char base[256];
    fib__series_dir_base(s->out, "sim", base, sizeof base);
    return fib__series_close(
        s, "drift_true.csv", err,
        "# recon.cfg -- written by cryofib simulate (%s, seed %llu,\n"
        "# %s metadata, %zu x %zu x %zu, tilt %g deg%s%s).\n"
        "# Run:  cryofib recon %s/recon.cfg\n"
        "# Paths are relative to this folder.\n"
        "input = \"slices/\";\nout = \"../%s-recon\";\n"
        "pixel_size_nm = %.17g;\nslice_nm = %.17g;\n"
        "tilt_deg = %.17g;\ntilt_corrected = %s;\n"
        "# truth_labels.mrc has one slice per milled face: keep that grid\n"
        "# (the default resamples to uniform z from the z= in the names)\n"
        "z_positions = \"nominal\";\n",
        p->use_phantom ? fib_phantom_kind_name(p->phantom.kind)
                       : p->labels_path,
        (unsigned long long)sp.seed,
        p->vendor == FIB_VENDOR_ZEISS ? "Zeiss" : "Thermo/FEI", g.nx, g.ny,
        g.nz, g.tilt_deg, sp.tilt_corrected ? ", tilt-corrected" : "",
        sp.no_tracking ? ", face not tracked" : "", s->out, base, g.pixel_nm,
        g.slice_nm, g.tilt_deg, sp.tilt_corrected ? "true" : "false");
}

static fib_status job_simulate_run(const fib_job_simulate_params *p,
                                   const char *out_dir, const fib_job_env *env,
                                   fib_job_simulate_result *result,
                                   fib_error *err)
{
    if (!p || !out_dir)
        return fib_error_set(err, FIB_EINVAL,
                             "simulate: parameters and output folder are "
                             "required");
    if (p->bits != 8 && p->bits != 16)
        return fib_error_set(err, FIB_EINVAL,
                             "simulate: bits must be 8 or 16 (got %d)",
                             p->bits);
    if (!p->use_phantom && !p->labels_path)
        return fib_error_set(err, FIB_EINVAL,
                             "simulate: no labels file and no phantom");
    /* the run folder is rewritten: it may not be, nor hold, the labels or
     * their data file (fib/job_paths.h) */
    fib_job_inputs ins = {0};
    fib_job_inputs_add(&ins, p->use_phantom ? NULL : p->labels_path);
    fib_status st =
        fib_job_check_dir_not_input("--out", out_dir, ins.p, ins.n, err);
    if (st)
        return st;
    fib_sim_params sp = p->sim;
    if (sp.tilt_deg == 0)
        sp.tilt_deg = p->vendor == FIB_VENDOR_ZEISS ? 54.0 : 52.0;
    sp.grey = p->n_grey ? p->grey : NULL;
    sp.n_grey = p->n_grey;
    fib_volume vol = {0};
    st = load_labels(p, &vol, err);
    if (st)
        return st;
    fib_sim *sim = NULL;
    st = fib_sim_create(&vol, &sp, &sim, err);
    if (st) {
        fib_volume_clear(&vol);
        return st;
    }
    /* output folder: staged whole by the output transaction (fib/txn.h);
     * an earlier result there is replaced as a whole at the commit */
    static const char *const outputs[] = {"slices", "truth_labels.mrc",
                                          "recon.cfg", "drift_true.csv"};
    fib__series s;
    st = fib__series_begin(&s, env, out_dir, outputs,
                           sizeof outputs / sizeof *outputs, "drift_true.csv",
                           err);
    if (!st)
        st = write_series(p, sim, &s, err);
    st = fib__series_end(&s, st, err);
    const fib_sim_geometry g = fib_sim_get_geometry(sim);
    sp = fib_sim_get_params(sim);
    if (st == FIB_OK) {
        fib_job_say(env, FIB_JOB_RESULT,
                    "cryofib simulate: %zu x %zu x %zu slices (%g nm pixels, "
                    "%g nm slices, tilt %g deg, %zu phases), truth %zu x %zu, "
                    "seed %llu -> %s",
                    g.nx, g.ny, g.nz, g.pixel_nm, g.slice_nm, g.tilt_deg,
                    g.n_phases, g.nx, g.truth_ny, (unsigned long long)sp.seed,
                    out_dir);
        if (result) {
            result->geometry = g;
            result->seed = sp.seed;
        }
    }
    fib_sim_destroy(sim);
    fib_volume_clear(&vol);
    return st;
}

/* The job with env->threads OpenMP threads for every engine it runs
 * (fib/threads.h; 0 = the default); results do not depend on the count. */
fib_status fib_job_simulate(const fib_job_simulate_params *p,
                            const char *out_dir, const fib_job_env *env,
                            fib_job_simulate_result *result, fib_error *err)
{
    const fib_threads_scope scope = fib_threads_begin(env ? env->threads : 0);
    const fib_status st = job_simulate_run(p, out_dir, env, result, err);
    fib_threads_end(scope);
    return st;
}
