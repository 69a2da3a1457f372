/*
 * test_job_plan.c -- the planning jobs of pipeline/ (fib/job_plan.h) on
 * the example sessions: report keys and values against the planner's own
 * API (fib_plan, fib_session, fib_plan_slice_view), row counts against
 * step counts, the table lines handed to the message callback, and the
 * all-or-none outputs of a failed run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fib/job_plan.h"
#include "fib/planner.h"
#include "fib/session.h"
#include "fib/session_cfg.h"
#include "fib/session_sites_cfg.h"
#include "fib_test.h"

static fib_plan_materials *db;
static char tmp[2048];

static void setup(void)
{
    ck_assert_int_eq(fib_plan_materials_create(&db, NULL), FIB_OK);
    fib_test_tmpdir(tmp, sizeof tmp);
}

static void teardown(void)
{
    fib_plan_materials_destroy(db);
    db = NULL;
    fib_test_rmdir(tmp);
}

static void example(const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/examples/%s", getenv("FIB_SOURCE_DIR"), name);
}

static void out_path(const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", tmp, name);
}

/* Message lines the job sent, joined with '\n', and how many per level. */
typedef struct said {
    char text[1 << 17];
    size_t n, lines[3];
} said;

static void collect(void *user, fib_job_level level, const char *text)
{
    said *s = user;
    s->lines[level]++;
    int k = snprintf(s->text + s->n, sizeof s->text - s->n, "%s\n", text);
    if (k > 0 && (size_t)k < sizeof s->text - s->n)
        s->n += (size_t)k;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    ck_assert(b != NULL);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    return b;
}

static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

/* The number after the first "KEY": at or after @p from (fails when the
 * key is absent). */
static double num_after(const char *from, const char *key, const char **at)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(from, pat);
    ck_assert_msg(p != NULL, "key %s missing", key);
    if (at)
        *at = p + strlen(pat);
    return strtod(p + strlen(pat), NULL);
}

/* Position of "KEY" in @p text (fails when absent). */
static const char *key_at(const char *text, const char *key)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(text, pat);
    ck_assert_msg(p != NULL, "key %s missing", key);
    return p;
}

START_TEST(test_plan_one_site)
{
    char cfg[4096], json[4096], csv[4096];
    example("li-dendrite-cryo-liftout.cfg", cfg, sizeof cfg);
    out_path("plan.json", json, sizeof json);
    out_path("plan.csv", csv, sizeof csv);
    /* the planner's own plans of the same file */
    fib_plan_request req;
    fib_error err = {0};
    ck_assert_msg(fib_fmt_session_read(cfg, db, NULL, &req, &err) == FIB_OK,
                  "%s", err.msg);
    ck_assert_uint_ge(req.n_ions, 2);
    fib_plan *def[FIB_PLAN_MAX_IONS] = {0}, *opt[FIB_PLAN_MAX_IONS] = {0};
    size_t rows = 0;
    for (size_t i = 0; i < req.n_ions; i++) {
        ck_assert_int_eq(fib_plan_create(&req, i, FIB_PLAN_LADDER_DEFAULT, db,
                                         &def[i], &err),
                         FIB_OK);
        ck_assert_int_eq(fib_plan_create(&req, i, FIB_PLAN_LADDER_OPTIMIZED, db,
                                         &opt[i], &err),
                         FIB_OK);
        rows += fib_plan_step_count(def[i]) + fib_plan_step_count(opt[i]);
    }
    unsigned sens = 0;
    ck_assert_int_eq(fib_plan_request_sens(&req, db, &sens, &err), FIB_OK);
    fib_plan_workflow wf = fib_plan_workflow_recommend(sens, req.nanoscale);

    static said s;
    memset(&s, 0, sizeof s);
    fib_job_plan_params p = {0};
    p.session_path = cfg;
    p.json_path = json;
    p.csv_path = csv;
    fib_job_env env = {0};
    env.message = collect;
    env.message_user = &s;
    fib_job_plan_result res;
    ck_assert_msg(fib_job_plan(&p, &env, &res, &err) == FIB_OK, "%s", err.msg);
    ck_assert_uint_eq(res.n_ions, req.n_ions);
    ck_assert_uint_eq(res.n_sites, 1);
    ck_assert_int_eq(res.workflow, wf.number);

    char *j = slurp(json);
    /* key order of the top level */
    const char *ks = key_at(j, "session"), *kw = key_at(j, "workflow"),
               *kp = key_at(j, "plans"), *kc = key_at(j, "comparison");
    ck_assert(ks < kw && kw < kp && kp < kc);
    ck_assert_int_eq((int)num_after(kw, "number", NULL), wf.number);
    /* every plan: ion, ladder, totals equal to the planner's */
    const char *at = kp;
    for (size_t i = 0; i < req.n_ions; i++) {
        char ion[64];
        snprintf(ion, sizeof ion, "\"ion\": \"%s\"",
                 fib_plan_ion_get(fib_plan_get_ion(def[i]))->symbol);
        at = strstr(at, ion);
        ck_assert_msg(at != NULL && at < kc, "%s missing in plans", ion);
        ck_assert_ptr_nonnull(strstr(at, "\"ladder\": \"default\""));
        double t = num_after(at, "total_time_s", NULL);
        ck_assert_double_eq_tol(t, fib_plan_total_time_s(def[i]),
                                1e-8 * fib_plan_total_time_s(def[i]));
        ck_assert_double_eq_tol(res.total_time_s[i],
                                fib_plan_total_time_s(def[i]), 1e-9);
        ck_assert_double_eq_tol(num_after(at, "milling_time_s", NULL),
                                fib_plan_milling_time_s(def[i]),
                                1e-8 * fib_plan_milling_time_s(def[i]));
        ck_assert_uint_eq(res.n_steps[i], fib_plan_step_count(def[i]));
        /* the other ladder's block carries the optimized totals */
        const char *ko = key_at(at, "optimized");
        ck_assert_double_eq_tol(num_after(ko, "total_time_s", NULL),
                                fib_plan_total_time_s(opt[i]),
                                1e-8 * fib_plan_total_time_s(opt[i]));
        at = ko;
    }
    /* comparison: the first ion is the reference (ratios 1) */
    ck_assert_double_eq_tol(num_after(kc, "ratio_total", NULL), 1.0, 1e-12);
    free(j);

    /* CSV: a header and one row per step of both ladders of every ion */
    char *c = slurp(csv);
    ck_assert_uint_eq(count_lines(c), rows + 1);
    ck_assert(!strncmp(c, "ion,ladder,step,name,kind,", 26));
    free(c);

    /* tables: the session line first, one table per ion, comparison */
    ck_assert_uint_gt(s.lines[FIB_JOB_RESULT], rows / 2);
    ck_assert_uint_eq(s.lines[FIB_JOB_NOTE] + s.lines[FIB_JOB_WARN], 0);
    char first[512];
    snprintf(first, sizeof first, "session: %s\n", req.name);
    ck_assert(!strncmp(s.text, first, strlen(first)));
    size_t tables = 0;
    for (const char *q = s.text; (q = strstr(q, " plan (default ladder)")); q++)
        tables++;
    ck_assert_uint_eq(tables, req.n_ions);
    ck_assert_ptr_nonnull(strstr(s.text, "\nion comparison (ratios to "));
    for (size_t i = 0; i < req.n_ions; i++) {
        fib_plan_destroy(def[i]);
        fib_plan_destroy(opt[i]);
    }
}
END_TEST

START_TEST(test_plan_quiet_optimized)
{
    char cfg[4096], json[4096];
    example("nmc811-rt-pfib.cfg", cfg, sizeof cfg);
    out_path("opt.json", json, sizeof json);
    fib_plan_request req;
    fib_error err = {0};
    ck_assert_int_eq(fib_fmt_session_read(cfg, db, "Xe", &req, &err), FIB_OK);
    fib_plan *opt = NULL;
    ck_assert_int_eq(
        fib_plan_create(&req, 0, FIB_PLAN_LADDER_OPTIMIZED, db, &opt, &err),
        FIB_OK);
    static said s;
    memset(&s, 0, sizeof s);
    fib_job_plan_params p = {0};
    p.session_path = cfg;
    p.ions = "Xe";
    p.json_path = json;
    p.optimized_primary = true;
    p.quiet = true;
    fib_job_env env = {.message = collect, .message_user = &s};
    fib_job_plan_result res;
    ck_assert_msg(fib_job_plan(&p, &env, &res, &err) == FIB_OK, "%s", err.msg);
    ck_assert_uint_eq(s.n, 0); /* quiet: no table */
    ck_assert_uint_eq(res.n_ions, 1);
    char *j = slurp(json);
    ck_assert_ptr_nonnull(strstr(j, "\"ion\": \"Xe\""));
    ck_assert_ptr_nonnull(strstr(j, "\"ladder\": \"optimized\""));
    ck_assert_double_eq_tol(num_after(j, "total_time_s", NULL),
                            fib_plan_total_time_s(opt),
                            1e-8 * fib_plan_total_time_s(opt));
    ck_assert_double_eq_tol(res.total_time_s[0], fib_plan_total_time_s(opt),
                            1e-9);
    /* the alternative block is the default ladder */
    ck_assert_ptr_nonnull(strstr(j, "\"default\": {"));
    free(j);
    fib_plan_destroy(opt);
}
END_TEST

START_TEST(test_plan_sessions)
{
    char cfg[4096], json[4096], csv[4096];
    example("cryo-4site-session.cfg", cfg, sizeof cfg);
    out_path("s.json", json, sizeof json);
    out_path("s.csv", csv, sizeof csv);
    fib_plan_request base;
    fib_error err = {0};
    ck_assert_int_eq(fib_fmt_session_read(cfg, db, NULL, &base, &err), FIB_OK);
    fib_session_request *sr = malloc(sizeof *sr);
    ck_assert(sr != NULL);
    bool has = false;
    ck_assert_int_eq(fib_fmt_session_cfg_read_sites(cfg, &base, sr, &has, &err),
                     FIB_OK);
    ck_assert(has);
    size_t rows = 0;
    fib_session *ss[FIB_PLAN_MAX_IONS] = {0};
    for (size_t i = 0; i < base.n_ions; i++) {
        ck_assert_int_eq(fib_session_create(sr, i, FIB_PLAN_LADDER_DEFAULT, db,
                                            &ss[i], &err),
                         FIB_OK);
        rows += fib_session_step_count(ss[i]);
    }
    static said s;
    memset(&s, 0, sizeof s);
    fib_job_plan_params p = {0};
    p.session_path = cfg;
    p.json_path = json;
    p.csv_path = csv;
    fib_job_env env = {.message = collect, .message_user = &s};
    fib_job_plan_result res;
    ck_assert_msg(fib_job_plan(&p, &env, &res, &err) == FIB_OK, "%s", err.msg);
    ck_assert_uint_eq(res.n_sites, fib_session_site_count(ss[0]));
    ck_assert_uint_ge(res.n_sites, 2);
    char *j = slurp(json);
    const char *at = key_at(j, "sessions");
    ck_assert(key_at(j, "workflow") < at);
    for (size_t i = 0; i < base.n_ions; i++) {
        fib_session_summary S = fib_session_get_summary(ss[i]);
        char ion[64];
        snprintf(ion, sizeof ion, "\"ion\": \"%s\"",
                 fib_plan_ion_get(base.ions[i].ion)->symbol);
        at = strstr(at, ion);
        ck_assert_msg(at != NULL, "%s missing in sessions", ion);
        ck_assert_int_eq((int)num_after(at, "n_sites", NULL), (int)S.n_sites);
        ck_assert_double_eq_tol(num_after(at, "total_time_s", NULL), S.total_s,
                                1e-8 * S.total_s);
        ck_assert_double_eq_tol(res.total_time_s[i], S.total_s, 1e-9);
        ck_assert_int_eq((int)num_after(at, "current_changes", NULL),
                         (int)S.current_changes);
        ck_assert_uint_eq(res.n_steps[i], fib_session_step_count(ss[i]));
        at++;
    }
    free(j);
    char *c = slurp(csv);
    ck_assert_uint_eq(count_lines(c), rows + 1);
    ck_assert(!strncmp(c, "ion,site,batch,phase,", 21));
    free(c);
    /* one session table per ion, with its sites and timeline */
    size_t heads = 0;
    for (const char *q = s.text; (q = strstr(q, " session (default ladder): "));
         q++)
        heads++;
    ck_assert_uint_eq(heads, base.n_ions);
    ck_assert_ptr_nonnull(strstr(s.text, "\nbatching: "));
    for (size_t i = 0; i < base.n_ions; i++)
        fib_session_destroy(ss[i]);
    free(sr);
}
END_TEST

START_TEST(test_workflow3)
{
    char cfg[4096], json[4096];
    example("workflow3-session.cfg", cfg, sizeof cfg);
    out_path("w.json", json, sizeof json);
    static said s;
    memset(&s, 0, sizeof s);
    fib_job_workflow_params p = {cfg, NULL, json};
    fib_job_env env = {.message = collect, .message_user = &s};
    fib_error err = {0};
    int number = -1;
    ck_assert_msg(fib_job_workflow(&p, &env, &number, &err) == FIB_OK, "%s",
                  err.msg);
    ck_assert_int_eq(number, 3);
    char *j = slurp(json);
    ck_assert_int_eq((int)num_after(j, "number", NULL), 3);
    /* key order inside "workflow" */
    const char *a = key_at(j, "requires"), *b = key_at(j, "protects"),
               *c = key_at(j, "sensitivities"), *d = key_at(j, "nanoscale"),
               *e = key_at(j, "check");
    ck_assert(a < b && b < c && c < d && d < e);
    ck_assert_ptr_nonnull(strstr(j, "\"thermal\": false"));
    free(j);
    ck_assert_ptr_nonnull(strstr(s.text, "\nworkflow 3: "));
    ck_assert(!strncmp(s.text, "session: ", 9));
}
END_TEST

START_TEST(test_slice_view)
{
    char cfg[4096], json[4096], csv[4096], dir[4096], png[4096];
    example("slice-view-coated-nmc.cfg", cfg, sizeof cfg);
    out_path("sv.json", json, sizeof json);
    out_path("sv.csv", csv, sizeof csv);
    out_path("sv", dir, sizeof dir);
    out_path("sv/slice-view.png", png, sizeof png);
    fib_plan_sv_request r;
    fib_plan_sv_result want[FIB_PLAN_MAX_IONS];
    fib_error err = {0};
    ck_assert_int_eq(fib_fmt_slice_view_read(cfg, db, NULL, &r, &err), FIB_OK);
    ck_assert_int_eq(fib_plan_slice_view(&r, db, want, &err), FIB_OK);
    static said s;
    memset(&s, 0, sizeof s);
    fib_job_slice_view_params p = {cfg, NULL, NULL, json, csv, dir};
    fib_job_env env = {.message = collect, .message_user = &s};
    fib_job_slice_view_result res;
    ck_assert_msg(fib_job_slice_view(&p, &env, &res, &err) == FIB_OK, "%s",
                  err.msg);
    ck_assert_uint_eq(res.n_ions, r.n_ions);
    char *j = slurp(json);
    const char *at = key_at(j, "runs");
    for (size_t i = 0; i < r.n_ions; i++) {
        ck_assert_uint_eq(res.n_slices[i], want[i].n_slices);
        ck_assert_int_eq((long long)num_after(at, "n_slices", &at),
                         (long long)want[i].n_slices);
        ck_assert_double_eq_tol(num_after(at, "total_time_s", &at),
                                want[i].total_s, 1e-8 * want[i].total_s);
    }
    free(j);
    char *c = slurp(csv);
    ck_assert_uint_eq(count_lines(c), r.n_ions + 1);
    free(c);
    ck_assert(exists(png));
    ck_assert(!strncmp(s.text, "slice-and-view run: ", 20));
}
END_TEST

START_TEST(test_all_or_none)
{
    /* --out naming a file: bad input, and the JSON staged before it does
     * not appear (the job's own transaction is aborted) */
    char cfg[4096], json[4096], file[4096];
    example("li-dendrite-cryo-liftout.cfg", cfg, sizeof cfg);
    out_path("x.json", json, sizeof json);
    out_path("afile", file, sizeof file);
    FILE *f = fopen(file, "w");
    ck_assert(f != NULL);
    fputs("x\n", f);
    fclose(f);
    fib_job_plan_params p = {0};
    p.session_path = cfg;
    p.json_path = json;
    p.out_dir = file;
    p.quiet = true;
    fib_error err = {0};
    ck_assert_int_eq(fib_job_plan(&p, NULL, NULL, &err), FIB_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "exists and is not a folder"));
    ck_assert(!exists(json));
    /* the same run without the bad folder writes the JSON */
    p.out_dir = NULL;
    fib_error_clear(&err);
    ck_assert_int_eq(fib_job_plan(&p, NULL, NULL, &err), FIB_OK);
    ck_assert(exists(json));
    /* a missing session file is bad input naming the file */
    p.session_path = "/nonexistent/session.cfg";
    fib_error_clear(&err);
    fib_status st = fib_job_plan(&p, NULL, NULL, &err);
    ck_assert(fib_status_is_bad_input(st) || st == FIB_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "session.cfg"));
}
END_TEST

START_TEST(test_demo_ions)
{
    /* the embedded demo with a species list: one plan per named ion */
    fib_job_plan_params p = {0};
    p.ions = "Xe,Ga,Ar";
    p.quiet = true;
    fib_job_plan_result res;
    fib_error err = {0};
    ck_assert_msg(fib_job_plan(&p, NULL, &res, &err) == FIB_OK, "%s", err.msg);
    ck_assert_uint_eq(res.n_ions, 3);
    ck_assert_double_gt(res.total_time_s[0], 0);
    /* more species than a plan compares is bad input */
    p.ions = "Ga,Xe,Ga,Xe,Ga";
    fib_error_clear(&err);
    ck_assert_int_eq(fib_job_plan(&p, NULL, &res, &err), FIB_EINVAL);
    ck_assert_str_eq(err.msg, "--ion names too many species");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("job_plan");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_plan_one_site);
    tcase_add_test(tc, test_plan_quiet_optimized);
    tcase_add_test(tc, test_plan_sessions);
    tcase_add_test(tc, test_workflow3);
    tcase_add_test(tc, test_slice_view);
    tcase_add_test(tc, test_all_or_none);
    tcase_add_test(tc, test_demo_ions);
    suite_add_tcase(s, tc);
    return fib_test_run(s, getenv("FIB_SOURCE_DIR") ? NULL
                                                    : "FIB_SOURCE_DIR unset");
}
