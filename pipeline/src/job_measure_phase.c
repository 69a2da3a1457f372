/* job_measure_phase.c -- the per-phase sections of the measure report:
 * volume fractions, specific surface areas, connected objects (and the
 * objects CSV) and local thickness (methods in fib/measure.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/segment.h"
#include "job_measure_internal.h"

fib_status fib__measure_fractions(fib__measure *m, fib_error *err)
{
    fib_fmt_json *j = m->j;
    fib_fmt_json_key(j, "volume_fraction");
    fib_fmt_json_begin_object(j);
    for (size_t k = 0; k < m->nval; k++) {
        double f = m->blk ? m->blk->frac[k] : 0;
        const fib_status st =
            m->blk ? FIB_OK
                   : fib_recon_volume_fraction(&m->vol, m->vals[k], &f, err);
        if (st != FIB_OK)
            return st;
        fib__key_u32(j, m->vals[k]);
        fib_fmt_json_number(j, f);
        FIB__SAY(m, "phase %u: volume fraction %.6f", m->vals[k], f);
        if (m->res) {
            m->res->labels[k] = m->vals[k];
            m->res->volume_fraction[k] = f;
            m->res->n_labels = k + 1;
        }
    }
    fib_fmt_json_end_object(j);
    return FIB_OK;
}

fib_status fib__measure_surfaces(fib__measure *m, fib_error *err)
{
    fib_fmt_json *j = m->j;
    const char *vunit = m->vu ? "voxel" : "um";
    fib_fmt_json_kv_string(
        j, "surface_method",
        m->p->smooth_vox > 0
            ? "marching cubes of the Gaussian-smoothed indicator, "
              "level 0.5; volume border cut not counted"
            : "marching cubes of the binary indicator, level 0.5; "
              "volume border cut not counted");
    fib_fmt_json_key(j, fib__ukey(m, "specific_surface_area_per_um"));
    fib_fmt_json_begin_object(j);
    for (size_t p = 0; p < m->nphase; p++) {
        fib_phase_surface s = m->blk ? m->blk->surf[p] : (fib_phase_surface){0};
        const fib_status st =
            m->blk ? FIB_OK
                   : fib_recon_phase_surface(&m->vol, m->phases[p],
                                             m->p->smooth_vox, &s, err);
        if (st != FIB_OK)
            return st;
        const double per_total = fib__uval(m, "_per_um", s.per_total_um);
        const double per_phase = fib__uval(m, "_per_um", s.per_phase_um);
        fib__key_u32(j, m->phases[p]);
        fib_fmt_json_begin_object(j);
        fib_fmt_json_kv_number(j, "per_total_volume", per_total);
        fib_fmt_json_kv_number(j, "per_phase_volume", per_phase);
        fib__jnum(m, "area_um2", s.area_um2);
        fib_fmt_json_key(j, fib__ukey(m, "interface_area_um2"));
        fib_fmt_json_begin_object(j);
        for (size_t q = 0; q < s.n_interfaces; q++) {
            fib__key_u32(j, s.other[q]);
            fib_fmt_json_number(j,
                                fib__uval(m, "_um2", s.interface_area_um2[q]));
        }
        fib_fmt_json_end_object(j);
        fib_fmt_json_end_object(j);
        FIB__SAY(m,
                 "phase %u: specific surface %.6g /%s (per total volume), "
                 "%.6g /%s (per phase volume)",
                 m->phases[p], per_total, vunit, per_phase, vunit);
    }
    fib_fmt_json_end_object(j);
    return FIB_OK;
}

/* One CSV row per object of label @p phase. */
static void csv_rows(fib__measure *m, uint32_t phase,
                     const fib_object_stats *obj, size_t nobj)
{
    fib_fmt_csv *C = m->csv;
    for (size_t k = 0; k < nobj; k++) {
        const fib_object_stats *o = &obj[k];
        fib_fmt_csv_int(C, phase);
        fib_fmt_csv_int(C, o->label);
        fib_fmt_csv_int(C, (long long)o->n_voxels);
        fib_fmt_csv_number(C, fib__uval(m, "_um3", o->volume_um3));
        fib_fmt_csv_number(C, fib__uval(m, "_um2", o->area_um2));
        fib_fmt_csv_number(C, fib__uval(m, "_um", o->eq_diameter_um));
        fib_fmt_csv_number(C, o->sphericity);
        for (int a = 0; a < 3; a++)
            fib_fmt_csv_number(C, o->centroid_nm[a]);
        for (int a = 0; a < 3; a++)
            fib_fmt_csv_int(C, (long long)o->bbox_min[a]);
        for (int a = 0; a < 3; a++)
            fib_fmt_csv_int(C, (long long)o->bbox_max[a]);
        for (int a = 0; a < 3; a++)
            fib_fmt_csv_number(C, fib__uval(m, "_um", o->axes_um[a]));
        for (int a = 0; a < 3; a++)
            fib_fmt_csv_number(C, o->axis_dir[0][a]);
        fib_fmt_csv_int(C, o->touches_border);
        fib_fmt_csv_int(C, o->touches_substrate);
        fib_fmt_csv_number(C, fib__uval(m, "_um", o->height_um));
        fib_fmt_csv_end_row(C);
    }
}

/* The report entry of the @p nobj objects of one label. */
static void objects_entry(fib__measure *m, const fib_object_stats *obj,
                          size_t nobj)
{
    fib_fmt_json *j = m->j;
    const double nan = (double)NAN;
    double vsum = 0, vmax = 0, dsum = 0, ssum = 0;
    size_t nb = 0, ns = 0;
    for (size_t k = 0; k < nobj; k++) {
        vsum += obj[k].volume_um3;
        dsum += obj[k].eq_diameter_um;
        ssum += obj[k].sphericity;
        if (obj[k].volume_um3 > vmax)
            vmax = obj[k].volume_um3;
        nb += obj[k].touches_border;
        ns += obj[k].touches_substrate;
    }
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_int(j, "count", (long long)nobj);
    fib_fmt_json_kv_int(j, "connectivity", m->p->connectivity);
    fib__jnum(m, "mean_volume_um3", nobj ? vsum / (double)nobj : nan);
    fib_fmt_json_kv_number(j, "largest_volume_fraction_of_phase",
                           vsum > 0 ? vmax / vsum : nan);
    fib__jnum(m, "mean_eq_diameter_um", nobj ? dsum / (double)nobj : nan);
    fib_fmt_json_kv_number(j, "mean_sphericity",
                           nobj ? ssum / (double)nobj : nan);
    fib_fmt_json_kv_int(j, "touching_border", (long long)nb);
    if (m->p->substrate_face >= 0) {
        fib_fmt_json_kv_int(j, "touching_substrate", (long long)ns);
        fib_fmt_json_kv_int(j, "isolated_from_substrate",
                            (long long)(nobj - ns));
    }
    /* size distribution: the equivalent diameters (at most 1e5) */
    fib_fmt_json_key(j, fib__ukey(m, "eq_diameter_um"));
    fib_fmt_json_begin_array(j);
    for (size_t k = 0; k < nobj && k < 100000; k++)
        fib_fmt_json_number(j, fib__uval(m, "_um", obj[k].eq_diameter_um));
    fib_fmt_json_end_array(j);
    fib_fmt_json_end_object(j);
}

/* The report entry, line, CSV rows and result of measured label @p p. */
static void phase_objects(fib__measure *m, size_t p,
                          const fib_object_stats *obj, size_t nobj)
{
    fib__key_u32(m->j, m->phases[p]);
    objects_entry(m, obj, nobj);
    FIB__SAY(m, "phase %u: %zu objects (%d-connected)", m->phases[p], nobj,
             m->p->connectivity);
    if (m->csv)
        csv_rows(m, m->phases[p], obj, nobj);
    if (m->res)
        m->res->n_objects[p] = nobj;
}

fib_status fib__measure_objects(fib__measure *m, fib_error *err)
{
    const fib_volume *vol = &m->vol;
    const fib_substrate sub = {.face = m->p->substrate_face};
    fib_fmt_json_key(m->j, "objects");
    fib_fmt_json_begin_object(m->j);
    if (m->blk) { /* measured block-wise (job_measure_blocks.c) */
        for (size_t p = 0; p < m->nphase; p++)
            phase_objects(m, p, m->blk->obj[p], m->blk->nobj[p]);
        fib_fmt_json_end_object(m->j);
        return FIB_OK;
    }
    fib_status st =
        fib_volume_init(&m->mask, FIB_PX_U8, vol->nx, vol->ny, vol->nz, err);
    if (st != FIB_OK)
        return st;
    memcpy(m->mask.voxel_size_nm, vol->voxel_size_nm,
           sizeof m->mask.voxel_size_nm);
    for (size_t p = 0; p < m->nphase; p++) {
        fib_volume cc = {0};
        fib_object_stats *obj = NULL;
        size_t nobj = 0;
        fib__job_label_mask(vol, m->phases[p], &m->mask);
        st = fib_recon_label(&m->mask, m->p->connectivity, &cc, &nobj, err);
        if (st == FIB_OK)
            st = fib_recon_objects(&cc, nobj, vol, &sub, &obj, err);
        fib_volume_clear(&cc);
        if (st != FIB_OK) {
            free(obj);
            return st;
        }
        phase_objects(m, p, obj, nobj);
        free(obj);
    }
    fib_fmt_json_end_object(m->j);
    return FIB_OK;
}

/* Local thickness in the report unit: um, or voxels. */
static double lt_unit(const fib__measure *m, double nm)
{
    return nm * (m->vu ? 1.0 : 1e-3);
}

static void thickness_entry(fib__measure *m, const fib_distribution *d)
{
    fib_fmt_json *j = m->j;
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_number(j, "mean", lt_unit(m, d->mean));
    fib_fmt_json_kv_number(j, "median", lt_unit(m, d->median));
    fib_fmt_json_kv_number(j, "std", lt_unit(m, d->std));
    fib_fmt_json_kv_number(j, "max", lt_unit(m, d->max));
    fib_fmt_json_key(j, "distribution");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(j, "weight", "volume (voxel count)");
    fib_fmt_json_key(j, fib__ukey(m, "bin_edges_um"));
    fib_fmt_json_begin_array(j);
    for (size_t b = 0; b <= d->n_bins; b++)
        fib_fmt_json_number(j, lt_unit(m, d->bin_edges[b]));
    fib_fmt_json_end_array(j);
    fib_fmt_json_key(j, "fraction");
    fib_fmt_json_begin_array(j);
    for (size_t b = 0; b < d->n_bins; b++)
        fib_fmt_json_number(j, d->fraction[b]);
    fib_fmt_json_end_array(j);
    fib_fmt_json_end_object(j);
    /* the radius of the same balls (half the BoneJ diameter) */
    fib_fmt_json_key(j, "radius");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_number(j, "mean", lt_unit(m, d->mean / 2));
    fib_fmt_json_kv_number(j, "median", lt_unit(m, d->median / 2));
    fib_fmt_json_kv_number(j, "max", lt_unit(m, d->max / 2));
    fib_fmt_json_end_object(j);
    fib_fmt_json_end_object(j);
}

fib_status fib__measure_thickness(fib__measure *m, fib_error *err)
{
    if (!m->p->thickness)
        return FIB_OK;
    fib_fmt_json_kv_string(m->j, "local_thickness_convention",
                           "diameter of the largest inscribed ball "
                           "containing the voxel (BoneJ: 2 x the ball "
                           "radius); the radius under \"radius\"");
    fib_fmt_json_key(m->j, fib__ukey(m, "local_thickness_um"));
    fib_fmt_json_begin_object(m->j);
    for (size_t p = 0; p < m->nphase; p++) {
        fib_volume lt = {0};
        fib_distribution d = m->blk ? m->blk->lt[p] : (fib_distribution){0};
        fib_status st = FIB_OK;
        if (!m->blk) { /* block-wise: job_measure_blocks.c */
            fib__job_label_mask(&m->vol, m->phases[p], &m->mask);
            st = fib_recon_local_thickness(&m->mask, &lt, m->prog, err);
            if (st == FIB_OK)
                st = fib_recon_distribution(&lt, &m->mask, 32, &d, err);
        }
        fib_volume_clear(&lt);
        if (st != FIB_OK)
            return st;
        fib__key_u32(m->j, m->phases[p]);
        thickness_entry(m, &d);
        const char *unit = m->vu ? "voxels" : "um";
        FIB__SAY(m, "phase %u: local thickness mean %.6g %s, median %.6g %s",
                 m->phases[p], lt_unit(m, d.mean), unit, lt_unit(m, d.median),
                 unit);
    }
    fib_fmt_json_end_object(m->j);
    return FIB_OK;
}
