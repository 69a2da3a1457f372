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

int cli_cmd_workflow(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", required_argument, NULL, 'j'},
        {"materials", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *json = NULL, *mats = NULL;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "hj:m:", opts, NULL)) != -1) {
        if (ch == 'h') {
            usage();
            return CLI_EXIT_OK;
        }
        if (ch == 'j')
            json = optarg;
        else if (ch == 'm')
            mats = optarg;
        else
            return cli_usage_error(cmd, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
    }
    if (optind != argc - 1)
        return cli_usage_error(cmd, "expected one SESSION.cfg; see --help");
    if (cli_check_not_input(cmd, "--json", json,
                            (const char *const[]){argv[optind], mats}, 2))
        return CLI_EXIT_USAGE;
    const fib_job_workflow_params wp = {argv[optind], mats, json};
    /* the report through the output transaction (fib/txn.h) */
    fib_error err = {0};
    fib_fmt_txn *txn = NULL;
    fib_status st = cli_job_txn(json != NULL, &txn, &err);
    if (st == FIB_OK) {
        const fib_job_env env = {.txn = txn, .message = cli_job_message};
        st = fib_job_workflow(&wp, &env, NULL, &err);
    }
    return cli_job_done(cmd, txn, st, &err);
}
