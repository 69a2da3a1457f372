/* cmd_materials.c -- `cryofib materials`: list the materials database
 * (fib_job_materials(), fib/job_physics.h). */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "fib/job_physics.h"

int cli_cmd_materials(int argc, char **argv)
{
    static const char *cmd = "materials";
    if (cli_wants_help(argc, argv)) {
        printf("usage: cryofib materials [NAME|FORMULA] [--json] "
               "[--materials FILE.cfg]\n\n"
               "List the materials database (built-ins plus a user libconfig "
               "file), or show one\nmaterial or parsed formula in detail.\n\n"
               "  --json             machine-readable output\n"
               "  --materials FILE   add/override materials from a libconfig "
               "file\n");
        return CLI_EXIT_OK;
    }
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"materials", required_argument, NULL, 'm'},
        {NULL, 0, NULL, 0}};
    bool json = false;
    const char *cfg = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'm':
            cfg = optarg;
            break;
        default:
            return cli_usage_error(cmd, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (argc - optind > 1)
        return cli_usage_error(cmd, "at most one material name expected");
    fib_job_env env = {0};
    env.message = cli_job_message;
    fib_error err = {0};
    const fib_status st = fib_job_materials(optind < argc ? argv[optind] : NULL,
                                            cfg, json, &env, &err);
    return st == FIB_OK ? CLI_EXIT_OK : cli_fail(cmd, st, &err);
}
