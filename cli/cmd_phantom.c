/*
 * cmd_phantom.c -- `cryofib phantom`: a synthetic slice-and-view series
 * with ground truth, written by fib_job_phantom() (fib/job_simulate.h):
 * options, the output transaction, one job call.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fib/job_simulate.h"

#define CMD "phantom"

static void usage(void)
{
    printf("usage: cryofib phantom --kind dendrites|coating|particles --out "
           "DIR\n"
           "       [--seed N] [--size NXxNYxNZ] [--drift-px S] [--bits 8|16]\n"
           "       [--pixel-nm P] [--slice-nm T] [--noise F] [--clean]\n"
           "       [--shine-through] [--no-cap]\n\n"
           "Render a known 3D structure as a FIB-SEM slice series with drift,\n"
           "curtaining, shading, intensity drift and noise; write the slices\n"
           "(PNG), the ground-truth labels (labels.mrc: 0 pore/background,\n"
           "1 and 2 phases, 3 protective cap) and the true drift\n"
           "(true_drift.csv: slice,dx,dy = content displacement, px; the\n"
           "correcting shift is its negative), and recon.cfg, a run file\n"
           "with the pixel size and slice thickness (cryofib recon\n"
           "DIR/recon.cfg writes DIR-recon beside DIR).  For realistic\n"
           "acquisitions of these structures (or of any label volume:\n"
           "tilt, vendor metadata, pore-back, jumps, truth on the recon\n"
           "grid) use `cryofib simulate --phantom KIND` or `cryofib\n"
           "simulate LABELS`.\n\n"
           "  --size NXxNYxNZ   default 256x256x64\n"
           "  --drift-px S      random-walk step sigma, px (default 0.6; 0 "
           "none)\n"
           "  --clean           no stripes, shading, intensity drift, "
           "noise\n");
}

/* Every option but --out is the job's (fib_job_phantom_option()). */
static const struct option lo[] = {{"out", required_argument, 0, 0},
                                   {"kind", required_argument, 0, 0},
                                   {"seed", required_argument, 0, 0},
                                   {"size", required_argument, 0, 0},
                                   {"drift-px", required_argument, 0, 0},
                                   {"bits", required_argument, 0, 0},
                                   {"pixel-nm", required_argument, 0, 0},
                                   {"slice-nm", required_argument, 0, 0},
                                   {"noise", required_argument, 0, 0},
                                   {"clean", no_argument, 0, 0},
                                   {"shine-through", no_argument, 0, 0},
                                   {"no-cap", no_argument, 0, 0},
                                   {0, 0, 0, 0}};

/* The job's summary line, printed once the outputs are committed. */
static char summary[4096];
static void on_message(void *user, fib_job_level level, const char *text)
{
    if (level == FIB_JOB_RESULT)
        snprintf(summary, sizeof summary, "%s", text);
    else
        cli_job_message(user, level, text);
}

int cli_cmd_phantom(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    fib_job_phantom_params p;
    fib_job_phantom_params_init(&p);
    const char *out = NULL;
    bool have_kind = false;
    fib_error err = {0};
    int ch, idx = 0;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", lo, &idx)) != -1) {
        if (ch != 0)
            return cli_usage_error(
                CMD, "unknown or incomplete option '%s' (see --help)",
                argv[optind - 1]);
        if (idx == 0) {
            out = optarg;
            continue;
        }
        const fib_status st =
            fib_job_phantom_option(&p, lo[idx].name, optarg, &err);
        if (st)
            return cli_fail(CMD, st, &err);
        have_kind = have_kind || idx == 1;
    }
    if (optind < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!have_kind || !out)
        return cli_usage_error(CMD, "--kind and --out are required");
    cli_progress_state ps;
    fib_job_env env = {0};
    env.progress = cli_progress_make(&ps, false);
    env.message = on_message;
    fib_status st = fib_fmt_txn_begin(&env.txn, &err);
    if (st == FIB_OK)
        st = fib_job_phantom(&p, out, &env, NULL, &err);
    cli_progress_done(&ps);
    const int rc = cli_txn_finish(
        CMD, env.txn, st == FIB_OK ? CLI_EXIT_OK : cli_fail(CMD, st, &err));
    if (rc == CLI_EXIT_OK && summary[0])
        cli_job_message(NULL, FIB_JOB_RESULT, summary);
    return rc;
}
