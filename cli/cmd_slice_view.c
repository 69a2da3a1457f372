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

int cli_cmd_slice_view(int argc, char **argv)
{
    static const struct option opts[] = {
        {"ion", required_argument, NULL, 'i'},
        {"json", required_argument, NULL, 'j'},
        {"csv", required_argument, NULL, 'c'},
        {"out", required_argument, NULL, 'o'},
        {"materials", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *json = NULL, *csvp = NULL, *ions = NULL, *out = NULL,
               *mats = NULL;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "hi:j:c:o:m:", opts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            usage();
            return CLI_EXIT_OK;
        case 'i':
            ions = optarg;
            break;
        case 'j':
            json = optarg;
            break;
        case 'c':
            csvp = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'm':
            mats = optarg;
            break;
        default:
            return cli_usage_error(cmd, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(cmd, "expected one RUN.cfg; see --help");
    {
        const char *ins[] = {argv[optind], mats};
        if (cli_check_not_input(cmd, "--json", json, ins, 2) ||
            cli_check_not_input(cmd, "--csv", csvp, ins, 2))
            return CLI_EXIT_USAGE;
    }
    const fib_job_slice_view_params sp = {argv[optind], mats, ions,
                                          json,         csvp, out};
    /* outputs through the output transaction (fib/txn.h): all or none */
    fib_error err = {0};
    fib_fmt_txn *txn = NULL;
    fib_status st = cli_job_txn(json || csvp || out, &txn, &err);
    if (st == FIB_OK) {
        const fib_job_env env = {.txn = txn, .message = cli_job_message};
        st = fib_job_slice_view(&sp, &env, NULL, &err);
    }
    return cli_job_done(cmd, txn, st, &err);
}
