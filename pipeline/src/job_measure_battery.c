/* job_measure_battery.c -- the battery sections of the measure report
 * (issue 17; definitions in fib/measure.h): triple-phase boundary, chord
 * lengths, representative volume and two-point correlation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_measure_internal.h"

/* TPB of labels @p tp: edge count, density, active fraction. */
static fib_status tpb(fib__measure *m, const uint32_t tp[3], fib_error *err)
{
    const int axis = m->p->battery_axis;
    const fib_volume *vol = &m->vol;
    fib_fmt_json *j = m->j;
    fib_tpb_result r;
    const fib_status st = fib_recon_tpb(vol, tp, axis, &r, err);
    if (st != FIB_OK)
        return st;
    fib_fmt_json_key(j, "triple_phase_boundary");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_key(j, "labels");
    fib_fmt_json_begin_array(j);
    for (int k = 0; k < 3; k++)
        fib_fmt_json_int(j, tp[k]);
    fib_fmt_json_end_array(j);
    fib_fmt_json_kv_string(
        j, "method",
        "voxel edges whose 4 voxels hold all three labels (TauFactor's "
        "edge count; oblique lines counted as staircases)");
    fib_fmt_json_kv_int(j, "edges", (long long)r.n_edges);
    fib_fmt_json_kv_number(j, "edge_fraction", r.edge_fraction);
    /* um / um^3 = 1 / um^2; in voxel units: edges per voxel */
    const double vox_vol = (double)(vol->nx * vol->ny * vol->nz);
    if (m->vu) {
        fib_fmt_json_kv_number(j, "density_per_vox2",
                               (double)r.n_edges / vox_vol);
        fib_fmt_json_kv_number(j, "active_density_per_vox2",
                               (double)r.n_edges_active / vox_vol);
    } else {
        fib_fmt_json_kv_number(j, "length_um", r.length_um);
        fib_fmt_json_kv_number(j, "density_per_um2", r.density_um_per_um3);
        fib_fmt_json_kv_number(j, "active_density_per_um2",
                               r.active_density_um_per_um3);
    }
    fib_fmt_json_kv_string(j, "active_axis", fib__axis_name[axis]);
    fib_fmt_json_kv_number(j, "active_fraction", r.active_fraction);
    fib_fmt_json_end_object(j);
    FIB__SAY(m,
             "triple-phase boundary %u/%u/%u: %.6g %s, active fraction "
             "%.4f along %s",
             tp[0], tp[1], tp[2],
             m->vu ? (double)r.n_edges / vox_vol : r.density_um_per_um3,
             m->vu ? "edges per voxel" : "um/um^3", r.active_fraction,
             fib__axis_name[axis]);
    return FIB_OK;
}

/* One chord entry: counts, moments, histogram to its last non-empty bin. */
static void chord_entry(fib__measure *m, uint32_t phase, int a,
                        const fib_chord_result *c)
{
    fib_fmt_json *j = m->j;
    fib_fmt_json_key(j, fib__axis_name[a]);
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_int(j, "count", (long long)c->n_chords);
    fib_fmt_json_kv_int(j, "border_chords", (long long)c->n_border_chords);
    fib__jnum(m, "mean_nm", c->mean_nm);
    fib__jnum(m, "sd_nm", c->sd_nm);
    fib__jnum(m, "length_weighted_mean_nm", c->weighted_mean_nm);
    fib__jnum(m, "bin_nm", c->bin_nm);
    size_t last = 0;
    for (size_t k = 0; k < c->n_bins; k++)
        if (c->counts[k])
            last = k + 1;
    fib_fmt_json_key(j, "histogram");
    fib_fmt_json_begin_array(j);
    for (size_t k = 0; k < last; k++)
        fib_fmt_json_int(j, (long long)c->counts[k]);
    fib_fmt_json_end_array(j);
    fib_fmt_json_end_object(j);
    if (c->n_chords)
        FIB__SAY(m, "phase %u: chords along %s: %zu, mean %.4g %s", phase,
                 fib__axis_name[a], c->n_chords, c->mean_nm,
                 m->vu ? "voxels" : "nm");
    else
        FIB__SAY(m,
                 "phase %u: chords along %s: none inside the "
                 "volume (%zu cut by the border)",
                 phase, fib__axis_name[a], c->n_border_chords);
}

static fib_status chords(fib__measure *m, fib_error *err)
{
    fib_fmt_json *j = m->j;
    fib_fmt_json_key(j, "chords");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "method",
                           "runs of the label along each axis; chords "
                           "cut by the volume border left out");
    for (size_t p = 0; p < m->nphase; p++) {
        fib__key_u32(j, m->phases[p]);
        fib_fmt_json_begin_object(j);
        for (int a = 0; a < 3; a++) {
            fib_chord_result c;
            const fib_status st =
                fib_recon_chords(&m->vol, m->phases[p], a, false, 0, &c, err);
            if (st != FIB_OK)
                return st;
            chord_entry(m, m->phases[p], a, &c);
            fib_chord_result_clear(&c);
        }
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_object(j);
    return FIB_OK;
}

enum { REV_STEPS = 4 };

/* One representative-volume entry (the key is written by the caller). */
static void rev_entry(fib__measure *m, const fib_rev_point *pt, size_t settled)
{
    fib_fmt_json *j = m->j;
    fib_fmt_json_begin_object(j);
    fib_fmt_json_key(j, "box_vox");
    fib_fmt_json_begin_array(j);
    for (int k = 0; k < REV_STEPS; k++) {
        fib_fmt_json_begin_array(j);
        for (int a = 0; a < 3; a++)
            fib_fmt_json_int(j, (long long)pt[k].size_vox[a]);
        fib_fmt_json_end_array(j);
    }
    fib_fmt_json_end_array(j);
    fib_fmt_json_key(j, "mean");
    fib_fmt_json_begin_array(j);
    for (int k = 0; k < REV_STEPS; k++)
        fib_fmt_json_number(j, pt[k].mean);
    fib_fmt_json_end_array(j);
    fib_fmt_json_key(j, "sd");
    fib_fmt_json_begin_array(j);
    for (int k = 0; k < REV_STEPS; k++)
        fib_fmt_json_number(j, pt[k].sd);
    fib_fmt_json_end_array(j);
    fib_fmt_json_key(j, "settled_box_vox");
    if (settled < REV_STEPS) {
        fib_fmt_json_begin_array(j);
        for (int a = 0; a < 3; a++)
            fib_fmt_json_int(j, (long long)pt[settled].size_vox[a]);
        fib_fmt_json_end_array(j);
    } else {
        fib_fmt_json_null(j);
    }
    fib_fmt_json_end_object(j);
}

/* Representative volume: volume fraction of every measured label (and
 * the TPB density of @p tp when @p do_tpb) on boxes of 1/8 .. 1 of the
 * volume. */
static fib_status rev(fib__measure *m, bool do_tpb, const uint32_t tp[3],
                      fib_error *err)
{
    fib_fmt_json *j = m->j;
    fib_fmt_json_key(j, "representative_volume");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(
        j, "method",
        "metric on boxes of side 1/8, 1/4, 1/2 and 1 of the volume (up "
        "to 4 per axis, spread evenly): mean and sd per size; settled = "
        "the smallest size from which sd and |mean - whole| stay within "
        "5 % of the whole-volume value");
    for (size_t p = 0; p <= m->nphase; p++) {
        const bool tpb_row = p == m->nphase;
        if (tpb_row && !do_tpb)
            break;
        fib_rev_point pt[REV_STEPS];
        size_t settled = REV_STEPS;
        const uint32_t label = tpb_row ? tp[0] : m->phases[p];
        const uint32_t v3[3] = {label, tp[1], tp[2]};
        const fib_status st = fib_recon_rev(
            &m->vol, tpb_row ? FIB_REV_TPB_DENSITY : FIB_REV_VOLUME_FRACTION,
            tpb_row ? tp : v3, REV_STEPS, 0.05, pt, &settled, err);
        if (st != FIB_OK)
            return st;
        if (tpb_row)
            fib_fmt_json_key(j, "tpb_density");
        else
            fib__key_u32(j, m->phases[p]);
        rev_entry(m, pt, settled);
        const char *what = tpb_row ? "TPB density" : "volume fraction of";
        if (settled < REV_STEPS)
            FIB__SAY(m,
                     "%s %u: representative volume from %zu x %zu x %zu "
                     "voxels",
                     what, label, pt[settled].size_vox[0],
                     pt[settled].size_vox[1], pt[settled].size_vox[2]);
        else
            FIB__SAY(m,
                     "%s %u: not settled within the volume (the volume "
                     "is smaller than its representative volume)",
                     what, label);
    }
    fib_fmt_json_end_object(j);
    return FIB_OK;
}

/* S2 of one label along axis @p a, lags 0..(lag or a quarter axis). */
static fib_status two_point_axis(fib__measure *m, uint32_t phase, int a,
                                 fib_error *err)
{
    const size_t dims[3] = {m->vol.nx, m->vol.ny, m->vol.nz};
    size_t lag = m->p->two_point_lag ? m->p->two_point_lag : dims[a] / 4;
    if (lag >= dims[a])
        lag = dims[a] - 1;
    double *s2 = malloc((lag + 1) * sizeof *s2);
    if (!s2)
        return fib_error_set(err, FIB_ENOMEM, "measure: out of memory");
    const fib_status st = fib_recon_two_point(&m->vol, phase, a, lag, s2, err);
    if (st == FIB_OK) {
        fib_fmt_json_key(m->j, fib__axis_name[a]);
        fib_fmt_json_begin_array(m->j);
        for (size_t r = 0; r <= lag; r++)
            fib_fmt_json_number(m->j, s2[r]);
        fib_fmt_json_end_array(m->j);
    }
    free(s2);
    return st;
}

static fib_status two_point(fib__measure *m, fib_error *err)
{
    fib_fmt_json *j = m->j;
    const double *sp = m->vol.voxel_size_nm;
    fib_fmt_json_key(j, "two_point_correlation");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "method",
                           "S2(r) = fraction of voxel pairs r apart "
                           "along the axis, both inside the volume, "
                           "both in the label");
    fib__jnum(m, "lag_step_x_nm", sp[0]);
    fib__jnum(m, "lag_step_y_nm", sp[1]);
    fib__jnum(m, "lag_step_z_nm", sp[2]);
    for (size_t p = 0; p < m->nphase; p++) {
        fib__key_u32(j, m->phases[p]);
        fib_fmt_json_begin_object(j);
        for (int a = 0; a < 3; a++) {
            const fib_status st = two_point_axis(m, m->phases[p], a, err);
            if (st != FIB_OK)
                return st;
        }
        fib_fmt_json_end_object(j);
    }
    fib_fmt_json_end_object(j);
    return FIB_OK;
}

fib_status fib__measure_battery(fib__measure *m, fib_error *err)
{
    const fib_job_measure_params *p = m->p;
    uint32_t tp[3] = {0, 0, 0};
    bool do_tpb = p->tpb;
    fib_status st = FIB_OK;
    if (do_tpb) {
        memcpy(tp, p->tpb_labels, sizeof tp);
    } else if (p->battery && m->nval == 3) {
        memcpy(tp, m->vals, sizeof tp);
        do_tpb = true;
    }
    if (do_tpb && (st = tpb(m, tp, err)) != FIB_OK)
        return st;
    if ((p->chords || p->battery) && (st = chords(m, err)) != FIB_OK)
        return st;
    if (p->battery && (st = rev(m, do_tpb, tp, err)) != FIB_OK)
        return st;
    if ((p->two_point_lag || p->battery) && (st = two_point(m, err)) != FIB_OK)
        return st;
    return FIB_OK;
}
