/* cmd_slice_view.c -- `cryofib slice-view`: FIB-SEM slice-and-view run
 * planning (slices, milling and imaging time, dose, data volume). */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "fib/job_plan.h"

static const char *cmd = "slice-view";

static void usage(void)
{
    printf("usage: cryofib slice-view RUN.cfg [--ion Ga,Xe] [--json FILE] "
           "[--csv FILE]\n"
           "                          [--out DIR] [--materials FILE]\n\n"
           "Plan a slice-and-view run from a run file (see examples/"
           "slice-view-coated-nmc.cfg):\nnumber of slices, milling and "
           "imaging time per slice, total run time, electron\ndose per "
           "slice and data volume, for each ion species side by side.\n"
           "  --out DIR  write slice-view.png: the first slices of the run "
           "per ion\n            (milling / imaging / overhead) on a "
           "timeline\n");
}

static fib_status run(const void *ctx, const fib_job_env *env, fib_error *err)
{
    return fib_job_slice_view(ctx, env, NULL, err);
}

int cli_cmd_slice_view(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    fib_job_slice_view_params sp = {0};
    const cli_opt rows[] = {
        CLI_STR("ion", 'i', &sp.ions), CLI_STR("json", 'j', &sp.json_path),
        CLI_STR("csv", 'c', &sp.csv_path), CLI_STR("out", 'o', &sp.out_dir),
        CLI_STR("materials", 'm', &sp.materials_path)};
    int rc = cli_getopt(cmd, argc, argv, "i:j:c:o:m:", rows,
                        sizeof rows / sizeof rows[0], NULL, NULL, CLI_UNKNOWN);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (optind != argc - 1)
        return cli_usage_error(cmd, "expected one RUN.cfg; see --help");
    sp.run_path = argv[optind];
    /* the job refuses a report that is an input; outputs through the
     * output transaction (fib/txn.h): all or none */
    const bool writes = sp.json_path || sp.csv_path || sp.out_dir;
    return cli_job_run(cmd, CLI_JOB_QUIET | (writes ? 0 : CLI_JOB_NO_TXN), run,
                       &sp);
}
