/* plan_report_csv.c -- the CSV reports of `cryofib plan`: every step of
 * both ladders of every ion (one site), or every step of every ion's
 * session (several sites). */
#include "job_plan_internal.h"

static void csv_header(fib_fmt_csv *c, const char *const *h, size_t n)
{
    for (size_t k = 0; k < n; k++)
        fib_fmt_csv_field(c, h[k]);
    fib_fmt_csv_end_row(c);
}

static void csv_plan_step(fib_fmt_csv *csv, const fib_plan_step *x,
                          const char *ladder, size_t s)
{
    fib_fmt_csv_field(csv, fib__ion_sym(x->ion));
    fib_fmt_csv_field(csv, ladder);
    fib_fmt_csv_int(csv, (long long)s + 1);
    fib_fmt_csv_field(csv, x->name);
    fib_fmt_csv_field(csv, fib_geom_kind_name(x->pattern.kind));
    fib_fmt_csv_number(csv, x->energy_keV);
    fib_fmt_csv_number(csv, x->current_pA);
    fib_fmt_csv_number(csv, x->volume_um3);
    fib_fmt_csv_number(csv, x->dose_nC);
    fib_fmt_csv_number(csv, x->dose_ions_cm2);
    fib_fmt_csv_number(csv, x->commanded_time_s);
    fib_fmt_csv_number(csv, x->commanded_depth_um);
    fib_fmt_csv_number(csv, x->physical_depth_um);
    fib_fmt_csv_number(csv, x->target_depth_um);
    fib_fmt_csv_number(csv, x->removed_per_face_nm);
    fib_fmt_csv_number(csv, x->damage_depth_nm);
    fib_fmt_csv_number(csv, x->probe_d_nm);
    fib_fmt_csv_number(csv, x->distance_um);
    fib_fmt_csv_number(csv, x->overhead_s);
    fib_fmt_csv_number(csv, x->start_s);
    fib_fmt_csv_number(csv, x->end_s);
    fib_fmt_csv_end_row(csv);
}

fib_status fib__plan_csv(fib_plan *const *def, fib_plan *const *opt, size_t n,
                         fib_fmt_csv **out, fib_error *err)
{
    fib_fmt_csv *csv = NULL;
    fib_status st = fib_fmt_csv_create(&csv, err);
    if (st != FIB_OK)
        return st;
    static const char *const hdr[] = {"ion",
                                      "ladder",
                                      "step",
                                      "name",
                                      "kind",
                                      "energy_kev",
                                      "current_pA",
                                      "volume_um3",
                                      "dose_nC",
                                      "dose_ions_cm2",
                                      "commanded_time_s",
                                      "commanded_depth_um",
                                      "physical_depth_um",
                                      "target_depth_um",
                                      "removed_per_face_nm",
                                      "damage_depth_nm",
                                      "probe_d_nm",
                                      "distance_um",
                                      "overhead_s",
                                      "start_s",
                                      "end_s"};
    csv_header(csv, hdr, sizeof hdr / sizeof hdr[0]);
    for (size_t i = 0; i < n; i++)
        for (int m = 0; m < 2; m++) {
            const fib_plan *p = m == 0 ? def[i] : opt[i];
            for (size_t s = 0; s < fib_plan_step_count(p); s++)
                csv_plan_step(csv, fib_plan_step_get(p, s),
                              m ? "optimized" : "default", s);
        }
    *out = csv;
    return FIB_OK;
}

static void csv_session_step(fib_fmt_csv *csv, const fib_session *s,
                             const fib_session_step *q, const char *is)
{
    fib_fmt_csv_field(csv, is);
    fib_fmt_csv_field(csv, fib_session_site_get(s, q->site)->name);
    fib_fmt_csv_field(csv, fib_session_batch_name(q->batch));
    fib_fmt_csv_int(csv, (long long)q->phase);
    fib_fmt_csv_field(csv, q->step.name);
    fib_fmt_csv_field(csv, fib_geom_kind_name(q->step.pattern.kind));
    fib_fmt_csv_number(csv, q->step.energy_keV);
    fib_fmt_csv_number(csv, q->step.current_pA);
    fib_fmt_csv_number(csv, q->step.mills ? q->step.commanded_time_s : 0.0);
    fib_fmt_csv_number(csv, q->step.commanded_depth_um);
    fib_fmt_csv_number(csv, q->step.physical_depth_um);
    fib_fmt_csv_number(csv, q->step.target_depth_um);
    fib_fmt_csv_number(csv, q->step.removed_per_face_nm);
    fib_fmt_csv_number(csv, q->step.overhead_s);
    fib_fmt_csv_number(csv, q->step.start_s);
    fib_fmt_csv_number(csv, q->step.end_s);
    fib_fmt_csv_end_row(csv);
}

fib_status fib__session_csv(fib_session *const *ss, size_t n, fib_fmt_csv **out,
                            fib_error *err)
{
    fib_fmt_csv *csv = NULL;
    fib_status st = fib_fmt_csv_create(&csv, err);
    if (st != FIB_OK)
        return st;
    static const char *const hdr[] = {"ion",
                                      "site",
                                      "batch",
                                      "phase",
                                      "name",
                                      "kind",
                                      "energy_kev",
                                      "current_pA",
                                      "commanded_time_s",
                                      "commanded_depth_um",
                                      "physical_depth_um",
                                      "target_depth_um",
                                      "removed_per_face_nm",
                                      "overhead_s",
                                      "start_s",
                                      "end_s"};
    csv_header(csv, hdr, sizeof hdr / sizeof hdr[0]);
    for (size_t i = 0; i < n; i++) {
        const char *is =
            fib__ion_sym(fib_plan_get_ion(fib_session_site_plan(ss[i], 0)));
        for (size_t k = 0; k < fib_session_step_count(ss[i]); k++)
            csv_session_step(csv, ss[i], fib_session_step_get(ss[i], k), is);
    }
    *out = csv;
    return FIB_OK;
}
