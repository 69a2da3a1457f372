/*
 * geometry.c -- milling patterns of a lamella site (see fib/geometry.h).
 *
 * Conventions follow the public pattern catalogue of fibsem-os/AutoLamella
 * (patterns2.py: Trench, Undercut, MicroExpansion) and the textbook in-situ
 * lift-out sequence (Giannuzzi & Stevie, Micron 30 (1999) 197; Yao (ed.),
 * Focused Ion Beam Systems, CUP 2007, ch. 8): trenches on both sides,
 * side cut, J- or U-shaped undercut at a stage tilt, needle attach,
 * cut-free, grid attach, thinning at decreasing distance, low-kV polish.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fib/geometry.h"

static const double GEOM_PI = 3.14159265358979323846;
/* Fiducial placement: AutoLamella's Setup Lamella default centre (25 um,
 * fibsem-os task-protocol.yaml) and the clear gap its default layout leaves
 * between the stress-relief slots (outer edge 10.5 um) and the inner end
 * of its 45-degree cross (25 - 5 cos 45 - 0.5 sin 45 = 21.1 um): 10 um. */
static const double FIDUCIAL_X_UM = 25.0;
static const double FIDUCIAL_CLEAR_UM = 10.0;

static double rad(double deg)
{
    return deg * GEOM_PI / 180.0;
}

static const char *const method_names[FIB_GEOM_METHOD_COUNT_] = {
    "liftout", "cryo-liftout", "on-grid", "waffle", "hbar"};

const char *fib_geom_method_name(fib_geom_method m)
{
    if ((int)m < 0 || m >= FIB_GEOM_METHOD_COUNT_)
        return "unknown";
    return method_names[m];
}

bool fib_geom_method_parse(const char *name, fib_geom_method *out)
{
    if (!name)
        return false;
    for (int i = 0; i < FIB_GEOM_METHOD_COUNT_; i++)
        if (!strcmp(name, method_names[i])) {
            *out = (fib_geom_method)i;
            return true;
        }
    if (!strcmp(name, "waffle-on-grid") || !strcmp(name, "ongrid")) {
        *out = FIB_GEOM_ON_GRID;
        return true;
    }
    if (!strcmp(name, "h-bar")) {
        *out = FIB_GEOM_HBAR;
        return true;
    }
    return false;
}

static const char *const kind_names[FIB_GEOM_KIND_COUNT_] = {
    "protect",     "fiducial",      "trench", "side-cut",
    "undercut",    "stress-relief", "attach", "cut-free",
    "grid-attach", "needle-cut",    "thin",   "polish"};

const char *fib_geom_kind_name(fib_geom_kind k)
{
    if ((int)k < 0 || k >= FIB_GEOM_KIND_COUNT_)
        return "unknown";
    return kind_names[k];
}

static bool is_liftout(fib_geom_method m)
{
    return m == FIB_GEOM_LIFTOUT || m == FIB_GEOM_CRYO_LIFTOUT;
}

static bool is_grid(fib_geom_method m)
{
    return m == FIB_GEOM_ON_GRID || m == FIB_GEOM_WAFFLE;
}

void fib_geom_site_defaults(fib_geom_site *s)
{
    if (s->lamella_width_um == 0)
        s->lamella_width_um = is_liftout(s->method) ? 15.0 : 10.0;
    if (s->lamella_height_um == 0)
        s->lamella_height_um = 5.0;
    if (s->target_thickness_nm == 0)
        s->target_thickness_nm = 100.0;
    if (s->rough_thickness_nm == 0)
        s->rough_thickness_nm = is_grid(s->method) ? 1000.0 : 2000.0;
    if (s->depth_margin_um == 0)
        s->depth_margin_um = 1.0;
    if (s->margin_um == 0)
        s->margin_um = is_grid(s->method) ? -1.0 : 2.0;
    if (s->stair_steps == 0)
        s->stair_steps = 5;
    if (s->milling_angle_deg == 0)
        s->milling_angle_deg = 15.0;
    if (s->column_angle_deg == 0)
        s->column_angle_deg = 52.0;
    if (s->undercut_width_um == 0)
        s->undercut_width_um = 1.0;
    if (s->overtilt_deg == 0)
        s->overtilt_deg = 1.0;
    if (s->taper_deg == 0)
        s->taper_deg = 1.5;
    if (s->thin_overlap_um == 0)
        s->thin_overlap_um = 0.2;
    if (s->polish_tilt_deg == 0)
        s->polish_tilt_deg = 5.0;
    if (s->window_height_um == 0)
        s->window_height_um =
            s->lamella_height_um < 4.0 ? s->lamella_height_um : 4.0;
    if (s->polish_depth_um == 0) {
        /* AutoLamella on-grid polishing: 0.4 um (task-protocol.yaml),
         * 1 um (planner-physics.md Case A); materials windows a few um */
        double cap = is_grid(s->method) ? 1.0 : 2.0;
        s->polish_depth_um =
            s->window_height_um < cap ? s->window_height_um : cap;
    }
    if (s->protect_thickness_um == 0)
        s->protect_thickness_um = 1.0;
    if (s->stress_relief_len_um == 0)
        s->stress_relief_len_um = 18.0;
    if (s->stress_relief_gap_um == 0)
        s->stress_relief_gap_um = 10.0;
    if (s->trench_length_um == 0) {
        double d = s->lamella_height_um + s->depth_margin_um;
        s->trench_length_um = is_grid(s->method) ? 5.0 : 1.5 * d;
    }
}

#define CHECK_POS(field)                                                       \
    do {                                                                       \
        if (!(s->field > 0))                                                   \
            return fib_error_set(err, FIB_EINVAL,                              \
                                 "geometry: " #field " must be > 0 (got %g)",  \
                                 (double)s->field);                            \
    } while (0)

fib_status fib_geom_site_check(const fib_geom_site *s, fib_error *err)
{
    if ((int)s->method < 0 || s->method >= FIB_GEOM_METHOD_COUNT_)
        return fib_error_set(err, FIB_EINVAL, "geometry: unknown method %d",
                             (int)s->method);
    CHECK_POS(lamella_width_um);
    CHECK_POS(lamella_height_um);
    CHECK_POS(target_thickness_nm);
    CHECK_POS(rough_thickness_nm);
    CHECK_POS(trench_length_um);
    CHECK_POS(depth_margin_um);
    CHECK_POS(undercut_width_um);
    CHECK_POS(thin_overlap_um);
    CHECK_POS(window_height_um);
    CHECK_POS(polish_depth_um);
    if (s->polish_depth_um > s->window_height_um)
        return fib_error_set(err, FIB_EINVAL,
                             "geometry: polish_depth_um (%g) must not exceed "
                             "window_height_um (%g)",
                             s->polish_depth_um, s->window_height_um);
    if (s->window_height_um > s->lamella_height_um)
        return fib_error_set(err, FIB_EINVAL,
                             "geometry: window_height_um (%g) must not exceed "
                             "lamella_height_um (%g)",
                             s->window_height_um, s->lamella_height_um);
    CHECK_POS(stress_relief_len_um);
    CHECK_POS(stress_relief_gap_um);
    if (s->stair_steps < 1 || s->stair_steps > 1000)
        return fib_error_set(err, FIB_EINVAL,
                             "geometry: stair_steps must be in 1..1000 "
                             "(got %d)",
                             s->stair_steps);
    if (!(s->target_thickness_nm < s->rough_thickness_nm))
        return fib_error_set(err, FIB_EINVAL,
                             "geometry: target_thickness_nm (%g) must be "
                             "below rough_thickness_nm (%g)",
                             s->target_thickness_nm, s->rough_thickness_nm);
    if (!(s->milling_angle_deg > 0 && s->milling_angle_deg < 90))
        return fib_error_set(err, FIB_EINVAL,
                             "geometry: milling_angle_deg must be in (0, 90) "
                             "(got %g)",
                             s->milling_angle_deg);
    if (!(s->column_angle_deg > 0 && s->column_angle_deg < 90))
        return fib_error_set(err, FIB_EINVAL,
                             "geometry: column_angle_deg must be in (0, 90) "
                             "(got %g)",
                             s->column_angle_deg);
    double inc = s->column_angle_deg - s->undercut_tilt_deg;
    if (!(inc >= 10 && inc <= 80))
        return fib_error_set(err, FIB_EINVAL,
                             "geometry: undercut incidence (column_angle_deg "
                             "- undercut_tilt_deg = %g) must be in [10, 80] "
                             "deg",
                             inc);
    if (!(s->overtilt_deg >= 0 && s->overtilt_deg <= 10))
        return fib_error_set(err, FIB_EINVAL,
                             "geometry: overtilt_deg must be in [0, 10] "
                             "(got %g)",
                             s->overtilt_deg);
    if (!(s->polish_tilt_deg > 0 && s->polish_tilt_deg <= 20))
        return fib_error_set(err, FIB_EINVAL,
                             "geometry: polish_tilt_deg must be in (0, 20] "
                             "(got %g)",
                             s->polish_tilt_deg);
    if (!(s->taper_deg >= 0 && s->taper_deg <= 10))
        return fib_error_set(err, FIB_EINVAL,
                             "geometry: taper_deg must be in [0, 10] (got %g)",
                             s->taper_deg);
    if (!(s->lamella_width_um <= 1000 && s->lamella_height_um <= 1000 &&
          s->trench_length_um <= 1000))
        return fib_error_set(err, FIB_EINVAL,
                             "geometry: site sizes must be <= 1000 um");
    return FIB_OK;
}

double fib_geom_stair_volume(double w, double l, double d, int n)
{
    if (n < 1)
        n = 1;
    return w * l * d * (double)(n + 1) / (2.0 * (double)n);
}

double fib_geom_wedge_nm(const fib_geom_site *site)
{
    fib_geom_site s = *site;
    fib_geom_site_defaults(&s);
    double a = s.taper_deg - s.overtilt_deg;
    if (a < 0)
        a = 0;
    return 2.0 * s.window_height_um * 1000.0 * tan(rad(a));
}

/* Start a pattern. */
static void pat_init(fib_geom_pattern *p, fib_geom_kind kind,
                     fib_geom_scan scan, const char *name, double inc_deg)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->scan = scan;
    snprintf(p->name, sizeof p->name, "%s", name);
    p->incidence_deg = inc_deg;
    p->face_incidence_deg = 90.0;
}

/* Add a box; volume is area x depth x vfac (stair/ccs factors apply to the
 * volume only, the box keeps its outline). */
static void pat_box(fib_geom_pattern *p, double x0, double y0, double x1,
                    double y1, double depth, double vol)
{
    fib_geom_box *b = &p->box[p->n_boxes++];
    b->x0_um = x0;
    b->y0_um = y0;
    b->x1_um = x1;
    b->y1_um = y1;
    b->depth_um = depth;
    p->area_um2 += (x1 - x0) * (y1 - y0);
    if (depth > p->depth_um)
        p->depth_um = depth;
    p->volume_um3 += vol;
    p->removed_um3 += vol;
}

static void pat_rect(fib_geom_pattern *p, double x0, double y0, double x1,
                     double y1, double depth)
{
    pat_box(p, x0, y0, x1, y1, depth, (x1 - x0) * (y1 - y0) * depth);
}

/* The undercut (lift-out and waffle) into out[*n]. */
static void add_undercut(fib_geom_pattern *out, size_t *n,
                         const fib_geom_site *s, double tr, double xt,
                         bool lift)
{
    const double W = s->lamella_width_um, H = s->lamella_height_um;
    const double b = s->undercut_width_um;
    fib_geom_pattern *p;
    /* Undercut at incidence theta to the surface normal: the bar must
     * cross the lamella base (thickness tr) plus one bar width of
     * clearance, a path of (tr + b) / sin(theta) along the beam. */
    double th = s->column_angle_deg - s->undercut_tilt_deg;
    double du = (tr + b) / sin(rad(th));
    p = &out[(*n)++];
    pat_init(p, FIB_GEOM_UNDERCUT, FIB_GEOM_SCAN_BOX,
             s->undercut == FIB_GEOM_UNDERCUT_J ? "undercut-J" : "undercut-U",
             th);
    /* bottom bar, drawn below the lamella in the tilted view */
    double xr = s->undercut == FIB_GEOM_UNDERCUT_J && lift ? W / 2 : xt;
    pat_rect(p, -W / 2 - b, -tr / 2 - b, xr, -tr / 2, du);
    if (s->undercut == FIB_GEOM_UNDERCUT_U) {
        /* side bars over the projected lamella height H sin(theta) */
        double hp = H * sin(rad(th));
        pat_rect(p, -W / 2 - b, -tr / 2, -W / 2, -tr / 2 + hp, du);
        pat_rect(p, W / 2, -tr / 2, W / 2 + b, -tr / 2 + hp, du);
    }
    p->distance_um = 0;
}

/* The lift-out steps after the undercut: needle weld, cut free, grid
 * attach, needle cut. */
static void add_liftout(fib_geom_pattern *out, size_t *n,
                        const fib_geom_site *s, double tr, double D)
{
    const double W = s->lamella_width_um;
    const double b = s->undercut_width_um;
    fib_geom_pattern *p;
    /* Needle weld: a 2 x 2 um pad, 1 um of IBID Pt (RT) or condensed
     * ice (cryo), at the left end where the needle touches-> */
    p = &out[(*n)++];
    pat_init(p, FIB_GEOM_ATTACH, FIB_GEOM_SCAN_DEPOSIT,
             s->method == FIB_GEOM_CRYO_LIFTOUT ? "attach-ice" : "attach-weld",
             0.0);
    pat_rect(p, -W / 2 - 1.0, -1.0, -W / 2 + 1.0, 1.0, 1.0);
    p = &out[(*n)++];
    pat_init(p, FIB_GEOM_CUT_FREE, FIB_GEOM_SCAN_BOX, "cut-free", 0.0);
    if (s->undercut == FIB_GEOM_UNDERCUT_J) {
        /* the right-end bridge, full depth */
        pat_rect(p, W / 2, -tr / 2, W / 2 + b, tr / 2, D);
    } else {
        /* two 1 um top tabs at both ends */
        pat_rect(p, -W / 2 - b, -tr / 2, -W / 2, tr / 2, 1.0);
        pat_rect(p, W / 2, -tr / 2, W / 2 + b, tr / 2, 1.0);
    }
    p = &out[(*n)++];
    pat_init(p, FIB_GEOM_GRID_ATTACH, FIB_GEOM_SCAN_DEPOSIT, "grid-attach",
             0.0);
    pat_rect(p, W / 2 - 1.0, -1.0, W / 2 + 1.0, 1.0, 1.0);
    p = &out[(*n)++];
    pat_init(p, FIB_GEOM_NEEDLE_CUT, FIB_GEOM_SCAN_BOX, "needle-cut", 0.0);
    pat_rect(p, -W / 2 - 2.0, -1.5, -W / 2 - 1.0, 1.5, 2.0);
}

fib_status fib_geom_coarse(const fib_geom_site *site_in, fib_geom_pattern *out,
                           size_t cap, size_t *n_out, fib_error *err)
{
    fib_geom_site s = *site_in;
    fib_geom_site_defaults(&s);
    fib_status st = fib_geom_site_check(&s, err);
    if (st != FIB_OK)
        return st;
    if (cap < 16)
        return fib_error_set(err, FIB_ERANGE,
                             "geometry: pattern array too small (%zu < 16)",
                             cap);
    size_t n = 0;
    const double W = s.lamella_width_um, H = s.lamella_height_um;
    const double tr = s.rough_thickness_nm * 1e-3; /* um */
    const double m = s.margin_um > 0 ? s.margin_um : 0.0;
    const double D = H + s.depth_margin_um;
    const double L = s.trench_length_um;
    const double b = s.undercut_width_um;
    const double xt = W / 2 + m;
    const double gap = (s.rough_thickness_nm - s.target_thickness_nm) * 5e-4;
    const bool lift = is_liftout(s.method), grid = is_grid(s.method);
    /* Beam incidence on the top surface: lift-out and H-bar trenches are
     * milled with the stage tilted to the column angle (normal incidence);
     * on-grid lamellae are milled at the shallow milling angle. */
    const double inc_top =
        s.method == FIB_GEOM_ON_GRID ? 90.0 - s.milling_angle_deg : 0.0;
    fib_geom_pattern *p;
    /* Stress-relief slots (grid methods) are cut through intact film beside
     * the trench ends and the undercut bar (AutoLamella: slots at 10 um,
     * trenches 10 um wide): at least 0.5 um beyond both. */
    const bool undercut = lift || s.method == FIB_GEOM_WAFFLE;
    const double slot_gap = fmax(s.stress_relief_gap_um,
                                 fmax(xt, undercut ? W / 2 + b : W / 2) + 0.5);

    if (s.protect_thickness_um > 0) {
        p = &out[n++];
        pat_init(p, FIB_GEOM_PROTECT, FIB_GEOM_SCAN_DEPOSIT, "protect",
                 inc_top);
        /* a 3 um wide cap over the lamella position (NanoLab recipe:
         * 12 x 3 x 1 um) */
        pat_rect(p, -xt, -1.5, xt, 1.5, s.protect_thickness_um);
        p->distance_um = 0;
    }

    /* Fiducial: two crossed 1 x 10 x 1 um bars (AutoLamella "Fiducial",
     * drawn axis-aligned), centred 25 um from the lamella centre as
     * AutoLamella's Setup Lamella default (task-protocol.yaml: point x =
     * 25 um), and further out when another pattern of the site reaches
     * within FIDUCIAL_CLEAR_UM of its arms: the reach is the largest |x| of
     * the trenches (xt), the stress-relief slots (grid methods, outer edge
     * gap + 0.5), the undercut / cut-free bars (W/2 + b) and the needle cut
     * (W/2 + 2). */
    p = &out[n++];
    pat_init(p, FIB_GEOM_FIDUCIAL, FIB_GEOM_SCAN_BOX, "fiducial", inc_top);
    {
        double reach = fmax(xt, W / 2 + b);
        if (lift)
            reach = fmax(reach, W / 2 + 2.0);
        if (grid)
            reach = fmax(reach, slot_gap + 0.5);
        double fx = fmax(FIDUCIAL_X_UM, reach + FIDUCIAL_CLEAR_UM + 5.0);
        double fy = 0;
        pat_rect(p, fx - 0.5, fy - 5.0, fx + 0.5, fy + 5.0, 1.0);
        pat_rect(p, fx - 5.0, fy - 0.5, fx + 5.0, fy + 0.5, 1.0);
        p->distance_um = fx - 5.0 - W / 2;
    }

    /* Trenches, both sides. */
    p = &out[n++];
    bool stair = s.trench_style == FIB_GEOM_TRENCH_STAIR;
    pat_init(p, FIB_GEOM_TRENCH,
             stair ? FIB_GEOM_SCAN_STAIR : FIB_GEOM_SCAN_BOX, "trench",
             inc_top);
    for (int side = -1; side <= 1; side += 2) {
        double y0 = side > 0 ? tr / 2 : -tr / 2 - L;
        double y1 = side > 0 ? tr / 2 + L : -tr / 2;
        double v = stair ? fib_geom_stair_volume(2 * xt, L, D, s.stair_steps)
                         : 2 * xt * L * D;
        pat_box(p, -xt, y0, xt, y1, D, v);
    }
    p->distance_um = gap;

    if (lift && s.undercut == FIB_GEOM_UNDERCUT_J) {
        /* Side cut: frees the left end through the full depth at normal
         * incidence, before the stage is tilted for the undercut. */
        p = &out[n++];
        pat_init(p, FIB_GEOM_SIDE_CUT, FIB_GEOM_SCAN_BOX, "side-cut", 0.0);
        pat_rect(p, -W / 2 - b, -tr / 2, -W / 2, tr / 2, D);
        p->distance_um = 0;
    }

    if (lift || s.method == FIB_GEOM_WAFFLE)
        add_undercut(out, &n, &s, tr, xt, lift);
    if (grid) {
        /* Micro-expansion joints (Waffle paper; fibsem MicroExpansion):
         * two 0.5 um slots at +-gap from the centre, 1 um deep. */
        p = &out[n++];
        pat_init(p, FIB_GEOM_STRESS_RELIEF, FIB_GEOM_SCAN_BOX, "stress-relief",
                 inc_top);
        double g = slot_gap, hl = s.stress_relief_len_um / 2;
        pat_rect(p, -g - 0.5, -hl, -g, hl, 1.0);
        pat_rect(p, g, -hl, g + 0.5, hl, 1.0);
        p->distance_um = g - W / 2;
    }

    if (lift)
        add_liftout(out, &n, &s, tr, D);
    *n_out = n;
    return FIB_OK;
}

fib_status fib_geom_window(const fib_geom_site *site_in, fib_geom_kind kind,
                           const char *name, double from_nm, double to_nm,
                           fib_geom_pattern *out, fib_error *err)
{
    fib_geom_site s = *site_in;
    fib_geom_site_defaults(&s);
    if (!(to_nm > 0) || !(from_nm > to_nm))
        return fib_error_set(err, FIB_EINVAL,
                             "geometry: window must go from a larger to a "
                             "smaller thickness > 0 (got %g -> %g nm)",
                             from_nm, to_nm);
    if (kind != FIB_GEOM_THIN && kind != FIB_GEOM_POLISH)
        return fib_error_set(err, FIB_EINVAL,
                             "geometry: window kind must be thin or polish");
    const double W = s.lamella_width_um, H = s.window_height_um;
    const double slab = (from_nm - to_nm) * 5e-4; /* um per face */
    const double inc_top =
        s.method == FIB_GEOM_ON_GRID ? 90.0 - s.milling_angle_deg : 0.0;
    double yi = to_nm * 5e-4;
    if (kind == FIB_GEOM_POLISH) {
        /* face-on at the polish tilt: drawn as the slab on each face */
        double th = 90.0 - s.polish_tilt_deg;
        pat_init(out, kind, FIB_GEOM_SCAN_BOX,
                 name ? name : fib_geom_kind_name(kind), th);
        pat_rect(out, -W / 2, yi, W / 2, yi + slab, s.polish_depth_um);
        pat_rect(out, -W / 2, -yi - slab, W / 2, -yi, s.polish_depth_um);
        out->face_incidence_deg = th;
    } else {
        pat_init(out, kind, FIB_GEOM_SCAN_CCS,
                 name ? name : fib_geom_kind_name(kind), inc_top);
        double yo = yi + slab + s.thin_overlap_um;
        pat_rect(out, -W / 2, yi, W / 2, yo, H);
        pat_rect(out, -W / 2, -yo, W / 2, -yi, H);
        out->face_incidence_deg = 90.0 - s.overtilt_deg;
    }
    out->removed_um3 = W * (kind == FIB_GEOM_POLISH ? s.polish_depth_um : H) *
                       (from_nm - to_nm) * 1e-3;
    out->distance_um = (to_nm - s.target_thickness_nm) * 5e-4;
    if (out->distance_um < 0)
        out->distance_um = 0;
    out->thickness_before_nm = from_nm;
    out->thickness_after_nm = to_nm;
    return FIB_OK;
}
