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

/* The job's lines as cli_job_message() prints them, after clearing the
 * progress bar of the stage before (it is redrawn by the next report). */
static void say(void *user, fib_job_level level, const char *text)
{
    cli_progress_done(user);
    cli_job_message(NULL, level, text);
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
    cli_progress_state ps;
    fib_job_env env = {.message = say, .message_user = &ps};
    env.progress = cli_progress_make(&ps, false);
    fib_error err = {0};
    const fib_status st = fib_job_demo(&p, &env, NULL, &err);
    cli_progress_done(&ps);
    if (st != FIB_OK)
        return cli_fail(CMD, st, &err);
    /* as cli_txn_finish() after a commit: never 0 after a signal */
    return cli_interrupted() ? cli_interrupt_status() : CLI_EXIT_OK;
}
