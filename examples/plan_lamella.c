/*
 * plan_lamella.c -- the smallest useful planner program: plan the built-in
 * Li-metal dendrite cryo lift-out with every ion of the default request and
 * print one line per step.  Uses only the public headers and no files.
 *
 *   cc plan_lamella.c $(pkg-config --cflags --libs --static cryofib)
 */
#include <stdio.h>
#include <stdlib.h>

#include "fib/physics.h"
#include "fib/planner.h"

int main(void)
{
    fib_plan_request req;
    fib_error err = {0};

    fib_plan_request_default(&req);
    for (size_t k = 0; k < req.n_ions; k++) {
        fib_plan *plan = NULL;
        const fib_status st = fib_plan_create(&req, k, FIB_PLAN_LADDER_DEFAULT,
                                              NULL, &plan, &err);
        if (st != FIB_OK) {
            fprintf(stderr, "plan_lamella: %s\n",
                    err.msg[0] ? err.msg : fib_strerror(st));
            return EXIT_FAILURE;
        }
        printf("%s: session %.1f min, milling %.1f min, final damage %.1f nm\n",
               fib_plan_ion_get(fib_plan_get_ion(plan))->symbol,
               fib_plan_total_time_s(plan) / 60.0,
               fib_plan_milling_time_s(plan) / 60.0,
               fib_plan_final_damage_nm(plan));
        for (size_t i = 0; i < fib_plan_step_count(plan); i++) {
            const fib_plan_step *s = fib_plan_step_get(plan, i);
            if (!s->mills)
                continue;
            printf("  %-14s %5.1f kV %9.0f pA %9.2f um3 %8.1f s\n", s->name,
                   s->energy_keV, s->current_pA, s->volume_um3,
                   s->commanded_time_s);
        }
        fib_plan_destroy(plan);
    }
    return EXIT_SUCCESS;
}
