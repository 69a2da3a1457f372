/* plan_report_text.c -- the terminal tables of session plans (the lines
 * `cryofib plan` and `cryofib workflow` print), as FIB_JOB_RESULT
 * messages. */
#include <stdarg.h>
#include <stdio.h>

#include "job_plan_internal.h"

static void fmt_time(double s, char *buf, size_t n)
{
    if (s < 120)
        snprintf(buf, n, "%.0f s", s);
    else if (s < 7200)
        snprintf(buf, n, "%.1f min", s / 60);
    else
        snprintf(buf, n, "%.2f h", s / 3600);
}

static void say_workflow(const fib_job_env *env, const fib_plan_workflow *w,
                         unsigned sens)
{
    char buf[160];
    fib_plan_sens_string(sens, buf, sizeof buf);
    fib_job_say(env, FIB_JOB_RESULT, "workflow %d: %s", w->number, w->summary);
    fib_job_say(env, FIB_JOB_RESULT, "  sensitivities: %s",
                buf[0] ? buf : "(none)");
    fib_job_say(env, FIB_JOB_RESULT, "  why: %s", w->reason);
    fib_job_say(env, FIB_JOB_RESULT, "  protects against: %s%s%s%s",
                w->protects_ebeam ? "electron beam" : "(no special protection)",
                w->protects_air ? ", air/moisture" : "",
                w->protects_ion ? ", ion beam" : "",
                w->protects_thermal ? ", warming" : "");
    fib__line l = {.n = 0};
    fib__line_add(&l, "  requires:");
    for (int i = 0; i < 6 && w->requires[i]; i++)
        fib__line_add(&l, "%s %s", i ? ";" : "", w->requires[i]);
    fib__line_say(env, &l);
}

void fib__say_workflow_head(const fib_job_env *env, const char *name,
                            const fib_plan_workflow *w, unsigned sens,
                            bool cryo)
{
    fib_job_say(env, FIB_JOB_RESULT, "session: %s",
                name[0] ? name : "(unnamed)");
    say_workflow(env, w, sens);
    /* checked against the session's own temperature */
    char msg[FIB_PLAN_LINE_MAX];
    fib_plan_workflow_conflict c =
        fib_plan_workflow_check(w, cryo, msg, sizeof msg);
    if (c == FIB_PLAN_WORKFLOW_WARNING)
        fib_job_say(env, FIB_JOB_RESULT, "  warning: %s", msg);
    else if (c == FIB_PLAN_WORKFLOW_NOTE)
        fib_job_say(env, FIB_JOB_RESULT, "  note: %s", msg);
}

/* the two header lines of a plan table */
#define PLAN_HEAD                                                              \
    "%-3s %-13s %-13s %5s %9s %9s %9s %9s %7s %7s %6s %6s %6s %8s %8s"

static void say_plan(const fib_job_env *env, const fib_plan *p,
                     const char *title)
{
    char tt[32], tm[32];
    fmt_time(fib_plan_total_time_s(p), tt, sizeof tt);
    fmt_time(fib_plan_milling_time_s(p), tm, sizeof tm);
    fib_job_say(env, FIB_JOB_RESULT,
                "\n%s plan (%s ladder): ROI %s, final %.0f nm, session %s, "
                "milling %s",
                title,
                fib_plan_get_mode(p) == FIB_PLAN_LADDER_OPTIMIZED ? "optimized"
                                                                  : "default",
                fib_plan_roi_material(p), fib_plan_final_thickness_nm(p), tt,
                tm);
    fib_job_say(env, FIB_JOB_RESULT, PLAN_HEAD, "#", "step", "kind", "kV",
                "I(pA)", "V(um3)", "dose(nC)", "t_cmd(s)", "z_cmd", "z_phys",
                "dmg", "probe", "dist", "start", "end");
    fib_job_say(env, FIB_JOB_RESULT, PLAN_HEAD, "", "", "", "", "", "", "", "",
                "(um)", "(um)", "(nm)", "(nm)", "(um)", "(min)", "(min)");
    for (size_t i = 0; i < fib_plan_step_count(p); i++) {
        const fib_plan_step *s = fib_plan_step_get(p, i);
        if (s->mills)
            fib_job_say(env, FIB_JOB_RESULT,
                        "%-3zu %-13s %-13s %5.1f %9.4g %9.4g %9.4g %9.1f "
                        "%7.3f %7.3f %6.1f %6.0f %6.2f %8.1f %8.1f",
                        i + 1, s->name, fib_geom_kind_name(s->pattern.kind),
                        s->energy_keV, s->current_pA, s->volume_um3, s->dose_nC,
                        s->commanded_time_s, s->commanded_depth_um,
                        s->physical_depth_um, s->damage_depth_nm, s->probe_d_nm,
                        s->distance_um, s->start_s / 60, s->end_s / 60);
        else
            fib_job_say(env, FIB_JOB_RESULT,
                        "%-3zu %-13s %-13s %5s %9s %9.4g %9s %9s %7s %7s %6s "
                        "%6s %6s %8.1f %8.1f  (deposit/transfer %.0f s)",
                        i + 1, s->name, fib_geom_kind_name(s->pattern.kind),
                        "-", "-", s->volume_um3, "-", "-", "-", "-", "-", "-",
                        "-", s->start_s / 60, s->end_s / 60, s->overhead_s);
    }
}

static void say_ladder_line(const fib_job_env *env, const fib_plan *p)
{
    fib__line l = {.n = 0};
    fib__line_add(&l, "  ladder %-9s:",
                  fib_plan_get_mode(p) == FIB_PLAN_LADDER_OPTIMIZED
                      ? "optimized"
                      : "default");
    double last = -1, last_kv = -1;
    for (size_t i = 0; i < fib_plan_step_count(p); i++) {
        const fib_plan_step *s = fib_plan_step_get(p, i);
        if (!s->mills)
            continue;
        if (s->current_pA == last && s->energy_keV == last_kv)
            continue;
        last = s->current_pA;
        last_kv = s->energy_keV;
        if (s->current_pA >= 1000)
            fib__line_add(&l, " %s %.3gnA", s->name, s->current_pA / 1000);
        else
            fib__line_add(&l, " %s %.3gpA", s->name, s->current_pA);
        if (s->energy_keV !=
            fib_plan_step_get(p, 1 < fib_plan_step_count(p) ? 1 : 0)
                ->energy_keV)
            fib__line_add(&l, "@%gkV", s->energy_keV);
    }
    char tt[32];
    fmt_time(fib_plan_total_time_s(p), tt, sizeof tt);
    fib__line_add(&l, "  -> %s", tt);
    fib__line_say(env, &l);
}

void fib__say_plans(const fib_job_env *env, fib_plan *const *def,
                    fib_plan *const *opt, size_t n, bool optimized_primary)
{
    fib_plan *const *prim = optimized_primary ? opt : def;
    for (size_t i = 0; i < n; i++) {
        say_plan(env, prim[i], fib__ion_sym(fib_plan_get_ion(prim[i])));
        say_ladder_line(env, def[i]);
        say_ladder_line(env, opt[i]);
        for (size_t w = 0; w < fib_plan_warning_count(prim[i]); w++)
            fib_job_say(env, FIB_JOB_RESULT, "  warning: %s",
                        fib_plan_warning_get(prim[i], w));
    }
    fib_plan_totals tot[FIB_PLAN_MAX_IONS];
    fib_plan_compare((const fib_plan *const *)prim, n, tot);
    fib_job_say(env, FIB_JOB_RESULT,
                "\nion comparison (ratios to %s):", fib__ion_sym(tot[0].ion));
    fib_job_say(env, FIB_JOB_RESULT,
                "%-4s %12s %12s %10s %10s %10s %8s %8s %8s", "ion",
                "milling(min)", "session(min)", "damage(nm)", "final(nm)",
                "implanted", "r_mill", "r_sess", "r_dmg");
    for (size_t i = 0; i < n; i++)
        fib_job_say(env, FIB_JOB_RESULT,
                    "%-4s %12.1f %12.1f %10.1f %10.0f %9.0f%% %8.2f %8.2f "
                    "%8.2f",
                    fib__ion_sym(tot[i].ion), tot[i].milling_time_s / 60,
                    tot[i].total_time_s / 60, tot[i].final_damage_nm,
                    tot[i].final_thickness_nm, 100 * tot[i].implanted_fraction,
                    tot[i].ratio_milling, tot[i].ratio_total,
                    tot[i].ratio_damage);
}
