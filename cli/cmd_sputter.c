/* cmd_sputter.c -- `cryofib sputter`: yield, removal rate, range and damage
 * for an ion/material/energy, energy sweeps and ion comparisons, computed
 * and printed by fib_job_sputter() (fib/job_physics.h). */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fib/job_physics.h"

static const char *cmd = "sputter";

static void usage(void)
{
    printf(
        "usage: cryofib sputter --material NAME|FORMULA [--ion Ga] "
        "[--energy-kev 30]\n"
        "                       [--angle-deg 0] [--compare Ga,Xe] [--json]\n"
        "                       [--density-g-cm3 X] [--materials FILE.cfg] "
        "[--cryo]\n"
        "                       [--model-only] [--compound-model "
        "average|partial]\n"
        "                       [--lamella-nm T] [--current-na I]\n\n"
        "Sputter yield (atoms/ion), removal rate (um^3/nC), projected range "
        "and damage\ndepth (nm) with the source of each number: a measured "
        "rate where the database has\none, else the Yamamura-Tawara model.\n\n"
        "  --energy-kev LIST  one energy, a list '2,5,8,16,30' or a range "
        "'START:STOP:STEP'\n"
        "  --angle-deg A      incidence from the surface normal, 0 <= A < 90\n"
        "  --compare IONS     comma-separated species side by side with "
        "ratios to the first\n"
        "  --cryo             apply cryo factors (where data exist)\n"
        "  --model-only       ignore measured rates\n"
        "  --lamella-nm T     warn when the damage depth exceeds T/2\n"
        "  --current-na I     estimate beam heating at this current\n"
        "Energies below the sputter threshold give zero yield.  Exit 2 on bad "
        "input.\n");
}

/* The options with a checked value into @p ctx (the job's parameters);
 * the exit status. */
static int option(void *ctx, int c, const char *arg)
{
    fib_job_sputter_params *p = ctx;
    switch (c) {
    case 'a':
        return cli_parse_double(cmd, "--angle-deg", arg, &p->angle_deg)
                   ? CLI_EXIT_OK
                   : CLI_EXIT_USAGE;
    case 'd':
        p->density_given = true;
        return cli_parse_double(cmd, "--density-g-cm3", arg, &p->density_g_cm3)
                   ? CLI_EXIT_OK
                   : CLI_EXIT_USAGE;
    case 'k':
        if (!strcmp(arg, "average"))
            p->compound_model = FIB_PLAN_COMPOUND_AVERAGE_ATOM;
        else if (!strcmp(arg, "partial"))
            p->compound_model = FIB_PLAN_COMPOUND_PARTIAL;
        else
            return cli_usage_error(cmd,
                                   "--compound-model must be average or "
                                   "partial (got '%s')",
                                   arg);
        return CLI_EXIT_OK;
    case 'l':
        if (!cli_parse_double(cmd, "--lamella-nm", arg, &p->lamella_nm))
            return CLI_EXIT_USAGE;
        if (!(p->lamella_nm > 0.0))
            return cli_usage_error(cmd, "--lamella-nm must be > 0 (got %g)",
                                   p->lamella_nm);
        return CLI_EXIT_OK;
    default: /* 'I' */
        if (!cli_parse_double(cmd, "--current-na", arg, &p->current_nA))
            return CLI_EXIT_USAGE;
        /* 10 uA: above every column in `cryofib ions` (PFIB 2.5 uA),
         * the same limit as the session files' current_pA */
        if (!(p->current_nA > 0.0 && p->current_nA <= 1e4))
            return cli_usage_error(cmd,
                                   "--current-na must be in (0, 10000] "
                                   "(got %g)",
                                   p->current_nA);
        return CLI_EXIT_OK;
    }
}

static fib_status run(const void *ctx, const fib_job_env *env, fib_error *err)
{
    return fib_job_sputter(ctx, env, err);
}

int cli_cmd_sputter(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    fib_job_sputter_params p;
    memset(&p, 0, sizeof p);
    const char *ion_text = "Ga", *compare = NULL;
    /* clang-format off */
    const cli_opt rows[] = {
        CLI_STR("ion", 'i', &ion_text),
        CLI_STR("energy-kev", 'e', &p.energies_keV),
        CLI_STR("material", 'm', &p.material), CLI_VAL("angle-deg", 'a'),
        CLI_FLAG("json", 'j', &p.json), CLI_VAL("density-g-cm3", 'd'),
        CLI_STR("materials", 'f', &p.materials_cfg),
        CLI_STR("compare", 'c', &compare), CLI_FLAG("cryo", 'C', &p.cryo),
        CLI_FLAG("model-only", 'M', &p.model_only),
        CLI_VAL("compound-model", 'k'), CLI_VAL("lamella-nm", 'l'),
        CLI_VAL("current-na", 'I')};
    /* clang-format on */
    const int rc =
        cli_getopt(cmd, argc, argv, "+", rows, sizeof rows / sizeof rows[0],
                   option, &p, CLI_UNKNOWN);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!p.material)
        return cli_usage_error(cmd, "--material is required");
    p.ions = compare ? compare : ion_text;
    p.compare = compare != NULL;
    return cli_job_run(cmd, CLI_JOB_QUIET | CLI_JOB_NO_TXN, run, &p);
}
