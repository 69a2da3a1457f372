/*
 * sputter.c -- Yamamura-Tawara (1996) normal-incidence sputter yield,
 * Yamamura (1983/84) angular factor, compound models, volume per dose and
 * the combined fib_plan_sputter() used by the `sputter` command and the
 * session planner.  Equations are transcribed in
 * shared/reference/planner-physics.md sections 2.1 and 2.4.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "physics_internal.h"

/* Electrons per nC: 1e-9 C / e. */
#define IONS_PER_NC (1e-9 / FIB_PLAN_E_CHARGE)

fib_plan_yt_target fib_plan_yt_target_of_element(const fib_plan_element *el)
{
    fib_plan_yt_target t = {0};
    if (!el)
        return t;
    t.z = (double)el->z;
    t.mass_u = el->mass_u;
    t.usurf_eV = el->usurf_eV;
    t.q = el->yt_q;
    t.w = el->yt_w;
    t.s = el->yt_s;
    return t;
}

fib_plan_yt_target fib__material_yt_target(const fib_plan_material *m,
                                           const char **binding_note)
{
    fib_plan_yt_target t = {0};
    const char *note = "estimated (stoichiometry-weighted elemental U_s)";
    double n = fib_plan_material_atoms_per_unit(m);
    if (!(n > 0.0)) {
        if (binding_note)
            *binding_note = "no composition";
        return t;
    }
    double us = 0.0;
    for (size_t i = 0; i < m->n_components; i++) {
        const fib_plan_element *el = fib_plan_element_by_z(m->comp[i].z);
        if (!el)
            continue;
        double c = m->comp[i].count / n;
        t.z += c * (double)el->z;
        t.mass_u += c * el->mass_u;
        t.q += c * el->yt_q;
        t.w += c * el->yt_w;
        t.s += c * el->yt_s;
        us += c * el->usurf_eV;
    }
    if (m->binding_eV > 0.0) {
        t.usurf_eV = m->binding_eV;
        note = m->binding_source[0] ? m->binding_source : "material value";
    } else {
        t.usurf_eV = us;
        if (m->n_components == 1) {
            const fib_plan_element *el = fib_plan_element_by_z(m->comp[0].z);
            note = el ? el->src_usurf : note;
        }
    }
    if (binding_note)
        *binding_note = note;
    return t;
}

static bool target_ok(fib_plan_projectile ion, const fib_plan_yt_target *t)
{
    return t && ion.z > 0 && ion.mass_u > 0.0 && t->z > 0.0 &&
           t->mass_u > 0.0 && t->usurf_eV > 0.0 && t->s > 0.0 && t->q >= 0.0;
}

double fib_plan_yt_threshold_eV(fib_plan_projectile ion,
                                const fib_plan_yt_target *t)
{
    if (!target_ok(ion, t))
        return NAN;
    double m1 = ion.mass_u, m2 = t->mass_u;
    double gamma = 4.0 * m1 * m2 / ((m1 + m2) * (m1 + m2)); /* Eq. 19 */
    if (m1 <= m2)
        return t->usurf_eV * (1.0 + 5.7 * m1 / m2) / gamma; /* Eq. 18 */
    return 6.7 * t->usurf_eV / gamma;                       /* Eq. 18 */
}

fib_status fib_plan_yt_yield(fib_plan_projectile ion,
                             const fib_plan_yt_target *t, double energy_eV,
                             double *yield, fib_error *err)
{
    if (!yield)
        return fib_error_set(err, FIB_EINVAL, "physics: yield is NULL");
    if (!(energy_eV >= 0.0) || isinf(energy_eV))
        return fib_error_set(err, FIB_EINVAL,
                             "physics: energy must be >= 0 eV (got %g)",
                             energy_eV);
    if (!target_ok(ion, t))
        return fib_error_set(err, FIB_EINVAL,
                             "physics: yield needs ion and target Z, mass, "
                             "U_s and s > 0");
    double z1 = (double)ion.z, z2 = t->z, m1 = ion.mass_u, m2 = t->mass_u;
    double eth = fib_plan_yt_threshold_eV(ion, t);
    if (energy_eV <= eth) {
        *yield = 0.0;
        return FIB_OK;
    }
    double z1_23 = pow(z1, 2.0 / 3.0), z2_23 = pow(z2, 2.0 / 3.0);
    double zsum = sqrt(z1_23 + z2_23);
    /* Lindhard reduced energy, Eq. 22 */
    double eps = 0.03255 / (z1 * z2 * zsum) * m2 / (m1 + m2) * energy_eV;
    double se = sqrt(eps);
    /* Thomas-Fermi reduced nuclear stopping (Matsunami fit), Eq. 4 */
    double sn_red = 3.441 * se * log(eps + 2.718) /
                    (1.0 + 6.355 * se + eps * (6.882 * se - 1.708));
    /* Nuclear stopping cross-section in eV A^2, Eq. 21 (erratum: 84.78) */
    double sn = 84.78 * z1 * z2 / zsum * m1 / (m1 + m2) * sn_red;
    /* Lindhard-Scharff electronic stopping coefficient, Eq. 20 */
    double ke = 0.079 * pow(m1 + m2, 1.5) / (pow(m1, 1.5) * sqrt(m2)) * z1_23 *
                sqrt(z2) / pow(z1_23 + z2_23, 0.75);
    double gam = t->w / (1.0 + pow(m1 / 7.0, 3.0)); /* Eq. 16 */
    double ratio = m2 / m1, alpha;
    if (m1 <= m2) /* Eq. 17 */
        alpha = 0.249 * pow(ratio, 0.56) + 0.0035 * pow(ratio, 1.5);
    else
        alpha = 0.0875 * pow(ratio, -0.15) + 0.165 * ratio;
    double thr = 1.0 - sqrt(eth / energy_eV);
    double y = 0.042 * t->q * alpha / t->usurf_eV * sn /
               (1.0 + gam * ke * pow(eps, 0.3)) * pow(thr, t->s); /* Eq. 15 */
    if (!isfinite(y) || y < 0.0)
        return fib_error_set(err, FIB_ENUMERIC,
                             "physics: yield is not finite at %g eV",
                             energy_eV);
    *yield = y;
    return FIB_OK;
}

static fib_status check_material(const fib_plan_material *m, bool need_rho,
                                 fib_error *err)
{
    if (!m)
        return fib_error_set(err, FIB_EINVAL, "physics: material is NULL");
    if (m->n_components == 0)
        return fib_error_set(err, FIB_EINVAL,
                             "physics: material '%s' has no composition",
                             m->name);
    if (need_rho && !(m->density_g_cm3 > 0.0))
        return fib_error_set(err, FIB_EINVAL,
                             "physics: material '%s' has no density (give "
                             "density_g_cm3 > 0)",
                             m->name);
    return FIB_OK;
}

static fib_status check_energy_keV(double e, fib_error *err)
{
    if (!(e > 0.0) || isinf(e))
        return fib_error_set(err, FIB_EINVAL,
                             "physics: energy_keV must be > 0 (got %g)", e);
    if (e > 1000.0)
        return fib_error_set(err, FIB_ERANGE,
                             "physics: energy_keV must be <= 1000 (got %g)", e);
    return FIB_OK;
}

fib_status fib_plan_material_yield(fib_plan_projectile ion,
                                   const fib_plan_material *m,
                                   double energy_keV,
                                   fib_plan_compound_model model, double *yield,
                                   fib_error *err)
{
    fib_status st;
    if ((st = check_material(m, false, err)) != FIB_OK ||
        (st = check_energy_keV(energy_keV, err)) != FIB_OK)
        return st;
    if (!yield)
        return fib_error_set(err, FIB_EINVAL, "physics: yield is NULL");
    double e_eV = energy_keV * 1000.0;
    if (model == FIB_PLAN_COMPOUND_PARTIAL && m->n_components > 1) {
        double n = fib_plan_material_atoms_per_unit(m), y = 0.0;
        for (size_t i = 0; i < m->n_components; i++) {
            fib_plan_yt_target t = fib_plan_yt_target_of_element(
                fib_plan_element_by_z(m->comp[i].z));
            double yi;
            if ((st = fib_plan_yt_yield(ion, &t, e_eV, &yi, err)) != FIB_OK)
                return st;
            y += m->comp[i].count / n * yi;
        }
        *yield = y;
        return FIB_OK;
    }
    fib_plan_yt_target t = fib__material_yt_target(m, NULL);
    return fib_plan_yt_yield(ion, &t, e_eV, yield, err);
}

static fib_status angular(fib_plan_projectile ion, const fib_plan_material *m,
                          double energy_keV, double angle_deg, bool cap,
                          double *factor, fib_error *err)
{
    fib_status st;
    if ((st = check_material(m, true, err)) != FIB_OK ||
        (st = check_energy_keV(energy_keV, err)) != FIB_OK)
        return st;
    if (!factor)
        return fib_error_set(err, FIB_EINVAL, "physics: factor is NULL");
    if (!(angle_deg >= 0.0) || !(angle_deg < 90.0))
        return fib_error_set(err, FIB_EINVAL,
                             "physics: angle_deg must be in [0, 90) (got %g)",
                             angle_deg);
    fib_plan_yt_target t = fib__material_yt_target(m, NULL);
    if (!target_ok(ion, &t))
        return fib_error_set(err, FIB_EINVAL,
                             "physics: material '%s': bad target parameters",
                             m->name);
    double e_eV = energy_keV * 1000.0;
    double eth = fib_plan_yt_threshold_eV(ion, &t);
    if (angle_deg == 0.0 || e_eV <= eth) {
        *factor = 1.0; /* Y(0) is 0 below threshold anyway */
        return FIB_OK;
    }
    double z1 = (double)ion.z, z2 = t.z, m1 = ion.mass_u, m2 = t.mass_u;
    double xi = 1.0 - sqrt(eth / e_eV);
    double fs = sqrt(t.usurf_eV) * (0.94 - 1.33e-3 * m2 / m1);
    double f = fs * (1.0 + 2.5 * (1.0 - xi) / xi);
    if (f > 15.0) /* cap as in the PICC implementation */
        f = 15.0;
    double zs = sqrt(pow(z1, 2.0 / 3.0) + pow(z2, 2.0 / 3.0));
    double a_A = 0.4685 / zs;
    double n_A3 = fib_plan_material_atom_density_cm3(m) * 1e-24;
    double r0_A = pow(n_A3, -1.0 / 3.0);
    double psi = pow(a_A / r0_A, 1.5) * sqrt(z1 * z2 / (zs * e_eV));
    double theta_opt = 90.0 - 286.0 * pow(psi, 0.45);
    if (theta_opt < 0.0)
        theta_opt = 0.0;
    double sigma = f * cos(theta_opt * FIB__PI / 180.0);
    double x = 1.0 / cos(angle_deg * FIB__PI / 180.0);
    double y = pow(x, f) * exp(-sigma * (x - 1.0));
    if (!isfinite(y))
        y = 0.0;
    if (cap && y > FIB_PLAN_ANGLE_FACTOR_CAP)
        y = FIB_PLAN_ANGLE_FACTOR_CAP;
    *factor = y;
    return FIB_OK;
}

fib_status fib_plan_angular_factor(fib_plan_projectile ion,
                                   const fib_plan_material *m,
                                   double energy_keV, double angle_deg,
                                   double *factor, fib_error *err)
{
    return angular(ion, m, energy_keV, angle_deg, true, factor, err);
}

fib_status fib_plan_angular_factor_uncapped(fib_plan_projectile ion,
                                            const fib_plan_material *m,
                                            double energy_keV, double angle_deg,
                                            double *factor, fib_error *err)
{
    return angular(ion, m, energy_keV, angle_deg, false, factor, err);
}

double fib_plan_yield_to_um3_per_nC(double yield, double n_cm3)
{
    if (!(n_cm3 > 0.0) || !(yield > 0.0))
        return 0.0;
    /* atoms/ion / (atoms/cm^3) = cm^3/ion; x 1e12 um^3/cm^3 x ions/nC */
    return yield / n_cm3 * 1e12 * IONS_PER_NC;
}

double fib_plan_um3_per_nC_to_yield(double um3_per_nC, double n_cm3)
{
    if (!(n_cm3 > 0.0) || !(um3_per_nC > 0.0))
        return 0.0;
    return um3_per_nC * n_cm3 / (1e12 * IONS_PER_NC);
}

const fib_plan_rate *fib_plan_material_find_rate(const fib_plan_material *m,
                                                 fib_plan_ion ion,
                                                 double energy_keV)
{
    for (size_t i = 0; m && i < m->n_rates && i < FIB_PLAN_MAX_RATES; i++)
        if (m->rates[i].ion == ion &&
            fabs(m->rates[i].energy_keV - energy_keV) <= 0.5)
            return &m->rates[i];
    return NULL;
}

/* Measured rate for ion/energy, preferring one measured at the request's
 * temperature (cryo or room): a material may carry both, e.g. GIS Pt-C
 * (cryo-condensed organometallic vs room-temperature IBID deposit).  Falls
 * back to fib_plan_material_find_rate() (first match). */
static const fib_plan_rate *find_rate_temp(const fib_plan_material *m,
                                           fib_plan_ion ion, double energy_keV,
                                           bool cryo)
{
    for (size_t i = 0; m && i < m->n_rates && i < FIB_PLAN_MAX_RATES; i++)
        if (m->rates[i].ion == ion &&
            fabs(m->rates[i].energy_keV - energy_keV) <= 0.5 &&
            m->rates[i].cryo == cryo)
            return &m->rates[i];
    return fib_plan_material_find_rate(m, ion, energy_keV);
}

/* No measurement for this ion and energy: scale a reference measurement
 * of the material by the model yield ratio y0 / y(reference).  *r_out
 * gets the reference, NULL when its model yield is 0. */
static fib_status scaled_rate(const fib_plan_material *m,
                              const fib_plan_sputter_params *p,
                              const fib_plan_ion_info *info, double y0,
                              const char *angle_txt,
                              fib_plan_sputter_result *out,
                              const fib_plan_rate **r_out, fib_error *err)
{
    fib_status st;
    const fib_plan_rate *r;
    /* The reference measurement: one made with the same ion
     * (nearest energy, same temperature preferred), so that the
     * model only carries the energy dependence of that ion;
     * otherwise the first one taken at the request's temperature,
     * else the first one.  Mixing anchors of different ions made
     * the Xe->Si rate non-monotonic in energy (20 keV: measured
     * 3.0 atoms/ion; 10 and 30 keV: the Ga 30 keV table value x
     * the model Xe/Ga ratio, 1.92 / 3.00 / 2.73 at 10/20/30 keV);
     * the Yamamura-Tawara energy dependence itself rises through
     * 10-30 keV for Xe->Si (reduced energy 0.02-0.05, below the
     * nuclear-stopping maximum near 0.3, Matsunami 1984). */
    r = NULL;
    double best = HUGE_VAL;
    for (size_t i = 0; i < m->n_rates && i < FIB_PLAN_MAX_RATES; i++) {
        const fib_plan_rate *q = &m->rates[i];
        if (q->ion != p->ion)
            continue;
        double d = fabs(log(q->energy_keV / p->energy_keV)) +
                   (q->cryo == p->cryo ? 0.0 : 10.0);
        if (d < best) {
            best = d;
            r = q;
        }
    }
    if (!r) {
        r = &m->rates[0];
        for (size_t i = 0; i < m->n_rates && i < FIB_PLAN_MAX_RATES; i++)
            if (m->rates[i].cryo == p->cryo) {
                r = &m->rates[i];
                break;
            }
    }
    fib_plan_projectile ion_r = fib_plan_projectile_of(r->ion);
    double y_r, af_r = 1.0;
    if ((st = fib_plan_material_yield(ion_r, m, r->energy_keV,
                                      p->compound_model, &y_r, err)) != FIB_OK)
        return st;
    if (r->angle_deg > 0.0 &&
        fib_plan_angular_factor(ion_r, m, r->energy_keV, r->angle_deg, &af_r,
                                NULL) != FIB_OK)
        af_r = 1.0;
    if (y_r > 0.0) {
        double scale = y0 / y_r;
        out->removal_um3_per_nC =
            r->um3_per_nC / af_r * scale * out->angle_factor *
            ((p->cryo && !r->cryo) ? out->cryo_factor : 1.0);
        out->removal_origin = FIB_PLAN_ORIGIN_SCALED;
        const fib_plan_ion_info *ri = fib_plan_ion_get(r->ion);
        fib__str_fmt(out->removal_source, sizeof out->removal_source,
                     "scaled measurement: %s x model %s/%s %g/%g keV "
                     "ratio %.3g%s",
                     r->source, info->symbol, ri ? ri->symbol : "?",
                     p->energy_keV, r->energy_keV, scale, angle_txt);
    } else {
        r = NULL;
    }
    *r_out = r;
    return FIB_OK;
}

/* Projected range, straggle and damage depth of the result, with their
 * sources. */
static fib_status range_and_damage(fib_plan_projectile ion,
                                   const fib_plan_material *m,
                                   double energy_keV,
                                   fib_plan_sputter_result *out, fib_error *err)
{
    fib_status st;
    if ((st = fib_plan_range_nm(ion, m, energy_keV, &out->projected_range_nm,
                                &out->range_straggle_nm, err)) != FIB_OK)
        return st;
    fib__str_copy(out->range_source, sizeof out->range_source,
                  "model: ZBL nuclear + Lindhard-Scharff electronic "
                  "stopping, CSDA + projected-range correction (+-30 %)");
    if ((st = fib_plan_damage_depth_nm(ion, m, energy_keV,
                                       &out->damage_depth_nm, err)) != FIB_OK)
        return st;
    fib__str_fmt(out->damage_source, sizeof out->damage_source,
                 "model: %.2f x %.2f x Rp, calibrated on %s", fib__damage_c(m),
                 fib__damage_g(ion),
                 m->soft ? "cryo-ET lamellae (Ga 60 nm, Xe 30-45 nm)"
                         : "Si (Ga 23 nm at 30 kV, 10 nm at 10 kV)");
    return FIB_OK;
}

fib_status fib_plan_sputter(const fib_plan_material *m,
                            const fib_plan_sputter_params *p,
                            fib_plan_sputter_result *out, fib_error *err)
{
    fib_status st;
    if (!p || !out)
        return fib_error_set(err, FIB_EINVAL, "physics: NULL argument");
    if ((st = check_material(m, true, err)) != FIB_OK ||
        (st = check_energy_keV(p->energy_keV, err)) != FIB_OK)
        return st;
    const fib_plan_ion_info *info = fib_plan_ion_get(p->ion);
    if (!info)
        return fib_error_set(err, FIB_EINVAL, "physics: unknown ion %d",
                             (int)p->ion);
    if (!(p->angle_deg >= 0.0) || !(p->angle_deg < 90.0))
        return fib_error_set(err, FIB_EINVAL,
                             "physics: angle_deg must be in [0, 90) (got %g)",
                             p->angle_deg);
    memset(out, 0, sizeof *out);
    fib_plan_projectile ion = fib_plan_projectile_of(p->ion);
    const char *bnote = NULL;
    fib_plan_yt_target t = fib__material_yt_target(m, &bnote);
    out->threshold_eV = fib_plan_yt_threshold_eV(ion, &t);
    out->atom_density_cm3 = fib_plan_material_atom_density_cm3(m);
    double y0;
    if ((st = fib_plan_material_yield(ion, m, p->energy_keV, p->compound_model,
                                      &y0, err)) != FIB_OK)
        return st;
    out->yield_normal_model = y0;
    if ((st = fib_plan_angular_factor(ion, m, p->energy_keV, p->angle_deg,
                                      &out->angle_factor, err)) != FIB_OK)
        return st;
    out->cryo_factor = 1.0;
    if (p->cryo) {
        if (m->cryo_yield_factor > 0.0)
            out->cryo_factor = m->cryo_yield_factor;
        fib__str_copy(out->cryo_source, sizeof out->cryo_source,
                      m->cryo_source[0]
                          ? m->cryo_source
                          : "no cryo sputtering data: room-temperature yield "
                            "used");
    } else {
        fib__str_copy(out->cryo_source, sizeof out->cryo_source,
                      "room temperature");
    }
    double n = out->atom_density_cm3;
    double y_model = y0 * out->angle_factor * out->cryo_factor;
    out->model_removal_um3_per_nC = fib_plan_yield_to_um3_per_nC(y_model, n);
    const char *model_name =
        (p->compound_model == FIB_PLAN_COMPOUND_PARTIAL && m->n_components > 1)
            ? "partial yields"
            : "average atom";
    char angle_txt[48] = "";
    if (p->angle_deg > 0.0)
        snprintf(angle_txt, sizeof angle_txt, " x angular factor %.3g",
                 out->angle_factor);

    const fib_plan_rate *r = NULL;
    if (!p->model_only && y0 > 0.0) {
        r = find_rate_temp(m, p->ion, p->energy_keV, p->cryo);
        if (r) {
            double af_r = 1.0;
            if (r->angle_deg > 0.0 &&
                fib_plan_angular_factor(ion, m, r->energy_keV, r->angle_deg,
                                        &af_r, NULL) != FIB_OK)
                af_r = 1.0;
            /* a room-temperature measurement used at cryo takes the
             * material's cryo factor (1 unless a user file sets one) */
            double cf = (p->cryo && !r->cryo) ? out->cryo_factor : 1.0;
            out->removal_um3_per_nC =
                r->um3_per_nC * out->angle_factor / af_r * cf;
            out->removal_origin = FIB_PLAN_ORIGIN_MEASURED;
            fib__str_fmt(out->removal_source, sizeof out->removal_source,
                         "measured: %s%s", r->source, angle_txt);
        } else if (m->n_rates > 0) {
            st = scaled_rate(m, p, info, y0, angle_txt, out, &r, err);
            if (st != FIB_OK)
                return st;
        }
    }
    if (!r) {
        out->removal_um3_per_nC = out->model_removal_um3_per_nC;
        out->removal_origin = FIB_PLAN_ORIGIN_MODEL;
        fib__str_fmt(out->removal_source, sizeof out->removal_source,
                     "model: Yamamura-Tawara 1996 (%s, U_s %.3g eV)%s%s",
                     model_name, t.usurf_eV, angle_txt,
                     out->cryo_factor != 1.0 ? " x cryo factor" : "");
        out->yield_atoms_per_ion = y_model;
        fib__str_copy(out->yield_source, sizeof out->yield_source,
                      out->removal_source);
    } else {
        out->yield_atoms_per_ion =
            fib_plan_um3_per_nC_to_yield(out->removal_um3_per_nC, n);
        fib__str_fmt(out->yield_source, sizeof out->yield_source,
                     "from the %s removal rate and density",
                     out->removal_origin == FIB_PLAN_ORIGIN_MEASURED
                         ? "measured"
                         : "scaled measured");
    }
    (void)bnote;

    if ((st = range_and_damage(ion, m, p->energy_keV, out, err)) != FIB_OK)
        return st;
    out->implanted_fraction =
        fib_plan_implanted_fraction(out->yield_atoms_per_ion);
    return FIB_OK;
}
