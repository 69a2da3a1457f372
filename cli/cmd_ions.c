/* cmd_ions.c -- `cryofib ions`: ion species and column presets
 * (fib_job_ions(), fib/job_physics.h). */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "fib/job_physics.h"

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
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    bool json = false;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (c == 'j')
            json = true;
        else
            return cli_usage_error(cmd, "unknown option '%s'",
                                   argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    fib_job_env env = {0};
    env.message = cli_job_message;
    fib_error err = {0};
    const fib_status st = fib_job_ions(json, &env, &err);
    return st == FIB_OK ? CLI_EXIT_OK : cli_fail(cmd, st, &err);
}
