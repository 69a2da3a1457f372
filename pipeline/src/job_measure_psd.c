/* job_measure_psd.c -- the size sections of the measure report (issue 17
 * item 4; definitions in fib/measure.h): simulated mercury intrusion
 * porosimetry, the particle-size distribution of a watershed split and
 * the contact areas between the measured labels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_measure_internal.h"

/* An array of @p n numbers, each converted by the unit rule of @p key. */
static void jarray(fib__measure *m, const char *key, const double *v, size_t n,
                   double scale)
{
    fib_fmt_json_key(m->j, fib__ukey(m, key));
    fib_fmt_json_begin_array(m->j);
    for (size_t k = 0; k < n; k++)
        fib_fmt_json_number(m->j, fib__uval(m, key, v[k] * scale));
    fib_fmt_json_end_array(m->j);
}

static fib_status porosimetry(fib__measure *m, fib_error *err)
{
    const fib_job_measure_params *p = m->p;
    fib_fmt_json *j = m->j;
    const int axis = p->battery_axis;
    char inlet[32];
    snprintf(inlet, sizeof inlet, "%s0 and %s1 faces", fib__axis_name[axis],
             fib__axis_name[axis]);
    fib_fmt_json_key(j, "porosimetry");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(
        j, "method",
        "simulated mercury intrusion (PoreSpy porosimetry mode dt, access "
        "limited): for each sphere radius r, descending, the voxels closer "
        "than r to a voxel with EDT >= r that is 6-connected to an inlet "
        "through such voxels; diameter = 2 r, r = EDT to the nearest voxel "
        "centre outside the label");
    fib_fmt_json_kv_string(j, "inlet", inlet);
    if (!m->vu)
        fib_fmt_json_kv_string(j, "pressure",
                               "Washburn p = -2 gamma cos(theta) / r, "
                               "mercury gamma 0.485 N/m, theta 140 deg");
    for (size_t q = 0; q < m->nphase; q++) {
        fib_intrusion_result r;
        const fib_status st =
            fib_recon_intrusion(&m->vol, m->phases[q], axis, p->intrusion_sizes,
                                NULL, &r, m->prog, err);
        if (st != FIB_OK)
            return st;
        fib__key_u32(j, m->phases[q]);
        fib_fmt_json_begin_object(j);
        jarray(m, "diameter_nm", r.radius_nm, r.n_sizes, 2.0);
        fib_fmt_json_key(j, "intruded_fraction");
        fib_fmt_json_begin_array(j);
        for (size_t k = 0; k < r.n_sizes; k++)
            fib_fmt_json_number(j, r.fraction[k]);
        fib_fmt_json_end_array(j);
        if (!m->vu) {
            fib_fmt_json_key(j, "pressure_MPa");
            fib_fmt_json_begin_array(j);
            for (size_t k = 0; k < r.n_sizes; k++)
                fib_fmt_json_number(j, r.pressure_MPa[k]);
            fib_fmt_json_end_array(j);
        }
        fib_fmt_json_end_object(j);
        /* the diameter at which half of the label is intruded */
        double d50 = (double)NAN;
        for (size_t k = 0; k < r.n_sizes && isnan(d50); k++)
            if (r.fraction[k] >= 0.5)
                d50 = 2 * r.radius_nm[k];
        FIB__SAY(m,
                 "phase %u: intrusion from %s: %.4f reached, half at "
                 "diameter %.4g %s",
                 m->phases[q], inlet,
                 r.n_sizes ? r.fraction[r.n_sizes - 1] : 0.0, d50,
                 m->vu ? "voxels" : "nm");
    }
    fib_fmt_json_end_object(j);
    return FIB_OK;
}

static fib_status particle_sizes(fib__measure *m, fib_error *err)
{
    fib_fmt_json *j = m->j;
    fib_fmt_json_key(j, "particle_sizes");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(
        j, "method",
        "marker watershed of -EDT restricted to the label (markers: EDT "
        "maxima more than h above the saddle to any higher maximum; "
        "26-connected flooding); equivalent diameter (6 V / pi)^(1/3); "
        "d10/d50/d90 volume-weighted");
    for (size_t q = 0; q < m->nphase; q++) {
        fib_particle_sizes ps;
        const fib_status st = fib_recon_particle_sizes(
            &m->vol, m->phases[q], m->p->psd_h_nm, &ps, err);
        if (st != FIB_OK)
            return st;
        fib__key_u32(j, m->phases[q]);
        fib_fmt_json_begin_object(j);
        fib__jnum(m, "h_nm", ps.h_nm);
        fib_fmt_json_kv_int(j, "count", (long long)ps.n);
        fib__jnum(m, "mean_nm", ps.mean_nm);
        fib__jnum(m, "median_nm", ps.median_nm);
        fib__jnum(m, "d10_nm", ps.d10_nm);
        fib__jnum(m, "d50_nm", ps.d50_nm);
        fib__jnum(m, "d90_nm", ps.d90_nm);
        jarray(m, "eq_diameter_nm", ps.eq_diameter_nm,
               ps.n < 100000 ? ps.n : 100000, 1.0);
        fib_fmt_json_end_object(j);
        FIB__SAY(m,
                 "phase %u: %zu particles after the watershed split, "
                 "volume-weighted d50 %.4g %s",
                 m->phases[q], ps.n, ps.d50_nm, m->vu ? "voxels" : "nm");
        fib_particle_sizes_clear(&ps);
    }
    fib_fmt_json_end_object(j);
    return FIB_OK;
}

static fib_status contact(fib__measure *m, fib_error *err)
{
    fib_fmt_json *j = m->j;
    fib_contact_result c;
    const fib_status st =
        fib_recon_contact_areas(&m->vol, m->phases, m->nphase, &c, err);
    if (st != FIB_OK)
        return st;
    fib_fmt_json_key(j, "contact_area");
    fib_fmt_json_begin_object(j);
    fib_fmt_json_kv_string(
        j, "method",
        "voxel faces between two labels (6-neighbours, volume border not "
        "counted); face_area exact for interfaces along voxel planes, "
        "isotropic_area = 2/3 face_area (Cauchy-Crofton: unbiased for "
        "isotropic curved interfaces)");
    for (size_t a = 0; a < c.n; a++)
        for (size_t b = a + 1; b < c.n; b++) {
            char key[32];
            snprintf(key, sizeof key, "%u-%u", c.label[a], c.label[b]);
            fib_fmt_json_key(j, key);
            fib_fmt_json_begin_object(j);
            fib_fmt_json_kv_int(j, "faces", (long long)c.faces[a][b]);
            fib__jnum(m, "face_area_um2", c.face_area_um2[a][b]);
            fib__jnum(m, "isotropic_area_um2", c.isotropic_area_um2[a][b]);
            fib_fmt_json_end_object(j);
            FIB__SAY(m, "contact %u-%u: %.6g %s (isotropic estimate)",
                     c.label[a], c.label[b],
                     fib__uval(m, "_um2", c.isotropic_area_um2[a][b]),
                     m->vu ? "vox2" : "um2");
        }
    fib_fmt_json_end_object(j);
    return FIB_OK;
}

fib_status fib__measure_psd(fib__measure *m, fib_error *err)
{
    const fib_job_measure_params *p = m->p;
    fib_status st = FIB_OK;
    if ((p->porosimetry || p->battery) && (st = porosimetry(m, err)) != FIB_OK)
        return st;
    if ((p->particle_sizes || p->battery) &&
        (st = particle_sizes(m, err)) != FIB_OK)
        return st;
    if ((p->contact || p->battery) && m->nphase > 1)
        st = contact(m, err);
    return st;
}
