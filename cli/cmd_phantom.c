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
           "noise\n"
           "  --truth-for RECON_DIR  write instead the truth labels on the\n"
           "                    grid of that reconstruction of this phantom\n"
           "                    into --out FILE.mrc (same kind, seed, size)\n");
}

/* Every option but --out is the job's (fib_job_phantom_option()). */
/* clang-format off */
#define A CLI_ARG
#define N CLI_NOARG
static const cli_opt lo[] = {
    A("out"), A("kind"), A("seed"), A("size"), A("drift-px"), A("bits"),
    A("pixel-nm"), A("slice-nm"), A("noise"), N("clean"),
    N("shine-through"), N("no-cap"), A("truth-for")};
#undef A
#undef N
/* clang-format on */

/* The command's state: the job's parameters, --out, whether --kind came. */
typedef struct cmd_ctx {
    fib_job_phantom_params p;
    const char *out;
    bool have_kind;
} cmd_ctx;

static int option(void *ctx, int val, const char *value)
{
    cmd_ctx *c = ctx;
    fib_error err = {0};
    const fib_status st =
        fib_job_phantom_option(&c->p, lo[val - CLI_OPT_AUTO].name, value, &err);
    c->have_kind = c->have_kind || val == CLI_OPT_AUTO + 1;
    return st == FIB_OK ? CLI_EXIT_OK : cli_fail(CMD, st, &err);
}

static fib_status run(const void *ctx, const fib_job_env *env, fib_error *err)
{
    const cmd_ctx *c = ctx;
    return fib_job_phantom(&c->p, c->out, env, NULL, err);
}

int cli_cmd_phantom(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage();
        return CLI_EXIT_OK;
    }
    cmd_ctx c = {.out = NULL};
    fib_job_phantom_params_init(&c.p);
    cli_opt rows[sizeof lo / sizeof lo[0]];
    memcpy(rows, lo, sizeof lo);
    rows[0].str = &c.out;
    const int rc =
        cli_getopt(CMD, argc, argv, "", rows, sizeof lo / sizeof lo[0], option,
                   &c, CLI_UNKNOWN_SEE);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (optind < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!c.have_kind || !c.out)
        return cli_usage_error(CMD, "--kind and --out are required");
    return cli_job_run(CMD, 0, run, &c);
}
