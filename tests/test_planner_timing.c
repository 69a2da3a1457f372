/* test_planner_timing.c -- the planner against published timings: the
 * instrument's own times in Thermo pattern files (Ga and Xe PFIB), the
 * fibsem-os measured trench and overheads (fibsem/timing.py), and the
 * SerialFIB time-controlled protocols (roughmill.pro + finemill.pro,
 * Arctis_WaffleDev/04_lamellamill.pro).  Sources and values:
 * shared/reference/planner-physics.md sec. 1.1, 1.2, 5.1 and the
 * calibration table (sec. 6).  planner/PLANNER.md has the table of model
 * vs published numbers these tests pin. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fib/physics.h"
#include "fib/planner.h"
#include "fib_test.h"

static fib_plan_materials *db;

static void setup(void)
{
    ck_assert_int_eq(fib_plan_materials_create(&db, NULL), FIB_OK);
}

static void teardown(void)
{
    fib_plan_materials_destroy(db);
    db = NULL;
}

/* A sample of one semi-infinite layer, no cap. */
static void sample(fib_plan_request *r, const char *mat, bool cryo,
                   const char *app)
{
    memset(r, 0, sizeof *r);
    r->roi_layer = -1;
    r->n_layers = 1;
    snprintf(r->layers[0].material, sizeof r->layers[0].material, "%s", mat);
    r->site.protect_thickness_um = -1;
    r->cryo = cryo;
    snprintf(r->application, sizeof r->application, "%s", app);
}

/* A pattern of @p n equal boxes w x h x depth (um), side by side. */
static fib_geom_pattern boxes(fib_geom_kind kind, int n, double w, double h,
                              double depth)
{
    fib_geom_pattern g;
    memset(&g, 0, sizeof g);
    g.kind = kind;
    g.n_boxes = n;
    for (int i = 0; i < n; i++)
        g.box[i] = (fib_geom_box){0, i * 2 * h, w, i * 2 * h + h, depth};
    g.area_um2 = n * w * h;
    g.depth_um = depth;
    g.volume_um3 = n * w * h * depth;
    g.removed_um3 = g.volume_um3;
    return g;
}

static fib_plan_stage_result stage(const fib_plan_request *r, fib_plan_ion ion,
                                   const fib_geom_pattern *g, double pA,
                                   double time_s)
{
    fib_plan_stage st;
    memset(&st, 0, sizeof st);
    st.pattern = *g;
    st.ion.ion = ion;
    st.current_pA = pA;
    st.time_s = time_s;
    fib_plan_stage_result out;
    fib_error err = {0};
    ck_assert_msg(fib_plan_stage_solve(r, &st, db, &out, &err) == FIB_OK, "%s",
                  err.msg);
    return out;
}

/* Thermo pattern files (SerialFIB TemplatePatterns, xT exports): the
 * instrument's TotalTime from the drawn box, the application's VPD and the
 * current.  Ga (Aquilos): regular.ptf Si 94.6 x 31.5 x 1.0 um at 58.4 pA,
 * 189 303 s.  Xe PFIB (TemplatePatterns/PFIB): regular.ptf Si 92.628 x
 * 19.335 x 1.9032 um -> 90 440 s; clean_cross.ptf Si-ccs 82.286 x 19.335 x
 * 2.9997 um -> 43 737 s; cross.ptf Si-multipass 85.434 x 17.536 x 10.0 um
 * -> 125 891 s; all at 99.2 pA (the current these TotalTimes imply with
 * their VPDs 0.38, 1.1, 1.2 um^3/nC).  And the PFIB probe: TotalDiameter
 * 232 nm at that current. */
START_TEST(test_pattern_files)
{
    static const struct {
        fib_plan_ion ion;
        const char *app;
        double w, h, d, pA, total_s, vpd;
    } f[] = {
        {FIB_PLAN_ION_GA, "Si", 94.6, 31.5, 1.0, 58.4, 189303, 0.27},
        {FIB_PLAN_ION_XE, "Si", 92.628, 19.335, 1.9032, 99.2, 90440, 0.38},
        {FIB_PLAN_ION_XE, "Si-ccs", 82.286, 19.335, 2.9997, 99.2, 43737, 1.1},
        {FIB_PLAN_ION_XE, "Si-multipass", 85.434, 17.536, 10.0, 99.2, 125891,
         1.2},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        fib_plan_request r;
        sample(&r, "Si", true, f[i].app);
        fib_geom_pattern g =
            boxes(FIB_GEOM_FIDUCIAL, 1, f[i].w, f[i].h, f[i].d);
        fib_plan_stage_result o = stage(&r, f[i].ion, &g, f[i].pA, 0);
        ck_assert_double_eq_tol(o.vpd_um3_per_nC, f[i].vpd, 1e-12);
        ck_assert_msg(fib_test_rel(o.instrument_time_s, f[i].total_s) < 0.002,
                      "%s %s: %g s vs TotalTime %g s",
                      f[i].ion == FIB_PLAN_ION_GA ? "Ga" : "Xe", f[i].app,
                      o.instrument_time_s, f[i].total_s);
    }
    double d = 0;
    ck_assert_int_eq(fib_plan_probe_diameter_nm(fib_plan_column_find("xe-pfib"),
                                                30, 99.2, &d, NULL),
                     FIB_OK);
    ck_assert_msg(fib_test_rel(d, 232.0) < 0.01, "Xe probe %g nm", d);
    /* the Ga TotalDiameter 19 nm at 58.4 pA is the Helios table's beam */
    ck_assert_int_eq(fib_plan_probe_diameter_nm(fib_plan_column_find("ga-lmis"),
                                                30, 58.4, &d, NULL),
                     FIB_OK);
    ck_assert_msg(fib_test_rel(d, 19.0) < 0.2, "Ga probe %g nm", d);
}
END_TEST

/* fibsem-os's own estimator (fibsem/milling/base.py
 * estimate_milling_time, fibsem/milling/config.py MILLING_SPUTTER_RATE):
 * t = 0.75 x V' / (r_k x I / k), k the table current nearest to I, r_k its
 * rate (um^3/s), V' = 0.66 V for a cleaning cross-section. */
static double fibsem_estimate_s(double V_um3, double I_nA, bool ccs)
{
    static const double key_nA[] = {0.02, 0.2, 0.74, 0.89, 2.0,
                                    2.4,  6.2, 7.6,  28.0};
    static const double rate[] = {6.85e-3,  6.578e-2, 3.349e-1,
                                  3.920e-1, 9.549e-1, 1.309,
                                  2.907,    3.041,    1.18e1};
    size_t b = 0;
    for (size_t k = 1; k < sizeof key_nA / sizeof key_nA[0]; k++)
        if (fabs(key_nA[k] - I_nA) < fabs(key_nA[b] - I_nA))
            b = k;
    return 0.75 * (ccs ? 0.66 : 1.0) * V_um3 / (rate[b] * I_nA / key_nA[b]);
}

/* fibsem-os fibsem/timing.py: an AutoLamella Rough Mill 01 trench (CCS,
 * Si-ccs, 0.74 nA, cryo lamella) milled in 146.2 s; xT estimated 102.4 s,
 * fibsem-os's formula 236.5 s (2.3x).
 *
 * What was milled.  The formula is deterministic, and on the same run
 * (PR #431: Rough Mill 01 236.5 s, Rough Mill 02 571.9 s, stress relief
 * 30.7 s) it reproduces RM02 and the relief exactly with the default
 * task-protocol.yaml geometry, but gives 206.9 s for the default RM01
 * (2 x 10 x 3.5 x 2 um): the run's RM01 had V / I = 216.2 um^3/nA, not
 * the default's 189.2 (14 % more volume per current, e.g. 4 um trench
 * heights; the time fixes only V / I).
 *
 * Instrument model: the drawn pattern's xT time V / (VPD I) = 108.1 s
 * with Si-ccs 2.0 (xT's own estimate 102.4 s, 5 % less: its calibrated
 * current of the 0.74 nA aperture or its VPD, unknown), plus the trench
 * pattern set-up measured in that run (timing.py: "0 s on a rectangle,
 * 15 s on a trench") = 123.1 s: -16 % against 146.2 s.  The remaining
 * ~23 s are not accounted for by any source read (planner/PLANNER.md,
 * "Timing validation").  With the default geometry the same model gives
 * 109.6 s (-25 %): the geometry, not the model, was most of the gap.
 * The physical time to reach 2 um of ice (1.0 um^3/nC, redeposition) is
 * not what the instrument ran (it runs the commanded dose), and is kept
 * only as the bound it is. */
START_TEST(test_fibsem_trench)
{
    /* the fibsem-os formula on that run: RM02 (2 x 9.5 x 2 x 2 um CCS,
     * 0.2 nA) and the relief (2 x 0.5 x 18 x 1 um, 1 nA) as published */
    ck_assert(fabs(fibsem_estimate_s(76.0, 0.2, true) - 571.9) < 0.05);
    ck_assert(fabs(fibsem_estimate_s(18.0, 1.0, false) - 30.7) < 0.05);
    ck_assert(fabs(fibsem_estimate_s(140.0, 0.74, true) - 206.9) < 0.05);
    /* RM01 as run: V / I from its 236.5 s */
    double v_per_nA = 236.5 / fibsem_estimate_s(1.0, 0.74, true) / 0.74;
    ck_assert(fabs(v_per_nA - 216.2) < 0.05);
    ck_assert(fabs(v_per_nA - 140.0 / 0.74) > 25.0); /* not the default */

    fib_plan_request r;
    sample(&r, "ice", true, "Si-ccs");
    /* 2 x (10 x 4 x 2 um) at 0.74 nA: V / I = 216.2 um^3/nA */
    fib_geom_pattern g = boxes(FIB_GEOM_TRENCH, 2, 10.0, 4.0, 2.0);
    g.scan = FIB_GEOM_SCAN_CCS;
    ck_assert(fabs(g.volume_um3 / 0.74 - v_per_nA) < 0.05);
    fib_plan_stage_result o = stage(&r, FIB_PLAN_ION_GA, &g, 740, 0);
    ck_assert_double_eq_tol(o.instrument_time_s, 160 / (2.0 * 0.74), 1e-9);
    ck_assert(fib_test_rel(o.instrument_time_s, 102.4) < 0.06); /* xT */
    ck_assert_double_eq(o.setup_s, 15.0);
    ck_assert_double_eq_tol(o.wall_time_s, o.instrument_time_s + 15.0, 1e-9);
    double e_wall = o.wall_time_s / 146.2 - 1;
    ck_assert_msg(e_wall > -0.20 && e_wall < -0.10, "wall %+.3f", e_wall);
    /* xT's own estimate + the set-up: -19.7 % */
    ck_assert(fabs((102.4 + o.setup_s) / 146.2 - 1 + 0.197) < 0.001);
    /* a rectangle pays no set-up */
    fib_geom_pattern gr = g;
    gr.scan = FIB_GEOM_SCAN_BOX;
    ck_assert_double_eq(stage(&r, FIB_PLAN_ION_GA, &gr, 740, 0).setup_s, 0.0);

    /* the default geometry (what the test assumed before): -25 % */
    fib_geom_pattern gd = boxes(FIB_GEOM_TRENCH, 2, 10.0, 3.5, 2.0);
    gd.scan = FIB_GEOM_SCAN_CCS;
    fib_plan_stage_result od = stage(&r, FIB_PLAN_ION_GA, &gd, 740, 0);
    ck_assert_double_eq_tol(od.instrument_time_s, 140 / (2.0 * 0.74), 1e-9);
    double e_def = od.wall_time_s / 146.2 - 1;
    ck_assert_msg(e_def > -0.30 && e_def < -0.20, "default %+.3f", e_def);

    /* the physical solve: 2 um of ice at 1.0 um^3/nC with redeposition in
     * the 4 um box, and the depth to enter with Si-ccs */
    const fib_plan_material *ice = fib_plan_materials_find(db, "ice");
    double k = ice->redep_k > 0 ? ice->redep_k : FIB_PLAN_REDEP_K_DEFAULT;
    double t_phys = 160 / (1.0 * 0.74) * (1 + k * 2 / (2 * 4.0));
    ck_assert(fib_test_rel(o.time_s, t_phys) < 1e-9);
    ck_assert(fib_test_rel(o.physical_depth_um, 2.0) < 1e-9);
    ck_assert(fib_test_rel(o.commanded_depth_um,
                           2.0 * 2.0 * (1 + k * 2 / 8.0)) < 1e-9);
    ck_assert(fib_test_rel(od.time_s, 140 / (1.0 * 0.74) * (1 + k * 2 / 7.0)) <
              1e-9);
    /* a time-controlled run of 146.2 s at 0.74 nA reaches 1.3-1.6 um of
     * ice by the model in either geometry: the dose xT gave is short of
     * the 2 um the physical solve asks for */
    o = stage(&r, FIB_PLAN_ION_GA, &gd, 740, 146.2);
    ck_assert_double_eq_tol(o.time_s, 146.2, 1e-12);
    ck_assert_double_eq_tol(o.wall_time_s, 146.2 + 15.0, 1e-12);
    ck_assert(o.physical_depth_um > 1.2 && o.physical_depth_um < 1.6);
    o = stage(&r, FIB_PLAN_ION_GA, &g, 740, 146.2);
    ck_assert(o.physical_depth_um > 1.1 && o.physical_depth_um < 1.6);
}
END_TEST

/* SerialFIB protocols are time-controlled (run_milling stops each
 * pattern after Time): the planner takes current and time as the command
 * and reproduces the protocol time exactly, with the dose I t and the
 * depth that dose reaches.  Aquilos Ga on-grid: roughmill.pro 300 pA
 * 120 s, 100 pA 120 + 90 + 90 s; finemill.pro 50 pA 60 + 60 + 60 + 30 +
 * 30 s = 660 s, 78 nC.  Arctis Xe 04_lamellamill.pro: 1.0/0.5/0.5/0.3/
 * 0.1/0.05 nA for 300/300/300/300/180/90 s = 1470 s, 712.5 nC.  Geometry
 * per step: two boxes (Side=both) thickness_patterns tall, of a lamella
 * width the .pro does not hold (drawn in the GUI; 10 um assumed). */
START_TEST(test_serialfib_protocols)
{
    static const struct {
        double pA, s, lam_um, pat_um;
    } ga[] = {{300, 120, 3.0, 6.0}, {100, 120, 2.0, 2.0}, {100, 90, 1.5, 1.5},
              {100, 90, 0.8, 1.0},  {50, 60, 0.6, 1.0},   {50, 60, 0.5, 1.0},
              {50, 60, 0.5, 1.0},   {50, 30, 0.3, 0.8},   {50, 30, 0.25, 0.6}},
      xe[] = {{1000, 300, 5.0, 7.0}, {500, 300, 3.0, 3.0}, {500, 300, 2.0, 3.0},
              {300, 300, 1.0, 3.0},  {100, 180, 0.5, 2.0}, {50, 90, 0.4, 1.0}};
    fib_plan_request r;
    sample(&r, "ice", true, "Si-ccs");
    double t = 0, q = 0, z_first = 0;
    for (size_t i = 0; i < sizeof ga / sizeof ga[0]; i++) {
        fib_geom_pattern g = boxes(FIB_GEOM_THIN, 2, 10.0, ga[i].pat_um, 1.0);
        fib_plan_stage_result o =
            stage(&r, FIB_PLAN_ION_GA, &g, ga[i].pA, ga[i].s);
        t += o.time_s;
        q += o.dose_nC;
        if (i == 0)
            z_first = o.physical_depth_um;
        /* ice at 1.0 um^3/nC: depth = dose / area (no redeposition in a
         * thinning window) */
        ck_assert(fib_test_rel(o.physical_depth_um,
                               o.dose_nC * 1.0 / g.area_um2) < 1e-9);
    }
    ck_assert_double_eq_tol(t, 660.0, 1e-9);
    ck_assert_double_eq_tol(q, 78.0, 1e-9);
    ck_assert(fib_test_rel(z_first, 36.0 / 120.0) < 1e-9);
    t = q = 0;
    for (size_t i = 0; i < sizeof xe / sizeof xe[0]; i++) {
        fib_geom_pattern g = boxes(FIB_GEOM_THIN, 2, 10.0, xe[i].pat_um, 1.0);
        fib_plan_stage_result o =
            stage(&r, FIB_PLAN_ION_XE, &g, xe[i].pA, xe[i].s);
        t += o.time_s;
        q += o.dose_nC;
        ck_assert_double_eq_tol(o.vpd_um3_per_nC, 1.1, 1e-12); /* PFIB ccs */
    }
    ck_assert_double_eq_tol(t, 1470.0, 1e-9);
    ck_assert_double_eq_tol(q, 712.5, 1e-9);
}
END_TEST

/* fibsem-os timing.py overheads (p90, Thermo): current change 20.5 s,
 * paid twice per milling task; absolute / relative stage move 8.0 / 6.5
 * s; FM objective insert / retract 18.5 / 19.6 s.  The defaults are these,
 * and every milling step of a plan pays 2 x 20.5 s. */
START_TEST(test_overheads)
{
    fib_plan_overheads o;
    memset(&o, 0, sizeof o);
    fib_plan_overheads_defaults(&o);
    ck_assert_double_eq(o.current_change_s, 20.5);
    ck_assert_double_eq(o.stage_move_s, 8.0);
    ck_assert_double_eq(o.stage_move_relative_s, 6.5);
    ck_assert_double_eq(o.objective_insert_s, 18.5);
    ck_assert_double_eq(o.objective_retract_s, 19.6);
    ck_assert_double_eq(o.pattern_setup_s, 15.0);
    fib_plan_request r;
    fib_plan_request_default(&r);
    fib_plan *p = NULL;
    fib_error err = {0};
    ck_assert_int_eq(
        fib_plan_create(&r, 0, FIB_PLAN_LADDER_DEFAULT, db, &p, &err), FIB_OK);
    ck_assert_double_eq(fib_plan_step_get(p, 0)->overhead_stage_s, 8.0);
    size_t n_cs = 0;
    for (size_t i = 0; i < fib_plan_step_count(p); i++) {
        const fib_plan_step *s = fib_plan_step_get(p, i);
        ck_assert_double_eq(s->overhead_current_s, s->mills ? 41.0 : 0.0);
        /* cross-section patterns (CCS windows, stair trenches) pay the
         * pattern set-up in overhead_other_s, rectangles do not */
        bool cs = s->mills && (s->pattern.scan == FIB_GEOM_SCAN_CCS ||
                               s->pattern.scan == FIB_GEOM_SCAN_STAIR);
        n_cs += cs;
        if (s->mills && !cs && s->pattern.kind == FIB_GEOM_FIDUCIAL)
            ck_assert(s->overhead_other_s < 15.0);
        if (cs)
            ck_assert(s->overhead_other_s >= 15.0);
    }
    ck_assert_uint_ge(n_cs, 3);
    fib_plan_destroy(p);
}
END_TEST

/* Issue 12: with the cryo-condensed Pt cap (0.1 um^3/nC) and Si-ccs an
 * on-grid trench still reaches its depth; the depth to enter grows to
 * carry the dose through the cap.  Low-kV: the 5 kV NMC811 polish takes
 * off the 30 kV damage (it removed 0.002 um against 12.9 nm before); on
 * Li (0.245 um per face on a 341 nm lamella before) it takes off only the
 * planned slab. */
START_TEST(test_depth_solve_cases)
{
    fib_plan_request r;
    sample(&r, "S8", true, "Si-ccs");
    r.site.protect_thickness_um = 0.5;
    fib_geom_pattern g = boxes(FIB_GEOM_TRENCH, 2, 10.0, 3.5, 3.0);
    fib_plan_stage_result o = stage(&r, FIB_PLAN_ION_GA, &g, 7600, 0);
    ck_assert(fib_test_rel(o.physical_depth_um, 3.0) < 1e-9);
    ck_assert_msg(o.commanded_depth_um > 3.0 * 3, "enter %g um",
                  o.commanded_depth_um);
    /* the cap alone: 0.5 um at 0.1 um^3/nC = 5 nC/um^2 = 10 um of Si-ccs */
    ck_assert(o.commanded_depth_um > 10.0);
    /* the same dose as a time-controlled stage reaches the same depth */
    fib_plan_stage_result o2 = stage(&r, FIB_PLAN_ION_GA, &g, 7600, o.time_s);
    ck_assert(fib_test_rel(o2.physical_depth_um, 3.0) < 1e-6);

    static const char *mats[] = {"NMC811", "Li"};
    for (int m = 0; m < 2; m++) {
        fib_plan_request q;
        sample(&q, mats[m], m == 1, "Si");
        q.n_ions = 1;
        q.ions[0].ion = FIB_PLAN_ION_GA;
        q.polish_kV_given = true;
        q.n_polish_kV = 1;
        q.polish_kV[0] = 5.0;
        fib_plan *p = NULL;
        fib_error err = {0};
        ck_assert_int_eq(
            fib_plan_create(&q, 0, FIB_PLAN_LADDER_DEFAULT, db, &p, &err),
            FIB_OK);
        const fib_plan_step *pol = NULL, *prev = NULL;
        for (size_t i = 0; i < fib_plan_step_count(p); i++) {
            const fib_plan_step *s = fib_plan_step_get(p, i);
            if (s->pattern.kind == FIB_GEOM_POLISH)
                pol = s;
            else if (s->pattern.kind == FIB_GEOM_THIN)
                prev = s;
        }
        ck_assert_ptr_nonnull(pol);
        double slab = (pol->thickness_before_nm - pol->thickness_after_nm) / 2;
        ck_assert(fib_test_rel(pol->removed_per_face_nm, slab) < 1e-9);
        ck_assert(pol->removed_per_face_nm >=
                  1.25 * prev->damage_depth_nm - 1e-9);
        ck_assert(2 * pol->removed_per_face_nm < pol->thickness_before_nm);
        /* damage after = max(5 kV damage, 30 kV damage - slab) = 5 kV */
        ck_assert(pol->damage_depth_nm < prev->damage_depth_nm);
        ck_assert(fib_test_rel(fib_plan_final_damage_nm(p),
                               pol->damage_depth_nm) < 1e-12);
        fib_plan_destroy(p);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("planner_timing");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_pattern_files);
    tcase_add_test(tc, test_fibsem_trench);
    tcase_add_test(tc, test_serialfib_protocols);
    tcase_add_test(tc, test_overheads);
    tcase_add_test(tc, test_depth_solve_cases);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
