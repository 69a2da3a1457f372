/*
 * plan_internal.h -- private structures shared by planner/src/plan*.c.
 */
#ifndef FIB_PLAN_INTERNAL_H
#define FIB_PLAN_INTERNAL_H

#include "fib/planner.h"

enum { FIB__PLAN_MAX_WARN = 24 };

struct fib_plan {
    fib_plan_request req; /* defaults filled */
    size_t ion_index;
    fib_plan_ion ion;
    fib_plan_ladder_mode mode;
    size_t n_steps;
    fib_plan_step steps[FIB_PLAN_MAX_STEPS];
    size_t n_warn;
    char warn[FIB__PLAN_MAX_WARN][FIB_PLAN_LINE_MAX];
    double total_s, milling_s;
    double final_thickness_nm, final_damage_nm, implanted;
    double ice_lamella_nm, ice_session_nm;
    char roi_name[FIB_PLAN_NAME_MAX];
};

/* Fill request defaults in place (ions, presets, ladder roles, overheads,
 * polish energies, application, site). */
void fib__plan_request_defaults(fib_plan_request *r);

/* Column of an ion set-up (its named column or the ion's default). */
const fib_plan_column *fib__plan_column(const fib_plan_ion_setup *io);

/* Application-file VPD (um^3/nC) for ion set-up @p io at @p kV: the
 * request's application VPD (or io->vpd at io->energy) scaled by the model
 * yield ratio in Si, Y_Si(ion, kV) / Y_Si(Ga, 30 keV) (or / Y_Si(ion,
 * E_main) for a user VPD). */
fib_status fib__plan_vpd(const fib_plan_request *r,
                         const fib_plan_ion_setup *io, double kV, double *vpd,
                         fib_error *err);

#endif
