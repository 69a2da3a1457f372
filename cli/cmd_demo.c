/*
 * cmd_demo.c -- `cryofib demo`: the project end to end on built-in data
 * (plan, ion sources, phantom, reconstruction, segmentation and
 * measurement against the truth), run by fib_job_demo() (fib/job_demo.h):
 * usage, --out, one job call.  Each stage commits its own outputs.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fib/job_demo.h"

static const char *const CMD = "demo";

static fib_status run(const void *ctx, const fib_job_env *env, fib_error *err)
{
    return fib_job_demo(ctx, env, NULL, err);
}

int cli_cmd_demo(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: cryofib demo [--out DIR]\n\n"
               "Run cryofib end to end on built-in data (no input files):\n"
               "plan a Li-metal dendrite cryo lift-out with Ga and Xe,\n"
               "compare ion sources, render a dendrite slice-and-view\n"
               "phantom, reconstruct it (alignment and artifact\n"
               "correction), segment and measure the lithium, and compare\n"
               "with the ground truth.  Outputs go to DIR (default\n"
               "./" FIB_JOB_DEMO_DEFAULT_DIR ").\n");
        return CLI_EXIT_OK;
    }
    fib_job_demo_params p = {.out_dir = FIB_JOB_DEMO_DEFAULT_DIR};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            p.out_dir = argv[++i];
        else
            return cli_usage_error(CMD,
                                   "unexpected argument '%s' (see "
                                   "'cryofib demo --help')",
                                   argv[i]);
    }
    return cli_job_run(CMD, CLI_JOB_LIVE, run, &p);
}
