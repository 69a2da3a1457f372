/* cmd_plan.c -- `cryofib plan`: step-by-step lamella session plans. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fib/job_plan.h"

static const char *cmd = "plan";

static void usage(void)
{
    printf("usage: cryofib plan SESSION.cfg [--ion Ga,Xe] [--json FILE] "
           "[--csv FILE]\n"
           "                    [--out DIR] [--optimized] [--materials FILE] "
           "[--quiet]\n"
           "       cryofib plan --demo [options]\n\n"
           "Plan a FIB lamella session step by step from a session file "
           "(examples/\nsession-reference.cfg documents every key): trenches, "
           "cuts, lift-out, thinning\nand low-kV polishing with current, "
           "commanded time t = V/(VPD*I), physical depth\nin the sample "
           "stack, damage depth, probe size, overheads and a timeline; the\n"
           "default ladder beside the optimized one; ions compared side by "
           "side; the\nrecommended cryo workflow (0-4), checked against the "
           "plan's "
           "temperature.\nA file with sites = ( {...}, ... ) plans a session "
           "of several lamellae:\nbatched rough / lift-out / thinning / "
           "polishing over the sites, temperature\nphases of its workflow, "
           "current changes saved, expected lamellae per day;\n--out then "
           "writes timeline-<ion>.png with one lane per site\n"
           "and site-NN-<site>-<ion>.png / side-NN-<site>-<ion>.png per "
           "site.\n\n"
           "  --ion LIST     species to compare, replacing the file's list "
           "(e.g. Ga,Xe)\n"
           "  --json FILE    write the plans as JSON (keys: workflow, plans, "
           "comparison)\n"
           "  --csv FILE     write every step of every plan as CSV\n"
           "  --out DIR      write site-<ion>.png (beam view + lamella zoom), "
           "side-<ion>.png\n"
           "                 (commanded vs physical depth in the stack) and "
           "timeline.png\n"
           "  --optimized    show the optimized ladder as the plan (default: "
           "protocol ladder)\n"
           "  --demo         plan the embedded Li-dendrite cryo lift-out "
           "session (no file)\n"
           "  --materials F  add/override materials from a materials file "
           "(see cryofib materials)\n"
           "  --quiet        no terminal table\n"
           "  --export KIND DIR  write instrument patterns for every milling "
           "step into DIR\n"
           "                 (created if missing; never overwrites): ptf = "
           "Thermo/FEI xT\n"
           "                 pattern files + index-<ion>.txt, autolamella = "
           "fibsem-os\n"
           "                 AutoLamella protocol autolamella-<ion>.yaml.  A "
           "session with\n"
           "                 sites: DIR/site-NN-<name>/ per site + "
           "session-<ion>.txt|yaml\n"
           "                 (run order); DIR must not exist or be empty\n"
           "Exit status: 0 ok, 1 failure, 2 bad input (message names file, "
           "line and field).\n");
}

static fib_status run(const void *ctx, const fib_job_env *env, fib_error *err)
{
    return fib_job_plan(ctx, env, NULL, err);
}

int cli_cmd_plan(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    fib_job_plan_params o = {0};
    bool demo = false;
    /* clang-format off */
    const cli_opt rows[] = {
        CLI_STR("ion", 'i', &o.ions), CLI_STR("json", 'j', &o.json_path),
        CLI_STR("csv", 'c', &o.csv_path), CLI_STR("out", 'o', &o.out_dir),
        CLI_FLAG("optimized", 'O', &o.optimized_primary),
        CLI_FLAG("demo", 'd', &demo), CLI_FLAG("quiet", 'q', &o.quiet),
        CLI_STR("materials", 'm', &o.materials_path)};
    /* clang-format on */
    /* --export KIND DIR takes two values: take them out before getopt */
    char *args[256];
    if (argc >= (int)(sizeof args / sizeof args[0]))
        return cli_usage_error(cmd, "too many arguments");
    int nargs = 0;
    for (int a = 0; a < argc; a++) {
        if (a > 0 && !strcmp(argv[a], "--export")) {
            if (a + 2 >= argc || argv[a + 1][0] == '-' || argv[a + 2][0] == '-')
                return cli_usage_error(cmd, "--export needs KIND (ptf or "
                                            "autolamella) and DIR");
            if (o.export_dir)
                return cli_usage_error(cmd, "--export given twice");
            o.export_dir = argv[a + 2];
            if (!fib_fmt_export_kind_parse(argv[a + 1], &o.export_kind))
                return cli_usage_error(cmd,
                                       "--export kind '%s' unknown (ptf or "
                                       "autolamella)",
                                       argv[a + 1]);
            a += 2;
            continue;
        }
        args[nargs++] = argv[a];
    }
    args[nargs] = NULL;
    const int rc =
        cli_getopt(cmd, nargs, args, "qi:j:c:o:m:", rows,
                   sizeof rows / sizeof rows[0], NULL, NULL, CLI_UNKNOWN_SEE);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (!demo && optind != nargs - 1)
        return cli_usage_error(cmd, "expected one SESSION.cfg (or --demo); "
                                    "see --help");
    if (demo && optind != nargs)
        return cli_usage_error(cmd, "--demo takes no session file");
    o.session_path = demo ? NULL : args[optind];
    /* the job refuses an output that is an input; outputs through the
     * output transaction (fib/txn.h): all or none */
    const bool writes = o.json_path || o.csv_path || o.out_dir || o.export_dir;
    return cli_job_run(cmd, CLI_JOB_QUIET | (writes ? 0 : CLI_JOB_NO_TXN), run,
                       &o);
}
