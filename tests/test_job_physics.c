/* test_job_physics.c -- the physics table jobs (fib/job_physics.h): the
 * numbers of fib_job_sputter()'s JSON and text are fib_plan_sputter()'s
 * for Ga on Si at 30 keV (the same material resolved from the built-in
 * database), a comparison has one row per ion and energy with its ratios,
 * a bad angle is refused naming the limit, and the ions and materials
 * tables list every entry of the planner's tables. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/job_physics.h"
#include "fib_test.h"

/* Every FIB_JOB_RESULT message, concatenated with newlines (as the command
 * prints them). */
typedef struct said {
    char *text;
    size_t n, cap, lines;
} said;

static void on_message(void *user, fib_job_level level, const char *text)
{
    said *s = user;
    ck_assert_int_eq(level, FIB_JOB_RESULT);
    const size_t len = strlen(text);
    if (s->n + len + 2 > s->cap) {
        s->cap = 2 * (s->n + len + 2);
        s->text = realloc(s->text, s->cap);
        ck_assert_ptr_nonnull(s->text);
    }
    memcpy(s->text + s->n, text, len);
    s->n += len;
    s->text[s->n++] = '\n';
    s->text[s->n] = '\0';
    s->lines++;
}

static fib_job_env env_of(said *s)
{
    fib_job_env env = {0};
    env.message = on_message;
    env.message_user = s;
    return env;
}

/* Ga on Si at 30 keV, normal incidence, straight from fib/physics.h. */
static fib_plan_sputter_result api_ga_si(void)
{
    fib_plan_materials *db = NULL;
    ck_assert_int_eq(fib_plan_materials_create(&db, NULL), FIB_OK);
    fib_plan_material m;
    ck_assert_int_eq(fib_plan_material_resolve(db, "Si", 0.0, &m, NULL),
                     FIB_OK);
    fib_plan_materials_destroy(db);
    fib_plan_sputter_params sp;
    memset(&sp, 0, sizeof sp);
    sp.ion = FIB_PLAN_ION_GA;
    sp.energy_keV = 30;
    fib_plan_sputter_result r;
    ck_assert_int_eq(fib_plan_sputter(&m, &sp, &r, NULL), FIB_OK);
    return r;
}

/* The JSON number of "key" as the report writes it ("%.10g"). */
static void expect_key(const char *json, const char *key, double v)
{
    char want[128];
    if (v == floor(v) && fabs(v) < 1e15)
        snprintf(want, sizeof want, "\"%s\": %.0f,", key, v);
    else
        snprintf(want, sizeof want, "\"%s\": %.10g,", key, v);
    ck_assert_msg(strstr(json, want) != NULL, "missing %s in %s", want, json);
}

START_TEST(test_sputter_json_is_the_api)
{
    const fib_plan_sputter_result r = api_ga_si();
    /* published scale (SRIM, Ga 30 keV on Si): Y ~ 2 atoms/ion, Rp ~ 27 nm;
     * the model's +-30 % band */
    ck_assert(r.yield_atoms_per_ion > 1.4 && r.yield_atoms_per_ion < 3.2);
    ck_assert(r.projected_range_nm > 19 && r.projected_range_nm < 36);
    fib_job_sputter_params p;
    memset(&p, 0, sizeof p);
    p.material = "Si";
    p.json = true;
    said s = {0};
    const fib_job_env env = env_of(&s);
    fib_error err = {0};
    ck_assert_msg(fib_job_sputter(&p, &env, &err) == FIB_OK, "%s", err.msg);
    ck_assert_uint_eq(s.lines, 1); /* one document */
    ck_assert(s.text[0] == '{' && !strcmp(s.text + s.n - 3, "\n}\n"));
    ck_assert_ptr_nonnull(strstr(s.text, "\"ion\": \"Ga\",\n"));
    expect_key(s.text, "energy_keV", 30);
    expect_key(s.text, "yield_atoms_per_ion", r.yield_atoms_per_ion);
    expect_key(s.text, "removal_um3_per_nC", r.removal_um3_per_nC);
    expect_key(s.text, "projected_range_nm", r.projected_range_nm);
    expect_key(s.text, "range_straggle_nm", r.range_straggle_nm);
    expect_key(s.text, "damage_depth_nm", r.damage_depth_nm);
    expect_key(s.text, "threshold_eV", r.threshold_eV);
    ck_assert_ptr_null(strstr(s.text, "\"rows\""));
    free(s.text);

    /* the text table: the same numbers, printed as the command does */
    memset(&p, 0, sizeof p);
    p.material = "Si";
    p.energies_keV = "30";
    p.ions = "Ga";
    said t = {0};
    const fib_job_env env2 = env_of(&t);
    ck_assert_int_eq(fib_job_sputter(&p, &env2, NULL), FIB_OK);
    char want[512];
    snprintf(want, sizeof want,
             "\n  yield               %8.4g atoms/ion   [%s]\n",
             r.yield_atoms_per_ion, r.yield_source);
    ck_assert_msg(strstr(t.text, want) != NULL, "%s", t.text);
    snprintf(want, sizeof want, "ion Ga+ at 30 keV (threshold %.3g eV)\n",
             r.threshold_eV);
    ck_assert_ptr_nonnull(strstr(t.text, want));
    free(t.text);
}
END_TEST

START_TEST(test_sputter_compare_rows)
{
    fib_job_sputter_params p;
    memset(&p, 0, sizeof p);
    p.material = "Si";
    p.energies_keV = "5:30:5"; /* 5, 10, ..., 30 */
    p.ions = "Ga,Xe";
    p.compare = true;
    p.json = true;
    said s = {0};
    const fib_job_env env = env_of(&s);
    ck_assert_int_eq(fib_job_sputter(&p, &env, NULL), FIB_OK);
    size_t rows = 0, ratios = 0;
    for (const char *q = s.text; (q = strstr(q, "\"energy_keV\": ")); q++)
        rows++;
    for (const char *q = s.text; (q = strstr(q, "\"ratio_to_first\"")); q++)
        ratios++;
    ck_assert_uint_eq(rows, 12);
    ck_assert_uint_eq(ratios, 12);
    ck_assert_ptr_nonnull(strstr(s.text, "\"ions\": ["));
    free(s.text);

    /* text: a header line, six energy rows, the sources line */
    memset(&p, 0, sizeof p);
    p.material = "Si";
    p.energies_keV = "5:30:5";
    p.ions = "Ga,Xe";
    p.compare = true;
    said t = {0};
    const fib_job_env env2 = env_of(&t);
    ck_assert_int_eq(fib_job_sputter(&p, &env2, NULL), FIB_OK);
    /* title, sensitivity, header, six rows, sources, one warning (Xe on
     * the light Si: Yamamura-Tawara uncertain) */
    ck_assert_uint_eq(t.lines, 2 + 1 + 6 + 1 + 1);
    ck_assert_ptr_nonnull(strstr(t.text, "\nwarning (Xe): "));
    free(t.text);
}
END_TEST

START_TEST(test_sputter_refused)
{
    fib_job_sputter_params p;
    memset(&p, 0, sizeof p);
    p.material = "Si";
    p.angle_deg = 95;
    said s = {0};
    const fib_job_env env = env_of(&s);
    fib_error err = {0};
    ck_assert_int_eq(fib_job_sputter(&p, &env, &err), FIB_EINVAL);
    ck_assert_str_eq(err.msg, "--angle-deg must be in [0, 90) (got 95)");
    ck_assert_uint_eq(s.lines, 0);
    p.angle_deg = 0;
    p.energies_keV = "1:1000:1";
    fib_error e2 = {0};
    ck_assert_int_eq(fib_job_sputter(&p, &env, &e2), FIB_EINVAL);
    ck_assert_str_eq(e2.msg, "--energy-kev gives more than 64 energies");
    ck_assert_uint_eq(s.lines, 0);
}
END_TEST

START_TEST(test_ions_and_materials_tables)
{
    said s = {0};
    const fib_job_env env = env_of(&s);
    ck_assert_int_eq(fib_job_ions(true, &env, NULL), FIB_OK);
    size_t n = 0;
    for (const char *q = s.text; (q = strstr(q, "\"symbol\": ")); q++)
        n++;
    ck_assert_uint_eq(n, FIB_PLAN_ION_COUNT_);
    n = 0;
    for (const char *q = s.text; (q = strstr(q, "\"probe_fits\": ")); q++)
        n++;
    ck_assert_uint_eq(n, fib_plan_column_count());
    free(s.text);

    fib_plan_materials *db = NULL;
    ck_assert_int_eq(fib_plan_materials_create(&db, NULL), FIB_OK);
    const size_t count = fib_plan_materials_count(db);
    fib_plan_materials_destroy(db);
    said t = {0};
    const fib_job_env env2 = env_of(&t);
    ck_assert_int_eq(fib_job_materials(NULL, NULL, false, &env2, NULL), FIB_OK);
    ck_assert_uint_eq(t.lines, 1 + count + 2); /* header, rows, blank, sum */
    char want[128];
    snprintf(want, sizeof want, "\n%zu materials; ", count);
    ck_assert_ptr_nonnull(strstr(t.text, want));
    free(t.text);

    said u = {0};
    const fib_job_env env3 = env_of(&u);
    fib_error err = {0};
    ck_assert_int_eq(fib_job_materials("Unobtainium", NULL, true, &env3, &err),
                     FIB_EINVAL);
    ck_assert_uint_eq(u.lines, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("job_physics");
    TCase *tc = tcase_create("tables");
    tcase_add_test(tc, test_sputter_json_is_the_api);
    tcase_add_test(tc, test_sputter_compare_rows);
    tcase_add_test(tc, test_sputter_refused);
    tcase_add_test(tc, test_ions_and_materials_tables);
    suite_add_tcase(s, tc);
    return fib_test_run(s, NULL);
}
