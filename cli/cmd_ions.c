/* cmd_ions.c -- `cryofib ions`: ion species and column presets
 * (fib_job_ions(), fib/job_physics.h). */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "fib/job_physics.h"

static fib_status run(const void *ctx, const fib_job_env *env, fib_error *err)
{
    return fib_job_ions(*(const bool *)ctx, env, err);
}

int cli_cmd_ions(int argc, char **argv)
{
    static const char *cmd = "ions";
    if (cli_wants_help(argc, argv)) {
        printf("usage: cryofib ions [--json]\n\n"
               "List ion species (Z, mass, energy range) and instrument "
               "classes with their\ncurrent presets and probe-size fits "
               "d = d1 * (I / 1 nA)^n.\n");
        return CLI_EXIT_OK;
    }
    bool json = false;
    const cli_opt rows[] = {CLI_FLAG("json", 'j', &json)};
    const int rc = cli_getopt(cmd, argc, argv, "+", rows, 1, NULL, NULL,
                              "unknown option '%s'");
    if (rc != CLI_EXIT_OK)
        return rc;
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    return cli_job_run(cmd, CLI_JOB_QUIET | CLI_JOB_NO_TXN, run, &json);
}
