/* job_measure.c -- fib_job_measure() (fib/job_measure.h): the driver of
 * the measurement workflow.  It stages the outputs, reads the labels,
 * applies the voxel-size/units policy, chooses the labels to measure,
 * writes the report header and calls the report sections in report order
 * (job_measure_phase.c, job_measure_transport.c, job_measure_battery.c,
 * job_measure_pictures.c). */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "fib/job_paths.h"
#include "fib/threads.h"
#include "job_measure_internal.h"

void fib_job_measure_defaults(fib_job_measure_params *p)
{
    memset(p, 0, sizeof *p);
    p->units = FIB_JOB_MEASURE_UNITS_AUTO;
    p->substrate_face = -1;
    p->connectivity = 6;
    p->thickness = true;
    p->tortuosity_tol = 1e-6;
    p->coating_min_nm = -1;
    p->battery_axis = 2;
    p->view[0] = 1;
    p->view[1] = 0.6;
    p->view[2] = -0.8;
    p->psd_h_nm = -1;
    p->uncertainty_delta = -1;
}

static bool length_nm_ok(double v)
{
    return v >= 0.01 && v <= 1e6;
}

static fib_status check_numbers(const fib_job_measure_params *p, fib_error *err)
{
    const double *v = p->voxel_nm, *w = p->view;
    if ((v[0] != 0 || v[1] != 0 || v[2] != 0) &&
        !(length_nm_ok(v[0]) && length_nm_ok(v[1]) && length_nm_ok(v[2])))
        return fib_error_set(err, FIB_EINVAL,
                             "measure: voxel_nm needs X,Y,Z sizes in "
                             "0.01..1e6 nm (or all 0 for the file's)");
    if (p->connectivity != 6 && p->connectivity != 18 && p->connectivity != 26)
        return fib_error_set(err, FIB_EINVAL,
                             "measure: connectivity must be 6, 18 or 26 "
                             "(got %d)",
                             p->connectivity);
    if (!(p->smooth_vox >= 0) || p->smooth_vox > 20)
        return fib_error_set(err, FIB_EINVAL,
                             "measure: smooth_vox must be 0..20 (got %g)",
                             p->smooth_vox);
    if (!(p->tortuosity_tol > 0) || p->tortuosity_tol >= 1)
        return fib_error_set(err, FIB_EINVAL,
                             "measure: tortuosity_tol must be in (0, 1) "
                             "(got %g)",
                             p->tortuosity_tol);
    if (!isfinite(w[0] + w[1] + w[2]) ||
        !(fabs(w[0]) + fabs(w[1]) + fabs(w[2]) > 0))
        return fib_error_set(err, FIB_EINVAL,
                             "measure: view must be a finite non-zero "
                             "direction");
    if (p->uncertainty && (!p->grey_path || isnan(p->uncertainty_delta)))
        return fib_error_set(err, FIB_EINVAL,
                             "measure: uncertainty needs the grey volume "
                             "(--grey) and a number for uncertainty_delta "
                             "(< 0: from the histogram valleys)");
    if (p->intrusion_sizes > FIB_INTRUSION_MAX_SIZES || isnan(p->psd_h_nm))
        return fib_error_set(err, FIB_EINVAL,
                             "measure: intrusion_sizes must be 0..%d and "
                             "psd_h_nm a number (got %zu, %g)",
                             FIB_INTRUSION_MAX_SIZES, p->intrusion_sizes,
                             p->psd_h_nm);
    if (p->two_point_lag > 100000)
        return fib_error_set(err, FIB_EINVAL,
                             "measure: two_point_lag must be 0..100000 "
                             "voxels (got %zu)",
                             p->two_point_lag);
    return FIB_OK;
}

fib_status fib_job_measure_check(const fib_job_measure_params *p,
                                 fib_error *err)
{
    if (!p || !p->labels_path || !p->json_path)
        return fib_error_set(err, FIB_EINVAL,
                             "measure: labels_path and json_path are "
                             "required");
    if (p->mesh_path) {
        const char *dot = strrchr(p->mesh_path, '.');
        if (!dot || (strcasecmp(dot, ".stl") && strcasecmp(dot, ".ply")))
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: --mesh must end in .stl or .ply",
                                 p->mesh_path);
    }
    if (p->conductivity) {
        uint32_t cl[FIB_CONDUCTIVITY_MAX_LABELS];
        double cs[FIB_CONDUCTIVITY_MAX_LABELS];
        if (!fib__measure_parse_conductivity(p->conductivity, cl, cs))
            return fib_error_set(err, FIB_EINVAL,
                                 "--conductivity expects LABEL=SIGMA[,...] "
                                 "with 1 to %d labels and SIGMA >= 0 (got "
                                 "'%s')",
                                 FIB_CONDUCTIVITY_MAX_LABELS, p->conductivity);
    }
    if (p->flux_map_path) {
        const char *dot = strrchr(p->flux_map_path, '.');
        if (!dot || (strcasecmp(dot, ".mrc") && strcasecmp(dot, ".tif") &&
                     strcasecmp(dot, ".tiff") && strcasecmp(dot, ".nrrd")))
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: --flux-map must end in .mrc, .tif or "
                                 ".nrrd",
                                 p->flux_map_path);
        if (!p->battery && !p->tortuosity_axes[0] && !p->tortuosity_axes[1] &&
            !p->tortuosity_axes[2])
            return fib_error_set(err, FIB_EINVAL,
                                 "%s: --flux-map needs --tortuosity AXES or "
                                 "--battery",
                                 p->flux_map_path);
    }
    if (p->n_phases > FIB_JOB_MEASURE_MAX_PHASES)
        return fib_error_set(err, FIB_EINVAL, "at most %d --phase values",
                             FIB_JOB_MEASURE_MAX_PHASES);
    if (p->units < FIB_JOB_MEASURE_UNITS_AUTO ||
        p->units > FIB_JOB_MEASURE_UNITS_VOXEL)
        return fib_error_set(err, FIB_EINVAL, "measure: bad units (%d)",
                             (int)p->units);
    if (p->substrate_face < -1 || p->substrate_face > 5 ||
        p->battery_axis < 0 || p->battery_axis > 2)
        return fib_error_set(err, FIB_EINVAL,
                             "measure: substrate_face must be -1..5 and "
                             "battery_axis 0..2 (got %d, %d)",
                             p->substrate_face, p->battery_axis);
    if (p->coating &&
        (!(p->coating_particle >= 0) || !(p->coating_label >= 0) ||
         p->coating_particle == p->coating_label ||
         p->coating_particle > 4294967295.0 ||
         p->coating_label > 4294967295.0 || isnan(p->coating_min_nm)))
        return fib_error_set(err, FIB_EINVAL,
                             "measure: coating needs two different labels "
                             ">= 0");
    const uint32_t *t = p->tpb_labels;
    if (p->tpb && (t[0] == t[1] || t[0] == t[2] || t[1] == t[2]))
        return fib_error_set(err, FIB_EINVAL,
                             "measure: tpb needs three distinct labels");
    return check_numbers(p, err);
}

static bool dir_has_file(const char *dir, const char *name)
{
    char path[4096];
    struct stat sb;
    const int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    return n > 0 && (size_t)n < sizeof path && stat(path, &sb) == 0 &&
           S_ISREG(sb.st_mode);
}

/* Every output is staged in the transaction and appears at the commit,
 * all together (fib/txn.h); the pictures folder keeps the files of an
 * earlier run without manifest only when it holds mip_z.png. */
static fib_status stage_outputs(fib__measure *m, fib_fmt_txn **own,
                                const char **s_json, const char **s_csv,
                                fib_error *err)
{
    static const char *const pic_outputs[] = {"ortho_*.png", "mip_z.png",
                                              "surface_*.png", "flux_*.png"};
    const fib_job_measure_params *p = m->p;
    fib_fmt_txn *t = NULL;
    fib_status st = fib_job_txn(m->env, own, &t, err);
    if (st == FIB_OK)
        st = fib_fmt_txn_path(t, p->json_path, s_json, err);
    if (st == FIB_OK && p->csv_path)
        st = fib_fmt_txn_path(t, p->csv_path, s_csv, err);
    if (st == FIB_OK && p->mesh_path)
        st = fib_fmt_txn_path(t, p->mesh_path, &m->s_mesh, err);
    if (st == FIB_OK && p->flux_map_path)
        st = fib_fmt_txn_path(t, p->flux_map_path, &m->s_flux, err);
    if (st == FIB_OK && p->pictures_dir)
        st = fib_fmt_txn_dir(t, p->pictures_dir, pic_outputs,
                             dir_has_file(p->pictures_dir, "mip_z.png")
                                 ? sizeof pic_outputs / sizeof *pic_outputs
                                 : 0,
                             &m->s_pic, err);
    return st;
}

/* Voxel size: voxel_nm, else the file's; an unknown axis is never taken
 * as 1 nm: the whole report goes to voxel units (fib__ukey).  Fills
 * @p file_vox (NaN = unknown) and @p known. */
static fib_status units_policy(fib__measure *m, double file_vox[3], bool *known,
                               fib_error *err)
{
    const fib_job_measure_params *p = m->p;
    const char *in = p->labels_path;
    fib_volume *vol = &m->vol;
    char unknown_axes[8] = "";
    *known = true;
    if (p->voxel_nm[0] > 0)
        memcpy(vol->voxel_size_nm, p->voxel_nm, sizeof p->voxel_nm);
    for (int a = 0; a < 3; a++) {
        file_vox[a] = vol->voxel_size_nm[a];
        if (!(vol->voxel_size_nm[a] > 0) || !isfinite(vol->voxel_size_nm[a])) {
            file_vox[a] = (double)NAN;
            *known = false;
            const size_t l = strlen(unknown_axes);
            snprintf(unknown_axes + l, sizeof unknown_axes - l, "%s%s",
                     l ? " " : "", fib__axis_name[a]);
        }
    }
    if (!*known && p->units == FIB_JOB_MEASURE_UNITS_PHYSICAL)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: voxel size unknown in %s (not in the file "
                             "header) but --units physical was asked: pass "
                             "--voxel-nm X,Y,Z, or --units voxel",
                             in, unknown_axes);
    if (!*known && p->coating && p->coating_min_nm >= 0)
        return fib_error_set(err, FIB_EINVAL,
                             "%s: --coating threshold %g nm needs the voxel "
                             "size, unknown in %s: pass --voxel-nm X,Y,Z",
                             in, p->coating_min_nm, unknown_axes);
    m->vu = !*known || p->units == FIB_JOB_MEASURE_UNITS_VOXEL;
    if (m->vu)
        for (int a = 0; a < 3; a++)
            vol->voxel_size_nm[a] = 1;
    if (!*known)
        FIB__SAY(m,
                 "cryofib measure: %s: voxel size unknown in %s: results in "
                 "voxel units (lengths in voxel edges, areas in vox2, "
                 "surface per voxel; cubic voxels assumed); pass --voxel-nm "
                 "X,Y,Z for physical units",
                 in, unknown_axes);
    else if (m->vu)
        FIB__SAY(m, "cryofib measure: results in voxel units (--units voxel; "
                    "cubic voxels assumed)");
    return FIB_OK;
}

/* The labels to measure: the given ones, else every non-zero label (every
 * label when only one is present), at most 16; says which and why. */
static fib_status choose_phases(fib__measure *m, fib_error *err)
{
    const fib_job_measure_params *p = m->p;
    size_t not_measured = 0;
    if (!m->blk) /* block-wise: counted by the first pass */
        m->nval = fib__job_labels_distinct(&m->vol, m->vals,
                                           FIB_JOB_MEASURE_MAX_LABELS);
    memcpy(m->phases, p->phases, p->n_phases * sizeof *p->phases);
    m->nphase = p->n_phases;
    if (m->nphase == 0)
        for (size_t k = 0; k < m->nval; k++)
            if (m->vals[k] != 0 || m->nval == 1) {
                if (m->nphase < FIB_JOB_MEASURE_MAX_PHASES)
                    m->phases[m->nphase++] = m->vals[k];
                else
                    not_measured++;
            }
    if (m->nphase == 0)
        return fib_error_set(err, FIB_EINVAL, "%s: no label to measure",
                             p->labels_path);
    char list[16 * 12] = "";
    for (size_t k = 0; k < m->nphase; k++) {
        const size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%u", k ? ", " : "",
                 m->phases[k]);
    }
    const bool has0 = m->nval > 0 && m->vals[0] == 0;
    const char *why = p->n_phases ? "as given by --phase"
                      : has0 && m->nval > 1
                          ? "label 0 = background skipped; --phase 0 to "
                            "include"
                          : "every label present";
    FIB__SAY(m, "measured labels: %s (%s)", list, why);
    if (not_measured)
        FIB__SAY(m,
                 "measure: %zu more labels not measured (at most %d; "
                 "choose them with --phase)",
                 not_measured, FIB_JOB_MEASURE_MAX_PHASES);
    if (m->res) {
        m->res->n_unmeasured = not_measured;
        m->res->n_phases = m->nphase;
        memcpy(m->res->phases, m->phases, m->nphase * sizeof *m->phases);
    }
    return FIB_OK;
}

static void csv_header(fib__measure *m)
{
    static const char *const hdr[] = {
        "phase",         "label",          "n_voxels",
        "volume_um3",    "area_um2",       "eq_diameter_um",
        "sphericity",    "centroid_x_nm",  "centroid_y_nm",
        "centroid_z_nm", "bbox_x0",        "bbox_y0",
        "bbox_z0",       "bbox_x1",        "bbox_y1",
        "bbox_z1",       "axis1_um",       "axis2_um",
        "axis3_um",      "axis1_x",        "axis1_y",
        "axis1_z",       "touches_border", "touches_substrate",
        "height_um"};
    for (size_t k = 0; k < sizeof hdr / sizeof hdr[0]; k++)
        fib_fmt_csv_field(m->csv, fib__ukey(m, hdr[k]));
    fib_fmt_csv_end_row(m->csv);
}

/* The report's opening: input, size, voxel size (null = unknown), units,
 * measured labels. */
static void json_header(fib__measure *m, const double file_vox[3], bool known)
{
    fib_fmt_json *j = m->j;
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "input", m->p->labels_path);
    fib_fmt_json_key(j, "dims");
    fib_fmt_json_begin_array(j);
    fib_fmt_json_int(j, (long long)m->vol.nx);
    fib_fmt_json_int(j, (long long)m->vol.ny);
    fib_fmt_json_int(j, (long long)m->vol.nz);
    fib_fmt_json_end_array(j);
    fib_fmt_json_key(j, "voxel_size_nm");
    fib_fmt_json_begin_array(j);
    for (int a = 0; a < 3; a++)
        fib_fmt_json_number(j, file_vox[a]);
    fib_fmt_json_end_array(j);
    fib_fmt_json_kv_bool(j, "voxel_size_known", known);
    fib_fmt_json_kv_string(j, "units", m->vu ? "voxel" : "physical");
    if (m->vu)
        fib_fmt_json_kv_string(
            j, "units_note",
            known ? "voxel units as asked (--units voxel); cubic voxels "
                    "assumed"
                  : "voxel size unknown: lengths in voxel edges (_vox), "
                    "areas in _vox2, volumes in _vox3, densities per "
                    "voxel; cubic voxels assumed; pass --voxel-nm for "
                    "physical units");
    fib_fmt_json_key(j, "measured_labels");
    fib_fmt_json_begin_array(j);
    for (size_t k = 0; k < m->nphase; k++)
        fib_fmt_json_int(j, m->phases[k]);
    fib_fmt_json_end_array(j);
}

/* Every section in report order, then the report and the CSV. */
static fib_status measure_all(fib__measure *m, const char *s_json,
                              const char *s_csv, fib_error *err)
{
    const fib_job_measure_params *p = m->p;
    fib_volume grey = {0};
    fib_status st = FIB_OK;
    fib_status (*const sections[])(fib__measure *, fib_error *) = {
        fib__measure_fractions,  fib__measure_surfaces,
        fib__measure_objects,    fib__measure_thickness,
        fib__measure_tortuosity, fib__measure_skeleton,
        fib__measure_heights,    fib__measure_coating_mesh,
        fib__measure_battery,    fib__measure_psd,
        fib__measure_uncertainty};
    for (size_t k = 0; k < sizeof sections / sizeof *sections; k++)
        if ((st = sections[k](m, err)) != FIB_OK)
            return st;
    if (p->pictures_dir && p->grey_path)
        st = fib__measure_read_grey(m, &grey, err);
    if (st == FIB_OK && p->pictures_dir)
        st = fib__measure_pictures(m, p->grey_path ? &grey : NULL, err);
    fib_volume_clear(&grey);
    if (st != FIB_OK)
        return st;
    fib_fmt_json_end_object(m->j);
    if ((st = fib_fmt_json_write(m->j, s_json, err)) != FIB_OK)
        return st;
    FIB__SAY(m, "wrote %s", p->json_path);
    if (m->csv) {
        if ((st = fib_fmt_csv_write(m->csv, s_csv, err)) != FIB_OK)
            return st;
        FIB__SAY(m, "wrote %s", p->csv_path);
    }
    return FIB_OK;
}

/* Read, decide units and labels, open the report and the CSV. */
static fib_status prepare(fib__measure *m, fib_error *err)
{
    double file_vox[3];
    bool known = true;
    fib_status st = fib__measure_blocks_plan(m, err);
    if (st == FIB_OK && !m->blk)
        st = fib__job_labels_read(m->p->labels_path, &m->vol, err);
    if (st == FIB_OK)
        st = units_policy(m, file_vox, &known, err);
    if (st == FIB_OK)
        st = choose_phases(m, err);
    if (st == FIB_OK)
        st = fib_fmt_json_create(2, &m->j, err);
    if (st == FIB_OK && m->p->csv_path)
        st = fib_fmt_csv_create(&m->csv, err);
    if (st != FIB_OK)
        return st;
    if (m->res) {
        m->res->dims[0] = m->vol.nx;
        m->res->dims[1] = m->vol.ny;
        m->res->dims[2] = m->vol.nz;
        m->res->voxel_size_known = known;
        m->res->voxel_units = m->vu;
    }
    if (m->csv)
        csv_header(m);
    json_header(m, file_vox, known);
    return FIB_OK;
}

/* No output may be an input (labels, grey, NRRD data files); the
 * pictures folder, replaced as a whole at the commit, may not hold one
 * (fib/job_paths.h). */
static fib_status check_outputs(const fib_job_measure_params *p, fib_error *err)
{
    fib_job_inputs ins = {0};
    fib_job_inputs_add(&ins, p->labels_path);
    fib_job_inputs_add(&ins, p->grey_path);
    const char *opt[] = {"--json", "--csv", "--mesh", "--pictures",
                         "--flux-map"};
    const char *out[] = {p->json_path, p->csv_path, p->mesh_path,
                         p->pictures_dir, p->flux_map_path};
    fib_status st = fib_job_check_outputs(5, opt, out, ins.p, ins.n, err);
    if (st == FIB_OK)
        st = fib_job_check_dir_not_input("--pictures", p->pictures_dir, ins.p,
                                         ins.n, err);
    return st;
}

static fib_status job_measure_run(const fib_job_measure_params *p,
                                  const fib_job_env *env,
                                  fib_job_measure_result *res, fib_error *err)
{
    fib_status st = fib_job_measure_check(p, err);
    if (st == FIB_OK)
        st = check_outputs(p, err);
    if (st != FIB_OK)
        return st;
    static const fib_job_env none = {0};
    if (!env)
        env = &none;
    if (res)
        memset(res, 0, sizeof *res);
    fib__measure *m = calloc(1, sizeof *m);
    if (!m)
        return fib_error_set(err, FIB_ENOMEM, "measure: out of memory");
    m->p = p;
    m->env = env;
    m->prog = env->progress.fn ? &env->progress : NULL;
    m->res = res;
    fib_fmt_txn *own = NULL;
    const char *s_json = NULL, *s_csv = NULL;
    st = stage_outputs(m, &own, &s_json, &s_csv, err);
    if (st == FIB_OK)
        st = prepare(m, err);
    if (st == FIB_OK && m->blk)
        st = fib__measure_blocks_run(m, err);
    if (st == FIB_OK)
        st = measure_all(m, s_json, s_csv, err);
    if (st != FIB_OK) /* name the outputs, not the stage */
        fib_fmt_txn_explain(env->txn ? env->txn : own, err);
    fib_fmt_json_destroy(m->j);
    fib_fmt_csv_destroy(m->csv);
    fib_mesh_clear(&m->mesh);
    fib_volume_clear(&m->vol);
    fib_volume_clear(&m->mask);
    fib__measure_blocks_free(m);
    free(m);
    return fib_job_finish(env, own, st, err);
}

/* The job with env->threads OpenMP threads for every engine it runs
 * (fib/threads.h; 0 = the default); results do not depend on the count. */
fib_status fib_job_measure(const fib_job_measure_params *p,
                           const fib_job_env *env, fib_job_measure_result *res,
                           fib_error *err)
{
    const fib_threads_scope scope = fib_threads_begin(env ? env->threads : 0);
    const fib_status st = job_measure_run(p, env, res, err);
    fib_threads_end(scope);
    return st;
}
