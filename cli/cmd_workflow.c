/* cmd_workflow.c -- `cryofib workflow`: cryo workflow 1-4 for a session. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "fib/job_plan.h"

static const char *cmd = "workflow";

static void usage(void)
{
    printf("usage: cryofib workflow SESSION.cfg [--json FILE] [--materials "
           "FILE]\n\n"
           "Recommend the cryogenic workflow (1-4, Shin et al., Table 1; 0 = "
           "conventional\nroom-temperature FIB) from the sample's "
           "sensitivities (sample.sensitive, or the\nlayers' database flags) "
           "and size (sample.nanoscale), with the equipment it\nneeds and "
           "what it protects against, checked against the session's "
           "temperature:\na room-temperature session of a sample that needs "
           "cryo milling is a warning.\n");
}

static fib_status run(const void *ctx, const fib_job_env *env, fib_error *err)
{
    return fib_job_workflow(ctx, env, NULL, err);
}

int cli_cmd_workflow(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    fib_job_workflow_params wp = {0};
    const cli_opt rows[] = {CLI_STR("json", 'j', &wp.json_path),
                            CLI_STR("materials", 'm', &wp.materials_path)};
    int rc =
        cli_getopt(cmd, argc, argv, "j:m:", rows, 2, NULL, NULL, CLI_UNKNOWN);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (optind != argc - 1)
        return cli_usage_error(cmd, "expected one SESSION.cfg; see --help");
    wp.session_path = argv[optind];
    /* the job refuses a report that is an input; the report through the
     * output transaction (fib/txn.h) */
    return cli_job_run(cmd, CLI_JOB_QUIET | (wp.json_path ? 0 : CLI_JOB_NO_TXN),
                       run, &wp);
}
