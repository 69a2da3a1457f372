/*
 * session.c -- several lamella sites and temperature phases on top of the
 * single-site plan (see fib/session.h for the model and its sources).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fib/session.h"

enum { SESSION_MAX_WARN = 16 };

struct fib_session {
    fib_session_request req;
    fib_plan *plans[FIB_SESSION_MAX_SITES];
    fib_session_site_result res[FIB_SESSION_MAX_SITES];
    size_t n_steps;
    fib_session_step *steps;
    size_t n_phases;
    fib_session_phase phases[FIB_SESSION_MAX_PHASES];
    fib_session_summary sum;
    size_t n_warn;
    char warn[SESSION_MAX_WARN][FIB_PLAN_LINE_MAX];
};

/* Documented phase defaults (fib/session.h). */
static const double LOAD_S = 600, UNLOAD_S = 300, COOL_S = 2400, WARM_S = 3600,
                    TRANSFER_S = 600;
static const char SRC_COOL[] =
    "cryo-stage cool-down with an LN2 dewar, typically 30-45 min [U]";
static const char SRC_WARM[] = "stage warm-up to room temperature, ~60 min "
                               "[U]";
static const char SRC_XFER[] = "shuttle transfer incl. load-lock pumping, "
                               "~10 min [U]";
static const char SRC_LOAD[] = "load and pump the chamber, ~10 min [U]";
static const char SRC_UNLOAD[] = "vent and unload, ~5 min [U]";
static const char SRC_MILL[] = "batched steps of fib_plan_create, overheads "
                               "from fibsem-os timing.py";

static FIB_PRINTF(2, 3) void add_warn(fib_session *s, const char *fmt, ...)
{
    if (s->n_warn >= SESSION_MAX_WARN)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->warn[s->n_warn++], FIB_PLAN_LINE_MAX, fmt, ap);
    va_end(ap);
}

void fib_session_request_init(fib_session_request *r,
                              const fib_plan_request *base)
{
    memset(r, 0, sizeof *r);
    if (base)
        r->base = *base;
    r->workflow = -1;
}

fib_session_batch fib_session_step_batch(const fib_plan_step *st)
{
    switch (st->pattern.kind) {
    case FIB_GEOM_ATTACH:
    case FIB_GEOM_CUT_FREE:
    case FIB_GEOM_GRID_ATTACH:
    case FIB_GEOM_NEEDLE_CUT:
        return FIB_SESSION_BATCH_LIFTOUT;
    case FIB_GEOM_THIN:
        return strncmp(st->name, "polish", 6) == 0 ? FIB_SESSION_BATCH_POLISH
                                                   : FIB_SESSION_BATCH_THIN;
    case FIB_GEOM_POLISH:
        return FIB_SESSION_BATCH_POLISH;
    default:
        return FIB_SESSION_BATCH_ROUGH;
    }
}

const char *fib_session_batch_name(fib_session_batch b)
{
    static const char *const n[] = {"rough", "lift-out", "thinning",
                                    "polishing"};
    return (unsigned)b < FIB_SESSION_BATCH_COUNT_ ? n[b] : "?";
}

const char *fib_session_phase_kind_name(fib_session_phase_kind k)
{
    static const char *const n[] = {"load",    "cool-down", "transfer",
                                    "milling", "warm-up",   "unload"};
    return (unsigned)k <= FIB_SESSION_PHASE_UNLOAD ? n[k] : "?";
}

double fib_session_success_rate(fib_geom_method m, const char **source)
{
    const char *src;
    double r;
    switch (m) {
    case FIB_GEOM_LIFTOUT:
        r = 0.75;
        src = "lift-out 60-90 % (Yao (ed.), Focused Ion Beam Systems, CUP "
              "2007, ch. 8), middle";
        break;
    case FIB_GEOM_CRYO_LIFTOUT:
        r = 0.5;
        src = "cryo lift-out: several hours per volume, fewer successes "
              "than RT lift-out (planner-physics.md 5.2) [U]";
        break;
    case FIB_GEOM_ON_GRID:
        r = 0.8;
        src = "automated cryo on-grid (AutoLamella, SerialFIB: 5-15 "
              "lamellae per overnight run) [U]";
        break;
    case FIB_GEOM_WAFFLE:
        r = 0.7;
        src = "waffle method (Kelley et al., Nat. Commun. 13 (2022) 1857) "
              "[U]";
        break;
    default:
        r = 0.9;
        src = "H-bar, no lift-out (Yao 2007: ~10 automated overnight) [U]";
        break;
    }
    if (source)
        *source = src;
    return r;
}

/* ---------------------------------------------------------------------- */

static fib_status check_request(const fib_session_request *r, fib_error *err)
{
    if (r->n_sites < 1 || r->n_sites > FIB_SESSION_MAX_SITES)
        return fib_error_set(err, FIB_EINVAL,
                             "session: sites must list 1..%d sites (got %zu)",
                             FIB_SESSION_MAX_SITES, r->n_sites);
    for (size_t i = 0; i < r->n_sites; i++) {
        const fib_session_site *s = &r->sites[i];
        if (!s->name[0] || strlen(s->name) >= FIB_SESSION_NAME_MAX)
            return fib_error_set(err, FIB_EINVAL,
                                 "session: sites[%zu].name must be 1..%d "
                                 "characters",
                                 i, FIB_SESSION_NAME_MAX - 1);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(r->sites[k].name, s->name))
                return fib_error_set(err, FIB_EINVAL,
                                     "session: sites[%zu].name '%s' repeats "
                                     "sites[%zu]",
                                     i, s->name, k);
        if (!isfinite(s->x_um) || !isfinite(s->y_um))
            return fib_error_set(err, FIB_EINVAL,
                                 "session: sites[%zu] position must be "
                                 "finite",
                                 i);
        if (s->method < -1 || s->method >= (int)FIB_GEOM_METHOD_COUNT_)
            return fib_error_set(err, FIB_EINVAL,
                                 "session: sites[%zu].method %d unknown", i,
                                 s->method);
        const double g[4] = {s->lamella_width_um, s->lamella_height_um,
                             s->target_thickness_nm, s->trench_length_um};
        for (int k = 0; k < 4; k++)
            if (!(g[k] >= 0) || !isfinite(g[k]))
                return fib_error_set(err, FIB_EINVAL,
                                     "session: sites[%zu] geometry overrides "
                                     "must be >= 0 (0 = base)",
                                     i);
    }
    if (r->workflow < -1 || r->workflow > 4)
        return fib_error_set(err, FIB_EINVAL,
                             "session: workflow must be 0..4 (got %d)",
                             r->workflow);
    if (r->workflow == 2)
        return fib_error_set(err, FIB_EINVAL,
                             "session: workflow 2 (nano-scaled specimen, "
                             "glovebox) needs no FIB milling; use 0, 1, 3 "
                             "or 4");
    if ((r->workflow == 3 || r->workflow == 4) && !r->base.cryo)
        return fib_error_set(err, FIB_EINVAL,
                             "session: workflow %d mills at cryo but "
                             "temperature.mode is room",
                             r->workflow);
    if ((r->workflow == 0 || r->workflow == 1) && r->base.cryo)
        return fib_error_set(err, FIB_EINVAL,
                             "session: workflow %d mills at room temperature "
                             "but temperature.mode is cryo",
                             r->workflow);
    const fib_session_phase_times *t = &r->times;
    const double tv[5] = {t->load_s, t->unload_s, t->cool_down_s, t->warm_up_s,
                          t->transfer_s};
    for (int k = 0; k < 5; k++)
        if (!(tv[k] >= 0) || !isfinite(tv[k]))
            return fib_error_set(err, FIB_EINVAL,
                                 "session: phase times must be >= 0");
    if (!(r->success_rate >= 0 && r->success_rate <= 1))
        return fib_error_set(err, FIB_EINVAL,
                             "session: success_rate must be in 0..1 (got "
                             "%g)",
                             r->success_rate);
    return FIB_OK;
}

static double dflt(double v, double d)
{
    return v > 0 ? v : d;
}

static void add_phase(fib_session *s, fib_session_phase_kind k,
                      const char *name, double T_K, double dur_s,
                      unsigned batches, const char *src)
{
    fib_session_phase *p = &s->phases[s->n_phases++];
    memset(p, 0, sizeof *p);
    p->kind = k;
    snprintf(p->name, sizeof p->name, "%s", name);
    p->temperature_K = T_K;
    p->duration_s = dur_s;
    p->batches = batches;
    p->source = src;
}

/* The phase list of the workflow.  @p has_liftout: some site has a
 * lift-out batch (workflow 3 warms up for it). */
static void build_phases(fib_session *s, bool has_liftout)
{
    const fib_session_request *r = &s->req;
    const fib_session_phase_times *t = &r->times;
    const double Tc = r->base.stage_K > 0 ? r->base.stage_K : 93.0;
    const double Trt = 295.0;
    const unsigned all = (1u << FIB_SESSION_BATCH_COUNT_) - 1;
    const double cool = dflt(t->cool_down_s, COOL_S),
                 warm = dflt(t->warm_up_s, WARM_S),
                 xfer = dflt(t->transfer_s, TRANSFER_S);
    switch (r->workflow) {
    case 3:
        add_phase(s, FIB_SESSION_PHASE_TRANSFER,
                  "vacuum-shuttle transfer glovebox -> FIB", Trt, xfer, 0,
                  SRC_XFER);
        add_phase(s, FIB_SESSION_PHASE_COOL, "cool the cryo stage", Tc, cool, 0,
                  SRC_COOL);
        if (has_liftout) {
            add_phase(s, FIB_SESSION_PHASE_MILL, "cryo rough milling", Tc, 0,
                      1u << FIB_SESSION_BATCH_ROUGH, SRC_MILL);
            add_phase(s, FIB_SESSION_PHASE_WARM, "warm up for the lift-out",
                      Trt, warm, 0, SRC_WARM);
            add_phase(s, FIB_SESSION_PHASE_MILL, "warm lift-out", Trt, 0,
                      1u << FIB_SESSION_BATCH_LIFTOUT, SRC_MILL);
            add_phase(s, FIB_SESSION_PHASE_COOL, "cool the cryo stage again",
                      Tc, cool, 0, SRC_COOL);
            add_phase(s, FIB_SESSION_PHASE_MILL, "cryo thinning and polishing",
                      Tc, 0,
                      (1u << FIB_SESSION_BATCH_THIN) |
                          (1u << FIB_SESSION_BATCH_POLISH),
                      SRC_MILL);
        } else {
            add_phase(s, FIB_SESSION_PHASE_MILL, "cryo milling", Tc, 0, all,
                      SRC_MILL);
        }
        add_phase(s, FIB_SESSION_PHASE_WARM, "warm up", Trt, warm, 0, SRC_WARM);
        add_phase(s, FIB_SESSION_PHASE_TRANSFER,
                  "vacuum-shuttle transfer FIB -> glovebox", Trt, xfer, 0,
                  SRC_XFER);
        break;
    case 4:
        add_phase(s, FIB_SESSION_PHASE_COOL, "cool the cryo stage", Tc, cool, 0,
                  SRC_COOL);
        add_phase(s, FIB_SESSION_PHASE_TRANSFER, "cryo-shuttle transfer in", Tc,
                  xfer, 0, SRC_XFER);
        add_phase(s, FIB_SESSION_PHASE_MILL, "cryo milling", Tc, 0, all,
                  SRC_MILL);
        add_phase(s, FIB_SESSION_PHASE_TRANSFER, "cryo-shuttle transfer out",
                  Tc, xfer, 0, SRC_XFER);
        add_phase(s, FIB_SESSION_PHASE_WARM, "stage warm-up", Trt, warm, 0,
                  SRC_WARM);
        break;
    default: /* 0, 1: room temperature */
        add_phase(s, FIB_SESSION_PHASE_LOAD, "load and pump down", Trt,
                  dflt(t->load_s, LOAD_S), 0, SRC_LOAD);
        add_phase(s, FIB_SESSION_PHASE_MILL, "milling", Trt, 0, all, SRC_MILL);
        add_phase(s, FIB_SESSION_PHASE_UNLOAD, "vent and unload", Trt,
                  dflt(t->unload_s, UNLOAD_S), 0, SRC_UNLOAD);
        break;
    }
}

/* A step reference: site and index in its plan. */
typedef struct sref {
    size_t site, idx;
    fib_session_batch batch;
} sref;

/* Overheads of a step in the plan's own timeline that the session keeps
 * (alignment, image, GIS/needle/transfer) -- everything but current
 * changes, stage moves and kV changes, which the session re-times.  The
 * plan's kV change is re-derived with plan.c's rule (kv_change_s when the
 * energy differs from the previous milling step of the plan). */
static double kept_overhead(const fib_plan *p, size_t i,
                            const fib_plan_overheads *o, bool warm)
{
    const fib_plan_step *st = fib_plan_step_get(p, i);
    double other = st->overhead_other_s;
    /* a weld of a cryo plan made in a warm phase (workflow 3 lift-out):
     * GIS Pt-C at the room-temperature IBID rate instead of condensed ice,
     * as plan.c times it at room temperature */
    fib_geom_kind k = st->pattern.kind;
    if (warm && fib_plan_get_request(p)->cryo &&
        (k == FIB_GEOM_ATTACH || k == FIB_GEOM_GRID_ATTACH))
        other += o->gis_s + st->pattern.volume_um3 / o->deposit_rate_um3_s -
                 o->ice_attach_s;
    if (st->mills) {
        for (size_t j = i; j-- > 0;) {
            const fib_plan_step *q = fib_plan_step_get(p, j);
            if (q->mills) {
                if (q->energy_keV != st->energy_keV)
                    other -= o->kv_change_s;
                break;
            }
        }
    }
    if (other < 0)
        other = 0;
    return st->overhead_align_s + st->overhead_image_s + other;
}

typedef struct sched_stats {
    size_t current_changes, site_moves;
    double total_s;
} sched_stats;

/* Time the sequence @p seq (n steps) from t0 (@p batch_warm[b]: batch b
 * runs in a room-temperature phase); writes session steps into @p out when
 * non-NULL.  Returns the stats. */
static sched_stats run_schedule(fib_session *s, const sref *seq, size_t n,
                                double t0, const bool *batch_warm,
                                fib_session_step *out)
{
    const fib_plan_overheads *o = &fib_plan_get_request(s->plans[0])->overheads;
    sched_stats ss = {0};
    double t = t0, last_kV = 0, last_pA = 0, last_inc = NAN;
    size_t last_site = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        const fib_plan *p = s->plans[seq[i].site];
        const fib_plan_overheads *po = &fib_plan_get_request(p)->overheads;
        fib_plan_step st = *fib_plan_step_get(p, seq[i].idx);
        bool cc = false, move = false;
        double kv = 0;
        if (st.mills) {
            cc = st.current_pA != last_pA || st.energy_keV != last_kV;
            if (last_kV > 0 && st.energy_keV != last_kV)
                kv = po->kv_change_s;
            last_pA = st.current_pA;
            last_kV = st.energy_keV;
        }
        move = seq[i].site != last_site;
        bool tilt = !(st.pattern.incidence_deg == last_inc);
        if (move && last_site != (size_t)-1)
            ss.site_moves++;
        if (cc)
            ss.current_changes++;
        double keep =
            kept_overhead(p, seq[i].idx, po, batch_warm[seq[i].batch]);
        st.overhead_current_s = cc ? o->current_change_s : 0;
        st.overhead_stage_s = (move || tilt) ? o->stage_move_s : 0;
        st.overhead_other_s =
            keep - st.overhead_align_s - st.overhead_image_s + kv;
        st.overhead_s = st.overhead_current_s + st.overhead_stage_s +
                        st.overhead_align_s + st.overhead_image_s +
                        st.overhead_other_s;
        st.start_s = t;
        t += st.overhead_s + (st.mills ? st.commanded_time_s : 0);
        st.end_s = t;
        last_site = seq[i].site;
        last_inc = st.pattern.incidence_deg;
        if (out) {
            out[i].site = seq[i].site;
            out[i].plan_step = seq[i].idx;
            out[i].batch = seq[i].batch;
            out[i].current_change = cc;
            out[i].site_move = move && i > 0;
            out[i].step = st;
        }
    }
    ss.total_s = t - t0;
    return ss;
}

/* Fill seq with the batched order of the batches in @p mask, serpentine
 * over the sites; *dir flips after every non-empty batch. */
static size_t batched_order(const fib_session *s, unsigned mask,
                            const fib_session_batch *const *bat, sref *seq,
                            bool *forward)
{
    size_t n = 0, ns = s->req.n_sites;
    for (int b = 0; b < FIB_SESSION_BATCH_COUNT_; b++) {
        if (!(mask & (1u << b)))
            continue;
        size_t before = n;
        for (size_t k = 0; k < ns; k++) {
            size_t site = *forward ? k : ns - 1 - k;
            const fib_plan *p = s->plans[site];
            for (size_t i = 0; i < fib_plan_step_count(p); i++)
                if ((int)bat[site][i] == b) {
                    seq[n].site = site;
                    seq[n].idx = i;
                    seq[n].batch = (fib_session_batch)b;
                    n++;
                }
        }
        if (n > before)
            *forward = !*forward;
    }
    return n;
}

/* Per-site results and session totals once the schedule is run: @p ref
 * the site-by-site reference, @p t the session's end, @p done steps, @p cc
 * current changes and @p moves site moves of the batched schedule, @p rate
 * the ice growth (nm/h). */
static void summarize(fib_session *s, const sched_stats *ref_in, double t,
                      size_t done, size_t cc, size_t moves, double rate)
{
    const fib_session_request *r = &s->req;
    const size_t ns = r->n_sites;
    const sched_stats ref = *ref_in;
    fib_session_summary *S = &s->sum;
    S->workflow = r->workflow;
    S->n_sites = ns;
    S->n_steps = done;
    S->total_s = t;
    S->current_changes = cc;
    S->current_changes_sitewise = ref.current_changes;
    S->site_moves = moves;
    S->site_moves_sitewise = ref.site_moves;
    S->schedule_sitewise_s = ref.total_s;
    for (size_t i = 0; i < done; i++) {
        const fib_session_step *st = &s->steps[i];
        fib_session_site_result *R = &s->res[st->site];
        if (st->step.mills) {
            R->milling_s += st->step.commanded_time_s;
            S->milling_s += st->step.commanded_time_s;
        }
        R->overhead_s += st->step.overhead_s;
        S->overhead_s += st->step.overhead_s;
        R->polish_end_s = st->step.end_s;
    }
    S->schedule_s = S->milling_s + S->overhead_s;
    S->time_saved_s = S->schedule_sitewise_s - S->schedule_s;
    for (size_t ph = 0; ph < s->n_phases; ph++)
        if (s->phases[ph].kind != FIB_SESSION_PHASE_MILL)
            S->phases_s += s->phases[ph].duration_s;
    for (size_t k = 0; k < ns; k++) {
        fib_session_site_result *R = &s->res[k];
        R->final_thickness_nm = fib_plan_final_thickness_nm(s->plans[k]);
        /* the milling phase holding the site's last step */
        double end = R->polish_end_s;
        for (size_t i = done; i-- > 0;)
            if (s->steps[i].site == k) {
                const fib_session_phase *P = &s->phases[s->steps[i].phase];
                end = P->temperature_K < 200 ? P->end_s : R->polish_end_s;
                break;
            }
        R->ice_after_nm = rate * (end - R->polish_end_s) / 3600.0;
        if (R->ice_after_nm > S->ice_max_nm)
            S->ice_max_nm = R->ice_after_nm;
        if (R->ice_sitewise_nm > S->ice_max_sitewise_nm)
            S->ice_max_sitewise_nm = R->ice_sitewise_nm;
    }
    /* success: the request's rate, else the mean of the sites' method
     * rates (sites may override the method) */
    if (r->success_rate > 0) {
        S->success_rate = r->success_rate;
        S->success_source = "success_rate from the session file";
    } else {
        double sum = 0;
        for (size_t k = 0; k < ns; k++)
            sum += fib_session_success_rate(
                fib_plan_get_request(s->plans[k])->site.method,
                &S->success_source);
        S->success_rate = sum / (double)ns;
    }
    S->expected_lamellae = (double)ns * S->success_rate;
    S->lamellae_per_day =
        S->total_s > 0 ? S->expected_lamellae * 86400.0 / S->total_s : 0;
}

static fib_status build(fib_session *s, fib_error *err)
{
    const fib_session_request *r = &s->req;
    const size_t ns = r->n_sites;
    size_t total = 0;
    for (size_t k = 0; k < ns; k++)
        total += fib_plan_step_count(s->plans[k]);
    fib_session_batch *batmem = calloc(total ? total : 1, sizeof *batmem);
    sref *seq = calloc(total ? total : 1, sizeof *seq);
    s->steps = calloc(total ? total : 1, sizeof *s->steps);
    if (!batmem || !seq || !s->steps) {
        free(batmem);
        free(seq);
        return fib_error_set(err, FIB_ENOMEM, "session: out of memory");
    }
    /* batch of each step: the earliest batch a later step still needs */
    fib_session_batch *bat[FIB_SESSION_MAX_SITES];
    bool has_liftout = false;
    size_t off = 0;
    for (size_t k = 0; k < ns; k++) {
        const fib_plan *p = s->plans[k];
        size_t m = fib_plan_step_count(p);
        bat[k] = batmem + off;
        off += m;
        fib_session_batch lo = FIB_SESSION_BATCH_POLISH;
        for (size_t i = m; i-- > 0;) {
            fib_session_batch b =
                fib_session_step_batch(fib_plan_step_get(p, i));
            if (b < lo)
                lo = b;
            bat[k][i] = lo;
            has_liftout |= lo == FIB_SESSION_BATCH_LIFTOUT;
        }
    }
    build_phases(s, has_liftout);

    /* site-by-site reference (milling only) */
    size_t n = 0;
    for (size_t k = 0; k < ns; k++)
        for (size_t i = 0; i < fib_plan_step_count(s->plans[k]); i++) {
            seq[n].site = k;
            seq[n].idx = i;
            seq[n].batch = bat[k][i];
            n++;
        }
    /* each batch at the temperature of the phase that runs it, in both
     * schedules (like for like) */
    bool batch_warm[FIB_SESSION_BATCH_COUNT_];
    for (int b = 0; b < FIB_SESSION_BATCH_COUNT_; b++) {
        batch_warm[b] = !r->base.cryo;
        for (size_t ph = 0; ph < s->n_phases; ph++)
            if (s->phases[ph].batches & (1u << b))
                batch_warm[b] = s->phases[ph].temperature_K >= 200;
    }
    sched_stats ref = run_schedule(s, seq, n, 0, batch_warm, s->steps);
    /* ice on each lamella, site by site: from its last step to the end */
    double rate =
        r->base.cryo ? fib_plan_get_request(s->plans[0])->ice_growth_nm_h : 0;
    for (size_t i = 0; i < n; i++)
        s->res[s->steps[i].site].ice_sitewise_nm =
            rate * (ref.total_s - s->steps[i].step.end_s) / 3600.0;

    /* the session: phases in order, MILL phases run their batches */
    double t = 0;
    size_t done = 0, cc = 0, moves = 0;
    bool forward = true;
    for (size_t ph = 0; ph < s->n_phases; ph++) {
        fib_session_phase *P = &s->phases[ph];
        P->start_s = t;
        if (P->kind == FIB_SESSION_PHASE_MILL) {
            size_t m = batched_order(s, P->batches,
                                     (const fib_session_batch *const *)bat, seq,
                                     &forward);
            sched_stats st =
                run_schedule(s, seq, m, t, batch_warm, s->steps + done);
            for (size_t i = 0; i < m; i++)
                s->steps[done + i].phase = ph;
            /* a milling phase starts with a stage move and a current
             * change of its own (re-alignment after a temperature change);
             * site_moves counts only moves inside the phase */
            cc += st.current_changes;
            moves += st.site_moves;
            P->duration_s = st.total_s;
            done += m;
        }
        t += P->duration_s;
        P->end_s = t;
    }
    s->n_steps = done;

    summarize(s, &ref, t, done, cc, moves, rate);
    free(batmem);
    free(seq);
    return FIB_OK;
}

fib_status fib_session_create(const fib_session_request *req, size_t ion_index,
                              fib_plan_ladder_mode mode,
                              const fib_plan_materials *db, fib_session **out,
                              fib_error *err)
{
    if (!req || !out)
        return fib_error_set(err, FIB_EINVAL, "session: NULL argument");
    *out = NULL;
    fib_status st = check_request(req, err);
    if (st != FIB_OK)
        return st;
    fib_session *s = calloc(1, sizeof *s);
    if (!s)
        return fib_error_set(err, FIB_ENOMEM, "session: out of memory");
    s->req = *req;
    /* warnings need the recommendation; the default workflow is the
     * recommended one when it fits the plan temperature */
    unsigned sens = 0;
    bool have_rec =
        fib_plan_request_sens(&req->base, db, &sens, NULL) == FIB_OK;
    fib_plan_workflow rec =
        fib_plan_workflow_recommend(sens, req->base.nanoscale);
    if (s->req.workflow < 0) {
        bool fits =
            have_rec && (req->base.cryo ? rec.number >= 3 : rec.number <= 1);
        s->req.workflow = fits ? rec.number : req->base.cryo ? 4 : 0;
    }
    for (size_t k = 0; k < req->n_sites && st == FIB_OK; k++) {
        const fib_session_site *si = &req->sites[k];
        fib_plan_request pr = req->base;
        if (si->method >= 0)
            pr.site.method = (fib_geom_method)si->method;
        if (si->lamella_width_um > 0)
            pr.site.lamella_width_um = si->lamella_width_um;
        if (si->lamella_height_um > 0)
            pr.site.lamella_height_um = si->lamella_height_um;
        if (si->target_thickness_nm > 0)
            pr.site.target_thickness_nm = si->target_thickness_nm;
        if (si->trench_length_um > 0)
            pr.site.trench_length_um = si->trench_length_um;
        fib_error e2 = {0};
        st = fib_plan_create(&pr, ion_index, mode, db, &s->plans[k], &e2);
        if (st != FIB_OK)
            fib_error_set(err, st, "session: site '%s': %s", si->name, e2.msg);
        else if (fib_plan_step_count(s->plans[k]) == 0)
            st = fib_error_set(err, FIB_EINVAL,
                               "session: site '%s' has no steps", si->name);
    }
    if (st == FIB_OK)
        st = build(s, err);
    if (st != FIB_OK) {
        fib_session_destroy(s);
        return st;
    }
    /* warnings: workflow vs the sample, ice budget */
    if (have_rec) {
        const fib_plan_workflow w = rec;
        char msg[FIB_PLAN_LINE_MAX];
        if (fib_plan_workflow_check(&w, req->base.cryo, msg, sizeof msg) !=
            FIB_PLAN_WORKFLOW_OK)
            add_warn(s, "%s", msg);
        else if (w.number == 4 && s->req.workflow == 3)
            add_warn(s,
                     "workflow 3 warms the sample for the lift-out but "
                     "workflow 4 is recommended: %s",
                     w.reason);
    }
    if (s->sum.ice_max_nm > 0)
        add_warn(s,
                 "ice budget: the first finished lamella collects %.0f nm "
                 "of ice before its milling phase ends (site by site: %.0f "
                 "nm)",
                 s->sum.ice_max_nm, s->sum.ice_max_sitewise_nm);
    *out = s;
    return FIB_OK;
}

void fib_session_destroy(fib_session *s)
{
    if (!s)
        return;
    for (size_t k = 0; k < FIB_SESSION_MAX_SITES; k++)
        fib_plan_destroy(s->plans[k]);
    free(s->steps);
    free(s);
}

const fib_session_request *fib_session_get_request(const fib_session *s)
{
    return &s->req;
}
fib_session_summary fib_session_get_summary(const fib_session *s)
{
    return s->sum;
}
size_t fib_session_site_count(const fib_session *s)
{
    return s->req.n_sites;
}
const fib_session_site *fib_session_site_get(const fib_session *s, size_t i)
{
    return i < s->req.n_sites ? &s->req.sites[i] : NULL;
}
const fib_plan *fib_session_site_plan(const fib_session *s, size_t i)
{
    return i < s->req.n_sites ? s->plans[i] : NULL;
}
const fib_session_site_result *fib_session_site_result_get(const fib_session *s,
                                                           size_t i)
{
    return i < s->req.n_sites ? &s->res[i] : NULL;
}
size_t fib_session_step_count(const fib_session *s)
{
    return s->n_steps;
}
const fib_session_step *fib_session_step_get(const fib_session *s, size_t i)
{
    return i < s->n_steps ? &s->steps[i] : NULL;
}
size_t fib_session_phase_count(const fib_session *s)
{
    return s->n_phases;
}
const fib_session_phase *fib_session_phase_get(const fib_session *s, size_t i)
{
    return i < s->n_phases ? &s->phases[i] : NULL;
}
size_t fib_session_warning_count(const fib_session *s)
{
    return s->n_warn;
}
const char *fib_session_warning_get(const fib_session *s, size_t i)
{
    return i < s->n_warn ? s->warn[i] : NULL;
}
