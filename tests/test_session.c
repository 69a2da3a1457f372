/*
 * test_session.c -- several sites per session (fib/session.h): batching
 * order, current changes and stage moves against an independent recount,
 * totals as sums of their parts, success-rate arithmetic, workflow-3
 * temperature phases, the workflow recommender and its check against the
 * plan temperature, and the `sites` reader's errors.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/planner.h"
#include "fib/session.h"
#include "fib/session_cfg.h"
#include "fib/session_sites_cfg.h"
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

/* Read examples/NAME into a session request. */
static void read_example(const char *name, fib_session_request *sr)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/examples/%s", getenv("FIB_SOURCE_DIR"),
             name);
    fib_plan_request base;
    fib_error err = {0};
    ck_assert_msg(fib_fmt_session_read(path, db, NULL, &base, &err) == FIB_OK,
                  "%s", err.msg);
    bool has = false;
    ck_assert_msg(fib_fmt_session_cfg_read_sites(path, &base, sr, &has, &err) ==
                      FIB_OK,
                  "%s", err.msg);
    ck_assert(has);
}

static fib_session *make(const fib_session_request *sr)
{
    fib_session *s = NULL;
    fib_error err = {0};
    ck_assert_msg(fib_session_create(sr, 0, FIB_PLAN_LADDER_DEFAULT, db, &s,
                                     &err) == FIB_OK,
                  "%s", err.msg);
    return s;
}

/* Current changes of a step sequence, counted the documented way: a
 * milling step whose current or energy differs from the previous milling
 * step (the first milling step counts). */
typedef struct cc_state {
    double pA, kV;
    size_t n;
} cc_state;

static void cc_feed(cc_state *c, const fib_plan_step *st)
{
    if (!st->mills)
        return;
    if (st->current_pA != c->pA || st->energy_keV != c->kV)
        c->n++;
    c->pA = st->current_pA;
    c->kV = st->energy_keV;
}

START_TEST(test_batching_order)
{
    fib_session_request sr;
    read_example("cryo-4site-session.cfg", &sr);
    ck_assert_uint_eq(sr.n_sites, 4);
    fib_session *s = make(&sr);
    size_t total = 0;
    for (size_t k = 0; k < 4; k++)
        total += fib_plan_step_count(fib_session_site_plan(s, k));
    ck_assert_uint_eq(fib_session_step_count(s), total);
    /* all rough before any thinning before any polish (one milling
     * phase in workflow 4) */
    int last = -1;
    size_t next_idx[4] = {0};
    for (size_t i = 0; i < fib_session_step_count(s); i++) {
        const fib_session_step *q = fib_session_step_get(s, i);
        ck_assert_int_ge((int)q->batch, last);
        last = (int)q->batch;
        /* each site's own step order is kept */
        const fib_plan *p = fib_session_site_plan(s, q->site);
        const fib_plan_step *orig = fib_plan_step_get(p, next_idx[q->site]++);
        ck_assert_str_eq(q->step.name, orig->name);
        ck_assert_double_eq(q->step.commanded_time_s, orig->commanded_time_s);
    }
    /* the three batches of an on-grid site are all present */
    ck_assert_int_eq(last, FIB_SESSION_BATCH_POLISH);
    fib_session_destroy(s);
}
END_TEST

START_TEST(test_current_changes_and_moves)
{
    fib_session_request sr;
    read_example("cryo-4site-session.cfg", &sr);
    fib_session *s = make(&sr);
    fib_session_summary S = fib_session_get_summary(s);
    /* recount from the timeline */
    cc_state c = {0};
    size_t moves = 0, cc_flags = 0, polish_cc = 0;
    for (size_t i = 0; i < fib_session_step_count(s); i++) {
        const fib_session_step *q = fib_session_step_get(s, i);
        size_t before = c.n;
        cc_feed(&c, &q->step);
        ck_assert(q->current_change == (c.n > before));
        cc_flags += q->current_change;
        moves += q->site_move;
        if (q->batch == FIB_SESSION_BATCH_POLISH)
            polish_cc += q->current_change;
        ck_assert_double_eq(q->step.overhead_current_s,
                            q->current_change ? 20.5 : 0.0);
        if (q->site_move)
            ck_assert_double_eq(q->step.overhead_stage_s, 8.0);
    }
    ck_assert_uint_eq(S.current_changes, c.n);
    ck_assert_uint_eq(cc_flags, c.n);
    /* all four polishes run at the same 60 pA: one change for the batch */
    ck_assert_uint_eq(polish_cc, 1);
    /* site by site: the concatenated plans */
    cc_state r = {0};
    for (size_t k = 0; k < 4; k++) {
        const fib_plan *p = fib_session_site_plan(s, k);
        for (size_t i = 0; i < fib_plan_step_count(p); i++)
            cc_feed(&r, fib_plan_step_get(p, i));
    }
    ck_assert_uint_eq(S.current_changes_sitewise, r.n);
    ck_assert_uint_gt(S.current_changes_sitewise, S.current_changes);
    /* serpentine: (sites - 1) moves per batch (3 batches), N - 1 site by
     * site */
    ck_assert_uint_eq(moves, 3 * 3);
    ck_assert_uint_eq(S.site_moves, 9);
    ck_assert_uint_eq(S.site_moves_sitewise, 3);
    ck_assert_double_eq_tol(S.time_saved_s,
                            S.schedule_sitewise_s - S.schedule_s, 1e-9);
    fib_session_destroy(s);
}
END_TEST

START_TEST(test_totals_are_sums)
{
    fib_session_request sr;
    read_example("cryo-4site-session.cfg", &sr);
    fib_session *s = make(&sr);
    fib_session_summary S = fib_session_get_summary(s);
    double mill = 0, ovh = 0, site_mill = 0, site_ovh = 0, phases = 0,
           mill_phases = 0;
    for (size_t i = 0; i < fib_session_step_count(s); i++) {
        const fib_plan_step *st = &fib_session_step_get(s, i)->step;
        if (st->mills)
            mill += st->commanded_time_s;
        ovh += st->overhead_s;
        ck_assert_double_eq_tol(st->overhead_s,
                                st->overhead_current_s + st->overhead_stage_s +
                                    st->overhead_align_s +
                                    st->overhead_image_s + st->overhead_other_s,
                                1e-9);
        ck_assert_double_eq_tol(
            st->end_s - st->start_s,
            st->overhead_s + (st->mills ? st->commanded_time_s : 0), 1e-9);
        if (i > 0)
            ck_assert_double_eq_tol(
                st->start_s, fib_session_step_get(s, i - 1)->step.end_s, 1e-9);
    }
    for (size_t k = 0; k < 4; k++) {
        site_mill += fib_session_site_result_get(s, k)->milling_s;
        site_ovh += fib_session_site_result_get(s, k)->overhead_s;
        /* commanded milling per site = the single-site plan's */
        ck_assert_double_eq_tol(
            fib_session_site_result_get(s, k)->milling_s,
            fib_plan_milling_time_s(fib_session_site_plan(s, k)), 1e-6);
    }
    double t = 0;
    for (size_t i = 0; i < fib_session_phase_count(s); i++) {
        const fib_session_phase *p = fib_session_phase_get(s, i);
        ck_assert_double_eq_tol(p->start_s, t, 1e-9);
        t = p->end_s;
        if (p->kind == FIB_SESSION_PHASE_MILL)
            mill_phases += p->duration_s;
        else
            phases += p->duration_s;
    }
    ck_assert_double_eq_tol(S.milling_s, mill, 1e-6);
    ck_assert_double_eq_tol(S.overhead_s, ovh, 1e-6);
    ck_assert_double_eq_tol(site_mill, mill, 1e-6);
    ck_assert_double_eq_tol(site_ovh, ovh, 1e-6);
    ck_assert_double_eq_tol(S.schedule_s, mill + ovh, 1e-6);
    ck_assert_double_eq_tol(mill_phases, S.schedule_s, 1e-6);
    ck_assert_double_eq_tol(S.phases_s, phases, 1e-9);
    ck_assert_double_eq_tol(S.total_s, t, 1e-9);
    ck_assert_double_eq_tol(S.total_s, S.phases_s + S.schedule_s, 1e-6);
    /* workflow 4 defaults: cool 2400 + 2 transfers 600 + warm 3600 */
    ck_assert_double_eq_tol(S.phases_s, 2400 + 600 + 600 + 3600, 1e-9);
    /* ice (85 nm/h default at cryo) on a finished lamella grows until the
     * milling phase ends: the last polished site has none, the first one
     * rate x (phase end - its end) */
    const fib_session_phase *mp = NULL;
    for (size_t i = 0; i < fib_session_phase_count(s); i++)
        if (fib_session_phase_get(s, i)->kind == FIB_SESSION_PHASE_MILL)
            mp = fib_session_phase_get(s, i);
    ck_assert_ptr_nonnull(mp);
    double rate =
        fib_plan_get_request(fib_session_site_plan(s, 0))->ice_growth_nm_h;
    ck_assert_double_eq(rate, 85.0);
    for (size_t k = 0; k < 4; k++) {
        const fib_session_site_result *R = fib_session_site_result_get(s, k);
        ck_assert_double_eq_tol(
            R->ice_after_nm, 85.0 * (mp->end_s - R->polish_end_s) / 3600, 1e-9);
    }
    ck_assert_double_eq(S.ice_max_nm,
                        fib_session_site_result_get(s, 0)->ice_after_nm);
    ck_assert_double_lt(S.ice_max_nm, S.ice_max_sitewise_nm);
    fib_session_destroy(s);
}
END_TEST

START_TEST(test_success_arithmetic)
{
    const char *src = NULL;
    ck_assert_double_eq(fib_session_success_rate(FIB_GEOM_LIFTOUT, &src), 0.75);
    ck_assert_ptr_nonnull(strstr(src, "60-90"));
    ck_assert_double_eq(fib_session_success_rate(FIB_GEOM_ON_GRID, NULL), 0.8);
    fib_session_request sr;
    read_example("cryo-4site-session.cfg", &sr);
    fib_session *s = make(&sr);
    fib_session_summary S = fib_session_get_summary(s);
    ck_assert_double_eq(S.success_rate, 0.8);
    ck_assert_double_eq_tol(S.expected_lamellae, 3.2, 1e-12);
    ck_assert_double_eq_tol(S.lamellae_per_day, 3.2 * 86400.0 / S.total_s,
                            1e-9);
    fib_session_destroy(s);
    /* an explicit rate and a per-site method override (mean of rates) */
    sr.success_rate = 0.5;
    s = make(&sr);
    ck_assert_double_eq_tol(fib_session_get_summary(s).expected_lamellae, 2.0,
                            1e-12);
    fib_session_destroy(s);
}
END_TEST

START_TEST(test_workflow3_phases)
{
    fib_session_request sr;
    read_example("workflow3-session.cfg", &sr);
    ck_assert_int_eq(sr.workflow, 3);
    fib_session *s = make(&sr);
    static const fib_session_phase_kind want[] = {
        FIB_SESSION_PHASE_TRANSFER, FIB_SESSION_PHASE_COOL,
        FIB_SESSION_PHASE_MILL,     FIB_SESSION_PHASE_WARM,
        FIB_SESSION_PHASE_MILL,     FIB_SESSION_PHASE_COOL,
        FIB_SESSION_PHASE_MILL,     FIB_SESSION_PHASE_WARM,
        FIB_SESSION_PHASE_TRANSFER};
    static const double want_s[] = {600,  2400, -1,   3600, -1,
                                    2400, -1,   3600, 600};
    ck_assert_uint_eq(fib_session_phase_count(s), 9);
    for (size_t i = 0; i < 9; i++) {
        const fib_session_phase *p = fib_session_phase_get(s, i);
        ck_assert_int_eq(p->kind, want[i]);
        if (want_s[i] > 0)
            ck_assert_double_eq(p->duration_s, want_s[i]);
        else
            ck_assert_double_gt(p->duration_s, 0);
        ck_assert_ptr_nonnull(p->source);
    }
    /* rough milling cold, lift-out warm, thinning/polish cold */
    ck_assert_double_lt(fib_session_phase_get(s, 2)->temperature_K, 200);
    ck_assert_double_eq(fib_session_phase_get(s, 4)->temperature_K, 295);
    ck_assert_double_lt(fib_session_phase_get(s, 6)->temperature_K, 200);
    size_t n_lift = 0;
    for (size_t i = 0; i < fib_session_step_count(s); i++) {
        const fib_session_step *q = fib_session_step_get(s, i);
        fib_geom_kind k = q->step.pattern.kind;
        if (k == FIB_GEOM_ATTACH || k == FIB_GEOM_CUT_FREE ||
            k == FIB_GEOM_GRID_ATTACH || k == FIB_GEOM_NEEDLE_CUT) {
            ck_assert_uint_eq(q->phase, 4);
            n_lift++;
        }
        if (k == FIB_GEOM_TRENCH)
            ck_assert_uint_eq(q->phase, 2);
        if (fib_session_step_batch(&q->step) == FIB_SESSION_BATCH_POLISH)
            ck_assert_uint_eq(q->phase, 6);
        const fib_session_phase *p = fib_session_phase_get(s, q->phase);
        ck_assert(q->step.start_s >= p->start_s - 1e-9 &&
                  q->step.end_s <= p->end_s + 1e-9);
    }
    ck_assert_uint_eq(n_lift % 2, 0);
    ck_assert_uint_gt(n_lift, 0);
    fib_session_summary S = fib_session_get_summary(s);
    ck_assert_double_eq_tol(S.phases_s, 600 + 2400 + 3600 + 2400 + 3600 + 600,
                            1e-9);
    ck_assert_double_eq_tol(S.total_s, S.phases_s + S.schedule_s, 1e-6);
    ck_assert_double_eq(S.success_rate, 0.75);
    fib_session_destroy(s);
    /* without `workflow`: the recommended one (NMC811 at cryo -> 3) */
    sr.workflow = -1;
    s = make(&sr);
    ck_assert_int_eq(fib_session_get_summary(s).workflow, 3);
    ck_assert_uint_eq(fib_session_phase_count(s), 9);
    fib_session_destroy(s);
}
END_TEST

static int recommend_for(const char *mat)
{
    fib_plan_request r;
    memset(&r, 0, sizeof r);
    r.n_layers = 1;
    snprintf(r.layers[0].material, sizeof r.layers[0].material, "%s", mat);
    unsigned f = 0;
    ck_assert_int_eq(fib_plan_request_sens(&r, db, &f, NULL), FIB_OK);
    return fib_plan_workflow_recommend(f, false).number;
}

START_TEST(test_recommender_checked)
{
    /* not beam- or air-sensitive: conventional room temperature */
    ck_assert_int_eq(recommend_for("Si"), 0);
    ck_assert_int_eq(recommend_for("graphite"), 0);
    ck_assert_int_eq(recommend_for("Cu"), 0);
    /* electron-beam only: RT FIB + cryo TEM holder */
    ck_assert_int_eq(recommend_for("LFP"), 1);
    /* moisture: cryo milling; Li (thermal, Ga alloying): cold chain */
    ck_assert_int_eq(recommend_for("NMC811"), 3);
    ck_assert_int_eq(recommend_for("Li"), 4);
    ck_assert_int_eq(recommend_for("LCO"), 3); /* e- and ion-beam */
    ck_assert_int_eq(
        fib_plan_workflow_recommend(FIB_PLAN_SENS_LI_GA_ALLOY, false).number,
        3);
    fib_plan_workflow w0 = fib_plan_workflow_recommend(0, false);
    ck_assert_ptr_nonnull(strstr(w0.summary, "conventional"));
    ck_assert(!w0.protects_air && !w0.protects_ion);
    /* checked against the plan temperature */
    char msg[FIB_PLAN_LINE_MAX];
    fib_plan_workflow wli = fib_plan_workflow_recommend(
        FIB_PLAN_SENS_AIR | FIB_PLAN_SENS_THERMAL | FIB_PLAN_SENS_LI_GA_ALLOY,
        false);
    ck_assert_int_eq(fib_plan_workflow_check(&wli, false, msg, sizeof msg),
                     FIB_PLAN_WORKFLOW_WARNING);
    ck_assert_ptr_nonnull(strstr(msg, "room temperature"));
    ck_assert_ptr_nonnull(strstr(msg, "workflow 4"));
    ck_assert_int_eq(fib_plan_workflow_check(&wli, true, msg, sizeof msg),
                     FIB_PLAN_WORKFLOW_OK);
    ck_assert_str_eq(msg, "");
    fib_plan_workflow wsi =
        fib_plan_workflow_recommend(FIB_PLAN_SENS_IBEAM, false);
    ck_assert_int_eq(fib_plan_workflow_check(&wsi, true, msg, sizeof msg),
                     FIB_PLAN_WORKFLOW_NOTE);
    ck_assert_int_eq(fib_plan_workflow_check(&wsi, false, msg, sizeof msg),
                     FIB_PLAN_WORKFLOW_OK);
    /* an RT session of Li metal: the session carries the warning */
    fib_plan_request base;
    fib_plan_request_default(&base); /* Li dendrite, cryo */
    base.cryo = false;
    base.stage_K = 295;
    base.ice_growth_nm_h = 0;
    base.site.method = FIB_GEOM_LIFTOUT;
    base.n_ions = 1;
    fib_session_request sr;
    fib_session_request_init(&sr, &base);
    sr.n_sites = 2;
    snprintf(sr.sites[0].name, sizeof sr.sites[0].name, "A");
    snprintf(sr.sites[1].name, sizeof sr.sites[1].name, "B");
    sr.sites[0].method = sr.sites[1].method = -1;
    sr.sites[1].x_um = 100;
    fib_session *s = make(&sr);
    ck_assert_int_eq(fib_session_get_summary(s).workflow, 0);
    bool warned = false;
    for (size_t i = 0; i < fib_session_warning_count(s); i++)
        warned |=
            strstr(fib_session_warning_get(s, i), "room temperature") != NULL;
    ck_assert(warned);
    ck_assert_double_eq(fib_session_get_summary(s).ice_max_nm, 0);
    fib_session_destroy(s);
    /* workflow 3 on a room-temperature base is refused */
    sr.workflow = 3;
    fib_session *bad = NULL;
    fib_error err = {0};
    ck_assert_int_eq(
        fib_session_create(&sr, 0, FIB_PLAN_LADDER_DEFAULT, db, &bad, &err),
        FIB_EINVAL);
    ck_assert_ptr_null(bad);
    ck_assert_ptr_nonnull(strstr(err.msg, "workflow 3"));
    /* duplicate names are refused by the library too */
    sr.workflow = -1;
    fib_error_clear(&err);
    snprintf(sr.sites[1].name, sizeof sr.sites[1].name, "A");
    ck_assert_int_eq(
        fib_session_create(&sr, 0, FIB_PLAN_LADDER_DEFAULT, db, &bad, &err),
        FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "repeats"));
}
END_TEST

static void bad_sites(const char *text, const char *want1, const char *want2)
{
    fib_plan_request base;
    fib_plan_request_default(&base);
    fib_session_request sr;
    bool has = false;
    fib_error err = {0};
    ck_assert_int_eq(
        fib_fmt_session_cfg_parse_sites(text, "t.cfg", &base, &sr, &has, &err),
        FIB_EINVAL);
    ck_assert_msg(strstr(err.msg, want1) && strstr(err.msg, want2), "%s",
                  err.msg);
}

START_TEST(test_sites_reader)
{
    fib_plan_request base;
    fib_plan_request_default(&base);
    fib_session_request sr;
    bool has = true;
    fib_error err = {0};
    ck_assert_int_eq(fib_fmt_session_cfg_parse_sites("name = \"x\";\n", "t",
                                                     &base, &sr, &has, &err),
                     FIB_OK);
    ck_assert(!has);
    ck_assert_uint_eq(sr.n_sites, 1);
    ck_assert_int_eq(sr.workflow, -1);
    ck_assert_int_eq(
        fib_fmt_session_cfg_parse_sites(
            "sites = ( { name = \"A\"; x_um = 1.5; y_um = -2; },\n"
            "  { name = \"B\"; lamella_width_um = 8; method = \"on-grid\"; "
            "} );\nworkflow = 4;\nsuccess_rate = 0.6;\n"
            "phases = { cool_down_s = 1800; };\n",
            "t", &base, &sr, &has, &err),
        FIB_OK);
    ck_assert(has);
    ck_assert_uint_eq(sr.n_sites, 2);
    ck_assert_double_eq(sr.sites[0].x_um, 1.5);
    ck_assert_double_eq(sr.sites[0].y_um, -2);
    ck_assert_int_eq(sr.sites[0].method, -1);
    ck_assert_int_eq(sr.sites[1].method, FIB_GEOM_ON_GRID);
    ck_assert_double_eq(sr.sites[1].lamella_width_um, 8);
    ck_assert_int_eq(sr.workflow, 4);
    ck_assert_double_eq(sr.success_rate, 0.6);
    ck_assert_double_eq(sr.times.cool_down_s, 1800);
    bad_sites("sites = ( { name = \"A\"; },\n { name = \"A\"; } );\n",
              "t.cfg:2:", "sites[1].name 'A' repeats sites[0]");
    bad_sites("sites = ( { name = \"A\"; x_um = 60000; } );\n",
              "t.cfg:1:", "sites[0].x_um must be <= 50000");
    bad_sites("sites = ( { name = \"A\";\n lamella_width_um = -3; } );\n",
              "t.cfg:2:", "sites[0].lamella_width_um must be > 0");
    bad_sites("sites = ( { x_um = 1; } );\n",
              "t.cfg:1:", "sites[0].name is required");
    bad_sites("sites = ( { name = \"A\"; z_um = 1; } );\n",
              "t.cfg:1:", "sites[0].z_um is not a known key");
    bad_sites("sites = ();\n", "t.cfg:1:", "sites must list 1..32");
    bad_sites("workflow = 2;\n", "t.cfg:1:", "workflow must be 0, 1, 3 or 4");
    bad_sites("workflow = 0;\n", "t.cfg:1:",
              "workflow 0 mills at room temperature but temperature.mode is "
              "cryo");
    bad_sites("workflow = 3.5;\n", "t.cfg:1:", "workflow must be an integer");
    bad_sites("phases = { warm_up_s = -1; };\n",
              "t.cfg:1:", "phases.warm_up_s must be > 0");
    bad_sites("success_rate = 1.5;\n", "t.cfg:1:", "success_rate must be");
    /* 33 sites */
    char big[4096];
    size_t o = (size_t)snprintf(big, sizeof big, "sites = (");
    for (int i = 0; i < 33; i++)
        o += (size_t)snprintf(big + o, sizeof big - o, "%s{ name = \"S%d\"; }",
                              i ? ", " : "", i);
    snprintf(big + o, sizeof big - o, ");\n");
    bad_sites(big, "t.cfg:1:", "sites must list 1..32 sites (got 33)");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("session");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_batching_order);
    tcase_add_test(tc, test_current_changes_and_moves);
    tcase_add_test(tc, test_totals_are_sums);
    tcase_add_test(tc, test_success_arithmetic);
    tcase_add_test(tc, test_workflow3_phases);
    tcase_add_test(tc, test_recommender_checked);
    tcase_add_test(tc, test_sites_reader);
    suite_add_tcase(s, tc);
    return fib_test_run(s, getenv("FIB_SOURCE_DIR") ? NULL
                                                    : "FIB_SOURCE_DIR unset");
}
