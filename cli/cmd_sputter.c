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

int cli_cmd_sputter(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    static const struct option opts[] = {
        {"ion", required_argument, NULL, 'i'},
        {"energy-kev", required_argument, NULL, 'e'},
        {"material", required_argument, NULL, 'm'},
        {"angle-deg", required_argument, NULL, 'a'},
        {"json", no_argument, NULL, 'j'},
        {"density-g-cm3", required_argument, NULL, 'd'},
        {"materials", required_argument, NULL, 'f'},
        {"compare", required_argument, NULL, 'c'},
        {"cryo", no_argument, NULL, 'C'},
        {"model-only", no_argument, NULL, 'M'},
        {"compound-model", required_argument, NULL, 'k'},
        {"lamella-nm", required_argument, NULL, 'l'},
        {"current-na", required_argument, NULL, 'I'},
        {NULL, 0, NULL, 0}};
    fib_job_sputter_params p;
    memset(&p, 0, sizeof p);
    const char *ion_text = "Ga", *compare = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            ion_text = optarg;
            break;
        case 'e':
            p.energies_keV = optarg;
            break;
        case 'm':
            p.material = optarg;
            break;
        case 'a':
            if (!cli_parse_double(cmd, "--angle-deg", optarg, &p.angle_deg))
                return CLI_EXIT_USAGE;
            break;
        case 'j':
            p.json = true;
            break;
        case 'd':
            if (!cli_parse_double(cmd, "--density-g-cm3", optarg,
                                  &p.density_g_cm3))
                return CLI_EXIT_USAGE;
            p.density_given = true;
            break;
        case 'f':
            p.materials_cfg = optarg;
            break;
        case 'c':
            compare = optarg;
            break;
        case 'C':
            p.cryo = true;
            break;
        case 'M':
            p.model_only = true;
            break;
        case 'k':
            if (!strcmp(optarg, "average"))
                p.compound_model = FIB_PLAN_COMPOUND_AVERAGE_ATOM;
            else if (!strcmp(optarg, "partial"))
                p.compound_model = FIB_PLAN_COMPOUND_PARTIAL;
            else
                return cli_usage_error(cmd,
                                       "--compound-model must be average or "
                                       "partial (got '%s')",
                                       optarg);
            break;
        case 'l':
            if (!cli_parse_double(cmd, "--lamella-nm", optarg, &p.lamella_nm))
                return CLI_EXIT_USAGE;
            if (!(p.lamella_nm > 0.0))
                return cli_usage_error(cmd, "--lamella-nm must be > 0 (got %g)",
                                       p.lamella_nm);
            break;
        case 'I':
            if (!cli_parse_double(cmd, "--current-na", optarg, &p.current_nA))
                return CLI_EXIT_USAGE;
            /* 10 uA: above every column in `cryofib ions` (PFIB 2.5 uA),
             * the same limit as the session files' current_pA */
            if (!(p.current_nA > 0.0 && p.current_nA <= 1e4))
                return cli_usage_error(cmd,
                                       "--current-na must be in (0, 10000] "
                                       "(got %g)",
                                       p.current_nA);
            break;
        default:
            return cli_usage_error(cmd, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!p.material)
        return cli_usage_error(cmd, "--material is required");
    p.ions = compare ? compare : ion_text;
    p.compare = compare != NULL;
    fib_job_env env = {0};
    env.message = cli_job_message;
    fib_error err = {0};
    const fib_status st = fib_job_sputter(&p, &env, &err);
    return st == FIB_OK ? CLI_EXIT_OK : cli_fail(cmd, st, &err);
}
