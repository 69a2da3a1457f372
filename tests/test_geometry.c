/* test_geometry.c -- lamella-site patterns against hand calculations. */
#include <math.h>
#include <string.h>

#include "fib/geometry.h"
#include "fib_test.h"

static const fib_geom_pattern *find(const fib_geom_pattern *p, size_t n,
                                    fib_geom_kind k)
{
    for (size_t i = 0; i < n; i++)
        if (p[i].kind == k)
            return &p[i];
    return NULL;
}

/* Default lift-out: W 15, H 5, rough 2 um, margin 2, depth 6, length 9. */
START_TEST(test_liftout_stair)
{
    fib_geom_site s = {.method = FIB_GEOM_LIFTOUT};
    fib_geom_pattern p[16];
    size_t n = 0;
    fib_error err = {0};
    ck_assert_int_eq(fib_geom_coarse(&s, p, 16, &n, &err), FIB_OK);
    const fib_geom_pattern *t = find(p, n, FIB_GEOM_TRENCH);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->n_boxes, 2);
    /* stair: 2 x 19 x 9 x 6 x (5+1)/(2*5) = 1231.2 um^3 */
    ck_assert_double_eq_tol(t->volume_um3, 1231.2, 1e-9);
    ck_assert_double_eq_tol(t->area_um2, 2 * 19 * 9.0, 1e-9);
    ck_assert_double_eq_tol(t->depth_um, 6.0, 1e-12);
    ck_assert_double_eq_tol(t->incidence_deg, 0.0, 1e-12);
    ck_assert_double_eq_tol(t->distance_um, (2000 - 100) * 5e-4, 1e-12);
    /* side cut 1 x 2 x 6 */
    const fib_geom_pattern *sc = find(p, n, FIB_GEOM_SIDE_CUT);
    ck_assert_ptr_nonnull(sc);
    ck_assert_double_eq_tol(sc->volume_um3, 12.0, 1e-12);
    /* J undercut at 52 deg: bar 16 x 1, depth (2 + 1)/sin 52 */
    const fib_geom_pattern *u = find(p, n, FIB_GEOM_UNDERCUT);
    ck_assert_ptr_nonnull(u);
    double du = 3.0 / sin(52.0 * 3.14159265358979323846 / 180.0);
    ck_assert_double_eq_tol(u->volume_um3, 16.0 * du, 1e-9);
    ck_assert_double_eq_tol(u->incidence_deg, 52.0, 1e-12);
    ck_assert_ptr_nonnull(find(p, n, FIB_GEOM_ATTACH));
    const fib_geom_pattern *cf = find(p, n, FIB_GEOM_CUT_FREE);
    ck_assert_double_eq_tol(cf->volume_um3, 12.0, 1e-12);
    ck_assert_ptr_nonnull(find(p, n, FIB_GEOM_GRID_ATTACH));
    ck_assert_ptr_nonnull(find(p, n, FIB_GEOM_NEEDLE_CUT));
    ck_assert_ptr_null(find(p, n, FIB_GEOM_STRESS_RELIEF));
    /* protective cap 19 x 3 x 1 um */
    ck_assert_double_eq_tol(find(p, n, FIB_GEOM_PROTECT)->volume_um3, 57.0,
                            1e-9);
}
END_TEST

START_TEST(test_box_and_u)
{
    fib_geom_site s = {.method = FIB_GEOM_CRYO_LIFTOUT,
                       .trench_style = FIB_GEOM_TRENCH_BOX,
                       .undercut = FIB_GEOM_UNDERCUT_U,
                       .undercut_tilt_deg = 7.0};
    fib_geom_pattern p[16];
    size_t n = 0;
    ck_assert_int_eq(fib_geom_coarse(&s, p, 16, &n, NULL), FIB_OK);
    const fib_geom_pattern *t = find(p, n, FIB_GEOM_TRENCH);
    ck_assert_double_eq_tol(t->volume_um3, 2 * 19 * 9 * 6.0, 1e-9);
    ck_assert_ptr_null(find(p, n, FIB_GEOM_SIDE_CUT));
    const fib_geom_pattern *u = find(p, n, FIB_GEOM_UNDERCUT);
    double th = 45.0 * 3.14159265358979323846 / 180.0;
    double du = 3.0 / sin(th), hp = 5.0 * sin(th);
    /* bottom bar (15 + 2 x 2 + 1) x 1 = 19... : x from -8.5 to 9.5 */
    double v = 18.0 * 1.0 * du + 2 * (1.0 * hp * du);
    ck_assert_int_eq(u->n_boxes, 3);
    ck_assert_double_eq_tol(u->volume_um3, v, 1e-9);
    ck_assert_double_eq_tol(u->incidence_deg, 45.0, 1e-12);
    /* U: cut-free = two 1 x 2 x 1 tabs */
    ck_assert_double_eq_tol(find(p, n, FIB_GEOM_CUT_FREE)->volume_um3, 4.0,
                            1e-12);
}
END_TEST

/* AutoLamella on-grid Rough Mill 01 geometry: 10 um wide, 3.5 um trench
 * height, spacing 4.6 um, depth 2 um -> 2 x 10 x 3.5 x 2 = 140 um^3. */
START_TEST(test_on_grid_case_a)
{
    fib_geom_site s = {.method = FIB_GEOM_ON_GRID,
                       .lamella_width_um = 10,
                       .lamella_height_um = 1.0,
                       .depth_margin_um = 1.0,
                       .rough_thickness_nm = 4600,
                       .target_thickness_nm = 300,
                       .trench_length_um = 3.5,
                       .trench_style = FIB_GEOM_TRENCH_BOX,
                       .protect_thickness_um = -1};
    fib_geom_pattern p[16];
    size_t n = 0;
    ck_assert_int_eq(fib_geom_coarse(&s, p, 16, &n, NULL), FIB_OK);
    ck_assert_ptr_null(find(p, n, FIB_GEOM_PROTECT));
    const fib_geom_pattern *t = find(p, n, FIB_GEOM_TRENCH);
    ck_assert_double_eq_tol(t->volume_um3, 140.0, 1e-9);
    ck_assert_double_eq_tol(t->incidence_deg, 75.0, 1e-12);
    /* inner edges at +-2.3 um */
    ck_assert_double_eq_tol(t->box[1].y0_um, 2.3, 1e-12);
    /* stress relief 2 x (0.5 x 18 x 1) = 18 um^3 (Case A row) */
    const fib_geom_pattern *sr = find(p, n, FIB_GEOM_STRESS_RELIEF);
    ck_assert_double_eq_tol(sr->volume_um3, 18.0, 1e-12);
    ck_assert_ptr_null(find(p, n, FIB_GEOM_UNDERCUT));
}
END_TEST

START_TEST(test_window)
{
    fib_geom_site s = {.method = FIB_GEOM_LIFTOUT};
    fib_geom_pattern w;
    ck_assert_int_eq(
        fib_geom_window(&s, FIB_GEOM_THIN, "thin-1", 2000, 1000, &w, NULL),
        FIB_OK);
    /* per face: slab 0.5 + overlap 0.2 = 0.7 um tall, 15 wide, window
     * 4 um deep (min(H = 5, 4)) */
    ck_assert_double_eq_tol(w.volume_um3, 2 * 0.7 * 15 * 4.0, 1e-9);
    ck_assert_double_eq_tol(w.removed_um3, 15 * 4 * 1.0, 1e-9);
    ck_assert_double_eq_tol(w.depth_um, 4.0, 1e-12);
    ck_assert_double_eq_tol(w.box[0].y0_um, 0.5, 1e-12);
    ck_assert_double_eq_tol(w.face_incidence_deg, 89.0, 1e-12);
    ck_assert_double_eq_tol(w.distance_um, 0.45, 1e-12);
    /* wedge over the 4 um window: 2 x 4000 nm x tan(0.5 deg) = 69.8 nm */
    ck_assert_double_eq_tol(fib_geom_wedge_nm(&s),
                            2 * 4000 * tan(0.5 * 3.14159265358979 / 180), 1e-6);
    /* low-kV polish face-on: commanded volume = slab over the polishing
     * depth (lift-out default min(window 4, 2) = 2 um), 2 x 15 x 2 x 0.02 */
    ck_assert_int_eq(
        fib_geom_window(&s, FIB_GEOM_POLISH, "p", 140, 100, &w, NULL), FIB_OK);
    ck_assert_double_eq_tol(w.volume_um3, 2 * 15 * 2 * 0.02, 1e-9);
    ck_assert_double_eq_tol(w.depth_um, 2.0, 1e-12);
    ck_assert_double_eq_tol(w.volume_um3, w.removed_um3, 1e-12);
    ck_assert_double_eq_tol(w.incidence_deg, 85.0, 1e-12);
    fib_error err = {0};
    ck_assert_int_eq(
        fib_geom_window(&s, FIB_GEOM_THIN, "x", 100, 200, &w, &err),
        FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "geometry"));
}
END_TEST

START_TEST(test_bad_site)
{
    fib_geom_site s = {.method = FIB_GEOM_LIFTOUT, .lamella_width_um = -3};
    fib_geom_pattern p[16];
    size_t n;
    fib_error err = {0};
    ck_assert_int_eq(fib_geom_coarse(&s, p, 16, &n, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "lamella_width_um"));
    fib_geom_site s2 = {.target_thickness_nm = 3000};
    fib_error_clear(&err);
    ck_assert_int_eq(fib_geom_coarse(&s2, p, 16, &n, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "target_thickness_nm"));
    ck_assert_int_eq(fib_geom_coarse(&s, p, 4, &n, NULL), FIB_EINVAL);
    fib_geom_site s3 = {.method = FIB_GEOM_ON_GRID};
    ck_assert_int_eq(fib_geom_coarse(&s3, p, 16, &n, NULL), FIB_OK);
    /* fiducial: 2 x (1 x 10 x 1) um (AutoLamella, Case A) */
    ck_assert_double_eq_tol(find(p, n, FIB_GEOM_FIDUCIAL)->volume_um3, 20.0,
                            1e-12);
    ck_assert_double_eq_tol(fib_geom_stair_volume(2, 3, 4, 1), 24.0, 1e-12);
    fib_geom_method m;
    ck_assert(fib_geom_method_parse("cryo-liftout", &m));
    ck_assert_int_eq(m, FIB_GEOM_CRYO_LIFTOUT);
    ck_assert(!fib_geom_method_parse("teleport", &m));
}
END_TEST

/* Interiors of two boxes intersect (touching edges do not count). */
static bool boxes_overlap(const fib_geom_box *a, const fib_geom_box *b)
{
    const double e = 1e-9;
    return a->x0_um < b->x1_um - e && b->x0_um < a->x1_um - e &&
           a->y0_um < b->y1_um - e && b->y0_um < a->y1_um - e;
}

/* Features that must stand apart from every other pattern of the site:
 * the fiducial (AutoLamella places it 25 um out, beyond the stress-relief
 * slots) and the stress-relief slots (cut through intact film beside the
 * trench ends).  Every method, both undercuts and trench styles, narrow to
 * wide lamellae, slot gaps from inside the trench to far out. */
START_TEST(test_features_apart)
{
    static const double widths[] = {4, 10, 15, 30};
    static const double gaps[] = {0, 3, 6, 25};
    size_t n_checked = 0;
    for (int m = 0; m < FIB_GEOM_METHOD_COUNT_; m++)
        for (int u = 0; u < 2; u++)
            for (int ts = 0; ts < 2; ts++)
                for (size_t w = 0; w < 4; w++)
                    for (size_t g = 0; g < 4; g++) {
                        fib_geom_site s = {.method = (fib_geom_method)m};
                        s.undercut = (fib_geom_undercut)u;
                        s.trench_style = (fib_geom_trench_style)ts;
                        s.lamella_width_um = widths[w];
                        s.stress_relief_gap_um = gaps[g];
                        fib_geom_pattern p[18];
                        size_t n = 0;
                        fib_error err = {0};
                        ck_assert_msg(fib_geom_coarse(&s, p, 16, &n, &err) ==
                                          FIB_OK,
                                      "%s", err.msg);
                        /* and the first thinning window */
                        fib_geom_site d = s;
                        fib_geom_site_defaults(&d);
                        ck_assert_int_eq(
                            fib_geom_window(&s, FIB_GEOM_THIN, "thin",
                                            d.rough_thickness_nm,
                                            d.target_thickness_nm, &p[n], &err),
                            FIB_OK);
                        n++;
                        const fib_geom_pattern *fd =
                            find(p, n, FIB_GEOM_FIDUCIAL);
                        ck_assert_ptr_nonnull(fd);
                        /* AutoLamella's 25 um unless something reaches out */
                        double cx = 0.5 * (fd->box[0].x0_um + fd->box[0].x1_um);
                        ck_assert_double_ge(cx, 25.0 - 1e-12);
                        for (size_t i = 0; i < n; i++)
                            for (size_t k = i + 1; k < n; k++) {
                                bool apart =
                                    p[i].kind == FIB_GEOM_FIDUCIAL ||
                                    p[k].kind == FIB_GEOM_FIDUCIAL ||
                                    p[i].kind == FIB_GEOM_STRESS_RELIEF ||
                                    p[k].kind == FIB_GEOM_STRESS_RELIEF;
                                if (!apart)
                                    continue;
                                for (int a = 0; a < p[i].n_boxes; a++)
                                    for (int b = 0; b < p[k].n_boxes; b++) {
                                        n_checked++;
                                        ck_assert_msg(
                                            !boxes_overlap(&p[i].box[a],
                                                           &p[k].box[b]),
                                            "%s W %g gap %g: %s box %d "
                                            "overlaps %s box %d",
                                            fib_geom_method_name(
                                                (fib_geom_method)m),
                                            widths[w], gaps[g], p[i].name, a,
                                            p[k].name, b);
                                    }
                            }
                        /* the fiducial keeps a 10 um clear gap on grids */
                        const fib_geom_pattern *sr =
                            find(p, n, FIB_GEOM_STRESS_RELIEF);
                        if (sr)
                            ck_assert_double_ge(fd->box[1].x0_um -
                                                    sr->box[1].x1_um,
                                                10.0 - 1e-9);
                    }
    ck_assert_uint_gt(n_checked, 1000);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("geometry");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_liftout_stair);
    tcase_add_test(tc, test_box_and_u);
    tcase_add_test(tc, test_on_grid_case_a);
    tcase_add_test(tc, test_window);
    tcase_add_test(tc, test_bad_site);
    tcase_add_test(tc, test_features_apart);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
