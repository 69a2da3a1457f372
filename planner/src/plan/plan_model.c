/*
 * plan_model.c -- the two-layer removal model of a session plan: the build
 * context (stack, ROI, main-energy rates), application VPD, physical depth
 * through the stack with redeposition, the solve of one milling pattern,
 * probe widths for the edge rules, damage depth and preset choice.  The
 * rules these numbers feed are listed in plan_ladder.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_internal.h"

#define FACE_ANGLE_MAX 80.0 /* deg, low-kV face incidence for the yield */

static fib_status si_yield(const fib_plan_materials *db, fib_plan_ion ion,
                           double kV, double *y, fib_error *err)
{
    fib_plan_material si;
    fib_status st = fib_plan_material_resolve(db, "Si", 0, &si, err);
    if (st != FIB_OK)
        return st;
    return fib_plan_material_yield(fib_plan_projectile_of(ion), &si, kV,
                                   FIB_PLAN_COMPOUND_AVERAGE_ATOM, y, err);
}

fib_status fib__plan_vpd(const fib_plan_request *r,
                         const fib_plan_ion_setup *io, double kV, double *vpd,
                         fib_error *err)
{
    double y, y_ref, base;
    fib_status st = si_yield(NULL, io->ion, kV, &y, err);
    if (st != FIB_OK)
        return st;
    if (io->vpd_um3_per_nC > 0) {
        base = io->vpd_um3_per_nC;
        st = si_yield(NULL, io->ion, io->energy_keV, &y_ref, err);
    } else {
        const fib_plan_recipe *rc = fib_plan_recipe_find(r->application);
        if (!rc)
            return fib_error_set(err, FIB_EINVAL,
                                 "planner: application '%s' unknown",
                                 r->application);
        /* plasma columns run their own application files (Thermo PFIB:
         * Si 0.38, Si-multipass 1.2, Si-ccs 1.1 um^3/nC, SerialFIB
         * TemplatePatterns/PFIB) [R]: anchored on Xe at 30 kV; other
         * species and energies by the model Si yield ratio */
        const fib_plan_column *col = fib__plan_column(io);
        bool plasma =
            col && strstr(col->name, "pfib") && rc->vpd_pfib_um3_per_nC > 0;
        base = plasma ? rc->vpd_pfib_um3_per_nC : rc->vpd_um3_per_nC;
        st = si_yield(NULL, plasma ? FIB_PLAN_ION_XE : FIB_PLAN_ION_GA, 30.0,
                      &y_ref, err);
    }
    if (st != FIB_OK)
        return st;
    if (!(y > 0) || !(y_ref > 0))
        return fib_error_set(err, FIB_ENUMERIC,
                             "planner: zero Si yield at %g keV", kV);
    *vpd = base * y / y_ref;
    return FIB_OK;
}

double fib__plan_removal_rate(const fib__plan_ctx *c,
                              const fib_plan_material *m, double kV,
                              fib_plan_sputter_result *res_out)
{
    fib_plan_sputter_params p = {0};
    p.ion = c->io->ion;
    p.energy_keV = kV;
    p.angle_deg = 0;
    p.cryo = c->r->cryo;
    fib_plan_sputter_result res;
    if (fib_plan_sputter(m, &p, &res, NULL) != FIB_OK)
        return 0;
    if (res_out)
        *res_out = res;
    return res.removal_um3_per_nC;
}

/* ---------------------------------------------------------------------- */
/* Physical depth through the stack, and its inverse (the dose to reach a
 * needed depth).  The floor of a box advances along the beam through the
 * layers (cap, then each layer from the surface down), each at its
 * removal rate R_i (fib_plan_sputter: measured value where the database
 * has one, cryo factors at cryo) at normal incidence on the floor (the
 * steady state of a deepening box; the measured 0.74 nA on-grid trench of
 * fibsem-os, 146.2 s for 140 um^3 of ice = 1.3 um^3/nC, agrees with the
 * normal-incidence ice rate 1.0 and not with a 75 deg Yamamura factor of
 * 5).  Redeposition in a box of narrow width w (trenches, cuts, slots,
 * fiducials; not thinning windows, which take a thin wall off the side of
 * the lamella into an open trench): dz/dq = R_i / (1 + k z / w), the
 * physics eta(AR) = 1/(1 + k AR) with AR = z / w (planner-physics.md
 * 4.5), integrated exactly with u(z) = z + k z^2 / (2 w): the dose from
 * z_a to z_b inside layer i is (u(z_b) - u(z_a)) / R_i. */

static double redep_u(double z, double w, double k)
{
    return w > 0 ? z + k * z * z / (2 * w) : z;
}

static double redep_u_inv(double u, double w, double k)
{
    /* positive root of z + k z^2/(2w) = u, stable form */
    return w > 0 ? 2 * u / (1 + sqrt(1 + 2 * k * u / w)) : u;
}

/* Layer removal rates (um^3/nC) at kV, into rates[]. */
void fib__plan_layer_rates(const fib__plan_ctx *c, double kV, double *rates)
{
    for (size_t i = 0; i < c->n_layers; i++)
        rates[i] = c->io && kV == c->io->energy_keV && c->rate_main[i] > 0
                       ? c->rate_main[i]
                       : fib__plan_removal_rate(c, &c->mat[i], kV, NULL);
}

/* Dose density (nC/um^2) that takes the floor from the surface of layer
 * @p first to depth D_um; HUGE_VAL when a layer in the way does not mill
 * (below the sputter threshold). */
double fib__plan_stack_dose(const fib__plan_ctx *c, const double *rates,
                            double D_um, double w_um, size_t first)
{
    const double k = c->mat[c->roi].redep_k > 0 ? c->mat[c->roi].redep_k
                                                : FIB_PLAN_REDEP_K_DEFAULT;
    double z = 0, q = 0;
    for (size_t i = first; i < c->n_layers && z < D_um; i++) {
        double t = c->thick_um[i];
        double zb = (t > 0 && z + t < D_um) ? z + t : D_um;
        if (i + 1 == c->n_layers)
            zb = D_um; /* the last layer fills the rest */
        if (!(rates[i] > 0))
            return HUGE_VAL;
        q += (redep_u(zb, w_um, k) - redep_u(z, w_um, k)) / rates[i];
        z = zb;
    }
    return q;
}

/* Depth (um) reached by a dose density q (nC/um^2) (inverse of
 * fib__plan_stack_dose). */
double fib__plan_stack_depth(const fib__plan_ctx *c, const double *rates,
                             double q, double w_um, size_t first)
{
    const double k = c->mat[c->roi].redep_k > 0 ? c->mat[c->roi].redep_k
                                                : FIB_PLAN_REDEP_K_DEFAULT;
    double z = 0, left = q;
    for (size_t i = first; i < c->n_layers && left > 0; i++) {
        if (!(rates[i] > 0))
            break; /* below threshold: the beam stops removing here */
        double t = c->thick_um[i];
        bool last = i + 1 == c->n_layers || !(t > 0);
        double ua = redep_u(z, w_um, k);
        if (!last) {
            double need = (redep_u(z + t, w_um, k) - ua) / rates[i];
            if (left >= need) {
                left -= need;
                z += t;
                continue;
            }
        }
        z = redep_u_inv(ua + left * rates[i], w_um, k);
        left = 0;
    }
    return z;
}

/* Narrow width of the first box (redeposition aspect ratio). */
double fib__plan_pattern_narrow_um(const fib_geom_pattern *g)
{
    if (g->n_boxes < 1)
        return 0;
    double bx = g->box[0].x1_um - g->box[0].x0_um;
    double by = g->box[0].y1_um - g->box[0].y0_um;
    return bx < by ? bx : by;
}

fib__plan_solve fib__plan_solve_pattern(const fib__plan_ctx *c,
                                        const fib_geom_pattern *g, double kV,
                                        double vpd)
{
    fib__plan_solve sv = {0};
    const double D = g->depth_um;
    sv.scale = 1;
    sv.phys_depth_um = D;
    if (!(D > 0) || !(g->volume_um3 > 0) || !(vpd > 0)) {
        sv.dose_nC = g->volume_um3 > 0 && vpd > 0 ? g->volume_um3 / vpd : 0;
        return sv;
    }
    if (g->kind == FIB_GEOM_POLISH) {
        /* face-on low-kV pass: the slab (the commanded volume) is taken
         * off the face at the face incidence by the ROI material */
        fib_plan_sputter_params sp = {0};
        sp.ion = c->io->ion;
        sp.energy_keV = kV;
        /* the Yamamura angular fit is taken no further than 80 deg: beyond
         * it falls to 0 at 90 deg (0.19 at 85 deg for Ga 5 kV on NMC811),
         * against the practice of polishing at 1-5 deg grazing [U] */
        sp.angle_deg = g->face_incidence_deg < FACE_ANGLE_MAX
                           ? g->face_incidence_deg
                           : FACE_ANGLE_MAX;
        sp.cryo = c->r->cryo;
        fib_plan_sputter_result res;
        double rate = 0;
        if (fib_plan_sputter(&c->mat[c->roi], &sp, &res, NULL) == FIB_OK)
            rate = res.removal_um3_per_nC;
        sv.roi_face_rate = rate;
        if (!(rate > 0)) {
            sv.dose_nC = g->volume_um3 / vpd;
            sv.phys_depth_um = 0;
            return sv;
        }
        sv.dose_nC = g->volume_um3 / rate;
        sv.scale = vpd / rate;
        return sv;
    }
    if (g->kind == FIB_GEOM_NEEDLE_CUT) {
        /* the needle cut mills the needle (not in the stack): commanded
         * as drawn */
        sv.dose_nC = g->volume_um3 / vpd;
        return sv;
    }
    double rates[FIB_PLAN_MAX_LAYERS + 1];
    fib__plan_layer_rates(c, kV, rates);
    /* the undercut enters the lamella from the trench wall: it mills the
     * ROI layer, not the cap; everything else mills from the top */
    size_t first = g->kind == FIB_GEOM_UNDERCUT ? (size_t)c->roi : 0;
    double w = g->kind == FIB_GEOM_THIN ? 0 : fib__plan_pattern_narrow_um(g);
    double q = fib__plan_stack_dose(c, rates, D, w, first);
    if (!isfinite(q)) {
        /* a layer in the way does not mill: command the geometry and
         * report the depth that dose reaches */
        q = D / vpd;
        sv.phys_depth_um = fib__plan_stack_depth(c, rates, q, w, first);
    }
    /* boxes of several depths (stairs) share the deepest box's scale */
    sv.scale = q * vpd / D;
    sv.dose_nC = g->volume_um3 * sv.scale / vpd;
    return sv;
}

double fib__plan_probe_nm(const fib__plan_ctx *c, double kV, double pA)
{
    double d = 0;
    if (fib_plan_probe_diameter_nm(c->col, kV, pA, &d, NULL) != FIB_OK)
        return 0;
    return d;
}

/* The beam diameter the edge rules (R1, R4, low-kV, window overlap) are
 * applied to.  Ga: the column fit.  Plasma columns: the column fit is the
 * Thermo PFIB pattern-file TotalDiameter (232 nm at 99.2 pA, the diameter
 * xT sets the pitch with); the published Xe ladders are incompatible with
 * edge rules on that diameter (SerialFIB Arctis ends its 0.1 nA pass 50 nm
 * from a 400 nm lamella = 0.2 TotalDiameter; RT Xe practice polishes
 * < 100 nm lamellae after a 0.1 nA pass of 233 nm), so the rules keep the
 * core width they were anchored with, 200 nm (I/nA)^0.5 at 30 kV [U]:
 * PLASMA_RULE_SCALE = 200 / 736.6 of the pattern diameter.  With the
 * pattern diameter itself the Xe plans of the examples polish at 1-3 pA
 * and take 5-15x the Ga time. */
#define PLASMA_RULE_SCALE (200.0 / 736.6)

double fib__plan_rule_probe_nm(const fib__plan_ctx *c, double kV, double pA)
{
    double d = fib__plan_probe_nm(c, kV, pA);
    if (c->col && strstr(c->col->name, "pfib"))
        d *= PLASMA_RULE_SCALE;
    return d;
}

/* Probe width including tails (R1): Ga FWHM fit scaled by the Zeiss
 * width / Helios FWHM ratio at the same current at 30 kV; other columns
 * (plasma fits, the Zeiss column itself) as they are. */
double fib__plan_edge_width_nm(const fib__plan_ctx *c, double kV, double pA)
{
    double d = fib__plan_rule_probe_nm(c, kV, pA);
    if (c->io->ion != FIB_PLAN_ION_GA || !c->col ||
        !strcmp(c->col->name, "ga-lmis-zeiss"))
        return d;
    const fib_plan_column *z = fib_plan_column_find("ga-lmis-zeiss");
    double w30 = 0, d30 = 0;
    if (!z || fib_plan_probe_diameter_nm(z, 30.0, pA, &w30, NULL) != FIB_OK ||
        fib_plan_probe_diameter_nm(c->col, 30.0, pA, &d30, NULL) != FIB_OK ||
        !(d30 > 0) || !(w30 > d30))
        return d;
    return d * w30 / d30;
}

double fib__plan_damage_nm(const fib__plan_ctx *c, double kV)
{
    double d = 0;
    if (fib_plan_damage_depth_nm(c->proj, &c->mat[c->roi], kV, &d, NULL) !=
        FIB_OK)
        return 0;
    return d;
}

fib_status fib__plan_resolve_stack(fib__plan_ctx *c,
                                   const fib_plan_materials *db, fib_error *err)
{
    const fib_plan_request *r = c->r;
    size_t n = 0;
    fib_status st;
    /* the protective cap is milled through first when it is deposited
     * during the session and not already listed as the top layer */
    if (r->site.protect_thickness_um > 0) {
        fib_plan_material cap;
        st = fib_plan_material_resolve(db, r->protect_material, 0, &cap, err);
        if (st != FIB_OK)
            return st;
        fib_plan_material top;
        st = fib_plan_material_resolve(db, r->layers[0].material,
                                       r->layers[0].density_g_cm3, &top, err);
        if (st != FIB_OK)
            return st;
        if (strcmp(cap.name, top.name)) {
            c->mat[n] = cap;
            c->thick_um[n++] = r->site.protect_thickness_um;
        }
    }
    size_t first = n;
    for (size_t i = 0; i < r->n_layers; i++) {
        st = fib_plan_material_resolve(db, r->layers[i].material,
                                       r->layers[i].density_g_cm3, &c->mat[n],
                                       err);
        if (st != FIB_OK) {
            fib_error_prefix(err, "planner: layers[%zu]: ", i);
            return st;
        }
        c->thick_um[n++] = r->layers[i].thickness_um;
    }
    c->n_layers = n;
    if (r->roi_layer >= 0) {
        c->roi = (int)first + r->roi_layer;
    } else {
        /* thickest finite layer below a cap (a first layer made of the
         * protective material counts as the cap) */
        size_t lo = first;
        if (first == 0 && n > 1 && r->site.protect_thickness_um > 0)
            lo = 1;
        int best = -1;
        for (size_t i = lo; i < n; i++)
            if (c->thick_um[i] > 0 &&
                (best < 0 || c->thick_um[i] > c->thick_um[best]))
                best = (int)i;
        c->roi = best >= 0 ? best : (int)n - 1;
    }
    return FIB_OK;
}

fib_status fib__plan_ctx_init(fib__plan_ctx *c, const fib_plan_request *r,
                              size_t ion_index, const fib_geom_site *site,
                              const fib_plan_materials *db, fib_error *err)
{
    memset(c, 0, sizeof *c);
    c->r = r;
    c->io = &r->ions[ion_index];
    c->col = fib__plan_column(c->io);
    c->proj = fib_plan_projectile_of(c->io->ion);
    c->site = *site;
    fib_status st = fib__plan_resolve_stack(c, db, err);
    if (st != FIB_OK)
        return st;
    for (size_t i = 0; i < c->n_layers; i++)
        c->rate_main[i] =
            fib__plan_removal_rate(c, &c->mat[i], c->io->energy_keV, NULL);
    return FIB_OK;
}

/* Largest preset <= cap_pA whose probe satisfies d <= dmax_nm (dmax <= 0:
 * no probe limit; edge: d is the width incl. tails, else the FWHM fit);
 * the smallest preset if none does. */
double fib__plan_pick_preset_w(const fib__plan_ctx *c, double kV, double cap_pA,
                               double dmax_nm, bool edge)
{
    const fib_plan_ion_setup *io = c->io;
    double best = io->presets_pA[0];
    for (size_t k = 0; k < io->n_presets; k++) {
        double p = io->presets_pA[k];
        if (p > cap_pA * 1.0001)
            break;
        if (dmax_nm > 0 && (edge ? fib__plan_edge_width_nm(c, kV, p)
                                 : fib__plan_rule_probe_nm(c, kV, p)) > dmax_nm)
            continue;
        best = p;
    }
    return best;
}

double fib__plan_pick_preset(const fib__plan_ctx *c, double kV, double cap_pA,
                             double dmax_nm)
{
    return fib__plan_pick_preset_w(c, kV, cap_pA, dmax_nm, false);
}

/* Nearest preset of the set-up (log distance). */
double fib__plan_nearest_preset(const fib__plan_ctx *c, double pA)
{
    const fib_plan_ion_setup *io = c->io;
    double best = io->presets_pA[0], bd = HUGE_VAL;
    for (size_t k = 0; k < io->n_presets; k++) {
        double d = fabs(log(io->presets_pA[k] / pA));
        if (d < bd) {
            bd = d;
            best = io->presets_pA[k];
        }
    }
    return best;
}

/* Fill the physics numbers of a milling step: the dose that reaches the
 * drawn (needed) depth through the stack, the commanded depth and volume
 * that make the instrument deliver it with this application file
 * (commanded depth = dose x VPD / area), and t = dose / I. */
void fib__plan_fill_mill(const fib__plan_ctx *c, fib_plan_step *s, double kV,
                         double pA, double vpd)
{
    const fib_geom_pattern *g = &s->pattern;
    s->mills = true;
    s->energy_keV = kV;
    s->current_pA = pA;
    s->vpd_um3_per_nC = vpd;
    fib__plan_solve sv = fib__plan_solve_pattern(c, g, kV, vpd);
    s->target_depth_um = g->depth_um;
    s->volume_um3 = g->volume_um3 * sv.scale;
    s->commanded_depth_um = g->depth_um * sv.scale;
    s->physical_depth_um = sv.phys_depth_um;
    s->dose_nC = sv.dose_nC;
    s->commanded_time_s = s->volume_um3 / (vpd * pA * 1e-3);
    s->dose_ions_cm2 = g->area_um2 > 0 ? s->dose_nC * 1e-9 / FIB_PLAN_E_CHARGE /
                                             (g->area_um2 * 1e-8)
                                       : 0;
    s->removal_um3_per_nC =
        fib__plan_removal_rate(c, &c->mat[c->roi], kV, NULL);
    s->damage_depth_nm = fib__plan_damage_nm(c, kV);
    s->probe_d_nm = fib__plan_probe_nm(c, kV, pA);
    s->distance_um = g->distance_um;
    s->thickness_before_nm = g->thickness_before_nm;
    s->thickness_after_nm = g->thickness_after_nm;
    if (g->kind == FIB_GEOM_THIN || g->kind == FIB_GEOM_POLISH)
        s->removed_per_face_nm =
            0.5 * (g->thickness_before_nm - g->thickness_after_nm) *
            (g->depth_um > 0 ? s->physical_depth_um / g->depth_um : 0);
}
